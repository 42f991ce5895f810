"""Serving an archive with Datasette (the optional `browse` extra), read-only, with the project's metadata.

The metadata (datasette.json, shipped in this package) turns on the search box of `articles`
(the FTS5 index `articles_fts`, content="articles"), facets on site / source / language, and
canned queries: best matches first, mentions and articles per month per source (zero-filled, with a
chart where datasette-vega is installed), reposts, translations. The archive's Datasette plugin
(datasette_plugin.py, loaded by datasette_serve.py) makes the search box `archiver search`'s.
Table cells show the first 200 characters of a text (SETTINGS); a row's page shows it whole.
By default the live file is served read-only (`mode=ro`): SQLite's own locking gives every query a
consistent snapshot, even while a crawl writes. Served immutable (Datasette reads without locks
and counts rows once), a file that a crawl then writes gives wrong counts and "database disk image
is malformed"; so immutable is only for `--immutable`, which holds the archive's run lock the
whole time (archiver/cli/browse.py), and needs the write-ahead log folded into the file first,
which `prepare()` does.
"""

from __future__ import annotations

import importlib.util
import json
import sqlite3
import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from archiver.archive.readonly import can_create_shm

METADATA = "datasette.json"
#: Datasette's settings for an archive: a query may take 10 s; a table cell shows at most 200
#: characters of a text (truncate_cells_html, Datasette's default 2,048), a row's page all of it.
SETTINGS = {"sql_time_limit_ms": 10000, "truncate_cells_html": 200}


class BrowseError(Exception):
    """The archive cannot be served; the message is meant for the user."""


def metadata_for(database_name: str) -> dict:
    """The shipped metadata, for the database Datasette names `database_name` (the file's stem)."""
    text = resources.files("archiver.research").joinpath(METADATA).read_text(encoding="utf-8")
    metadata = json.loads(text)
    metadata["databases"] = {database_name: metadata["databases"]["ARCHIVE"]}
    return metadata


def datasette_available() -> bool:
    return importlib.util.find_spec("datasette") is not None


@dataclass(frozen=True)
class Served:
    path: Path
    immutable: bool
    note: str | None = None

    @property
    def name(self) -> str:
        return self.path.stem


def prepare(path: Path, *, live: bool = True) -> Served:
    """Check the archive file and, unless `live`, fold its write-ahead log in so it can be read immutable.

    When a run holds the file (the log cannot be folded in completely), it is served live instead.
    A file in a folder this user cannot write is served immutable (no -shm can be made for a live
    reader; no run can be writing it either: a writer keeps its -shm beside it).
    """
    if not path.is_file():
        raise BrowseError(f"no archive at {path}")
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            names = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
        finally:
            connection.close()
    except sqlite3.DatabaseError as exc:
        raise BrowseError(f"not an archive: {path} ({exc})") from None
    if "articles" not in names:
        raise BrowseError(f"not an archive: {path} has no articles table")
    if "gone_urls" not in names:
        raise BrowseError(f"{path} has an older schema: run `archiver db upgrade --db sqlite:///{path}` first")
    if live:
        if not can_create_shm(path):
            return Served(path, immutable=True, note="the archive's folder is read-only: serving the file as it is")
        return Served(path, immutable=False)
    connection = sqlite3.connect(path, timeout=1)
    try:
        busy, log_frames, folded = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    except sqlite3.OperationalError:
        busy, log_frames, folded = 1, 0, 0
    finally:
        connection.close()
    if busy or (log_frames > 0 and folded < log_frames):
        return Served(path, immutable=False, note="a run is writing to the archive: serving it live, read-only")
    return Served(path, immutable=True)


def datasette_command(served: Served, metadata_file: Path, *, host: str, port: int) -> list[str]:
    mode = ["-i", str(served.path)] if served.immutable else [str(served.path)]
    return [
        sys.executable,
        "-m",
        "archiver.research.datasette_serve",
        "serve",
        *mode,
        "--metadata",
        str(metadata_file),
        "--host",
        host,
        "--port",
        str(port),
        *(word for name, value in SETTINGS.items() for word in ("--setting", name, str(value))),
    ]
