"""The spider of tests/support/yield_site.py, loaded through $ARCHIVER_SPIDER_MODULES.

It extracts the way the project's spiders do (raw items, the walk of spiders/base.py) from markup
the tests control, so the field-yield and `archiver check` tests do not depend on the real sites'
spiders, which are rewritten as the sites become known.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from scrapy.http import Response

from archiver.items import ArticleItem, ListingEntryItem
from spiders.base import ArchiverSpider

ARTICLE_PATH = re.compile(r"/story/\d+$")
LISTING_PATH = re.compile(r"/list/(?:\?page\d+)?$")


class YieldSiteSpider(ArchiverSpider):
    name = "yieldsite"
    default_base_url = "http://yieldsite.invalid"
    check_urls = {"listing": ["/list/", "/list/?page2"], "article": ["/story/1", "/story/2"]}

    async def start(self):
        yield self.listing_request(self.url("/list/"), self.parse_listing)

    def callback_for(self, url: str):
        if ARTICLE_PATH.search(url):
            return self.parse_article
        if LISTING_PATH.search(url):
            return self.parse_listing
        return None

    def parse_listing(self, response: Response) -> Iterator[object]:
        entries = []
        for entry in response.css("div.entries > div.entry"):
            url = self.link(response, entry.css("a.entry-title::attr(href)").get())
            if url:
                entries.append(
                    ListingEntryItem(
                        site=self.name,
                        article_url=url,
                        found_on=response.url,
                        kind="listing",
                        title=entry.css("a.entry-title::text").get(),
                        teaser_raw=entry.css("p.entry-teaser::text").get(),
                        date_raw=entry.css("span.entry-date::text").get(),
                    )
                )
        yield from entries
        yield from self.walk_listing(
            response,
            entries,
            self.link(response, response.css("a.next::attr(href)").get()),
            article_callback=self.parse_article,
            listing_callback=self.parse_listing,
        )

    def parse_article(self, response: Response) -> Iterator[object]:
        yield ArticleItem(
            site=self.name,
            url=response.url,
            title=response.css("h1.headline::text").get(),
            date_raw=response.css("p.dateline::text").get(),
            paragraphs=response.css("div.story-body p::text").getall(),
        )


class BareSpider(YieldSiteSpider):
    """The same spider without sample pages: `archiver check` needs --url for it."""

    name = "yieldsite_bare"
    check_urls = {}


class AsyncSpider(YieldSiteSpider):
    """The same spider with an async generator for a callback (Scrapy allows both)."""

    name = "yieldsite_async"

    async def parse_article(self, response: Response):
        for item in super().parse_article(response):
            yield item
