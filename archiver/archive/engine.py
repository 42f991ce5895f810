"""Database access: engines (SQLite tuned for a crawler), sessions, and Alembic upgrades on first use."""

from __future__ import annotations

import importlib.util
import os
import tempfile
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from archiver.archive import cjk
from archiver.archive.dburl import canonical_db_url, sqlite_target
from archiver.exceptions import DatabaseError
from archiver.normalize.urls import masked_url

DEFAULT_DB_URL = "sqlite:///archive.sqlite"


def _migrations_dir() -> Path:
    """The Alembic script folder, the top-level `migrations` package, found without importing it
    (the archive layer sits below it: migrations/env.py imports archiver.archive.models)."""
    spec = importlib.util.find_spec("migrations")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the migrations package is not installed next to archiver")
    return Path(next(iter(spec.submodule_search_locations)))


MIGRATIONS_DIR = _migrations_dir()


def chosen_db_url(url: str | None = None) -> str:
    """The URL as the user gave it: the one given, else $ARCHIVER_DB_URL, else ./archive.sqlite."""
    return url or os.environ.get("ARCHIVER_DB_URL") or DEFAULT_DB_URL


def resolve_db_url(url: str | None = None) -> str:
    """The canonical URL of the database to use (archiver/archive/dburl.py): a SQLite file as
    sqlite:////ABSOLUTE/PATH whatever the spelling; DatabaseError when the URL cannot be used."""
    return canonical_db_url(chosen_db_url(url))


def sqlite_writable(file: Path, folder: Path) -> bool:
    """Whether SQLite can write `file` and its -wal/-shm files in `folder`. The folder is tried with
    a temporary file, not guessed from permission bits (root passes os.access on read-only file
    systems such as /proc). The database file itself is never opened here: closing any descriptor
    of it would drop the POSIX locks this process's SQLite connections hold on it."""
    if file.exists() and not os.access(file, os.W_OK):
        return False
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError:
        return False
    return True


HARD_LINK_GUIDANCE = (
    "SQLite's guidance: a database file must have one name only, or two writers get two -wal/-shm files "
    "and corrupt it (https://sqlite.org/howtocorrupt.html, 'Multiple links to the same file')"
)


def check_single_link(file: Path) -> None:
    """DatabaseError when the database `file` has more than one hard link: it must not be written."""
    try:
        links = os.stat(file).st_nlink
    except OSError:
        return
    if links > 1:
        raise DatabaseError(f"refusing to write {file}: it has {links} hard links; {HARD_LINK_GUIDANCE}")


def check_sqlite_file(file: Path) -> None:
    """DatabaseError when `file` exists and is not a regular file (/dev/null, a FIFO). Whether it
    is a SQLite database at all is SQLite's to say, on connecting (see check_archive): opening the
    file here could drop the locks of this process's connections (see sqlite_writable)."""
    import stat

    try:
        mode = os.stat(file).st_mode
    except OSError:
        return
    if not stat.S_ISREG(mode):
        raise DatabaseError(f"not a database file (a device, FIFO or socket): {file}")


def check_driver(url: str) -> None:
    """DatabaseError naming the package to install when the URL's database driver is missing."""
    parsed = make_url(url)
    try:
        dialect = parsed.get_dialect()
    except Exception as exc:  # an unknown dialect or a missing driver
        raise DatabaseError(f"cannot use database URL {masked_url(url)!r}: {masked_url(exc)}") from None
    try:
        dialect.import_dbapi()
    except ImportError as exc:
        shown = masked_url(url)
        # psycopg is not in a plain install: the scale extra brings it.
        hint = "pip install 'newsarchiver[scale]'" if parsed.get_backend_name() == "postgresql" else "install it"
        raise DatabaseError(
            f"the driver for {shown} is not installed ({exc.name or exc}); {hint} or use sqlite:///FILE"
        ) from None


def check_db_url(url: str) -> None:
    """Fail with a one-line reason when `url` cannot name a usable database."""
    target = sqlite_target(url)  # DatabaseError when it is no database URL at all
    if target is not None and target.path is not None:
        path = target.path
        if not path.parent.is_dir():
            raise DatabaseError(f"database folder does not exist: {path.parent}")
        if path.is_dir():
            raise DatabaseError(f"database path is a folder: {path}")
        if not sqlite_writable(path, path.parent):
            raise DatabaseError(f"database path is not writable: {path}")
        check_single_link(path)
        check_sqlite_file(path)
    check_driver(url)


#: Prepared statements an SQLite connection keeps (the sqlite3 module's default is 128). The writer's
#: multi-row INSERTs and IN lists give a new statement text for each batch size, each compiled into a
#: large program: with 128 kept per connection, a long crawl's memory grew with it (~10 MB over
#: 20,000 articles, issue 27). The statements a crawl repeats stay among the last 16.
SQLITE_STATEMENT_CACHE = 16


def _tune_sqlite(dbapi_connection, _record) -> None:
    cjk.register(dbapi_connection)  # the CJK index's triggers call it (archiver/archive/cjk.py)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=30000")  # first: switching to WAL may itself wait for a lock
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_engine(url: str, **kwargs) -> Engine:
    """An engine for `url`; SQLite gets WAL mode, foreign keys and a generous busy timeout;
    PostgreSQL checks pooled connections before use (a worker outlives server restarts)."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "postgresql":
        kwargs.setdefault("pool_pre_ping", True)
    elif backend == "sqlite" and "cached_statements" not in parsed.query:  # the URL's own choice stands
        kwargs["connect_args"] = {"cached_statements": SQLITE_STATEMENT_CACHE, **kwargs.get("connect_args", {})}
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _tune_sqlite)
    return engine


def alembic_config(url: str):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(engine: Engine) -> None:
    """Bring the database up to the newest migration (creating it if it is empty)."""
    from alembic import command

    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Workers starting together on an empty database: one migrates, the others wait and find it done.
            connection.exec_driver_sql("SELECT pg_advisory_xact_lock(hashtext('archiver/migrations'))")
        elif connection.dialect.name == "sqlite":
            # The same on SQLite (two `scrapy crawl`s on a new file): take the write lock before
            # Alembic reads the version, so the other process waits (busy_timeout) and finds it done.
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The archive's schema revision, read from Alembic's table directly: every component of a crawl
    asks at its start, and Alembic's MigrationContext would log two INFO lines each time."""
    with engine.connect() as connection:
        if "alembic_version" not in inspect(connection).get_table_names():
            return None
        return connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()


def known_revision(revision: str) -> bool:
    from alembic.script import ScriptDirectory
    from alembic.util.exc import CommandError

    try:
        return ScriptDirectory.from_config(alembic_config("sqlite://")).get_revision(revision) is not None
    except (CommandError, KeyError, ValueError):
        return False


def database_message(exc: DBAPIError) -> str:
    """The first line of what the database said."""
    return str(exc.orig if exc.orig is not None else exc).strip().splitlines()[0]


def check_archive(engine: Engine, shown: str | None = None) -> str | None:
    """The database's schema revision; DatabaseError when it cannot be opened, holds another
    application's tables (it is neither empty nor an archive), or is at a revision this version of
    the archiver does not know. `shown` names the database in messages (default: the engine's URL)."""
    shown = masked_url(shown or engine.url.render_as_string(hide_password=False))
    try:
        revision = current_revision(engine)
        tables = table_names(engine) if revision is None else set()
    except DBAPIError as exc:
        raise DatabaseError(f"cannot open the database {shown}: {database_message(exc)}") from None
    foreign = sorted(t for t in tables if not t.startswith("sqlite_"))
    if foreign:
        listed = ", ".join(foreign[:5]) + (", …" if len(foreign) > 5 else "")
        raise DatabaseError(
            f"{shown} is not an archive: it holds another application's tables ({listed}); "
            "give an archive or a new file"
        )
    if revision is not None and not known_revision(revision):
        raise DatabaseError(
            f"{shown} is at schema revision {revision!r}, unknown to this archiver (a newer version made it?)"
        )
    return revision


def open_archive(url: str | None = None, *, migrate: bool = True, existing: bool = False) -> Engine:
    """An engine on the archive at `url`, upgraded to the newest schema unless `migrate` is False.

    DatabaseError (a one-line reason) when the URL or the database cannot be used (check_archive),
    and, with `existing` (commands that work on an archive: a mistyped --db must not create one),
    when there is no archive there yet."""
    url = resolve_db_url(url)
    check_db_url(url)
    if existing:
        require_archive(url)
    if make_url(url).get_backend_name() == "sqlite":
        # Looked at untuned first: switching to WAL would change another application's file.
        plain = create_engine(url)
        try:
            revision = check_archive(plain)
        finally:
            plain.dispose()
        if existing and revision is None:
            raise DatabaseError(f"no archive at {make_url(url).database}: the database is empty")
    engine = make_engine(url)
    try:
        revision = check_archive(engine)
        if existing and revision is None:
            raise DatabaseError(
                f"no archive at {engine.url.render_as_string(hide_password=True)}: the database is empty"
            )
        if migrate and revision != head_revision():
            upgrade(engine)
    except DatabaseError:
        engine.dispose()
        raise
    except DBAPIError as exc:
        engine.dispose()
        shown = masked_url(engine.url.render_as_string(hide_password=False))
        raise DatabaseError(f"cannot upgrade the database {shown}: {database_message(exc)}") from None
    return engine


def require_archive(url: str) -> None:
    """DatabaseError when the SQLite file `url` names does not exist: checked before connecting,
    which would create it."""
    target = sqlite_target(url)
    if target is not None and target.path is not None and not target.path.exists():
        raise DatabaseError(f"no archive at {target.path} (check --db or $ARCHIVER_DB_URL)")


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def table_names(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())
