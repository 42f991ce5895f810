"""Reading past crawl runs back: what a site's recent runs recorded under one key of their stats.

The field-yield monitor (archiver/extensions/fieldyield.py) compares a run with the site's recent
successful runs; `archiver stats --yields` shows them. Both read `crawl_runs.stats`, written by the
CrawlRunRecorder (archiver/extensions/crawlrun.py); no table of their own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from archiver.archive.models import CrawlRun


@dataclass(frozen=True)
class PastRun:
    id: int
    spider: str
    started_at: datetime | None
    mode: str | None
    status: str | None
    value: Any  # stats[key] of the run, None when the run did not record it


def recent_runs(
    connection: Connection,
    key: str,
    *,
    spider: str | None = None,
    statuses: Sequence[str] | None = None,
    limit: int = 5,
    before_id: int | None = None,
) -> list[PastRun]:
    """The newest `limit` runs (of `spider`, with one of `statuses`) that recorded stats[key], newest first."""
    stmt = select(CrawlRun.id, CrawlRun.spider, CrawlRun.started_at, CrawlRun.mode, CrawlRun.status, CrawlRun.stats)
    if spider is not None:
        stmt = stmt.where(CrawlRun.spider == spider)
    if statuses is not None:
        stmt = stmt.where(CrawlRun.status.in_(list(statuses)))
    if before_id is not None:
        stmt = stmt.where(CrawlRun.id < before_id)
    runs: list[PastRun] = []
    # Read in pages: old runs recorded before the key existed are skipped, not counted.
    for row in connection.execute(stmt.order_by(CrawlRun.id.desc())).yield_per(50):
        value = (row.stats or {}).get(key)
        if value is None:
            continue
        runs.append(PastRun(row.id, row.spider, row.started_at, row.mode, row.status, value))
        if len(runs) >= limit:
            break
    return runs
