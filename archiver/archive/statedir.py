"""Where a database's run state lives: its lock file and the job folders of resumable backfills.

A SQLite archive keeps its state beside itself (`archive.sqlite.lock`, `archive.sqlite.state/`), so
moving the file moves its state too. Any other database (PostgreSQL…) gets a folder named after a
hash of its URL under `$ARCHIVER_STATE_DIR` (default: `$XDG_STATE_HOME/newsarchiver`, i.e.
`~/.local/state/newsarchiver`).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from sqlalchemy.engine import make_url

from archiver.archive.dburl import sqlite_target


def sqlite_file(db_url: str) -> Path | None:
    """The real database file of a file-backed SQLite URL, whatever its spelling (a `file:` URI,
    a relative path, a symbolic link: archiver/archive/dburl.py), else None (in memory, or
    another backend). DatabaseError when the URL cannot be used."""
    target = sqlite_target(db_url)
    return None if target is None else target.path


def shared_state_root() -> Path:
    explicit = os.environ.get("ARCHIVER_STATE_DIR")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_STATE_HOME")
    return (Path(xdg).expanduser() if xdg else Path.home() / ".local" / "state") / "newsarchiver"


def url_key(db_url: str) -> str:
    """A stable, file-name-safe key for a database URL (its password never appears in it)."""
    rendered = make_url(db_url).render_as_string(hide_password=False)
    return hashlib.sha256(rendered.encode()).hexdigest()[:16]


def state_dir(db_url: str) -> Path:
    """The folder holding the run state of the archive at `db_url` (not created here)."""
    database = sqlite_file(db_url)
    if database is not None:
        return database.with_name(database.name + ".state")
    return shared_state_root() / url_key(db_url)


def lock_path(db_url: str) -> Path:
    """The lock file of the archive at `db_url`: beside a SQLite file, else in its state folder."""
    database = sqlite_file(db_url)
    if database is not None:
        return database.with_name(database.name + ".lock")
    return state_dir(db_url) / "lock"
