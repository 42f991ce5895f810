"""KCNA Watch (kcnawatch.org): the newstream, source listings, article pages and their "More From" blocks.

Markup: WordPress. Listings are `div.newstream-list > article.newstream-item`; articles carry a
day-first `Date: 23/10/2024` line (sometimes missing), the source, an optional link to the original,
body paragraphs ending with an agency signature (`KCNA`), and a "More From <source>" block of the
source's latest 20 items. Article URLs carry the publication time: /newstream/EPOCH-ID/SLUG/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from typing import ClassVar
from urllib.parse import urlsplit

from parsel import Selector, css2xpath
from scrapy.http import Response

from archiver.archive.incremental import SIDE
from archiver.items import ArticleItem, ListingEntryItem
from spiders.base import ArchiverSpider

ARTICLE_PATH = re.compile(r"/newstream/(\d{9,11})-(\d+)/[^/]+/?$")
LISTING_PATH = re.compile(r"/newstream/(source/[^/]+/)?(page/\d+/?)?$")
SITE = "kcnawatch"


def text_of(selector: Selector | None) -> str | None:
    """All text inside a node, or None when the node is missing or empty."""
    if selector is None:
        return None
    text = selector.xpath("string()").get()
    return text if text and text.strip() else None


@cache
def _first_node_text(css: str) -> str:
    return f"string(({css2xpath(css)})[1])"


def first_text(selector: Selector, css: str) -> str | None:
    """`text_of(selector.css(css))` in one XPath evaluation (listing entries are many: it counts)."""
    text = selector.xpath(_first_node_text(css)).get()
    return text if text and text.strip() else None


class KcnaWatchSpider(ArchiverSpider):
    name = SITE
    default_base_url = "https://kcnawatch.org"
    date_order = "DMY"
    # A small WordPress site: one request every two seconds at most (AutoThrottle may slow it further).
    custom_settings: ClassVar[dict] = {"DOWNLOAD_DELAY": 2.0}

    def __init__(self, *args, sources: str | None = None, **kwargs) -> None:
        """`sources`: comma-separated source slugs (e.g. `kass-en,naenara-en`) to start from instead of the newstream."""
        super().__init__(*args, **kwargs)
        self.sources = [s.strip() for s in (sources or "").split(",") if s.strip()]

    def start_urls_for_run(self) -> list[str]:
        if self.sources:
            return [self.url(f"/newstream/source/{slug}/") for slug in self.sources]
        return [self.url("/newstream/")]

    async def start(self):
        for url in self.start_urls_for_run():
            yield self.listing_request(url, self.parse_listing)

    def entry_date(self, entry: ListingEntryItem):
        """The listing's date, else the publication time the article's URL carries."""
        listed = super().entry_date(entry)
        if listed is None and (match := ARTICLE_PATH.search(entry.article_url)):
            return self._entry_dates.date_from_epoch(match.group(1)).value
        return listed

    def callback_for(self, url: str):
        """Article pages → parse_article; the newstream and source listings (any page) → parse_listing."""
        path = urlsplit(url).path
        if ARTICLE_PATH.search(path):
            return self.parse_article
        if LISTING_PATH.match(path):
            return self.parse_listing
        return None

    # Listing pages: the newstream and the source listings.
    def parse_listing(self, response: Response) -> Iterator[object]:
        """Entries of a newstream or source listing page, and the next page.

        @url https://kcnawatch.org/newstream/
        @returns items 1
        @scrapes site article_url title date_raw teaser_raw
        """
        heading = text_of(response.css("h1.page-title"))
        listing_source = None if heading in (None, "Newstream") else heading
        entries = []
        for entry in response.css("div.newstream-list article.newstream-item"):
            url = self.link(response, entry.css("h2.newstream-item-title a::attr(href)").get())
            if not url:
                continue
            entries.append(
                ListingEntryItem(
                    site=SITE,
                    article_url=url,
                    found_on=response.url,
                    kind="listing",
                    title=first_text(entry, "h2.newstream-item-title a"),
                    source=first_text(entry, "span.newstream-item-source") or listing_source,
                    teaser_raw=first_text(entry, "p.newstream-item-excerpt"),
                    date_raw=first_text(entry, "span.newstream-item-date"),
                    date_order=self.date_order,
                )
            )
        yield from entries
        next_page = self.link(response, response.css("nav.pagination a.next::attr(href)").get())
        yield from self.walk_listing(
            response, entries, next_page, article_callback=self.parse_article, listing_callback=self.parse_listing
        )

    # Article pages.
    def parse_article(self, response: Response) -> Iterator[object]:
        """The article itself, then every "More From" entry (and the request for it).

        @url https://kcnawatch.org/newstream/1729688400-811236574/basic-party-organizations/
        @returns items 1
        @scrapes site url source paragraphs
        """
        article = response.css("article.newstream")
        if article:
            yield self.article_item(response, article[0])
        yield from self.more_from(response)

    def article_item(self, response: Response, article: Selector) -> ArticleItem:
        content = article.css("div.article-content")
        paragraphs = [
            text
            for p in content.xpath("./p[not(contains(concat(' ', @class, ' '), ' article-signature '))]")
            if (text := text_of(p))
        ]
        original = article.css("a.article-original::attr(href)").get()
        match = ARTICLE_PATH.search(response.url)
        return ArticleItem(
            site=SITE,
            url=response.url,
            title=text_of(article.css("h1.article-title")),
            source=text_of(article.css("span.article-source a")),
            date_raw=text_of(article.css("span.article-date")),
            url_date_raw=match.group(1) if match else None,
            original_url=original.strip() if original and original.strip() else None,
            paragraphs=paragraphs,
            signature=text_of(content.css("p.article-signature")),
            language="en",
            date_order=self.date_order,
        )

    def more_from(self, response: Response) -> Iterator[object]:
        block = response.css("aside.more-from")
        title = text_of(block.css("h3.more-from-title")) or ""
        source = title.strip().removeprefix("More From").strip() or None
        entries = []
        for entry in block.css("li.more-from-item"):
            url = self.link(response, entry.css("a.more-from-link::attr(href)").get())
            if not url:
                continue
            # The page prints the teaser twice (inside the link and again below): take one.
            teaser = first_text(entry, "p.more-from-teaser") or first_text(entry, "p.more-from-excerpt")
            entries.append(
                ListingEntryItem(
                    site=SITE,
                    article_url=url,
                    found_on=response.url,
                    kind="more_from",
                    source=source,
                    teaser_raw=teaser,
                    date_raw=first_text(entry, "time.more-from-date"),
                    date_order=self.date_order,
                )
            )
        yield from entries
        yield from self.article_requests(entries, self.parse_article)
        more_articles = self.link(response, block.css("a.more-articles::attr(href)").get())
        if more_articles:
            # The source's listing: walked only while it offers articles the newstream walk has not.
            yield self.listing_request(more_articles, self.parse_listing, walk=SIDE)
