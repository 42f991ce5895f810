"""A Scrapy extension that records every run in `crawl_runs`: mode, status and the run's stats.

`stats` holds every Scrapy and archiver counter of the run, plus a `summary` object with the figures
an operator reads first (see `summary()`), e.g. `json_extract(stats, '$.summary.requests')`.
"""

from __future__ import annotations

import functools
import json
import re
import time
from typing import cast

from scrapy import signals

from archiver.archive.causes import causes_record
from archiver.archive.diskfull import is_disk_full
from archiver.archive.engine import open_archive, session_factory
from archiver.archive.models import CrawlRun, utcnow
from archiver.archive.runlog import dates_left_empty
from archiver.archive.sources import COVERAGE_GAPS
from archiver.normalize.jsonvalues import jsonable

# Not "downloader/exception_count": it counts retried attempts too, so one timeout that succeeded on
# retry would make the run "errors". Downloads that failed for good are archiver/http_errors/*
# (archiver/middlewares/failures.py), and RetryMiddleware logs each one at ERROR as well.
ERROR_STATS = ("log_count/ERROR", "spider_exceptions")


#: Lines of the field-yield monitor (archiver/extensions/fieldyield.py): pages or fields that came out empty.
YIELD_WARNINGS = "archiver/field_yield/warnings"


def run_status(reason: str, stats: dict) -> str:
    """ok; degraded (finished, but pages or fields came out empty: has the markup changed? or listings
    were left unread: archiver/archive/sources.py); errors
    (finished, but something failed); interrupted (stopped before the end)."""
    if reason != "finished":
        return "interrupted"
    if stats.get(YIELD_WARNINGS) or stats.get(COVERAGE_GAPS):
        return "degraded"
    failed = any(stats.get(key) for key in ERROR_STATS) or any(
        key.startswith("spider_exceptions/") or key.startswith("archiver/http_errors/") for key in stats
    )
    return "errors" if failed else "ok"


def item_kind(item: object) -> str:
    """ArticleItem → article, ListingEntryItem → listing_entry."""
    return class_item_kind(type(item))  # type: ignore[arg-type]  # classes are hashable


@functools.cache
def class_item_kind(cls: type) -> str:
    name = cls.__name__.removesuffix("Item") or cls.__name__
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


@functools.cache
def item_stat_key(cls: type) -> str:
    """The stats key counting an item class (`archiver/items/article`), made once per class."""
    return f"archiver/items/{class_item_kind(cls)}"


def summary(stats: dict, duration: float) -> dict:
    """The run in the figures an operator checks first."""

    def count(key: str) -> int:
        return int(stats.get(key, 0) or 0)

    def group(prefix: str) -> dict[str, int]:
        return {key[len(prefix) :]: int(value) for key, value in sorted(stats.items()) if key.startswith(prefix)}

    return {
        "requests": count("downloader/request_count"),
        "responses_by_status": group("downloader/response_status_count/"),
        "items_by_kind": group("archiver/items/"),
        "articles": {
            "new": count("archiver/articles/new"),
            "updated": count("archiver/articles/updated"),
            "folded": count("archiver/articles/folded") + count("archiver/article_urls/folded_by_teaser"),
            "skipped_archived": count("archiver/walk/skipped/archived"),
            "no_body": count("archiver/articles/no_body"),
        },
        "listing_entries": {
            "new": count("archiver/listing_entries/new"),
            "seen_again": count("archiver/listing_entries/seen_again"),
        },
        "dates_left_empty": dates_left_empty(stats),
        "articles_gone": count("archiver/articles/gone"),
        # Revisits (spiders/revisit.py): requests, pages fetched again (304s: unchanged), new versions, takedowns.
        "revisits": {
            "requests": count("archiver/revisits/requests"),
            "revisited": count("archiver/revisits/fetched"),
            "not_modified": count("archiver/revisits/not_modified"),
            "edited": count("archiver/articles/edited"),
            "removed": count("archiver/revisits/removed"),
            "to_confirm": count("archiver/revisits/removal_seen"),
            "restored": count("archiver/revisits/restored"),
        },
        "teaser_mismatches": count("archiver/teaser_mismatches"),
        "yield_warnings": len(stats.get(YIELD_WARNINGS) or []),
        "coverage_gaps": len(stats.get(COVERAGE_GAPS) or []),
        "error_causes": causes_record(stats),
        "duration_seconds": round(duration, 3),
    }


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
        crawler.signals.connect(recorder.item_scraped, signal=signals.item_scraped)
        return recorder

    def item_scraped(self, item, spider=None) -> None:
        self.crawler.stats.inc_value(item_stat_key(type(item)))  # type: ignore[arg-type]  # classes are hashable

    def spider_opened(self, spider) -> None:
        self.started = time.monotonic()
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
        duration = time.monotonic() - self.started
        self.crawler.stats.set_value("archiver/duration_seconds", round(duration, 3))
        stats = {**self.crawler.stats.get_stats(), "finish_reason": reason}
        stats["summary"] = summary(stats, duration)
        self.crawler.stats.set_value("archiver/status", status)
        try:
            with self.sessions.begin() as session:
                run = session.get(CrawlRun, self.run_id)
                if run is None:  # the row is gone (the archive was replaced mid-run): nothing to record
                    return
                run.finished_at = utcnow()
                run.status = status
                run.stats = json.loads(json.dumps(jsonable(dict(sorted(stats.items())), fallback=str)))
        except Exception as exc:
            if not is_disk_full(exc):
                raise
            # Said once already (archiver/archive/diskfull.py); the next run marks this one interrupted.
        finally:
            self.engine.dispose()


def close_stale_runs(db_url: str, spiders: list[str]) -> int:
    """Mark as interrupted the runs of these spiders still 'running': killed runs (kill -9, a crash).

    Call it only while holding the database's run lock, when no other run of them can be alive.
    """
    from sqlalchemy import CursorResult, update

    engine = open_archive(db_url)
    try:
        with session_factory(engine).begin() as session:
            stmt = (
                update(CrawlRun)
                .where(CrawlRun.status == "running", CrawlRun.spider.in_(spiders))
                .values(status="interrupted")
            )
            result = cast(CursorResult, session.execute(stmt))  # an UPDATE's result counts its rows
            return result.rowcount
    finally:
        engine.dispose()
