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

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import Engine, select, update

from archiver.archive.dialect import dialect_insert
from archiver.archive.engine import session_factory
from archiver.archive.models import ListingWalk, utcnow

TRAIL_LENGTH = 50
#: How a walk ended (`listing_walks.ended`), from the walk policy's reasons to stop.
ENDINGS = {
    "older_than_since": "since",  # its entries went past the run's --since
    "all_archived": "archive",  # an incremental walk met archived entries: older ones were walked before
    "reached_archive": "archive",
    "nothing_new_for_pages": "bound",  # the run's bounds (ARCHIVER_WALK_MAX_*) cut it short
    "max_listing_pages": "bound",
}
#: Endings after which a walk has read its listing as far as it needed: "end" (the listing's last
#: page), "since", "archive". Others ("bound", "no_source_id", "stopped") left part of it unread.
COMPLETE = frozenset({"end", "since", "archive"})
#: `covered_from` of a listing walked to its very first entry (stored as NULL beside a `covered_to`).
BEGINNING = date.min


@dataclass
class Reach:
    """What one walk of this run saw: its listing dates, whether it read the listing's first page
    (a walk resumed mid-way did not), and how it ended (None: it had not when the run closed)."""

    oldest: date | None = None
    newest: date | None = None
    from_top: bool = False
    ended: str | None = None
    #: The day a walk that ended "since" read down to (the run's --since), whatever its entries' dates.
    floor: date | None = None

    def saw(self, days: Iterable[date]) -> None:
        for day in days:
            self.oldest = day if self.oldest is None else min(self.oldest, day)
            self.newest = day if self.newest is None else max(self.newest, day)


def covered(before: tuple[date | None, date | None], reach: Reach, today: date) -> tuple[date | None, date | None]:
    """The dates walks have covered without a gap, from the listing's top down, after `reach`.

    `before` is (covered_from, covered_to) as stored: covered_to is the day the top was last read,
    covered_from the oldest listing date reached below it without a gap (BEGINNING: the listing's
    first entry). A walk from the top covers its own dates up to today; it joins the earlier cover
    when it reached down into it, met archived entries, or continues an earlier walk.
    """
    old_from, old_to = before
    if old_to is not None and old_from is None:
        old_from = BEGINNING
    ended = reach.ended or "stopped"
    low = BEGINNING if ended == "end" else reach.oldest
    if ended == "since" and reach.floor is not None:
        low = min(low or reach.floor, reach.floor)
    top = max(today, reach.newest) if reach.from_top and reach.newest else (today if reach.from_top else old_to)
    if low is None or top is None:
        return before
    joined = old_from is not None and old_to is not None and (not reach.from_top or ended == "archive" or low <= old_to)
    if joined:
        return min(old_from, low), max(old_to, top)  # type: ignore[type-var]  # joined: both set
    return low, top


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
        self.reach: dict[str, Reach] = {}

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
        self.reach.setdefault(start_url, Reach()).ended = "bound"
        self.reached(start_url, next_url)

    def finished(self, start_url: str, how: str = "end", floor: date | None = None) -> None:
        """The walk from `start_url` ended on its own terms (`how`: "end", "since", … see ENDINGS;
        `floor`: the day a "since" walk read down to): marked so when the run closes."""
        self.ended.add(start_url)
        reach = self.reach.setdefault(start_url, Reach())
        reach.ended, reach.floor = how, floor

    def saw(self, start_url: str, days: Iterable[date], *, from_top: bool) -> None:
        """A page of the walk from `start_url` listed entries of these dates (`from_top`: the walk's
        first page in this run was the listing's own first page)."""
        reach = self.reach.setdefault(start_url, Reach(from_top=from_top))
        reach.saw(days)

    def cover(self, today: date | None = None) -> None:
        """Record how far each walk of this run reached, and the dates the walks have covered."""
        if not self.reach:
            return
        today = today or datetime.now(UTC).date()
        with self.sessions.begin() as session:
            rows = {
                row.start_url: row
                for row in session.execute(
                    select(ListingWalk.start_url, ListingWalk.covered_from, ListingWalk.covered_to).where(
                        ListingWalk.site == self.site, ListingWalk.start_url.in_(sorted(self.reach))
                    )
                )
            }
            for start_url, reach in sorted(self.reach.items()):
                row = rows.get(start_url)
                if row is None:
                    continue  # a walk that never reached a page (its first one failed)
                low, top = covered((row.covered_from, row.covered_to), reach, today)
                session.execute(
                    update(ListingWalk)
                    .where(ListingWalk.site == self.site, ListingWalk.start_url == start_url)
                    .values(
                        oldest_on=reach.oldest,
                        newest_on=reach.newest,
                        ended=reach.ended or "stopped",
                        covered_from=None if low == BEGINNING else low,
                        covered_to=top,
                    )
                )

    def close(self) -> None:
        """The run has closed and its items are written: record what its walks ended with, and how
        far they reached."""
        for start_url in sorted(self.ended - set(self.pinned)):
            self.trails[start_url] = []
            self._write(start_url, finished=True)
        for start_url, next_url in sorted(self.cut.items()):
            if start_url not in self.pinned:
                self.trails[start_url] = [next_url]
                self._write(start_url, finished=False)
        self.cover()

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
