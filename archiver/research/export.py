"""Articles out of the archive as flat records, streamed: one record per article with all its addresses.

Memory stays flat however large the archive: rows come from the database in batches
(`yield_per`; a server-side cursor on PostgreSQL), ordered by article, and each article's rows
(one per address) are folded into one record before the next article is read. On SQLite the
database writes each JSON line or CSV row itself (see `write_export`), several times faster.

Fields, in this order (EXPORT_FIELDS; docs/research.md describes them for researchers):
  id, site, source, language, published_on, title, subtitle, body, url, urls, dateline,
  dateline_place, dateline_on, date_raw, original_url, category, author, views, comments, tags,
  translation_group, content_hash, first_seen_at, last_seen_at
`url` is the address whose page gave the text; `urls` lists every address the article was found
under (reposts), earliest listed first.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import date
from itertools import groupby
from operator import itemgetter
from typing import Any, TextIO

from sqlalchemy import Connection, select, text

from archiver.archive.models import Article, ArticleUrl
from archiver.research.output import write_rows

ARTICLE_FIELDS = (
    "id",
    "site",
    "source",
    "language",
    "published_on",
    "title",
    "subtitle",
    "body",
    "url",
)
MORE_FIELDS = (
    "dateline",
    "dateline_place",
    "dateline_on",
    "date_raw",
    "original_url",
    "category",
    "author",
    "views",
    "comments",
    "tags",
    "translation_group",
    "content_hash",
    "first_seen_at",
    "last_seen_at",
)
EXPORT_FIELDS = (*ARTICLE_FIELDS, "urls", *MORE_FIELDS)


def iter_rows(
    connection: Connection,
    *,
    site: str | None = None,
    since: date | None = None,
    until: date | None = None,
    batch: int = 2000,
) -> Iterator[tuple]:
    """Every article (of `site`, published between `since` and `until` inclusive), by id, as a
    tuple of typed values in the order of EXPORT_FIELDS (the export on other databases than SQLite)."""
    stmt = (
        select(*(getattr(Article, name) for name in (*ARTICLE_FIELDS, *MORE_FIELDS)), ArticleUrl.url)
        .outerjoin(ArticleUrl, ArticleUrl.article_id == Article.id)
        .order_by(Article.id, ArticleUrl.listed_on.asc().nulls_last(), ArticleUrl.url)
    )
    if site:
        stmt = stmt.where(Article.site == site)
    if since:
        stmt = stmt.where(Article.published_on >= since)
    if until:
        stmt = stmt.where(Article.published_on <= until)
    # Options on the statement, not the connection (Connection.execution_options would change
    # the caller's connection for good).
    result = connection.execute(stmt.execution_options(yield_per=batch, stream_results=True))
    split = len(ARTICLE_FIELDS)
    for _, rows in groupby(result, key=itemgetter(0)):
        first = next(rows)
        urls = [first[-1], *(row[-1] for row in rows)] if first[-1] is not None else []  # noqa: B031
        yield (*first[:split], urls, *first[split:-1])


def iter_records(connection: Connection, **filters) -> Iterator[dict[str, Any]]:
    """The same articles as dicts keyed by EXPORT_FIELDS."""
    for row in iter_rows(connection, **filters):
        yield dict(zip(EXPORT_FIELDS, row))


# SQLite: the database writes the records itself ----------------------------------------------
# Building each JSON line (or CSV row) in SQLite's C code, with json_object, is several times
# faster than reading typed rows into Python and encoding them there. Same records, same order;
# the JSON is compact (no spaces after , and :).


def _iso_time(column: str) -> str:
    """SQL: a stored "YYYY-MM-DD HH:MM:SS.ffffff" as datetime.isoformat() writes it."""
    return f"replace(replace({column}, '.000000', ''), ' ', 'T')"


_SQLITE_VALUES = {
    "urls": "(SELECT json_group_array(url) FROM (SELECT u.url FROM article_urls u WHERE u.article_id = a.id "
    "ORDER BY u.listed_on IS NULL, u.listed_on, u.url))",
    # Tags are stored by json.dumps, non-ASCII as \u escapes: json_each/json_group_array write
    # those plainly (and only those: it costs a sixth of the export).
    "tags": "CASE WHEN a.tags IS NULL OR a.tags = 'null' THEN NULL WHEN instr(a.tags, '\\u') = 0 THEN a.tags "
    "ELSE (SELECT json_group_array(value) FROM json_each(a.tags)) END",
    "first_seen_at": _iso_time("a.first_seen_at"),
    "last_seen_at": _iso_time("a.last_seen_at"),
}
_SQLITE_FILTERS = {"site": "a.site = :site", "since": "a.published_on >= :since", "until": "a.published_on <= :until"}


def _sqlite_query(select_list: str, filters: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    given = {name: value for name, value in filters.items() if value}
    where = " AND ".join(_SQLITE_FILTERS[name] for name in given)
    params = {name: value.isoformat() if isinstance(value, date) else value for name, value in given.items()}
    return f"SELECT {select_list} FROM articles a{' WHERE ' + where if where else ''} ORDER BY a.id", params


def sqlite_json_lines(connection: Connection, batch: int = 2000, **filters) -> Iterator[str]:
    """Each article as one JSON object (text), written by SQLite."""
    pairs = ", ".join(
        f"'{name}', json({_SQLITE_VALUES[name]})"
        if name in ("urls", "tags")
        else f"'{name}', {_SQLITE_VALUES.get(name, 'a.' + name)}"
        for name in EXPORT_FIELDS
    )
    sql, params = _sqlite_query(f"json_object({pairs})", filters)
    result = connection.execute(text(sql).execution_options(yield_per=batch, stream_results=True), params)
    for (line,) in result:
        yield line


def sqlite_csv_rows(connection: Connection, batch: int = 2000, **filters) -> Iterator[tuple]:
    """Each article as a row of CSV cells (urls and tags as JSON text), read from SQLite."""
    select_list = ", ".join(_SQLITE_VALUES.get(name, "a." + name) for name in EXPORT_FIELDS)
    sql, params = _sqlite_query(select_list, filters)
    result = connection.execute(text(sql).execution_options(yield_per=batch, stream_results=True), params)
    yield from result


def write_export(connection: Connection, fmt: str, out: TextIO, **filters) -> int:
    """Write the export in `fmt` (jsonl or csv) to `out`; return how many articles."""
    if connection.dialect.name != "sqlite":
        return write_rows(EXPORT_FIELDS, iter_rows(connection, **filters), fmt, out)
    count = 0
    if fmt == "jsonl":
        for count, line in enumerate(sqlite_json_lines(connection, **filters), 1):  # noqa: B007 (count kept)
            out.write(line)
            out.write("\n")
    elif fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(EXPORT_FIELDS)
        for count, row in enumerate(sqlite_csv_rows(connection, **filters), 1):  # noqa: B007 (count kept)
            writer.writerow(row)
    else:
        raise ValueError(f"unknown export format: {fmt!r}")
    return count
