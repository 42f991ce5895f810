"""Issue 20, point 2: one writer per database file, not per name.

Two hard links to one SQLite file gave two runs two lock files, two -wal/-shm pairs, and a corrupt
database. A file with more than one link is now refused for writing (one line citing SQLite's
guidance), still readable; and the run lock is also keyed by device and inode.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from archiver.archive.engine import DatabaseError, open_archive
from archiver.archive.lock import DatabaseLock, inode_lock_path
from archiver.cli import main
from tests.support.research_archive import fill


@pytest.fixture
def linked(engine, db_url, tmp_path) -> tuple[str, str]:
    fill(engine)
    engine.dispose()
    other = tmp_path / "second-name.sqlite"
    os.link(tmp_path / "archive.sqlite", other)
    return db_url, f"sqlite:///{other}"


@pytest.mark.parametrize("which", [0, 1])
def test_a_database_with_two_names_is_not_written(linked, which, capsys):
    url = linked[which]
    assert main(["crawl", "kcnawatch", "--db", url]) == 2
    assert main(["db", "upgrade", "--db", url]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2 and lines[0] == lines[1]
    assert "has 2 hard links" in lines[0] and "SQLite's guidance" in lines[0]
    assert "howtocorrupt" in lines[0]
    with pytest.raises(DatabaseError, match="2 hard links"):
        open_archive(url)


def test_it_can_still_be_read(linked, capsys):
    assert main(["sql", "SELECT COUNT(*) AS n FROM articles", "--format", "csv", "--db", linked[1]]) == 0
    assert capsys.readouterr().out.splitlines() == ["n", "7"]


def test_the_lock_is_held_by_device_and_inode(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("ARCHIVER_STATE_DIR", str(tmp_path / "state"))
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first_file = tmp_path / "a" / "archive.sqlite"
    first_file.write_bytes(b"")
    os.link(first_file, tmp_path / "b" / "archive.sqlite")
    first = DatabaseLock(f"sqlite:///{first_file}", description="first run")
    second = DatabaseLock(f"sqlite:///{tmp_path / 'b' / 'archive.sqlite'}")
    assert first.path != second.path  # two names, two path locks…
    assert inode_lock_path(first.db_url) == inode_lock_path(second.db_url)  # …one file, one inode lock
    assert first.acquire()
    assert not second.acquire()
    assert second.holder().startswith(f"pid {os.getpid()}, first run")
    first.release()
    assert second.acquire()
    second.release()
