"""`Retry-After` honoured: a 429 or 503 that says when to come back is retried then, or next run.

Scrapy's RetryMiddleware retries a 429/503 at once, RETRY_TIMES times: against a site that said
`Retry-After: 86400` that is three requests it asked us not to send. `RetryAfter` sits just above
RetryMiddleware and sees the response first:

- a wait of at most ARCHIVER_RETRY_AFTER_MAX seconds (default 60): the response is held that long,
  then RetryMiddleware retries as usual (so each retry waits what the site asked). The wait ends
  early when the crawl is stopping (Ctrl-C, SIGTERM): the page is then postponed as below;
- a longer wait: the page is not retried in this run. It is *postponed*: counted in
  `archiver/postponed/retry_after`, listed in `archiver/postponed_urls` (at most
  ARCHIVER_FAILED_URLS_MAX), said in the summary line, and not an error. The next run asks for it
  again the way it asks for anything a run did not get (an article's listing entry stays pending,
  a listing walk stays unfinished).

`Retry-After` is read as seconds or as an HTTP date. A response without one (or with one that
cannot be read) is left to RetryMiddleware. robots.txt is never postponed: asked to wait longer than
the cap, it is not retried, and its 5xx is a complete disallow for the run (archiver/middlewares/robots.py).
"""

from __future__ import annotations

import logging
import time
from email.utils import parsedate_to_datetime

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import reactor
from twisted.internet.task import deferLater

from archiver.middlewares.failures import requested_url
from archiver.middlewares.robots import is_robots_request

logger = logging.getLogger(__name__)

STATUSES = (429, 503)
POSTPONED = "archiver/postponed/retry_after"
POSTPONED_URLS = "archiver/postponed_urls"
NOTES = "archiver/notes"
#: A held response checks this often whether the crawl is stopping.
STEP_SECONDS = 0.25


class Postponed(IgnoreRequest):
    """A page the site asked to fetch later than this run may wait; the next run asks for it."""


def retry_after_seconds(value: bytes | str | None, now: float | None = None) -> float | None:
    """`Retry-After` as seconds from now (0 or more), or None when it is missing or unreadable."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None or when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def postponed_note(count: int, longest: float, cap: float) -> str:
    pages = "page" if count == 1 else "pages"
    return (
        f"{count} {pages} postponed to the next run (the site asked to wait up to {longest:.0f}s: "
        f"Retry-After above ARCHIVER_RETRY_AFTER_MAX {cap:g}s)"
    )


class RetryAfter:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.cap = crawler.settings.getfloat("ARCHIVER_RETRY_AFTER_MAX", 60.0)
        self.max_retries = crawler.settings.getint("RETRY_TIMES")
        self.longest = 0.0
        self.note: str | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryAfter:
        return cls(crawler)

    def will_retry(self, request: Request) -> bool:
        """Whether RetryMiddleware will retry this response (the same rules it applies)."""
        if request.meta.get("dont_retry") or not self.crawler.settings.getbool("RETRY_ENABLED"):
            return False
        limit = request.meta.get("max_retry_times", self.max_retries)
        return request.meta.get("retry_times", 0) < limit

    async def process_response(self, request: Request, response: Response, spider: Spider | None = None) -> Response:
        if response.status not in STATUSES or not self.will_retry(request):
            return response
        seconds = retry_after_seconds(response.headers.get("Retry-After"))
        if seconds is None or seconds == 0:
            return response
        if seconds > self.cap and is_robots_request(request):
            # robots.txt is not postponed: no retry now, and its 5xx is a complete disallow (robots.py).
            request.meta["dont_retry"] = True
            return response
        if seconds > self.cap:
            self.postpone(request, seconds)
        self.crawler.stats.inc_value("archiver/retry_after/waited")
        if not await self.wait(seconds):
            self.postpone(request, seconds)
        return response

    async def wait(self, seconds: float) -> bool:
        """Hold for `seconds`; False as soon as the crawl is stopping."""
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            if not getattr(self.crawler, "crawling", True):
                return False
            await maybe_deferred_to_future(deferLater(reactor, min(STEP_SECONDS, left)))
        return getattr(self.crawler, "crawling", True)

    def postpone(self, request: Request, seconds: float) -> None:
        stats = self.crawler.stats
        url = requested_url(request)
        stats.inc_value(POSTPONED)
        urls = list(stats.get_value(POSTPONED_URLS) or [])
        if len(urls) < self.crawler.settings.getint("ARCHIVER_FAILED_URLS_MAX", 1000):
            stats.set_value(POSTPONED_URLS, [*urls, url])
        self.longest = max(self.longest, seconds)
        notes = [n for n in (stats.get_value(NOTES) or []) if n != self.note]
        self.note = postponed_note(int(stats.get_value(POSTPONED)), self.longest, self.cap)
        stats.set_value(NOTES, [*notes, self.note])
        logger.info(
            "Postponed %s to the next run: Retry-After %.0fs", url, seconds, extra={"spider": self.crawler.spider}
        )
        raise Postponed(f"postponed to the next run (Retry-After {seconds:.0f}s): {url}")
