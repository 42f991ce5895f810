"""`archiver stats`: what the archive holds, per site and source, and how each site's last crawl ended.

Columns: site, source, articles, listing_entries, first_date and last_date (over articles'
published_on and entries' listed_on), undated_articles and undated_entries (dates left empty),
last_crawl (when the site's newest crawl run started), last_mode, last_status (ok, errors,
interrupted, running).
"""

from __future__ import annotations

import argparse
import sys

from sqlalchemy.exc import DBAPIError

from archiver.archive.readonly import database_error, open_readonly
from archiver.cli.options import add_db_option, add_format_option
from archiver.exceptions import UsageError
from archiver.research.output import reader_went_away, write_rows
from archiver.research.stats import STATS_COLUMNS, stats_rows


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("stats", help="what the archive holds, per site and source")
    add_format_option(parser)
    add_db_option(parser)
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    engine = open_readonly(args.db)  # DatabaseError is a UsageError
    try:
        with engine.connect() as connection:
            rows = stats_rows(connection)
    except DBAPIError as exc:
        raise UsageError(f"cannot read this archive: {database_error(exc)}") from None
    finally:
        engine.dispose()
    try:
        write_rows(STATS_COLUMNS, rows, args.format)
        sys.stdout.flush()
    except BrokenPipeError:
        return reader_went_away()
    return 0
