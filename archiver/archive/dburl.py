"""Database URLs: every spelling of a SQLite archive resolved to the one file SQLite opens.

SQLAlchemy and SQLite take one file under many spellings: a relative or absolute path, `~`, a
symbolic link, a `file:` URI with `?uri=true` (`file:PATH`, `file:///PATH`, `file://localhost/PATH`,
percent-encoded), query options. The run lock, the inode lock and the hard-link check must look at
the file SQLite will write, so a URL is resolved once, here, into its canonical form,
`sqlite:////ABSOLUTE/PATH` (symbolic links resolved), and only that form is used afterwards, to
open engines too: the file checked and locked is the file written. Every in-memory spelling
(`sqlite://`, `:memory:`, `file::memory:`, `mode=memory`, an empty `file:`) resolves to `sqlite://`.

Anything SQLite would misread or the archive cannot honour is refused in one line (DatabaseError):
a host, a NUL byte, a driver option of the wrong type (`timeout=abc`), an option that is not one,
and the URI options that give up locking or durability (`nolock`, `immutable`, `vfs` …).
Other backends (PostgreSQL …) pass unchanged.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.util import asbool

from archiver.exceptions import DatabaseError
from archiver.normalize.urls import masked_url

MEMORY_URL = "sqlite://"

#: SQLite URI options the archive honours (https://sqlite.org/uri.html), and their values.
URI_OPTIONS = {"mode": ("ro", "rw", "rwc", "memory"), "cache": ("shared", "private")}
#: SQLite URI options that would let a writer corrupt the archive or read it wrong.
REFUSED_URI_OPTIONS = ("nolock", "immutable", "vfs", "psow", "modeof")


def _seconds(value: str) -> str:
    number = float(value)
    if not math.isfinite(number) or number < 0:
        raise ValueError(value)
    return value


def _count(value: str) -> str:
    if int(value) < 0:
        raise ValueError(value)
    return value


def _flag(value: str) -> str:
    asbool(value)  # ValueError unless yes/no, true/false, on/off, 1/0
    return value


#: The options the sqlite3 driver takes in the URL (SQLAlchemy's pysqlite dialect), checked here:
#: SQLAlchemy converts them with a traceback on a bad value. `detect_types` and `isolation_level`
#: would change how the archive's rows are read and written, so they are not taken.
DRIVER_OPTIONS = {"timeout": _seconds, "cached_statements": _count, "check_same_thread": _flag, "uri": _flag}


@dataclass(frozen=True)
class SqliteTarget:
    """What a SQLite URL names: the real file (None in memory), read-only or not, its driver options."""

    path: Path | None
    read_only: bool = False
    options: dict[str, str] = field(default_factory=dict)

    @property
    def in_memory(self) -> bool:
        return self.path is None

    @property
    def url(self) -> str:
        """The canonical URL: `sqlite:////ABSOLUTE/PATH[?driver options]`, or `sqlite://`."""
        if self.path is None:
            return MEMORY_URL
        return URL.create("sqlite", database=str(self.path), query=self.options).render_as_string(hide_password=False)


def parse_db_url(url: str) -> URL:
    """The URL parsed; DatabaseError (one line) when it is not a database URL at all."""
    try:
        return make_url(url)
    except (ArgumentError, ValueError):
        raise DatabaseError(f"not a database URL: {url!r} (try sqlite:///archive.sqlite)") from None


def shown_db_url(url: str) -> str:
    """`url` as messages show it: its password masked (the URL as given when it does not parse)."""
    return masked_url(url)


def _uri_path(name: str, shown: str) -> str | None:
    """The file a `file:` URI names, as SQLite reads it (None: in memory or a temporary database)."""
    rest = name[len("file:") :]
    if rest.startswith("//"):
        authority, slash, path = rest[2:].partition("/")
        if authority not in ("", "localhost"):
            raise DatabaseError(f"a file: URI names a file on this machine, not on {authority!r}: {shown}")
        rest = slash + path
    rest = rest.partition("#")[0]
    path = unquote(rest, errors="strict")
    if path in ("", ":memory:"):
        return None
    return path


def _real_file(path: str, shown: str) -> Path:
    if "\x00" in path:
        raise DatabaseError(f"the database path holds a NUL character: {shown}")
    try:
        return Path(os.path.expanduser(path)).absolute().resolve()
    except (OSError, RuntimeError, ValueError) as exc:
        raise DatabaseError(f"cannot resolve the database path {path!r}: {exc}") from None


def sqlite_target(url: str) -> SqliteTarget | None:
    """What the SQLite URL `url` names (None for another backend); DatabaseError when it cannot be used."""
    parsed = parse_db_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    shown = repr(shown_db_url(url))  # as messages show it: no password
    if parsed.host or parsed.username or parsed.password or parsed.port:
        raise DatabaseError(
            f"a SQLite URL names no host: {shown} (a file is sqlite:///PATH, or sqlite:////ABSOLUTE/PATH)"
        )
    query: dict[str, str] = {}
    for key, value in parsed.query.items():
        if not isinstance(value, str):
            raise DatabaseError(f"the option {key!r} is given more than once in {shown}")
        query[key] = value
    uri = False
    driver: dict[str, str] = {}
    for key, check in DRIVER_OPTIONS.items():
        if key in query:
            value = query.pop(key)
            try:
                check(value)
            except (ValueError, TypeError):
                raise DatabaseError(f"bad value for the SQLite option {key}: {value!r} in {shown}") from None
            if key == "uri":
                uri = asbool(value)
            else:
                driver[key] = value
    name = parsed.database or ""
    if not uri:
        if query:
            unknown = ", ".join(sorted(query))
            raise DatabaseError(f"unknown option {unknown} in {shown} (SQLite URI options such as mode= need uri=true)")
        if name in ("", ":memory:"):
            return SqliteTarget(None)
        return SqliteTarget(_real_file(name, shown), options=driver)
    for key, value in query.items():
        if key in REFUSED_URI_OPTIONS:
            raise DatabaseError(f"the SQLite URI option {key} is not supported by the archiver: {shown}")
        if key not in URI_OPTIONS:
            raise DatabaseError(f"unknown SQLite URI option {key} in {shown}")
        if value not in URI_OPTIONS[key]:
            raise DatabaseError(f"bad value for the SQLite URI option {key}: {value!r} in {shown}")
    if query.get("mode") == "memory":
        return SqliteTarget(None)
    if name.startswith("file:"):
        try:
            path = _uri_path(name, shown)
        except UnicodeDecodeError:
            raise DatabaseError(f"the file: URI is not valid UTF-8 once decoded: {shown}") from None
    else:
        path = name if name != ":memory:" else None  # without file:, SQLite reads the name as it is
    if path is None:
        return SqliteTarget(None)
    return SqliteTarget(_real_file(path, shown), read_only=query.get("mode") == "ro", options=driver)


def canonical_db_url(url: str) -> str:
    """The one URL of the database `url` names: a SQLite URL as `sqlite:////ABSOLUTE/PATH` (or
    `sqlite://` in memory); any other URL as given. DatabaseError when it cannot be used."""
    target = sqlite_target(url)
    return url if target is None else target.url
