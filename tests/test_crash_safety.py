"""Crash safety: a crawl killed with SIGKILL mid-run leaves a sound archive, and a rerun completes it.

The mirror answers slowly so that the kill lands while pages are being fetched and batches are
being written (ARCHIVER_STORE_BATCH=25: a transaction every page or two). After the kill and after the
rerun: `PRAGMA integrity_check` is ok, no table holds two rows for one natural key, the search index
has one row per article, and in the end every article of the site is archived exactly once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest

from tests.support.archive import query, scalar
from tests.support.cli import FAST, run_archiver, start_archiver
from tests.support.faultserver import FaultServer

pytestmark = pytest.mark.slow

from tests.support.crash import (
    ARTICLES,
    SLOW,
    archive_problems,
    archived_exactly_once,
    slow_site,
)


def crawl_args(base_url: str, db_url: str) -> list[str]:
    return ["crawl", "kcnawatch", "--base-url", base_url, "--db", db_url, *FAST, *SLOW]


def stored_articles(db_url: str) -> int:
    try:
        return scalar(db_url, "SELECT COUNT(*) FROM articles")
    except Exception:  # the database or its tables do not exist yet
        return 0


@pytest.mark.parametrize("kill_after", [1, 30])
def test_sigkill_mid_run_then_rerun_archives_everything_once(tmp_path, kill_after):
    db_url = f"sqlite:///{tmp_path / 'archive.sqlite'}"
    routes, articles = slow_site()
    with FaultServer(routes) as server:
        crawl = start_archiver(*crawl_args(server.base_url, db_url), stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while stored_articles(db_url) < kill_after and crawl.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert crawl.poll() is None, f"the crawl ended before the kill: {crawl.stderr.read()}"
        os.kill(crawl.pid, signal.SIGKILL)
        crawl.wait()
        crawl.stderr.close()
        killed_with = stored_articles(db_url)
        assert kill_after <= killed_with < ARTICLES
        assert archive_problems(db_url) == []
        assert scalar(db_url, "SELECT status FROM crawl_runs") == "running"  # it never got to say otherwise

        rerun = run_archiver("crawl", "kcnawatch", "--base-url", server.base_url, "--db", db_url, *FAST, *SLOW)
    assert rerun.returncode == 0, rerun.stderr
    assert "Traceback" not in rerun.stderr
    assert archive_problems(db_url) == []
    assert archived_exactly_once(db_url, server.base_url, articles) == []
    # The rerun, holding the lock, closed the killed run's row.
    assert query(db_url, "SELECT status FROM crawl_runs ORDER BY id") == [("interrupted",), ("ok",)]
    # Nothing fetched twice that the killed run had archived.
    refetched = [a.slug for a in articles if server.hits[a.path] > 1]
    assert len(refetched) <= ARTICLES - killed_with
