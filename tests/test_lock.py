"""One run per database: the lock's place, refusal, waiting, and release when the holder dies."""

from __future__ import annotations

import signal
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from archiver.archive.lock import DatabaseLock
from archiver.archive.statedir import lock_path, state_dir
from archiver.mirror.server import MirrorServer
from tests.support.archive import query
from tests.support.cli import FAST, run_archiver, start_archiver, start_process
from tests.support.sites import MirrorSite, daily_articles


def test_sqlite_lock_and_state_sit_beside_the_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'archive.sqlite'}"
    assert lock_path(url) == tmp_path / "archive.sqlite.lock"
    assert state_dir(url) == tmp_path / "archive.sqlite.state"


def test_other_databases_are_keyed_by_url_hash(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("ARCHIVER_STATE_DIR", str(tmp_path))
    one = lock_path("postgresql+psycopg://archiver:secret@db.example/archive")
    two = lock_path("postgresql+psycopg://archiver:secret@db.example/other")
    assert one.parent.parent == tmp_path and one.name == "lock"
    assert one != two
    assert "secret" not in str(one)


def test_second_holder_is_refused_until_release(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'archive.sqlite'}"
    first, second = DatabaseLock(url, description="first run"), DatabaseLock(url)
    assert first.acquire()
    assert not second.acquire()
    assert "first run" in second.holder() and "pid" in second.holder()
    first.release()
    assert second.acquire()
    second.release()


def test_lock_dies_with_its_process(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'archive.sqlite'}"
    program = f"from archiver.archive.lock import DatabaseLock; DatabaseLock({url!r}).acquire(); print('held', flush=True); input()"
    holder = start_process([sys.executable, "-c", program], stdin=subprocess.PIPE, stderr=None)
    try:
        assert holder.stdout.readline().strip() == "held"
        assert not DatabaseLock(url).acquire()
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)
    finally:
        holder.kill()
    lock = DatabaseLock(url)
    assert lock.acquire()
    lock.release()


@pytest.mark.slow
def test_crawl_refused_while_locked_then_waits_with_wait(tmp_path: Path, db_url: str) -> None:
    lock = DatabaseLock(db_url, description="archiver crawl kcnawatch")
    assert lock.acquire()
    try:
        with MirrorServer(MirrorSite(daily_articles(date(2024, 1, 1), 3))) as server:
            crawl = ["crawl", "kcnawatch", "--base-url", server.base_url, "--db", db_url, *FAST]
            refused = run_archiver(*crawl)
            assert refused.returncode == 0
            assert refused.stdout == ""
            assert refused.stderr.count("\n") == 1
            assert refused.stderr.startswith("archiver: sqlite:///") and "in use by another run" in refused.stderr
            assert "archiver crawl kcnawatch" in refused.stderr and "not starting" in refused.stderr
            assert server.total_hits == 0

            waiting = start_archiver(*crawl, "--wait")
            try:
                said = ""
                while "waiting for it to end" not in said and (line := waiting.stderr.readline()):
                    said += line
                assert "waiting for it to end" in said
                assert server.total_hits == 0
                lock.release()
                out, _ = waiting.communicate(timeout=120)
            finally:
                waiting.kill()
            assert waiting.returncode == 0
            assert out.startswith("kcnawatch: ok")
            assert server.hits["/robots.txt"] == 1
    finally:
        lock.release()
    assert query(db_url, "SELECT COUNT(*) FROM crawl_runs") == [(1,)]  # the refused run left no row
    assert query(db_url, "SELECT COUNT(*) FROM articles") == [(3,)]
