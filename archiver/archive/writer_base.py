"""What the archive writer's parts share (archiver/archive/writer.py): the columns copied from items,
the SQL helpers (`among`, `chunks`), the teaser check and which address defines an article's text,
and `WriterBase`: the session and counts, the per-site lock, an address's row, an article's dates,
the teaser checks.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from archiver.archive.dialect import dialect_insert
from archiver.archive.models import Article, ArticleUrl, ListingEntry, utcnow
from archiver.normalize.text import teaser_is_truncated, teaser_matches_body

# Article columns copied from the item of the address that defines the article's text.
ARTICLE_FIELDS = (
    "source",
    "title",
    "subtitle",
    "body",
    "language",
    "date_raw",
    "modified_on",
    "date_candidates",
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


class WriterBase:
    """The session and counts of an ArchiveWriter, and the writes its parts all make."""

    #: Whether a changed text fetched again is kept as a new version (a reparse re-derives instead).
    record_versions = True

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
