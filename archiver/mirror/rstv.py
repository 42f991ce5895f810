"""Render an RSTV mirror (www.redstartv.org: a uCoz blog, and its news module) from data.

URLs and text follow what is seen of the real site (docs/sites.md): entries at
`/blog/SLUG/YYYY-MM-DD-ID`, `/blog/YYYY-MM-DD-ID` or `/blog/SEG/YYYY-MM-DD-ID` (`/news/…` for the
news module); the home listing `/` and `/?pageN`, `/blog/` and `/blog/?pageN`, day archives
`/blog/YYYY-M-D` (served padded and unpadded), category listings `/blog/SLUG/CAT-0-PAGE`,
`/sitemap.xml` and the feed `/blog/rss/`. Listing lines print `Date: YY/MM/DD`; entry pages print
the posting time, the title, the dateline, `[all photos]`, the language-link line, the subtitle,
the text, the details line and `Total comments: N`.

The markup of the real pages has not been seen, so it is rendered in more than one way: the uCoz
default template (`table.eBlock`, `td.eTitle`, `.eMessage`, `.eDetails`, `#pagesBlock1`) and a
"plain" template of other tags and classes (`article`, `h1`/`h2`, `p.meta`, a side box of latest
entries before the content, "Read more »" on a line of its own, one detail per `span`), and for
listings a "flat" one (title, teaser and details as siblings). Pages alternate between them. A page
may be encoded in windows-1251, its charset declared in the HTTP header, only in `<meta>`, or both.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from html import escape

from archiver.mirror.server import Resource

PER_PAGE = 5
#: Pages a uCoz pager shows on either side of the current one (a long listing's pager is cut).
PAGER_WINDOW = 3
TEASER_LENGTH = 200
TEMPLATES = ("ucoz", "plain")
LISTING_TEMPLATES = ("ucoz", "plain", "flat")
#: Category name → (slug, id) of its listing `/blog/SLUG/ID-0-PAGE`.
CATEGORIES = {
    "English": ("english", 2),
    "Coordination Committee of the DPRK ISG": ("coordination_committee", 24),
    "中国团结朝鲜社团": ("zhongguo_tuanjie_chaoxian_shetuan", 26),
    "Deutsches Regionalkomitee": ("deutsches_regionalkomitee", 27),
}
#: The language-link line's order and names.
LANGUAGE_ORDER = ("ko", "en", "ru", "zh", "ja", "de", "tg", "be", "hu")
LANGUAGE_NAMES = {
    "ko": "조선어",
    "en": "English",
    "ru": "Русский",
    "zh": "中国语",
    "ja": "日本語",
    "de": "Deutsch",
    "tg": "Тоҷикӣ",
    "be": "Беларуская",
    "hu": "Magyar",
}
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

#: One block of an entry's text: a paragraph (str), or {"heading": str}, {"ul": [str]}, {"ol": [str]}.
Block = str | dict[str, object]


@dataclass
class RstvArticle:
    """One entry (one language version of a story). Text is plain (escaped when rendered; U+00A0 → &nbsp;)."""

    entry_id: int
    published: str  # YYYY-MM-DD, as in the URL
    title: str
    blocks: list[Block]
    language: str = "en"  # the name it has in its story's language-link line
    slug: str | None = None  # None: the slug-less form /blog/YYYY-MM-DD-ID
    segment: str | None = None  # another segment instead of a slug: /blog/2023_3/2023-03-16-640
    module: str = "blog"  # or "news"
    category: str | None = "English"  # None: the listing line has no category
    time: str = "12:00"
    dateline: str | None = None  # as printed, without a year, e.g. "July 25, Beijing (RSTV)"
    subtitle: str | None = None
    photos: bool = False
    story: str | None = None  # versions of one story share this key (their language links)
    links_versions: bool = True  # False: its page prints no language line (a one-way link)
    views: int = 0
    author: str | None = "redstartvkp"
    tags: list[str] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)  # "qwerty • 06:18, 23/07/18|text"
    encoding: str = "utf-8"  # or "windows-1251"
    charset_in: str = "both"  # where the charset is declared: "header", "meta" or "both"
    listed: bool = True  # False: reachable only through its language links
    served: bool = True  # False: linked but answering 404
    listed_day: str | None = None  # the day archive that lists it (default: published)
    teaser: str | None = None  # as the listing prints it; default: made from the paragraphs
    template: str | None = None  # "ucoz" or "plain"; default: alternating by entry id

    @property
    def path(self) -> str:
        middle = self.slug or self.segment
        return f"/{self.module}/{middle + '/' if middle else ''}{self.published}-{self.entry_id}"

    @property
    def day(self) -> date:
        return date.fromisoformat(self.published)

    @property
    def listing_day(self) -> date:
        return date.fromisoformat(self.listed_day or self.published)

    @property
    def page_template(self) -> str:
        return self.template or TEMPLATES[self.entry_id % 2]

    @property
    def site_teaser(self) -> str:
        if self.teaser is not None:
            return self.teaser
        paragraphs = [b for b in self.blocks if isinstance(b, str)]
        return "\n".join(paragraphs)[:TEASER_LENGTH]


def category_pages(slug: str, number: int, module: str = "blog") -> Callable[[int], str]:
    """Page n of a category listing: `/blog/SLUG/CAT-0-n`."""
    return lambda n: f"/{module}/{slug}/{number}-0-{n}"


@dataclass
class RstvMirror:
    """The site made of `articles`. `home_modules`: the modules whose entries the home page lists
    (assumed: all of them; the real site's home page has not been seen)."""

    articles: list[RstvArticle]
    pages: dict[str, Resource] = field(default_factory=dict)
    home_modules: tuple[str, ...] = ("blog", "news")

    def build(self) -> dict[str, Resource]:
        ordered = sorted(self.articles, key=lambda a: (a.published, a.time, a.entry_id), reverse=True)
        listed = [a for a in ordered if a.listed and a.served]
        self.pages = {"/robots.txt": robots()}
        self.add_paged(
            [a for a in listed if a.module in self.home_modules], lambda n: "/" if n == 1 else f"/?page{n}", "Home"
        )
        for module in sorted({a.module for a in listed} | {"blog", "news"}):
            members = [a for a in listed if a.module == module]
            self.add_module(module, members)
        for article in ordered:
            if article.served:
                self.pages[article.path] = article_resource(article, self.versions(article))
        self.pages["/sitemap.xml"] = Resource(render_sitemap(listed).encode("utf-8"), "application/xml; charset=UTF-8")
        return self.pages

    def add_module(self, module: str, members: list[RstvArticle]) -> None:
        """A module's listing (`/news/`, `/news/?pageN`), categories, day archives and feed."""
        title = module.capitalize()
        self.add_paged(members, lambda n: f"/{module}/" if n == 1 else f"/{module}/?page{n}", title)
        for name, (slug, number) in CATEGORIES.items():
            in_category = [a for a in members if a.category == name]
            if in_category:
                self.add_paged(in_category, category_pages(slug, number, module), name)
        for day in sorted({a.listing_day for a in members}):
            on_day = [a for a in members if a.listing_day == day]
            heading = f"Entries of {day.day} {MONTHS[day.month - 1]} {day.year}"
            page = html_resource(render_listing(on_day, None, 1, heading, LISTING_TEMPLATES[day.day % 3]))
            self.pages[f"/{module}/{day.year}-{day.month}-{day.day}"] = page
            self.pages[f"/{module}/{day.isoformat()}"] = page
        feed = render_feed(members, title)
        self.pages[f"/{module}/rss/"] = Resource(feed.encode("utf-8"), "application/rss+xml; charset=UTF-8")

    def lookup(self, target: str) -> Resource | None:
        """A site callable for MirrorServer: the pages, plus an empty day archive for any other day."""
        if not self.pages:
            self.build()
        if target in self.pages:
            return self.pages[target]
        module, _, rest = target.lstrip("/").partition("/")
        parts = rest.split("-")
        if module in ("blog", "news") and len(parts) == 3 and all(p.isdigit() for p in parts):
            return html_resource(render_listing([], None, 1, "Entries", "ucoz"))
        return None

    def add_paged(self, articles: list[RstvArticle], path: Callable[[int], str], heading: str) -> None:
        chunks = [articles[i : i + PER_PAGE] for i in range(0, len(articles), PER_PAGE)] or [[]]
        for number, chunk in enumerate(chunks, start=1):
            template = LISTING_TEMPLATES[(number - 1) % 2]  # page 1 uCoz, page 2 plain, ...
            pager = (path, number, len(chunks))
            self.pages[path(number)] = html_resource(render_listing(chunk, pager, number, heading, template))

    def versions(self, article: RstvArticle) -> list[RstvArticle]:
        if not article.story or not article.links_versions:
            return []
        members = [a for a in self.articles if a.story == article.story]
        return sorted(members, key=lambda a: LANGUAGE_ORDER.index(a.language)) if len(members) > 1 else []


def text(value: str) -> str:
    """Plain text as HTML: escaped, no-break spaces written the way the site writes them."""
    return escape(value, quote=False).replace("\u00a0", "&nbsp;")


def html_resource(page: str) -> Resource:
    return Resource(page.encode("utf-8"))


def robots() -> Resource:
    body = b"User-agent: *\nDisallow: /a/\nDisallow: /stat/\nDisallow: /panel/\nDisallow: /search\n"
    return Resource(body, "text/plain")


def page(title: str, content: str, charset: str | None, template: str, side: str = "") -> str:
    meta = f'<meta http-equiv="content-type" content="text/html; charset={charset}">\n' if charset else ""
    head = f"""<html><head>
<script type="text/javascript" src="/?3hBnXs"></script>
{meta}<title>{text(title)}</title>
<link rel="alternate" type="application/rss+xml" title="Blog" href="/blog/rss/" />
</head>
"""
    menu = '<a href="/">Home</a> | <a href="/blog/">Blog</a> | <a href="/news/">News</a> | <a href="/photo/">Photo album</a>'
    if template == "ucoz":
        return f"""{head}<body style="background:#FFFFFF; margin:0px; padding:0px;">
<table cellpadding="0" cellspacing="0" border="0" width="100%" class="main_table"><tr>
<td class="header_table" colspan="2"><a href="/"><img src="/images/rstv_logo.png" border="0" alt="RSTV"></a>
<div class="menu">{menu}</div></td></tr>
<tr><td valign="top" class="content_table">
{content}
</td>
<td valign="top" width="200" class="sideBar">{side}</td></tr></table>
<div class="footer">Copyright RSTV &copy; 2026 <span class="pbL6f3lP"><a href="https://www.ucoz.com/" rel="nofollow">uCoz</a></span></div>
</body>
</html>
"""
    return f"""{head}<body>
<header class="site-header"><nav>{menu}</nav></header>
<aside class="sidebar">{side}</aside>
<main id="content">
{content}
</main>
<footer>RSTV 2026</footer>
</body>
</html>
"""


def side_box(articles: Iterable[RstvArticle]) -> str:
    """The plain template's box of latest entries: links to entries that are no listing entries."""
    links = "".join(f'<li><a href="{a.path}">{text(a.title)}</a></li>' for a in articles)
    return f'<div class="box"><h4>Latest entries</h4><ul>{links}</ul></div>'


def author_link(author: str) -> str:
    return f'<a href="javascript://" rel="nofollow" onclick="window.open(\'/index/8-1\'); return false;">{text(author)}</a>'


def category_link(name: str, module: str = "blog") -> str:
    slug, number = CATEGORIES.get(name, ("other", 99))
    return f'<a href="/{module}/{slug}/{number}-0-1">{text(name)}</a>'


def short_date(day: date) -> str:
    return day.strftime("%y/%m/%d")


def listing_details(a: RstvArticle, template: str) -> list[str]:
    parts = [f"Category: {category_link(a.category, a.module)}"] if a.category else []
    parts.append(f"Views: {a.views}")
    if a.author:
        parts.append(f"Added by: {author_link(a.author)}")
    date_html = f'<span title="{a.time}">{short_date(a.day)}</span>' if template == "ucoz" else short_date(a.day)
    parts.append(f"Date: {date_html}")
    parts.append(f'<a href="{a.path}#comments">Comments ({len(a.comments)})</a>')
    return parts


def teaser_html(a: RstvArticle) -> str:
    return "<br /><br />".join(text(part) for part in a.site_teaser.split("\n"))


def render_listing(
    articles: list[RstvArticle],
    pager: tuple[Callable[[int], str], int, int] | None,
    number: int,
    heading: str,
    template: str,
) -> str:
    if template == "ucoz":
        entries = "\n".join(
            f"""<div id="entryID{a.entry_id}"><table border="0" cellpadding="0" cellspacing="0" width="100%" class="eBlock"><tr><td style="padding:3px;">
<div class="eTitle" style="text-align:left;"><a href="{a.path}">{text(a.title)}</a></div>
<div class="eMessage" style="text-align:left;clear:both;">{teaser_html(a)}<span class="entDots"> ... </span><span class="entryReadAll"><a class="entryReadAllLink" href="{a.path}">Read more &raquo;</a></span></div>
<div class="eDetails" style="clear:both;">{" | ".join(listing_details(a, template))}</div>
</td></tr></table><br /></div>"""
            for a in articles
        )
        body = entries or '<div class="noEntry">No entries yet</div>'
        content = f'<div class="archActive">{text(heading)}</div>\n<div id="allEntries">\n{body}\n</div>'
    elif template == "plain":
        content = (
            f"<h1 class='page-title'>{text(heading)}</h1>\n<section class='posts'>\n"
            + "\n".join(
                f"""<article class="post"><h2 class="post-title"><a href="{a.path}">{text(a.title)}</a></h2>
<p class="summary">{teaser_html(a)}</p>
<p class="more"><a href="{a.path}">... Read more &raquo;</a></p>
<p class="meta"><small>{" | ".join(listing_details(a, template))}</small></p>
</article>"""
                for a in articles
            )
            + "\n</section>"
        )
    else:  # flat: title, teaser and details as siblings in one container
        content = (
            f"<div class='list'><h2>{text(heading)}</h2>\n"
            + "\n".join(
                f"""<h3><a href="{a.path}">{text(a.title)}</a></h3>
<div>{teaser_html(a)} ... <a href="{a.path}">Read more &raquo;</a></div>
<div class="info">{" | ".join(listing_details(a, template))}</div>"""
                for a in articles
            )
            + "\n</div>"
        )
    if pager is not None:
        path, number, count = pager
        if template == "ucoz":
            switches = [
                '<span class="swchItemDots"><span>...</span></span>'
                if n is None
                else f'<b class="swchItemA"><span>{n}</span></b>'
                if n == number
                else f'<a class="swchItem" href="{path(n)}" onclick="spages(\'{n}\');return false;"><span>{n}</span></a>'
                for n in pager_numbers(number, count)
            ]
            if number < count:
                switches.append(f'<a class="swchItem swchItem-next" href="{path(number + 1)}"><span>&raquo;</span></a>')
            content += f'\n<div class="catPages1" align="center" id="pagesBlock1">{" ".join(switches)}</div>'
        else:
            links = []
            if number > 1:
                links.append(f'<a rel="prev" href="{path(number - 1)}">« Newer</a>')
            if number < count:
                links.append(f'<a rel="next" href="{path(number + 1)}">Older »</a>')
            content += f'\n<nav class="pager">{" ".join(links)}</nav>'
    side = side_box(articles[:3]) if template != "ucoz" else ""
    return page(f"RSTV - {heading}", content, "UTF-8", "ucoz" if template == "ucoz" else "plain", side)


def pager_numbers(number: int, count: int) -> list[int | None]:
    """The page numbers a uCoz pager shows: all of them up to PAGER_WINDOW * 2 + 3 pages, else the
    first, the last and PAGER_WINDOW on either side of this one, None for the dots between."""
    if count <= 2 * PAGER_WINDOW + 3:
        return list(range(1, count + 1))
    shown = sorted({1, count, *range(max(1, number - PAGER_WINDOW), min(count, number + PAGER_WINDOW) + 1)})
    numbers: list[int | None] = []
    for n in shown:
        if numbers and n - (numbers[-1] or 0) > 1:
            numbers.append(None)
        numbers.append(n)
    return numbers


def render_blocks(blocks: Iterable[Block], template: str) -> str:
    out = []
    for block in blocks:
        if isinstance(block, str):
            out.append(f"{text(block)}<br /><br />" if template == "ucoz" else f"<p>{text(block)}</p>")
        elif "heading" in block:
            heading = text(str(block["heading"]))
            out.append(
                f'<div align="center"><b>&nbsp;{heading}&nbsp;</b></div><br />'
                if template == "ucoz"
                else f"<h4>{heading}</h4>"
            )
        else:
            tag = "ol" if "ol" in block else "ul"
            items = "".join(f"<li>{text(item)}</li>" for item in block[tag])  # type: ignore[attr-defined]
            out.append(f"<{tag}>{items}</{tag}>")
    return "\n".join(out)


def language_line(article: RstvArticle, versions: list[RstvArticle], template: str) -> str:
    if template == "ucoz":
        return " ".join(f'[<a href="{v.path}">{LANGUAGE_NAMES[v.language]}</a>]' for v in versions)
    # Other tags: the brackets inside the links, the page's own name not linked.
    return " ".join(
        f"[{LANGUAGE_NAMES[v.language]}]" if v is article else f'<a href="{v.path}">[{LANGUAGE_NAMES[v.language]}]</a>'
        for v in versions
    )


def comments_html(article: RstvArticle, template: str) -> str:
    rows = []
    for n, comment in enumerate(article.comments, start=1):
        head, _, body = comment.partition("|")
        rows.append(
            f'<div class="comEnt"><img alt="avatar" src="/avatar.png"><br />avatar<br />'
            f"<b>{n}</b> {text(head)}<br /><div class='cMessage'>{text(body)}</div></div>"
        )
    count = len(article.comments)
    if template == "ucoz":
        return f"""<table border="0" cellpadding="0" cellspacing="0" width="100%">
<tr><td width="60%" height="25">Total comments: <b>{count}</b></td><td align="right" height="25"></td></tr>
<tr><td colspan="2"><div id="myGrid">{"".join(rows)}</div></td></tr>
</table>"""
    return f'<section id="comments"><h4>Total comments: {count}</h4>{"".join(rows)}</section>'


def render_article(article: RstvArticle, versions: list[RstvArticle]) -> str:
    template = article.page_template
    ucoz = template == "ucoz"
    head = []
    if article.dateline:
        pad = "&nbsp; &nbsp;" if ucoz else "&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;"
        dateline = f"{pad}{text(article.dateline)}{pad}"
        head.append(f'<div align="center">{dateline}</div><br />' if ucoz else f'<p class="dateline">{dateline}</p>')
    if article.photos:
        head.append(
            f'<div align="center"><a href="/photo/{article.entry_id}" target="_blank">[all photos]</a></div><br />'
            if ucoz
            else f'<p class="album"><a href="/photo/{article.entry_id}">[Photo album]</a></p>'
        )
    if versions:
        line = language_line(article, versions, template)
        head.append(f'<div align="center">{line}</div><br />' if ucoz else f'<p class="languages">{line}</p>')
    if article.subtitle:
        head.append(
            f'<div align="center"><b>— {text(article.subtitle)} —</b></div><br />'
            if ucoz
            else f'<h3 class="subtitle">— {text(article.subtitle)} —</h3>'
        )
    details = []
    if ucoz:
        details.append(
            f"Category: {category_link(article.category, article.module)}" if article.category else "Category: "
        )
        details.append(f"Views: {article.views}")
        details.append(f"Added by: {author_link(article.author)}" if article.author else "")
        if article.tags:
            tags = ", ".join(
                f'<a href="/search/{escape(t.replace(" ", "%20"))}/" rel="nofollow" class="eTag">{text(t)}</a>'
                for t in article.tags
            )
            details.append(f"Tags: <noindex>{tags}</noindex>")
        elif not article.author:
            details.append("")
    else:
        if article.category:
            details.append(f"<span>Category: {category_link(article.category, article.module)}</span>")
        details.append(f"<span>Views: {article.views}</span>")
        if article.author:
            details.append(f"<span>Added by: {text(article.author)}</span>")
        if article.tags:
            details.append(f"<span>Tags: {text(', '.join(article.tags))}</span>")
    day = article.day
    title = f"{article.title} - {day.day} {MONTHS[day.month - 1]} {day.year} - Blog - RSTV"
    if ucoz:
        content = f"""<table border="0" width="100%" cellspacing="1" cellpadding="2" class="eBlock">
<tr><td class="eTitle"><div style="float:right;font-size:9px;">{article.time}</div>{text(article.title)}</td></tr>
<tr><td class="eMessage"><div id="nativeroll_video_cont" style="display:none;"></div>
{chr(10).join(head)}
{render_blocks(article.blocks, template)}
</td></tr>
<tr><td class="eDetails">{" | ".join(details)}</td></tr>
</table>
{comments_html(article, template)}"""
        side = ""
    else:
        content = f"""<article class="entry">
<header><span class="posted">{article.time}</span> <h1>{text(article.title)}</h1></header>
<div class="entry-body">
{chr(10).join(head)}
{render_blocks(article.blocks, template)}
</div>
<footer class="entry-meta">{" | ".join(details)}</footer>
</article>
{comments_html(article, template)}"""
        side = side_box(versions[:2])
    charset = None if article.charset_in == "header" else article.encoding
    return page(title, content, charset, template, side)


def article_resource(article: RstvArticle, versions: list[RstvArticle]) -> Resource:
    """The page in its encoding (characters it cannot encode become &#NNNN;), charset declared as asked."""
    if article.charset_in not in ("header", "meta", "both"):
        raise ValueError(f"charset_in must be header, meta or both: {article.charset_in!r}")
    body = render_article(article, versions).encode(article.encoding, errors="xmlcharrefreplace")
    content_type = "text/html" if article.charset_in == "meta" else f"text/html; charset={article.encoding}"
    return Resource(body, content_type)


def render_sitemap(articles: Iterable[RstvArticle]) -> str:
    urls = ["<url><loc>http://www.redstartv.org/</loc></url>", "<url><loc>http://www.redstartv.org/blog/</loc></url>"]
    urls += [
        f"<url><loc>http://www.redstartv.org{a.path}</loc><lastmod>{a.published}</lastmod></url>" for a in articles
    ]
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        + "\n".join(urls)
        + "\n</urlset>\n"
    )


def render_feed(articles: Iterable[RstvArticle], title: str = "Blog") -> str:
    items = []
    for a in articles:
        day = a.day
        hour, minute = a.time.split(":")
        pub = f"{day.strftime('%a')}, {day.day:02d} {day.strftime('%b')} {day.year} {hour}:{minute}:00 +0300"
        items.append(
            f"""<item>
<title>{text(a.title)}</title>
<description><![CDATA[{a.site_teaser.replace(chr(10), " ")}]]></description>
<link>http://www.redstartv.org{a.path}</link>
{f"<category>{text(a.category)}</category>" if a.category else ""}
<guid>http://www.redstartv.org{a.path}</guid>
<pubDate>{pub}</pubDate>
</item>"""
        )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>RSTV - {title}</title><link>http://www.redstartv.org/{title.lower()}/</link>
{chr(10).join(items)}
</channel></rss>
"""
