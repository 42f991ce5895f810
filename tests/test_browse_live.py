"""Issue 25, point 4: `archiver browse` beside a crawl that writes.

Served immutable (the default until now), the file gave wrong answers once a crawl wrote it and
checkpointed: Datasette's row count stayed as it was at start beside queries that read the new
rows (41 beside 59), and `_search` failed with "database disk image is malformed". The live file
is now served read-only by default (each query sees one consistent state); `--immutable` holds the
run lock while it serves, so no run can write meanwhile, and is refused while a run holds it.
"""

from __future__ import annotations

import json
import sqlite3
import time
import urllib.parse
import urllib.request

import pytest

from archiver.archive.engine import open_archive
from archiver.archive.lock import DatabaseLock
from archiver.cli import main
from tests.support.cli import start_archiver
from tests.support.research_archive import fill

pytest.importorskip("datasette")


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get_json(url: str):
    with urllib.request.urlopen(url, timeout=20) as response:
        return json.loads(response.read().decode("utf-8"))


@pytest.fixture
def archive(tmp_path):
    path = tmp_path / "archive.sqlite"
    engine = open_archive(f"sqlite:///{path}")
    fill(engine)
    engine.dispose()
    return path


def write_runs(path, count: int) -> None:
    """What a crawl does to the file: commits, then a checkpoint that moves them into it."""
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode=WAL")
    with connection:
        connection.executemany(
            "INSERT INTO crawl_runs (spider, mode, started_at, status) VALUES ('x', 'crawl', '2025-01-01', 'ok')",
            [()] * count,
        )
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()


def test_browse_answers_consistently_while_a_crawl_writes(archive):
    port = free_port()
    process = start_archiver("browse", "--db", f"sqlite:///{archive}", "--port", str(port))
    base = f"http://127.0.0.1:{port}/archive"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                get_json(f"{base}.json")
                break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline, process.communicate(timeout=5)
                time.sleep(0.2)
        before = sqlite3.connect(archive).execute("SELECT COUNT(*) FROM crawl_runs").fetchone()[0]
        sql = urllib.parse.quote(
            "SELECT (SELECT COUNT(*) FROM crawl_runs) AS n, "
            "(SELECT SUM(g) FROM (SELECT COUNT(*) AS g FROM crawl_runs GROUP BY status)) AS grouped"
        )
        for written in (40, 80):
            write_runs(archive, 40)
            table = get_json(f"{base}/crawl_runs.json?_size=0")
            [row] = get_json(f"{base}.json?sql={sql}&_shape=array")
            assert table["filtered_table_rows_count"] == before + written
            assert row == {"n": before + written, "grouped": before + written}
        search = get_json(f"{base}/articles.json?_search=missile&_shape=array")
        assert search and all("missile" in (r["body"] + r["title"]).lower() for r in search)
    finally:
        process.terminate()
        _, err = process.communicate(timeout=20)
    assert "malformed" not in err


def test_immutable_holds_the_run_lock_and_is_refused_beside_a_run(archive, capsys, monkeypatch):
    url = f"sqlite:///{archive}"
    seen = []

    def serve(command: list[str]) -> int:  # instead of Datasette: is the file locked while it serves?
        other = DatabaseLock(url)
        seen.append((command.count("-i"), other.acquire(), other.holder()))
        other.release()
        return 0

    monkeypatch.setattr("archiver.cli.browse.serve", serve)
    assert main(["browse", "--immutable", "--db", url]) == 0
    assert seen == [(1, False, seen[0][2])] and "archiver browse --immutable" in seen[0][2]
    assert main(["browse", "--db", url]) == 0  # live: no lock
    assert seen[1][:2] == (0, True)
    crawl = DatabaseLock(url, description="archiver crawl kcnawatch")
    assert crawl.acquire()
    try:
        assert main(["browse", "--immutable", "--db", url]) == 2
    finally:
        crawl.release()
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("archiver: error: a run is writing the archive (pid ")
    assert "archiver crawl kcnawatch, since" in err[0] and err[0].endswith("browse it live, without --immutable")
    assert len(seen) == 2


def test_live_is_what_datasette_is_asked_for(archive, monkeypatch):
    commands = []
    monkeypatch.setattr("archiver.cli.browse.serve", lambda command: commands.append(command) or 0)
    assert main(["browse", "--db", f"sqlite:///{archive}"]) == 0
    assert main(["browse", "--live", "--db", f"sqlite:///{archive}"]) == 0  # the old flag: the default now
    assert len(commands) == 2 and all("-i" not in command and str(archive) in command for command in commands)
