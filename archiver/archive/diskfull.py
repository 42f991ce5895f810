"""A full disk: recognizing it in what the database or the file system raised, and stopping the crawl.

Without this, a full disk made every batch of items and of page snapshots fail with a traceback
while fetching went on. The components that write (the store pipeline, the snapshot recorder,
the walk log of spiders/base.py) hand such an error to `stop_for_disk_full`: the first one logs one
line, sets `archiver/disk_full` and closes the spider (reason "disk_full": the run ends
"interrupted", exit status 1); later ones are silent. Nothing half-written is kept: each batch is
one transaction. (`crawler` is a Scrapy crawler; this module only calls it.)
"""

from __future__ import annotations

import errno
import logging

#: PostgreSQL's SQLSTATE for "disk full".
PG_DISK_FULL = "53100"


def is_disk_full(exc: BaseException) -> bool:
    """Whether `exc` (or what it wraps) says the disk or the database is full."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        code = getattr(current, "sqlite_errorcode", None)
        if code is not None and code & 0xFF == 13:  # SQLITE_FULL
            return True
        if getattr(current, "sqlstate", None) == PG_DISK_FULL or getattr(current, "pgcode", None) == PG_DISK_FULL:
            return True
        if "database or disk is full" in str(current) or "No space left on device" in str(current):
            return True
        current = getattr(current, "orig", None) or current.__cause__ or current.__context__
    return False


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
    logger.error(
        "Disk full, stopping the crawl (free space and run it again): %s",
        first_line,
        extra={"spider": getattr(crawler, "spider", None)},
    )
    engine = getattr(crawler, "engine", None)
    if engine is not None and crawler.spider is not None:
        engine.close_spider(crawler.spider, "disk_full")
    return True


def disk_full(crawler) -> bool:
    """Whether this crawl has stopped for a full disk."""
    return bool(crawler.stats.get_value(DISK_FULL_STAT))
