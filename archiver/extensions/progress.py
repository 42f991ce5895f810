"""A Scrapy extension printing one progress line every few seconds while a crawl runs.

    kcnawatch: 120 pages (38/min), 2304 items, 96 articles new, 14 queued; listings at 2024-03-05 (62% back to 2024-01-01)

Pages are responses received, items are what the spider yielded, queued the requests waiting in the
scheduler, "listings at" the oldest date on the listing pages walked so far
(`archiver/walk/oldest_listed_on`); a walk fetches a page's articles before its next page. Enabled by setting
ARCHIVER_PROGRESS_INTERVAL to a number of seconds (the CLI does; 0, the default, is off). Lines go
to stderr, or to the stream given, so that stdout keeps only the final summary.
"""

from __future__ import annotations

import sys
import time
from datetime import date
from typing import TextIO

from scrapy import signals
from scrapy.exceptions import NotConfigured
from twisted.internet import task


class ProgressReporter:
    def __init__(self, crawler, interval: float, stream: TextIO | None = None) -> None:
        self.crawler = crawler
        self.interval = interval
        self.stream = stream
        self.task: task.LoopingCall | None = None
        self.last_pages = 0
        self.last_time = 0.0

    @classmethod
    def from_crawler(cls, crawler):
        interval = crawler.settings.getfloat("ARCHIVER_PROGRESS_INTERVAL", 0)
        if interval <= 0:
            raise NotConfigured
        reporter = cls(crawler, interval)
        crawler.signals.connect(reporter.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(reporter.spider_closed, signal=signals.spider_closed)
        return reporter

    def spider_opened(self, spider) -> None:
        self.spider = spider
        self.last_time = time.monotonic()
        self.task = task.LoopingCall(self.report)
        self.task.start(self.interval, now=False)

    def spider_closed(self, spider, reason: str) -> None:
        if self.task is not None and self.task.running:
            self.task.stop()

    def report(self) -> None:
        print(self.line(), file=self.stream or sys.stderr, flush=True)

    def line(self) -> str:
        stats = self.crawler.stats
        pages = int(stats.get_value("response_received_count", 0) or 0)
        now = time.monotonic()
        elapsed = max(now - self.last_time, 1e-6)
        rate = (pages - self.last_pages) * 60 / elapsed
        self.last_pages, self.last_time = pages, now
        text = (
            f"{self.spider.name}: {pages} pages ({rate:.0f}/min), "
            f"{int(stats.get_value('item_scraped_count', 0) or 0)} items, "
            f"{int(stats.get_value('archiver/articles/new', 0) or 0)} articles new"
        )
        queued = self.queued()
        if queued is not None:
            text += f", {queued} queued"
        oldest = stats.get_value("archiver/walk/oldest_listed_on")
        if oldest:
            text += f"; listings at {oldest}"
            share = self.share_walked(stats.get_value("archiver/walk/newest_listed_on"), oldest)
            if share is not None:
                text += f" ({share:.0%} back to {self.spider.dates.since})"
        return text

    def queued(self) -> int | None:
        """Requests waiting in the scheduler, when it can tell (Scrapy's own scheduler can)."""
        scheduler = getattr(getattr(self.crawler, "engine", None), "scheduler", None)
        try:
            return len(scheduler) if scheduler is not None else None
        except TypeError:
            return None

    def share_walked(self, newest: str | None, oldest: str) -> float | None:
        """How far a walk bounded by `since` has come, from the newest listing date it saw."""
        since = getattr(getattr(self.spider, "dates", None), "since", None)
        if since is None or not newest:
            return None
        start, here = date.fromisoformat(newest), date.fromisoformat(oldest)
        span = (start - since).days
        if span <= 0:
            return None
        return min(max((start - here).days / span, 0.0), 1.0)
