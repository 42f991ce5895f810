"""Resumable backfills: Scrapy's JOBDIR kept in the archive's state folder, and a guard against a
job folder left inconsistent by a run that did not stop cleanly.

Scrapy writes a job folder's request queue and its list of seen requests in full only when a run
stops cleanly (it finished, or Ctrl-C once). After kill -9, a crash or a power cut the folder may
list requests as seen that the queue lost, and resuming from it would silently skip them. So a run
marks its folder `running` while it works; a folder found still marked is discarded and the walk
starts again from the first listing page. Nothing archived is fetched again either way: the spider
skips the articles the archive holds (archiver/archive/incremental.py), so the cost of a restart is one
walk over listing pages.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from pathlib import Path

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.job import job_dir

from archiver.archive.statedir import state_dir
from archiver.exceptions import ResumeMismatch

logger = logging.getLogger(__name__)

RUNNING = "running"
PARAMETERS = "backfill.json"
SCRAPY_STATE = ("requests.queue", "requests.seen", "spider.state")


def backfill_dir(db_url: str, spider: str) -> Path:
    """The JOBDIR of `spider`'s backfill of the archive at `db_url`."""
    return state_dir(db_url) / spider


def discard_if_unclean(folder: Path) -> bool:
    """Drop Scrapy's state from a job folder that a run left marked `running`; True when it did."""
    if not (folder / RUNNING).exists():
        return False
    for name in SCRAPY_STATE:
        path = folder / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    (folder / RUNNING).unlink()
    return True


def prepare(folder: Path, parameters: dict, *, resume: bool) -> str:
    """Make `folder` ready for a backfill with `parameters`; one line saying what will happen.

    Without `resume` any earlier job is forgotten (its archived articles are still skipped).
    With `resume` the folder must belong to a backfill with the same parameters.
    """
    recorded = folder / PARAMETERS
    if resume and recorded.exists():
        earlier = json.loads(recorded.read_text(encoding="utf-8"))
        if {key: earlier.get(key) for key in parameters} != parameters:
            differences = ", ".join(
                f"{key} {earlier.get(key) or '(none)'}"
                for key in sorted(parameters)
                if earlier.get(key) != parameters[key]
            )
            raise ResumeMismatch(
                f"the interrupted backfill ran with {differences}: resume it with the same options, "
                "or start a new one without --resume"
            )
        if discard_if_unclean(folder):
            message = "the last run did not stop cleanly: walking the listings again (archived articles are skipped)"
        else:
            message = f"resuming the backfill kept in {folder}"
    elif resume:
        message = "nothing to resume: starting the backfill"
    elif recorded.exists():
        message = "starting the backfill afresh (the unfinished one is dropped; archived articles are skipped)"
    else:
        message = "starting the backfill"
    if not (resume and recorded.exists()) and folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    recorded.write_text(json.dumps(parameters, sort_keys=True), encoding="utf-8")
    return message


def forget(folder: Path) -> None:
    """Remove the job folder of a backfill that finished: there is nothing left to resume."""
    shutil.rmtree(folder, ignore_errors=True)


class JobDirGuard:
    """Marks the JOBDIR `running` for the life of the run; discards what an unclean stop left.

    Built before Scrapy's scheduler opens the folder, so the check also protects a plain
    `scrapy crawl … -s JOBDIR=…`.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @classmethod
    def from_crawler(cls, crawler):
        folder = job_dir(crawler.settings)
        if not folder:
            raise NotConfigured
        guard = cls(Path(folder))
        if discard_if_unclean(guard.folder):
            logger.warning(
                "%s: the last run did not stop cleanly; its request queue was discarded",
                folder,
                extra={"spider": crawler.spidercls},
            )
        crawler.signals.connect(guard.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(guard.spider_closed, signal=signals.spider_closed)
        return guard

    def spider_opened(self, spider) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / RUNNING).write_text(f"{os.getpid()}\n", encoding="utf-8")

    def spider_closed(self, spider, reason: str) -> None:
        # Scrapy has saved the queue and closed the seen-requests file before this signal.
        (self.folder / RUNNING).unlink(missing_ok=True)
