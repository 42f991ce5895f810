"""The archive's Datasette plugin: a search box that takes real words, best matches on request, charts.

`archiver browse` loads it (archiver/research/datasette_serve.py). It acts only on the databases whose
metadata name it (`"plugins": {"newsarchiver": {"search_table": "articles", …}}` in datasette.json):

- The search box (`?_search=` on `articles`, pages and JSON alike) goes through `archiver search`'s
  query builder, `search.match_condition`: `anti-DPRK`, `U.S.`, `"Kim Jong Un"`, `Pyongyang*` and
  CJK terms find what `archiver search` finds. (Datasette's own FTS search passes the terms to FTS5
  as they are, which reads `anti-DPRK` as a column filter: a request's `_search` is handed to this
  plugin as `_terms` before Datasette sees it, so the pages' own links carry `_terms`.) Terms that
  cannot be searched for are answered 400 with `archiver search`'s one-line message.
- Best matches first: `?_search=…&_sort=rank`, or the table's action "best matches first", opens the
  `search` canned query: `archiver search`'s hits, ranked, with snippets.
- SQL functions for the canned queries, answering in JSON (read with json_each):
  `archiver_search(terms, limit)`, the hits of `archiver search`; `archiver_counts(terms, since,
  until)`, matching articles per month per source, every month between the first and the last
  (or since/until) with a zero where none matched (archiver/research/series.py).
- The database page lists the `first_table` (articles) first; `/` opens the archive when it is the
  only database served.
"""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import date
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode

from datasette import hookimpl
from datasette.filters import FilterArguments
from datasette.utils import escape_sqlite, tilde_decode
from datasette.utils.asgi import Response
from sqlalchemy import Engine

from archiver.archive.readonly import open_readonly
from archiver.exceptions import SearchSyntaxError
from archiver.research.search import count_by, match_condition, search, syntax_error
from archiver.research.series import fill

NAME = "newsarchiver"
#: Where the search terms travel once the plugin took them from `_search` (see the module).
TERMS = "_terms"
#: The canned query of ranked hits, and how many hits it shows.
SEARCH_QUERY = "search"
SEARCH_LIMIT = 200
_TABLE_PATH = re.compile(r"^/(?P<database>[^/]+)/(?P<table>[^/.]+)(?P<format>\.\w+)?$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def config(datasette, database: str) -> dict | None:
    """The plugin's settings for `database`, None where its metadata does not name the plugin."""
    settings = datasette.plugin_config(NAME, database=database, fallback=False)
    return settings if isinstance(settings, dict) else None


def search_table(datasette, database: str) -> str | None:
    settings = config(datasette, database)
    return settings.get("search_table") if settings else None


def ranked_url(datasette, database: str, terms: str, format_: str | None = None, **extra: str) -> str:
    return datasette.urls.query(database, SEARCH_QUERY, format=format_) + "?" + urlencode({"terms": terms, **extra})


# The search box -----------------------------------------------------------------------------------
async def terms_problem(datasette, database: str, table: str, terms: str) -> str | None:
    """What is wrong with `terms` as `archiver search` says it, None when they can be searched for:
    the one builder's condition tried once on the database."""
    try:
        condition, params = match_condition(terms, table=escape_sqlite(table))
    except SearchSyntaxError as exc:
        return str(exc)
    sql = f"SELECT 1 FROM {escape_sqlite(table)} WHERE {condition} LIMIT 1"
    try:
        await datasette.get_database(database).execute_fn(lambda connection: connection.execute(sql, params).fetchall())
    except sqlite3.OperationalError as exc:
        error = syntax_error(terms, str(exc))
        if error is None:
            raise
        return str(error)
    return None


@hookimpl
def filters_from_request(request, database, table, datasette):
    terms = request.args.get(TERMS)
    if not terms or not terms.strip() or table != search_table(datasette, database):
        return None
    condition, params = match_condition(terms, table=escape_sqlite(table))  # checked by `rewrite`
    return FilterArguments([condition], params, [f'search matches "{terms}"'], {"search": terms})


@hookimpl
def table_actions(datasette, database, table, request):
    if request is None or table != search_table(datasette, database):
        return None
    terms = (request.args.get(TERMS) or "").strip()
    if terms:
        return [{"href": ranked_url(datasette, database, terms), "label": f"Best matches first for “{terms}”"}]
    return [{"href": datasette.urls.query(database, SEARCH_QUERY), "label": "Search, best matches first"}]


# Requests: the search box's terms, sort by rank, the front page -----------------------------------
def _archives(datasette) -> list[str]:
    return [name for name in datasette.databases if not name.startswith("_") and config(datasette, name)]


def _refusal(message: str, fmt: str | None) -> Response:
    """A 400 answer in the format asked for: one line of text, or Datasette's JSON error shape."""
    if fmt == "json":
        return Response.json({"ok": False, "error": message, "status": 400, "title": None}, status=400)
    return Response.text(message + "\n", status=400)


async def rewrite(datasette, scope: dict) -> dict | Response:
    """The request as the plugin hands it on (see the module), or the answer to give instead.

    Terms that cannot be searched for are refused here, with `archiver search`'s message, before
    Datasette runs anything (an SQL function's error would reach the page only as "user-defined
    function raised exception").
    """
    path = scope.get("path", "")
    archives = _archives(datasette)
    served = [name for name in datasette.databases if not name.startswith("_")]
    if path == "/" and len(archives) == 1 and served == archives:
        return Response.redirect(datasette.urls.database(archives[0]))
    match = _TABLE_PATH.match(path)
    if not match:
        return scope
    database, table = tilde_decode(match["database"]), tilde_decode(match["table"])
    settings = config(datasette, database) if database in datasette.databases else None
    if not settings or table not in (settings.get("search_table"), *settings.get("term_queries", {})):
        return scope
    fmt = (match["format"] or "").lstrip(".") or None
    pairs = parse_qsl(scope.get("query_string", b"").decode("utf-8", "replace"), keep_blank_values=True)
    given = dict(pairs)
    if table != settings["search_table"]:  # a canned query taking terms
        terms = given.get(settings["term_queries"][table], "")
        for name in ("since", "until"):
            try:
                _day(given.get(name))
            except ValueError as exc:
                return _refusal(f"{name}: {exc}", fmt)
    else:
        terms = given.get("_search", given.get(TERMS, ""))
    problem = await terms_problem(datasette, database, settings["search_table"], terms) if terms.strip() else None
    if problem:
        return _refusal(problem, fmt)
    if table != settings["search_table"]:
        return scope
    if "rank" in (given.get("_sort"), given.get("_sort_desc")):
        if not terms.strip():
            return _refusal("sort by rank needs search terms: add _search=… (e.g. ?_search=Pyongyang&_sort=rank)", fmt)
        shape = {"_shape": given["_shape"]} if "_shape" in given else {}
        return Response.redirect(ranked_url(datasette, database, terms.strip(), fmt, **shape))
    if "_search" not in given:
        return scope
    kept = [(key, value) for key, value in pairs if key not in ("_search", TERMS)]
    if terms.strip():
        kept.append((TERMS, terms.strip()))
    return {**scope, "query_string": urlencode(kept).encode("utf-8")}


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        async def plugin_app(scope, receive, send):
            if scope.get("type") == "http":
                answer = await rewrite(datasette, scope)
                if isinstance(answer, Response):
                    await answer.asgi_send(send)
                    return
                scope = answer
            await app(scope, receive, send)

        return plugin_app

    return wrap


# SQL functions for the canned queries -------------------------------------------------------------
@lru_cache(maxsize=8)
def _engine(path: str) -> Engine:
    """A read-only engine on the served file: the research functions take SQLAlchemy connections."""
    return open_readonly(f"sqlite:///{path}")


def _day(text: str | None) -> date | None:
    if not text or not text.strip():
        return None
    if not _DAY.match(text.strip()):
        raise ValueError(f"not a day (YYYY-MM-DD): {text!r}")
    return date.fromisoformat(text.strip())


def search_json(path: str, terms: str | None, limit: int | None) -> str:
    """`archiver search`'s best hits for `terms`: [{article_id, score, snippet}, …], best first."""
    if not terms or not terms.strip():
        return "[]"
    with _engine(path).connect() as connection:
        hits = search(connection, terms, limit=int(limit or SEARCH_LIMIT))
    return json.dumps([{"article_id": h.article_id, "score": h.score, "snippet": h.snippet} for h in hits])


def counts_json(path: str, terms: str | None, since: str | None, until: str | None) -> str:
    """Matching articles per month per source, zero-filled: [[month, source, articles], …]."""
    if not terms or not terms.strip():
        return "[]"
    first, last = _day(since), _day(until)
    with _engine(path).connect() as connection:
        rows = count_by(connection, terms, ("month", "source"), since=first, until=last)
    series = fill(rows, first=first.isoformat()[:7] if first else None, last=last.isoformat()[:7] if last else None)
    return json.dumps(series.rows(), ensure_ascii=False)


@hookimpl
def prepare_connection(conn, database, datasette):
    if config(datasette, database) is None:
        return
    path = datasette.get_database(database).path
    conn.create_function("archiver_search", 2, lambda terms, limit: search_json(path, terms, limit))
    conn.create_function("archiver_counts", 3, lambda terms, since, until: counts_json(path, terms, since, until))


# The database page: the first table first --------------------------------------------------------
FIRST_TABLE_SCRIPT = """
(function () {
  var first = %s;
  var blocks = Array.prototype.slice.call(document.querySelectorAll(".db-table"));
  var own = blocks.filter(function (block) {
    var link = block.querySelector("h3 a");
    return link && link.textContent === first;
  })[0];
  if (own && blocks[0] !== own) { blocks[0].parentNode.insertBefore(own, blocks[0]); }
})();
"""


@hookimpl
def extra_body_script(view_name, database, datasette):
    settings = config(datasette, database) if database else None
    if view_name != "database" or not settings or not settings.get("first_table"):
        return None
    return FIRST_TABLE_SCRIPT % json.dumps(settings["first_table"])
