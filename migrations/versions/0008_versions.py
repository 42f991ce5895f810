"""versions: every version of an edited article, revisits, takedowns and restorations

The table `article_versions` holds, for each article whose text changed on a revisit, every
version of its title, body, date and language (numbered from 1 in fetch order), with when it was
fetched, the address and the stored page body (pages.sha256) it came from, and its content hash.
`articles` gains `versions` (1 for an article never edited), `changed_at` (when the latest
version was fetched), `revisited_at` (when a revisit last asked for the page), and the takedown
columns `removed_at`, `removal` (404, 410, redirect, not found text), `removal_confirmed_at` (the
next run saw it gone too: from then on it counts as removed) and `restored_at`.

Full-text search of every version (`archiver search --all-versions`): `articles_fts_versions`,
named under the `articles_fts` prefix that autogenerate leaves alone (migrations/env.py). On SQLite
an FTS5 table with its own copy of the versions' title and body (an empty teaser column, so that
the same column filters work), on PostgreSQL a tsvector table with a GIN index; triggers on
article_versions keep either in step. The columns are added in place (no table is recreated), so
the views and triggers of 0002/0004 stay as they are.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-10
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def article_columns() -> list[sa.Column]:
    return [
        sa.Column("versions", sa.Integer(), server_default="1", nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=True),
        sa.Column("revisited_at", sa.DateTime(), nullable=True),
        sa.Column("removed_at", sa.DateTime(), nullable=True),
        sa.Column("removal", sa.String(length=32), nullable=True),
        sa.Column("removal_confirmed_at", sa.DateTime(), nullable=True),
        sa.Column("restored_at", sa.DateTime(), nullable=True),
    ]


SQLITE_INDEX_NEW = (
    "INSERT INTO articles_fts_versions (rowid, title, body, teaser) VALUES (new.id, new.title, new.body, NULL);"
)
SQLITE_INDEX_OLD = "DELETE FROM articles_fts_versions WHERE rowid = old.id;"
SQLITE_TRIGGERS = {
    "articles_fts_versions_insert": f"""
        CREATE TRIGGER articles_fts_versions_insert AFTER INSERT ON article_versions BEGIN
            {SQLITE_INDEX_NEW}
        END""",
    "articles_fts_versions_update": f"""
        CREATE TRIGGER articles_fts_versions_update AFTER UPDATE OF id, title, body ON article_versions BEGIN
            {SQLITE_INDEX_OLD}
            {SQLITE_INDEX_NEW}
        END""",
    "articles_fts_versions_delete": f"""
        CREATE TRIGGER articles_fts_versions_delete AFTER DELETE ON article_versions BEGIN
            {SQLITE_INDEX_OLD}
        END""",
}

POSTGRESQL_UPGRADE = [
    """
    CREATE TABLE articles_fts_versions (
        version_id integer PRIMARY KEY REFERENCES article_versions (id) ON DELETE CASCADE,
        document tsvector NOT NULL
    )""",
    "CREATE INDEX ix_articles_fts_versions_document ON articles_fts_versions USING gin (document)",
    """
    CREATE FUNCTION articles_fts_versions_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO articles_fts_versions (version_id, document)
        VALUES (NEW.id, setweight(to_tsvector('simple', coalesce(NEW.title, '')), 'A')
                        || setweight(to_tsvector('simple', coalesce(NEW.body, '')), 'D'))
        ON CONFLICT (version_id) DO UPDATE SET document = EXCLUDED.document;
        RETURN NULL;
    END $$""",
    """
    CREATE TRIGGER articles_fts_versions AFTER INSERT OR UPDATE OF title, body ON article_versions
    FOR EACH ROW EXECUTE FUNCTION articles_fts_versions_trigger()""",
]


def upgrade() -> None:
    op.create_table(
        "article_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("fetched_at", sa.DateTime(), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("page_sha256", sa.String(length=64), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("published_on", sa.Date(), nullable=True),
        sa.Column("date_raw", sa.Text(), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_article_versions_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_article_versions")),
        sa.UniqueConstraint("article_id", "version", name=op.f("uq_article_versions_article_id_version")),
    )
    op.create_index(op.f("ix_article_versions_article_id"), "article_versions", ["article_id"], unique=False)
    for column in article_columns():
        op.add_column("articles", column)
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        # The same tokenizer as articles_fts (migration 0002): porter stems, diacritics ignored.
        op.execute(
            "CREATE VIRTUAL TABLE articles_fts_versions USING fts5("
            "title, body, teaser, tokenize = 'porter unicode61 remove_diacritics 2')"
        )
        for sql in SQLITE_TRIGGERS.values():
            op.execute(sql)
    elif dialect == "postgresql":
        for sql in POSTGRESQL_UPGRADE:
            op.execute(sql)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS articles_fts_versions")
    elif dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS articles_fts_versions ON article_versions")
        op.execute("DROP FUNCTION IF EXISTS articles_fts_versions_trigger()")
        op.execute("DROP TABLE IF EXISTS articles_fts_versions")
    for column in reversed(article_columns()):
        op.drop_column("articles", column.name)
    op.drop_index(op.f("ix_article_versions_article_id"), table_name="article_versions")
    op.drop_table("article_versions")
