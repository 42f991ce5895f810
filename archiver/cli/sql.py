"""`archiver sql "SELECT …"`: run one SQL query on the archive, read-only, and print the rows.

The database is opened read-only (see archiver/archive/readonly.py): a statement that would change
anything is refused with a one-line error naming what was refused, and nothing is written.
"""

from __future__ import annotations

import argparse
import sys

from sqlalchemy.exc import DBAPIError, ResourceClosedError

from archiver.archive.readonly import database_error, is_write_refusal, open_readonly, refused_statement
from archiver.cli.options import add_db_option, add_format_option
from archiver.exceptions import UsageError
from archiver.research.output import reader_went_away, write_rows


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "sql",
        help="run a read-only SQL query on the archive",
        description="Run one SQL statement on the archive, read-only. Tables: articles, article_urls, "
        "listing_entries, crawl_runs, pages, page_bodies; views: article_addresses, article_overview; "
        "full-text index: articles_fts.",
    )
    parser.add_argument("query", metavar="SQL", help='one statement, e.g. "SELECT COUNT(*) FROM articles"')
    add_format_option(parser)
    parser.add_argument(
        "--max-width", type=int, default=60, metavar="N", help="cut table cells to N characters (0: never)"
    )
    add_db_option(parser)
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    engine = open_readonly(args.db)  # DatabaseError is a UsageError
    try:
        with engine.connect() as connection:
            raw = connection.connection.dbapi_connection
            try:
                result = connection.exec_driver_sql(args.query)
                if not result.returns_rows:
                    return 0
                columns = list(result.keys())
                write_rows(columns, result, args.format, max_width=args.max_width or None)
                sys.stdout.flush()
            except DBAPIError as exc:
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
