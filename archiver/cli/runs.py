"""`archiver runs [--site S] [--failed]`: the newest crawl runs, newest first, with their figures."""

from __future__ import annotations

import argparse
import sys

from sqlalchemy.exc import DBAPIError

from archiver.archive.readonly import database_error, open_readonly
from archiver.archive.runlog import RUN_COLUMNS, recent_runs
from archiver.cli.options import add_db_option, add_format_option, positive
from archiver.exceptions import UsageError
from archiver.research.output import reader_went_away, write_rows


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("runs", help="the newest crawl runs: when, how long, what they did, how they ended")
    parser.add_argument("--site", action="append", default=[], metavar="SITE", help="only this site (repeatable)")
    parser.add_argument("--failed", action="store_true", help="only runs that ended with errors or were interrupted")
    parser.add_argument("--limit", type=positive, default=20, metavar="N", help="at most N runs (default: 20)")
    add_format_option(parser)
    add_db_option(parser)
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    engine = open_readonly(args.db)
    try:
        with engine.connect() as connection:
            rows = recent_runs(connection, sites=args.site, failed=args.failed, limit=args.limit)
    except DBAPIError as exc:
        raise UsageError(f"cannot read the runs of this archive: {database_error(exc)}") from None
    finally:
        engine.dispose()
    try:
        if rows or args.format != "table":
            write_rows(RUN_COLUMNS, rows, args.format)
        else:
            print("no failed runs" if args.failed else "no runs recorded")
        sys.stdout.flush()
    except BrokenPipeError:
        return reader_went_away()
    return 0
