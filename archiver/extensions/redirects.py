"""A Scrapy extension that remembers where article addresses redirected to (archiver/archive/redirects.py).

Every response reached through redirects is noted (the addresses the spider asked for → where it
ended). When the spider closes (after the item pipelines have stored everything), the old addresses
of the ones that ended at an archived article are tied to it: `archiver/redirects/remembered`.
"""

from __future__ import annotations

from scrapy import signals

from archiver.archive.diskfull import disk_full
from archiver.archive.engine import open_archive
from archiver.archive.redirects import remember_redirects
from archiver.normalize.urls import canonical_url


class RedirectMemory:
    def __init__(self, crawler) -> None:
        self.crawler = crawler
        self.redirects: dict[str, str] = {}

    @classmethod
    def from_crawler(cls, crawler):
        memory = cls(crawler)
        crawler.signals.connect(memory.response_received, signal=signals.response_received)
        crawler.signals.connect(memory.spider_closed, signal=signals.spider_closed)
        return memory

    def response_received(self, response, request, spider=None) -> None:
        if 200 <= response.status < 300:
            final = canonical_url(response.url)
            for old in request.meta.get("redirect_urls") or ():
                self.redirects[canonical_url(old)] = final

    def spider_closed(self, spider, reason: str) -> None:
        if not self.redirects or disk_full(self.crawler):
            return
        engine = open_archive(self.crawler.settings.get("ARCHIVER_DB_URL"))
        try:
            added = remember_redirects(engine, self.redirects)
        finally:
            engine.dispose()
        self.crawler.stats.set_value("archiver/redirects/remembered", added)
