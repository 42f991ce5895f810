"""Two crawls started at the same moment on one (new, empty) database: no duplicates, no corruption.

Three ways to start them: `archiver crawl` twice (the database's run lock lets one run and turns
the other away, exit status 0), `archiver crawl --wait` twice (the second waits, then finds nothing
new), and `scrapy crawl` twice, which takes no lock at all: two writers on one SQLite file at once,
from the schema migration of the empty database on. In every case the archive is sound and every
article of the site is in it exactly once.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.support.archive import scalar
from tests.support.cli import FAST, archiver_command, start_process
from tests.support.crash import SLOW, archive_problems, archived_exactly_once, slow_site
from tests.support.faultserver import FaultServer

pytestmark = pytest.mark.slow


def start_together(commands: list[list[str]]) -> list[subprocess.CompletedProcess]:
    """Start every command at once, wait for all, and return their results."""
    processes = [start_process(command) for command in commands]
    results = []
    for process, command in zip(processes, commands):
        stdout, stderr = process.communicate(timeout=180)
        results.append(subprocess.CompletedProcess(command, process.returncode, stdout, stderr))
    return results


def archiver_crawl(base_url: str, db_url: str, *extra: str) -> list[str]:
    return archiver_command(
        "crawl",
        "kcnawatch",
        "--base-url",
        base_url,
        "--db",
        db_url,
        *FAST,
        *SLOW,
        *extra,
    )


def scrapy_crawl(base_url: str, db_url: str) -> list[str]:
    settings = [f"ARCHIVER_DB_URL={db_url}", "LOG_LEVEL=WARNING", *[s for s in FAST + SLOW if s != "-s"]]
    return [
        sys.executable,
        "-m",
        "scrapy",
        "crawl",
        "kcnawatch",
        "-a",
        f"base_url={base_url}",
        *[a for s in settings for a in ("-s", s)],
    ]


def assert_sound_and_complete(db_url: str, base_url: str, articles, results) -> None:
    for result in results:
        assert "Traceback" not in result.stderr, result.stderr
    assert archive_problems(db_url) == []
    assert archived_exactly_once(db_url, base_url, articles) == []


def test_two_archiver_crawls_at_once(tmp_path):
    db_url = f"sqlite:///{tmp_path / 'archive.sqlite'}"
    routes, articles = slow_site()
    with FaultServer(routes) as server:
        results = start_together([archiver_crawl(server.base_url, db_url)] * 2)
    assert [r.returncode for r in results] == [0, 0], [r.stderr for r in results]
    assert_sound_and_complete(db_url, server.base_url, articles, results)
    ran = [r for r in results if r.stdout.startswith("kcnawatch: ok")]
    turned_away = [r for r in results if not r.stdout]
    if turned_away:  # the run lock: one run, the other says why it did not start, in one line
        assert len(ran) == 1
        [line] = turned_away[0].stderr.strip().splitlines()
        assert line.startswith("archiver: sqlite:///") and "is in use by another run" in line
        assert scalar(db_url, "SELECT COUNT(*) FROM crawl_runs") == 1
    else:
        assert len(ran) == 2


def test_two_archiver_crawls_with_wait(tmp_path):
    db_url = f"sqlite:///{tmp_path / 'archive.sqlite'}"
    routes, articles = slow_site()
    with FaultServer(routes) as server:
        results = start_together([archiver_crawl(server.base_url, db_url, "--wait")] * 2)
    assert [r.returncode for r in results] == [0, 0], [r.stderr for r in results]
    assert_sound_and_complete(db_url, server.base_url, articles, results)
    assert scalar(db_url, "SELECT COUNT(*) FROM crawl_runs WHERE status = 'ok'") == 2
    new = sorted(int(r.stdout.split("articles ", 1)[1].split(" new")[0]) for r in results)
    assert new == [0, len(articles)]  # the second run waited, then found everything archived


def test_two_scrapy_crawls_without_a_lock(tmp_path):
    db_url = f"sqlite:///{tmp_path / 'archive.sqlite'}"
    routes, articles = slow_site()
    with FaultServer(routes) as server:
        results = start_together([scrapy_crawl(server.base_url, db_url)] * 2)
    assert [r.returncode for r in results] == [0, 0], [r.stderr[-2000:] for r in results]
    assert_sound_and_complete(db_url, server.base_url, articles, results)
    assert scalar(db_url, "SELECT COUNT(*) FROM crawl_runs WHERE status = 'ok'") == 2


def test_processes_opening_a_new_database_together_create_the_schema_once(tmp_path):
    """Four processes open one new SQLite file at once: one migrates, the others wait and find it done."""
    db_url = f"sqlite:///{tmp_path / 'archive.sqlite'}"
    program = f"from archiver.archive.engine import open_archive; open_archive({db_url!r}).dispose()"
    results = start_together([[sys.executable, "-c", program]] * 4)
    assert [r.returncode for r in results] == [0] * 4, [r.stderr[-500:] for r in results]
    assert scalar(db_url, "SELECT COUNT(*) FROM alembic_version") == 1
    assert archive_problems(db_url) == []
