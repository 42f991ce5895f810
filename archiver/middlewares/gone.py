"""Article pages gone for good: a 404/410 on ARCHIVER_GONE_AFTER runs marks the address gone.

A downloader middleware just below RetryMiddleware (it sees final answers) and above
FailureRecorder. For an article request (`meta["page_kind"] == "article"`) that ends in
ARCHIVER_GONE_STATUSES it counts the failure; the run in which an address reaches the threshold
counts it once as `archiver/articles/gone` instead of as an error (FailureRecorder leaves requests
marked GONE alone), so the run ends "ok". Crawls then skip the address (archiver/archive/incremental.py);
backfills and --refresh still ask, and any other answer makes the archive forget the failures.
The counts are written at spider close (archiver/archive/gone.py), once per run; an archived
article at such an address is marked removed, and confirmed on the next failing run
(archiver/archive/takedowns.py). Revisits (spiders/revisit.py) are left to the spider, which
judges more than the status (a redirect to the home page, a "not found" page).
"""

from __future__ import annotations

import logging

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

from archiver.archive.gone import load_failures, record_run
from archiver.archive.revisits import REVISIT

logger = logging.getLogger(__name__)

#: Request.meta key set on an article request whose 404/410 made its address gone in this run.
GONE = "archiver_gone"


def is_article(request: Request) -> bool:
    """An article request, not a revisit (a revisit's answers are judged and counted by the spider:
    spiders/revisit.py)."""
    return request.meta.get("page_kind") == "article" and REVISIT not in request.meta


class GoneRecorder:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.threshold = crawler.settings.getint("ARCHIVER_GONE_AFTER", 3)
        self.statuses = {int(code) for code in crawler.settings.getlist("ARCHIVER_GONE_STATUSES", [404, 410])}
        self.db_url = crawler.settings.get("ARCHIVER_DB_URL")
        self.known: dict = {}
        self.failed: dict[str, int] = {}
        self.answered: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> GoneRecorder:
        if crawler.settings.getint("ARCHIVER_GONE_AFTER", 3) < 1:
            raise NotConfigured("ARCHIVER_GONE_AFTER is below 1: no address is ever marked gone")
        recorder = cls(crawler)
        crawler.signals.connect(recorder.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(recorder.spider_closed, signal=signals.spider_closed)
        return recorder

    def site(self, spider: Spider) -> str:
        return getattr(spider, "site", None) or spider.name

    def spider_opened(self, spider: Spider) -> None:
        self.known = load_failures(self.db_url, self.site(spider))

    def process_response(self, request: Request, response: Response, spider: Spider | None = None) -> Response:
        if not is_article(request):
            return response
        url = (request.meta.get("redirect_urls") or [request.url])[0]
        if response.status not in self.statuses:
            if url in self.known and response.status < 500:
                self.answered.add(url)
            return response
        self.failed[url] = response.status
        record = self.known.get(url)
        runs = (record.failed_runs if record else 0) + 1
        if runs >= self.threshold and not (record and record.gone):
            request.meta[GONE] = True
            self.crawler.stats.inc_value("archiver/articles/gone")
            logger.info(
                "Gone for good (%s on %d runs): %s", response.status, runs, url, extra={"spider": self.crawler.spider}
            )
        elif record and record.gone:  # a backfill or --refresh asked again: still gone, no error
            request.meta[GONE] = True
        return response

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if not self.failed and not self.answered:
            return
        record_run(
            self.db_url,
            self.site(spider),
            self.failed,
            self.answered,
            threshold=self.threshold,
            run_id=self.crawler.stats.get_value("archiver/crawl_run_id"),
        )
