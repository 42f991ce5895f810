"""How far a run's start walks have come, in its stats: how many began and how many ended.

A start walk (spiders/base.py) pages one listing from its first page until it stops: one day archive
of an RSTV day-archive backfill, one source listing of a KCNA Watch backfill, the home listing of a
crawl. The progress display (archiver/extensions/progress.py) shows "ended of begun" and the time left
at the rate they end; any spider that walks through `ArchiverSpider.listing_request` is counted, from
the requests' meta alone (WALK, WALK_ID, BARREN: archiver/archive/incremental.py).

- `archiver/walk/begun/<page kind>`: first pages of start walks scheduled (one the duplicate filter
  drops began nothing);
- `archiver/walk/ended`: walks that are over, whichever way: the page's callback gave no next page of
  the walk (it stopped, the listing ended, a day without entries answered 404) or raised, the page
  was not downloaded (given up on, forbidden by robots.txt, offsite), or its next page was dropped.

Two components keep them, each once per page: `WalkPages`, a spider middleware, for the pages the
spider got (and the signals for scheduled and dropped requests); `WalkDownloads`, a downloader
middleware below RetryMiddleware, for those it never got.
"""

from __future__ import annotations

import weakref
from collections.abc import AsyncIterator, Iterable, Iterator

from scrapy import Request, signals

from archiver.archive.incremental import BARREN, START, WALK, WALK_ID

BEGUN = "archiver/walk/begun/"
ENDED = "archiver/walk/ended"


def walk_of(request: Request | None) -> str | None:
    """The start walk a request is a page of, or None."""
    if request is None or request.meta.get(WALK) != START:
        return None
    return request.meta.get(WALK_ID)


def is_first_page(request: Request) -> bool:
    return walk_of(request) is not None and BARREN not in request.meta


class WalkEnds:
    """Counts the end of a walk at one of its pages, once per page (an exception in a callback reaches
    both `process_spider_exception` and the end of the output)."""

    def __init__(self, crawler) -> None:
        self.stats = crawler.stats
        self.ended: weakref.WeakSet[Request] = weakref.WeakSet()

    def end(self, request: Request | None) -> None:
        if request is None or walk_of(request) is None or request in self.ended:
            return
        self.ended.add(request)
        self.stats.inc_value(ENDED)


class WalkPages(WalkEnds):
    """Spider middleware: a walk page whose callback gives no next page of its walk ended the walk."""

    @classmethod
    def from_crawler(cls, crawler) -> WalkPages:
        pages = cls(crawler)
        crawler.signals.connect(pages.request_scheduled, signal=signals.request_scheduled)
        crawler.signals.connect(pages.request_dropped, signal=signals.request_dropped)
        return pages

    def request_scheduled(self, request: Request, spider=None) -> None:
        if is_first_page(request):
            self.stats.inc_value(BEGUN + str(request.meta.get("page_kind") or "listing"))

    def request_dropped(self, request: Request, spider=None) -> None:
        if is_first_page(request):
            self.stats.inc_value(BEGUN + str(request.meta.get("page_kind") or "listing"), -1)
        else:
            self.end(request)

    def continues(self, walk: str, output: object) -> bool:
        return isinstance(output, Request) and walk_of(output) == walk

    def process_spider_output(self, response, result: Iterable, spider=None) -> Iterator:
        walk = walk_of(response.request)
        continued = walk is None
        for output in result:
            continued = continued or self.continues(walk or "", output)
            yield output
        if not continued:
            self.end(response.request)

    async def process_spider_output_async(self, response, result: AsyncIterator, spider=None) -> AsyncIterator:
        walk = walk_of(response.request)
        continued = walk is None
        async for output in result:
            continued = continued or self.continues(walk or "", output)
            yield output
        if not continued:
            self.end(response.request)

    def process_spider_exception(self, response, exception, spider=None) -> None:
        self.end(response.request)  # an HttpError, or the callback raised: the walk goes no further


class WalkDownloads(WalkEnds):
    """Downloader middleware below RetryMiddleware: a walk page that was not downloaded ended its walk."""

    @classmethod
    def from_crawler(cls, crawler) -> WalkDownloads:
        return cls(crawler)

    def process_exception(self, request: Request, exception: Exception, spider=None) -> None:
        self.end(request)  # given up on (FetchFailed), forbidden by robots.txt, offsite: all IgnoreRequest now
        return None
