"""How complete the archive is (the data behind `archiver coverage`): per site, per source (KCNA
Watch) or module and category (RSTV), per month, the entries listed, the articles archived, those
whose fetch failed and those gone; how far each source's walks reached; the gaps.

`coverage_report(connection, site)` returns plain rows (`ROW_COLUMNS`), the walk of each source
(`WALK_COLUMNS`) and the gaps: sources seen but never walked, and sources whose last walk left part
of their listing unread (cut short by the run's bounds, no "load more" id, a page that failed).

An address counts once, in the month it is listed under (its listing date, else the date its
article was published) and in the group its article names (its source; its module, from the URL's
first segment, and its category), else its listing's. "failed": not archived, and its last fetch
answered an error, or it answered 404/410 on fewer runs than make it gone; "gone": gone for good
(archiver/archive/gone.py).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlsplit

from sqlalchemy import Connection, func, select

from archiver.archive.models import Article, ArticleUrl, GoneUrl, ListingDetails, ListingEntry, ListingWalk, Page
from archiver.archive.models import Source as SourceRow
from archiver.archive.sources import ENDED_WORDS
from archiver.archive.walks import COMPLETE

ROW_COLUMNS = ("site", "group_kind", "group_name", "month", "listed", "archived", "failed", "gone")
WALK_COLUMNS = (
    "site",
    "kind",
    "name",
    "listing",
    "source_id",
    "first_seen",
    "last_seen",
    "walked_from",
    "walked_to",
    "last_walk",
    "covered_from",
    "covered_to",
)
UNKNOWN = "(unknown)"
DAY_ARCHIVE = re.compile(r"/(\d{4})-(\d{1,2})-(\d{1,2})$")


@dataclass(frozen=True)
class Gap:
    site: str
    kind: str
    name: str | None
    url: str
    why: str

    def line(self) -> str:
        label = f"{self.name} ({self.url})" if self.name else self.url
        return f"{self.site}: {self.kind} {label}: {self.why}"


@dataclass
class CoverageReport:
    rows: list[tuple]  # ROW_COLUMNS
    walks: list[tuple]  # WALK_COLUMNS
    gaps: list[Gap]


@dataclass
class Address:
    """One article address as coverage counts it."""

    month: str
    groups: list[tuple[str, str]]  # (group kind, group name)
    listed: bool = False
    archived: bool = False
    failed: bool = False
    gone: bool = False


def month_of(day: date | None) -> str:
    return f"{day:%Y-%m}" if day else ""


def sites_of(connection: Connection, site: str | None) -> list[str]:
    if site:
        return [site]
    found = set(connection.scalars(select(ListingEntry.site).distinct()))
    found |= set(connection.scalars(select(Article.site).distinct()))
    found |= set(connection.scalars(select(SourceRow.site).distinct()))
    return sorted(found)


def coverage_report(connection: Connection, site: str | None = None) -> CoverageReport:
    """The rows, walks and gaps of one site (or of every site in the archive)."""
    report = CoverageReport([], [], [])
    for name in sites_of(connection, site):
        modules = set(
            connection.scalars(select(SourceRow.key).where(SourceRow.site == name, SourceRow.kind == "module"))
        )
        report.rows += month_rows(connection, name, modules)
        walks, gaps = walk_rows(connection, name)
        report.walks += walks
        report.gaps += gaps
    return report


def month_rows(connection: Connection, site: str, modules: set[str]) -> list[tuple]:
    """ROW_COLUMNS rows of one site: per group and month, sorted."""
    addresses: dict[str, Address] = {}

    def groups(url: str, source: str | None, category: str | None) -> list[tuple[str, str]]:
        if not modules:
            return [("source", source or UNKNOWN)]
        segment = urlsplit(url).path.strip("/").split("/")[0]
        return [("module", segment if segment in modules else UNKNOWN), ("category", category or UNKNOWN)]

    categories = dict(
        connection.execute(
            select(ListingDetails.article_url, ListingDetails.category).where(ListingDetails.site == site)
        ).all()
    )
    for url, listed_on, source in connection.execute(
        select(ListingEntry.article_url, ListingEntry.listed_on, ListingEntry.source).where(ListingEntry.site == site)
    ):
        addresses[url] = Address(month_of(listed_on), groups(url, source, categories.get(url)), listed=True)
    for url, listed_on, fetched, source, category, published_on in connection.execute(
        select(
            ArticleUrl.url, ArticleUrl.listed_on, ArticleUrl.fetched, Article.source, Article.category,
            Article.published_on,
        )
        .join(Article, Article.id == ArticleUrl.article_id)
        .where(Article.site == site)
    ):  # fmt: skip
        found = addresses.get(url)
        if found is None:
            found = addresses[url] = Address(month_of(listed_on or published_on), [])
        if fetched or source or category:
            found.groups = groups(url, source, category or categories.get(url)) if source or modules else found.groups
        found.groups = found.groups or groups(url, source, category)
        found.month = found.month or month_of(listed_on or published_on)
        found.archived = found.archived or bool(fetched)
    for url, gone_at in connection.execute(select(GoneUrl.url, GoneUrl.gone_at).where(GoneUrl.site == site)):
        if url in addresses and not addresses[url].archived:
            addresses[url].gone = gone_at is not None
            addresses[url].failed = gone_at is None
    errors = select(Page.url).where(Page.site == site, Page.status >= 400).distinct()
    for (url,) in connection.execute(errors):
        if url in addresses and not addresses[url].archived and not addresses[url].gone:
            addresses[url].failed = True
    counts: dict[tuple[str, str, str], Counter] = {}
    for address in addresses.values():
        for kind, name in address.groups:
            counter = counts.setdefault((kind, name, address.month), Counter())
            counter["listed"] += address.listed
            counter["archived"] += address.archived
            counter["failed"] += address.failed
            counter["gone"] += address.gone
    return [
        (site, kind, name, month, c["listed"], c["archived"], c["failed"], c["gone"])
        for (kind, name, month), c in sorted(counts.items())
    ]


def walk_rows(connection: Connection, site: str) -> tuple[list[tuple], list[Gap]]:
    """WALK_COLUMNS rows of the site's sources and modules (categories are groups, not walked), and
    the gaps they show."""
    walks = {
        row.start_url: row
        for row in connection.execute(
            select(
                ListingWalk.start_url, ListingWalk.oldest_on, ListingWalk.newest_on, ListingWalk.ended,
                ListingWalk.covered_from, ListingWalk.covered_to,
            ).where(ListingWalk.site == site)
        )
    }  # fmt: skip
    rows, gaps = [], []
    sources = connection.execute(
        select(
            SourceRow.kind, SourceRow.name, SourceRow.url, SourceRow.source_id, SourceRow.first_seen_at,
            SourceRow.last_seen_at, SourceRow.found_on,
        )
        .where(SourceRow.site == site, SourceRow.kind.in_(["source", "module"]))
        .order_by(SourceRow.kind, func.coalesce(SourceRow.name, SourceRow.url))
    )  # fmt: skip
    for source in sources:
        walk = walks.get(source.url)
        days = [d for url in walks if url.startswith(source.url) and (d := day_of(url))]
        if walk is not None:
            walked = (walk.oldest_on, walk.newest_on, walk.ended)
            covered = (walk.covered_from if walk.covered_to else None, walk.covered_to)
            if walk.covered_to and walk.covered_from is None:
                covered = ("the first entry", walk.covered_to)
        elif days:  # walked day by day (RSTV's day archives)
            walked, covered = (min(days), max(days), "days"), (None, None)
        else:
            walked, covered = (None, None, None), (None, None)
        rows.append(
            (
                site, source.kind, source.name, source.url, source.source_id,
                source.first_seen_at.replace(microsecond=0), source.last_seen_at.replace(microsecond=0),
                *walked, *covered,
            )
        )  # fmt: skip
        if walk is None and not days:
            seen = f", seen on {source.found_on}" if source.found_on else ""
            gaps.append(Gap(site, source.kind, source.name, source.url, f"seen but never walked{seen}"))
        elif walk is not None and walk.ended and walk.ended not in COMPLETE:
            reached = f" (back to {walk.oldest_on})" if walk.oldest_on else ""
            why = f"its last walk stopped early{reached}: {ENDED_WORDS.get(walk.ended, walk.ended)}"
            gaps.append(Gap(site, source.kind, source.name, source.url, why))
    return rows, gaps


def day_of(url: str) -> date | None:
    """The day of a day-archive URL (`/blog/2021-3-3`), else None."""
    match = DAY_ARCHIVE.search(urlsplit(url).path)
    try:
        return date(*(int(g) for g in match.groups())) if match else None
    except ValueError:
        return None


def picture_rows(report: CoverageReport) -> list[tuple[str, str, int, bool]]:
    """The report's monthly rows as the coverage picture takes them (archiver/research/plot.py):
    (group, 'YYYY-MM', articles archived, is_gap). A month is a gap when some address listed in it
    is neither archived nor gone (a fetch that failed, an entry never fetched), and, for a source the
    report names as a gap, when its walks did not cover it (never walked: every month). Undated rows
    are left out: they have no month to be drawn in."""
    walks = {(walk[0], walk[3]): walk for walk in report.walks}
    uncovered: dict[tuple[str, str], tuple[str | None, str | None]] = {}
    for gap in report.gaps:
        walk = walks.get((gap.site, gap.url))
        covered = (_month(walk[-2]), _month(walk[-1])) if walk else (None, None)
        uncovered[(gap.site, gap.name or gap.url)] = covered
    rows = []
    for site, kind, name, month, listed, archived, failed, gone in report.rows:
        if not month:
            continue
        missing = bool(failed) or listed > archived + gone
        if (site, name) in uncovered:
            start, end = uncovered[(site, name)]
            missing = missing or start is None or month < start or (end is not None and month > end)
        group = f"{site} / {name}" if kind == "source" else f"{site} / {kind} {name}"
        rows.append((group, month, archived, missing))
    return rows


def _month(value: object) -> str | None:
    """A walk's covered bound as a month ('YYYY-MM'); "the first entry" as the earliest of all."""
    if isinstance(value, date):
        return value.isoformat()[:7]
    return "0000-00" if value else None
