"""`archiver coverage [SITE] [--format table|csv|jsonl]`: how complete the archive is, and its gaps.

Per site, per source (KCNA Watch) or module and category (RSTV), per month: entries listed,
articles archived, fetches that failed, articles gone (archiver/research/coverage.py). The table
adds each source's walks (how far back they reached) and the gaps; CSV and JSONL give the monthly
rows, the gaps go to stderr. Exit status 1 when there is a gap (a source seen but never walked, a
walk that stopped early), so that cron mails it; 0 otherwise.
"""

from __future__ import annotations

import argparse
import sys

from sqlalchemy.exc import DBAPIError

from archiver.archive.readonly import database_error, open_readonly
from archiver.cli.options import add_db_option, add_format_option
from archiver.exceptions import UsageError
from archiver.research.coverage import ROW_COLUMNS, WALK_COLUMNS, coverage_report
from archiver.research.output import reader_went_away, write_rows


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "coverage", help="per source (or module) and month: listed, archived, failed, gone; the gaps"
    )
    parser.add_argument("site", nargs="?", metavar="SITE", help="only this site (default: every site)")
    add_format_option(parser)
    add_db_option(parser)
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    engine = open_readonly(args.db)  # DatabaseError is a UsageError
    try:
        with engine.connect() as connection:
            report = coverage_report(connection, args.site)
    except DBAPIError as exc:
        raise UsageError(f"cannot read this archive: {database_error(exc)}") from None
    finally:
        engine.dispose()
    if args.site and not report.rows and not report.walks:
        print(f"archiver: {args.site}: nothing archived or seen of this site", file=sys.stderr)
    try:
        write_rows(ROW_COLUMNS, report.rows, args.format, max_width=40)
        if args.format == "table":
            print()
            write_rows(WALK_COLUMNS, report.walks, "table", max_width=40)
        sys.stdout.flush()
    except BrokenPipeError:
        return reader_went_away()
    for gap in report.gaps:
        print(gap.line(), file=sys.stderr)
    return 1 if report.gaps else 0
