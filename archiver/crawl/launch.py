"""Starting a run on an archive: one run per database at a time (the run lock), stale runs closed.

The command line (`archiver crawl`, `archiver backfill`) validates what the user gave and calls
`run_exclusive()`; a second run on the same database is told so and does not start (or waits).
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from archiver.archive.lock import DatabaseLock
from archiver.crawl.runner import RunSummary, run_spiders
from archiver.extensions.crawlrun import close_stale_runs
from archiver.normalize.urls import masked_url


def locked_out(lock: DatabaseLock, url: str, *, wait: bool, quiet: bool) -> bool:
    """Take the database's run lock (or wait for it, with `wait`); True when this run must not start."""
    if lock.acquire(wait=False):
        return False
    shown = masked_url(url)
    holder = lock.holder() or "holder unknown"
    if not wait:
        if not quiet:
            print(f"archiver: {shown} is in use by another run ({holder}); not starting", file=sys.stderr)
        return True
    if not quiet:
        print(f"archiver: {shown} is in use by another run ({holder}); waiting for it to end", file=sys.stderr)
    lock.acquire(wait=True)
    return False


def run_exclusive(
    jobs: dict[str, dict],
    *,
    db_url: str,
    mode: str,
    settings: dict,
    locking: bool = True,
    wait: bool = False,
    quiet: bool = False,
    before: Callable[[str], None] | None = None,
    after: Callable[[list[RunSummary]], None] | None = None,
) -> list[RunSummary] | None:
    """Run `jobs` (spider → arguments) holding the database's run lock; None when another run holds
    it and `wait` is False. `before(db_url)` and `after(summaries)` run while the lock is held.

    Without `locking` (a distributed crawl: many workers write one database) no lock is taken.
    """
    lock = DatabaseLock(db_url, description=f"archiver {mode} {' '.join(jobs)}") if locking else None
    if lock is not None and locked_out(lock, db_url, wait=wait, quiet=quiet):
        return None
    try:
        if lock is not None:
            close_stale_runs(db_url, list(jobs))
        if before is not None:
            before(db_url)
        summaries = run_spiders(jobs, db_url=db_url, mode=mode, settings=settings)
        if after is not None:
            after(summaries)
    finally:
        if lock is not None:
            lock.release()
    return summaries
