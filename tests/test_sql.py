"""`archiver sql`: queries run and print in every format; anything that would write is refused."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path

import pytest

from archiver.cli import main
from tests.support.research_archive import fill

COUNTS = (
    "SELECT (SELECT COUNT(*) FROM articles), (SELECT COUNT(*) FROM listing_entries), (SELECT COUNT(*) FROM crawl_runs)"
)


@pytest.fixture
def archive(engine, db_url, tmp_path):
    fill(engine)
    engine.dispose()
    return db_url


def files_digest(folder: Path) -> dict[str, str]:
    """The folder's files and their digests; the WAL index (-shm) changes with every read, so it is left out."""
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if not p.name.endswith("-shm")
    }


def run(capsys, *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_select_in_every_format(archive, capsys):
    sql = "SELECT site, source, COUNT(*) AS n FROM articles GROUP BY site, source ORDER BY site, source"
    status, out, _ = run(capsys, "sql", sql, "--db", archive)
    assert status == 0
    assert out.splitlines() == [
        "site       source     n",
        "---------  ---------  -",
        "kcnawatch  KASS (EN)  2",
        "kcnawatch  KCNA (EN)  4",
        "rstv       RSTV       1",
    ]
    _, out, _ = run(capsys, "sql", sql, "--format", "csv", "--db", archive)
    assert list(csv.reader(io.StringIO(out))) == [
        ["site", "source", "n"],
        ["kcnawatch", "KASS (EN)", "2"],
        ["kcnawatch", "KCNA (EN)", "4"],
        ["rstv", "RSTV", "1"],
    ]
    _, out, _ = run(capsys, "sql", sql, "--format", "jsonl", "--db", archive)
    assert [json.loads(line) for line in out.splitlines()][-1] == {"site": "rstv", "source": "RSTV", "n": 1}


def test_views_and_index_are_readable(archive, capsys):
    status, out, _ = run(
        capsys,
        "sql",
        "SELECT title, addresses, listing_entries, sightings FROM article_overview "
        "WHERE listing_entries > 0 ORDER BY article_id",
        "--format",
        "csv",
        "--db",
        archive,
    )
    assert status == 0
    assert out.splitlines()[1:] == ["Missile launch reported,1,1,1", "Defence exhibition opens,1,1,1"]
    status, out, _ = run(
        capsys,
        "sql",
        "SELECT rowid FROM articles_fts WHERE articles_fts MATCH 'zeppelin'",
        "--format",
        "csv",
        "--db",
        archive,
    )
    assert (status, out.splitlines()) == (0, ["rowid", "1"])
    status, out, _ = run(capsys, "sql", "PRAGMA table_info(articles)", "--format", "jsonl", "--db", archive)
    assert status == 0 and json.loads(out.splitlines()[0])["name"] == "id"


@pytest.mark.parametrize(
    ("statement", "refused"),
    [
        (
            "INSERT INTO crawl_runs (spider, mode, started_at, status) VALUES ('x', 'crawl', '2024-01-01', 'ok')",
            "INSERT crawl_runs",
        ),
        ("UPDATE articles SET title = 'changed'", "UPDATE articles"),
        ("DELETE FROM listing_entries", "DELETE listing_entries"),
        ("DROP TABLE articles", "DROP TABLE articles"),
        ("DROP VIEW article_overview", "DROP VIEW article_overview"),
        ("CREATE TABLE notes (x)", "CREATE TABLE notes"),
        ("ALTER TABLE articles ADD COLUMN x", "ALTER TABLE articles"),
        ("ATTACH DATABASE '{folder}/other.sqlite' AS other", "ATTACH or VACUUM {folder}/other.sqlite"),
        ("VACUUM INTO '{folder}/copy.sqlite'", "ATTACH or VACUUM {folder}/copy.sqlite"),
        ("PRAGMA query_only = 0", "PRAGMA query_only = 0"),
        ("PRAGMA journal_mode = DELETE", "PRAGMA journal_mode = DELETE"),
        ("PRAGMA user_version = 7", "PRAGMA user_version = 7"),
        ("INSERT INTO articles_fts (articles_fts) VALUES ('rebuild')", "INSERT articles_fts"),
        (
            "REPLACE INTO article_urls (url, article_id, fetched, first_seen_at) VALUES ('u', 1, 0, '2024-01-01')",
            "INSERT article_urls",
        ),
    ],
)
def test_writes_are_refused_and_nothing_changes(archive, tmp_path, capsys, statement, refused):
    folder = str(tmp_path)
    run(capsys, "sql", COUNTS, "--db", archive)  # a first read sets up the WAL files, if the last writer removed them
    before = files_digest(tmp_path)
    status, out, err = run(capsys, "sql", statement.format(folder=folder), "--db", archive)
    assert status == 2 and out == ""
    assert err == f"archiver: error: archiver sql is read-only: refused {refused.format(folder=folder)}\n"
    assert files_digest(tmp_path) == before  # no file written, none created
    _, out, _ = run(capsys, "sql", COUNTS, "--format", "csv", "--db", archive)
    assert out.splitlines()[1] == "7,3,0"


def test_the_connection_itself_is_read_only(archive, capsys):
    """Behind the statement guard, the file is opened with mode=ro and the connection is query_only."""
    status, out, _ = run(capsys, "sql", "PRAGMA query_only", "--format", "csv", "--db", archive)
    assert (status, out.splitlines()) == (0, ["query_only", "1"])
    from archiver.archive.readonly import open_readonly

    engine = open_readonly(archive)
    with engine.connect() as connection:
        raw = connection.connection.dbapi_connection
        raw.set_authorizer(None)
        with pytest.raises(Exception, match=r"readonly|query_only"):
            raw.execute("DELETE FROM crawl_runs")  # a table without triggers: the refusal is the connection's
    engine.dispose()


@pytest.mark.parametrize(
    ("statement", "message"),
    [
        ("SELECT nope FROM articles", "archiver: error: SQL error: no such column: nope\n"),
        ("SELECT 1; SELECT 2", "archiver: error: SQL error: You can only execute one statement at a time.\n"),
        ("SELEC 1", 'archiver: error: SQL error: near "SELEC": syntax error\n'),
    ],
)
def test_bad_sql_is_one_line(archive, capsys, statement, message):
    status, _, err = run(capsys, "sql", statement, "--db", archive)
    assert (status, err) == (2, message)


def test_missing_archive_is_not_created(tmp_path, capsys):
    status, _, err = run(capsys, "sql", "SELECT 1", "--db", f"sqlite:///{tmp_path / 'none.sqlite'}")
    assert status == 2 and err.startswith("archiver: error: no archive at ")
    assert list(tmp_path.iterdir()) == []
