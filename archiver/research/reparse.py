"""Re-derive the archive from stored pages, offline: today's parsers and pipelines over what was served.

For each site, the newest 200 fetch of every URL (fetched from `since` to `until`, when given) is
rebuilt as the Scrapy response the spider saw and handed to the spider's parse method for that URL
(`spider.callback_for(url)`). The items go through the configured item pipelines in order, with the
store stage replaced by `ReparseStorePipeline`: the archive's rules (folding, dates, teaser checks)
apply unchanged through `ArchiveWriter`, but a reparse is a re-derivation, not a sighting —
`times_seen` and `last_seen_at` do not move, and listing-entry fields are re-derived instead of
only filled when empty (a stored value stays while some stored page still gives it; one that none
gives is replaced by the first sighting in fetch order). Running it right after a crawl, or twice,
changes nothing. What changed is measured by comparing the site's rows before and
after. The versions of edited articles are then re-derived from the pages they came from
(archiver/research/reparse_versions.py).

It runs as a batch job: the pages are decoded and parsed, and their items put through the stages
before the store, in a pool of worker processes (parsing is pure); this process stores their items
in page order with the store's bulk writes, prints progress with the time left, and records a
checkpoint now and then so that an interrupted reparse can be resumed (`archiver reparse --resume`).
"""

from __future__ import annotations

import hashlib
import logging
import multiprocessing
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any, TextIO, cast
from urllib.parse import urlsplit

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.settings import Settings
from scrapy.signalmanager import SignalManager
from scrapy.spiderloader import get_spider_loader
from scrapy.statscollectors import StatsCollector
from scrapy.utils.misc import build_from_crawler, load_object
from sqlalchemy import Engine, bindparam, select, update
from sqlalchemy.orm import Session

from archiver.archive.engine import make_engine, session_factory
from archiver.archive.models import Article, CrawlRun, ListingEntry, Page, utcnow
from archiver.archive.pages import iter_page_ids, load_bodies, page_response, pages_query
from archiver.archive.writer import LISTING_FILL, ArchiveWriter
from archiver.items import ArticleItem, ListingEntryItem
from archiver.progress import Display
from archiver.research.reparse_versions import rederive_versions
from pipelines.store import StorePipeline

logger = logging.getLogger(__name__)

# Pages a worker parses per task (fewer round trips between processes), and pages between checkpoints.
PARSE_CHUNK = 50
CHECKPOINT_PAGES = 500

# Columns that say when or how often a row was seen, not what it says: a reparse leaves them alone.
SIGHTING_COLUMNS = {"id", "first_seen_at", "last_seen_at", "times_seen"}
# Listing-entry fields re-derived from each sighting, each on its own as a crawl fills them;
# `teaser_truncated` follows the teaser (and the teaser checks against the body), not a sighting of its own.
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


# The store stage of a reparse --------------------------------------------------------------------
@dataclass
class Rederived:
    """One listing entry's re-derivation so far: what the archive held, which fields are set."""

    stored: dict[str, Any]  # REDERIVED and teaser_truncated as found (empty for an entry the reparse adds)
    done: set[str] = field(default_factory=set)  # the fields a sighting of this reparse has set


class ReparseWriter(ArchiveWriter):
    """ArchiveWriter whose listing entries are re-derived in place rather than counted as sightings.

    An entry listed on several pages may be listed differently on each, and the crawl kept the
    sighting it stored first, an order that concurrency decides. So the stored value stays whenever
    some sighting of this reparse still gives it; only a value that no stored page gives any more is
    replaced, by the first sighting in page order. A reparse after a crawl thus changes nothing,
    whatever order either of them met the pages in.
    """

    record_versions = False  # not a fetch: the stored versions are re-derived apart (reparse_versions.py)

    def __init__(self, session: Session, counts: Counter, derived: dict[tuple[str, str], Rederived]) -> None:
        super().__init__(session, counts)
        self.derived = derived  # (site, url) → that entry's re-derivation across batches

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
            state = self.derived.get((item.site, item.article_url))
            if state is None:
                stored = {name: getattr(entry, name) for name in (*REDERIVED, "teaser_truncated")}
                state = self.derived[(item.site, item.article_url)] = Rederived(stored)
            for name in REDERIVED:
                value = getattr(item, name)
                if value is None:
                    continue
                if name in state.done:
                    if value != state.stored.get(name):
                        continue  # a later sighting that does not give the stored value: no say
                    # ...it does: the stored value is still derived, so it stays (or comes back).
                    truncated = state.stored["teaser_truncated"]
                else:
                    state.done.add(name)
                    truncated = item.teaser_truncated
                if getattr(entry, name) == value:
                    continue
                setattr(entry, name, value)
                if name == "teaser":
                    # Whether a teaser is cut short is judged against the body: check it again.
                    entry.teaser_truncated = truncated
                    new_teasers.append(entry)
        if missing:  # entries a fixed parser finds for the first time: stored like a crawl stores them
            for item in missing:
                self.derived[(item.site, item.article_url)] = Rederived({}, set(REDERIVED))
            self.add_listing_entries(missing)
        self.session.flush()
        for site in sorted({item.site for item in items}):
            self._link_entries(site, sorted({item.article_url for item in items if item.site == site}))
        self.check_teasers(new_teasers)


class ReparseStorePipeline(StorePipeline):
    """The store stage for `archiver reparse`: same rules, larger batches, no sightings recorded."""

    batch_setting = ("ARCHIVER_REPARSE_BATCH", 2000)

    def __init__(self, db_url: str, batch_size: int, stats) -> None:
        super().__init__(db_url, batch_size, stats)
        self.derived: dict[tuple[str, str], Rederived] = {}
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
            entries = [i for i in batch if isinstance(i, ListingEntryItem)]
            articles = [i for i in batch if isinstance(i, ArticleItem)]
            writer.rederive_listing_entries(entries)
            ids = writer.add_articles(articles)
            writer.fill_untitled(entries, [i for i, item in zip(ids, articles) if i is not None and not item.title])
            restore = [
                {"b_id": article_id, "b_last_seen_at": self.last_seen[article_id]}
                for article_id in sorted({i for i in ids if i is not None} & self.last_seen.keys())
            ]
            if restore:
                table = Article.__table__
                session.execute(
                    update(table)  # type: ignore[arg-type]  # a Core executemany, not an ORM bulk update
                    .where(table.c.id == bindparam("b_id"))
                    .values(last_seen_at=bindparam("b_last_seen_at")),
                    restore,
                )


# Parsing: pure, so it runs in worker processes ------------------------------------------------------
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


def split_at_store(pipelines: list[Any]) -> tuple[list[Any], list[Any]]:
    """(the stages before the store: per-item and pure, run where the page is parsed; the store and after)."""
    for n, pipeline in enumerate(pipelines):
        if isinstance(pipeline, StorePipeline):
            return pipelines[:n], pipelines[n:]
    return pipelines, []


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@dataclass
class Parsed:
    """What one stored page gave: its items, through the stages before the store."""

    page_id: int
    outcome: str  # parsed | no_parser | failed
    items: list[Any] = field(default_factory=list)
    dropped: int = 0


class PageParser:
    """Stored pages → items: the spider's parse method for the URL, then the stages before the store.

    What it makes of a page depends on that page alone, so any number of them can work side by side
    (one per worker process, each with its own connection) while one process writes.
    """

    def __init__(self, engine: Engine, site: str, settings: Settings) -> None:
        self.sessions = session_factory(engine)
        self.crawler = OfflineCrawler(settings)
        self.spidercls = get_spider_loader(settings).load(site)
        self.spiders: dict[str, Any] = {}
        self.stages = item_pipelines_before_store(self.crawler)

    def spider_for(self, url: str):
        """A spider pointed at the host the page came from (a mirror or the real site)."""
        host = origin(url)
        if host not in self.spiders:
            spider = self.spidercls.from_crawler(self.crawler.as_crawler(), base_url=host)
            self.crawler.spider = spider
            self.spiders[host] = spider
        return self.spiders[host]

    def parse_ids(self, ids: Sequence[int]) -> list[Parsed]:
        with self.sessions() as session:
            pages = list(iter_page_ids(session, ids))
            bodies = load_bodies(session, (page.sha256 for page in pages))
            return [self.parse(session, page, bodies.get(page.sha256 or "")) for page in pages]

    def parse(self, session: Session, page: Page, body: bytes | None = None) -> Parsed:
        spider = self.spider_for(page.url)
        callback = spider.callback_for(page.url)
        if callback is None:
            return Parsed(page.id, "no_parser")
        try:
            response = page_response(session, page, body=body)
            response.request = Request(page.url, callback=callback)
            results = [r for r in (callback(response) or ()) if not isinstance(r, Request)]
        except Exception:
            logger.exception("reparse: parsing %s failed", page.url)
            return Parsed(page.id, "failed")
        parsed = Parsed(page.id, "parsed")
        for item in results:
            try:
                for stage in self.stages:
                    item = stage.process_item(item, spider)
            except DropItem:
                parsed.dropped += 1
                continue
            parsed.items.append(item)
        return parsed


def item_pipelines_before_store(crawler: OfflineCrawler) -> list[Any]:
    """The configured pipelines up to (not including) the store, built for this crawler."""
    return split_at_store(item_pipelines(crawler))[0]


_worker: PageParser | None = None


def _start_worker(db_url: str, site: str, settings: Settings) -> None:
    global _worker
    _worker = PageParser(make_engine(db_url), site, settings)


def _parse_in_worker(ids: Sequence[int]) -> list[Parsed]:
    assert _worker is not None
    return _worker.parse_ids(ids)


def parsed_pages(
    engine: Engine, site: str, settings: Settings, ids: Sequence[int], workers: int, chunk: int = PARSE_CHUNK
) -> Iterator[Parsed]:
    """Every page of `ids` parsed, in that order: in `workers` processes, or here when it is 1."""
    parts = [ids[start : start + chunk] for start in range(0, len(ids), chunk)]
    if workers <= 1 or len(parts) <= 1:
        parser = PageParser(engine, site, settings)
        for part in parts:
            yield from parser.parse_ids(part)
        return
    # fork where there is one: the workers start at once and see the parent's code as it is (tests patch it).
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    db_url = engine.url.render_as_string(hide_password=False)
    with context.Pool(min(workers, len(parts)), _start_worker, (db_url, site, settings)) as pool:
        for results in pool.imap(_parse_in_worker, parts):
            yield from results


class ListedTitles:
    """Titles listings gave, for article pages that print none, as one process parsing every page sees them.

    A spider fills such a title from what it parsed before (a listing or the feed, then the article),
    so its answer depends on the pages before this one. A worker process saw only some of them, and a
    resumed or date-filtered reparse none of those it skips. So the writing process, in page order,
    gives a title-less article the title of its first listing sighting this run, else the title its
    stored listing entry holds (what the earlier sightings gave).
    """

    def __init__(self, stored: dict[str, str]) -> None:
        self.stored = stored
        self.seen: dict[str, str] = {}

    def fill(self, item: Any) -> None:
        if isinstance(item, ListingEntryItem) and item.title:
            self.seen.setdefault(item.article_url, item.title)
        elif isinstance(item, ArticleItem) and not item.title:
            item.title = self.seen.get(item.url) or self.stored.get(item.url)


def stored_listing_titles(session: Session, site: str) -> dict[str, str]:
    rows = session.execute(
        select(ListingEntry.article_url, ListingEntry.title).where(
            ListingEntry.site == site, ListingEntry.title.is_not(None)
        )
    )
    return {url: title for url, title in rows if title}


# Progress --------------------------------------------------------------------------------------
class Progress:
    """Pages done of all, their rate and the time left: a bar on a terminal, else a line every `interval` seconds."""

    def __init__(self, site: str, total: int, out: TextIO | None = None, interval: float = 30.0) -> None:
        self.total, self.done = total, 0
        self.display = Display(out, interval=interval) if out is not None else None
        self.task = self.display.task(f"reparse {site}", "pages", last_line=True) if self.display is not None else None

    def step(self, pages: int = 1) -> None:
        self.done += pages
        if self.task is not None:
            final = self.done >= self.total
            elapsed = time.monotonic() - self.task.started
            rate = f"{self.done / elapsed:,.0f} pages/s" if elapsed > 0 else ""
            self.task.update(self.done, self.total, rate, final=final)
            if final:
                self.close()

    def close(self) -> None:
        """Done, or stopped (Ctrl-C): the bar stays as last drawn, the terminal as it was."""
        if self.display is not None:
            self.display.close()


# Running it --------------------------------------------------------------------------------------
class NothingToResume(Exception):
    """--resume, but no reparse of the site was left unfinished."""


def unfinished_run(session: Session, site: str) -> CrawlRun | None:
    """The newest reparse of `site` that did not finish (interrupted, or killed while running)."""
    return session.scalar(
        select(CrawlRun)
        .where(CrawlRun.spider == site, CrawlRun.mode == "reparse", CrawlRun.status.in_(("running", "interrupted")))
        .order_by(CrawlRun.id.desc())
        .limit(1)
    )


class Reparser:
    """Runs one site's spider over its stored pages and the items through the pipelines.

    Pages are parsed in worker processes (`ARCHIVER_REPARSE_WORKERS`, 0 = one per CPU) and their
    items stored here, in page order, in the store's batches. Every `CHECKPOINT_PAGES` pages the
    store is flushed and the id of the last page stored is written to the run's row in
    `crawl_runs`: a reparse that was interrupted or killed continues from there with `resume=True`
    (pages stored twice change nothing; the run's report counts what the resumed part changed).
    """

    def __init__(self, engine: Engine, site: str, settings: Settings) -> None:
        self.engine = engine
        self.sessions = session_factory(engine)
        self.site = site
        self.settings = settings
        self.crawler = OfflineCrawler(settings)
        self.spidercls = get_spider_loader(settings).load(site)
        self.report = ReparseReport(site)
        self.progress: Progress | None = None

    def run(
        self,
        since: date | None = None,
        until: date | None = None,
        *,
        resume: bool = False,
        progress: TextIO | None = None,
    ) -> ReparseReport:
        after_id = 0
        with self.sessions() as session:
            before = (article_states(session, self.site), entry_states(session, self.site))
            run = unfinished_run(session, self.site) if resume else None
            if resume and run is None:
                raise NothingToResume(f"no unfinished reparse of {self.site} to resume")
            if run is not None:
                stats = run.stats or {}
                after_id = int(stats.get("reparse/last_page_id") or 0)
                since = date.fromisoformat(stats["reparse/since"]) if stats.get("reparse/since") else None
                until = date.fromisoformat(stats["reparse/until"]) if stats.get("reparse/until") else None
                run.status = "running"
            else:
                run = CrawlRun(spider=self.site, mode="reparse", started_at=utcnow(), status="running")
                session.add(run)
            run.stats = self.checkpoint_stats(after_id, since, until)
            session.commit()
            run_id = run.id
            query = pages_query(site=self.site, since=since, until=until, newest_per_url=True, statuses=(200,))
            ids = [i for i in session.scalars(query.with_only_columns(Page.id)) if i > after_id]
        try:
            self.store_pages(ids, run_id, since, until, progress)
            self.report.versions_changed = rederive_versions(
                self.engine, self.site, lambda: PageParser(self.engine, self.site, self.settings)
            )
        except BaseException:
            if self.progress is not None:
                self.progress.close()  # the terminal as it was, before the traceback or "interrupted"
            with self.sessions.begin() as session:
                run = session.get(CrawlRun, run_id)
                assert run is not None  # made by this reparse
                run.status = "interrupted"
            raise
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

    @staticmethod
    def checkpoint_stats(last_page_id: int, since: date | None, until: date | None) -> dict[str, Any]:
        return {
            "reparse/last_page_id": last_page_id,
            "reparse/since": since.isoformat() if since else None,
            "reparse/until": until.isoformat() if until else None,
        }

    def store_pages(
        self, ids: list[int], run_id: int, since: date | None, until: date | None, out: TextIO | None
    ) -> None:
        if not ids:
            return
        workers = self.settings.getint("ARCHIVER_REPARSE_WORKERS", 0) or multiprocessing.cpu_count()
        pipelines = item_pipelines(self.crawler)
        _, stages = split_at_store(pipelines)
        store = next(p for p in stages if isinstance(p, StorePipeline))
        with self.sessions() as session:
            first = session.get(Page, ids[0])
            assert first is not None  # ids come from the pages table
            spider = self.spidercls.from_crawler(self.crawler.as_crawler(), base_url=origin(first.url))
            listed_titles = ListedTitles(stored_listing_titles(session, self.site))
        self.crawler.spider = spider
        for pipeline in pipelines:
            if hasattr(pipeline, "open_spider"):
                pipeline.open_spider(spider)
        progress = Progress(self.site, len(ids), out, self.settings.getfloat("ARCHIVER_PROGRESS_INTERVAL", 30))
        self.progress = progress
        since_checkpoint = 0
        for parsed in parsed_pages(self.engine, self.site, self.settings, ids, workers):
            if parsed.outcome == "no_parser":
                self.report.no_parser += 1
            else:
                self.report.pages += 1
                self.report.failed += parsed.outcome == "failed"
            self.report.dropped += parsed.dropped
            for item in parsed.items:
                listed_titles.fill(item)
                try:
                    for stage in stages:
                        item = stage.process_item(item, spider)
                except DropItem:
                    self.report.dropped += 1
            since_checkpoint += 1
            if since_checkpoint >= CHECKPOINT_PAGES:
                store.flush()
                self.checkpoint(run_id, parsed.page_id, since, until)
                since_checkpoint = 0
            progress.step()
        for pipeline in pipelines:
            if hasattr(pipeline, "close_spider"):
                pipeline.close_spider(spider)
        self.checkpoint(run_id, ids[-1], since, until)

    def checkpoint(self, run_id: int, page_id: int, since: date | None, until: date | None) -> None:
        """Every page up to `page_id` is stored: a resumed run starts after it."""
        with self.sessions.begin() as session:
            run = session.get(CrawlRun, run_id)
            assert run is not None  # made by this reparse
            run.stats = self.checkpoint_stats(page_id, since, until)


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
    resume: bool = False,
    progress: TextIO | None = None,
) -> list[ReparseReport]:
    """Reparse the stored pages of `sites` (default: every site with stored pages); one report each.

    With `resume`, each site's unfinished reparse continues where it stopped (with its own dates);
    sites without one are skipped, and NothingToResume is raised when no site has one.
    """
    sites = sites or stored_sites(engine)
    if resume:
        with session_factory(engine)() as session:
            sites = [site for site in sites if unfinished_run(session, site) is not None]
        if not sites:
            raise NothingToResume("no unfinished reparse to resume")
    return [Reparser(engine, site, settings).run(since, until, resume=resume, progress=progress) for site in sites]
