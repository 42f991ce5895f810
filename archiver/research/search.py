"""Full-text search of the archive: from the user's terms to ranked hits with highlighted snippets.

Terms use the SQLite FTS5 query language: words (all must occur), "exact phrases", OR, NOT,
prefix*, NEAR(a b, 5), column filters (title: body: teaser:) and parentheses. A word with
punctuation inside ("anti-aircraft", "U.S.", "Kim's") is searched as a phrase, so it needs no
quoting. Hits are ranked by bm25 with a title match worth ten times a body match and a teaser
match three times; the snippet comes from the body.

Terms in Chinese, Japanese or Korean script are matched as substrings instead: FTS5's unicode61
tokenizer does not split CJK text into words (a whole clause is one token), so an index lookup
would find nothing. Every word of such terms must occur (no query syntax); the hits come newest
first, and the search reads the rows rather than the index (slower on a large archive).

`count()` and `count_by()` answer "how many articles match, per year / month / source / language".

`match_condition()` is the one query builder every search goes through (this module, `--count-by`,
and the Datasette plugin's search box, archiver/research/datasette_plugin.py): from the terms to an
SQL condition on an article's row.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
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
    version: int | None = (
        None  # `--all-versions`: the version whose text matched (archiver/research/versions_search.py)
    )

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


# Hiragana, katakana, CJK ideographs (and extension A, compatibility), Hangul syllables.
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]")
#: What `count_by` groups by, in the order given.
GROUPS = ("year", "month", "source", "language")


def is_cjk(terms: str) -> bool:
    """Whether the terms hold CJK script: then they are matched as substrings (see the module)."""
    return bool(_CJK.search(terms))


def substring_words(terms: str) -> list[str]:
    """The words of CJK terms, quotes and the FTS5 operators AND (implied anyway) dropped."""
    words = [w.strip('"') for w in terms.split()]
    words = [w for w in words if w and w != "AND"]
    if not words:
        raise SearchSyntaxError("nothing to search for")
    return words


def _substring_match(dialect: str, words: list[str], params: dict, table: str = "a") -> str:
    """SQL condition on `table`: every word occurs in the title, body or teaser."""
    find = "strpos({haystack}, {needle})" if dialect == "postgresql" else "instr({haystack}, {needle})"
    haystack = (
        f"coalesce({table}.title, '') || ' ' || coalesce({table}.body, '') || ' ' || coalesce({table}.teaser, '')"
    )
    conditions = []
    for number, word in enumerate(words):
        params[f"w{number}"] = word
        conditions.append(find.format(haystack=haystack, needle=f":w{number}") + " > 0")
    return " AND ".join(conditions)


def _filter_sql(connection: Connection, params: dict) -> list[str]:
    """Conditions on `a` for the filters given (site, source, language, since, until)."""
    postgresql = connection.dialect.name == "postgresql"
    conditions = []
    for name in FILTERS:
        if params.get(name) is None:
            continue
        condition = FILTERS[name]
        if postgresql and name in ("since", "until"):
            condition = condition.replace(f":{name}", f"CAST(:{name} AS date)")
        conditions.append(condition)
    return conditions


def match_condition(terms: str, *, dialect: str = "sqlite", table: str = "a") -> tuple[str, dict]:
    """The one query builder: an SQL condition that the row of `table` (the articles table or its
    alias) is an article matching `terms`, and the condition's parameters (named `q`, `w0`, `w1` …).

    Terms with CJK script are matched as substrings, other terms through the full-text index with
    punctuated words made phrases (`match_expression`). SearchSyntaxError for terms that hold
    nothing to search for; FTS5 reports other syntax errors when the condition runs.
    """
    params: dict = {}
    if is_cjk(terms):
        return _substring_match(dialect, substring_words(terms), params, table), params
    params["q"] = match_expression(terms)
    if dialect == "postgresql":
        condition = (
            "{t}.id IN (SELECT article_id FROM articles_fts WHERE document @@ websearch_to_tsquery('simple', :q))"
        )
    else:
        condition = "{t}.id IN (SELECT rowid FROM articles_fts WHERE articles_fts MATCH :q)"
    return condition.format(t=table), params


def _matching(connection: Connection, terms: str, params: dict) -> str:
    """SQL condition on `a`: the article matches `terms` (see `match_condition`)."""
    condition, own = match_condition(terms, dialect=connection.dialect.name)
    params.update(own)
    return condition


def _group_sql(connection: Connection, group: str) -> str:
    if group in ("year", "month"):
        if connection.dialect.name == "postgresql":
            return f"to_char(a.published_on, '{'YYYY' if group == 'year' else 'YYYY-MM'}')"
        return f"substr(a.published_on, 1, {4 if group == 'year' else 7})"
    return f"a.{group}"


def syntax_error(terms: str, message: str) -> SearchSyntaxError | None:
    """The user's error for a database error `message` on `terms`, None when it is not about the terms."""
    message = message.splitlines()[0] if message else ""
    if not any(sign in message for sign in _SYNTAX_ERRORS):
        return None
    hint = ' (quote phrases with "…"; AND, OR, NOT need terms on both sides)' if "syntax" in message else ""
    return SearchSyntaxError(f"cannot search for {terms!r}: {message}{hint}")


def _run(connection: Connection, sql: str, params: dict, terms: str):
    try:
        return connection.execute(text(sql), params).all()
    except OperationalError as exc:
        error = syntax_error(terms, str(exc.orig))
        if error:
            raise error from None
        raise


def count_by(
    connection: Connection,
    terms: str,
    by: Sequence[str],
    *,
    site: str | None = None,
    source: str | None = None,
    language: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> list[tuple]:
    """Articles matching `terms` that pass the filters, counted per value of each group in `by`
    ("year" is YYYY and "month" YYYY-MM of the publication date, None when undated): rows (*groups, articles),
    in group order (undated / no source last). With `by` empty: one row, the total."""
    unknown = [g for g in by if g not in GROUPS]
    if unknown:
        raise SearchSyntaxError(f"cannot count by {', '.join(unknown)} (choose from {', '.join(GROUPS)})")
    params: dict = {
        "site": site,
        "source": source,
        "language": language,
        "since": since.isoformat() if since else None,
        "until": until.isoformat() if until else None,
    }
    where = " AND ".join([_matching(connection, terms, params), *_filter_sql(connection, params)])
    groups = [_group_sql(connection, g) for g in by]
    select_list = ", ".join([*(f"{sql} AS {name}" for sql, name in zip(groups, by)), "COUNT(*) AS articles"])
    sql = f"SELECT {select_list} FROM articles a WHERE {where}"
    if groups:
        order = ", ".join(f"{g} IS NULL, {g}" for g in groups)
        sql += f" GROUP BY {', '.join(groups)} ORDER BY {order}"
    return [tuple(row) for row in _run(connection, sql, params, terms)]


def count(connection: Connection, terms: str, **filters) -> int:
    """How many articles match `terms` and pass the filters (what `search` would find without a limit)."""
    return int(count_by(connection, terms, (), **filters)[0][0])


def _snippet(text_: str | None, words: list[str], mark: tuple[str, str], width: int) -> str:
    """A window of the body around the first word found, each word marked (for CJK hits)."""
    body = _SPACES.sub(" ", text_ or "").strip()
    found = [body.find(w) for w in words if w in body]
    if not found:
        return body[: width * 2]
    start = max(min(found) - width, 0)
    window = body[start : start + width * 4]
    for word in words:
        window = window.replace(word, f"{mark[0]}{word}{mark[1]}")
    return ("…" if start else "") + window + ("…" if start + width * 4 < len(body) else "")


def _substring_search(connection: Connection, terms: str, params: dict, mark: tuple[str, str], words_: int) -> list:
    words = substring_words(terms)
    where = " AND ".join([_substring_match(connection.dialect.name, words, params), *_filter_sql(connection, params)])
    sql = f"""
SELECT a.id AS article_id, a.published_on, a.site, a.source, a.title, a.url, a.body
FROM articles a WHERE {where}
ORDER BY a.published_on IS NULL, a.published_on DESC, a.id
LIMIT :limit"""
    rows = _run(connection, sql, params, terms)
    return [
        Hit(
            published_on=row.published_on,
            site=row.site,
            source=row.source,
            title=row.title,
            url=row.url,
            snippet=_snippet(row.body, words, mark, words_),
            score=0.0,
            article_id=row.article_id,
        )
        for row in rows
    ]


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
    shards: int | None = None,
) -> list[Hit]:
    """The best `limit` articles for `terms` that pass the filters (dates inclusive), best first.

    On SQLite, `shards` > 1 ranks that many slices of the article ids on parallel connections and
    keeps the best of their bests (the same hits: bm25 weighs each term by the whole index, not by
    the slice); None picks it from the archive's size and the CPUs (`ranking_shards`).
    """
    params = {
        "q": terms if is_cjk(terms) else match_expression(terms),
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
    if is_cjk(terms):
        params.pop("q")
        return _substring_search(connection, terms, params, mark, snippet_words)
    if connection.dialect.name == "postgresql":
        sql = POSTGRESQL_SEARCH
    else:
        has_index = connection.execute(
            text("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = :name"), {"name": FILTER_INDEX}
        ).first()
        filters = [name for name in FILTERS if params[name] is not None]
        bounds = id_slices(connection, ranking_shards(connection) if shards is None else shards)
        if len(bounds) > 2:
            return _sharded_search(connection, terms, params, filters, bool(has_index), bounds)
        sql = sqlite_search_sql(filters, filter_index=bool(has_index))
    return [_hit(row, row.score) for row in _run(connection, sql, params, terms)]


def _hit(row, score: float) -> Hit:
    return Hit(
        published_on=row.published_on,
        site=row.site,
        source=row.source,
        title=row.title,
        url=row.url,
        snippet=_SPACES.sub(" ", row.snippet or "").strip(),
        score=round(score, 6),
        article_id=row.article_id,
    )


# Ranking in slices, on SQLite ----------------------------------------------------------------------
#: Article ids from which a search is ranked in slices on parallel connections: below it one
#: query takes a few milliseconds and the threads would cost more than they save.
SHARD_FROM_IDS = 200_000
MAX_SHARDS = 4


def id_range(connection: Connection) -> tuple[int | None, int | None]:
    # Two subqueries: SQLite answers a lone min() or max() from the index, not both in one SELECT.
    low, high = connection.execute(text("SELECT (SELECT min(id) FROM articles), (SELECT max(id) FROM articles)")).one()
    return low, high


def ranking_shards(connection: Connection) -> int:
    """How many slices to rank in: one per CPU (at most MAX_SHARDS) on a large file archive."""
    if connection.dialect.name != "sqlite" or (os.cpu_count() or 1) < 2:
        return 1
    low, high = id_range(connection)
    if low is None or high is None or high - low < SHARD_FROM_IDS:
        return 1
    if not connection.execute(text("SELECT file FROM pragma_database_list WHERE name = 'main'")).scalar():
        return 1  # an in-memory database: another connection would open another, empty one
    return min(os.cpu_count() or 1, MAX_SHARDS)


def id_slices(connection: Connection, shards: int) -> list[int]:
    """Bounds of `shards` equal slices of the article ids: slice i is [bounds[i], bounds[i + 1])."""
    if shards <= 1:
        return []
    low, high = id_range(connection)
    if low is None or high is None:
        return []
    return [low + (high + 1 - low) * i // shards for i in range(shards)] + [high + 1]


def _sharded_search(
    connection: Connection, terms: str, params: dict, filters: list[str], filter_index: bool, bounds: list[int]
) -> list[Hit]:
    best_sql = sqlite_best_sql(filters, filter_index=filter_index, sliced=True)
    engine = connection.engine

    def rank_slice(low: int, high: int) -> list:
        with engine.connect() as own:
            return list(_run(own, best_sql, {**params, "low": low, "high": high}, terms))

    with ThreadPoolExecutor(len(bounds) - 1, thread_name_prefix="search-slice") as pool:
        slices = list(pool.map(rank_slice, bounds[:-1], bounds[1:]))
    best = sorted((row for rows in slices for row in rows), key=lambda row: (row.rank, row.id))[: params["limit"]]
    if not best:
        return []
    rows = _run(connection, SQLITE_SHOW_SQL, {**params, "ids": json.dumps([row.id for row in best])}, terms)
    shown = {row.article_id: row for row in rows}
    return [_hit(shown[row.id], -row.rank) for row in best if row.id in shown]


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


def sqlite_best_sql(filters: list[str], *, filter_index: bool = True, sliced: bool = False) -> str:
    """The ranking alone, on ids: (id, rank) of the best `:limit`, of the ids in [:low, :high) if sliced.

    bm25() with the weights spelled out is a quarter faster than the `rank` column configured
    with the same weights (migration 0002, kept for researchers' own SQL). Without filters the
    full-text index alone ranks (joining articles for every match doubles the time); with
    filters each match is checked in the small covering index ix_articles_search_filters
    rather than in the articles' rows, bodies and all. FTS5 seeks a rowid range in its index.
    """
    conditions = ["articles_fts MATCH :q"]
    if sliced:
        conditions += ["articles_fts.rowid >= :low", "articles_fts.rowid < :high"]
    if filters:
        indexed = f" INDEXED BY {FILTER_INDEX}" if filter_index else ""
        source = f"articles_fts JOIN articles a{indexed} ON a.id = articles_fts.rowid"
        conditions += [FILTERS[name] for name in filters]
    else:
        source = "articles_fts"
    return f"""
    SELECT articles_fts.rowid AS id, {BM25} AS rank
    FROM {source}
    WHERE {" AND ".join(conditions)}
    ORDER BY rank, id
    LIMIT :limit"""


def sqlite_search_sql(filters: list[str], *, filter_index: bool = True) -> str:
    """The query for SQLite: rank first, on ids alone; snippets (costly) only for the hits shown.

    The CROSS JOINs fix the join order: the few best ids drive, so FTS5 seeks each one (rowid and
    MATCH). Left to itself, SQLite scanned every match a second time to find them (three times
    the cost of the ranking, at 150,000 matches).
    """
    return f"""
WITH best AS ({sqlite_best_sql(filters, filter_index=filter_index)}
)
SELECT a.id AS article_id, a.published_on, a.site, a.source, a.title, a.url, -best.rank AS score,
       snippet(articles_fts, 1, :open, :close, '…', :words) AS snippet
FROM best
CROSS JOIN articles_fts ON articles_fts.rowid = best.id AND articles_fts MATCH :q
CROSS JOIN articles a ON a.id = best.id
ORDER BY best.rank, best.id"""


# The hits to show, once the slices have ranked: the best ids (a JSON array, in order) with snippets.
SQLITE_SHOW_SQL = """
WITH best AS (SELECT CAST(value AS INTEGER) AS id, key AS position FROM json_each(:ids))
SELECT a.id AS article_id, a.published_on, a.site, a.source, a.title, a.url,
       snippet(articles_fts, 1, :open, :close, '…', :words) AS snippet
FROM best
CROSS JOIN articles_fts ON articles_fts.rowid = best.id AND articles_fts MATCH :q
CROSS JOIN articles a ON a.id = best.id
ORDER BY best.position"""


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
