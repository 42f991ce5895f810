"""`archiver changes [--site S] [--since D] [--until D] [--format …] [--diff]`: edits and takedowns in time order.

Each edit (a new version of an article's text), each takedown confirmed by a second run and each
restoration, oldest first (archiver/research/changes.py). `--diff` adds a word-level diff of each
edit: below its line in the table, as a `diff` column in CSV and JSON Lines.
"""

from __future__ import annotations

import argparse
import sys

from sqlalchemy.exc import DBAPIError

from archiver.archive.readonly import database_error, open_readonly
from archiver.cli.options import add_date_range, add_db_option, add_format_option, check_date_range
from archiver.exceptions import UsageError
from archiver.research.changes import COLUMNS, Change, changes, has_versions
from archiver.research.output import reader_went_away, table_cell, write_rows


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "changes",
        help="edits and takedowns found by revisits, in time order (--diff: what changed)",
        description="Edited articles (each new version), takedowns confirmed on a second run, and "
        "restorations, oldest first.",
    )
    parser.add_argument("--site", help="only this site (e.g. kcnawatch)")
    add_date_range(parser, "changes seen")
    parser.add_argument("--diff", action="store_true", help="a word-level diff of each edit")
    add_format_option(parser)
    add_db_option(parser)
    parser.set_defaults(handler=handle)


def print_blocks(found: list[Change], out) -> None:
    """The table format with --diff: one line per change, its diff indented below it."""
    if not found:
        out.write("no changes\n")
    for change in found:
        what = change.fields if change.change == "edited" else change.removal
        version = f" v{change.version}" if change.change == "edited" else ""
        out.write(
            f"{change.at:%Y-%m-%d %H:%M:%S}  {change.site}  {change.change}{version}"
            f"{f' ({what})' if what else ''}  {change.url}\n"
        )
        out.write(f"    {table_cell(change.title or '(no title)', 100)}\n")
        for line in (change.diff or "").splitlines():
            out.write(f"    {line}\n")
        out.write("\n")


def handle(args: argparse.Namespace) -> int:
    check_date_range(args)
    engine = open_readonly(args.db)
    try:
        with engine.connect() as connection:
            if not has_versions(connection):
                raise UsageError("this archive records no versions yet: run `archiver db upgrade` on it first")
            found = changes(connection, site=args.site, since=args.since, until=args.until, diff=args.diff)
    except DBAPIError as exc:
        raise UsageError(f"cannot read the changes of this archive: {database_error(exc)}") from None
    finally:
        engine.dispose()
    try:
        if args.format == "table" and args.diff:
            print_blocks(found, sys.stdout)
        else:
            columns = (*COLUMNS, "diff") if args.diff else COLUMNS
            write_rows(columns, (change.row(args.diff) for change in found), args.format)
        sys.stdout.flush()
    except BrokenPipeError:
        return reader_went_away()
    return 0
