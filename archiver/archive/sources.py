"""The sources, modules and categories of each site ever seen (table `sources`), and what a run
that should have walked them left uncovered.

Spiders note each listing a page names (KCNA Watch's source listings, RSTV's modules and
categories) in a `SourceLog`, like their walks in the walk log: one row per (site, listing URL),
the name and the "load more" id kept once known, `first_seen_at`/`last_seen_at` the sightings.
A run reads them back (`known_sources`) to start from every one ever seen; at its end
`uncovered` says, per source, why the walk log (archiver/archive/walks.py) does not show its
listing walked over a date range: never walked, walked only down to some date (and how the walk
ended), or not walked since some day.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Engine, case, func, select
from sqlalchemy.orm import Session

from archiver.archive.dialect import dialect_insert
from archiver.archive.engine import session_factory
from archiver.archive.models import ListingWalk, Source, utcnow

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


@dataclass
class SourceSighting:
    """A listing a page named: a KCNA Watch source (`/article/ID/`), an RSTV module or category."""

    kind: str  # "source" | "module" | "category"
    key: str  # the listing id ("163"), the module ("news"), the category's path
    url: str  # the listing's canonical address
    name: str | None = None
    source_id: str | None = None  # the "load more" id, when known
    source_id_from: str | None = None  # where it was found: "attribute", "url", "script", "form", "configuration"
    found_on: str | None = None  # the page that named it


class SourceLog:
    """The sources a run sees, kept for `sources` (one sighting per listing and run; again when its
    name or id becomes known). Written in batches, and at the run's close (`flush`)."""

    def __init__(self, engine: Engine | None, site: str, batch: int = 50) -> None:
        self.engine = engine
        self.site = site
        self.batch = batch
        self.seen: dict[str, SourceSighting] = {}
        self.pending: dict[str, SourceSighting] = {}

    def saw(self, sighting: SourceSighting) -> bool:
        """Note a sighting; True when the listing is new to this run."""
        known = self.seen.get(sighting.url)
        if known is not None and (known.name or not sighting.name) and (known.source_id or not sighting.source_id):
            return False
        if known is not None:
            sighting.name = sighting.name or known.name
            if not sighting.source_id:
                sighting.source_id, sighting.source_id_from = known.source_id, known.source_id_from
            sighting.found_on = known.found_on
        self.seen[sighting.url] = self.pending[sighting.url] = sighting
        if len(self.pending) >= self.batch:
            self.flush()
        return known is None

    def flush(self) -> None:
        if not self.pending or self.engine is None:
            return
        with session_factory(self.engine).begin() as session:
            record_sources(session, self.site, list(self.pending.values()))
        self.pending = {}


def record_sources(session: Session, site: str, sightings: Sequence[SourceSighting]) -> None:
    """Upsert sightings: a name or an id once known is kept (a later sighting without one does not
    erase it); `found_on` and `first_seen_at` keep the first."""
    if not sightings:
        return
    now = utcnow()
    rows = [
        {
            "site": site,
            "kind": s.kind,
            "key": s.key,
            "url": s.url,
            "name": s.name,
            "source_id": s.source_id,
            "source_id_from": s.source_id_from if s.source_id else None,
            "found_on": s.found_on,
            "first_seen_at": now,
            "last_seen_at": now,
        }
        for s in sightings
    ]
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
    session.execute(statement, rows)


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
