"""The archive's schema as SQLAlchemy 2.0 typed models.

The models are the description; Alembic migrations (migrations/versions) are the only way the
schema of a real database changes, and a test checks that the two agree. Timestamps are UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Now, in UTC, without tzinfo (stored the same way on every backend)."""
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Article(Base):
    """One story. Reposts of it under other addresses are folded into the same row."""

    __tablename__ = "articles"
    __table_args__ = (
        UniqueConstraint("site", "content_hash"),
        Index("ix_articles_site_published_on", "site", "published_on"),
        # Full-text search filters its hits through this (migration 0002): far smaller than the rows.
        Index("ix_articles_search_filters", "id", "site", "source", "language", "published_on"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site: Mapped[str] = mapped_column(String(64))
    source: Mapped[str | None] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(2048), unique=True)
    title: Mapped[str | None] = mapped_column(Text)
    subtitle: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(8))
    published_on: Mapped[date | None] = mapped_column(Date)
    #: The latest update the page states (site profiles), apart from the first publication.
    modified_on: Mapped[date | None] = mapped_column(Date)
    date_raw: Mapped[str | None] = mapped_column(Text)
    #: Every date the page stated for itself, as read (site profiles; docs/research.md): what
    #: `published_on` and `modified_on` were chosen from, or why they were left empty.
    date_candidates: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    dateline: Mapped[str | None] = mapped_column(Text)
    dateline_place: Mapped[str | None] = mapped_column(String(200))
    dateline_on: Mapped[date | None] = mapped_column(Date)
    original_url: Mapped[str | None] = mapped_column(String(2048))
    category: Mapped[str | None] = mapped_column(String(200))
    author: Mapped[str | None] = mapped_column(String(200))
    views: Mapped[int | None] = mapped_column(Integer)
    comments: Mapped[int | None] = mapped_column(Integer)
    tags: Mapped[list[str] | None] = mapped_column(JSON)
    translation_group: Mapped[str | None] = mapped_column(String(64), index=True)
    content_hash: Mapped[str | None] = mapped_column(String(64))
    first_seen_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    #: The longest teaser of the article's listing entries, kept by database triggers (migration
    #: 0004) for the full-text index, whose content is this table. Never written by the store.
    teaser: Mapped[str | None] = mapped_column(Text)
    # Revisits (migration 0008; archiver/archive/revisions.py, takedowns.py, revisits.py): how many
    # versions the text has had (every one in article_versions once there are two) and when the
    # latest was fetched; when a revisit last asked for the page; a takedown (first seen, how,
    # confirmed by the next run) and a restoration.
    versions: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    changed_at: Mapped[datetime | None] = mapped_column(DateTime)
    revisited_at: Mapped[datetime | None] = mapped_column(DateTime)
    removed_at: Mapped[datetime | None] = mapped_column(DateTime)
    removal: Mapped[str | None] = mapped_column(String(32))  # 404 | 410 | redirect | not found text
    removal_confirmed_at: Mapped[datetime | None] = mapped_column(DateTime)
    restored_at: Mapped[datetime | None] = mapped_column(DateTime)


class ArticleVersion(Base):
    """One version of an article's text, as a fetch of its page gave it (archiver/archive/revisions.py).

    Rows exist only for articles whose text changed: then every version, the first included, is
    here, numbered from 1 in the order they were fetched; the highest is what `articles` shows.
    `page_sha256` names the stored page body (pages.sha256) the version was parsed from.
    """

    __tablename__ = "article_versions"
    __table_args__ = (UniqueConstraint("article_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    fetched_at: Mapped[datetime] = mapped_column(DateTime)
    url: Mapped[str] = mapped_column(String(2048))
    page_sha256: Mapped[str | None] = mapped_column(String(64))
    title: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(8))
    published_on: Mapped[date | None] = mapped_column(Date)
    date_raw: Mapped[str | None] = mapped_column(Text)
    content_hash: Mapped[str | None] = mapped_column(String(64))
    dateline: Mapped[str | None] = mapped_column(Text)


class ArticleUrl(Base):
    """Every address an article was found under, with the date it was listed under that address."""

    __tablename__ = "article_urls"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(String(2048), unique=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    listed_on: Mapped[date | None] = mapped_column(Date)
    fetched: Mapped[bool] = mapped_column(Boolean, default=False)
    first_seen_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class ListingEntry(Base):
    """One article as listings show it: one row per (site, article URL), however often it is seen."""

    __tablename__ = "listing_entries"
    __table_args__ = (
        UniqueConstraint("site", "article_url"),
        Index("ix_listing_entries_site_teaser_key", "site", "teaser_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site: Mapped[str] = mapped_column(String(64))
    source: Mapped[str | None] = mapped_column(String(200))
    article_url: Mapped[str] = mapped_column(String(2048))
    article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id", ondelete="SET NULL"), index=True)
    title: Mapped[str | None] = mapped_column(Text)
    teaser: Mapped[str | None] = mapped_column(Text)
    teaser_raw: Mapped[str | None] = mapped_column(Text)
    teaser_truncated: Mapped[bool | None] = mapped_column(Boolean)
    teaser_key: Mapped[str | None] = mapped_column(String(64))
    teaser_matches: Mapped[bool | None] = mapped_column(Boolean)
    listed_on: Mapped[date | None] = mapped_column(Date)
    date_raw: Mapped[str | None] = mapped_column(Text)
    times_seen: Mapped[int] = mapped_column(Integer, default=1)
    first_seen_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class ListingDetails(Base):
    """What a listing line says of an entry beyond `listing_entries` (RSTV's `Category: … | Views: N |
    … | Comments (N)`): one row per (site, article URL), the latest sighting's values."""

    __tablename__ = "listing_details"
    __table_args__ = (UniqueConstraint("site", "article_url"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site: Mapped[str] = mapped_column(String(64))
    article_url: Mapped[str] = mapped_column(String(2048))
    category: Mapped[str | None] = mapped_column(String(200))
    views: Mapped[int | None] = mapped_column(Integer)
    comments: Mapped[int | None] = mapped_column(Integer)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class TranslationLink(Base):
    """One language link a page printed: `from_url` names `to_url` as a version of its story.

    Stored so that a group is the same whichever end of a one-way link is archived first;
    `to_status` is what a linked version answered when it could not be archived (404), else NULL.
    """

    __tablename__ = "translation_links"
    __table_args__ = (UniqueConstraint("from_url", "to_url"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site: Mapped[str] = mapped_column(String(64))
    from_url: Mapped[str] = mapped_column(String(2048))
    to_url: Mapped[str] = mapped_column(String(2048), index=True)
    to_status: Mapped[int | None] = mapped_column(Integer)
    first_seen_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class CrawlRun(Base):
    """One run of `archiver crawl`/`backfill`/`worker`: what it did and how it ended."""

    __tablename__ = "crawl_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    spider: Mapped[str] = mapped_column(String(64))
    mode: Mapped[str] = mapped_column(String(16))  # crawl | backfill | worker | reparse
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(16), default="running")  # running | ok | degraded | errors | interrupted
    stats: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class PageBody(Base):
    """One distinct response body, compressed, stored once however often it is fetched."""

    __tablename__ = "page_bodies"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    compression: Mapped[str] = mapped_column(String(8))  # zlib | zstd
    size: Mapped[int] = mapped_column(Integer)  # uncompressed bytes
    body: Mapped[bytes] = mapped_column(LargeBinary)


class Page(Base):
    """One fetch of a page, as it was served (the body lives in page_bodies, by digest)."""

    __tablename__ = "pages"
    __table_args__ = (Index("ix_pages_url_fetched_at", "url", "fetched_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(String(2048))
    site: Mapped[str | None] = mapped_column(String(64))
    fetched_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    status: Mapped[int] = mapped_column(Integer)
    content_type: Mapped[str | None] = mapped_column(String(200))
    charset: Mapped[str | None] = mapped_column(String(64))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    etag: Mapped[str | None] = mapped_column(String(200))
    headers: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    sha256: Mapped[str | None] = mapped_column(ForeignKey("page_bodies.sha256"), index=True)
    crawl_run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id", ondelete="SET NULL"), index=True)


class GoneUrl(Base):
    """An article address that answered 404/410 (or, on a revisit, was taken down otherwise: a
    redirect to a listing or the home page, a "not found" page): counted per run, gone once it did
    so on N runs.

    `failed_runs` counts the runs it failed in (one per run); `gone_at` is set when that reaches
    ARCHIVER_GONE_AFTER, and from then on crawls do not request it (backfills and --refresh do).
    An answer other than 404/410 later removes the row. The article at the address follows these
    counts (archiver/archive/takedowns.py): removed on the first failing run, confirmed on the next.
    """

    __tablename__ = "gone_urls"

    url: Mapped[str] = mapped_column(String(2048), primary_key=True)
    site: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[int] = mapped_column(Integer)  # the last failing answer: 404, 410; a revisit's 3xx or 200
    failed_runs: Mapped[int] = mapped_column(Integer, default=1)
    first_failed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_failed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_run_id: Mapped[int | None] = mapped_column(Integer)
    gone_at: Mapped[datetime | None] = mapped_column(DateTime)


class ListingWalk(Base):
    """How far the last run got along one listing walk (a start listing and its next pages).

    `trail` holds the URLs of the last listing pages the walk reached (oldest first); while
    `finished` is false, the next crawl resumes the walk from the first of them (spiders/base.py).
    """

    __tablename__ = "listing_walks"
    __table_args__ = (UniqueConstraint("site", "start_url"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site: Mapped[str] = mapped_column(String(64))
    start_url: Mapped[str] = mapped_column(String(2048))
    pages: Mapped[int] = mapped_column(Integer, default=0)
    trail: Mapped[list[str] | None] = mapped_column(JSON)
    finished: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # How far the walks reached (migration 0009, archiver/archive/walks.py): the listing dates the
    # last walk saw, how it ended (end, since, archive, bound, no_source_id, stopped), and the
    # dates the walks have covered without a gap, from the listing's top down.
    oldest_on: Mapped[date | None] = mapped_column(Date)
    newest_on: Mapped[date | None] = mapped_column(Date)
    ended: Mapped[str | None] = mapped_column(String(32))
    covered_from: Mapped[date | None] = mapped_column(Date)
    covered_to: Mapped[date | None] = mapped_column(Date)


class Source(Base):
    """A source (KCNA Watch) or a module or category (RSTV) ever seen, and its listing.

    `url` is the listing's address (the walk log's `start_url`); `source_id` the id its "load
    more" requests need, when known, and `source_id_from` where it was found (page, configuration).
    """

    __tablename__ = "sources"
    __table_args__ = (UniqueConstraint("site", "url"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # source | module | category
    key: Mapped[str] = mapped_column(String(200))  # the listing id (163), the module (news)…
    name: Mapped[str | None] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(2048))
    source_id: Mapped[str | None] = mapped_column(String(64))
    source_id_from: Mapped[str | None] = mapped_column(String(32))
    found_on: Mapped[str | None] = mapped_column(String(2048))  # a page that linked it first
    first_seen_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
