"""The OLD, IMAGINED RSTV markup (a frozen copy of the first archiver/mirror/rstv.py).

The real site does not look like this; `archiver check` must fail on it (issue 16). Renders a mirror (uCoz "news" module: listing pages and article pages) from data.

The markup follows the real site: a listing of 10 entries per page, newest first, all languages
mixed, teasers made the site's way (paragraphs glued with no separator, cut at 200 characters),
pagination `/news/?pageN`; article pages with the centred dateline (`&nbsp;`-padded), `[all photos]`
link, language links to the story's other versions, `— subtitle —`, `<br />`-separated paragraphs,
centred bold headings and lists, the details line and "Total comments". A page may be encoded in
windows-1251, with the charset declared in the HTTP header, only in `<meta http-equiv>`, or both.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from html import escape

from archiver.mirror.server import Resource

PER_PAGE = 10
TEASER_LENGTH = 200
CATEGORY_NAMES = {2: "English", 3: "Русский", 4: "中文", 5: "Deutsch"}
LANGUAGE_LINKS = {2: "English", 3: "Русский", 4: "中国语", 5: "Deutsch"}
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]

#: One block of an article's text: a paragraph (str), or {"heading": str}, {"ul": [str]}, {"ol": [str]}.
Block = str | dict[str, object]


@dataclass
class RstvArticle:
    """One language version of a story. Text is plain text (escaped when rendered; U+00A0 → &nbsp;)."""

    entry_id: int
    slug: str
    published: str  # YYYY-MM-DD, as in the URL
    category: int  # 2 English, 3 Русский, 4 中文, 5 Deutsch
    title: str
    blocks: list[Block]
    time: str = "12:00"
    dateline: str | None = None  # printed without a year, e.g. "July 25, Beijing (RSTV)"
    subtitle: str | None = None
    photos: bool = False
    story: str | None = None  # versions of one story share this key (their language links)
    views: int = 0
    author: str = "redstartvkp"
    tags: list[str] = field(default_factory=list)
    comments: int = 0
    encoding: str = "utf-8"  # or "windows-1251"
    charset_in: str = "both"  # where the charset is declared: "header", "meta" or "both"
    listed: bool = True  # False: reachable only through its language links
    served: bool = True  # False: linked but answering 404
    teaser: str | None = None  # as the listing prints it; default: made from the paragraphs

    @property
    def path(self) -> str:
        return f"/news/{self.slug}/{self.published}-{self.entry_id}"

    @property
    def day(self) -> date:
        return date.fromisoformat(self.published)

    @property
    def site_teaser(self) -> str:
        if self.teaser is not None:
            return self.teaser
        return "".join(b for b in self.blocks if isinstance(b, str))[:TEASER_LENGTH]


@dataclass
class RstvMirror:
    articles: list[RstvArticle]
    pages: dict[str, Resource] = field(default_factory=dict)

    def build(self) -> dict[str, Resource]:
        self.pages = {"/robots.txt": robots()}
        ordered = sorted(self.articles, key=lambda a: (a.published, a.entry_id), reverse=True)
        listed = [a for a in ordered if a.listed]
        chunks = [listed[i : i + PER_PAGE] for i in range(0, len(listed), PER_PAGE)] or [[]]
        for number, chunk in enumerate(chunks, start=1):
            self.pages[page_path(number)] = html_resource(render_listing(chunk, number, len(chunks)))
        for article in ordered:
            if article.served:
                versions = [a for a in self.articles if article.story and a.story == article.story]
                self.pages[article.path] = article_resource(article, versions)
        return self.pages


def page_path(number: int) -> str:
    return "/news/" if number == 1 else f"/news/?page{number}"


def text(value: str) -> str:
    """Plain text as HTML: escaped, no-break spaces written the way the site writes them."""
    return escape(value, quote=False).replace("\u00a0", "&nbsp;")


def html_resource(page: str) -> Resource:
    return Resource(page.encode("utf-8"))


def robots() -> Resource:
    return Resource(b"User-agent: *\nDisallow: /a/\nDisallow: /stat/\nDisallow: /search\n", "text/plain")


def page(title: str, content: str, charset: str | None) -> str:
    meta = f'<meta http-equiv="content-type" content="text/html; charset={charset}">\n' if charset else ""
    return f"""<html><head>
<script type="text/javascript" src="/?3hBnXs"></script>
{meta}<title>{text(title)}</title>
<link type="text/css" rel="StyleSheet" href="/_st/my.css" />
</head>
<body style="background:#FFFFFF; margin:0px; padding:0px;">
<table cellpadding="0" cellspacing="0" border="0" width="100%" class="main_table"><tr>
<td class="header_table"><a href="/"><img src="/images/rstv_logo.png" border="0" alt="RSTV"></a></td></tr>
<tr><td valign="top" class="content_table">
{content}
</td></tr></table>
<div class="footer">Copyright RSTV &copy; <span class="pbL6f3lP"><a href="https://www.ucoz.com/" title="Website created with uCoz" target="_blank" rel="nofollow">uCoz</a></span></div>
</body>
</html>
"""


def author_link(author: str) -> str:
    return (
        '<a href="javascript://" rel="nofollow" onclick="window.open(\'/index/8-1\', \'up1\', '
        f"'scrollbars=1,top=0,left=0,resizable=1,width=700,height=375'); return false;\">{text(author)}</a>"
    )


def render_listing(articles: Iterable[RstvArticle], number: int, count: int) -> str:
    entries = "\n".join(
        f"""<div id="entryID{a.entry_id}"><table border="0" cellpadding="0" cellspacing="0" width="100%" class="eBlock"><tr><td style="padding:3px;">
<div class="eTitle" style="text-align:left;"><a href="{a.path}">{text(a.title)}</a></div>
<div class="eMessage" style="text-align:left;clear:both;padding-top:2px;padding-bottom:2px;">{text(a.site_teaser)}</div>
<div class="eDetails" style="clear:both;">Category: <a href="/news/1-0-{a.category}">{CATEGORY_NAMES[a.category]}</a> | Views: {a.views} | Added by: {author_link(a.author)} | Date: <span title="{a.time}">{a.day.strftime("%d.%m.%Y")}</span> | <a href="{a.path}#comments">Comments ({a.comments})</a></div>
</td></tr></table><br /></div>"""
        for a in articles
    )
    switches = []
    for n in range(1, count + 1):
        if n == number:
            switches.append(f'<b class="swchItemA"><span>{n}</span></b>')
        else:
            switches.append(
                f'<a class="swchItem" href="{page_path(n)}" onclick="spages(\'{n}\', \'\', '
                f"document.getElementById('allEntries')); return false;\"><span>{n}</span></a>"
            )
    if number < count:
        switches.append(f'<a class="swchItem swchItem-next" href="{page_path(number + 1)}"><span>&raquo;</span></a>')
    content = f"""<div id="allEntries">
{entries}
</div>
<div class="catPages1" align="center" id="pagesBlock1">{" ".join(switches)}</div>"""
    return page("News - RSTV", content, "UTF-8")


def render_blocks(blocks: Iterable[Block]) -> str:
    out = []
    for block in blocks:
        if isinstance(block, str):
            out.append(f"{text(block)}<br /><br />")
        elif "heading" in block:
            out.append(f'<div align="center"><b>&nbsp;{text(str(block["heading"]))}&nbsp;</b></div><br />')
        else:
            tag = "ol" if "ol" in block else "ul"
            items = "".join(f"<li>{text(item)}</li>" for item in block[tag])  # type: ignore[union-attr]
            out.append(f"<{tag}>{items}</{tag}>")
    return "\n".join(out)


def render_article(article: RstvArticle, versions: list[RstvArticle]) -> str:
    head = []
    if article.dateline:
        head.append(f'<div align="center"><b>&nbsp; &nbsp;{text(article.dateline)}&nbsp; &nbsp;</b></div><br />')
    if article.photos:
        head.append(f'<div align="center"><a href="/photo/{article.entry_id}">[all&nbsp;photos]</a></div><br />')
    if len(versions) > 1:
        links = " ".join(
            f'[<a href="{v.path}">{LANGUAGE_LINKS[v.category]}</a>]' for v in sorted(versions, key=lambda v: v.category)
        )
        head.append(f'<div align="center">{links}</div><br />')
    if article.subtitle:
        head.append(f'<div align="center"><b>— {text(article.subtitle)} —</b></div><br />')
    tags = ", ".join(
        f'<a href="/search/{escape(t.replace(" ", "%20"))}/" rel="nofollow" class="eTag">{text(t)}</a>'
        for t in article.tags
    )
    details = (
        f'Category: <a href="/news/1-0-{article.category}">{CATEGORY_NAMES[article.category]}</a> | '
        f"Views: {article.views} | Added by: {author_link(article.author)}"
        + (f" | Tags: <noindex>{tags}</noindex>" if tags else "")
    )
    day = article.day
    content = f"""<table border="0" width="100%" cellspacing="1" cellpadding="2" class="eBlock">
<tr><td class="eTitle"><div style="float:right;font-size:9px;">{article.time}</div>{text(article.title)}</td></tr>
<tr><td class="eMessage"><div id="nativeroll_video_cont" style="display:none;"></div>
{chr(10).join(head)}
{render_blocks(article.blocks)}
</td></tr>
<tr><td class="eDetails">{details}</td></tr>
</table>
<table border="0" cellpadding="0" cellspacing="0" width="100%">
<tr><td width="60%" height="25">Total comments: <b>{article.comments}</b></td><td align="right" height="25"></td></tr>
<tr><td colspan="2"><div id="myGrid" style="height:1px;display:none;"></div></td></tr>
</table>"""
    charset = None if article.charset_in == "header" else article.encoding
    return page(f"{article.title} - {day.day} {MONTHS[day.month - 1]} {day.year} - RSTV", content, charset)


def article_resource(article: RstvArticle, versions: list[RstvArticle]) -> Resource:
    """The page in its encoding (characters it cannot encode become &#NNNN;), charset declared as asked."""
    if article.charset_in not in ("header", "meta", "both"):
        raise ValueError(f"charset_in must be header, meta or both: {article.charset_in!r}")
    body = render_article(article, versions).encode(article.encoding, errors="xmlcharrefreplace")
    content_type = "text/html" if article.charset_in == "meta" else f"text/html; charset={article.encoding}"
    return Resource(body, content_type)
