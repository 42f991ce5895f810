"""The OLD, IMAGINED KCNA Watch markup (a frozen copy of the first archiver/mirror/kcnawatch.py).

The real site does not look like this; `archiver check` must fail on it (issue 16). Renders a mirror (newstream, source listings, articles with "More From", feed) from data.

The markup follows the real site (WordPress): listings of 20 entries newest first, article pages
whose "More From <source>" block lists the source's latest 20 items with the teaser printed twice,
teasers made the site's way (paragraphs glued with no separator, cut at 130 characters).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from html import escape

from archiver.mirror.server import Resource

PER_PAGE = 20
MORE_FROM = 20
TEASER_LENGTH = 130


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
    extra_html: str = ""

    @property
    def path(self) -> str:
        return f"/newstream/{self.epoch}-{self.post_id}/{self.slug}/"

    @property
    def published(self) -> datetime:
        return datetime.fromtimestamp(self.epoch, tz=UTC)

    @property
    def heading(self) -> str:
        return self.title if self.title else self.slug.replace("-", " ").capitalize()

    @property
    def site_teaser(self) -> str:
        return self.teaser if self.teaser is not None else "".join(self.paragraphs)[:TEASER_LENGTH]


@dataclass
class KcnaWatchMirror:
    articles: list[SampleArticle]
    host: str = "https://kcnawatch.org"
    pages: dict[str, Resource] = field(default_factory=dict)

    def newest_first(self, articles: Iterable[SampleArticle]) -> list[SampleArticle]:
        return sorted(articles, key=lambda a: (a.epoch, a.post_id), reverse=True)

    def build(self) -> dict[str, Resource]:
        self.pages = {"/robots.txt": robots()}
        ordered = self.newest_first(self.articles)
        self._listing("/newstream/", "Newstream", ordered)
        sources = {a.source_slug: a.source_name for a in ordered}
        for slug, name in sources.items():
            self._listing(f"/newstream/source/{slug}/", name, [a for a in ordered if a.source_slug == slug])
        for article in ordered:
            latest = [a for a in ordered if a.source_slug == article.source_slug][:MORE_FROM]
            self.pages[article.path] = html_resource(render_article(article, latest))
        self.pages["/newstream/feed/"] = Resource(
            render_feed(ordered[:PER_PAGE], self.host).encode(), "application/rss+xml; charset=UTF-8"
        )
        return self.pages

    def _listing(self, root: str, heading: str, articles: list[SampleArticle]) -> None:
        chunks = [articles[i : i + PER_PAGE] for i in range(0, len(articles), PER_PAGE)] or [[]]
        for number, chunk in enumerate(chunks, start=1):
            path = root if number == 1 else f"{root}page/{number}/"
            self.pages[path] = html_resource(render_listing(root, heading, chunk, number, len(chunks)))


def html_resource(text: str) -> Resource:
    return Resource(text.encode("utf-8"))


def robots() -> Resource:
    return Resource(b"User-agent: *\nDisallow: /wp-admin/\nAllow: /\n", "text/plain")


def listing_date(when: datetime) -> str:
    return when.strftime("%B %d, %Y")


def page(title: str, main: str, body_class: str) -> str:
    return f"""<!DOCTYPE html>
<html lang="en-US">
<head>
<meta charset="UTF-8">
<title>{escape(title)} - KCNA Watch</title>
<link rel="alternate" type="application/rss+xml" title="KCNA Watch &raquo; Feed" href="/newstream/feed/">
</head>
<body class="{body_class}">
<div id="page" class="site">
<header class="site-header">
  <a class="site-logo" href="/"><img src="/wp-content/themes/kcnawatch/img/logo.svg" alt="KCNA Watch"></a>
  <nav class="main-navigation"><ul class="menu">
    <li class="menu-item"><a href="/newstream/">Newstream</a></li>
    <li class="menu-item"><a href="/kctv-archive/">KCTV Archive</a></li>
  </ul></nav>
</header>
<main id="main" class="site-main">
{main}
</main>
<footer class="site-footer"><p>&copy; KCNA Watch. All rights reserved.</p><a href="/terms/">Terms</a></footer>
</div>
</body>
</html>
"""


def render_listing(root: str, heading: str, articles: list[SampleArticle], number: int, count: int) -> str:
    entries = "\n".join(
        f"""  <article class="newstream-item">
    <h2 class="newstream-item-title"><a href="{a.path}">{escape(a.heading, quote=False)}</a></h2>
    <div class="newstream-item-meta"><span class="newstream-item-date">{listing_date(a.published)}</span> | <span class="newstream-item-source">{escape(a.source_name)}</span></div>
    <p class="newstream-item-excerpt">{escape(a.site_teaser, quote=False)}</p>
  </article>"""
        for a in articles
    )

    def href(n: int) -> str:
        return root if n == 1 else f"{root}page/{n}/"

    links = []
    if number > 1:
        links.append(f'<a class="prev page-numbers" href="{href(number - 1)}">&laquo; Previous</a>')
    for n in range(1, count + 1):
        if n == number:
            links.append(f'<span aria-current="page" class="page-numbers current">{n}</span>')
        else:
            links.append(f'<a class="page-numbers" href="{href(n)}">{n}</a>')
    if number < count:
        links.append(f'<a class="next page-numbers" href="{href(number + 1)}">Next &raquo;</a>')
    main = f"""<div class="container">
<h1 class="page-title">{escape(heading)}</h1>
<div class="newstream-list">
{entries}
</div>
<nav class="navigation pagination" role="navigation"><div class="nav-links">
{" ".join(links)}
</div></nav>
</div>"""
    return page(heading, main, "archive post-type-archive-newstream")


def render_article(article: SampleArticle, more_from: list[SampleArticle]) -> str:
    meta = []
    if article.show_date:
        meta.append(f'<span class="article-date">Date: {article.published.strftime("%d/%m/%Y")}</span>')
    meta.append(
        f'<span class="article-source">Source: <a href="/newstream/source/{article.source_slug}/">'
        f"{escape(article.source_name)}</a></span>"
    )
    if article.original_url:
        meta.append(
            f'<a class="article-original" href="{escape(article.original_url)}" target="_blank" '
            'rel="nofollow noopener">Read original version at source</a>'
        )
    title = f'    <h1 class="article-title">{escape(article.title, quote=False)}</h1>\n' if article.title else ""
    paragraphs = "\n".join(f"    <p>{escape(p, quote=False)}</p>" for p in article.paragraphs)
    if article.signature:
        paragraphs += f'\n    <p class="article-signature">{escape(article.signature)}</p>'
    items = "\n".join(
        f"""    <li class="more-from-item">
      <a class="more-from-link" href="{a.path}">
        <div class="more-from-thumb" style="background-image:url('/wp-content/uploads/{a.epoch}.jpg')"></div>
        <p class="more-from-teaser">{escape(a.site_teaser, quote=False)}</p>
      </a>
      <time class="more-from-date">{listing_date(a.published)}</time>
      <p class="more-from-excerpt">{escape(a.site_teaser, quote=False)}</p>
    </li>"""
        for a in more_from
    )
    main = f"""<div class="container"><div class="row">
<div class="col-md-8">
<article id="post-{article.post_id}" class="newstream type-newstream status-publish">
  <header class="article-header">
{title}    <div class="article-meta">
      {" | ".join(meta)}
    </div>
  </header>
  <div class="article-content">
{paragraphs}
  </div>
</article>{article.extra_html}
</div>
<div class="col-md-4">
<aside class="more-from">
  <h3 class="more-from-title">More From {escape(article.source_name)}</h3>
  <ul class="more-from-list">
{items}
  </ul>
  <a class="more-articles" href="/newstream/source/{article.source_slug}/">More Articles</a>
</aside>
</div>
</div></div>"""
    return page(article.heading, main, f"single single-newstream postid-{article.post_id}")


def render_feed(articles: list[SampleArticle], host: str) -> str:
    items = "\n".join(
        f"""  <item>
    <title>{escape(a.heading)}</title>
    <link>{host}{a.path}</link>
    <guid isPermaLink="false">{host}/?p={a.post_id}</guid>
    <pubDate>{format_datetime(a.published)}</pubDate>
    <category><![CDATA[{a.source_name}]]></category>
    <description><![CDATA[{a.site_teaser}]]></description>
  </item>"""
        for a in articles
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0">
<channel>
  <title>KCNA Watch</title>
  <link>{host}/newstream/</link>
  <description>Newstream</description>
{items}
</channel>
</rss>
"""
