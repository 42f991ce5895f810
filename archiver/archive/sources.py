"""The sources, modules and categories of each site ever seen (table `sources`), and what a run
that should have walked them left uncovered.

Spiders yield a `SourceItem` for each listing a page names (KCNA Watch's source listings, RSTV's
modules and categories); the store upserts them here, one row per (site, listing URL): the name
and the "load more" id are kept once known, `first_seen_at`/`last_seen_at` record the sightings.
A run reads them back (`known_sources`) to start from every one ever seen; at its end
`uncovered` says, per source, why the walk log (archiver/archive/walks.py) does not show its
listing walked over a date range: never walked, walked only down to some date (and how the walk
ended), or not walked since some day.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Engine, case, func, select
from sqlalchemy.orm import Session

from archiver.archive.dialect import dialect_insert
from archiver.archive.models import ListingWalk, Source, utcnow
from archiver.items import SourceItem

#: Stats key of a run: one line per listing it left part of (spiders/base.py judge_coverage); the
#: run is then `degraded` (archiver/extensions/crawlrun.py).
COVERAGE_GAPS = "archiver/coverage/gaps"
#: Why a walk ended (`listing_walks.ended`), as a gap line says it.
ENDED_WORDS = {
    "bound": "the run's listing-page bounds cut it short",
    "no_source_id": 'no "load more" id on its page or in configuration, and the date search gave nothing',
    "stopped": "the run stopped before the walk ended (a page failed, or the run was interrupted)",
    "archive": "it met archived entries",
    "since": "it reached --since",
    "end": "it reached the listing's end",
}


@dataclass(frozen=True)
class KnownSource:
    kind: str
    key: str
    url: str
    name: str | None
    source_id: str | None
    source_id_from: str | None

    @property
    def label(self) -> str:
        """How a line names it: `KASS (EN) (/article/163/)`, or the listing alone."""
        return f"{self.name} ({self.url})" if self.name else self.url


def record_sources(session: Session, items: Sequence[SourceItem], counts: Counter | None = None) -> None:
    """Upsert the sources a batch named: a name or an id once known is kept (a later sighting
    without one does not erase it); `found_on` keeps the first page."""
    if not items:
        return
    now = utcnow()
    merged: dict[tuple[str, str], dict] = {}
    for item in items:
        row = merged.setdefault(
            (item.site, item.url),
            {
                "site": item.site,
                "kind": item.kind,
                "key": item.key,
                "url": item.url,
                "name": None,
                "source_id": None,
                "source_id_from": None,
                "found_on": item.found_on,
                "first_seen_at": now,
                "last_seen_at": now,
            },
        )
        row["name"] = item.name or row["name"]
        if item.source_id:
            row["source_id"], row["source_id_from"] = item.source_id, item.source_id_from
    statement = dialect_insert(session, Source)
    excluded = statement.excluded
    statement = statement.on_conflict_do_update(
        index_elements=["site", "url"],
        set_={
            "name": func.coalesce(excluded.name, Source.name),
            "source_id": func.coalesce(excluded.source_id, Source.source_id),
            "source_id_from": case(
                (excluded.source_id.is_not(None), excluded.source_id_from), else_=Source.source_id_from
            ),
            "last_seen_at": excluded.last_seen_at,
        },
    )
    before = session.scalar(select(func.count()).select_from(Source)) or 0
    session.execute(statement, list(merged.values()))
    if counts is not None:
        counts["sources/new"] += (session.scalar(select(func.count()).select_from(Source)) or 0) - before


def known_sources(engine: Engine, site: str, kinds: Iterable[str] = ("source", "module")) -> list[KnownSource]:
    """The site's sources (or modules, categories) ever seen, in the order they were first seen."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(Source.kind, Source.key, Source.url, Source.name, Source.source_id, Source.source_id_from)
            .where(Source.site == site, Source.kind.in_(list(kinds)))
            .order_by(Source.id)
        )
        return [KnownSource(*row) for row in rows]


def uncovered(
    engine: Engine, site: str, sources: Sequence[KnownSource], since: date | None, until: date
) -> list[tuple[KnownSource, str]]:
    """(source, why) for each source whose listing the walks have not covered from `since` (None:
    from its first entry) to `until` without a gap."""
    if not sources:
        return []
    with engine.connect() as connection:
        walks = {
            row.start_url: row
            for row in connection.execute(
                select(
                    ListingWalk.start_url,
                    ListingWalk.covered_from,
                    ListingWalk.covered_to,
                    ListingWalk.oldest_on,
                    ListingWalk.ended,
                ).where(ListingWalk.site == site, ListingWalk.start_url.in_([s.url for s in sources]))
            )
        }
    found = []
    for source in sources:
        walk = walks.get(source.url)
        if walk is None or walk.covered_to is None:
            found.append((source, "never walked"))
            continue
        reached = walk.covered_from  # None beside a covered_to: down to the listing's first entry
        if reached is not None and (since is None or reached > since):
            how = ENDED_WORDS.get(walk.ended or "", walk.ended or "")
            found.append((source, f"walked only back to {reached.isoformat()} ({how})"))
        elif walk.covered_to < until:
            found.append((source, f"not walked since {walk.covered_to.isoformat()}"))
    return found
