"""Recording pages a crawl gave up on, per URL, in the run's stats (and so in `crawl_runs.stats`).

Scrapy retries transient faults itself (RetryMiddleware: RETRY_HTTP_CODES, timeouts, dropped
connections). What is left after that is a permanent failure of this run, recorded here:

- `archiver/http_errors/<reason>`: how many pages failed for that reason. `<reason>` is the final
  HTTP status ("404", "500", "503" after the last retry) or what went wrong on the way: `timeout`,
  `truncated` (the connection closed before the promised Content-Length), `too_large`
  (DOWNLOAD_MAXSIZE), `connection_refused`, `dns`, `redirect_loop`, `too_many_redirects`,
  `offsite_redirect` (a redirect to another host, never followed), `decompression_bomb` (a body
  that decompresses past DOWNLOAD_MAXSIZE; BombRecordingDecompression).
- `archiver/failed_urls`: a list of {"url", "reason"} (the URL the spider asked for), at most
  ARCHIVER_FAILED_URLS_MAX entries; `archiver/failed_urls_not_listed` counts the rest.

robots.txt that cannot be fetched at all (refused, no such host, a timeout) is recorded the same
way: Scrapy crawls the host without its rules then, and used to log a traceback for it. Each
failure is one WARNING line, URL and cause (`Gave up on URL: connection refused`), never a traceback;
the summary line names the commonest causes (archiver/archive/causes.py).

Any `archiver/http_errors/*` key makes the run's status "errors" (archiver.extensions.crawlrun.run_status),
and so the exit status 1, while the crawl goes on with every other page.
"""

from __future__ import annotations

import logging

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.http import Response
from scrapy.http.request import NO_CALLBACK
from twisted.internet import defer
from twisted.internet import error as twisted_errors

from archiver.archive.causes import reason_text
from archiver.middlewares.gone import GONE
from archiver.normalize.urls import canonical_url, same_site

logger = logging.getLogger(__name__)

FAILED_URLS = "archiver/failed_urls"
REDIRECT_STATUSES = {301, 302, 303, 307, 308}

#: Short, stable names for the exceptions a download can end with (anything else: its class name).
EXCEPTION_REASONS: tuple[tuple[type[BaseException] | tuple[type[BaseException], ...], str], ...] = (
    ((DownloadTimeoutError, defer.TimeoutError, twisted_errors.TimeoutError), "timeout"),
    (ResponseDataLossError, "truncated"),
    (DownloadCancelledError, "too_large"),
    ((DownloadConnectionRefusedError, twisted_errors.ConnectionRefusedError), "connection_refused"),
    ((CannotResolveHostError, twisted_errors.DNSLookupError), "dns"),
)


class FetchFailed(IgnoreRequest):
    """A download that failed for good and was recorded; Scrapy passes it to errbacks quietly."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"gave up on {url}: {reason}")
        self.url = url
        self.reason = reason


def exception_reason(exception: BaseException) -> str:
    for types, reason in EXCEPTION_REASONS:
        if isinstance(exception, types):
            return reason
    if "SSL" in str(exception):  # a failed TLS handshake (OpenSSL's error inside Twisted's): https on plain HTTP
        return "tls"
    return type(exception).__name__


def requested_url(request: Request) -> str:
    """The URL the spider asked for, before any redirect."""
    return (request.meta.get("redirect_urls") or [request.url])[0]


def is_internal(request: Request) -> bool:
    """Scrapy's own requests (robots.txt) are not pages of the site: their failures are not recorded."""
    return request.callback is NO_CALLBACK


def is_robots_txt(request: Request) -> bool:
    """Scrapy's request for a host's robots.txt (RobotsTxtMiddleware): its failure is recorded, quietly."""
    return (
        is_internal(request) and bool(request.meta.get("dont_obey_robotstxt")) and request.url.endswith("/robots.txt")
    )


def record_failure(crawler: Crawler, request: Request, reason: str) -> None:
    """Count one page the run gave up on and keep its URL in the run's stats."""
    stats = crawler.stats
    url = requested_url(request)
    stats.inc_value(f"archiver/http_errors/{reason}")
    failures = list(stats.get_value(FAILED_URLS) or [])
    if len(failures) < crawler.settings.getint("ARCHIVER_FAILED_URLS_MAX", 1000):
        failures.append({"url": url, "reason": reason})
        stats.set_value(FAILED_URLS, failures)
    else:
        stats.inc_value("archiver/failed_urls_not_listed")
    logger.warning("Gave up on %s: %s", url, reason_text(reason), extra={"spider": crawler.spider})


def status_is_handled(crawler: Crawler, request: Request, response: Response) -> bool:
    """Whether the spider takes this status itself (the same rules as Scrapy's HttpErrorMiddleware)."""
    if 200 <= response.status < 300:
        return True
    meta = request.meta
    if meta.get("handle_httpstatus_all") or crawler.settings.getbool("HTTPERROR_ALLOW_ALL"):
        return True
    allowed = (
        meta.get("handle_httpstatus_list")
        or getattr(crawler.spider, "handle_httpstatus_list", None)
        or crawler.settings.getlist("HTTPERROR_ALLOWED_CODES")
    )
    return response.status in [int(code) for code in allowed]


class FailureRecorder:
    """Downloader middleware below RetryMiddleware and RedirectMiddleware: it sees final outcomes only.

    A final non-2xx status is recorded and passed on (HttpErrorMiddleware keeps it from the spider);
    a final exception is recorded and re-raised as FetchFailed, so Scrapy does not log a traceback
    per page. Two failures never reach a downloader middleware and are caught from signals: a
    redirect back into its own chain (dropped by the duplicate filter) and a redirect to another
    host (dropped by OffsiteMiddleware).
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FailureRecorder:
        recorder = cls(crawler)
        crawler.signals.connect(recorder.request_dropped, signal=signals.request_dropped)
        crawler.signals.connect(recorder.request_scheduled, signal=signals.request_scheduled)
        return recorder

    def process_response(self, request: Request, response: Response, spider: Spider | None = None) -> Response:
        if request.meta.get(GONE):  # counted by GoneRecorder (archiver/middlewares/gone.py), not an error
            return response
        if not is_internal(request) and not status_is_handled(self.crawler, request, response):
            record_failure(self.crawler, request, str(response.status))
        return response

    def process_exception(self, request: Request, exception: Exception, spider: Spider | None = None) -> None:
        if isinstance(exception, IgnoreRequest):
            return None
        if is_internal(request) and not is_robots_txt(request):
            return None
        reason = exception_reason(exception)
        record_failure(self.crawler, request, reason)
        raise FetchFailed(requested_url(request), reason) from exception

    def request_dropped(self, request: Request, spider: Spider) -> None:
        chain = {canonical_url(url) for url in request.meta.get("redirect_urls") or []}
        if canonical_url(request.url) in chain:
            record_failure(self.crawler, request, "redirect_loop")

    def request_scheduled(self, request: Request, spider: Spider) -> None:
        base_url = getattr(spider, "base_url", None)
        if base_url and request.meta.get("redirect_urls") and not same_site(request.url, base_url):
            record_failure(self.crawler, request, "offsite_redirect")


class RedirectLimitRecorder:
    """Downloader middleware just above RedirectMiddleware: records redirects it will give up on.

    RedirectMiddleware drops a request past REDIRECT_MAX_TIMES with an IgnoreRequest that no
    middleware below it sees; this one looks at the same response first, by the same rule.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.max_times = crawler.settings.getint("REDIRECT_MAX_TIMES")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedirectLimitRecorder:
        return cls(crawler)

    def process_response(self, request: Request, response: Response, spider: Spider | None = None) -> Response:
        if (
            response.status in REDIRECT_STATUSES
            and "Location" in response.headers
            and not request.meta.get("dont_redirect")
            and not is_internal(request)
            and not status_is_handled(self.crawler, request, response)
        ):
            ttl = request.meta.get("redirect_ttl", self.max_times)
            times = request.meta.get("redirect_times", 0) + 1
            if not (ttl and times <= self.max_times):
                record_failure(self.crawler, request, "too_many_redirects")
        return response


class BombRecordingDecompression(HttpCompressionMiddleware):
    """Scrapy's HttpCompressionMiddleware, recording the pages it stops as decompression bombs.

    A body that decompresses past DOWNLOAD_MAXSIZE is dropped by Scrapy with an IgnoreRequest that
    no middleware below it sees: without this, the page was counted nowhere. It is recorded as
    `archiver/http_errors/decompression_bomb` (and in `archiver/failed_urls`), then dropped the same way.
    """

    def __init__(self, stats=None, *, crawler: Crawler | None = None) -> None:
        super().__init__(stats=stats, crawler=crawler)
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BombRecordingDecompression:
        return cls(crawler.stats, crawler=crawler)

    def process_response(self, request: Request, response: Response, spider: Spider | None = None):
        try:
            return super().process_response(request, response)
        except IgnoreRequest as exc:
            if self.crawler is not None and not is_internal(request):
                record_failure(self.crawler, request, "decompression_bomb")
                raise FetchFailed(requested_url(request), "decompression_bomb") from exc
            raise
