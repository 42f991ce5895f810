"""full-text search index and research views

The index `articles_fts` (SQLite FTS5) holds, for every article (rowid = articles.id), its title,
its body and one teaser: the longest teaser of the listing entries tied to it (ties: the entry
with the smallest id). Triggers keep it in step with every insert, update and delete of articles
and listing entries, which covers the store's repost merges: addresses and entries moved to
another article, and an article left without addresses deleted.

The index `ix_articles_search_filters` (on articles: id, site, source, language, published_on)
serves search filters without reading the articles' rows.

The views `article_addresses` (one row per address of an article, with the listing sighting of
that address) and `article_overview` (one row per article, with counts of its addresses and
sightings) are plain SQL that runs on SQLite and PostgreSQL alike.

Neither the index nor the views are models: migrations/env.py keeps autogenerate away from
`articles_fts*`. A later migration that *recreates* `articles` or `listing_entries` (Alembic batch
mode on SQLite: copy, drop, rename) must drop the views first and re-create the views and the
triggers afterwards, because SQLite drops a table's triggers with it and refuses to rename a
table while a view names a missing one.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# Ranking: a match in the title counts ten times one in the body, a match in the teaser three times.
BM25_WEIGHTS = "bm25(10.0, 1.0, 3.0)"


def teaser_of(article_id: str) -> str:
    """SQL for the teaser indexed with an article: the longest of its entries' teasers."""
    return (
        f"(SELECT teaser FROM listing_entries WHERE article_id = {article_id} AND teaser IS NOT NULL "
        "ORDER BY length(teaser) DESC, id LIMIT 1)"
    )


def refresh_teaser(article_id: str) -> str:
    """SQL rewriting an article's indexed teaser, only when it changed (an FTS5 update re-indexes the row)."""
    return (
        f"UPDATE articles_fts SET teaser = {teaser_of(article_id)} "
        f"WHERE rowid = {article_id} AND teaser IS NOT {teaser_of(article_id)};"
    )


SQLITE_TRIGGERS = {
    "articles_fts_article_insert": f"""
        CREATE TRIGGER articles_fts_article_insert AFTER INSERT ON articles BEGIN
            INSERT INTO articles_fts (rowid, title, body, teaser)
            VALUES (new.id, new.title, new.body, {teaser_of("new.id")});
        END""",
    "articles_fts_article_update": f"""
        CREATE TRIGGER articles_fts_article_update AFTER UPDATE OF id, title, body ON articles
        WHEN old.id IS NOT new.id OR old.title IS NOT new.title OR old.body IS NOT new.body BEGIN
            DELETE FROM articles_fts WHERE rowid = old.id;
            INSERT INTO articles_fts (rowid, title, body, teaser)
            VALUES (new.id, new.title, new.body, {teaser_of("new.id")});
        END""",
    "articles_fts_article_delete": """
        CREATE TRIGGER articles_fts_article_delete AFTER DELETE ON articles BEGIN
            DELETE FROM articles_fts WHERE rowid = old.id;
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

VIEWS = {
    "article_addresses": """
        CREATE VIEW article_addresses AS
        SELECT a.id AS article_id, a.site, a.source, a.language, a.published_on, a.title,
               u.url, u.url = a.url AS is_primary, u.listed_on, u.fetched,
               u.first_seen_at AS url_first_seen_at,
               e.id AS listing_entry_id, e.source AS listing_source, e.title AS listing_title,
               e.teaser, e.teaser_truncated, e.teaser_matches, e.listed_on AS entry_listed_on,
               e.times_seen, e.first_seen_at AS entry_first_seen_at, e.last_seen_at AS entry_last_seen_at
        FROM articles a
        JOIN article_urls u ON u.article_id = a.id
        LEFT JOIN listing_entries e ON e.site = a.site AND e.article_url = u.url""",
    "article_overview": """
        CREATE VIEW article_overview AS
        SELECT a.id AS article_id, a.site, a.source, a.language, a.published_on, a.title, a.url,
               (SELECT COUNT(*) FROM article_urls u WHERE u.article_id = a.id) AS addresses,
               (SELECT COUNT(*) FROM listing_entries e WHERE e.article_id = a.id) AS listing_entries,
               (SELECT COALESCE(SUM(e.times_seen), 0) FROM listing_entries e WHERE e.article_id = a.id)
                   AS sightings,
               (SELECT MIN(e.first_seen_at) FROM listing_entries e WHERE e.article_id = a.id)
                   AS first_listed_at,
               (SELECT MAX(e.last_seen_at) FROM listing_entries e WHERE e.article_id = a.id)
                   AS last_listed_at,
               a.first_seen_at, a.last_seen_at
        FROM articles a""",
}


def upgrade() -> None:
    # What search filters hits by (site, source, language, date), looked up by id: reading it
    # instead of the articles' rows (bodies and all) makes filtered searches half again as fast.
    op.create_index("ix_articles_search_filters", "articles", ["id", "site", "source", "language", "published_on"])
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        upgrade_sqlite()
    elif dialect == "postgresql":
        upgrade_postgresql()
    for sql in VIEWS.values():
        op.execute(sql)


def downgrade() -> None:
    for name in VIEWS:
        op.execute(f"DROP VIEW IF EXISTS {name}")
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS articles_fts")
    elif dialect == "postgresql":
        downgrade_postgresql()
    op.drop_index("ix_articles_search_filters", table_name="articles")


def upgrade_sqlite() -> None:
    # porter: "missiles" finds "missile"; remove_diacritics 2: "Pyongyang" finds "Pyŏngyang".
    op.execute(
        "CREATE VIRTUAL TABLE articles_fts USING fts5("
        "title, body, teaser, tokenize = 'porter unicode61 remove_diacritics 2')"
    )
    op.execute(f"INSERT INTO articles_fts (articles_fts, rank) VALUES ('rank', '{BM25_WEIGHTS}')")
    op.execute(
        "INSERT INTO articles_fts (rowid, title, body, teaser) "
        f"SELECT a.id, a.title, a.body, {teaser_of('a.id')} FROM articles a"
    )
    for sql in SQLITE_TRIGGERS.values():
        op.execute(sql)


# PostgreSQL -------------------------------------------------------------------------------------
# The same name, `articles_fts`, is a plain table with a weighted tsvector and a GIN index, kept
# in step by trigger functions; archiver/research/search.py has the matching query (tests/test_postgres.py
# searches a PostgreSQL archive).

POSTGRESQL_UPGRADE = [
    """
    CREATE TABLE articles_fts (
        article_id integer PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,
        teaser text,
        document tsvector NOT NULL
    )""",
    "CREATE INDEX ix_articles_fts_document ON articles_fts USING gin (document)",
    """
    CREATE FUNCTION articles_fts_refresh(target integer) RETURNS void LANGUAGE plpgsql AS $$
    BEGIN
        -- An upsert, not delete-then-insert: two writers refreshing one article must not collide.
        INSERT INTO articles_fts (article_id, teaser, document)
        SELECT a.id, t.teaser,
               setweight(to_tsvector('simple', coalesce(a.title, '')), 'A')
               || setweight(to_tsvector('simple', coalesce(t.teaser, '')), 'B')
               || setweight(to_tsvector('simple', coalesce(a.body, '')), 'D')
        FROM articles a
        LEFT JOIN LATERAL (
            SELECT e.teaser FROM listing_entries e
            WHERE e.article_id = a.id AND e.teaser IS NOT NULL
            ORDER BY length(e.teaser) DESC, e.id LIMIT 1
        ) t ON true
        WHERE a.id = target
        ON CONFLICT (article_id) DO UPDATE SET teaser = EXCLUDED.teaser, document = EXCLUDED.document;
    END $$""",
    """
    CREATE FUNCTION articles_fts_article_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM articles_fts_refresh(NEW.id);
        RETURN NULL;
    END $$""",
    """
    CREATE FUNCTION articles_fts_entry_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.article_id IS NOT NULL THEN
            PERFORM articles_fts_refresh(OLD.article_id);
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.article_id IS NOT NULL THEN
            PERFORM articles_fts_refresh(NEW.article_id);
        END IF;
        RETURN NULL;
    END $$""",
    """
    CREATE TRIGGER articles_fts_article AFTER INSERT OR UPDATE OF title, body ON articles
    FOR EACH ROW EXECUTE FUNCTION articles_fts_article_trigger()""",
    """
    CREATE TRIGGER articles_fts_entry AFTER INSERT OR DELETE OR UPDATE OF article_id, teaser
    ON listing_entries FOR EACH ROW EXECUTE FUNCTION articles_fts_entry_trigger()""",
    "SELECT articles_fts_refresh(id) FROM articles",
]


def upgrade_postgresql() -> None:
    for sql in POSTGRESQL_UPGRADE:
        op.execute(sql)


def downgrade_postgresql() -> None:
    op.execute("DROP TRIGGER IF EXISTS articles_fts_entry ON listing_entries")
    op.execute("DROP TRIGGER IF EXISTS articles_fts_article ON articles")
    op.execute("DROP FUNCTION IF EXISTS articles_fts_entry_trigger()")
    op.execute("DROP FUNCTION IF EXISTS articles_fts_article_trigger()")
    op.execute("DROP FUNCTION IF EXISTS articles_fts_refresh(integer)")
    op.execute("DROP TABLE IF EXISTS articles_fts")
