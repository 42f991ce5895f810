"""CJK search through an index: Chinese, Japanese and Korean text as character bigrams

SQLite: `articles_fts_cjk` is an FTS5 index of the CJK runs of each article's title, body and
teaser (the columns of `articles_fts`), as overlapping character bigrams and a run's last
character alone (the format is archiver/archive/cjk.py's). It is contentless (`content=''`: it
keeps no text, only the index), and holds a row only for articles with some CJK character. The
`ascii` tokenizer splits the tokens at the spaces between them and leaves them as they are.

Triggers on articles keep it in step, as those of 0004 keep `articles_fts`: an insert indexes the
new values, an update deletes the old ones (a contentless index is told exactly the tokens it
holds, with the 'delete' command) and indexes the new, a delete deletes. The teaser is
`articles.teaser`, kept by the triggers of 0004 on listing_entries, so teaser changes come
through the update trigger. The tokens come from the SQL function `archiver_cjk_grams`, which
every connection of the archiver registers; this migration registers it on its own connection
and indexes what the archive holds.

A later migration that recreates `articles` (batch mode on SQLite) must re-create these triggers
afterwards (see 0002), and one that changes `archiver_cjk_grams` must rebuild the index (drop,
create, fill), since its 'delete' commands must give the tokens the index holds.

PostgreSQL: nothing; CJK terms are matched there by a substring scan (archiver/research/search.py).

Revision ID: 0009
Revises: 0005
Create Date: 2026-12-10
"""

from alembic import op

from archiver.archive import cjk

revision = "0009"
down_revision = "0005"
branch_labels = None
depends_on = None

BM25_WEIGHTS = "bm25(10.0, 1.0, 3.0)"


def tokens(row: str) -> str:
    """A one-row SELECT of the index's tokens of `row` (new or old), or no row when it has no CJK."""
    # MATERIALIZED: each column's tokens computed once, not again for the WHERE clause.
    return (
        f"WITH g AS MATERIALIZED (SELECT {cjk.FUNCTION}({row}.title) AS title, "
        f"{cjk.FUNCTION}({row}.body) AS body, {cjk.FUNCTION}({row}.teaser) AS teaser) "
        f"SELECT {{what}}, {row}.id, g.title, g.body, g.teaser FROM g "
        "WHERE g.title IS NOT NULL OR g.body IS NOT NULL OR g.teaser IS NOT NULL"
    )


INDEX_NEW = "INSERT INTO articles_fts_cjk (rowid, title, body, teaser) " + tokens("new").replace("{what}, ", "") + ";"
INDEX_OLD = (
    "INSERT INTO articles_fts_cjk (articles_fts_cjk, rowid, title, body, teaser) "
    + tokens("old").replace("{what}", "'delete'")
    + ";"
)

SQLITE_TRIGGERS = {
    "articles_fts_cjk_insert": f"""
        CREATE TRIGGER articles_fts_cjk_insert AFTER INSERT ON articles BEGIN
            {INDEX_NEW}
        END""",
    "articles_fts_cjk_update": f"""
        CREATE TRIGGER articles_fts_cjk_update AFTER UPDATE OF id, title, body, teaser ON articles
        WHEN old.id IS NOT new.id OR old.title IS NOT new.title OR old.body IS NOT new.body
             OR old.teaser IS NOT new.teaser BEGIN
            {INDEX_OLD}
            {INDEX_NEW}
        END""",
    "articles_fts_cjk_delete": f"""
        CREATE TRIGGER articles_fts_cjk_delete AFTER DELETE ON articles BEGIN
            {INDEX_OLD}
        END""",
}


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        upgrade_sqlite()


def upgrade_sqlite() -> None:
    driver_connection = op.get_bind().connection.driver_connection
    assert driver_connection is not None  # the migration runs on an open connection
    cjk.register(driver_connection)
    op.execute("CREATE VIRTUAL TABLE articles_fts_cjk USING fts5(title, body, teaser, content='', tokenize='ascii')")
    op.execute(f"INSERT INTO articles_fts_cjk (articles_fts_cjk, rank) VALUES ('rank', '{BM25_WEIGHTS}')")
    op.execute(
        "INSERT INTO articles_fts_cjk (rowid, title, body, teaser) SELECT id, title, body, teaser FROM ("
        f"SELECT id, {cjk.FUNCTION}(title) AS title, {cjk.FUNCTION}(body) AS body, {cjk.FUNCTION}(teaser) AS teaser "
        "FROM articles) WHERE title IS NOT NULL OR body IS NOT NULL OR teaser IS NOT NULL"
    )
    for sql in SQLITE_TRIGGERS.values():
        op.execute(sql)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS articles_fts_cjk")
