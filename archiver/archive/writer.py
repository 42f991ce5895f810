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
from dataclasses import dataclass, fields
from datetime import date
from typing import Any, cast

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    CursorResult,
    Row,
    Table,
    bindparam,
    func,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from archiver.archive import translations
from archiver.archive.dialect import dialect_insert
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


def chunks(values: Sequence, size: int = 500) -> Iterable[Sequence]:
    """`values` in slices small enough for an IN (…) list on every backend."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def among(column, values: Iterable):
    """`column IN (values)` as one expanding parameter: compiled once and cached whatever the values,
    where `column.in_(values)` builds and checks a bound parameter for every value of every batch."""
    return column.in_(bindparam(None, list(values), expanding=True, type_=column.type))


def teaser_verdict(teaser: str, body: str) -> tuple[bool, bool | None]:
    """(whether the teaser matches the body, whether it is the body cut short; None: an empty teaser)."""
    return teaser_matches_body(teaser, body), teaser_is_truncated(teaser, body)


def version_key(listed_on: date | None, url: str) -> tuple:
    """Which address of an article defines its text: the earliest listed, then the smallest URL."""
    return (listed_on or date.max, url)


@dataclass
class Planned:
    """An article item of a batch on its way through the bulk writes."""

    n: int  # its place in the batch
    item: ArticleItem
    listed_on: date | None
    entry: Row | None  # its listing entry, as the batch found it
    article_id: int | None = None
    held: Row | None = None  # (again) the stored article, as the batch found it
    refetched: bool = False


class ArchiveWriter:
    """Applies batches of items to the archive inside the caller's transaction; counts what changed."""

    def __init__(self, session: Session, counts: Counter | None = None) -> None:
        self.session = session
        self.counts = counts if counts is not None else Counter()
        self._locked_sites: set[str] = set()

    def lock_sites(self, sites: Iterable[str]) -> None:
        """PostgreSQL: one writer per site until this transaction ends (no-op on SQLite, which has one writer)."""
        if self.session.get_bind().dialect.name != "postgresql":
            return
        for site in sorted(set(sites) - self._locked_sites):
            self.session.execute(select(func.pg_advisory_xact_lock(func.hashtext(f"archiver/site/{site}"))))
            self._locked_sites.add(site)

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
        # Entries tied to their article before any sighting gave a teaser ("More From" lines have
        # none): the teaser this batch fills in is checked against the body like any other.
        teaser_filled: list[tuple[str, str]] = []
        for site in {site for site, _ in merged}:
            urls = [url for s, url in merged if s == site]
            stored = self.session.execute(
                select(
                    ListingEntry.article_url,
                    ListingEntry.teaser.is_(None) & ListingEntry.article_id.is_not(None),
                ).where(ListingEntry.site == site, among(ListingEntry.article_url, urls))
            ).all()
            existing = {url for url, _ in stored}
            teaser_filled += [(site, url) for url, waiting in stored if waiting and merged[(site, url)][0].teaser]
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
        for site in {site for site, _ in teaser_filled}:
            self.check_teasers(
                self.session.scalars(
                    select(ListingEntry)
                    .where(
                        ListingEntry.site == site,
                        among(ListingEntry.article_url, [url for s, url in teaser_filled if s == site]),
                    )
                    .execution_options(populate_existing=True)  # the upsert above changed these rows
                ).all()
            )

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
            self.session.execute(select(ArticleUrl.url, ArticleUrl.article_id).where(among(ArticleUrl.url, urls))).all()
        )
        unlinked: tuple[ColumnElement[bool], ...] = (
            ListingEntry.site == site,
            among(ListingEntry.article_url, urls),
            ListingEntry.article_id.is_(None),
        )
        light = self.session.execute(select(ListingEntry.article_url, ListingEntry.teaser_key).where(*unlinked)).all()
        # Only a teaser that some tied entry has can find a twin: one query per batch tells which,
        # so most entries (stories not fetched yet) need no query of their own.
        keys = {(site, key) for url, key in light if key and url not in known}
        tied = self._tied_teaser_keys(keys)
        if not tied and not keys & {(site, key) for url, key in light if url in known}:
            # No twin can be found: only the entries tied by address are loaded and changed.
            unlinked = (*unlinked, among(ListingEntry.article_url, [url for url, _ in light if url in known]))
            if not any(url in known for url, _ in light):
                return
        entries = self.session.scalars(select(ListingEntry).where(*unlinked)).all()
        by_address = []
        for entry in entries:
            if entry.article_url in known:
                entry.article_id = known[entry.article_url]
                if entry.teaser_key:  # an entry without one cannot be a teaser twin
                    tied.add((entry.site, entry.teaser_key))
                by_address.append(entry)
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
        self.check_teasers(by_address)

    def _tied_teaser_keys(self, keys: set[tuple[str, str]]) -> set[tuple[str, str]]:
        """Those of the (site, teaser_key) pairs that an entry tied to an article has."""
        if not keys:
            return set()
        rows = self.session.execute(
            select(ListingEntry.site, ListingEntry.teaser_key)
            .where(
                among(ListingEntry.site, {site for site, _ in keys}),  # the (site, teaser_key) index
                among(ListingEntry.teaser_key, {key for _, key in keys}),
                ListingEntry.article_id.is_not(None),
            )
            .distinct()
        )
        return keys.intersection((site, key) for site, key in rows)

    # Articles --------------------------------------------------------------------------------
    def add_articles(self, items: Sequence[ArticleItem]) -> list[int | None]:
        """Store fetched article pages, as `add_article` on each in turn would; the ids of the articles
        they went into, in order (None: not stored).

        The two common cases are written for the whole batch with a few set-based statements: a new
        story at a new address (`fresh`), and an address fetched again that still serves the story it
        alone holds (`again`, every reparse). An item takes that way only when nothing it touches can
        depend on another item: its URL, body and teaser occur once in the batch, its teaser key on
        no other listing entry, its address has no other story. Everything else — reposts, teaser
        twins, moved stories, insert races — goes through `add_article`, after the bulk writes, which
        by the same conditions touch none of its rows.
        """
        results: list[int | None] = [None] * len(items)
        todo = [(n, item) for n, item in enumerate(items) if item.body]
        self.counts["articles/skipped_no_body"] += len(items) - len(todo)
        if not todo:
            return results
        self.lock_sites({item.site for _, item in todo})
        self.session.flush()
        fresh, again, slow = self._plan(todo)
        now = utcnow()
        if fresh:
            slow.extend(self._insert_fresh(fresh, now, results))
        if again:
            self._update_again(again, now, results)
        if fresh or again:
            self._finish_bulk([plan for plan in fresh + again if results[plan.n] is not None], now)
            self.session.expire_all()  # the ORM path below must not see rows as they were before
        for n in sorted(slow):
            article = self.add_article(items[n])
            results[n] = article.id if article is not None else None
        return results

    def _plan(self, todo: list[tuple[int, ArticleItem]]) -> tuple[list[Planned], list[Planned], list[int]]:
        """Sort the batch into (fresh, again, slow) from what the archive holds, in five queries."""
        sites = sorted({item.site for _, item in todo})
        urls = sorted({item.url for _, item in todo})
        hashes = sorted({item.content_hash for _, item in todo if item.content_hash})
        entries: dict[tuple[str, str], Row] = {}
        addresses: dict[str, Row] = {}
        bodies: dict[tuple[str, str | None], int] = {}
        taken_urls: set[str] = set()
        for part in chunks(urls):
            for row in self.session.execute(
                select(
                    ListingEntry.site,
                    ListingEntry.article_url,
                    ListingEntry.listed_on,
                    ListingEntry.teaser,
                    ListingEntry.teaser_key,
                    ListingEntry.teaser_matches,
                ).where(among(ListingEntry.site, sites), among(ListingEntry.article_url, part))
            ):
                entries[(row.site, row.article_url)] = row
            for address_row in self.session.execute(
                select(ArticleUrl.url, ArticleUrl.article_id, ArticleUrl.fetched).where(among(ArticleUrl.url, part))
            ):
                addresses[address_row.url] = address_row
            taken_urls.update(self.session.scalars(select(Article.url).where(among(Article.url, part))))
        for part in chunks(hashes):
            for body_row in self.session.execute(
                select(Article.id, Article.site, Article.content_hash).where(
                    among(Article.site, sites), among(Article.content_hash, part)
                )
            ):
                bodies[(body_row.site, body_row.content_hash)] = body_row.id
        keys = sorted({e.teaser_key for e in entries.values() if e.teaser_key})
        key_counts: Counter[tuple[str, str | None]] = Counter()
        for part in chunks(keys):
            rows = self.session.execute(
                select(ListingEntry.site, ListingEntry.teaser_key, func.count())
                .where(among(ListingEntry.site, sites), among(ListingEntry.teaser_key, part))
                .group_by(ListingEntry.site, ListingEntry.teaser_key)
            )
            key_counts.update({(site, key): count for site, key, count in rows})
        ids = sorted({row.article_id for row in addresses.values()})
        current: dict[int, Row] = {}
        address_counts: Counter[int] = Counter()
        for part in chunks(ids):
            columns = [getattr(Article, name) for name in ("id", "site", "url", *ARTICLE_FIELDS)]
            current.update(
                {row.id: row for row in self.session.execute(select(*columns).where(among(Article.id, part)))}
            )
            address_counts.update(
                dict(
                    self.session.execute(
                        select(ArticleUrl.article_id, func.count())
                        .where(among(ArticleUrl.article_id, part))
                        .group_by(ArticleUrl.article_id)
                    ).all()
                )
            )
        url_uses = Counter(item.url for _, item in todo)
        body_uses = Counter((item.site, item.content_hash) for _, item in todo)
        fresh: list[Planned] = []
        again: list[Planned] = []
        slow: list[int] = []
        for n, item in todo:
            entry = entries.get((item.site, item.url))
            key = entry.teaser_key if entry is not None else None
            listed_on = item.published_on or (entry.listed_on if entry is not None else None)
            plan = Planned(n, item, listed_on, entry)
            alone = (
                url_uses[item.url] == 1
                and body_uses[(item.site, item.content_hash)] == 1
                and item.content_hash is not None
                and (key is None or key_counts[(item.site, key)] <= 1)
            )
            address = addresses.get(item.url)
            same_body = bodies.get((item.site, item.content_hash))
            if alone and address is None and same_body is None and item.url not in taken_urls:
                fresh.append(plan)
                continue
            held = current.get(address.article_id) if address is not None else None
            if (
                alone
                and held is not None
                and held.id == same_body
                and held.url == item.url
                and held.site == item.site
                and address_counts[held.id] == 1
            ):
                assert address is not None  # held was found through it
                plan.article_id, plan.held, plan.refetched = held.id, held, bool(address.fetched)
                again.append(plan)
                continue
            slow.append(n)
        return fresh, again, slow

    def _insert_fresh(self, plans: list[Planned], now, results: list[int | None]) -> list[int]:
        """New stories at new addresses: their articles and addresses; the items that lost an insert race."""
        stmt = (
            dialect_insert(self.session, Article.__table__).on_conflict_do_nothing().returning(Article.id, Article.url)
        )
        rows = [
            {
                "site": plan.item.site,
                "url": plan.item.url,
                "published_on": plan.listed_on,  # its one address's date
                "first_seen_at": now,
                "last_seen_at": now,
                **{name: getattr(plan.item, name) for name in ARTICLE_FIELDS},
            }
            for plan in plans
        ]
        created = dict((url, article_id) for article_id, url in self.session.execute(stmt, rows).all())
        lost = []
        for plan in plans:
            article_id = created.get(plan.item.url)
            if article_id is None:
                lost.append(plan.n)  # a concurrent writer stored it first: the careful path sorts it out
                continue
            plan.article_id = results[plan.n] = article_id
        stored = [plan for plan in plans if plan.article_id is not None]
        self.counts["articles/new"] += len(stored)
        if stored:
            stmt = dialect_insert(self.session, ArticleUrl.__table__).on_conflict_do_nothing(index_elements=["url"])
            self.session.execute(
                stmt,
                [
                    {
                        "url": plan.item.url,
                        "article_id": plan.article_id,
                        "listed_on": plan.listed_on,
                        "fetched": True,
                        "first_seen_at": now,
                    }
                    for plan in stored
                ],
            )
        return lost

    def _update_again(self, plans: list[Planned], now, results: list[int | None]) -> None:
        """Addresses fetched again that alone hold their story: its text and date from this fetch."""
        # Core executemany UPDATEs: the tables, typed FromClause on the models, are Tables.
        urls = cast(Table, ArticleUrl.__table__)
        self.session.execute(
            update(urls)
            .where(urls.c.url == bindparam("b_url"))
            .values(listed_on=bindparam("b_listed_on"), fetched=True),
            [{"b_url": plan.item.url, "b_listed_on": plan.listed_on} for plan in plans],
        )
        articles = cast(Table, Article.__table__)
        values: dict[str, BindParameter[Any]] = {name: bindparam(f"b_{name}") for name in ARTICLE_FIELDS}
        self.session.execute(
            update(articles)
            .where(articles.c.id == bindparam("b_id"))
            .values(**values, published_on=bindparam("b_published_on"), last_seen_at=now),
            [
                {
                    "b_id": plan.article_id,
                    "b_published_on": plan.listed_on,
                    **{f"b_{name}": getattr(plan.item, name) for name in ARTICLE_FIELDS},
                }
                for plan in plans
            ],
        )
        for plan in plans:
            results[plan.n] = plan.article_id
            changed = any(getattr(plan.held, name) != getattr(plan.item, name) for name in ARTICLE_FIELDS)
            if changed and plan.refetched:
                self.counts["articles/updated"] += 1

    def _finish_bulk(self, plans: list[Planned], now) -> None:
        """What every stored page does last: translation groups, its listing entry tied, its teaser checked."""
        for plan in plans:
            assert plan.article_id is not None  # only stored pages come here
            if plan.item.translation_urls:
                self._join_translations(plan.article_id, plan.item)
        entries = cast(Table, ListingEntry.__table__)
        tie = update(entries).where(entries.c.site == bindparam("b_site"), entries.c.article_url == bindparam("b_url"))
        plain, checked = [], []
        for plan in plans:
            if plan.entry is None:
                continue
            keys = {"b_site": plan.item.site, "b_url": plan.item.url, "b_article_id": plan.article_id}
            if not plan.entry.teaser:
                plain.append(keys)
                continue
            matches, truncated = teaser_verdict(plan.entry.teaser, plan.item.body or "")
            if not matches and plan.entry.teaser_matches is not False:
                self.counts["teaser_mismatches"] += 1
            checked.append({**keys, "b_matches": matches, "b_truncated": truncated})
        if plain:
            self.session.execute(tie.values(article_id=bindparam("b_article_id")), plain)
        if checked:
            self.session.execute(
                tie.values(
                    article_id=bindparam("b_article_id"),
                    teaser_matches=bindparam("b_matches"),
                    teaser_truncated=bindparam("b_truncated"),
                ),
                checked,
            )

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
        article_id = target.id  # read before _refresh_dates expires every object (a reload each)
        self._join_translations(article_id, item)
        self._refresh_dates(article_id)
        self._tie_teaser_twins(item.site, item.url, article_id)
        self.check_teasers(
            self.session.scalars(
                select(ListingEntry).where(ListingEntry.site == item.site, ListingEntry.article_url == item.url)
            ).all()
        )
        return target

    def _join_translations(self, article_id: int, item: ArticleItem) -> None:
        """One `translation_group` for all archived language versions of the item's story."""
        if not item.translation_urls:
            return  # a site without language versions (a site with them lists at least the page itself)
        self.counts["translation_links/new"] += translations.record_links(
            self.session, item.site, item.url, item.translation_urls
        )
        _, merged = translations.join_group(self.session, article_id)
        if merged:
            self.counts["translation_groups/merged"] += 1
        self.session.expire_all()

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
            article = self.session.get(Article, new_id)
            assert article is not None  # inserted just above, in this transaction
            return article, True
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
                ArticleUrl.article_id == article.id, ArticleUrl.url != url if keep_address else true()
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
        entries = [entry for entry in entries if entry.teaser and entry.article_id is not None]
        if not entries:
            return
        fetched: set[str] = set()
        for part in chunks(sorted({entry.article_url for entry in entries})):
            fetched.update(
                self.session.scalars(
                    select(ArticleUrl.url).where(among(ArticleUrl.url, part), ArticleUrl.fetched.is_(True))
                )
            )
        ids = sorted(
            {entry.article_id for entry in entries if entry.article_id is not None and entry.article_url in fetched}
        )
        bodies: dict[int, str | None] = {}
        for part in chunks(ids):
            bodies.update(self.session.execute(select(Article.id, Article.body).where(among(Article.id, part))).all())
        for entry in entries:
            if entry.article_url not in fetched:
                continue
            assert entry.teaser is not None and entry.article_id is not None  # kept above
            matches, truncated = teaser_verdict(entry.teaser, bodies.get(entry.article_id) or "")
            entry.teaser_truncated = truncated
            if not matches and entry.teaser_matches is not False:
                self.counts["teaser_mismatches"] += 1
            entry.teaser_matches = matches
