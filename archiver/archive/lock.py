"""One crawl at a time per database: an advisory file lock (fcntl.flock) held for the whole run.

The operating system releases the lock when the holding process ends, however it ends (kill -9
included), so a lock is never left stale. The file itself stays; it names its current holder so that
a refused run can say who holds it.

A SQLite file is locked twice: by its path (the lock file beside it) and by its device and inode
(a lock file named after them in the shared state folder), so that two names of one file (a bind
mount, a hard link) never let two runs write it at once. A file with more than one hard link is
refused before that (archiver.archive.engine.check_single_link).
"""

from __future__ import annotations

import fcntl
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from archiver.archive.statedir import lock_path, shared_state_root, sqlite_file


def inode_lock_path(db_url: str) -> Path | None:
    """The lock file named after the SQLite file's device and inode; None before the file exists."""
    database = sqlite_file(db_url)
    if database is None:
        return None
    try:
        info = os.stat(database)
    except OSError:
        return None
    return shared_state_root() / "inodes" / f"{info.st_dev}-{info.st_ino}.lock"


def _flock(path: Path, wait: bool) -> int | None:
    """An open descriptor of `path` holding an exclusive flock, or None when another holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
    except BlockingIOError:
        os.close(fd)
        return None
    except BaseException:
        os.close(fd)
        raise
    return fd


def _unlock(fd: int) -> None:
    try:
        os.ftruncate(fd, 0)
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


class DatabaseLock:
    """The run lock of the archive at `db_url`; `acquire()` returns False when another run holds it."""

    def __init__(self, db_url: str, *, description: str | None = None) -> None:
        self.db_url = db_url
        self.path: Path = lock_path(db_url)
        self.description = description or " ".join(["archiver", *sys.argv[1:2]])
        self._fd: int | None = None
        self._inode_fd: int | None = None
        self._holder_path = self.path

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self, *, wait: bool = False) -> bool:
        """Take the lock; with `wait`, block until it is free, else return False at once when taken."""
        if self._fd is not None:
            return True
        self._holder_path = self.path
        fd = _flock(self.path, wait)
        if fd is None:
            return False
        inode_path = inode_lock_path(self.db_url)
        inode_fd = None
        if inode_path is not None:
            try:
                inode_fd = _flock(inode_path, wait)
            except OSError:  # no shared state folder here: the path lock alone
                inode_path = None
            if inode_path is not None and inode_fd is None:
                self._holder_path = inode_path
                _unlock(fd)
                return False
        self._fd, self._inode_fd = fd, inode_fd
        started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        for held in (fd, inode_fd):
            if held is not None:
                os.ftruncate(held, 0)
                os.pwrite(held, f"pid {os.getpid()}, {self.description}, since {started}\n".encode(), 0)
        return True

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        inode_fd, self._inode_fd = self._inode_fd, None
        for held in (inode_fd, fd):
            if held is not None:
                _unlock(held)

    def holder(self) -> str:
        """Who holds the lock, as its holder wrote it ("" when unknown)."""
        try:
            return self._holder_path.read_text(encoding="utf-8", errors="replace").strip()
        except OSError:
            return ""

    def __enter__(self) -> DatabaseLock:
        self.acquire(wait=True)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()
