"""Re-derive the archive from stored pages, offline: today's parsers and pipelines over what was served.

For each site, the newest 200 fetch of every URL (fetched from `since` to `until`, when given) is
rebuilt as the Scrapy response the spider saw and handed to the spider's parse method for that URL
(`spider.callback_for(url)`). The items go through the configured item pipelines in order, with the
store stage replaced by `ReparseStorePipeline`: the archive's rules (folding, dates, teaser checks)
apply unchanged through `ArchiveWriter`, but a reparse is a re-derivation, not a sighting —
`times_seen` and `last_seen_at` do not move, and listing-entry fields are re-derived (first
sighting in fetch order wins, as in a crawl) instead of only filled when empty. Running it twice
changes nothing the second time. What changed is measured by comparing the site's rows before and
after.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any, cast
from urllib.parse import urlsplit

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.settings import Settings
from scrapy.signalmanager import SignalManager
from scrapy.spiderloader import get_spider_loader
from scrapy.statscollectors import StatsCollector
from scrapy.utils.misc import build_from_crawler, load_object
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from archiver.archive.engine import session_factory
from archiver.archive.models import Article, CrawlRun, ListingEntry, Page, utcnow
from archiver.archive.pages import iter_page_ids, page_response, pages_query
from archiver.archive.writer import LISTING_FILL, ArchiveWriter
from archiver.items import ArticleItem, ListingEntryItem
from pipelines.store import StorePipeline

logger = logging.getLogger(__name__)

# Columns that say when or how often a row was seen, not what it says: a reparse leaves them alone.
SIGHTING_COLUMNS = {"id", "first_seen_at", "last_seen_at", "times_seen"}
# Listing-entry fields re-derived from each sighting; `teaser_truncated` follows the teaser (and
# the teaser checks against the body), not a sighting of its own.
REDERIVED = tuple(name for name in LISTING_FILL if name != "teaser_truncated")


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

    @property
    def changed(self) -> int:
        return (
            self.articles_new + self.articles_updated + self.articles_removed + self.entries_new + self.entries_updated
        )

    def line(self) -> str:
        return (
            f"{self.site}: {self.pages} pages reparsed ({self.no_parser} without a parser, {self.failed} failed); "
            f"articles {self.articles_updated} updated, {self.articles_new} new, {self.articles_removed} folded away; "
            f"dates {self.dates_filled} filled, {self.dates_changed} changed; "
            f"teasers {self.teasers_renormalized} re-normalized; "
            f"listing entries {self.entries_new} new, {self.entries_updated} updated"
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


# The store stage of a reparse --------------------------------------------------------------------
class ReparseWriter(ArchiveWriter):
    """ArchiveWriter whose listing entries are re-derived in place rather than counted as sightings."""

    def __init__(self, session: Session, counts: Counter, derived: dict[tuple[str, str], set[str]]) -> None:
        super().__init__(session, counts)
        self.derived = derived  # (site, url) → fields this reparse has set: later sightings leave them

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
            done = self.derived.setdefault((item.site, item.article_url), set())
            for name in REDERIVED:
                value = getattr(item, name)
                if value is None or name in done:
                    continue
                done.add(name)
                if getattr(entry, name) != value:
                    setattr(entry, name, value)
                    if name == "teaser":
                        # Whether a teaser is cut short is judged against the body: check it again.
                        entry.teaser_truncated = item.teaser_truncated
                        new_teasers.append(entry)
        if missing:  # entries a fixed parser finds for the first time: stored like a crawl stores them
            for item in missing:
                self.derived[(item.site, item.article_url)] = set(REDERIVED)
            self.add_listing_entries(missing)
        self.session.flush()
        for site in sorted({item.site for item in items}):
            self._link_entries(site, sorted({item.article_url for item in items if item.site == site}))
        self.check_teasers(new_teasers)


class ReparseStorePipeline(StorePipeline):
    """The store stage for `archiver reparse`: same batches, same rules, no sightings recorded."""

    def __init__(self, db_url: str, batch_size: int, stats) -> None:
        super().__init__(db_url, batch_size, stats)
        self.derived: dict[tuple[str, str], set[str]] = {}
        self.last_seen: dict[int, datetime] = {}

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
            writer.rederive_listing_entries(i for i in batch if isinstance(i, ListingEntryItem))
            touched = set()
            for item in batch:
                if isinstance(item, ArticleItem) and (article := writer.add_article(item)) is not None:
                    touched.add(article.id)
            for article_id in touched & self.last_seen.keys():
                session.execute(
                    update(Article).where(Article.id == article_id).values(last_seen_at=self.last_seen[article_id])
                )


# Running it --------------------------------------------------------------------------------------
class OfflineCrawler:
    """What spiders' and pipelines' from_crawler read, without a running crawl."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.signals = SignalManager(self)
        self.stats = StatsCollector(self.as_crawler())
        self.spider: Spider | None = None

    def as_crawler(self) -> Crawler:
        """This object where Scrapy's API wants a Crawler: it has every attribute they read."""
        return cast(Crawler, self)


def item_pipelines(crawler: OfflineCrawler) -> list[Any]:
    """The configured item pipelines in order, the store stage swapped for the reparse store."""
    ordered = sorted(crawler.settings.getwithbase("ITEM_PIPELINES").items(), key=lambda kv: kv[1])
    pipelines = []
    for path, order in ordered:
        if order is None:
            continue
        cls = load_object(path)
        if isinstance(cls, type) and issubclass(cls, StorePipeline):
            cls = ReparseStorePipeline
        pipelines.append(build_from_crawler(cls, crawler.as_crawler()))
    return pipelines


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


class Reparser:
    """Runs one site's spider over its stored pages and the items through the pipelines."""

    def __init__(self, engine: Engine, site: str, settings: Settings) -> None:
        self.engine = engine
        self.sessions = session_factory(engine)
        self.site = site
        self.crawler = OfflineCrawler(settings)
        self.spidercls = get_spider_loader(settings).load(site)
        self.spiders: dict[str, Any] = {}
        self.report = ReparseReport(site)

    def spider_for(self, url: str):
        """A spider pointed at the host the page came from (a mirror or the real site)."""
        host = origin(url)
        if host not in self.spiders:
            spider = self.spidercls.from_crawler(self.crawler.as_crawler(), base_url=host)
            self.crawler.spider = spider
            self.spiders[host] = spider
        return self.spiders[host]

    def run(self, since: date | None = None, until: date | None = None) -> ReparseReport:
        with self.sessions() as session:
            before = (article_states(session, self.site), entry_states(session, self.site))
            run = CrawlRun(spider=self.site, mode="reparse", started_at=utcnow(), status="running")
            session.add(run)
            session.commit()
            run_id = run.id
        pipelines = item_pipelines(self.crawler)
        first_spider = None
        with self.sessions() as session:
            query = pages_query(site=self.site, since=since, until=until, newest_per_url=True, statuses=(200,))
            ids = list(session.scalars(query.with_only_columns(Page.id)))
            for page in iter_page_ids(session, ids):
                spider = self.spider_for(page.url)
                if first_spider is None:
                    first_spider = spider
                    for pipeline in pipelines:
                        if hasattr(pipeline, "open_spider"):
                            pipeline.open_spider(spider)
                self.reparse_page(session, page, spider, pipelines)
                session.expunge_all()
        if first_spider is not None:
            for pipeline in pipelines:
                if hasattr(pipeline, "close_spider"):
                    pipeline.close_spider(first_spider)
        with self.sessions() as session:
            after = (article_states(session, self.site), entry_states(session, self.site))
            compare(self.report, before, after)
            finished = session.get(CrawlRun, run_id)
            assert finished is not None  # added above, in this process
            finished.finished_at = utcnow()
            finished.status = "errors" if self.report.failed else "ok"
            finished.stats = {f"reparse/{key}": value for key, value in asdict(self.report).items() if key != "site"}
            session.commit()
        return self.report

    def reparse_page(self, session: Session, page: Page, spider, pipelines: list[Any]) -> None:
        callback = spider.callback_for(page.url)
        if callback is None:
            self.report.no_parser += 1
            return
        self.report.pages += 1
        try:
            response = page_response(session, page)
            response.request = Request(page.url, callback=callback)
            results = [r for r in (callback(response) or ()) if not isinstance(r, Request)]
        except Exception:
            logger.exception("reparse: parsing %s failed", page.url)
            self.report.failed += 1
            return
        for item in results:
            try:
                for pipeline in pipelines:
                    item = pipeline.process_item(item, spider)
            except DropItem:
                self.report.dropped += 1


def stored_sites(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return sorted(s for s in connection.execute(select(Page.site).distinct()).scalars() if s)


def reparse(
    engine: Engine,
    settings: Settings,
    *,
    sites: list[str] | None = None,
    since: date | None = None,
    until: date | None = None,
) -> list[ReparseReport]:
    """Reparse the stored pages of `sites` (default: every site with stored pages); one report each."""
    return [Reparser(engine, site, settings).run(since, until) for site in (sites or stored_sites(engine))]
