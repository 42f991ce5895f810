"""The archive writer's listing entries (archiver/archive/writer.py): one row per (site, article URL),
every sighting counted, empty fields filled; the entry tied to its article by address, else (a
repost not yet fetched) by its teaser; the details a listing line gives (listing_details).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import fields

from sqlalchemy import ColumnElement, func, select

from archiver.archive.dialect import dialect_insert
from archiver.archive.models import ArticleUrl, ListingDetails, ListingEntry, utcnow
from archiver.archive.writer_base import LISTING_DETAILS, LISTING_FILL, WriterBase, among
from archiver.items import ListingEntryItem


class ListingEntryWriter(WriterBase):
    """Listing entries into the archive (see the module)."""

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
