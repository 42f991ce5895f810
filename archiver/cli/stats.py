"""`archiver stats`: what the archive holds, per site and source, and how each site's last crawl ended.

Columns: site, source, articles, listing_entries, first_date and last_date (over articles'
published_on and entries' listed_on), undated_articles and undated_entries (dates left empty),
edited (articles with more than one version) and removed (taken down and not back), last_crawl (when the site's newest crawl run started), last_mode, last_status (ok, degraded,
errors, interrupted, running).

`archiver stats --yields [--site S] [--runs N]`: the field yield of each site's newest run(s), per page
kind: pages that gave their item, entries per page, and each field's filled share; the run's
field-yield warnings follow the table.
"""

from __future__ import annotations

import argparse
import sys

from sqlalchemy.exc import DBAPIError

from archiver.archive.readonly import database_error, open_readonly
from archiver.cli.options import add_db_option, add_format_option, positive
from archiver.exceptions import UsageError
from archiver.research.output import reader_went_away, write_rows
from archiver.research.stats import STATS_COLUMNS, YIELD_COLUMNS, stats_rows, yield_report


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("stats", help="what the archive holds, per site and source")
    parser.add_argument(
        "--yields", action="store_true", help="what each page kind gave in the newest run of each site (field yield)"
    )
    parser.add_argument("--site", metavar="SITE", help="with --yields: only this site")
    parser.add_argument(
        "--runs", type=positive, default=1, metavar="N", help="with --yields: the newest N runs of each site"
    )
    add_format_option(parser)
    add_db_option(parser)
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    if (args.site or args.runs != 1) and not args.yields:
        raise UsageError("--site and --runs go with --yields")
    engine = open_readonly(args.db)  # DatabaseError is a UsageError
    warnings: list[str] = []
    try:
        with engine.connect() as connection:
            if args.yields:
                rows, warnings = yield_report(connection, args.site, args.runs)
            else:
                rows = stats_rows(connection)
    except DBAPIError as exc:
        raise UsageError(f"cannot read this archive: {database_error(exc)}") from None
    finally:
        engine.dispose()
    try:
        write_rows(YIELD_COLUMNS if args.yields else STATS_COLUMNS, rows, args.format)
        if args.format == "table":
            for warning in warnings:
                print(warning)
        sys.stdout.flush()
    except BrokenPipeError:
        return reader_went_away()
    return 0
