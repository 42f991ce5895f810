"""Stopping a crawl at the first full-disk error, in one line.

Without this, a full disk made every batch of items and of page snapshots fail with a traceback
while fetching went on. The components that write (the store pipeline, the snapshot recorder,
the walk log) hand such an error to `stop_for_disk_full`: the first one logs one line, sets
`archiver/disk_full` and closes the spider (reason "disk_full": the run ends "interrupted", exit
status 1); later ones are silent. Nothing half-written is kept: each batch is one transaction.
"""

from __future__ import annotations

import logging

from archiver.archive.diskfull import is_disk_full

logger = logging.getLogger(__name__)

DISK_FULL_STAT = "archiver/disk_full"


def stop_for_disk_full(crawler, exc: BaseException) -> bool:
    """Stop the crawl if `exc` is a full disk; False (do nothing) when it is something else."""
    if not is_disk_full(exc):
        return False
    if crawler.stats.get_value(DISK_FULL_STAT):
        return True
    crawler.stats.set_value(DISK_FULL_STAT, 1)
    first_line = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    logger.error("Disk full, stopping the crawl (free space and run it again): %s", first_line)
    engine = getattr(crawler, "engine", None)
    if engine is not None and crawler.spider is not None:
        engine.close_spider(crawler.spider, "disk_full")
    return True


def disk_full(crawler) -> bool:
    """Whether this crawl has stopped for a full disk."""
    return bool(crawler.stats.get_value(DISK_FULL_STAT))
