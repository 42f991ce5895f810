"""The schema's only source of change is Alembic: `upgrade head` on an empty database gives the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from archiver.archive.engine import (
    current_revision,
    head_revision,
    make_engine,
    open_archive,
    upgrade,
)
from archiver.archive.models import Base


def non_model_tables(connection) -> set[str]:
    """Full-text index tables (virtual tables and their shadow tables) are not models."""
    virtual = [
        name
        for (name,) in connection.execute(
            text("SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%'")
        )
    ]
    tables = inspect(connection).get_table_names()
    return {t for t in tables for v in virtual if t == v or t.startswith(v + "_")}


def test_upgrade_head_gives_exactly_the_models(db_url):
    engine = make_engine(db_url)
    upgrade(engine)
    with engine.connect() as connection:
        skip = non_model_tables(connection)

        def include(obj, name, type_, reflected, compare_to):
            return not (type_ == "table" and name in skip)

        context = MigrationContext.configure(connection, opts={"include_object": include, "compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
    assert current_revision(engine) == head_revision()
    engine.dispose()


def test_open_archive_creates_the_schema_on_first_use(db_url):
    engine = open_archive(db_url)
    tables = set(inspect(engine).get_table_names())
    assert {"articles", "article_urls", "listing_entries", "crawl_runs", "pages", "page_bodies"} <= tables
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    engine.dispose()


def test_db_upgrade_command(db_url):
    from tests.support.cli import run_archiver

    result = run_archiver("db", "upgrade", "--db", db_url)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"database at revision {head_revision()}")
