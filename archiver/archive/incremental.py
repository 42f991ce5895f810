"""What the archive already holds of a site, and the rules a crawl walks listings by.

At spider open the archive is asked once which article pages of the site it holds
(`ArchiveKnowledge`); the `WalkPolicy` then decides, page by page and without touching the
database again, which articles to request and whether to follow a listing's next page:

- an article already archived is not requested again (unless `refresh`);
- in a crawl, an article address marked gone (404/410 on several runs, archiver/archive/gone.py)
  is not requested again (a backfill or `refresh` asks);
- an article listed outside the run's date range (`since`/`until`) is not requested;
- a listing page whose dated entries are all older than `since` ends that listing's walk;
- in an incremental crawl (mode "crawl"), a page whose entries are all already archived ends the
  walk: whatever is older was archived by earlier runs. A backfill walks on through such pages.

Whatever a site serves, a run's walks are bounded: a walk ends after `max_barren_pages` pages in
a row that list nothing new in this run (an endless or repeating listing), and a run walks at most
`max_listing_pages` listing pages (settings ARCHIVER_WALK_MAX_BARREN_PAGES and
ARCHIVER_WALK_MAX_LISTING_PAGES).

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
from archiver.archive.gone import gone_urls
from archiver.archive.models import Article, ArticleUrl, CrawlRun, ListingEntry, Page
from archiver.bounded import UrlSet


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
#: Statuses that say a page is gone for good: its listed article is not requested again unasked.
GONE = (404, 410)
SIDE = "side"

#: Request.meta key naming the kind of listing walk a listing page belongs to (START or SIDE).
WALK = "archiver_walk"
#: Request.meta keys of a start walk: its start URL (its name in the walk log), and how many pages in a
#: row have listed nothing new (set on every page after the first).
WALK_ID = "archiver_walk_id"
BARREN = "archiver_barren_pages"


@dataclass(frozen=True)
class Entry:
    """One listing entry as the walk sees it: the article's URL and the date it is listed under."""

    url: str
    listed_on: date | None = None


@dataclass
class ArchiveKnowledge:
    """The article URLs of one site whose pages are archived (fetched and stored), those gone for
    good (`gone`: 404/410 on ARCHIVER_GONE_AFTER runs), and the listing entries whose article was
    never fetched (`pending`: a killed run listed them, or their fetch failed; not those the site
    answered 404 or 410 for)."""

    archived: frozenset[str] | UrlSet = frozenset()  # a UrlSet when loaded from the archive
    gone: frozenset[str] = frozenset()
    pending: tuple[Entry, ...] = ()

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
                archived = UrlSet(urls)
                listed = connection.execute(
                    select(ListingEntry.article_url, ListingEntry.listed_on)
                    .where(ListingEntry.site == site)
                    .order_by(ListingEntry.id)
                )
                # A page the site says is gone (404, 410) is not asked for again and again.
                answered_gone = set(
                    connection.scalars(select(Page.url).where(Page.status.in_(GONE), Page.site == site))
                )
                entries = [(url, day) for url, day in listed if url not in archived and url not in answered_gone]
        finally:
            engine.dispose()
        gone = gone_urls(db_url, site)
        pending = tuple(Entry(url, day) for url, day in entries if url not in gone)
        return cls(archived, gone, pending)

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


@dataclass
class WalkPolicy:
    """The crawl's decisions; `requested` remembers the articles asked for in this run."""

    knowledge: ArchiveKnowledge = field(default_factory=ArchiveKnowledge)
    dates: DateRange = field(default_factory=DateRange)
    mode: str = "crawl"
    refresh: bool = False
    # URLs as 64-bit hashes (archiver/bounded.py): a run of a million articles keeps megabytes here.
    requested: UrlSet = field(default_factory=UrlSet)
    #: Bounds on the walks of one run: a walk ends after this many pages in a row that list nothing
    #: new in this run; no more than `max_listing_pages` listing pages in all (0: no bound).
    max_barren_pages: int = 10
    max_listing_pages: int = 5000
    listed: UrlSet = field(default_factory=UrlSet)
    listing_pages: int = 0

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
        if entry.url in self.knowledge.gone and self.incremental and not self.refresh:
            return "gone"
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
        if self.incremental and all(e.url in self.knowledge or e.url in self.knowledge.gone for e in entries):
            return "all_archived"
        return None

    def visit_listing(self, entries: Sequence[Entry], barren_before: int) -> tuple[str | None, int]:
        """Count one listing page of a walk; return why the walk must end here for the run's bounds
        (or None) and how many pages in a row have now listed nothing new in this run.

        `barren_before`: the count the walk had reached on its previous page.
        """
        self.listing_pages += 1
        new = {e.url for e in entries if e.url not in self.listed}
        self.listed.update(new)
        barren = 0 if new else barren_before + 1
        if self.max_barren_pages and barren >= self.max_barren_pages:
            return "nothing_new_for_pages", barren
        if self.max_listing_pages and self.listing_pages >= self.max_listing_pages:
            return "max_listing_pages", barren
        return None, barren
