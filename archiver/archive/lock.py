"""One crawl at a time per database: an advisory file lock (fcntl.flock) held for the whole run.

The operating system releases the lock when the holding process ends, however it ends (kill -9
included), so a lock is never left stale. The file itself stays; it names its current holder so that
a refused run can say who holds it.
"""

from __future__ import annotations

import fcntl
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from archiver.archive.statedir import lock_path


class DatabaseLock:
    """The run lock of the archive at `db_url`; `acquire()` returns False when another run holds it."""

    def __init__(self, db_url: str, *, description: str | None = None) -> None:
        self.db_url = db_url
        self.path: Path = lock_path(db_url)
        self.description = description or " ".join(["archiver", *sys.argv[1:2]])
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self, *, wait: bool = False) -> bool:
        """Take the lock; with `wait`, block until it is free, else return False at once when taken."""
        if self._fd is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            os.close(fd)
            return False
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}, {self.description}, since {started}\n".encode(), 0)
        return True

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            os.ftruncate(fd, 0)
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def holder(self) -> str:
        """Who holds the lock, as its holder wrote it ("" when unknown)."""
        try:
            return self.path.read_text(encoding="utf-8", errors="replace").strip()
        except OSError:
            return ""

    def __enter__(self) -> DatabaseLock:
        self.acquire(wait=True)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()
