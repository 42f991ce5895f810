"""Issue 20, point 7: every bad input is one line on stderr and exit 2, never a traceback.

Databases that are not archives (a non-SQLite file, a corrupt one, another application's SQLite
database, an unknown schema revision) on every command that writes; URLs without a driver or a
server; in-memory and device databases; bad ports; `-s` values of the wrong type; huge limits.
Another application's SQLite file is left exactly as it was (no archiver tables added).
"""

from __future__ import annotations

import socket
import sqlite3
from pathlib import Path

import pytest

from archiver.cli import main

WRITING_COMMANDS = [["db", "upgrade"], ["crawl", "kcnawatch"], ["reparse"], ["export-warc", "--out", "{tmp}/x.warc.gz"]]


def run_main(capsys, *argv: str) -> tuple[int, str]:
    try:
        status = main(list(argv))
    except SystemExit as exc:  # argparse's own errors
        status = exc.code
    return status, capsys.readouterr().err


def assert_one_line(status: int, err: str, contains: str) -> None:
    lines = err.strip().splitlines()
    assert status == 2, err
    assert "Traceback" not in err
    assert len(lines) == 1, err
    assert lines[0].startswith("archiver"), lines[0]
    assert contains in lines[0], lines[0]


def other_application(path: Path) -> Path:
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
        connection.execute("INSERT INTO users (name) VALUES ('ann')")
    return path


def unknown_revision(path: Path) -> Path:
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
        connection.execute("INSERT INTO alembic_version VALUES ('9999')")
    return path


def not_sqlite(path: Path) -> Path:
    path.write_text("just some notes, not a database\n" * 200)
    return path


def corrupt(path: Path) -> Path:
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE t (x)")
    data = bytearray(path.read_bytes())
    data[16:100] = b"\xff" * 84  # the header after the magic string: page size, versions…
    path.write_bytes(bytes(data))
    return path


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("command", WRITING_COMMANDS, ids=lambda c: c[0])
@pytest.mark.parametrize(
    ("make", "contains"),
    [
        (not_sqlite, "file is not a database"),
        (corrupt, "cannot open the database"),
        (other_application, "is not an archive: it holds another application's tables (users)"),
        (unknown_revision, "schema revision '9999', unknown to this archiver"),
    ],
    ids=["not-sqlite", "corrupt", "other-application", "unknown-revision"],
)
def test_a_database_that_is_not_an_archive(tmp_path, capsys, command, make, contains):
    path = make(tmp_path / "db.sqlite")
    before = path.read_bytes()
    argv = [part.replace("{tmp}", str(tmp_path)) for part in command]
    status, err = run_main(capsys, *argv, "--db", f"sqlite:///{path}")
    assert_one_line(status, err, contains)
    assert path.read_bytes() == before  # not a single archiver table added


@pytest.mark.parametrize(
    ("url", "contains"),
    [
        ("mysql://user@localhost/archive", "the driver for mysql://user@localhost/archive is not installed"),
        (f"postgresql+psycopg://nobody@127.0.0.1:{closed_port()}/test", "Connection refused"),
        ("sqlite://", "is an in-memory database"),
        ("sqlite:///:memory:", "is an in-memory database"),
        ("sqlite:////dev/null", "not a database file (a device, FIFO or socket): /dev/null"),
    ],
    ids=["mysql", "postgresql-closed-port", "sqlite-memory", "sqlite-memory-path", "sqlite-device"],
)
@pytest.mark.parametrize("command", [["crawl", "kcnawatch"], ["db", "upgrade"]], ids=lambda c: c[0])
def test_unusable_database_urls(capsys, url, contains, command):
    status, err = run_main(capsys, *command, "--db", url)
    assert_one_line(status, err, contains)


@pytest.mark.parametrize("port", ["99999", "-1", "abc", "0", ""])
def test_bad_ports(tmp_path, capsys, port):
    status, err = run_main(
        capsys, "crawl", "kcnawatch", "--base-url", f"http://127.0.0.1:{port}", "--db", f"sqlite:///{tmp_path}/a.sqlite"
    )
    assert_one_line(status, err, "not a port (1-65535)")


@pytest.mark.parametrize(
    ("pair", "contains"),
    [
        ("DOWNLOAD_DELAY=abc", "-s DOWNLOAD_DELAY=abc: expected a number"),
        ("RETRY_TIMES=x", "-s RETRY_TIMES=x: expected a whole number"),
        ("RETRY_TIMES=1.5", "-s RETRY_TIMES=1.5: expected a whole number"),
        ("ROBOTSTXT_OBEY=maybe", "-s ROBOTSTXT_OBEY=maybe: expected true/false or 1/0"),
        ("LOG_LEVEL=NOPE", "-s LOG_LEVEL=NOPE: not a log level"),
        ("ARCHIVER_SNAPSHOT_COMPRESSION=lzma", "-s ARCHIVER_SNAPSHOT_COMPRESSION=lzma: unknown compression 'lzma'"),
        ("CONCURRENT_REQUESTS=many", "expected a whole number"),
        ("ITEM_PIPELINES=none", "expected a JSON object"),
    ],
)
def test_setting_values_of_the_wrong_type(tmp_path, capsys, pair, contains):
    status, err = run_main(capsys, "crawl", "kcnawatch", "-s", pair, "--db", f"sqlite:///{tmp_path}/a.sqlite")
    assert_one_line(status, err, contains)
    assert not (tmp_path / "a.sqlite").exists()


def test_setting_values_of_the_right_type_pass():
    from archiver.crawl.overrides import check_override

    for name, value in [
        ("DOWNLOAD_DELAY", "0"),
        ("DOWNLOAD_DELAY", "0.25"),
        ("RETRY_TIMES", "2"),
        ("ROBOTSTXT_OBEY", "False"),
        ("LOG_LEVEL", "debug"),
        ("ARCHIVER_SNAPSHOT_COMPRESSION", "zlib"),
        ("DOWNLOAD_TIMEOUT", "2.5"),
        ("SOME_NEW_SETTING", "anything"),
    ]:
        check_override(name, value)


def test_a_huge_search_limit(tmp_path, capsys, engine, db_url):
    status, err = run_main(capsys, "search", "missile", "--limit", "99999999999999999999999", "--db", db_url)
    assert_one_line(status, err, "expected a whole number of at most")
