"""`archiver coverage [SITE] [--format table|csv|jsonl]`: how complete the archive is, and its gaps.

Per site, per source (KCNA Watch) or module and category (RSTV), per month: entries listed,
articles archived, fetches that failed, articles gone (archiver/research/coverage.py). The table
adds each source's walks (how far back they reached) and the gaps; CSV and JSONL give the monthly
rows, the gaps go to stderr. `--plot FILE` draws it too: articles per source per month, the months
with entries not archived hatched (the plot extra). Exit status 1 when there is a gap (a source seen
but never walked, a walk that stopped early), so that cron mails it; 0 otherwise.
"""

from __future__ import annotations

import argparse
import sys

from sqlalchemy.exc import DBAPIError

from archiver.archive.engine import resolve_db_url
from archiver.archive.readonly import database_error, open_readonly
from archiver.archive.statedir import sqlite_file
from archiver.cli.options import add_db_option, add_format_option
from archiver.exceptions import UsageError
from archiver.research.coverage import ROW_COLUMNS, WALK_COLUMNS, coverage_report, picture_rows
from archiver.research.outfile import OutputRefused, archive_files
from archiver.research.output import reader_went_away, write_rows
from archiver.research.plot import PlotError, check_target, plot_coverage


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "coverage", help="per source (or module) and month: listed, archived, failed, gone; the gaps"
    )
    parser.add_argument("site", nargs="?", metavar="SITE", help="only this site (default: every site)")
    parser.add_argument(
        "--plot",
        metavar="FILE",
        help="also draw articles per source (or module) per month to FILE.png, .svg or .html, the months "
        "with entries not archived hatched (needs the plot extra)",
    )
    add_format_option(parser)
    add_db_option(parser)
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    if args.plot:
        try:
            check_target(args.plot)  # before any work: the suffix, the plot extra
        except PlotError as exc:
            raise UsageError(str(exc)) from None
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
    if args.plot:
        draw(args, report)
    return 1 if report.gaps else 0


def draw(args: argparse.Namespace, report) -> None:
    title = f"{args.site or 'The archive'}: articles archived per source and month"
    try:
        plot_coverage(
            picture_rows(report),
            args.plot,
            title=title,
            protected=archive_files(sqlite_file(resolve_db_url(args.db))),
        )
    except (PlotError, OutputRefused) as exc:
        raise UsageError(str(exc)) from None
    print(f"archiver: plot written to {args.plot}", file=sys.stderr)
