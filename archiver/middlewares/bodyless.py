"""A spider middleware that notices article pages which gave no article body, and says so.

A page fetched as an article (`meta["page_kind"] == "article"`) that yields no ArticleItem with
body paragraphs (broken markup the parser could not get through, a page of another kind) is not
stored: without this, only a counter deep in the stats showed it and the run said "ok". Each one is
counted in `archiver/articles/no_body` and its URL kept in `archiver/no_body_urls` (at most
ARCHIVER_NO_BODY_URLS_MAX); the run's summary prints them as a warning (archiver/crawl/runner.py).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable

from scrapy.crawler import Crawler
from scrapy.http import Response

from archiver.items import ArticleItem

logger = logging.getLogger(__name__)

NO_BODY = "archiver/articles/no_body"
#: The meta key the field-yield monitor reads too (archiver/extensions/fieldyield.py).
MAY_BE_EMPTY = "archiver_may_be_empty"
NO_BODY_URLS = "archiver/no_body_urls"


def has_body(item: object) -> bool:
    return isinstance(item, ArticleItem) and any((p or "").strip() for p in (item.paragraphs or ()))


class BodylessArticles:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.max_urls = crawler.settings.getint("ARCHIVER_NO_BODY_URLS_MAX", 100)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BodylessArticles:
        return cls(crawler)

    def record(self, response: Response) -> None:
        stats = self.crawler.stats
        stats.inc_value(NO_BODY)
        urls = list(stats.get_value(NO_BODY_URLS) or [])
        if len(urls) < self.max_urls:
            stats.set_value(NO_BODY_URLS, [*urls, response.url])
        logger.warning("No article body on %s: not stored", response.url, extra={"spider": self.crawler.spider})

    def _is_article(self, response: Response) -> bool:
        # A page its callback excused (a revisit that found a "not found" notice: spiders/revisit.py) is not one.
        meta = response.meta
        return meta.get("page_kind") == "article" and 200 <= response.status < 300 and not meta.get(MAY_BE_EMPTY)

    def process_spider_output(self, response: Response, result: Iterable, spider=None):
        found = False
        for element in result:
            found = found or has_body(element)
            yield element
        if not found and self._is_article(response):
            self.record(response)

    async def process_spider_output_async(self, response: Response, result: AsyncIterator, spider=None):
        found = False
        async for element in result:
            found = found or has_body(element)
            yield element
        if not found and self._is_article(response):
            self.record(response)
