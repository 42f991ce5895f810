"""The store stage: buffers items and writes them in batched transactions through the ArchiveWriter.

A batch is written when it is full (ARCHIVER_STORE_BATCH items) or, while items come in, when the
last write is ARCHIVER_STORE_FLUSH_SECONDS old: on a slow site (a backfill at one page every two
seconds) the archive, and the progress display's "stored as new", keep up within seconds, and a
killed run loses at most that much.
"""

from __future__ import annotations

import time
from collections import Counter

from archiver.archive.diskfull import disk_full, stop_for_disk_full
from archiver.archive.engine import open_archive, session_factory
from archiver.archive.pages import write_snapshots_first
from archiver.archive.writer import ArchiveWriter, write_batch


class StorePipeline:
    crawler = None  # set by from_crawler: a full disk stops the crawl (archiver/archive/diskfull.py)
    flush_seconds = 0.0  # set by from_crawler (ARCHIVER_STORE_FLUSH_SECONDS); 0: full batches only

    def __init__(self, db_url: str, batch_size: int, stats) -> None:
        self.db_url = db_url
        self.batch_size = batch_size
        self.stats = stats
        self.buffer: list[object] = []
        self.counts: Counter[str] = Counter()
        self.flushed_at = time.monotonic()

    #: The setting that says how many items go in one transaction, and its default.
    batch_setting = ("ARCHIVER_STORE_BATCH", 1000)

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        pipeline = cls(settings.get("ARCHIVER_DB_URL"), settings.getint(*cls.batch_setting), crawler.stats)
        pipeline.crawler = crawler
        pipeline.flush_seconds = settings.getfloat("ARCHIVER_STORE_FLUSH_SECONDS", 0)
        return pipeline

    def open_spider(self, spider=None) -> None:
        self.engine = open_archive(self.db_url)
        self.sessions = session_factory(self.engine)

    def process_item(self, item, spider=None):
        self.buffer.append(item)
        if len(self.buffer) >= self.batch_size or (
            self.flush_seconds and time.monotonic() - self.flushed_at >= self.flush_seconds
        ):
            self.flushed_at = time.monotonic()  # here, not only in flush(): a subclass's flush may not reset it
            self.flush()
        return item

    def close_spider(self, spider=None) -> None:
        self.flush()
        self.engine.dispose()

    def flush(self) -> None:
        """One transaction per batch: entries first (so articles find their listing dates), then articles."""
        self.flushed_at = time.monotonic()
        if not self.buffer:
            return
        batch, self.buffer = self.buffer, []

        def write(session) -> Counter:
            writer = ArchiveWriter(session)
            writer.add_items(batch)
            return writer.counts

        if self.crawler is not None and disk_full(self.crawler):
            return  # the crawl is stopping: nothing more can be written
        try:
            if self.crawler is not None:
                write_snapshots_first(self.crawler.signals)  # the pages these items came from
            # Counted only once committed: PostgreSQL may abort a batch that concurrent workers touch, and it is rerun.
            self.counts.update(write_batch(self.sessions, write))
        except Exception as exc:
            if self.crawler is not None and stop_for_disk_full(self.crawler, exc):
                return
            raise
        for key, value in self.counts.items():
            self.stats.set_value(f"archiver/{key}", value)
