"""What the archive already holds of a site, and the rules a crawl walks listings by.

At spider open the archive is asked once which article pages of the site it holds
(`ArchiveKnowledge`); the `WalkPolicy` then decides, page by page and without touching the
database again, which articles to request and whether to follow a listing's next page:

- an article already archived is not requested again (unless `refresh`);
- an article listed outside the run's date range (`since`/`until`) is not requested;
- a listing page whose dated entries are all older than `since` ends that listing's walk;
- in an incremental crawl (mode "crawl"), a page whose entries are all already archived ends the
  walk: whatever is older was archived by earlier runs. A backfill walks on through such pages.

Listings are walked two ways. A *start* walk begins at a listing the spider starts from and is
complete on its own. A *side* walk begins at a listing found on an article page (KCNA Watch's
"More Articles"); it only adds what the start walks may miss, so it also ends at a page that
offers nothing to request (all archived, already requested in this run, or out of range).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from archiver.archive.engine import open_archive
from archiver.archive.models import Article, ArticleUrl, CrawlRun


def last_crawl_interrupted(db_url: str, spider: str) -> bool:
    """Did the spider's last finished crawl stop before its end (killed, Ctrl-C)? Its walk may then
    have left a gap below archived pages, which an incremental walk would never look under."""
    engine = open_archive(db_url)
    try:
        with engine.connect() as connection:
            status = connection.scalar(
                select(CrawlRun.status)
                .where(CrawlRun.spider == spider, CrawlRun.mode == "crawl", CrawlRun.status != "running")
                .order_by(CrawlRun.id.desc())
                .limit(1)
            )
    finally:
        engine.dispose()
    return status == "interrupted"


START = "start"
SIDE = "side"


@dataclass
class ArchiveKnowledge:
    """The article URLs of one site whose pages are archived (fetched and stored)."""

    archived: frozenset[str] = frozenset()

    @classmethod
    def load(cls, db_url: str, site: str) -> ArchiveKnowledge:
        """Read what the archive at `db_url` holds of `site`.

        An address tied to an article only by its teaser (a repost not yet fetched) does not count:
        its page is fetched once, and its body decides.
        """
        engine = open_archive(db_url)
        try:
            with engine.connect() as connection:
                urls = connection.scalars(
                    select(ArticleUrl.url)
                    .join(Article, Article.id == ArticleUrl.article_id)
                    .where(Article.site == site, ArticleUrl.fetched.is_(True))
                )
                return cls(frozenset(urls))
        finally:
            engine.dispose()

    def __contains__(self, url: str) -> bool:
        return url in self.archived

    def __len__(self) -> int:
        return len(self.archived)


@dataclass(frozen=True)
class DateRange:
    """Inclusive publication-date bounds; None means open on that side."""

    since: date | None = None
    until: date | None = None

    def __post_init__(self) -> None:
        if self.since and self.until and self.since > self.until:
            raise ValueError(f"since ({self.since}) is after until ({self.until})")

    def contains(self, day: date | None) -> bool:
        """Whether a listing dated `day` may be in range (an undated one may be)."""
        if day is None:
            return True
        return (self.since is None or day >= self.since) and (self.until is None or day <= self.until)

    def older(self, day: date | None) -> bool:
        return day is not None and self.since is not None and day < self.since


@dataclass(frozen=True)
class Entry:
    """One listing entry as the walk sees it: the article's URL and the date it is listed under."""

    url: str
    listed_on: date | None = None


@dataclass
class WalkPolicy:
    """The crawl's decisions; `requested` remembers the articles asked for in this run."""

    knowledge: ArchiveKnowledge = field(default_factory=ArchiveKnowledge)
    dates: DateRange = field(default_factory=DateRange)
    mode: str = "crawl"
    refresh: bool = False
    requested: set[str] = field(default_factory=set)

    @property
    def incremental(self) -> bool:
        """Stop at archived pages? Only an ordinary crawl does; a backfill walks on to `since`."""
        return self.mode != "backfill"

    def why_skip(self, entry: Entry) -> str | None:
        """None when the entry's article should be requested, else the reason it is not."""
        if not self.dates.contains(entry.listed_on):
            return "out_of_range"
        if entry.url in self.requested:
            return "requested"
        if entry.url in self.knowledge and not self.refresh:
            return "archived"
        return None

    def take(self, entry: Entry) -> str | None:
        """Like `why_skip`, and remember the article as requested when it is to be requested."""
        reason = self.why_skip(entry)
        if reason is None:
            self.requested.add(entry.url)
        return reason

    def why_stop(self, entries: Sequence[Entry], walk: str = START) -> str | None:
        """None when the walk should go on to the listing's next page, else why it ends here.

        Call it before `take`-ing the page's entries: a side walk counts what this run requested.
        """
        dated = [e.listed_on for e in entries if e.listed_on is not None]
        if dated and all(self.dates.older(day) for day in dated):
            return "older_than_since"
        if not entries:
            return None
        if walk == SIDE and all(self.why_skip(e) is not None for e in entries):
            return "nothing_new"
        if self.incremental and all(e.url in self.knowledge for e in entries):
            return "all_archived"
        return None
