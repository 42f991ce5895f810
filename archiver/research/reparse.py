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
before the store, in a pool of worker processes (parsing is pure: reparse_parse.py); this process
stores their items (reparse_store.py) in page order with the store's bulk writes, prints progress
with the time left, and records a checkpoint now and then so that an interrupted reparse can be
resumed (`archiver reparse --resume`). What changed is counted by reparse_report.py.
"""

from __future__ import annotations

import logging
import multiprocessing
import time
from dataclasses import asdict
from datetime import date
from typing import Any, TextIO

from scrapy.exceptions import DropItem
from scrapy.settings import Settings
from scrapy.spiderloader import get_spider_loader
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from archiver.archive.engine import session_factory
from archiver.archive.models import CrawlRun, ListingEntry, Page, utcnow
from archiver.archive.pages import pages_query
from archiver.items import ArticleItem, ListingEntryItem
from archiver.progress import Display
from archiver.research.reparse_parse import (
    OfflineCrawler,
    PageParser,
    item_pipelines,
    origin,
    parsed_pages,
    split_at_store,
)
from archiver.research.reparse_report import ReparseReport, article_states, compare, entry_states
from archiver.research.reparse_versions import rederive_versions
from pipelines.store import StorePipeline

logger = logging.getLogger(__name__)

# Pages a worker parses per task (fewer round trips between processes), and pages between checkpoints.
PARSE_CHUNK = 50
CHECKPOINT_PAGES = 500


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
        for parsed in parsed_pages(self.engine, self.site, self.settings, ids, workers, chunk=PARSE_CHUNK):
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
