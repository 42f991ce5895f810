"""The walk log: how far each listing walk of a site got (table `listing_walks`).

A crawl writes, for each page of a start walk, the page's URL onto the walk's trail (the last
`trail_length` listing pages reached). When the walk ends on its own terms (no next page, or the
walk policy stops it), it is marked finished, but only when the run closes (`close`), after the
item pipelines have written everything: a run killed after its walk ended but before its last
items were written leaves the walk unfinished. A walk stopped by the per-run page bound is left
with the next page as its trail. The next run reads the unfinished walks (`unfinished`) and resumes
each from the oldest page of its trail. The trail reaches back many pages because the store writes
items in batches: the entries of the last pages a killed run saw may never have been written.
"""

from __future__ import annotations

from sqlalchemy import Engine, select

from archiver.archive.dialect import dialect_insert
from archiver.archive.engine import session_factory
from archiver.archive.models import ListingWalk, utcnow

TRAIL_LENGTH = 50


class WalkLog:
    def __init__(self, engine: Engine, site: str, trail_length: int = TRAIL_LENGTH) -> None:
        self.engine = engine
        self.site = site
        self.trail_length = max(1, trail_length)
        self.sessions = session_factory(engine)
        self.trails: dict[str, list[str]] = {}
        self.pages: dict[str, int] = {}
        # Trails of earlier runs, kept in front of this run's until the resumed walk ends, so that a
        # run killed before that leaves them for the next one.
        self.pinned: dict[str, list[str]] = {}
        self.ended: set[str] = set()
        self.cut: dict[str, str] = {}

    def pin(self, start_url: str, trail: list[str]) -> None:
        self.pinned[start_url] = list(trail)

    def unpin(self, start_url: str) -> None:
        self.pinned.pop(start_url, None)

    def unfinished(self) -> dict[str, list[str]]:
        """Start URL → trail (oldest first) of this site's walks that the last run did not finish."""
        with self.sessions() as session:
            rows = session.execute(
                select(ListingWalk.start_url, ListingWalk.trail).where(
                    ListingWalk.site == self.site, ListingWalk.finished.is_(False)
                )
            ).all()
        return {start: list(trail or []) for start, trail in rows if trail}

    def reached(self, start_url: str, url: str) -> None:
        """The walk from `start_url` reached the listing page `url` (not finished yet)."""
        trail = [u for u in self.trails.get(start_url, []) if u != url] + [url]
        self.trails[start_url] = trail[-self.trail_length :]
        self.pages[start_url] = self.pages.get(start_url, 0) + 1
        self._write(start_url, finished=False)

    def cut_short(self, start_url: str, next_url: str) -> None:
        """The run's page bound ended the walk from `start_url` before `next_url`: resume there
        (from the next run on; until this run closes, the trail still reaches back)."""
        self.cut[start_url] = next_url
        self.reached(start_url, next_url)

    def finished(self, start_url: str) -> None:
        """The walk from `start_url` ended on its own terms: marked so when the run closes."""
        self.ended.add(start_url)

    def close(self) -> None:
        """The run has closed and its items are written: record what its walks ended with."""
        for start_url in sorted(self.ended - set(self.pinned)):
            self.trails[start_url] = []
            self._write(start_url, finished=True)
        for start_url, next_url in sorted(self.cut.items()):
            if start_url not in self.pinned:
                self.trails[start_url] = [next_url]
                self._write(start_url, finished=False)

    def _write(self, start_url: str, *, finished: bool) -> None:
        pinned = self.pinned.get(start_url, [])
        trail = pinned + [url for url in self.trails.get(start_url, []) if url not in pinned]
        values = {
            "pages": self.pages.get(start_url, 0),
            "trail": trail or None,
            "finished": finished,
            "updated_at": utcnow(),
        }
        with self.sessions.begin() as session:
            session.execute(
                dialect_insert(session, ListingWalk)
                .values(site=self.site, start_url=start_url, **values)
                .on_conflict_do_update(index_elements=["site", "start_url"], set_=values)
            )
