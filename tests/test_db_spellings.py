"""Issue 25, point 1 and its part of point 11: every spelling of a SQLite archive is one file.

`--db "sqlite:///file:PATH?uri=true"` bypassed the run lock, the inode lock and the hard-link check
(two crawls through two hard links in URI form corrupted the archive 4 times in 4), and
`file:mem1?mode=memory&uri=true` crawled into memory. Every spelling now resolves to the file
SQLite opens (archiver/archive/dburl.py) before any of those checks; what cannot be used is one
line and exit 2. Also: commands that need an archive never create one from a mistyped --db,
export-warc only reads, `demo` checks the file first, and --log-file may not name the archive.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from archiver.archive.dburl import canonical_db_url, sqlite_target
from archiver.archive.lock import DatabaseLock, inode_lock_path
from archiver.archive.statedir import lock_path
from archiver.cli import main
from archiver.exceptions import DatabaseError
from tests.support.research_archive import fill


def run_main(capsys, *argv: str) -> tuple[int, str]:
    try:
        status = main(list(argv))
    except SystemExit as exc:
        status = exc.code
    return status, capsys.readouterr().err


def one_line(status: int, err: str, contains: str) -> str:
    lines = err.strip().splitlines()
    assert status == 2 and len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith("archiver") and contains in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def folder(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ARCHIVER_STATE_DIR", str(tmp_path / "state"))
    return tmp_path


def spellings(folder: Path) -> list[tuple[str, str]]:
    """(URL, the name of the file it names in `folder`)."""
    (folder / "real.sqlite").touch()
    (folder / "link.sqlite").symlink_to(folder / "real.sqlite")
    return [
        ("sqlite:///plain.sqlite", "plain.sqlite"),
        (f"sqlite:///{folder}/plain.sqlite", "plain.sqlite"),
        ("sqlite:///plain.sqlite?timeout=5", "plain.sqlite"),
        ("sqlite:///file:plain.sqlite?uri=true", "plain.sqlite"),
        (f"sqlite:///file:{folder}/plain.sqlite?uri=true", "plain.sqlite"),
        (f"sqlite:///file://{folder}/plain.sqlite?uri=true", "plain.sqlite"),
        (f"sqlite:///file://localhost{folder}/plain.sqlite?uri=true&mode=rwc&cache=private", "plain.sqlite"),
        ("sqlite:///file:pl%2561in.sqlite?uri=true", "plain.sqlite"),  # %61 for SQLite, once decoded from the URL
        ("sqlite:///file:with%20space.sqlite?uri=true", "with space.sqlite"),
        ("sqlite:///plain.sqlite?uri=true", "plain.sqlite"),  # uri=true without file: is a plain name
        ("sqlite:///file:plain.sqlite", "file:plain.sqlite"),  # file: without uri=true is a plain name
        ("sqlite:///link.sqlite", "real.sqlite"),
        ("sqlite:///file:link.sqlite?uri=true", "real.sqlite"),
    ]


def test_every_spelling_resolves_to_the_file_sqlite_opens(folder):
    for url, name in spellings(folder):
        target = sqlite_target(url)
        assert target is not None and target.path == folder / name, url
        # What SQLAlchemy and SQLite do with the URL as given: the file they create is that one.
        for leftover in folder.glob("*plain*"):
            leftover.unlink()
        (folder / "with space.sqlite").unlink(missing_ok=True)
        engine = create_engine(url)
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE IF NOT EXISTS t (x)"))
        engine.dispose()
        check = sqlite3.connect(folder / name)
        assert "t" in {row[0] for row in check.execute("SELECT name FROM sqlite_master")}, url
        check.close()
        # …and the canonical URL opens that same file.
        assert sqlite_target(canonical_db_url(url)) == sqlite_target(url)
        assert lock_path(url) == (folder / name).with_name(name + ".lock")
    assert canonical_db_url("sqlite:///plain.sqlite?timeout=5") == f"sqlite:///{folder}/plain.sqlite?timeout=5"


def test_home_is_expanded_for_the_file_and_its_lock(folder, monkeypatch):
    monkeypatch.setenv("HOME", str(folder))
    assert sqlite_target("sqlite:///~/a.sqlite").path == folder / "a.sqlite"
    assert lock_path("sqlite:///~/a.sqlite") == folder / "a.sqlite.lock"


@pytest.mark.parametrize(
    "url",
    [
        "sqlite://",
        "sqlite:///:memory:",
        "sqlite:///file:mem1?mode=memory&uri=true",
        "sqlite:///file:mem1?mode=memory&cache=shared&uri=true",
        "sqlite:///file::memory:?uri=true",
        "sqlite:///:memory:?uri=true",
        "sqlite:///file:?uri=true",
    ],
)
def test_in_memory_archives_are_refused_for_writing(folder, capsys, url):
    assert sqlite_target(url).in_memory
    for command in (["crawl", "kcnawatch"], ["db", "upgrade"], ["reparse"], ["demo"]):
        status, err = run_main(capsys, *command, "--db", url)
        one_line(status, err, "is an in-memory database: everything would be lost")
    assert sorted(p.name for p in folder.iterdir()) == []


@pytest.mark.parametrize(
    ("url", "contains"),
    [
        ("sqlite://localhost/x", "a SQLite URL names no host"),
        ("sqlite://user:secret@/x", "a SQLite URL names no host"),
        ("sqlite:///x?timeout=abc", "bad value for the SQLite option timeout: 'abc'"),
        ("sqlite:///x?timeout=-1", "bad value for the SQLite option timeout"),
        ("sqlite:///x?uri=maybe", "bad value for the SQLite option uri"),
        ("sqlite:///%00x", "the database path holds a NUL character"),
        ("sqlite:///file:x%00y?uri=true", "the database path holds a NUL character"),
        ("sqlite:///x?mode=ro", "unknown option mode"),
        ("sqlite:///x?detect_types=1", "unknown option detect_types"),
        ("sqlite:///file:x?uri=true&nolock=1", "the SQLite URI option nolock is not supported"),
        ("sqlite:///file:x?uri=true&immutable=1", "the SQLite URI option immutable is not supported"),
        ("sqlite:///file:x?uri=true&mode=ro", "opens the archive read-only (mode=ro), and this command writes it"),
        ("sqlite:///file:x?uri=true&mode=rx", "bad value for the SQLite URI option mode"),
        ("sqlite:///file:x?uri=true&mod=ro", "unknown SQLite URI option mod"),
        ("sqlite:///file://otherhost/x?uri=true", "a file: URI names a file on this machine, not on 'otherhost'"),
        ("sqlite:///file:%25ff?uri=true", "not valid UTF-8"),
        ("sqlite:///x?timeout=1&timeout=2", "given more than once"),
    ],
)
def test_unusable_sqlite_urls_are_one_line(folder, capsys, url, contains):
    for command in (["crawl", "kcnawatch"], ["db", "upgrade"]):
        status, err = run_main(capsys, *command, "--db", url)
        line = one_line(status, err, contains)
        assert "secret" not in line
    status, err = run_main(capsys, "sql", "SELECT 1", "--db", url)
    if "mode=ro" not in url:  # reading a mode=ro URL is fine; it only names a missing file here
        one_line(status, err, contains)
    assert sorted(p.name for p in folder.iterdir()) == []


@pytest.fixture
def archive(folder: Path) -> Path:
    from archiver.archive.engine import open_archive

    engine = open_archive(f"sqlite:///{folder / 'archive.sqlite'}")
    fill(engine)
    engine.dispose()
    return folder / "archive.sqlite"


def test_a_hard_link_in_uri_form_is_refused(archive, capsys):
    os.link(archive, archive.with_name("second.sqlite"))
    for url in (f"sqlite:///file:{archive}?uri=true", "sqlite:///file:second.sqlite?uri=true"):
        status, err = run_main(capsys, "crawl", "kcnawatch", "--db", url)
        one_line(status, err, "has 2 hard links")
        with pytest.raises(DatabaseError, match="2 hard links"):
            from archiver.archive.engine import open_archive

            open_archive(url)


@pytest.mark.parametrize("holder", ["plain", "uri"])
def test_one_lock_whatever_the_spelling(archive, capsys, holder):
    plain, uri = f"sqlite:///{archive}", "sqlite:///file:./archive.sqlite?uri=true&cache=shared"
    held, other = (plain, uri) if holder == "plain" else (uri, plain)
    assert DatabaseLock(plain).path == DatabaseLock(uri).path == archive.with_name("archive.sqlite.lock")
    assert inode_lock_path(plain) == inode_lock_path(uri)
    lock = DatabaseLock(held, description="the first run")
    assert lock.acquire()
    try:
        assert main(["crawl", "kcnawatch", "--db", other]) == 0  # said, and exit 0, as for any second run
        err = capsys.readouterr().err.strip()
        assert f"is in use by another run (pid {os.getpid()}, the first run, since" in err
        assert err.endswith("; not starting") and len(err.splitlines()) == 1
    finally:
        lock.release()


def test_commands_on_an_archive_do_not_create_one_from_a_mistyped_db(folder, capsys):
    missing = folder / "achive.sqlite"
    status, err = run_main(capsys, "export-warc", "--out", str(folder / "x.warc.gz"), "--db", f"sqlite:///{missing}")
    one_line(status, err, f"no archive at {missing}")
    status, err = run_main(capsys, "reparse", "--db", f"sqlite:///{missing}")
    one_line(status, err, f"no archive at {missing}")
    (folder / "empty.sqlite").touch()
    for command in (["reparse"], ["export-warc", "--out", str(folder / "x.warc.gz")]):
        status, err = run_main(capsys, *command, "--db", "sqlite:///empty.sqlite")
        one_line(status, err, "the database is empty")
    assert sorted(p.name for p in folder.iterdir()) == ["empty.sqlite"]
    assert (folder / "empty.sqlite").stat().st_size == 0


def test_demo_on_another_applications_file_is_one_line(folder, capsys):
    other = folder / "other.db"
    with sqlite3.connect(other) as connection:
        connection.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
    connection.close()
    before = other.read_bytes()
    status, err = run_main(capsys, "demo", "--db", f"sqlite:///{other}")
    one_line(status, err, "is not an archive: it holds another application's tables (users)")
    assert other.read_bytes() == before
    assert capsys.readouterr().out == ""  # no site served, nothing crawled


@pytest.mark.parametrize("name", ["archive.sqlite", "archive.sqlite-wal", "archive.sqlite.lock", "symlink.log"])
def test_the_log_file_may_not_be_the_archive(archive, capsys, name):
    if name == "symlink.log":
        archive.with_name(name).symlink_to(archive)
    before = archive.read_bytes()
    status, err = run_main(
        capsys, "crawl", "kcnawatch", "--db", "sqlite:///file:archive.sqlite?uri=true", "--log-file", name
    )
    one_line(status, err, f"refusing to write over the archive's own file {archive}")
    assert f"(--log-file {name})" in err
    assert archive.read_bytes() == before
