"""robots.txt that cannot be read is a complete disallow (RFC 9309, 2.3.1.4), not an allow-all.

Scrapy's RobotsTxtMiddleware fetches `/robots.txt` through the downloader and parses whatever body
comes back: a `500` page reads as "no rules", and a download that fails (connection refused, a
timeout, a TLS failure) leaves the host without rules, so everything is fetched. RFC 9309 says
that a robots.txt that is unreachable because of server or network errors means the crawler MUST
assume complete disallow. `UnreachableRobots` sits below RetryMiddleware (it sees what is left
after the retries): a final 5xx answer, or a final exception, for robots.txt is replaced by the
body `User-agent: *` / `Disallow: /`, and the reason is kept in `archiver/robots/unreachable`
(`"503"`, `"connection_refused"`, …). A 4xx answer stays "no rules", as the RFC says.

The run's verdict (degraded, with one line naming the host) is archiver/extensions/robots.py's.
"""

from __future__ import annotations

import logging

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.http.request import NO_CALLBACK

from archiver.middlewares.failures import exception_reason

logger = logging.getLogger(__name__)

#: What an unreachable robots.txt stands for.
DISALLOW_ALL = b"User-agent: *\nDisallow: /\n"
#: Stats key: why robots.txt could not be read (an HTTP status or a failure's short name).
UNREACHABLE = "archiver/robots/unreachable"


def is_robots_request(request: Request) -> bool:
    """The requests Scrapy's RobotsTxtMiddleware makes (and their redirects): no callback, not obeying robots."""
    return request.callback is NO_CALLBACK and bool(request.meta.get("dont_obey_robotstxt"))


class UnreachableRobots:
    """Downloader middleware below RetryMiddleware: robots.txt answering 5xx, or failing to download,
    becomes a complete disallow."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> UnreachableRobots:
        return cls(crawler)

    def unreachable(self, request: Request, reason: str) -> None:
        self.crawler.stats.set_value(UNREACHABLE, reason)
        logger.info(  # the run's verdict says it (archiver/extensions/robots.py); once is enough
            "robots.txt could not be read (%s): %s; every page of the host is forbidden (RFC 9309)",
            reason,
            request.url,
            extra={"spider": self.crawler.spider},
        )

    def process_response(self, request: Request, response: Response, spider: Spider | None = None) -> Response:
        if response.status < 500 or not is_robots_request(request):
            return response
        self.unreachable(request, str(response.status))
        return TextResponse(response.url, status=response.status, body=DISALLOW_ALL, encoding="utf-8", request=request)

    def process_exception(
        self, request: Request, exception: Exception, spider: Spider | None = None
    ) -> Response | None:
        if isinstance(exception, IgnoreRequest) or not is_robots_request(request):
            return None
        self.unreachable(request, exception_reason(exception))
        return TextResponse(request.url, status=200, body=DISALLOW_ALL, encoding="utf-8", request=request)
