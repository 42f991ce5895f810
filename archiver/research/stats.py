"""What the archive holds (the queries behind `archiver stats`), per site and source, and how each site's last crawl ended.

Columns: site, source, articles, listing_entries, first_date and last_date (over articles'
published_on and entries' listed_on), undated_articles and undated_entries (dates left empty),
edited (articles with more than one version) and removed (taken down, confirmed, not restored since), last_crawl (when the site's newest crawl run started), last_mode, last_status (ok, degraded,
errors, interrupted, running). And the field yields of recent runs (`archiver stats --yields`).
"""

from __future__ import annotations

from sqlalchemy import Connection, and_, case, func, or_, select

from archiver.archive.models import Article, CrawlRun, ListingEntry
from archiver.archive.runhistory import recent_runs
from archiver.extensions.fieldyield import STATS_KEY, yield_rows
from archiver.research.changes import has_versions

STATS_COLUMNS = (
    "site",
    "source",
    "articles",
    "listing_entries",
    "first_date",
    "last_date",
    "undated_articles",
    "undated_entries",
    "edited",
    "removed",
    "last_crawl",
    "last_mode",
    "last_status",
)


def counts(connection: Connection, model, date_column) -> dict[tuple, tuple]:
    """(site, source) → (rows, earliest date, latest date, rows without a date)."""
    stmt = select(
        model.site,
        model.source,
        func.count(),
        func.min(date_column),
        func.max(date_column),
        func.sum(case((date_column.is_(None), 1), else_=0)),
    ).group_by(model.site, model.source)
    return {(site, source): tuple(rest) for site, source, *rest in connection.execute(stmt)}


def changed(connection: Connection) -> dict[tuple, tuple[int, int]]:
    """(site, source) → (articles edited, articles removed); nothing for an archive without versions (before 0008)."""
    if not has_versions(connection):
        return {}
    removed = and_(
        Article.removal_confirmed_at.is_not(None),
        or_(Article.restored_at.is_(None), Article.restored_at < Article.removed_at),
    )
    stmt = (
        select(
            Article.site,
            Article.source,
            func.sum(case((Article.versions > 1, 1), else_=0)),
            func.sum(case((removed, 1), else_=0)),
        )
        .where(or_(Article.versions > 1, Article.removal_confirmed_at.is_not(None)))
        .group_by(Article.site, Article.source)
    )
    return {(site, source): (int(edited), int(gone)) for site, source, edited, gone in connection.execute(stmt)}


def last_runs(connection: Connection) -> dict[str, tuple]:
    """spider (= site) → (started_at, mode, status) of its newest run."""
    newest = select(func.max(CrawlRun.id)).group_by(CrawlRun.spider)
    stmt = select(CrawlRun.spider, CrawlRun.started_at, CrawlRun.mode, CrawlRun.status).where(CrawlRun.id.in_(newest))
    return {spider: tuple(rest) for spider, *rest in connection.execute(stmt)}


def stats_rows(connection: Connection) -> list[tuple]:
    """One row per (site, source), sorted; a site crawled without any rows yet gets one row too."""
    articles = counts(connection, Article, Article.published_on)
    entries = counts(connection, ListingEntry, ListingEntry.listed_on)
    runs = last_runs(connection)
    edits = changed(connection)
    keys = set(articles) | set(entries)
    keys |= {(spider, None) for spider in runs if spider not in {site for site, _ in keys}}
    rows = []
    for site, source in sorted(keys, key=lambda key: (key[0], key[1] or "")):
        a_count, a_first, a_last, a_undated = articles.get((site, source), (0, None, None, 0))
        e_count, e_first, e_last, e_undated = entries.get((site, source), (0, None, None, 0))
        dates = [d for d in (a_first, a_last, e_first, e_last) if d is not None]
        started, mode, status = runs.get(site, (None, None, None))
        rows.append(
            (
                site,
                source,
                a_count,
                e_count,
                min(dates, default=None),
                max(dates, default=None),
                a_undated or 0,
                e_undated or 0,
                *edits.get((site, source), (0, 0)),
                started.replace(microsecond=0) if started else None,
                mode,
                status,
            )
        )
    return rows


YIELD_COLUMNS = ("site", "run", "started", "status", "kind", "item", "measure", "filled", "of", "share")


def yield_report(connection: Connection, site: str | None, runs: int) -> tuple[list[tuple], list[str]]:
    """Rows of the newest `runs` runs of each site (or of `site`) that recorded a field yield, and
    the warnings of those runs."""
    sites = [site] if site else sorted(connection.scalars(select(CrawlRun.spider).distinct()))
    rows: list[tuple] = []
    warnings: list[str] = []
    for name in sites:
        for run in recent_runs(connection, STATS_KEY, spider=name, limit=runs):
            started = run.started_at.replace(microsecond=0) if run.started_at else None
            rows += [(name, run.id, started, run.status, *row) for row in yield_rows(run.value)]
            for drift in run.value.get("drift", []):
                example = f" — e.g. {drift['example']}" if drift.get("example") else ""
                warnings.append(f"run {run.id}: {name}: {drift['message']}{example}")
    return rows, warnings
