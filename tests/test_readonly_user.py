"""Issue 20, point 8: a user who may read the archive but not write its folder can still query it.

A WAL database needs its -shm file even to be read; that user cannot make one, so the archive is
opened immutable.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from archiver.archive.engine import open_archive
from tests.support.cli import PROJECT
from tests.support.research_archive import fill


def mount(*args: str) -> bool:
    return subprocess.run(["mount", *args], capture_output=True).returncode == 0


@pytest.fixture
def readable_only():
    """An archive in a folder its reader may read but not write.

    A user without write access to the folder is made the way each user can: root (whom file
    permissions do not stop) gets the archive on a tmpfs remounted read-only; anyone else a
    folder without write permission.
    """
    folder = Path(tempfile.mkdtemp(prefix="archiver-ro-", dir="/tmp"))
    as_root = os.geteuid() == 0
    if as_root and not mount("-t", "tmpfs", "-o", "size=16m", "tmpfs", str(folder)):
        folder.rmdir()
        pytest.skip("cannot mount a tmpfs here")
    database = folder / "archive.sqlite"
    engine = open_archive(f"sqlite:///{database}")
    fill(engine)
    engine.dispose()
    assert not Path(f"{database}-shm").exists()
    database.chmod(0o444)
    if as_root:
        assert mount("-o", "remount,ro", str(folder))
    else:
        folder.chmod(0o555)
    yield database
    if as_root:
        mount_ok = subprocess.run(["umount", str(folder)], capture_output=True).returncode == 0
        assert mount_ok
        folder.rmdir()
    else:
        folder.chmod(0o755)
        shutil.rmtree(folder)


def as_reader(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "archiver", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=PROJECT,
        env={**os.environ, "HOME": "/tmp"},
    )


def test_a_reader_without_write_access_can_query(readable_only, tmp_path):
    url = f"sqlite:///{readable_only}"
    result = as_reader("sql", "SELECT COUNT(*) AS n FROM articles", "--format", "csv", "--db", url)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["n", "7"]
    search = as_reader("search", "missile", "--format", "csv", "--db", url)
    assert search.returncode == 0, search.stderr
    assert len(search.stdout.splitlines()) > 1
    export = as_reader("export", "--db", url)
    assert export.returncode == 0 and len(export.stdout.splitlines()) == 7
    # Issue 25: export-warc only reads the archive too.
    warc = as_reader("export-warc", "--out", str(tmp_path / "pages.warc.gz"), "--db", url)
    assert warc.returncode == 0, warc.stderr
    assert warc.stdout.startswith(f"wrote {tmp_path / 'pages.warc.gz'}: 0 response records")
    assert sorted(p.name for p in readable_only.parent.iterdir()) == ["archive.sqlite"]
    assert stat.S_IMODE(readable_only.stat().st_mode) == 0o444


def test_that_reader_cannot_crawl_into_it(readable_only):
    result = as_reader("crawl", "kcnawatch", "--db", f"sqlite:///{readable_only}")
    assert result.returncode == 2
    assert result.stderr.strip() == f"archiver: error: database path is not writable: {readable_only}"
