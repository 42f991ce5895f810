"""The run's verdict on robots.txt: a run that robots.txt kept from every page is `degraded`.

A robots.txt that forbids everything (also a malformed one that a lenient parser reads as
`Disallow: /`), or one that could not be read (5xx or a failed download: a complete disallow under
RFC 9309, archiver/middlewares/robots.py), leaves a run that fetched nothing but robots.txt. That
is no "ok": at spider close this extension adds one line to the run's warnings
(`archiver/field_yield/warnings`, which make the run `degraded` and are printed above the summary),
naming the host and the reason. It runs after the field-yield monitor (which sets that list) and
before the CrawlRunRecorder (which judges the run by it).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from scrapy import signals
from scrapy.http.request import NO_CALLBACK

from archiver.extensions.fieldyield import WARNINGS_KEY

#: Stats keys: Scrapy's count of requests robots.txt forbade, and why robots.txt could not be read
#: (set by archiver/middlewares/robots.py).
FORBIDDEN = "robotstxt/forbidden"
UNREACHABLE = "archiver/robots/unreachable"


def robots_line(spider: str, host: str, stats: dict, pages_fetched: int) -> str | None:
    """The warning for a run robots.txt kept from its pages, or None."""
    forbidden = int(stats.get(FORBIDDEN, 0) or 0)
    unreachable = stats.get(UNREACHABLE)
    not_sent = f"{forbidden} {'request' if forbidden == 1 else 'requests'} not sent"
    if unreachable:
        return (
            f"{spider}: robots.txt of {host} could not be read ({unreachable}): read as forbidding every page "
            f"(RFC 9309); {not_sent}"
        )
    if forbidden and not pages_fetched:
        return (
            f"{spider}: robots.txt of {host} forbids every page this run asked for ({not_sent}); "
            "nothing was fetched: has the site's robots.txt changed?"
        )
    return None


class RobotsVerdict:
    def __init__(self, crawler) -> None:
        self.crawler = crawler
        self.pages = 0

    @classmethod
    def from_crawler(cls, crawler):
        verdict = cls(crawler)
        crawler.signals.connect(verdict.response_received, signal=signals.response_received)
        crawler.signals.connect(verdict.spider_closed, signal=signals.spider_closed)
        return verdict

    def response_received(self, response, request, spider=None) -> None:
        if request.callback is not NO_CALLBACK:  # not robots.txt (nor another of Scrapy's own requests)
            self.pages += 1

    def spider_closed(self, spider, reason: str) -> None:
        stats = self.crawler.stats
        host = urlsplit(getattr(spider, "base_url", "") or "").netloc or "the site"
        line = robots_line(spider.name, host, stats.get_stats(), self.pages)
        if line:
            stats.set_value(WARNINGS_KEY, [*(stats.get_value(WARNINGS_KEY) or []), line])
