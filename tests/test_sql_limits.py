"""Issue 20, point 6: `archiver sql` has a time limit, stops at once on Ctrl-C, and never buffers
an endless table.

The endless query is a recursive CTE that never ends; SQLite's progress handler stops it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from archiver.cli import main
from tests.support.cli import PROJECT
from tests.support.research_archive import fill

ENDLESS_COUNT = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT COUNT(*) FROM c"
ENDLESS_ROWS = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x FROM c"


@pytest.fixture
def archive(engine, db_url):
    fill(engine)
    engine.dispose()
    return db_url


def test_an_endless_query_stops_at_its_time_limit(archive, capsys):
    started = time.monotonic()
    assert main(["sql", ENDLESS_COUNT, "--timeout", "0.5", "--db", archive]) == 2
    took = time.monotonic() - started
    assert capsys.readouterr().err.splitlines() == [
        "archiver: error: query stopped after the time limit of 0.5 s (--timeout)"
    ]
    assert took < 5


def test_an_endless_csv_stops_at_its_time_limit_too(archive, capsys):
    assert main(["sql", ENDLESS_ROWS, "--format", "csv", "--timeout", "0.5", "--db", archive]) == 2
    captured = capsys.readouterr()
    assert captured.err.splitlines() == ["archiver: error: query stopped after the time limit of 0.5 s (--timeout)"]
    assert captured.out.startswith("x\n1\n2\n")  # streamed while it ran


def test_a_bad_timeout_is_one_line(archive, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["sql", "SELECT 1", "--timeout", "soon", "--db", archive])
    assert exit_info.value.code == 2
    assert "expected a number of seconds" in capsys.readouterr().err


def has_open(pid: int, path: str) -> bool:
    """Whether process `pid` holds `path` open (Linux: /proc/PID/fd)."""
    folder = f"/proc/{pid}/fd"
    try:
        return any(os.path.realpath(os.path.join(folder, fd)) == os.path.realpath(path) for fd in os.listdir(folder))
    except OSError:
        return False


def test_ctrl_c_stops_a_running_query_at_once(archive):
    process = subprocess.Popen(
        [sys.executable, "-m", "archiver", "sql", ENDLESS_COUNT, "--timeout", "0", "--db", archive],
        cwd=PROJECT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # Started (the archive open: its imports are done, however loaded the machine), then deep inside SQLite.
    database = archive.removeprefix("sqlite:///")
    deadline = time.monotonic() + 60
    while not has_open(process.pid, database) and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.1)
    time.sleep(1.0)
    assert process.poll() is None
    sent = time.monotonic()
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=10)
    assert time.monotonic() - sent < 3
    assert process.returncode == 130
    assert err.splitlines() == ["archiver: interrupted"] and out == ""


def test_the_table_of_an_endless_query_is_capped_with_a_note(archive, capsys):
    assert main(["sql", ENDLESS_ROWS, "--max-rows", "10", "--db", archive]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "x" and lines[2:12] == [str(n) for n in range(1, 11)]
    assert lines[12:] == ["(only the first 10 rows are shown; --format csv or jsonl gives every row)"]


def test_the_default_table_cap(archive, capsys):
    assert main(["sql", ENDLESS_ROWS, "--db", archive]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 + 1000 + 1 and lines[-2] == "1000"


def test_a_table_within_the_cap_has_no_note(archive, capsys):
    assert main(["sql", "SELECT COUNT(*) AS n FROM articles", "--db", archive]) == 0
    assert capsys.readouterr().out.splitlines() == ["n", "-", "7"]
