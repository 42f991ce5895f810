"""What a reparse changed: a site's rows before and after it, compared (`ReparseReport`, `compare`).

A row's content is every column but those that say when or how often it was seen, and those that
triggers keep from other rows; a change of any other column counts the row as updated.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from archiver.archive.models import Article, ListingEntry

# Columns that say when or how often a row was seen, not what it says: a reparse leaves them alone.
SIGHTING_COLUMNS = {"id", "first_seen_at", "last_seen_at", "times_seen"}


@dataclass
class ReparseReport:
    """What one site's reparse did."""

    site: str
    pages: int = 0
    no_parser: int = 0
    failed: int = 0
    dropped: int = 0
    articles_new: int = 0
    articles_updated: int = 0
    articles_removed: int = 0
    dates_filled: int = 0
    dates_changed: int = 0
    teasers_renormalized: int = 0
    entries_new: int = 0
    entries_updated: int = 0
    versions_changed: int = 0  # stored versions of edited articles re-derived otherwise, or merged

    @property
    def changed(self) -> int:
        return (
            self.articles_new
            + self.articles_updated
            + self.articles_removed
            + self.entries_new
            + self.entries_updated
            + self.versions_changed
        )

    def line(self) -> str:
        return (
            f"{self.site}: {self.pages} pages reparsed ({self.no_parser} without a parser, {self.failed} failed); "
            f"articles {self.articles_updated} updated, {self.articles_new} new, {self.articles_removed} folded away; "
            f"dates {self.dates_filled} filled, {self.dates_changed} changed; "
            f"teasers {self.teasers_renormalized} re-normalized; "
            f"listing entries {self.entries_new} new, {self.entries_updated} updated"
            + (f"; versions {self.versions_changed} re-derived" if self.versions_changed else "")
        )


# Before/after -----------------------------------------------------------------------------------
@dataclass
class RowState:
    digest: str
    date: date | None
    teaser: str | None = None


def row_digest(row: Any, columns: Iterable[str]) -> str:
    return hashlib.sha1(repr([getattr(row, name) for name in columns]).encode("utf-8")).hexdigest()


# Kept by database triggers from other rows (articles.teaser: its entries' longest teaser, for the
# search index): a change there is the change of those rows, counted with them.
DERIVED_COLUMNS = {Article.__tablename__: {"teaser"}}


def content_columns(model) -> list[str]:
    skip = SIGHTING_COLUMNS | DERIVED_COLUMNS.get(model.__tablename__, set())
    return [c.key for c in model.__table__.columns if c.key not in skip]


def article_states(session: Session, site: str) -> dict[int, RowState]:
    columns = content_columns(Article)
    rows = session.execute(select(*(getattr(Article, c) for c in ["id", *columns])).where(Article.site == site))
    return {row.id: RowState(row_digest(row, columns), row.published_on) for row in rows}


def entry_states(session: Session, site: str) -> dict[int, RowState]:
    columns = content_columns(ListingEntry)
    rows = session.execute(
        select(*(getattr(ListingEntry, c) for c in ["id", *columns])).where(ListingEntry.site == site)
    )
    return {row.id: RowState(row_digest(row, columns), row.listed_on, row.teaser) for row in rows}


def compare(report: ReparseReport, before: tuple[dict, dict], after: tuple[dict, dict]) -> None:
    articles_before, entries_before = before
    articles_after, entries_after = after
    report.articles_new = len(articles_after.keys() - articles_before.keys())
    report.articles_removed = len(articles_before.keys() - articles_after.keys())
    report.entries_new = len(entries_after.keys() - entries_before.keys())
    for old_rows, new_rows, kind in (
        (articles_before, articles_after, "articles"),
        (entries_before, entries_after, "entries"),
    ):
        for row_id in old_rows.keys() & new_rows.keys():
            old, new = old_rows[row_id], new_rows[row_id]
            if old.digest == new.digest:
                continue
            setattr(report, f"{kind}_updated", getattr(report, f"{kind}_updated") + 1)
            if old.date is None and new.date is not None:
                report.dates_filled += 1
            elif old.date != new.date:
                report.dates_changed += 1
            if kind == "entries" and old.teaser != new.teaser:
                report.teasers_renormalized += 1
