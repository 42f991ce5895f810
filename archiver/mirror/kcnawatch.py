"""Render a KCNA Watch mirror from data, in the shapes the real kcnawatch.org has been seen in.

What is seen (shared/sites/README.md §2) is rendered as seen: source listings at `/article/ID/`
(`div#latest_article_wrapper > div.article-desc`, `h4 > a`, `p.articled-date` with a leading space,
sometimes inside a `span`, sometimes an `img alt` for the title), no page links but a "load more"
request (`/wp-admin/admin-ajax.php?action=get_cat_by_source&die=true&from=N&to=10&sort=&id=SOURCE_ID`,
an HTML fragment, empty past the end), the feed `/newstream/feed/` (links with `utm_*` parameters),
article bodies in `div.article-content`, the meta line `Date: DD/MM/YYYY | Source: NAME | Read original
version at source` as text, "More From NAME" with 20 entries (teaser twice, the date, "More Articles").

What is assumed is rendered in two ways (`rendering="a"` or `"b"`; `"mixed"` alternates per
article): the title's markup, the meta line's tags, the signature line, the "More From" block, the
`/newstream/` page and where a listing names its source id (`#more_results[data-id]` or a script).
A spider that anchors on text and URL patterns gives the same rows from both. Rendering `"c"` is
the harder third way: the masthead's `h1.site-title` the only heading (the title in `<title>` or
a JSON-LD headline), `/newstream/` naming no source (sources are linked from article pages and
"More From" blocks only), "More From" ending in "View all", and each listing's "load more" id in
another form (`ID_FORMS`: a script object or variable, a `data-source` attribute, a form field, the
request's URL in a `data-url`, or nowhere: the date search `/?s=&source=ID&start=…&end=…` answers
for every source, ten entries at most, like the "load more" fragment).

`KcnaWatchMirror(articles)` is a site for `MirrorServer`: call it with a request target (lazy, for
the benchmark's tens of thousands of articles) or `build()` every page into a dict.
"""

from __future__ import annotations

import json
import re
import unicodedata
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from email.utils import format_datetime
from html import escape
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

from archiver.mirror.server import Resource

#: Entries on a source listing page and in each "load more" fragment (the request's `to=10`).
PER_PAGE = 10
MORE_FROM = 20
FEED_ITEMS = 20
NEWSTREAM_ITEMS = 20
TEASER_LENGTH = 130
AJAX_PATH = "/wp-admin/admin-ajax.php"
RENDERINGS = ("a", "b", "c")
#: Where rendering "c" prints a listing's "load more" id, by listing id (others: by listing id's rest).
ID_FORMS = ("script-object", "script-variable", "attribute", "form", "url", "none")
C_ID_FORMS = {163: "none", 177: "script-object", 150: "attribute", 151: "script-variable"}
#: The site's days are Pyongyang days (UTC+9): listing and article dates name them.
PYONGYANG = timezone(timedelta(hours=9))

#: Source slug → (listing id of /article/ID/, source id of the "load more" request).
KNOWN_SOURCES: dict[str, tuple[int, int]] = {
    "kass-en": (163, 189661),
    "naenara-en": (177, 190036),
    "kcna-en": (150, 189500),
    "rodong-en": (151, 189510),
}


def source_ids(slug: str) -> tuple[int, int]:
    """The listing and source ids of a source slug (made up, stably, for slugs not in KNOWN_SOURCES)."""
    if slug in KNOWN_SOURCES:
        return KNOWN_SOURCES[slug]
    n = zlib.crc32(slug.encode()) % 800
    return 200 + n, 191000 + n


@dataclass
class SampleArticle:
    """One article of a mirror; None for `title` or `show_date=False` reproduce the site's gaps."""

    epoch: int
    post_id: int
    slug: str
    source_slug: str
    source_name: str
    paragraphs: list[str]
    title: str | None = ""
    signature: str | None = None
    original_url: str | None = None
    show_date: bool = True
    teaser: str | None = None  # as the site prints it; default: made from the paragraphs
    extra_html: str = ""  # markup inserted before the paragraphs (broken HTML for the robustness tests)
    listing_title: str | None = None  # the title listings print; default: the heading

    @property
    def path(self) -> str:
        """The canonical path (a Korean slug percent-encoded, upper case), as a crawler requests it."""
        return f"/newstream/{self.epoch}-{self.post_id}/{quote(unicodedata.normalize('NFC', self.slug))}/"

    def link(self, spelling: int = 0) -> str:
        """The path as a page links it: a Korean slug raw (0), in lower-case escapes (1), canonical (2)."""
        if self.slug.isascii() or spelling == 2:
            return self.path
        if spelling == 1:
            return re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), self.path)
        return f"/newstream/{self.epoch}-{self.post_id}/{self.slug}/"

    @property
    def published(self) -> datetime:
        return datetime.fromtimestamp(self.epoch, tz=UTC)

    @property
    def day(self) -> date:
        """The site's day of the article: its publication time in Pyongyang."""
        return datetime.fromtimestamp(self.epoch, tz=PYONGYANG).date()

    @property
    def heading(self) -> str:
        if self.listing_title:
            return self.listing_title
        return self.title if self.title else self.slug.replace("-", " ").capitalize()

    @property
    def site_teaser(self) -> str:
        return self.teaser if self.teaser is not None else "".join(self.paragraphs)[:TEASER_LENGTH]

    @property
    def listing_id(self) -> int:
        return source_ids(self.source_slug)[0]

    @property
    def source_id(self) -> int:
        return source_ids(self.source_slug)[1]


def fragment_target(source_id: int, start: int) -> str:
    """The "load more" request target, its query sorted as a canonicalizing crawler sends it."""
    query = {"action": "get_cat_by_source", "die": "true", "from": str(start), "id": str(source_id), "sort": ""}
    query["to"] = str(PER_PAGE)
    return f"{AJAX_PATH}?{urlencode(sorted(query.items()))}"


class KcnaWatchMirror:
    """A KCNA Watch site made of `articles`: call it with a request target, or `build()` it whole."""

    def __init__(
        self,
        articles: Iterable[SampleArticle],
        host: str = "https://kcnawatch.org",
        rendering: str = "a",
        *,
        id_forms: dict[int, str] | None = None,
    ):
        if rendering not in (*RENDERINGS, "mixed"):
            raise ValueError(f"rendering must be one of {RENDERINGS} or 'mixed', not {rendering!r}")
        self.host = host
        self.rendering = rendering
        #: Listing id → where rendering "c" prints its "load more" id (one of ID_FORMS).
        self.id_forms = {**C_ID_FORMS, **(id_forms or {})}
        self.ordered = self.newest_first(articles)
        self.by_path = {a.path: a for a in self.ordered}
        self.by_source: dict[str, list[SampleArticle]] = {}
        for article in self.ordered:
            self.by_source.setdefault(article.source_slug, []).append(article)
        self.by_listing_id = {source_ids(slug)[0]: slug for slug in self.by_source}
        self.by_source_id = {source_ids(slug)[1]: slug for slug in self.by_source}

    @staticmethod
    def newest_first(articles: Iterable[SampleArticle]) -> list[SampleArticle]:
        return sorted(articles, key=lambda a: (a.epoch, a.post_id), reverse=True)

    def style_of(self, article: SampleArticle | None = None) -> str:
        if self.rendering != "mixed":
            return self.rendering
        return RENDERINGS[article.post_id % 2] if article is not None else "a"

    # The site as a MirrorServer callable ---------------------------------------------------
    def __call__(self, target: str) -> Resource | None:
        parts = urlsplit(target)
        path, query = parts.path, dict(parse_qsl(parts.query, keep_blank_values=True))
        if path == "/robots.txt":
            return robots()
        if path == "/newstream/feed/" and not query:
            return Resource(self.feed().encode("utf-8"), "application/rss+xml; charset=UTF-8")
        if path == "/newstream/" and not query:
            return html_resource(self.newstream())
        if path == AJAX_PATH:
            return self._fragment(query)
        if path == "/" and "s" in query:
            return self._search(query)
        article = self.by_path.get(path) or self.by_path.get(quote(unicodedata.normalize("NFC", unquote(path))))
        if article is not None and not query:
            return html_resource(self.article_page(article))
        if path.startswith("/article/") and not query:
            number = path.removeprefix("/article/").strip("/")
            if number.isdigit() and int(number) in self.by_listing_id:
                return html_resource(self.source_listing(self.by_listing_id[int(number)]))
        return None

    def _fragment(self, query: dict[str, str]) -> Resource | None:
        if query.get("action") != "get_cat_by_source":
            return None
        try:
            source_id, start, count = int(query.get("id", "")), int(query.get("from", "")), int(query.get("to", ""))
        except ValueError:
            return html_resource("0")  # WordPress answers a bad admin-ajax call with "0"
        slug = self.by_source_id.get(source_id)
        listed = self.by_source.get(slug, []) if slug else []
        return html_resource(render_entries(listed[start : start + count], self.style_of()))

    def _search(self, query: dict[str, str]) -> Resource | None:
        """The date search of one source (`source=` its listing id), ten entries at most, newest first."""
        try:
            start, end = (datetime.strptime(query[k], "%d-%m-%Y").date() for k in ("start", "end"))
            slug = self.by_listing_id.get(int(query.get("source", "")))
        except (KeyError, ValueError):
            return html_resource(page("Search results", "<p>Nothing found.</p>", "search"))
        found = [a for a in self.by_source.get(slug or "", []) if start <= a.day <= end][:PER_PAGE]
        items = "\n".join(
            f"""<div class="article-desc">
  <h4><a href="{a.path}">{escape(a.heading, quote=False)}</a></h4>
  <p class="articled-date"><span> {a.day:%b %d, %Y}</span></p>
</div>"""
            for a in found
        )
        main = f'<div class="container">\n<h1 class="page-title">Search results</h1>\n<div id="latest_article_wrapper">\n{items}\n</div>\n</div>'
        return html_resource(page("Search results", main, "search search-results"))

    def build(self) -> dict[str, Resource]:
        """Every page of the site, by request target (fragments up to the first empty one)."""
        targets = ["/robots.txt", "/newstream/", "/newstream/feed/", *self.by_path]
        for slug, listed in self.by_source.items():
            listing_id, source_id = source_ids(slug)
            targets.append(f"/article/{listing_id}/")
            targets += [fragment_target(source_id, start) for start in range(0, len(listed) + PER_PAGE, PER_PAGE)]
        pages = {}
        for target in targets:
            resource = self(target)
            if resource is not None:
                pages[target] = resource
        return pages

    # Pages ---------------------------------------------------------------------------------
    def source_listing(self, slug: str) -> str:
        listed = self.by_source[slug]
        name = listed[0].source_name
        source_id = source_ids(slug)[1]
        style = self.style_of()
        entries = render_entries(listed[:PER_PAGE], style)
        if style == "c":
            more = load_more_c(self.id_forms.get(source_ids(slug)[0], "none"), source_id, name)
        elif style == "a":
            more = (
                f'<div class="text-center"><button id="more_results" class="btn btn-more" data-id="{source_id}">'
                "Load More</button></div>\n"
                '<script>var kw_ajax = {"url": "/wp-admin/admin-ajax.php", "action": "get_cat_by_source"};</script>'
            )
        else:
            more = (
                '<p class="load-more-wrap"><a href="#" id="more_results" class="load-more">Load more</a></p>\n'
                f'<script>var kw_more = {{"action": "get_cat_by_source", "id": "{source_id}", "to": 10}};</script>'
            )
        main = f"""<div class="container">
<h1 class="page-title">{escape(name)}</h1>
<div id="latest_article_wrapper">
{entries}
</div>
{more}
</div>"""
        return page(name, main, "page-template page-template-source", og_title=name, masthead=style == "c")

    def newstream(self) -> str:
        """The `/newstream/` page: the newest entries of every source (its paging is unknown: none here)."""
        latest = self.ordered[:NEWSTREAM_ITEMS]
        if self.style_of() == "c":  # no source named: sources are linked from article pages only
            items = "\n".join(
                f'  <li><a href="{a.path}">{escape(a.heading, quote=False)}</a> <em>{listing_date(a.day)}</em></li>'
                for a in latest
            )
            body = f'<ol class="latest">\n{items}\n</ol>'
        elif self.style_of() == "a":
            items = "\n".join(
                f"""<div class="article-desc">
  <h4><a href="{a.path}">{escape(a.heading, quote=False)}</a></h4>
  <p class="articled-date"><span>{listing_date(a.day)}</span></p>
  <p class="article-source"><a href="/article/{a.listing_id}/">{escape(a.source_name)}</a></p>
</div>"""
                for a in latest
            )
            body = f'<div class="newstream-wrapper">\n{items}\n</div>'
        else:
            items = "\n".join(
                f"""  <li class="stream-item"><a class="stream-link" href="{self.host}{a.path}">{escape(a.heading, quote=False)}</a>
    <small>{listing_date(a.day)} &middot; <a href="{self.host}/article/{a.listing_id}/">{escape(a.source_name)}</a></small></li>"""
                for a in latest
            )
            body = f'<ul class="stream">\n{items}\n</ul>'
        main = f'<div class="container">\n<h1 class="page-title">Newstream</h1>\n{body}\n</div>'
        return page(
            "Newstream",
            main,
            "archive post-type-archive-newstream",
            og_title="Newstream",
            masthead=self.style_of() == "c",
        )

    def article_page(self, article: SampleArticle) -> str:
        style = self.style_of(article)
        latest = self.by_source[article.source_slug][:MORE_FROM]
        main = f"""<div class="container"><div class="row">
<div class="col-md-8">
<article id="post-{article.post_id}" class="newstream type-newstream status-publish">
{render_header(article, style)}
  <div class="article-content">
{article.extra_html}{render_body(article, style)}
  </div>
</article>
</div>
<div class="col-md-4">
{render_popular(self.ordered[-3:])}
{render_more_from(article, latest, style)}
</div>
</div></div>"""
        title = article.title or None
        body_class = f"newstream-template-default single single-newstream postid-{article.post_id}"
        if style == "c":
            # No heading of its own: the masthead's h1 is the site's name; the title is in <title>
            # (every other article) or in a JSON-LD headline only.
            in_title = article.post_id % 2 == 0
            ld = (
                ""
                if in_title or not title
                else '<script type="application/ld+json">{"@context": "https://schema.org", "@type": "NewsArticle", '
                f'"headline": {json.dumps(title, ensure_ascii=False)}}}</script>\n'
            )
            return page(title if in_title else None, main, body_class, masthead=True, head_extra=ld, separator=" | ")
        return page(title, main, body_class, og_title=title)

    def feed(self) -> str:
        items = "\n".join(
            f"""<item>
	<title>{escape(a.heading, quote=False)}</title>
	<link>{self.host}{a.path}?utm_source=rss&amp;utm_medium=feed</link>
	<dc:creator><![CDATA[KCNA Watch]]></dc:creator>
	<pubDate>{format_datetime(a.published)}</pubDate>
	<category><![CDATA[{a.source_name}]]></category>
	<guid isPermaLink="false">{self.host}/?p={a.post_id}</guid>
	<description><![CDATA[{a.site_teaser}]]></description>
</item>"""
            for a in self.ordered[:FEED_ITEMS]
        )
        return f"""<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"
	xmlns:content="http://purl.org/rss/1.0/modules/content/"
	xmlns:dc="http://purl.org/dc/elements/1.1/"
	xmlns:atom="http://www.w3.org/2005/Atom">
<channel>
	<title>KCNA Watch</title>
	<atom:link href="{self.host}/newstream/feed/" rel="self" type="application/rss+xml" />
	<link>{self.host}/newstream/</link>
	<description>DPRK News &amp; Media</description>
	<language>en-US</language>
{items}
</channel>
</rss>
"""


def html_resource(text: str) -> Resource:
    return Resource(text.encode("utf-8"))


def robots() -> Resource:
    return Resource(b"User-agent: *\nDisallow:\n", "text/plain; charset=UTF-8")


def listing_date(day: date) -> str:
    return day.strftime("%B %d, %Y")


def render_entries(articles: list[SampleArticle], style: str) -> str:
    """`div.article-desc` entries of a source listing or a "load more" fragment, as seen: the title
    as link text (an `img alt` for every seventh), the date with a leading space, in a `span` or not."""
    rendered = []
    for a in articles:
        title = escape(a.heading, quote=False)
        if a.post_id % 7 == 3:
            title = f'<img src="/wp-content/uploads/{a.epoch}.jpg" alt="{escape(a.heading)}">'
        day = f" {listing_date(a.day)}"
        if a.post_id % 2:
            day = f"<span>{day}</span>"
        rendered.append(
            f"""<div class="article-desc">
  <h4><a href="{a.link(1)}">{title}</a></h4>
  <p class="articled-date">{day}</p>
</div>"""
        )
    return "\n".join(rendered)


def load_more_c(form: str, source_id: int, name: str) -> str:
    """The load-more control of rendering "c", its source id in `form` (one of ID_FORMS)."""
    button = '<button id="more_results" class="btn btn-more">Load more</button>'
    if form == "script-object":
        return f'{button}\n<script>var kw_source = {{"id": {source_id}, "from": 10}};</script>'
    if form == "script-variable":
        return f"{button}\n<script>\n  window.kwSourceId = '{source_id}';\n  var kwPage = 1;\n</script>"
    if form == "attribute":
        return f'<div class="load-more-wrap" data-source="{source_id}">{button}</div>'
    if form == "form":
        return (
            f'<form class="more-form" method="post" action="/wp-admin/admin-ajax.php">'
            f'<input type="hidden" name="source" value="{source_id}">{button}</form>'
        )
    if form == "url":
        target = fragment_target(source_id, 10).replace("&", "&amp;")
        return f'<div class="more" data-url="{target}">{button}</div>'
    return button  # none: nowhere on the page


def render_header(article: SampleArticle, style: str) -> str:
    """The title and the meta line: (a) `h1.entry-title` and one `div.article-meta`; (b) an `h2`
    and the labels in list items."""
    source = f'<a href="/article/{article.listing_id}/">{escape(article.source_name)}</a>'
    original = (
        f'<a href="{escape(article.original_url)}" target="_blank" rel="nofollow noopener">'
        "Read original version at source</a>"
        if article.original_url
        else None
    )
    day = article.day.strftime("%d/%m/%Y")
    if style in ("a", "c"):
        title = f'    <h1 class="entry-title">{escape(article.title, quote=False)}</h1>\n' if article.title else ""
        title = "" if style == "c" else title
        parts = (
            ([f"Date: {day} "] if article.show_date else []) + [f"Source: {source}"] + ([original] if original else [])
        )
        return f'  <header class="entry-header">\n{title}    <div class="article-meta">{" | ".join(parts)}</div>\n  </header>'
    title = (
        f'  <div class="headline"><h2 class="post-title">{escape(article.title, quote=False)}</h2></div>\n'
        if article.title
        else ""
    )
    items = ([f"<li><strong>Date:</strong> {day}</li>"] if article.show_date else []) + [
        f"<li><strong>Source:</strong> {source}</li>"
    ]
    if original:
        items.append(f"<li>{original}</li>")
    joined = "\n    ".join(items)
    return f'{title}  <ul class="post-meta">\n    {joined}\n  </ul>'


def render_body(article: SampleArticle, style: str) -> str:
    """The paragraphs, then the agency's signature: (a) a plain last `<p>`; (b) right-aligned, bold."""
    body = "\n".join(f"    <p>{escape(p, quote=False)}</p>" for p in article.paragraphs)
    if article.signature:
        signature = escape(article.signature, quote=False)
        if style == "a":
            body += f"\n    <p>{signature}</p>"
        else:
            body += f'\n    <p style="text-align: right;"><strong>{signature}</strong></p>'
    return body


def render_popular(articles: list[SampleArticle]) -> str:
    items = "\n".join(f'    <li><a href="{a.path}">{escape(a.heading, quote=False)}</a></li>' for a in articles)
    return f'<div class="widget widget-popular">\n  <h2 class="widget-title">Popular</h2>\n  <ul>\n{items}\n  </ul>\n</div>'


def render_more_from(article: SampleArticle, latest: list[SampleArticle], style: str) -> str:
    """ "More From NAME": (a) `div.more-from`, `h3`, `div.article-desc` entries (the teaser in the link
    and again below it); (b) a `section`, an `h2`, list items with a `time`."""
    name = escape(article.source_name)
    more = f'<a href="/article/{article.listing_id}/">More Articles</a>'
    if style == "c":
        entries = "\n".join(
            f'    <li><a href="{a.link(2)}">{escape(a.site_teaser, quote=False)}</a> <small>{listing_date(a.day)}</small></li>'
            for a in latest
        )
        return (
            f'<aside class="more-block">\n  <h4>More From {name}</h4>\n  <ul>\n{entries}\n  </ul>\n'
            f'  <a class="view-all" href="/article/{article.listing_id}/">View all &raquo;</a>\n</aside>'
        )
    if style == "a":
        entries = "\n".join(
            f"""  <div class="article-desc">
    <a href="{a.link(0)}"><p>{escape(a.site_teaser, quote=False)}</p></a>
    <p class="articled-date"><span>{listing_date(a.day)}</span></p>
    <p>{escape(a.site_teaser, quote=False)}</p>
  </div>"""
            for a in latest
        )
        return f'<div class="more-from">\n  <h3>More From {name}</h3>\n{entries}\n  {more}\n</div>'
    entries = "\n".join(
        f"""    <li class="related">
      <a class="thumb" href="{a.link(0)}"><img src="/wp-content/uploads/{a.epoch}.jpg" alt=""></a>
      <div class="related-text"><a href="{a.link(1)}">{escape(a.site_teaser, quote=False)}</a>
      <time>{listing_date(a.day)}</time>
      <span class="excerpt">{escape(a.site_teaser, quote=False)}</span></div>
    </li>"""
        for a in latest
    )
    return f'<section class="sidebar-block">\n  <h2 class="block-title">More From {name}</h2>\n  <ul>\n{entries}\n  </ul>\n  <p>{more}</p>\n</section>'


def page(
    title: str | None,
    main: str,
    body_class: str,
    *,
    og_title: str | None = None,
    masthead: bool = False,
    head_extra: str = "",
    separator: str = " - ",
) -> str:
    head_title = f"{escape(title)}{separator}KCNA Watch" if title else "KCNA Watch"
    og = f'<meta property="og:title" content="{escape(og_title)}">\n' if og_title else ""
    og += head_extra
    site_title = '  <h1 class="site-title"><a href="/" rel="home">KCNA Watch</a></h1>\n' if masthead else ""
    return f"""<!DOCTYPE html>
<html lang="en-US">
<head>
<meta charset="UTF-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{head_title}</title>
<meta property="og:site_name" content="KCNA Watch">
{og}<link rel="alternate" type="application/rss+xml" title="KCNA Watch &raquo; Feed" href="/newstream/feed/">
<link rel="stylesheet" href="/wp-content/themes/kcnawatch/style.css?ver=5.2">
</head>
<body class="{body_class}">
<div id="page" class="site">
<header class="site-header">
{site_title}  <a class="site-logo" href="/"><img src="/wp-content/themes/kcnawatch/img/logo.svg" alt="KCNA Watch"></a>
  <nav class="main-navigation"><ul class="menu">
    <li class="menu-item"><a href="/newstream/">Newstream</a></li>
    <li class="menu-item"><a href="/kctv-archive/">KCTV Archive</a></li>
    <li class="menu-item"><a href="/about/">About</a></li>
  </ul></nav>
  <form class="search-form" action="/" method="get"><input type="search" name="s" placeholder="Search"></form>
</header>
<main id="main" class="site-main">
{main}
</main>
<footer class="site-footer"><div class="container"><p>&copy; KCNA Watch. All rights reserved.</p>
<a href="/terms/">Terms</a> <a href="/privacy/">Privacy</a></div></footer>
</div>
<script src="/wp-includes/js/jquery/jquery.min.js"></script>
<script src="/wp-content/themes/kcnawatch/js/load-more.js"></script>
</body>
</html>
"""
