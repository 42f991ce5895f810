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
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import fields
from datetime import date

from sqlalchemy import func, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from archiver.archive import translations
from archiver.archive.models import Article, ArticleUrl, ListingDetails, ListingEntry, utcnow
from archiver.items import ArticleItem, ListingEntryItem, MissingVersionItem
from archiver.normalize.text import teaser_is_truncated, teaser_matches_body

# Article columns copied from the item of the address that defines the article's text.
ARTICLE_FIELDS = (
    "source",
    "title",
    "subtitle",
    "body",
    "language",
    "date_raw",
    "dateline",
    "dateline_place",
    "dateline_on",
    "original_url",
    "category",
    "author",
    "views",
    "comments",
    "tags",
    "content_hash",
)
LISTING_FILL = (
    "source",
    "title",
    "teaser",
    "teaser_raw",
    "teaser_truncated",
    "teaser_key",
    "listed_on",
    "date_raw",
)
#: What a listing line says beyond LISTING_FILL (stored in listing_details; the latest sighting wins).
LISTING_DETAILS = ("category", "views", "comments")


def dialect_insert(session: Session, model):
    if session.bind.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(model)


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


def version_key(listed_on: date | None, url: str) -> tuple:
    """Which address of an article defines its text: the earliest listed, then the smallest URL."""
    return (listed_on or date.max, url)


class ArchiveWriter:
    """Applies batches of items to the archive inside the caller's transaction; counts what changed."""

    def __init__(self, session: Session, counts: Counter | None = None) -> None:
        self.session = session
        self.counts = counts if counts is not None else Counter()
        self._locked_sites: set[str] = set()

    def lock_sites(self, sites: Iterable[str]) -> None:
        """PostgreSQL: one writer per site until this transaction ends (no-op on SQLite, which has one writer)."""
        if self.session.bind.dialect.name != "postgresql":
            return
        for site in sorted(set(sites) - self._locked_sites):
            self.session.execute(select(func.pg_advisory_xact_lock(func.hashtext(f"archiver/site/{site}"))))
            self._locked_sites.add(site)

    def add_items(self, items: Sequence[object]) -> None:
        """A batch: listing entries first (so articles find their listing dates), then articles."""
        self.add_listing_entries(i for i in items if isinstance(i, ListingEntryItem))
        for item in items:
            if isinstance(item, ArticleItem):
                self.add_article(item)
        for item in items:
            if isinstance(item, MissingVersionItem):
                self.add_missing_version(item)

    def add_missing_version(self, item: MissingVersionItem) -> None:
        """A linked language version that answered an error: noted on the links to it."""
        if translations.record_missing(self.session, item.url, item.status):
            self.counts["translation_links/missing"] += 1

    # Listing entries -------------------------------------------------------------------------
    def add_listing_entries(self, items: Iterable[ListingEntryItem]) -> None:
        merged: dict[tuple[str, str], tuple[ListingEntryItem, int]] = {}
        for item in items:
            key = (item.site, item.article_url)
            if key in merged:
                first, seen = merged[key]
                for name in LISTING_FILL:
                    if getattr(first, name) is None:
                        setattr(first, name, getattr(item, name))
                for name in LISTING_DETAILS:  # counts change: the latest sighting's
                    if getattr(item, name) is not None:
                        setattr(first, name, getattr(item, name))
                merged[key] = (first, seen + 1)
            else:
                merged[key] = (ListingEntryItem(**{f.name: getattr(item, f.name) for f in fields(item)}), 1)
        if not merged:
            return
        now = utcnow()
        self.lock_sites(site for site, _ in merged)
        for site in {site for site, _ in merged}:
            urls = [url for s, url in merged if s == site]
            existing = set(
                self.session.scalars(
                    select(ListingEntry.article_url).where(
                        ListingEntry.site == site, ListingEntry.article_url.in_(urls)
                    )
                )
            )
            new = len(set(urls) - existing)
            sightings = sum(seen for (s, _), (_, seen) in merged.items() if s == site)
            self.counts["listing_entries/new"] += new
            self.counts["listing_entries/seen_again"] += sightings - new
        rows = [
            {
                "site": item.site,
                "article_url": item.article_url,
                **{name: getattr(item, name) for name in LISTING_FILL},
                "times_seen": seen,
                "first_seen_at": now,
                "last_seen_at": now,
            }
            for item, seen in merged.values()
        ]
        # One Core statement run for every row (executemany): compiled once and cached, where a
        # multi-row VALUES would be compiled anew for each batch size, and the ORM's bulk path
        # would convert every row again. (The SELECT above has flushed the session.)
        table = ListingEntry.__table__
        stmt = dialect_insert(self.session, table)
        stmt = stmt.on_conflict_do_update(
            index_elements=["site", "article_url"],
            set_={
                "times_seen": table.c.times_seen + stmt.excluded.times_seen,
                "last_seen_at": stmt.excluded.last_seen_at,
                **{name: func.coalesce(table.c[name], stmt.excluded[name]) for name in LISTING_FILL},
            },
        )
        self.session.execute(stmt, rows)
        self._add_listing_details([item for item, _ in merged.values()], now)
        for site in {site for site, _ in merged}:
            self._link_entries(site, [url for s, url in merged if s == site])

    def _add_listing_details(self, items: Sequence[ListingEntryItem], now) -> None:
        rows = [
            {
                "site": item.site,
                "article_url": item.article_url,
                **{name: getattr(item, name) for name in LISTING_DETAILS},
                "last_seen_at": now,
            }
            for item in items
            if any(getattr(item, name) is not None for name in LISTING_DETAILS)
        ]
        if not rows:
            return
        table = ListingDetails.__table__
        stmt = dialect_insert(self.session, table)
        stmt = stmt.on_conflict_do_update(
            index_elements=["site", "article_url"],
            set_={name: stmt.excluded[name] for name in (*LISTING_DETAILS, "last_seen_at")},
        )
        self.session.execute(stmt, rows)

    def _link_entries(self, site: str, urls: Sequence[str]) -> None:
        """Tie entries to their articles: by address, else (reposts not yet fetched) by teaser."""
        known = dict(
            self.session.execute(select(ArticleUrl.url, ArticleUrl.article_id).where(ArticleUrl.url.in_(urls))).all()
        )
        entries = self.session.scalars(
            select(ListingEntry).where(
                ListingEntry.site == site, ListingEntry.article_url.in_(urls), ListingEntry.article_id.is_(None)
            )
        ).all()
        # Only a teaser that some tied entry has can find a twin: one query per batch tells which,
        # so most entries (stories not fetched yet) need no query of their own.
        keys = {(e.site, e.teaser_key) for e in entries if e.teaser_key and e.article_url not in known}
        tied = self._tied_teaser_keys(keys)
        for entry in entries:
            if entry.article_url in known:
                entry.article_id = known[entry.article_url]
                tied.add((entry.site, entry.teaser_key))
                self.check_teasers([entry])
                continue
            if not entry.teaser_key or (entry.site, entry.teaser_key) not in tied:
                continue
            twin = self.session.scalar(
                select(ListingEntry.article_id)
                .where(
                    ListingEntry.site == entry.site,
                    ListingEntry.teaser_key == entry.teaser_key,
                    ListingEntry.source.is_not_distinct_from(entry.source),
                    ListingEntry.article_id.is_not(None),
                )
                .limit(1)
            )
            if twin is not None:
                entry.article_id = twin
                self._insert_url(entry.article_url, twin, entry.listed_on, fetched=False)
                self._refresh_dates(twin)
                self.counts["article_urls/folded_by_teaser"] += 1
                tied = self._tied_teaser_keys(keys)  # the refresh may have tied more entries

    def _tied_teaser_keys(self, keys: set[tuple[str, str]]) -> set[tuple[str, str]]:
        """Those of the (site, teaser_key) pairs that an entry tied to an article has."""
        if not keys:
            return set()
        rows = self.session.execute(
            select(ListingEntry.site, ListingEntry.teaser_key)
            .where(
                ListingEntry.site.in_({site for site, _ in keys}),  # the (site, teaser_key) index
                ListingEntry.teaser_key.in_({key for _, key in keys}),
                ListingEntry.article_id.is_not(None),
            )
            .distinct()
        )
        return {(site, key) for site, key in rows} & keys

    # Articles --------------------------------------------------------------------------------
    def add_article(self, item: ArticleItem) -> Article | None:
        """Store one fetched article page, folding it into an archived story when it is a repost."""
        if not item.body:
            self.counts["articles/skipped_no_body"] += 1
            return None
        self.lock_sites([item.site])
        listed_on = item.published_on or self.session.scalar(
            select(ListingEntry.listed_on).where(ListingEntry.site == item.site, ListingEntry.article_url == item.url)
        )
        address = self.session.scalar(select(ArticleUrl).where(ArticleUrl.url == item.url))
        same_body = self.session.scalar(
            select(Article).where(Article.site == item.site, Article.content_hash == item.content_hash)
        )
        current = self.session.get(Article, address.article_id) if address else None

        if current is not None and current.content_hash != item.content_hash and same_body is None:
            # Either the site changed the text of this address (edit the article in place), or the
            # address now serves another story than the one its other addresses still hold, or it
            # was tied to a story by its teaser and its body says otherwise (a new article).
            target = current if current.url == item.url and not self._other_fetched(current, item.url) else None
        else:
            target = same_body or current
        if target is None and current is not None:
            self._release(current, item.url, keep_address=True)  # free articles.url for the new story
        target, created = (target, False) if target is not None else self._create_article(item)

        newly_attached = address is None or address.article_id != target.id
        refetched = address is not None and address.fetched and not newly_attached
        if address is None:
            self._insert_url(item.url, target.id, listed_on, fetched=True)
        else:
            address.article_id = target.id
            address.listed_on = listed_on
            address.fetched = True
        self.session.flush()
        if current is not None and current.id != target.id:
            self._release(current, item.url)

        defines_text = target.url == item.url or version_key(listed_on, item.url) <= version_key(
            self._listed_on(target.url), target.url
        )
        if defines_text:
            changed = self._copy_fields(target, item)
            target.url = item.url
            if changed and refetched:  # the site changed what this address serves
                self.counts["articles/updated"] += 1
        if not created and newly_attached:
            self.counts["articles/folded"] += 1
        target.last_seen_at = utcnow()
        self._join_translations(target, item)
        article_id = target.id  # read before _refresh_dates expires every object (a reload each)
        self._refresh_dates(article_id)
        self._tie_teaser_twins(item.site, item.url, article_id)
        self.check_teasers(
            self.session.scalars(
                select(ListingEntry).where(ListingEntry.site == item.site, ListingEntry.article_url == item.url)
            ).all()
        )
        return target

    def _join_translations(self, article: Article, item: ArticleItem) -> None:
        """One `translation_group` for all archived language versions of the item's story."""
        if not item.translation_urls:
            return  # a site without language versions (a site with them lists at least the page itself)
        self.counts["translation_links/new"] += translations.record_links(
            self.session, item.site, item.url, item.translation_urls
        )
        _, merged = translations.join_group(self.session, article.id)
        if merged:
            self.counts["translation_groups/merged"] += 1
        self.session.expire(article)

    def _tie_teaser_twins(self, site: str, url: str, article_id: int) -> None:
        """Entries not yet fetched whose teaser and source equal this address's entry: the same story."""
        entry = self.session.scalar(
            select(ListingEntry).where(ListingEntry.site == site, ListingEntry.article_url == url)
        )
        if entry is None or not entry.teaser_key:
            return
        twins = self.session.scalars(
            select(ListingEntry).where(
                ListingEntry.site == site,
                ListingEntry.teaser_key == entry.teaser_key,
                ListingEntry.source.is_not_distinct_from(entry.source),
                ListingEntry.article_id.is_(None),
            )
        ).all()
        for twin in twins:
            twin.article_id = article_id
            self._insert_url(twin.article_url, article_id, twin.listed_on, fetched=False)
            self.counts["article_urls/folded_by_teaser"] += 1
        if twins:
            self._refresh_dates(article_id)

    def _create_article(self, item: ArticleItem) -> tuple[Article, bool]:
        """A new article for the item, unless a concurrent writer just stored its body: then that one."""
        self.session.flush()
        now = utcnow()
        stmt = (
            dialect_insert(self.session, Article)
            .values(
                site=item.site,
                url=item.url,
                first_seen_at=now,
                last_seen_at=now,
                **{name: getattr(item, name) for name in ARTICLE_FIELDS},
            )
            .on_conflict_do_nothing()
            .returning(Article.id)
        )
        new_id = self.session.execute(stmt).scalar()
        if new_id is not None:
            self.counts["articles/new"] += 1
            return self.session.get(Article, new_id), True
        existing = self.session.scalar(
            select(Article).where(Article.site == item.site, Article.content_hash == item.content_hash)
        ) or self.session.scalar(select(Article).where(Article.url == item.url))
        if existing is None:
            raise RuntimeError(f"article insert for {item.url} conflicted with a row that is gone")
        self.counts["articles/insert_conflicts"] += 1
        return existing, False

    def _copy_fields(self, article: Article, item: ArticleItem) -> bool:
        changed = False
        for name in ARTICLE_FIELDS:
            value = getattr(item, name)
            if getattr(article, name) != value:
                setattr(article, name, value)
                changed = True
        return changed

    def _listed_on(self, url: str) -> date | None:
        return self.session.scalar(select(ArticleUrl.listed_on).where(ArticleUrl.url == url))

    def _insert_url(self, url: str, article_id: int, listed_on: date | None, *, fetched: bool) -> None:
        stmt = dialect_insert(self.session, ArticleUrl).values(
            url=url, article_id=article_id, listed_on=listed_on, fetched=fetched, first_seen_at=utcnow()
        )
        self.session.execute(stmt.on_conflict_do_nothing(index_elements=["url"]))

    def _refresh_dates(self, article_id: int) -> None:
        """published_on = the earliest date of the article's addresses; its entries point at it."""
        earliest = self.session.scalar(
            select(func.min(ArticleUrl.listed_on)).where(ArticleUrl.article_id == article_id)
        )
        self.session.execute(update(Article).where(Article.id == article_id).values(published_on=earliest))
        site = select(Article.site).where(Article.id == article_id).scalar_subquery()
        self.session.execute(
            update(ListingEntry)
            # The site lets the lookup use the (site, article_url) index instead of scanning the table.
            .where(
                ListingEntry.site == site,
                ListingEntry.article_url.in_(select(ArticleUrl.url).where(ArticleUrl.article_id == article_id)),
            )
            .values(article_id=article_id)
            .execution_options(synchronize_session=False)
        )
        self.session.expire_all()

    def _other_fetched(self, article: Article, url: str) -> bool:
        return bool(
            self.session.scalar(
                select(func.count()).where(
                    ArticleUrl.article_id == article.id, ArticleUrl.url != url, ArticleUrl.fetched.is_(True)
                )
            )
        )

    def _release(self, article: Article, url: str, *, keep_address: bool = False) -> None:
        """`url` leaves `article`: drop the article if it has no address left, else let go of `url`."""
        left = self.session.execute(
            select(ArticleUrl.listed_on, ArticleUrl.url).where(
                ArticleUrl.article_id == article.id, ArticleUrl.url != url if keep_address else True
            )
        ).all()
        if keep_address and not left:
            return
        if not left:
            self.session.delete(article)
            self.session.flush()
            return
        if article.url == url:
            article.url = min(left, key=lambda row: version_key(*row)).url
        self.session.flush()
        if not keep_address:
            self._refresh_dates(article.id)

    def check_teasers(self, entries: Iterable[ListingEntry]) -> None:
        """Check teasers against the fetched article's body: a mismatch is the first sign of new markup."""
        for entry in entries:
            if not entry.teaser or entry.article_id is None:
                continue
            fetched = self.session.scalar(select(ArticleUrl.fetched).where(ArticleUrl.url == entry.article_url))
            if not fetched:
                continue
            body = self.session.scalar(select(Article.body).where(Article.id == entry.article_id)) or ""
            matches = teaser_matches_body(entry.teaser, body)
            entry.teaser_truncated = teaser_is_truncated(entry.teaser, body)
            if not matches and entry.teaser_matches is not False:
                self.counts["teaser_mismatches"] += 1
            entry.teaser_matches = matches
