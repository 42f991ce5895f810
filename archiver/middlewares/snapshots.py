"""Page snapshots: a downloader middleware keeping every HTML or feed response of a crawl as served.

Each fetch becomes a `pages` row (URL, time, status, the headers, the SHA-256 of the body, the
crawl run from the stat `archiver/crawl_run_id`); each distinct body is kept once, compressed, in
`page_bodies`. Rows are written in batches (ARCHIVER_SNAPSHOT_BATCH), whatever is left when the
spider goes idle or closes, and whatever is held before the store commits items or the walk log a
listing page (the signal SNAPSHOTS_DUE): a page's snapshot is never committed after what was made
of it, so a SIGKILL cannot lose it for good. ARCHIVER_SNAPSHOTS = False turns the whole thing off.

It sits between HttpCompressionMiddleware (590) and MetaRefreshMiddleware (580): it sees bodies
already decompressed, after redirects were followed, and a 304 as the server sent it.
"""

from __future__ import annotations

import logging

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.http import HtmlResponse, Request, Response, TextResponse, XmlResponse
from sqlalchemy.orm import Session, sessionmaker

from archiver.archive.diskfull import disk_full, stop_for_disk_full
from archiver.archive.engine import open_archive, session_factory
from archiver.archive.models import utcnow
from archiver.archive.pages import SNAPSHOTS_DUE, Fetch, check_compression, headers_to_json, write_fetches
from archiver.middlewares.guards import PAGE_TYPES, real_encoding
from archiver.middlewares.headers import header, media_type

logger = logging.getLogger(__name__)

#: Media types worth keeping: pages and feeds (robots.txt, images and the like are not).
SNAPSHOT_TYPES = frozenset(PAGE_TYPES)
#: request.meta key set by archiver.middlewares.conditional: the stored page a conditional request is checking.
CONDITIONAL_META = "archiver_conditional"
#: request.meta key set here: {"sha256", "fetched_at"} of the fetch recorded (the body a 304 confirmed),
#: which archiver/middlewares/pagestamp.py puts on the page's article items.
PAGE_META = "archiver_page"
CRAWL_RUN_STAT = "archiver/crawl_run_id"


def decoding(response: Response) -> str | None:
    """The charset the spider reads this response in: the one CharsetRepair (further down the chain)
    settles on. Stored with the page, so that `archiver reparse` decodes it the same way."""
    if not isinstance(response, TextResponse):
        return None
    return real_encoding(response.body, response.encoding) or response.encoding


def is_snapshot_worthy(response: Response) -> bool:
    kind = media_type(response)
    if kind:
        return kind in SNAPSHOT_TYPES
    return isinstance(response, (HtmlResponse, XmlResponse))


class SnapshotRecorder:
    """Downloader middleware: records each HTML/feed response (and each 304) in the archive."""

    def __init__(self, crawler, db_url: str, batch_size: int, compression: str) -> None:
        self.crawler = crawler
        self.db_url = db_url
        self.batch_size = batch_size
        self.compression = compression
        self.buffer: list[Fetch] = []
        self.sessions: sessionmaker[Session] | None = None

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        if not settings.getbool("ARCHIVER_SNAPSHOTS", True):
            raise NotConfigured("ARCHIVER_SNAPSHOTS is off")
        recorder = cls(
            crawler,
            settings.get("ARCHIVER_DB_URL"),
            settings.getint("ARCHIVER_SNAPSHOT_BATCH", 100),
            check_compression(settings.get("ARCHIVER_SNAPSHOT_COMPRESSION", "zlib")),
        )
        crawler.signals.connect(recorder.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(recorder.flush, signal=SNAPSHOTS_DUE)
        crawler.signals.connect(recorder.flush, signal=signals.spider_idle)
        crawler.signals.connect(recorder.spider_closed, signal=signals.spider_closed)
        return recorder

    def spider_opened(self, spider=None) -> None:
        self.engine = open_archive(self.db_url)
        self.sessions = session_factory(self.engine)

    def spider_closed(self, spider=None) -> None:
        self.flush()
        if self.sessions is not None:
            self.engine.dispose()
            self.sessions = None

    def process_response(self, request: Request, response: Response) -> Response:
        if "cached" in response.flags:  # replayed from Scrapy's HTTP cache: not a fetch
            return response
        checked = request.meta.get(CONDITIONAL_META)
        if response.status == 304 and checked:
            fetch = self.not_modified(response, checked)
        elif is_snapshot_worthy(response):
            fetch = self.fetch(response)
        else:
            return response
        self.record(fetch)
        request.meta[PAGE_META] = {"sha256": fetch.sha256, "fetched_at": fetch.fetched_at}
        return response

    def fetch(self, response: Response) -> Fetch:
        return Fetch(
            url=response.url,
            site=self.site,
            fetched_at=utcnow(),
            status=response.status,
            headers=headers_to_json(response.headers),
            body=response.body,
            content_type=header(response, "Content-Type"),
            charset=decoding(response),
            last_modified=header(response, "Last-Modified"),
            etag=header(response, "ETag"),
        )

    def not_modified(self, response: Response, checked: dict) -> Fetch:
        """A 304: the fetch is recorded, pointing at the body it confirmed; validators carried over."""
        return Fetch(
            url=response.url,
            site=self.site,
            fetched_at=utcnow(),
            status=304,
            headers=headers_to_json(response.headers),
            body=None,
            sha256=checked["sha256"],
            content_type=checked.get("content_type"),
            charset=checked.get("charset"),
            last_modified=header(response, "Last-Modified") or checked.get("last_modified"),
            etag=header(response, "ETag") or checked.get("etag"),
        )

    @property
    def site(self) -> str | None:
        spider = self.crawler.spider
        return spider.name if spider is not None else None

    def record(self, fetch: Fetch) -> None:
        self.buffer.append(fetch)
        stats = self.crawler.stats
        stats.inc_value("archiver/snapshots/pages")
        if fetch.body is not None:
            stats.inc_value("archiver/snapshots/body_bytes", len(fetch.body))
        if len(self.buffer) >= self.batch_size:
            self.flush()

    def flush(self, spider=None) -> None:
        """Write the buffered fetches in one transaction."""
        if not self.buffer or self.sessions is None:
            return
        batch, self.buffer = self.buffer, []
        if disk_full(self.crawler):
            return  # the crawl is stopping: nothing more can be written
        run_id = self.crawler.stats.get_value(CRAWL_RUN_STAT)
        try:
            with self.sessions.begin() as session:
                result = write_fetches(session, batch, run_id, self.compression)
        except Exception as exc:
            if stop_for_disk_full(self.crawler, exc):
                return
            raise
        stats = self.crawler.stats
        stats.inc_value("archiver/snapshots/bodies_new", result.new_bodies)
        stats.inc_value("archiver/snapshots/stored_bytes", result.compressed_bytes)
