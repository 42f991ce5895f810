"""A Scrapy extension that records every run in `crawl_runs`: mode, status and the run's stats."""

from __future__ import annotations

import json
from datetime import datetime

from scrapy import signals

from archiver.db import open_archive, session_factory
from archiver.models import CrawlRun, utcnow

ERROR_STATS = ("log_count/ERROR", "downloader/exception_count", "spider_exceptions")


def run_status(reason: str, stats: dict) -> str:
    """ok, errors (finished, but something failed) or interrupted (stopped before the end)."""
    if reason != "finished":
        return "interrupted"
    failed = any(stats.get(key) for key in ERROR_STATS) or any(
        key.startswith("spider_exceptions/") or key.startswith("archiver/http_errors/") for key in stats
    )
    return "errors" if failed else "ok"


def jsonable(stats: dict) -> dict:
    def convert(value):
        if isinstance(value, datetime):
            return value.isoformat()
        if isinstance(value, (int, float, str, bool)) or value is None:
            return value
        if isinstance(value, (list, tuple, dict)):  # e.g. archiver/failed_urls: a list of {"url", "reason"}
            return json.loads(json.dumps(value, default=str))
        return str(value)

    return {key: convert(value) for key, value in sorted(stats.items())}


class CrawlRunRecorder:
    def __init__(self, crawler) -> None:
        self.crawler = crawler
        self.mode = crawler.settings.get("ARCHIVER_MODE", "crawl")
        self.run_id: int | None = None

    @classmethod
    def from_crawler(cls, crawler):
        recorder = cls(crawler)
        crawler.signals.connect(recorder.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(recorder.spider_closed, signal=signals.spider_closed)
        return recorder

    def spider_opened(self, spider) -> None:
        self.engine = open_archive(self.crawler.settings.get("ARCHIVER_DB_URL"))
        self.sessions = session_factory(self.engine)
        with self.sessions.begin() as session:
            run = CrawlRun(spider=spider.name, mode=self.mode, started_at=utcnow(), status="running")
            session.add(run)
            session.flush()
            self.run_id = run.id
        self.crawler.stats.set_value("archiver/crawl_run_id", self.run_id)

    def spider_closed(self, spider, reason: str) -> None:
        stats = self.crawler.stats.get_stats()
        status = run_status(reason, stats)
        stats = {**stats, "finish_reason": reason}
        self.crawler.stats.set_value("archiver/status", status)
        with self.sessions.begin() as session:
            run = session.get(CrawlRun, self.run_id)
            run.finished_at = utcnow()
            run.status = status
            run.stats = json.loads(json.dumps(jsonable(stats)))
        self.engine.dispose()
