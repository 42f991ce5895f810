"""Full-text search of the archive: from the user's terms to ranked hits with highlighted snippets.

Terms use the SQLite FTS5 query language: words (all must occur), "exact phrases", OR, NOT,
prefix*, NEAR(a b, 5), column filters (title: body: teaser:) and parentheses. A word with
punctuation inside ("anti-aircraft", "U.S.", "Kim's") is searched as a phrase, so it needs no
quoting. Hits are ranked by bm25 with a title match worth ten times a body match and a teaser
match three times; the snippet comes from the body.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, text
from sqlalchemy.exc import OperationalError

from archiver.exceptions import SearchSyntaxError

HIT_COLUMNS = ("published_on", "site", "source", "title", "url", "snippet", "score", "article_id")
MARK = ("**", "**")

# A double-quoted phrase, a parenthesis, a comma, or a run of anything else up to the next of these.
_CHUNK = re.compile(r'"(?:[^"]|"")*"?|[(),]|[^\s"(),]+')
# What FTS5 reads as query syntax without quotes: barewords (letters, digits, _, any non-ASCII),
# with an optional column filter before them, a prefix star after, or a ^ (start of column).
_BAREWORD = r"[\w\u0080-\U0010ffff]+"
_SYNTAX = re.compile(rf"^-?(?:{_BAREWORD}:|\{{[^}}]*\}}:)?\^?(?:{_BAREWORD}\*?)?$|^[+*]$")
_SPACES = re.compile(r"\s+")
_SYNTAX_ERRORS = (
    "fts5:",
    "syntax error",
    "unterminated string",
    "no such column",
    "malformed MATCH",
    "unknown special query",
)


@dataclass(frozen=True)
class Hit:
    published_on: date | str | None
    site: str
    source: str | None
    title: str | None
    url: str
    snippet: str
    score: float
    article_id: int

    def row(self) -> tuple:
        return tuple(getattr(self, name) for name in HIT_COLUMNS)


def match_expression(terms: str) -> str:
    """The FTS5 query for `terms`: chunks with punctuation FTS5 would reject become phrases."""
    chunks: list[str] = []
    near = 0  # parentheses open since NEAR(, where a comma separates the phrases from the distance
    for chunk in _CHUNK.findall(terms):
        if chunk == "(":
            near += 1 if near or (chunks and chunks[-1] == "NEAR") else 0
        elif chunk == ")":
            near = max(near - 1, 0)
        if chunk == ",":
            if near:
                chunks.append(chunk)
        elif chunk.startswith('"') or chunk in ("(", ")") or _SYNTAX.match(chunk):
            chunks.append(chunk)
        else:
            chunks.append('"' + chunk.replace('"', '""') + '"')
    expression = " ".join(chunks)
    if not expression.strip():
        raise SearchSyntaxError("nothing to search for")
    return expression


def search(
    connection: Connection,
    terms: str,
    *,
    site: str | None = None,
    source: str | None = None,
    language: str | None = None,
    since: date | None = None,
    until: date | None = None,
    limit: int = 20,
    mark: tuple[str, str] = MARK,
    snippet_words: int = 24,
) -> list[Hit]:
    """The best `limit` articles for `terms` that pass the filters (dates inclusive), best first."""
    params = {
        "q": match_expression(terms),
        "site": site,
        "source": source,
        "language": language,
        "since": since.isoformat() if since else None,
        "until": until.isoformat() if until else None,
        "limit": limit,
        "open": mark[0],
        "close": mark[1],
        "words": snippet_words,
    }
    if connection.dialect.name == "postgresql":
        sql = POSTGRESQL_SEARCH
    else:
        has_index = connection.execute(
            text("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = :name"), {"name": FILTER_INDEX}
        ).first()
        sql = sqlite_search_sql([name for name in FILTERS if params[name] is not None], filter_index=bool(has_index))
    try:
        rows = connection.execute(text(sql), params).all()
    except OperationalError as exc:
        message = str(exc.orig).splitlines()[0]
        if any(sign in message for sign in _SYNTAX_ERRORS):
            hint = ' (quote phrases with "…"; AND, OR, NOT need terms on both sides)' if "syntax" in message else ""
            raise SearchSyntaxError(f"cannot search for {terms!r}: {message}{hint}") from None
        raise
    return [
        Hit(
            published_on=row.published_on,
            site=row.site,
            source=row.source,
            title=row.title,
            url=row.url,
            snippet=_SPACES.sub(" ", row.snippet or "").strip(),
            score=round(row.score, 6),
            article_id=row.article_id,
        )
        for row in rows
    ]


# The PostgreSQL query's filters: all of them, a NULL parameter meaning "any".
_FILTERS = """
    AND (:site IS NULL OR a.site = :site)
    AND (:source IS NULL OR a.source = :source)
    AND (:language IS NULL OR a.language = :language)
    AND (:since IS NULL OR a.published_on >= :since)
    AND (:until IS NULL OR a.published_on <= :until)"""

FILTERS = {
    "site": "a.site = :site",
    "source": "a.source = :source",
    "language": "a.language = :language",
    "since": "a.published_on >= :since",
    "until": "a.published_on <= :until",
}
BM25 = "bm25(articles_fts, 10.0, 1.0, 3.0)"
FILTER_INDEX = "ix_articles_search_filters"


def sqlite_search_sql(filters: list[str], *, filter_index: bool = True) -> str:
    """The query for SQLite: rank first, on ids alone; snippets (costly) only for the hits shown.

    bm25() with the weights spelled out is a quarter faster than the `rank` column configured
    with the same weights (migration 0002, kept for researchers' own SQL). Without filters the
    full-text index alone ranks (joining articles for every match doubles the time); with
    filters each match is checked in the small covering index ix_articles_search_filters
    rather than in the articles' rows, bodies and all.
    """
    if filters:
        indexed = f" INDEXED BY {FILTER_INDEX}" if filter_index else ""
        best = f"""
    SELECT articles_fts.rowid AS id, {BM25} AS rank
    FROM articles_fts JOIN articles a{indexed} ON a.id = articles_fts.rowid
    WHERE articles_fts MATCH :q AND {" AND ".join(FILTERS[name] for name in filters)}"""
    else:
        best = f"""
    SELECT articles_fts.rowid AS id, {BM25} AS rank FROM articles_fts WHERE articles_fts MATCH :q"""
    return f"""
WITH best AS ({best}
    ORDER BY rank, id
    LIMIT :limit
)
SELECT a.id AS article_id, a.published_on, a.site, a.source, a.title, a.url, -best.rank AS score,
       snippet(articles_fts, 1, :open, :close, '…', :words) AS snippet
FROM best
JOIN articles_fts ON articles_fts.rowid = best.id AND articles_fts MATCH :q
JOIN articles a ON a.id = best.id
ORDER BY best.rank, best.id"""


# PostgreSQL cannot infer the type of a parameter that is only compared with NULL: cast each one.
_POSTGRESQL_FILTERS = (
    _FILTERS.replace(":site", "CAST(:site AS text)")
    .replace(":source", "CAST(:source AS text)")
    .replace(":language", "CAST(:language AS text)")
    .replace(":since", "CAST(:since AS date)")
    .replace(":until", "CAST(:until AS date)")
)

# The PostgreSQL counterpart over the tsvector of migration 0002. It takes websearch syntax
# ("phrase", OR, -word) instead of FTS5's. (Issue 10: the parameter casts above made it run;
# tests/test_postgres.py searches a PostgreSQL archive.)
POSTGRESQL_SEARCH = f"""
WITH query AS (SELECT websearch_to_tsquery('simple', :q) AS q),
best AS (
    SELECT f.article_id AS id, ts_rank_cd(f.document, query.q, 32) AS rank
    FROM articles_fts f JOIN articles a ON a.id = f.article_id, query
    WHERE f.document @@ query.q {_POSTGRESQL_FILTERS}
    ORDER BY rank DESC, f.article_id
    LIMIT :limit
)
SELECT a.id AS article_id, a.published_on, a.site, a.source, a.title, a.url, best.rank AS score,
       ts_headline('simple', coalesce(a.body, ''), query.q,
                   'StartSel=' || CAST(:open AS text) || ', StopSel=' || CAST(:close AS text)
                   || ', MaxWords=' || CAST(:words AS text)) AS snippet
FROM best JOIN articles a ON a.id = best.id, query
ORDER BY best.rank DESC, best.id"""
