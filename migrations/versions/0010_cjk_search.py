"""CJK search through an index: Chinese, Japanese and Korean text as character bigrams

SQLite: `articles_fts_cjk` is an FTS5 index of the CJK runs of each article's title, body and
teaser (the columns of `articles_fts`), as overlapping character bigrams and a run's last
character alone (the format is archiver/archive/cjk.py's). It is contentless (`content=''`: it
keeps no text, only the index), and holds a row only for articles with some CJK character. The
`ascii` tokenizer splits the tokens at the spaces between them and leaves them as they are.

Triggers on articles keep it in step, as those of 0004 keep `articles_fts`: an insert indexes the
new values, an update whose tokens change deletes the old ones (a contentless index is told
exactly the tokens it holds, with the 'delete' command) and indexes the new, a delete deletes.
The teaser is `articles.teaser`, kept by the triggers of 0004 on listing_entries, so teaser
changes come through the update trigger; a teaser that is a part of the body is not indexed
(`token_columns`). The tokens come from the SQL function `archiver_cjk_grams`, which
every connection of the archiver registers; this migration registers it on its own connection
and indexes what the archive holds.

A later migration that recreates `articles` (batch mode on SQLite) must re-create these triggers
afterwards (see 0002), and one that changes `archiver_cjk_grams` must rebuild the index (drop,
create, fill), since its 'delete' commands must give the tokens the index holds.

PostgreSQL: nothing; CJK terms are matched there by a substring scan (archiver/research/search.py).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-10
"""

from alembic import op

from archiver.archive import cjk

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

BM25_WEIGHTS = "bm25(10.0, 1.0, 3.0)"
COLUMNS = ("title", "body", "teaser")


def token_columns(row: str) -> tuple[str, str, str]:
    """SQL for the index's title, body and teaser tokens of `row` (new, old, or a table's row).

    A teaser that is a part of the body (once a trailing "…", "..." or "[…]" is cut) is not
    indexed: whatever is found in it is found in the body, and then the teaser the store sets
    right after inserting an article (through the triggers on listing_entries) changes no token,
    so the article is not indexed a second time.
    """
    grams = cjk.FUNCTION
    teaser = (
        f"CASE WHEN instr(coalesce({row}.body, ''), rtrim({row}.teaser, ' .…[]')) > 0 THEN NULL "
        f"ELSE {grams}({row}.teaser) END"
    )
    return f"{grams}({row}.title)", f"{grams}({row}.body)", teaser


def tokens(row: str, prefix: str = "") -> str:
    """The token columns of `row`, named `prefix` + column."""
    return ", ".join(f"{sql} AS {prefix}{column}" for sql, column in zip(token_columns(row), COLUMNS))


def any_tokens(prefix: str) -> str:
    return "(" + " OR ".join(f"{prefix}{column} IS NOT NULL" for column in COLUMNS) + ")"


def changed() -> str:
    return "(old.id IS NOT new.id OR " + " OR ".join(f"o{c} IS NOT n{c}" for c in COLUMNS) + ")"


INSERT = "INSERT INTO articles_fts_cjk (rowid, title, body, teaser)"
DELETE = "INSERT INTO articles_fts_cjk (articles_fts_cjk, rowid, title, body, teaser)"
# MATERIALIZED: each column's tokens computed once, not again for the WHERE clause. A contentless
# index is told the tokens it holds to delete them: the same expressions on the old values.
INDEX_NEW = f"""{INSERT} WITH g AS MATERIALIZED (SELECT {tokens("new", "n")})
            SELECT new.id, ntitle, nbody, nteaser FROM g WHERE {any_tokens("n")};"""
UNINDEX_OLD = f"""{DELETE} WITH g AS MATERIALIZED (SELECT {tokens("old", "o")})
            SELECT 'delete', old.id, otitle, obody, oteaser FROM g WHERE {any_tokens("o")};"""
# An update re-indexes the article only when its tokens change (a teaser set, a Latin title fixed…).
BOTH = f"WITH g AS MATERIALIZED (SELECT {tokens('old', 'o')}, {tokens('new', 'n')})"
REINDEX = f"""{DELETE} {BOTH}
            SELECT 'delete', old.id, otitle, obody, oteaser FROM g WHERE {any_tokens("o")} AND {changed()};
            {INSERT} {BOTH}
            SELECT new.id, ntitle, nbody, nteaser FROM g WHERE {any_tokens("n")} AND {changed()};"""

SQLITE_TRIGGERS = {
    "articles_fts_cjk_insert": f"""
        CREATE TRIGGER articles_fts_cjk_insert AFTER INSERT ON articles BEGIN
            {INDEX_NEW}
        END""",
    "articles_fts_cjk_update": f"""
        CREATE TRIGGER articles_fts_cjk_update AFTER UPDATE OF id, title, body, teaser ON articles
        WHEN old.id IS NOT new.id OR old.title IS NOT new.title OR old.body IS NOT new.body
             OR old.teaser IS NOT new.teaser BEGIN
            {REINDEX}
        END""",
    "articles_fts_cjk_delete": f"""
        CREATE TRIGGER articles_fts_cjk_delete AFTER DELETE ON articles BEGIN
            {UNINDEX_OLD}
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
        f"{INSERT} SELECT id, ntitle, nbody, nteaser FROM (SELECT id, {tokens('articles', 'n')} FROM articles) "
        f"WHERE {any_tokens('n')}"
    )
    for sql in SQLITE_TRIGGERS.values():
        op.execute(sql)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS articles_fts_cjk")
