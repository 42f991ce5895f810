"""Read-only access to an archive, for the research commands (`sql`, `search`, `export`, `stats`).

SQLite is opened three times over read-only: the file through a `file:…?mode=ro` URI, the
connection with `PRAGMA query_only`, and an authorizer that refuses every statement that would
change something (INSERT, UPDATE, DELETE, CREATE, DROP, ALTER, ATTACH, DETACH, PRAGMA writes,
VACUUM …) before it runs, and remembers what it refused so the user gets a clear reason.
PostgreSQL sessions are opened with `default_transaction_read_only=on`.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import QueuePool

from archiver.archive.engine import DatabaseError, check_archive, resolve_db_url
from archiver.archive.statedir import sqlite_file

# PRAGMAs that only describe the schema; they take an argument (a table or index name).
INTROSPECTION_PRAGMAS = frozenset(
    {
        "table_info",
        "table_xinfo",
        "table_list",
        "index_list",
        "index_info",
        "index_xinfo",
        "foreign_key_list",
        "foreign_key_check",
        "integrity_check",
        "quick_check",
    }
)
# PRAGMAs that change something even without an argument.
ACTING_PRAGMAS = frozenset({"optimize", "wal_checkpoint", "incremental_vacuum", "shrink_memory"})

ALLOWED_ACTIONS = frozenset(
    {
        sqlite3.SQLITE_READ,
        sqlite3.SQLITE_SELECT,
        sqlite3.SQLITE_FUNCTION,
        sqlite3.SQLITE_RECURSIVE,
        sqlite3.SQLITE_TRANSACTION,
        sqlite3.SQLITE_SAVEPOINT,
    }
)
# What the user is told was refused, by authorizer action code.
ACTION_NAMES = {
    getattr(sqlite3, f"SQLITE_{name.replace(' ', '_')}"): name
    for name in (
        "INSERT",
        "UPDATE",
        "DELETE",
        "ATTACH",
        "DETACH",
        "ALTER TABLE",
        "REINDEX",
        "ANALYZE",
        "CREATE INDEX",
        "CREATE TABLE",
        "CREATE TRIGGER",
        "CREATE VIEW",
        "CREATE VTABLE",
        "CREATE TEMP INDEX",
        "CREATE TEMP TABLE",
        "CREATE TEMP TRIGGER",
        "CREATE TEMP VIEW",
        "DROP INDEX",
        "DROP TABLE",
        "DROP TRIGGER",
        "DROP VIEW",
        "DROP VTABLE",
        "DROP TEMP INDEX",
        "DROP TEMP TABLE",
        "DROP TEMP TRIGGER",
        "DROP TEMP VIEW",
    )
}
# SQLite asks about the rows of the schema table a statement touches before it asks about the
# statement (CREATE, DROP …, which are refused then), and reports reading a virtual table's schema
# (FTS5, table-valued PRAGMAs) as an update of it: those questions alone are let through.
SCHEMA_ROW_ACTIONS = frozenset({sqlite3.SQLITE_INSERT, sqlite3.SQLITE_UPDATE, sqlite3.SQLITE_DELETE})
SCHEMA_TABLES = frozenset({"sqlite_master", "sqlite_temp_master", "sqlite_schema", "sqlite_temp_schema"})


class ReadOnlyConnection(sqlite3.Connection):
    """A sqlite3 connection that refuses writes and remembers what it refused, to say so."""

    refused: str | None = None

    def authorize(self, action: int, arg1: str | None, arg2: str | None, _db, _trigger) -> int:
        if action in ALLOWED_ACTIONS or (action in SCHEMA_ROW_ACTIONS and arg1 in SCHEMA_TABLES):
            return sqlite3.SQLITE_OK
        if action == sqlite3.SQLITE_PRAGMA:
            name = (arg1 or "").lower()
            if name in INTROSPECTION_PRAGMAS or (arg2 is None and name not in ACTING_PRAGMAS):
                return sqlite3.SQLITE_OK
            return self.refuse(f"PRAGMA {name}" + (f" = {arg2}" if arg2 is not None else ""))
        if action == sqlite3.SQLITE_ATTACH:  # VACUUM [INTO file] attaches a database too
            return self.refuse(f"ATTACH or VACUUM {arg1}" if arg1 else "ATTACH or VACUUM")
        if action == sqlite3.SQLITE_ALTER_TABLE:
            return self.refuse(f"ALTER TABLE {arg2}")
        what = ACTION_NAMES.get(action, f"action {action}")
        return self.refuse(f"{what} {arg1}" if arg1 else what)

    def refuse(self, what: str) -> int:
        # SQLite may go on asking about the rest of a refused statement: the first refusal names it.
        if self.refused is None:
            self.refused = what
        return sqlite3.SQLITE_DENY


def can_create_shm(database: Path) -> bool:
    """Whether SQLite could make the database's -shm file (a reader of a WAL database needs it)."""
    import tempfile

    shm = database.with_name(database.name + "-shm")
    if shm.exists():
        return True
    try:
        with tempfile.TemporaryFile(dir=database.parent):
            pass
    except OSError:
        return False
    return True


def sqlite_uri(path: str) -> str:
    """The read-only URI of the SQLite file at `path`.

    A user who may read the archive but not write its folder cannot make the -shm file a WAL
    database needs even to read; then the file is opened `immutable` (no locks, no -shm: SQLite
    reads the database file as it is). No run of the archiver can be writing it then: a writer
    keeps a -shm file beside it while it is open.
    """
    database = Path(path).expanduser().resolve()
    uri = database.as_uri() + "?mode=ro"
    if not can_create_shm(database):
        uri += "&immutable=1"
    return uri


def open_readonly(url: str | None = None) -> Engine:
    """An engine that can only read the archive at `url`; DatabaseError when there is none."""
    url = resolve_db_url(url)  # DatabaseError when it is no database URL
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        database = sqlite_file(url)
        if database is None:
            raise DatabaseError("an in-memory database holds no archive; give the file: sqlite:///FILE")
        if not database.is_file():
            raise DatabaseError(f"no archive at {database}")
        uri = sqlite_uri(str(database))

        def connect() -> sqlite3.Connection:
            connection = sqlite3.connect(uri, uri=True, factory=ReadOnlyConnection, check_same_thread=False)
            connection.execute("PRAGMA query_only = ON")
            connection.execute("PRAGMA busy_timeout = 30000")
            connection.set_authorizer(connection.authorize)
            return connection

        # A file, whatever the bare "sqlite://" says: a pool of connections any thread may take
        # (search ranks in threads), not one per thread that closes the oldest past five.
        return create_engine("sqlite://", creator=connect, poolclass=QueuePool)
    if backend == "postgresql":
        # psycopg and psycopg2 both pass "options" on; a write fails with "read-only transaction".
        try:
            return create_engine(url, connect_args={"options": "-c default_transaction_read_only=on"})
        except ImportError as exc:  # the driver comes with the scale extra
            raise DatabaseError(f"cannot use database URL {url!r}: {exc} (pip install 'newsarchiver[scale]')") from None
    try:
        parsed.get_dialect()
    except Exception as exc:
        raise DatabaseError(f"cannot use database URL {url!r}: {exc}") from None
    raise DatabaseError(f"read-only access is not supported for {backend} databases")


def open_readonly_archive(url: str | None = None) -> Engine:
    """open_readonly on an archive that must be one: DatabaseError when the file is missing, empty,
    not SQLite, another application's, or at a schema revision this archiver does not know."""
    url = resolve_db_url(url)
    engine = open_readonly(url)
    shown = make_url(url).render_as_string(hide_password=True)
    try:
        if check_archive(engine, shown=shown) is None:
            raise DatabaseError(f"no archive at {shown}: the database is empty")
    except BaseException:
        engine.dispose()
        raise
    return engine


def is_write_refusal(exc: DBAPIError) -> bool:
    """Whether `exc` is the database refusing a write (SQLite authorizer or read-only mode, PostgreSQL)."""
    message = str(exc.orig)
    return any(
        sign in message
        for sign in (
            "not authorized",
            "authorization denied",
            "readonly database",
            "query_only",
            "read-only transaction",
        )
    )


def refused_statement(dbapi_connection) -> str | None:
    """What the SQLite guard refused last on this connection (e.g. "INSERT articles"), then forget it."""
    refused = getattr(dbapi_connection, "refused", None)
    if isinstance(dbapi_connection, ReadOnlyConnection):
        dbapi_connection.refused = None
    return refused


def database_error(exc: DBAPIError) -> str:
    """One line about a failed statement."""
    return str(exc.orig).splitlines()[0] if exc.orig is not None else str(exc).splitlines()[0]


class QueryStopped(Exception):
    """A query stopped by its time limit or by Ctrl-C; the message is meant for the user."""


class QueryLimits:
    """A time limit and Ctrl-C for one SQLite query, through SQLite's progress handler.

    SQLite runs a query in C, where Python's own Ctrl-C handling cannot reach; the progress handler is
    called every `PROGRESS_STEPS` virtual-machine steps and stops the query (SQLite's "interrupted")
    once the deadline has passed or SIGINT has arrived. Use as a context manager around the query
    and the reading of its rows; `stopped` says why it was stopped (None while it runs on).
    """

    PROGRESS_STEPS = 10_000

    def __init__(self, dbapi_connection: sqlite3.Connection, timeout: float | None) -> None:
        self.connection = dbapi_connection
        self.timeout = timeout
        self.deadline: float | None = None
        self.stopped: str | None = None
        self._previous_handler: Any = None

    def _progress(self) -> int:
        import time

        if self.stopped is None and self.deadline is not None and time.monotonic() > self.deadline:
            self.stopped = f"stopped after the time limit of {self.timeout:g} s (--timeout)"
        return 1 if self.stopped else 0

    def _interrupt(self, signum, frame) -> None:
        self.stopped = "interrupted"
        raise KeyboardInterrupt  # reading rows in Python: stop there too

    def __enter__(self) -> QueryLimits:
        import signal
        import threading
        import time

        if self.timeout:
            self.deadline = time.monotonic() + self.timeout
        self.connection.set_progress_handler(self._progress, self.PROGRESS_STEPS)
        if threading.current_thread() is threading.main_thread():
            self._previous_handler = signal.signal(signal.SIGINT, self._interrupt)
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        import signal

        self.connection.set_progress_handler(None, 0)
        if self._previous_handler is not None:
            signal.signal(signal.SIGINT, self._previous_handler)
