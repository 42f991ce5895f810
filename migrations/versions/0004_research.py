"""research: a full-text index on articles that other tools see, and gone article addresses

SQLite: `articles_fts` becomes an FTS5 index with external content, `content="articles"`: it
stores no copy of the text, reads it from `articles`, and tools that look for such an index
(Datasette's search box and `?_search=`) find it. Its columns are title, body and teaser; the
teaser (the longest teaser of the article's listing entries, ties: smallest entry id) lives in the
new column `articles.teaser`, kept by triggers on listing_entries (the store never writes it).
Triggers on articles keep the index in step the way external-content FTS5 needs: the old values
are deleted with the 'delete' command, the new ones inserted. The index is rebuilt from the table.

PostgreSQL keeps its tsvector table from 0002; `articles.teaser` is added (and stays empty there).

`gone_urls`: article addresses that answered 404/410, counted per run (archiver/middlewares/gone.py).

A later migration that recreates `articles` or `listing_entries` (batch mode on SQLite) must
drop the views and re-create the views and these triggers afterwards (see 0002).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

import importlib

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

BM25_WEIGHTS = "bm25(10.0, 1.0, 3.0)"
OLD_TRIGGERS = (
    "articles_fts_article_insert",
    "articles_fts_article_update",
    "articles_fts_article_delete",
    "articles_fts_entry_insert",
    "articles_fts_entry_update",
    "articles_fts_entry_delete",
)


def teaser_of(article_id: str) -> str:
    """SQL for an article's indexed teaser: the longest of its entries' teasers."""
    return (
        f"(SELECT teaser FROM listing_entries WHERE article_id = {article_id} AND teaser IS NOT NULL "
        "ORDER BY length(teaser) DESC, id LIMIT 1)"
    )


def refresh_teaser(article_id: str) -> str:
    """SQL setting articles.teaser, only when it changed (the article trigger then re-indexes)."""
    return (
        f"UPDATE articles SET teaser = {teaser_of(article_id)} "
        f"WHERE id = {article_id} AND teaser IS NOT {teaser_of(article_id)};"
    )


INDEX_OLD = "INSERT INTO articles_fts (articles_fts, rowid, title, body, teaser) VALUES ('delete', old.id, old.title, old.body, old.teaser);"
INDEX_NEW = "INSERT INTO articles_fts (rowid, title, body, teaser) VALUES (new.id, new.title, new.body, new.teaser);"

SQLITE_TRIGGERS = {
    "articles_fts_article_insert": f"""
        CREATE TRIGGER articles_fts_article_insert AFTER INSERT ON articles BEGIN
            {INDEX_NEW}
        END""",
    "articles_fts_article_update": f"""
        CREATE TRIGGER articles_fts_article_update AFTER UPDATE OF id, title, body, teaser ON articles
        WHEN old.id IS NOT new.id OR old.title IS NOT new.title OR old.body IS NOT new.body
             OR old.teaser IS NOT new.teaser BEGIN
            {INDEX_OLD}
            {INDEX_NEW}
        END""",
    "articles_fts_article_delete": f"""
        CREATE TRIGGER articles_fts_article_delete AFTER DELETE ON articles BEGIN
            {INDEX_OLD}
        END""",
    "articles_fts_entry_insert": f"""
        CREATE TRIGGER articles_fts_entry_insert AFTER INSERT ON listing_entries
        WHEN new.article_id IS NOT NULL AND new.teaser IS NOT NULL BEGIN
            {refresh_teaser("new.article_id")}
        END""",
    "articles_fts_entry_update": f"""
        CREATE TRIGGER articles_fts_entry_update AFTER UPDATE OF article_id, teaser ON listing_entries
        WHEN old.article_id IS NOT new.article_id OR old.teaser IS NOT new.teaser BEGIN
            {refresh_teaser("old.article_id")}
            {refresh_teaser("new.article_id")}
        END""",
    "articles_fts_entry_delete": f"""
        CREATE TRIGGER articles_fts_entry_delete AFTER DELETE ON listing_entries
        WHEN old.article_id IS NOT NULL BEGIN
            {refresh_teaser("old.article_id")}
        END""",
}


def upgrade() -> None:
    op.create_table(
        "gone_urls",
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("site", sa.String(length=64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("failed_runs", sa.Integer(), nullable=False),
        sa.Column("first_failed_at", sa.DateTime(), nullable=False),
        sa.Column("last_failed_at", sa.DateTime(), nullable=False),
        sa.Column("last_run_id", sa.Integer(), nullable=True),
        sa.Column("gone_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("url", name=op.f("pk_gone_urls")),
    )
    op.create_index(op.f("ix_gone_urls_site"), "gone_urls", ["site"], unique=False)
    op.add_column("articles", sa.Column("teaser", sa.Text(), nullable=True))
    if op.get_bind().dialect.name == "sqlite":
        upgrade_sqlite()


def upgrade_sqlite() -> None:
    for name in OLD_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DROP TABLE IF EXISTS articles_fts")
    op.execute(f"UPDATE articles SET teaser = {teaser_of('articles.id')}")
    # porter: "missiles" finds "missile"; remove_diacritics 2: "Pyongyang" finds "Pyŏngyang".
    # The double quotes in content="articles" are what Datasette looks for.
    op.execute(
        "CREATE VIRTUAL TABLE articles_fts USING fts5(title, body, teaser, "
        'content="articles", content_rowid="id", tokenize = \'porter unicode61 remove_diacritics 2\')'
    )
    op.execute(f"INSERT INTO articles_fts (articles_fts, rank) VALUES ('rank', '{BM25_WEIGHTS}')")
    op.execute("INSERT INTO articles_fts (articles_fts) VALUES ('rebuild')")
    for sql in SQLITE_TRIGGERS.values():
        op.execute(sql)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS articles_fts")
        op.execute("ALTER TABLE articles DROP COLUMN teaser")
        importlib.import_module("migrations.versions.0002_search").upgrade_sqlite()  # the copy-of-the-text index
    else:
        op.drop_column("articles", "teaser")
    op.drop_index(op.f("ix_gone_urls_site"), table_name="gone_urls")
    op.drop_table("gone_urls")
