"""The run log as an operator reads it: recent runs from `crawl_runs`, and each site's freshness.

`recent_runs` lists runs newest first with the figures of their summary; `site_health` says per
site when it last had a successful ("ok") run and whether that is within a maximum age.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, func, select

from archiver.archive.models import CrawlRun

RUN_COLUMNS = (
    "id",
    "spider",
    "mode",
    "started_at",
    "seconds",
    "status",
    "requests",
    "new",
    "updated",
    "gone",
    "errors",
)
FAILED = ("errors", "interrupted")
_AGE = re.compile(r"(\d+)\s*([wdhms])")
_UNITS = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes", "s": "seconds"}


def parse_age(text: str) -> timedelta:
    """ "2d", "36h", "1d12h", "90m", "1w" → a timedelta; ValueError otherwise."""
    compact = text.strip().lower().replace(" ", "")
    parts = _AGE.findall(compact)
    if not parts or "".join(n + u for n, u in parts) != compact:
        raise ValueError(f"not an age such as 2d, 36h or 90m: {text!r}")
    try:
        age = sum((timedelta(**{_UNITS[unit]: int(number)}) for number, unit in parts), timedelta())
    except OverflowError:
        raise ValueError(f"an age must be at most {timedelta.max.days} days: {text!r}") from None
    if age <= timedelta(0):
        raise ValueError(f"an age must be more than zero: {text!r}")
    return age


def describe_age(age: timedelta) -> str:
    """A timedelta the way --max-age takes it: 2d, 36h, 90m, 45s."""
    seconds = int(age.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def dates_left_empty(stats: dict) -> int:
    """Dates the dates pipeline left empty, as the summary counts them: unreadable, implausible, and
    candidates that disagree or leave several days open."""
    return sum(
        int(stats.get(f"archiver/dates/{k}", 0) or 0) for k in ("unparsed", "implausible", "conflict", "ambiguous")
    )


def errors_of(stats: dict) -> int:
    """Errors as the summary line counts them: ERROR log lines plus pages given up on."""
    return int(stats.get("log_count/ERROR", 0) or 0) + sum(
        int(v or 0) for k, v in stats.items() if k.startswith("archiver/http_errors/")
    )


def run_row(run) -> tuple:
    """A crawl_runs row as RUN_COLUMNS."""
    stats = run.stats or {}
    summary = stats.get("summary") or {}
    articles = summary.get("articles") or {}
    seconds = round((run.finished_at - run.started_at).total_seconds(), 1) if run.finished_at else None
    return (
        run.id,
        run.spider,
        run.mode,
        run.started_at.replace(microsecond=0),
        seconds,
        run.status,
        summary.get("requests"),
        articles.get("new"),
        articles.get("updated"),
        summary.get("articles_gone", 0) if summary else None,
        errors_of(stats) if stats else None,
    )


def recent_runs(
    connection: Connection, *, sites: Sequence[str] = (), failed: bool = False, limit: int = 20
) -> list[tuple]:
    """The newest `limit` runs (of `sites`, only failed ones), newest first, as RUN_COLUMNS rows."""
    stmt = select(CrawlRun.__table__).order_by(CrawlRun.id.desc()).limit(limit)
    if sites:
        stmt = stmt.where(CrawlRun.spider.in_(list(sites)))
    if failed:
        stmt = stmt.where(CrawlRun.status.in_(FAILED))
    return [run_row(run) for run in connection.execute(stmt)]


@dataclass(frozen=True)
class SiteHealth:
    site: str
    last_ok: datetime | None  # when its newest "ok" run finished
    last_run: datetime | None  # when its newest run started
    last_status: str | None
    fresh: bool

    def row(self, now: datetime) -> tuple:
        age = f"{(now - self.last_ok).total_seconds() / 3600:.1f}h" if self.last_ok else None
        return (
            self.site,
            "fresh" if self.fresh else "STALE",
            self.last_ok.replace(microsecond=0) if self.last_ok else None,
            age,
            self.last_run.replace(microsecond=0) if self.last_run else None,
            self.last_status,
        )


HEALTH_COLUMNS = ("site", "state", "last_ok_run", "age", "last_run", "last_status")


def site_health(
    connection: Connection, max_age: timedelta, now: datetime, *, sites: Sequence[str] = ()
) -> list[SiteHealth]:
    """Each site (those named, else every site with a run) and whether it had an ok run within `max_age`.
    Reparse runs do not count: they fetch nothing."""
    crawling = CrawlRun.mode != "reparse"
    known = sorted(set(connection.scalars(select(CrawlRun.spider).where(crawling).distinct())))
    result = []
    for site in sites or known:
        last_ok = connection.scalar(
            select(func.max(CrawlRun.finished_at)).where(CrawlRun.spider == site, CrawlRun.status == "ok", crawling)
        )
        last = connection.execute(
            select(CrawlRun.started_at, CrawlRun.status)
            .where(CrawlRun.spider == site, crawling)
            .order_by(CrawlRun.id.desc())
            .limit(1)
        ).first()
        fresh = last_ok is not None and now - last_ok <= max_age
        result.append(SiteHealth(site, last_ok, last[0] if last else None, last[1] if last else None, fresh))
    return result
