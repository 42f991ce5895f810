"""Bad command-line input: one line on stderr saying what is wrong, exit status 2, no traceback.

Most cases call the CLI's `main()` in this process (nothing here starts a crawl); a few run the real
`archiver` command in a subprocess to prove the same holds end to end. Commands written in parallel
(backfill, sql, export) are skipped while they do not exist.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
from sqlalchemy import text

from archiver.archive.engine import open_archive
from archiver.cli import main
from tests.support.cli import run_archiver


def run_main(capsys, *argv: str) -> tuple[int, str, str]:
    """Exit status, stdout and stderr of `archiver ARGV…` run in this process."""
    try:
        status = main(list(argv))
    except SystemExit as exc:  # argparse's own errors
        status = exc.code
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def assert_one_line(status: int, err: str, starts: str) -> None:
    assert status == 2
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(starts), lines[0]


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'archive.sqlite'}"


# `archiver crawl` --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "starts"),
    [
        (["crawl", "nosuchspider"], "archiver: error: unknown spider nosuchspider (known: "),
        (["crawl"], "archiver: error: name one or more spiders, or --all"),
        (["crawl", "kcnawatch", "-s", "NODELAY"], "archiver: error: --set takes NAME=VALUE, got 'NODELAY'"),
        (
            ["crawl", "kcnawatch", "--base-url", "notaurl"],
            "archiver crawl: error: argument --base-url: not an http(s) URL: 'notaurl'",
        ),
        (
            ["crawl", "kcnawatch", "--base-url", "ftp://example.org/"],
            "archiver crawl: error: argument --base-url: not an http(s) URL: 'ftp://example.org/'",
        ),
        (
            ["crawl", "kcnawatch", "--base-url", "javascript:alert(1)"],
            "archiver crawl: error: argument --base-url: not an http(s) URL",
        ),
        (
            ["crawl", "kcnawatch", "--base-url", "http:///no-host"],
            "archiver crawl: error: argument --base-url: not an http(s) URL",
        ),
        (["nosuchcommand"], "archiver: error: argument COMMAND: invalid choice: 'nosuchcommand'"),
    ],
)
def test_bad_crawl_arguments(capsys, db, argv, starts):
    status, out, err = (
        run_main(capsys, *argv, "--db", db) if argv[0] == "crawl" and len(argv) > 1 else run_main(capsys, *argv)
    )
    assert_one_line(status, err, starts)
    assert out == ""


def test_unreachable_base_url(capsys, db, closed_port):
    status, _, err = run_main(capsys, "crawl", "kcnawatch", "--base-url", f"http://127.0.0.1:{closed_port}", "--db", db)
    assert_one_line(status, err, f"archiver: error: cannot reach http://127.0.0.1:{closed_port}: Connection refused")


@pytest.mark.parametrize(
    ("url", "starts"),
    [
        ("notaurl", "archiver: error: not a database URL: 'notaurl' (try sqlite:///archive.sqlite)"),
        (
            "postgresql+nosuchdriver://u@h/db",
            "archiver: error: cannot use database URL 'postgresql+nosuchdriver://u@h/db': ",
        ),
        (
            "sqlite:////no/such/folder/archive.sqlite",
            "archiver: error: database folder does not exist: /no/such/folder",
        ),
        ("sqlite:////proc/archive.sqlite", "archiver: error: database path is not writable: /proc/archive.sqlite"),
    ],
)
def test_bad_database_url(capsys, url, starts):
    status, _, err = run_main(capsys, "crawl", "kcnawatch", "--db", url)
    assert_one_line(status, err, starts)


def test_database_path_that_is_a_folder(capsys, tmp_path):
    status, _, err = run_main(capsys, "crawl", "kcnawatch", "--db", f"sqlite:///{tmp_path}")
    assert_one_line(status, err, f"archiver: error: database path is a folder: {tmp_path}")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders; /proc covers root")
def test_database_in_a_read_only_folder(capsys, tmp_path):
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        status, _, err = run_main(capsys, "crawl", "kcnawatch", "--db", f"sqlite:///{folder / 'archive.sqlite'}")
    finally:
        folder.chmod(0o700)
    assert_one_line(status, err, "archiver: error: database path is not writable: ")


@pytest.mark.parametrize("log_file", ["/proc/archiver.log", "/no/such/folder/archiver.log"])
def test_unwritable_log_file(capsys, db, log_file):
    status, _, err = run_main(capsys, "crawl", "kcnawatch", "--db", db, "--log-file", log_file)
    assert_one_line(status, err, f"archiver: error: cannot write the log file {log_file}: ")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("argv", "starts"),
    [
        (["crawl", "nosuchspider"], "archiver: error: unknown spider nosuchspider"),
        (
            ["crawl", "kcnawatch", "--db", "sqlite:////proc/archive.sqlite"],
            "archiver: error: database path is not writable",
        ),
        (
            ["crawl", "kcnawatch", "--base-url", "not a url"],
            "archiver crawl: error: argument --base-url: not an http(s) URL",
        ),
    ],
)
def test_the_real_command_prints_one_line(argv, starts):
    result = run_archiver(*argv)
    assert_one_line(result.returncode, result.stderr, starts)
    assert result.stdout == ""


# `archiver backfill` -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dates", "starts"),
    [
        (
            ["--since", "2024-13-01"],
            "archiver backfill: error: argument --since: not a date (YYYY-MM-DD): '2024-13-01'",
        ),
        (["--since", "yesterday"], "archiver backfill: error: argument --since: not a date (YYYY-MM-DD): 'yesterday'"),
        (
            ["--since", "2024-01-01", "--until", "01/02/2024"],
            "archiver backfill: error: argument --until: not a date (YYYY-MM-DD): '01/02/2024'",
        ),
        (
            ["--since", "2024-05-01", "--until", "2024-01-01"],
            "archiver: error: --since 2024-05-01 is after --until 2024-01-01",
        ),
        ([], "archiver backfill: error: the following arguments are required: --since"),
    ],
)
def test_bad_backfill_dates(capsys, db, dates, starts):
    status, _, err = run_main(capsys, "backfill", "kcnawatch", *dates, "--db", db)
    assert_one_line(status, err, starts)


def test_backfill_unknown_spider(capsys, db):
    status, _, err = run_main(capsys, "backfill", "nosuchspider", "--since", "2024-01-01", "--db", db)
    assert_one_line(status, err, "archiver: error: unknown spider nosuchspider")


# Reading and exporting commands ------------------------------------------------------------------


@pytest.fixture
def archive(db):
    """An archive holding one article."""
    engine = open_archive(db)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO articles (site, url, title, body, content_hash, first_seen_at, last_seen_at) "
                "VALUES ('kcnawatch', 'https://kcnawatch.org/a/', 'A', 'Body.', 'h', '2024-01-01', '2024-01-01')"
            )
        )
    engine.dispose()
    return db


@pytest.mark.parametrize(
    "statement",
    [
        "DELETE FROM articles",
        "UPDATE articles SET title = 'changed'",
        "DROP TABLE articles",
        "INSERT INTO articles (site, url) VALUES ('x', 'y')",
        "SELECT 1; DELETE FROM articles",
        "PRAGMA writable_schema = ON",
        "ATTACH DATABASE '/tmp/elsewhere.sqlite' AS other",
    ],
)
def test_sql_cannot_write(capsys, archive, statement):
    status, _, err = run_main(capsys, "sql", statement, "--db", archive)
    assert_one_line(status, err, "archiver: error: ")
    engine = open_archive(archive)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT title FROM articles")).all() == [("A",)]
    engine.dispose()
    assert not Path("/tmp/elsewhere.sqlite").exists()


@pytest.mark.parametrize(
    ("command", "out"),
    [
        ("export", "/proc/archiver-export.jsonl"),
        ("export", "/no/such/folder/archiver-export.jsonl"),
        ("export_warc", "/proc/archiver-export.warc.gz"),
        ("export_warc", "/no/such/folder/archiver-export.warc.gz"),
    ],
)
def test_unwritable_output_file(capsys, archive, command, out):
    status, _, err = run_main(capsys, command.replace("_", "-"), "--db", archive, "--out", out)
    assert_one_line(status, err, "archiver: error: ")
