"""Stored pages parsed again: the spider's callback for each page's URL, then the item pipelines
before the store. What a page gives depends on that page alone, so pages are parsed in worker
processes (`parsed_pages`) while one process writes.
"""

from __future__ import annotations

import logging
import multiprocessing
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
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
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from archiver.archive.engine import make_engine, session_factory
from archiver.archive.models import Page
from archiver.archive.pages import iter_page_ids, load_bodies, page_response
from archiver.research.reparse_store import ReparseStorePipeline
from pipelines.store import StorePipeline

logger = logging.getLogger(__name__)


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
    engine: Engine, site: str, settings: Settings, ids: Sequence[int], workers: int, *, chunk: int
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
