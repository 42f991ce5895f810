"""Full-text search of the archive: from the user's terms to ranked hits with highlighted snippets.

Terms use the SQLite FTS5 query language: words (all must occur), "exact phrases", OR, NOT,
prefix*, NEAR(a b, 5), column filters (title: body: teaser:) and parentheses. A word with
punctuation inside ("anti-aircraft", "U.S.", "Kim's") is searched as a phrase, so it needs no
quoting. Hits are ranked by bm25 with a title match worth ten times a body match and a teaser
match three times; the snippet comes from the body.

Terms in Chinese, Japanese or Korean script are matched as substrings instead: every word of
such terms must occur as typed (no query syntax: quotes and AND are dropped). FTS5's unicode61
tokenizer takes a run of CJK text (a whole Chinese clause, a Korean word with its particle) for one
token, so on SQLite these terms go to a second index, `articles_fts_cjk`, of character bigrams
(archiver/archive/cjk.py): it finds exactly the articles that hold each word's CJK runs, and a word
with other characters in it (`KCNA조선`) is then checked against those articles' text alone. The
hits are ranked by bm25 over the bigrams, with the same weights; the snippet is cut from the body
around the first word found. On PostgreSQL, CJK terms are found by scanning the rows (newest first).

`match_condition()` is the one query builder: the SQL condition "this article matches the terms"
that `search`, `count`, `count_by`, `--count-by` and Datasette's search box (the plugin,
archiver/research/datasette_plugin.py) filter by.
`count()` and `count_by()` answer "how many articles match, per year / month / source / language".
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

from archiver.archive import cjk
from archiver.exceptions import SearchSyntaxError

HIT_COLUMNS = ("published_on", "site", "source", "title", "url", "snippet", "score", "article_id")
MARK = ("**", "**")

# A double-quoted phrase, a parenthesis, a comma, or a run of anything else up to the next of these.
_CHUNK = re.compile(r'"(?:[^"]|"")*"?|[(),]|[^\s"(),]+')
# What FTS5 reads as query syntax without quotes: barewords (letters, digits, _, any non-ASCII),
# with an optional column filter before them, a prefix star after, or a ^ (start of column).
_BAREWORD = r"[\w\u0080-\U0010ffff]+"
_SYNTAX = re.compile(rf"^-?(?:{_BAREWORD}:|\{{[^}}]*\}}:)?\^?(?:{_BAREWORD}\*?)?$|^[+*]$")
#: A column filter before a word that needs quoting (`title:anti-DPRK`, `-body:U.S.`, `{title body}:x`).
_COLUMN = re.compile(r"^-?(?:title|body|teaser|\{[^}]*\}):", re.IGNORECASE)
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
        elif (column := _COLUMN.match(chunk)) and column.end() < len(chunk):
            # `title:anti-DPRK`: the filter kept, the word after it a phrase.
            chunks.append(column.group(0) + '"' + chunk[column.end() :].replace('"', '""') + '"')
        else:
            chunks.append('"' + chunk.replace('"', '""') + '"')
    expression = " ".join(chunks)
    if not expression.strip():
        raise SearchSyntaxError("nothing to search for")
    return expression


#: What `count_by` groups by, in the order given.
GROUPS = ("year", "month", "source", "language")
#: The full-text index (migrations 0002, 0004) and the CJK bigram index (migration 0010).
TEXT_INDEX = "articles_fts"
CJK_INDEX = "articles_fts_cjk"
# What a CJK word is looked for in, as the substring scan sees an article. On PostgreSQL the
# indexed teaser is kept in articles_fts (migration 0002), not in articles.teaser.
_HAYSTACK = "coalesce({t}.title, '') || ' ' || coalesce({t}.body, '') || ' ' || coalesce({teaser}, '')"
_TEASER = {
    "sqlite": "{t}.teaser",
    "postgresql": "(SELECT f.teaser FROM articles_fts f WHERE f.article_id = {t}.id)",
}


def is_cjk(terms: str) -> bool:
    """Whether the terms hold CJK script (archiver.archive.cjk.CJK_CLASS): then they are matched
    as substrings (see the module)."""
    return cjk.has_cjk(terms)


def substring_words(terms: str) -> list[str]:
    """The words of CJK terms, quotes and the FTS5 operators AND (implied anyway) dropped."""
    words = [w.strip('"') for w in terms.split()]
    words = [w for w in words if w and w != "AND"]
    if not words:
        raise SearchSyntaxError("nothing to search for")
    return words


def substring_condition(
    words: Sequence[str], *, dialect: str = "sqlite", table: str = "a"
) -> tuple[str, dict[str, str]]:
    """SQL condition on `table` (articles or its alias) that every word occurs, as typed, in the
    title, body or teaser — a scan of the rows — and its parameters (`match_w0`, `match_w1`, …)."""
    find = "strpos" if dialect == "postgresql" else "instr"
    haystack = _HAYSTACK.format(t=table, teaser=_TEASER[dialect].format(t=table))
    params = {f"match_w{number}": word for number, word in enumerate(words)}
    return " AND ".join(f"{find}({haystack}, :{name}) > 0" for name in params), params


def match_condition(terms: str, *, dialect: str = "sqlite", table: str = "a") -> tuple[str, dict[str, str]]:
    """The query builder: the SQL condition that an article (a row of `table`: `articles` or its
    alias) matches `terms`, and its parameters (named `match_…`), on `dialect` ("sqlite" or
    "postgresql"). `search`, `count`, `count_by` and Datasette's search box filter by it.

    Terms without CJK go to the full-text index in its query language; CJK terms must each occur
    as substrings: on SQLite the bigram index finds their CJK runs, and the words with other
    characters too are checked against the text (see the module); on PostgreSQL a scan.
    SearchSyntaxError when there is nothing to search for.
    """
    if not is_cjk(terms):
        params = {"match_q": match_expression(terms)}
        if dialect == "postgresql":
            fts = "SELECT article_id FROM articles_fts WHERE document @@ websearch_to_tsquery('simple', :match_q)"
        else:
            fts = f"SELECT rowid FROM {TEXT_INDEX} WHERE {TEXT_INDEX} MATCH :match_q"
        return f"{table}.id IN ({fts})", params
    words = substring_words(terms)
    if dialect == "postgresql":
        return substring_condition(words, dialect=dialect, table=table)
    match, check = cjk.match_runs(words)
    condition = f"{table}.id IN (SELECT rowid FROM {CJK_INDEX} WHERE {CJK_INDEX} MATCH :match_q)"
    params = {"match_q": match}
    if check:
        checked, check_params = substring_condition(check, table=table)
        condition, params = f"{condition} AND {checked}", {**params, **check_params}
    return condition, params


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
    condition, match_params = match_condition(terms, dialect=connection.dialect.name)
    params.update(match_params)
    where = " AND ".join([condition, *_filter_sql(connection, params)])
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


def _scan_search(connection: Connection, terms: str, params: dict, mark: tuple[str, str], width: int) -> list[Hit]:
    """CJK terms on PostgreSQL: the newest `limit` articles holding every word (a scan of the rows)."""
    words = substring_words(terms)
    condition, match_params = substring_condition(words, dialect=connection.dialect.name)
    params = {**params, **match_params}
    where = " AND ".join([condition, *_filter_sql(connection, params)])
    sql = f"""
SELECT a.id AS article_id, a.published_on, a.site, a.source, a.title, a.url, a.body
FROM articles a WHERE {where}
ORDER BY a.published_on IS NULL, a.published_on DESC, a.id
LIMIT :limit"""
    return [hit_with_snippet(row, words, mark, width) for row in _run(connection, sql, params, terms)]


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
    params: dict = {
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
        if connection.dialect.name == "postgresql":
            return _scan_search(connection, terms, params, mark, snippet_words)
        return _cjk_search(connection, terms, params, mark, snippet_words, shards)
    params["q"] = match_expression(terms)
    if connection.dialect.name == "postgresql":
        sql = POSTGRESQL_SEARCH
    else:
        filters = [name for name in FILTERS if params[name] is not None]
        bounds = id_slices(connection, ranking_shards(connection) if shards is None else shards)
        if len(bounds) > 2:
            return _sharded_search(connection, terms, params, filters, _has_filter_index(connection), bounds)
        sql = sqlite_search_sql(filters, filter_index=_has_filter_index(connection))
    return [_hit(row, row.score) for row in _run(connection, sql, params, terms)]


def _has_filter_index(connection: Connection) -> bool:
    return bool(
        connection.execute(
            text("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = :name"), {"name": FILTER_INDEX}
        ).first()
    )


def _cjk_search(
    connection: Connection, terms: str, params: dict, mark: tuple[str, str], width: int, shards: int | None
) -> list[Hit]:
    """CJK terms on SQLite: ranked through the bigram index, like other terms through theirs (in
    slices on a large archive); the words the index alone cannot decide checked against the text."""
    words = substring_words(terms)
    match, check = cjk.match_runs(words)
    checked, check_params = substring_condition(check) if check else ("", {})
    params = {**params, **check_params, "q": match}
    filters = [name for name in FILTERS if params[name] is not None]
    conditions = [checked] if check else []
    filter_index = _has_filter_index(connection)
    bounds = id_slices(connection, ranking_shards(connection) if shards is None else shards)
    sliced = len(bounds) > 2
    best_sql = sqlite_best_sql(
        filters, filter_index=filter_index, sliced=sliced, index=CJK_INDEX, conditions=conditions
    )
    if sliced:
        best = _best_in_slices(connection, terms, params, best_sql, bounds)
    else:
        best = list(_run(connection, best_sql, params, terms))
    if not best:
        return []
    rows = _run(connection, CJK_SHOW_SQL, {"ids": json.dumps([row.id for row in best])}, terms)
    shown = {row.article_id: row for row in rows}
    return [
        hit_with_snippet(row, words, mark, width, -ranked.rank)
        for ranked in best
        if (row := shown.get(ranked.id)) is not None
    ]


def hit_with_snippet(
    row, words: list[str], mark: tuple[str, str], width: int, score: float = 0.0, version: int | None = None
) -> Hit:
    """A hit from a row of an article (`article_id, published_on, site, source, title, url, body`), its
    snippet cut from the body around the words (for hits the index gives no snippet of: CJK, versions)."""
    return Hit(
        published_on=row.published_on,
        site=row.site,
        source=row.source,
        title=row.title,
        url=row.url,
        snippet=_snippet(row.body, words, mark, width),
        score=round(score, 6),
        article_id=row.article_id,
        version=version,
    )


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


def _best_in_slices(connection: Connection, terms: str, params: dict, best_sql: str, bounds: list[int]) -> list:
    """The best `limit` (id, rank) rows of `best_sql` (sliced) over the slices, each ranked on its own connection."""
    engine = connection.engine

    def rank_slice(low: int, high: int) -> list:
        with engine.connect() as own:
            return list(_run(own, best_sql, {**params, "low": low, "high": high}, terms))

    with ThreadPoolExecutor(len(bounds) - 1, thread_name_prefix="search-slice") as pool:
        slices = list(pool.map(rank_slice, bounds[:-1], bounds[1:]))
    return sorted((row for rows in slices for row in rows), key=lambda row: (row.rank, row.id))[: params["limit"]]


def _sharded_search(
    connection: Connection, terms: str, params: dict, filters: list[str], filter_index: bool, bounds: list[int]
) -> list[Hit]:
    best_sql = sqlite_best_sql(filters, filter_index=filter_index, sliced=True)
    best = _best_in_slices(connection, terms, params, best_sql, bounds)
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
#: bm25 weights of the title, body and teaser columns (of both indexes).
BM25_WEIGHTS = "10.0, 1.0, 3.0"
FILTER_INDEX = "ix_articles_search_filters"


def sqlite_best_sql(
    filters: list[str],
    *,
    filter_index: bool = True,
    sliced: bool = False,
    index: str = TEXT_INDEX,
    conditions: Sequence[str] = (),
) -> str:
    """The ranking alone, on ids: (id, rank) of the best `:limit`, of the ids in [:low, :high) if sliced.

    `index` is the full-text index that matches `:q` (the text's or the CJK bigrams'); `conditions`
    on the article's row `a` (the words checked against its text) make it read the rows.

    bm25() with the weights spelled out is a quarter faster than the `rank` column configured
    with the same weights (migration 0002, kept for researchers' own SQL). Without filters the
    full-text index alone ranks (joining articles for every match doubles the time); with
    filters each match is checked in the small covering index ix_articles_search_filters
    rather than in the articles' rows, bodies and all. FTS5 seeks a rowid range in its index.
    """
    where = [f"{index} MATCH :q"]
    if sliced:
        where += [f"{index}.rowid >= :low", f"{index}.rowid < :high"]
    if filters or conditions:
        indexed = f" INDEXED BY {FILTER_INDEX}" if filter_index and not conditions else ""
        source = f"{index} JOIN articles a{indexed} ON a.id = {index}.rowid"
        where += [FILTERS[name] for name in filters] + list(conditions)
    else:
        source = index
    return f"""
    SELECT {index}.rowid AS id, bm25({index}, {BM25_WEIGHTS}) AS rank
    FROM {source}
    WHERE {" AND ".join(where)}
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


# The CJK hits to show, once ranked: the best ids (a JSON array, in order) with their bodies, for snippets.
CJK_SHOW_SQL = """
WITH best AS (SELECT CAST(value AS INTEGER) AS id, key AS position FROM json_each(:ids))
SELECT a.id AS article_id, a.published_on, a.site, a.source, a.title, a.url, a.body
FROM best
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
