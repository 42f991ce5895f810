"""The store stage of `archiver reparse`: the archive's rules through the writer, but a reparse is a
re-derivation, not a sighting: listing-entry fields are re-derived in place (a stored value stays
while some stored page still gives it) and `last_seen_at` does not move (`ReparseStorePipeline`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from archiver.archive.models import Article, ListingEntry
from archiver.archive.writer import ArchiveWriter
from archiver.archive.writer_base import LISTING_FILL
from archiver.items import ArticleItem, ListingEntryItem
from pipelines.store import StorePipeline

# Listing-entry fields re-derived from each sighting, each on its own as a crawl fills them;
# `teaser_truncated` follows the teaser (and the teaser checks against the body), not a sighting of its own.
REDERIVED = tuple(name for name in LISTING_FILL if name != "teaser_truncated")


@dataclass
class Rederived:
    """One listing entry's re-derivation so far: what the archive held, which fields are set."""

    stored: dict[str, Any]  # REDERIVED and teaser_truncated as found (empty for an entry the reparse adds)
    done: set[str] = field(default_factory=set)  # the fields a sighting of this reparse has set


class ReparseWriter(ArchiveWriter):
    """ArchiveWriter whose listing entries are re-derived in place rather than counted as sightings.

    An entry listed on several pages may be listed differently on each, and the crawl kept the
    sighting it stored first, an order that concurrency decides. So the stored value stays whenever
    some sighting of this reparse still gives it; only a value that no stored page gives any more is
    replaced, by the first sighting in page order. A reparse after a crawl thus changes nothing,
    whatever order either of them met the pages in.
    """

    record_versions = False  # not a fetch: the stored versions are re-derived apart (reparse_versions.py)

    def __init__(self, session: Session, counts: Counter, derived: dict[tuple[str, str], Rederived]) -> None:
        super().__init__(session, counts)
        self.derived = derived  # (site, url) → that entry's re-derivation across batches

    def rederive_listing_entries(self, items: Iterable[ListingEntryItem]) -> None:
        items = list(items)
        if not items:
            return
        known = {
            (entry.site, entry.article_url): entry
            for site in {i.site for i in items}
            for entry in self.session.scalars(
                select(ListingEntry).where(
                    ListingEntry.site == site,
                    ListingEntry.article_url.in_(sorted({i.article_url for i in items if i.site == site})),
                )
            )
        }
        missing = [item for item in items if (item.site, item.article_url) not in known]
        new_teasers: list[ListingEntry] = []
        for item in items:
            entry = known.get((item.site, item.article_url))
            if entry is None:
                continue
            state = self.derived.get((item.site, item.article_url))
            if state is None:
                stored = {name: getattr(entry, name) for name in (*REDERIVED, "teaser_truncated")}
                state = self.derived[(item.site, item.article_url)] = Rederived(stored)
            for name in REDERIVED:
                value = getattr(item, name)
                if value is None:
                    continue
                if name in state.done:
                    if value != state.stored.get(name):
                        continue  # a later sighting that does not give the stored value: no say
                    # ...it does: the stored value is still derived, so it stays (or comes back).
                    truncated = state.stored["teaser_truncated"]
                else:
                    state.done.add(name)
                    truncated = item.teaser_truncated
                if getattr(entry, name) == value:
                    continue
                setattr(entry, name, value)
                if name == "teaser":
                    # Whether a teaser is cut short is judged against the body: check it again.
                    entry.teaser_truncated = truncated
                    new_teasers.append(entry)
        if missing:  # entries a fixed parser finds for the first time: stored like a crawl stores them
            for item in missing:
                self.derived[(item.site, item.article_url)] = Rederived({}, set(REDERIVED))
            self.add_listing_entries(missing)
        self.session.flush()
        for site in sorted({item.site for item in items}):
            self._link_entries(site, sorted({item.article_url for item in items if item.site == site}))
        self.check_teasers(new_teasers)


class ReparseStorePipeline(StorePipeline):
    """The store stage for `archiver reparse`: same rules, larger batches, no sightings recorded."""

    batch_setting = ("ARCHIVER_REPARSE_BATCH", 2000)

    def __init__(self, db_url: str, batch_size: int, stats) -> None:
        super().__init__(db_url, batch_size, stats)
        self.derived: dict[tuple[str, str], Rederived] = {}
        self.last_seen: dict[int, datetime] = {}

    @classmethod
    def from_crawler(cls, crawler):
        pipeline = super().from_crawler(crawler)
        # A reparse stores full batches and checkpoints every CHECKPOINT_PAGES pages (reparse.py): the
        # crawl's flush after ARCHIVER_STORE_FLUSH_SECONDS (items not held while pages trickle in) is not for it.
        pipeline.flush_seconds = 0.0
        return pipeline

    def open_spider(self, spider=None) -> None:
        super().open_spider(spider)
        query = select(Article.id, Article.last_seen_at)
        if spider is not None:
            query = query.where(Article.site == spider.name)
        with self.sessions() as session:
            self.last_seen = dict(session.execute(query).all())

    def flush(self) -> None:
        if not self.buffer:
            return
        batch, self.buffer = self.buffer, []
        with self.sessions.begin() as session:
            writer = ReparseWriter(session, self.counts, self.derived)
            entries = [i for i in batch if isinstance(i, ListingEntryItem)]
            articles = [i for i in batch if isinstance(i, ArticleItem)]
            writer.rederive_listing_entries(entries)
            ids = writer.add_articles(articles)
            writer.fill_untitled(entries, [i for i, item in zip(ids, articles) if i is not None and not item.title])
            restore = [
                {"b_id": article_id, "b_last_seen_at": self.last_seen[article_id]}
                for article_id in sorted({i for i in ids if i is not None} & self.last_seen.keys())
            ]
            if restore:
                table = Article.__table__
                session.execute(
                    update(table)  # type: ignore[arg-type]  # a Core executemany, not an ORM bulk update
                    .where(table.c.id == bindparam("b_id"))
                    .values(last_seen_at=bindparam("b_last_seen_at")),
                    restore,
                )
