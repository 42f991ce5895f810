"""Writes normalized items into the archive: one row per thing, every sighting remembered.

Rules (also in docs/architecture.md):
- `listing_entries`: one row per (site, article URL); a new sighting adds to `times_seen` and moves
  `last_seen_at`, and fills fields still empty; it never adds a row.
- `article_urls`: every address an article was found under, with the date it was listed under it.
- Reposts are one article: a fetched page whose normalized body hash equals an archived article's
  joins it; before its page is fetched, a listing entry whose normalized teaser equals that of an
  entry of the same site and source already tied to an article is tied to it too. Once the page is
  fetched its body decides. The article's `published_on` is the earliest date of its addresses, and
  its text comes from the earliest address (ties: the smallest URL), so the result is the same
  whatever order the pages arrive in.
- An article page without a body is not stored (its listing entry stays).
- Translations: the language links a page prints (`translation_urls`) are stored
  (`translation_links`); every archived version linked to a page, in either direction and through
  other versions, shares one `translation_group`, named after the smallest URL of that component
  (archiver/archive/translations.py), so groups come out the same in any order. Versions not yet
  fetched have no row; they join when they are fetched. A page of a site with language versions lists
  at least itself in `translation_urls` (a page without a language line: only itself), so that links
  to it from pages stored earlier are looked up; an empty list skips all this. A linked version that answered 404
  (`MissingVersionItem`) is noted on its links.

All writes use the dialect's INSERT … ON CONFLICT, so concurrent writers cannot create duplicates.
On PostgreSQL, where several workers write at once, each transaction also takes a per-site advisory
lock before it writes (the fold rules read what other batches wrote: one writer per site at a time
gives the same result as SQLite's single writer), and `write_batch` retries a transaction that
PostgreSQL aborted (deadlock, serialization failure, unique violation).

The parts: listing entries (archiver/archive/writer_entries.py), article pages in batches
(writer_bulk.py) and one at a time (writer_fold.py), and what they share (writer_base.py).
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable, Sequence
from typing import cast

from sqlalchemy import CursorResult, func, or_, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from archiver.archive import translations
from archiver.archive.models import Article, ListingEntry
from archiver.archive.writer_base import among
from archiver.archive.writer_bulk import BulkArticleWriter
from archiver.archive.writer_entries import ListingEntryWriter
from archiver.items import ArticleItem, ListingEntryItem, MissingVersionItem

# PostgreSQL errors after which the whole transaction can simply be run again.
RETRYABLE_SQLSTATES = {"40001", "40P01", "23505"}  # serialization failure, deadlock, unique violation


def write_batch(sessions: sessionmaker[Session], work: Callable[[Session], Counter], attempts: int = 8) -> Counter:
    """Run `work` in one transaction and return its counts; rerun it when PostgreSQL aborted it."""
    for attempt in range(1, attempts + 1):
        try:
            with sessions.begin() as session:
                return work(session)
        except DBAPIError as exc:
            state = getattr(exc.orig, "sqlstate", None)
            if state not in RETRYABLE_SQLSTATES or attempt == attempts:
                raise
            time.sleep(random.uniform(0.01, 0.05) * attempt)
    raise AssertionError("unreachable")


class ArchiveWriter(ListingEntryWriter, BulkArticleWriter):
    """Applies batches of items to the archive inside the caller's transaction; counts what changed."""

    def add_items(self, items: Sequence[object]) -> None:
        """A batch: listing entries first (so articles find their listing dates), then articles."""
        entries = [i for i in items if isinstance(i, ListingEntryItem)]
        articles = [i for i in items if isinstance(i, ArticleItem)]
        self.add_listing_entries(entries)
        ids = self.add_articles(articles)
        self.fill_untitled(entries, [i for i, item in zip(ids, articles) if i is not None and not item.title])
        for item in items:
            if isinstance(item, MissingVersionItem):
                self.add_missing_version(item)

    def fill_untitled(self, entries: Sequence[ListingEntryItem], article_ids: Sequence[int]) -> None:
        """An article whose page gave no title takes the title a listing gave it, whichever came first.

        The spider gives an untitled page the title of the listings it has seen so far; a listing
        parsed after the page (concurrency decides) gives it here. Of several listing titles, the
        one listed under the article's own address wins, then the smallest address; a title once
        given stays.
        """
        conditions = [among(Article.id, article_ids)] if article_ids else []
        for site in sorted({e.site for e in entries if e.title}):
            urls = sorted({e.article_url for e in entries if e.title and e.site == site})
            conditions.append(
                Article.id.in_(
                    select(ListingEntry.article_id).where(
                        ListingEntry.site == site,
                        among(ListingEntry.article_url, urls),
                        ListingEntry.title.is_not(None),
                    )
                )
            )
        if not conditions:
            return
        titled_entries = select(ListingEntry.title).where(
            ListingEntry.article_id == Article.id, ListingEntry.title.is_not(None)
        )
        # Two subqueries: SQLite's ORDER BY in a correlated subquery of an UPDATE cannot see the outer row.
        listed = func.coalesce(
            titled_entries.where(ListingEntry.article_url == Article.url).limit(1).scalar_subquery(),
            titled_entries.order_by(ListingEntry.article_url).limit(1).scalar_subquery(),
        )
        filled = self.session.execute(
            update(Article)
            .where(Article.title.is_(None), or_(*conditions), titled_entries.exists())
            .values(title=listed)
            .execution_options(synchronize_session=False)
        )
        self.counts["articles/titled_by_listing"] += cast(CursorResult, filled).rowcount or 0

    def add_missing_version(self, item: MissingVersionItem) -> None:
        """A linked language version that answered an error: noted on the links to it."""
        if translations.record_missing(self.session, item.url, item.status):
            self.counts["translation_links/missing"] += 1
