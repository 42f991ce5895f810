"""`archiver health [--max-age 2d] [--site S]`: did every site have a successful run lately?

Exit status 0 when each site (those named, else every site with a recorded run) had an "ok" run
that finished within --max-age; 1 when one did not (a cron job or monitor can alert on it).
"""

from __future__ import annotations

import argparse
import sys

from sqlalchemy.exc import DBAPIError

from archiver.archive.models import utcnow
from archiver.archive.readonly import database_error, open_readonly
from archiver.archive.runlog import HEALTH_COLUMNS, describe_age, parse_age, site_health
from archiver.cli.options import add_db_option, add_format_option
from archiver.exceptions import UsageError
from archiver.research.output import reader_went_away, write_rows


def age(text: str):
    try:
        return parse_age(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "health", help="exit 1 when a site had no successful run within --max-age (for cron and monitors)"
    )
    parser.add_argument(
        "--max-age", type=age, default=parse_age("2d"), metavar="AGE", help="e.g. 2d, 36h, 90m (default: 2d)"
    )
    parser.add_argument(
        "--site",
        action="append",
        default=[],
        metavar="SITE",
        help="check this site (repeatable; default: every site with a run)",
    )
    add_format_option(parser)
    add_db_option(parser)
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    now = utcnow()
    engine = open_readonly(args.db)
    try:
        with engine.connect() as connection:
            sites = site_health(connection, args.max_age, now, sites=args.site)
    except DBAPIError as exc:
        raise UsageError(f"cannot read the runs of this archive: {database_error(exc)}") from None
    finally:
        engine.dispose()
    stale = [s.site for s in sites if not s.fresh]
    try:
        write_rows(HEALTH_COLUMNS, [s.row(now) for s in sites], args.format)
        sys.stdout.flush()
    except BrokenPipeError:
        return reader_went_away()
    within = describe_age(args.max_age)
    if not sites:
        print("health: no runs recorded in this archive", file=sys.stderr)
        return 1
    if stale:
        print(f"health: no successful run within {within}: {', '.join(stale)}", file=sys.stderr)
        return 1
    if args.format == "table":
        print(f"health: every site had a successful run within {within}")
    return 0
