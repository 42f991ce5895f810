"""`archiver sql "SELECT …"`: run one SQL query on the archive, read-only, and print the rows.

The database is opened read-only (see archiver/archive/readonly.py): a statement that would change
anything is refused with a one-line error naming what was refused, and nothing is written. A query
has a time limit (--timeout) and stops at once on Ctrl-C (SQLite's progress handler); the table
format shows at most --max-rows rows, with a note, while csv and jsonl stream every row.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
from contextlib import nullcontext

from sqlalchemy.exc import DBAPIError, ResourceClosedError

from archiver.archive.readonly import (
    QueryLimits,
    database_error,
    is_write_refusal,
    open_readonly,
    refused_statement,
)
from archiver.cli.options import add_db_option, add_format_option, non_negative
from archiver.exceptions import UsageError
from archiver.research.output import reader_went_away, write_rows


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "sql",
        help="run a read-only SQL query on the archive",
        description="Run one SQL statement on the archive, read-only. Tables: articles, article_urls, "
        "listing_entries, crawl_runs, pages, page_bodies; views: article_addresses, article_overview; "
        "full-text indexes: articles_fts, articles_fts_cjk (Chinese, Japanese, Korean as character pairs).",
    )
    parser.add_argument("query", metavar="SQL", help='one statement, e.g. "SELECT COUNT(*) FROM articles"')
    add_format_option(parser)
    parser.add_argument(
        "--max-width", type=non_negative, default=60, metavar="N", help="cut table cells to N characters (0: never)"
    )
    parser.add_argument(
        "--timeout",
        type=seconds,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"stop the query after this many seconds (default: {DEFAULT_TIMEOUT:g}; 0: no limit)",
    )
    parser.add_argument(
        "--max-rows",
        type=non_negative,
        default=DEFAULT_TABLE_ROWS,
        metavar="N",
        help=f"the table format shows at most N rows, with a note (default: {DEFAULT_TABLE_ROWS}; 0: all); "
        "csv and jsonl stream every row",
    )
    add_db_option(parser)
    parser.set_defaults(handler=handle)


DEFAULT_TIMEOUT = 60.0
DEFAULT_TABLE_ROWS = 1000


def seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a number of seconds (0 or more), got {text!r}")
    return value


def handle(args: argparse.Namespace) -> int:
    engine = open_readonly(args.db)  # DatabaseError is a UsageError
    try:
        with engine.connect() as connection:
            raw = connection.connection.dbapi_connection
            limits = QueryLimits(raw, args.timeout or None) if isinstance(raw, sqlite3.Connection) else None
            try:
                with limits or nullcontext():
                    result = connection.exec_driver_sql(args.query)
                    if not result.returns_rows:
                        return 0
                    columns = list(result.keys())
                    write_rows(
                        columns,
                        result,
                        args.format,
                        max_width=args.max_width or None,
                        max_rows=(args.max_rows or None) if args.format == "table" else None,
                    )
                    sys.stdout.flush()
            except (DBAPIError, KeyboardInterrupt) as exc:
                if limits is not None and limits.stopped == "interrupted":
                    raise KeyboardInterrupt from None
                if limits is not None and limits.stopped:
                    raise UsageError(f"query {limits.stopped}") from None
                if isinstance(exc, KeyboardInterrupt):
                    raise
                refused = refused_statement(raw)
                if refused or is_write_refusal(exc):
                    raise UsageError(f"archiver sql is read-only: refused {refused or database_error(exc)}") from None
                raise UsageError(f"SQL error: {database_error(exc)}") from None
            except ResourceClosedError:
                return 0
            except BrokenPipeError:
                return reader_went_away()
    except DBAPIError as exc:  # the file could not even be opened
        raise UsageError(f"cannot open this archive: {database_error(exc)}") from None
    finally:
        engine.dispose()
    return 0
