"""`archiver search --all-versions`: the full-text search of every version of every article.

The index of archiver/research/search.py covers what `articles` shows (each article's latest
text); `articles_fts_versions` (migration 0008) covers every version of the articles that were
edited. This search asks both and keeps one match per article: its latest text when that matches,
else its best-matching older version. A hit is the article, with the number of the version that
matched (`version`) and a snippet of that version's body.
The terms, filters (on the article) and ranking (bm25 on SQLite, ts_rank_cd on PostgreSQL) are the
plain search's; CJK terms are matched as substrings in the article and in its versions.
"""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import Connection

from archiver.research.search import (
    BM25_WEIGHTS,
    MARK,
    Hit,
    _filter_sql,
    _run,
    hit_with_snippet,
    is_cjk,
    match_condition,
    match_expression,
    substring_words,
)

#: What FTS5 query syntax leaves of the terms as words to show in a snippet.
_WORD = re.compile(r"[\w\u0080-\U0010ffff]+")
_OPERATORS = {"AND", "OR", "NOT", "NEAR"}

SQLITE_MATCHES = f"""
    SELECT articles_fts.rowid AS article_id, NULL AS version_id, bm25(articles_fts, {BM25_WEIGHTS}) AS rank
    FROM articles_fts WHERE articles_fts MATCH :q
    UNION ALL
    SELECT v.article_id, v.id, bm25(articles_fts_versions, {BM25_WEIGHTS})
    FROM articles_fts_versions JOIN article_versions v ON v.id = articles_fts_versions.rowid
    WHERE articles_fts_versions MATCH :q"""

POSTGRESQL_MATCHES = """
    SELECT f.article_id, NULL::integer AS version_id, -ts_rank_cd(f.document, websearch_to_tsquery('simple', :q), 32) AS rank
    FROM articles_fts f WHERE f.document @@ websearch_to_tsquery('simple', :q)
    UNION ALL
    SELECT v.article_id, v.id, -ts_rank_cd(f.document, websearch_to_tsquery('simple', :q), 32)
    FROM articles_fts_versions f JOIN article_versions v ON v.id = f.version_id
    WHERE f.document @@ websearch_to_tsquery('simple', :q)"""


def snippet_words(terms: str) -> list[str]:
    """The words of the terms, without the query syntax (for marking them in a snippet)."""
    return [w for w in _WORD.findall(terms) if w not in _OPERATORS and not re.fullmatch(r"\d+", w)]


def _params(terms: str, site, source, language, since, until) -> dict:
    return {
        "site": site,
        "source": source,
        "language": language,
        "since": since.isoformat() if since else None,
        "until": until.isoformat() if until else None,
    }


def _cjk_condition(connection: Connection, terms: str, params: dict) -> str:
    """An article whose text (through the search's own builder), or one of whose versions' text,
    holds every word of CJK terms (the versions by a scan: few articles have more than one)."""
    dialect = connection.dialect.name
    article, article_params = match_condition(terms, dialect=dialect)
    params.update(article_params)
    find = "strpos" if dialect == "postgresql" else "instr"
    haystack = "coalesce(v.title, '') || ' ' || coalesce(v.body, '')"
    words = substring_words(terms)
    params.update({f"version_w{n}": word for n, word in enumerate(words)})
    version = " AND ".join(f"{find}({haystack}, :version_w{n}) > 0" for n in range(len(words)))
    return f"(({article}) OR a.id IN (SELECT v.article_id FROM article_versions v WHERE {version}))"


def search_all_versions(
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
    snippet_width: int = 24,
) -> list[Hit]:
    """The best `limit` articles for `terms` in any version of their text, best first."""
    params = {**_params(terms, site, source, language, since, until), "limit": limit}
    filters = _filter_sql(connection, params)
    if is_cjk(terms):
        where = " AND ".join([_cjk_condition(connection, terms, params), *filters])
        sql = f"""
SELECT a.id AS article_id, a.published_on, a.site, a.source, a.title, a.url, a.body, a.versions AS version,
       0.0 AS rank
FROM articles a WHERE {where}
ORDER BY a.published_on IS NULL, a.published_on DESC, a.id
LIMIT :limit"""
        words = substring_words(terms)
    else:
        params["q"] = match_expression(terms)
        matches = POSTGRESQL_MATCHES if connection.dialect.name == "postgresql" else SQLITE_MATCHES
        sql = f"""
WITH matches AS ({matches}
),
best AS (
    SELECT article_id, version_id, rank,
           ROW_NUMBER() OVER (PARTITION BY article_id ORDER BY version_id IS NOT NULL, rank, version_id DESC) AS n
    FROM matches
)
SELECT a.id AS article_id, a.published_on, a.site, a.source, a.title, a.url,
       coalesce(v.body, a.body) AS body, coalesce(v.version, a.versions) AS version, best.rank AS rank
FROM best JOIN articles a ON a.id = best.article_id LEFT JOIN article_versions v ON v.id = best.version_id
WHERE {" AND ".join(["best.n = 1", *filters])}
ORDER BY best.rank, a.id
LIMIT :limit"""
        words = snippet_words(terms)
    return [
        hit_with_snippet(row, words, mark, snippet_width, -float(row.rank), row.version)
        for row in _run(connection, sql, params, terms)
    ]


def count_all_versions(
    connection: Connection,
    terms: str,
    *,
    site: str | None = None,
    source: str | None = None,
    language: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> int:
    """How many articles match `terms` in any version (what `search_all_versions` finds without a limit)."""
    params = _params(terms, site, source, language, since, until)
    filters = _filter_sql(connection, params)
    if is_cjk(terms):
        where = " AND ".join([_cjk_condition(connection, terms, params), *filters])
        sql = f"SELECT COUNT(*) FROM articles a WHERE {where}"
    else:
        params["q"] = match_expression(terms)
        matches = POSTGRESQL_MATCHES if connection.dialect.name == "postgresql" else SQLITE_MATCHES
        sql = f"SELECT COUNT(DISTINCT a.id) FROM ({matches}\n) m JOIN articles a ON a.id = m.article_id" + "".join(
            f" AND {condition}" for condition in filters
        )
    return int(_run(connection, sql, params, terms)[0][0])
