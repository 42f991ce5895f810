"""Articles out of the archive as flat records, streamed: one record per article with all its addresses.

Memory stays flat however large the archive: rows come from the database in batches
(`yield_per`; a server-side cursor on PostgreSQL), ordered by article, and each article's rows
(one per address) are folded into one record before the next article is read. On SQLite the
database writes each JSON line or CSV row itself (see `write_export`), several times faster.

Fields, in this order (EXPORT_FIELDS; docs/research.md describes them for researchers):
  id, site, source, language, published_on, title, subtitle, body, url, urls, dateline,
  dateline_place, dateline_on, date_raw, original_url, category, author, views, comments, tags,
  translation_group, content_hash, first_seen_at, last_seen_at, modified_on, versions, changed_at,
  removed_at, removal, removal_confirmed_at, restored_at
`url` is the address whose page gave the text; `urls` lists every address the article was found
under (reposts), earliest listed first.
"""

from __future__ import annotations

import csv
import queue
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date
from itertools import groupby
from operator import itemgetter
from typing import Any, TextIO

from sqlalchemy import Connection, func, select
from sqlalchemy.exc import DBAPIError

from archiver.archive.models import Article, ArticleUrl
from archiver.progress import Display
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
    # The record as it changed (revisits, issue 28) and the page's own update date (profiles).
    "modified_on",
    "versions",
    "changed_at",
    "removed_at",
    "removal",
    "removal_confirmed_at",
    "restored_at",
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


#: The timestamps among the fields.
TIMES = ("first_seen_at", "last_seen_at", "changed_at", "removed_at", "removal_confirmed_at", "restored_at")
_SQLITE_VALUES = {
    "urls": "(SELECT json_group_array(url) FROM (SELECT u.url FROM article_urls u WHERE u.article_id = a.id "
    "ORDER BY u.listed_on IS NULL, u.listed_on, u.url))",
    # Tags are stored by json.dumps, non-ASCII as \u escapes: json_each/json_group_array write
    # those plainly (and only those: it costs a sixth of the export).
    "tags": "CASE WHEN a.tags IS NULL OR a.tags = 'null' THEN NULL WHEN instr(a.tags, '\\u') = 0 THEN a.tags "
    "ELSE (SELECT json_group_array(value) FROM json_each(a.tags)) END",
    **{name: _iso_time(f"a.{name}") for name in TIMES},
}
_SQLITE_FILTERS = {"site": "a.site = :site", "since": "a.published_on >= :since", "until": "a.published_on <= :until"}


def _sqlite_query(select_list: str, filters: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    given = {name: value for name, value in filters.items() if value}
    where = " AND ".join(_SQLITE_FILTERS[name] for name in given)
    params = {name: value.isoformat() if isinstance(value, date) else value for name, value in given.items()}
    return f"SELECT {select_list} FROM articles a{' WHERE ' + where if where else ''} ORDER BY a.id", params


#: Batches read ahead of the writer (flat memory: a few megabytes).
READ_AHEAD = 4
_DONE = object()


def _sqlite_batches(
    connection: Connection, select_list: str, filters: dict[str, Any], batch: int
) -> Iterator[Sequence[Any]]:
    """The query's rows in lists of `batch`, read by a thread of their own from the DBAPI cursor.

    At a million rows of several kilobytes each, SQLAlchemy's Result (a Row per row, streamed)
    took as long as SQLite building the JSON; the plain cursor's fetchmany costs next to nothing.
    SQLite releases the GIL while it builds rows, so reading ahead in a thread lets it build the
    next batches while this one is written. Database errors come as SQLAlchemy's DBAPIError, as
    from any other query.
    """
    sql, params = _sqlite_query(select_list, filters)
    cursor = connection.connection.cursor()  # the pool's DBAPI connection: Connection.connection
    batches: queue.Queue = queue.Queue(maxsize=READ_AHEAD)
    stop = threading.Event()

    def read() -> None:
        try:
            cursor.execute(sql, params)
            while not stop.is_set():
                rows = cursor.fetchmany(batch)
                batches.put(rows or _DONE)
                if not rows:
                    return
        except Exception as exc:  # handed to the reader, raised there
            batches.put(exc)

    reader = threading.Thread(target=read, name="export-read-ahead", daemon=True)
    reader.start()
    try:
        while (rows := batches.get()) is not _DONE:
            if isinstance(rows, sqlite3.Error):
                raise DBAPIError.instance(sql, params, rows, sqlite3.Error) from None
            if isinstance(rows, Exception):
                raise rows
            yield rows
    finally:
        stop.set()
        while reader.is_alive():  # let a reader blocked on a full queue see the stop
            try:
                batches.get(timeout=0.05)
            except queue.Empty:
                pass
        cursor.close()


def sqlite_json_lines(connection: Connection, batch: int = 500, **filters) -> Iterator[list[str]]:
    """The articles as JSON objects (text, written by SQLite), in lists of `batch`."""
    pairs = ", ".join(
        f"'{name}', json({_SQLITE_VALUES[name]})"
        if name in ("urls", "tags")
        else f"'{name}', {_SQLITE_VALUES.get(name, 'a.' + name)}"
        for name in EXPORT_FIELDS
    )
    for rows in _sqlite_batches(connection, f"json_object({pairs})", filters, batch):
        yield [line for (line,) in rows]


def sqlite_csv_rows(connection: Connection, batch: int = 500, **filters) -> Iterator[Sequence[Any]]:
    """The articles as rows of CSV cells (urls and tags as JSON text), read from SQLite, in lists of `batch`."""
    select_list = ", ".join(_SQLITE_VALUES.get(name, "a." + name) for name in EXPORT_FIELDS)
    yield from _sqlite_batches(connection, select_list, filters, batch)


def count_articles(connection: Connection, **filters) -> int:
    """How many articles the export with these filters writes."""
    stmt = select(func.count()).select_from(Article)
    if filters.get("site"):
        stmt = stmt.where(Article.site == filters["site"])
    if filters.get("since"):
        stmt = stmt.where(Article.published_on >= filters["since"])
    if filters.get("until"):
        stmt = stmt.where(Article.published_on <= filters["until"])
    return int(connection.scalar(stmt) or 0)


class ExportProgress:
    """Articles written of all, on `stream` (archiver/progress.py: a bar on a terminal, else a line every
    `interval` seconds); the count costs one query, made only when progress is shown."""

    def __init__(self, connection: Connection, stream: TextIO, filters: dict, interval: float = 30.0) -> None:
        self.total = count_articles(connection, **filters)
        self.display = Display(stream, interval=interval)
        self.task = self.display.task("export", "articles")

    def __call__(self, written: int) -> None:
        self.task.update(written, self.total)

    def close(self, written: int) -> None:
        if self.display.terminal:  # the bar at its end; a pipe has the "N articles written" line instead
            self.task.update(written, self.total, final=True)
        self.display.close()


def counted(rows: Iterable[tuple], progress: Callable[[int], None], every: int = 500) -> Iterator[tuple]:
    for number, row in enumerate(rows, 1):
        yield row
        if number % every == 0:
            progress(number)


def write_export(connection: Connection, fmt: str, out: TextIO, *, progress: TextIO | None = None, **filters) -> int:
    """Write the export in `fmt` (jsonl or csv) to `out`; return how many articles. With `progress`,
    show how far it has come there."""
    shown = ExportProgress(connection, progress, filters) if progress is not None else None
    step: Callable[[int], None] = shown or (lambda written: None)
    count = 0
    try:
        if connection.dialect.name != "sqlite":
            count = write_rows(EXPORT_FIELDS, counted(iter_rows(connection, **filters), step), fmt, out)
        elif fmt == "jsonl":
            for lines in sqlite_json_lines(connection, **filters):
                out.write("\n".join(lines))
                out.write("\n")
                count += len(lines)
                step(count)
        elif fmt == "csv":
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(EXPORT_FIELDS)
            for rows in sqlite_csv_rows(connection, **filters):
                writer.writerows(rows)
                count += len(rows)
                step(count)
        else:
            raise ValueError(f"unknown export format: {fmt!r}")
    finally:
        if shown is not None:
            shown.close(count)
    return count
