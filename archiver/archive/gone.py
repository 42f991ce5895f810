"""Article addresses that keep answering 404/410: what the archive remembers of them, per site.

Each run that gets a 404/410 for an article address adds one to its `failed_runs`; when that
reaches the threshold (ARCHIVER_GONE_AFTER) the address is gone (`gone_at` set). Any other answer
for it later (a backfill or --refresh may ask again) removes the row: the page is back. A revisit
counts its other takedowns here too (a redirect to a listing or the home page, a "not found"
page), and the archived article at the address follows the counts (archiver/archive/takedowns.py).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from sqlalchemy import delete, select

from archiver.archive import takedowns
from archiver.archive.engine import open_archive, session_factory
from archiver.archive.models import GoneUrl, utcnow


@dataclass(frozen=True)
class FailureRecord:
    """What the archive knows of one failing address at the start of a run."""

    failed_runs: int
    gone: bool


def load_failures(db_url: str, site: str) -> dict[str, FailureRecord]:
    """Every address of `site` that failed on earlier runs, gone or not yet."""
    engine = open_archive(db_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                select(GoneUrl.url, GoneUrl.failed_runs, GoneUrl.gone_at).where(GoneUrl.site == site)
            )
            return {url: FailureRecord(runs, gone_at is not None) for url, runs, gone_at in rows}
    finally:
        engine.dispose()


def gone_urls(db_url: str, site: str) -> frozenset[str]:
    """The addresses of `site` marked gone: crawls do not request them."""
    return frozenset(url for url, record in load_failures(db_url, site).items() if record.gone)


@dataclass
class RunRecord:
    """What recording a run changed: the addresses that became gone (sorted), and the articles'
    takedown marks (archiver/archive/takedowns.py: pending, confirmed, restored, cleared)."""

    newly_gone: list[str] = field(default_factory=list)
    articles: Counter[str] = field(default_factory=Counter)


def record_run(
    db_url: str,
    site: str,
    failed: Mapping[str, int],
    answered: Iterable[str],
    *,
    threshold: int,
    run_id: int | None = None,
) -> RunRecord:
    """Count this run's failing answers (address → status: 404/410, or a revisit's takedown) and
    forget the addresses that answered otherwise; the archived articles at them follow."""
    now = utcnow()
    record = RunRecord()
    engine = open_archive(db_url)
    try:
        with session_factory(engine).begin() as session:
            answered = [url for url in answered if url not in failed]
            if answered:
                session.execute(delete(GoneUrl).where(GoneUrl.url.in_(answered)))
            known = {row.url: row for row in session.scalars(select(GoneUrl).where(GoneUrl.url.in_(list(failed))))}
            for url, status in sorted(failed.items()):
                row = known.get(url)
                if row is None:
                    row = known[url] = GoneUrl(url=url, site=site, status=status, failed_runs=0, first_failed_at=now)
                    session.add(row)
                row.failed_runs += 1
                row.status = status
                row.last_failed_at = now
                row.last_run_id = run_id
                if row.gone_at is None and row.failed_runs >= threshold:
                    row.gone_at = now
                    record.newly_gone.append(url)
            record.articles = takedowns.follow(session, site, known, answered, now)
    finally:
        engine.dispose()
    return record
