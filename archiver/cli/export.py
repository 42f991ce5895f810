"""`archiver export`: every article, one record each with its addresses, as JSON Lines or CSV.

Streams (constant memory). With --out the file appears complete or not at all: records go to
FILE.part, renamed to FILE at the end. The fields are listed in archiver/research/export.py.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from sqlalchemy.exc import DBAPIError

from archiver.archive.readonly import database_error, open_readonly
from archiver.cli.options import add_date_range, add_db_option, add_format_option, check_date_range
from archiver.exceptions import UsageError
from archiver.research.export import EXPORT_FIELDS, write_export
from archiver.research.output import reader_went_away


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "export",
        help="export articles with their addresses as JSON Lines or CSV",
        description="Write one record per article with all its addresses. Fields: "
        + ", ".join(EXPORT_FIELDS)
        + ". In CSV, empty cells are NULL and urls/tags are JSON arrays.",
    )
    add_format_option(parser, formats=("jsonl", "csv"), default="jsonl")
    parser.add_argument("--site", help="only this site (e.g. kcnawatch)")
    add_date_range(parser, "published")
    parser.add_argument("--out", metavar="FILE", help="write to FILE (default: standard output)")
    add_db_option(parser)
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    check_date_range(args)
    target = Path(args.out) if args.out else None
    if target is not None and not target.parent.is_dir():
        raise UsageError(f"folder does not exist: {target.parent}")
    engine = open_readonly(args.db)  # DatabaseError is a UsageError
    partial = target.with_name(target.name + ".part") if target else None
    try:
        with engine.connect() as connection:
            out = open(partial, "w", encoding="utf-8", newline="") if partial else sys.stdout  # noqa: SIM115 (closed below)
            try:
                count = write_export(connection, args.format, out, site=args.site, since=args.since, until=args.until)
            finally:
                if partial:
                    out.close()
    except BrokenPipeError:
        return reader_went_away()
    except DBAPIError as exc:
        if partial:
            partial.unlink(missing_ok=True)
        raise UsageError(f"cannot export from this archive: {database_error(exc)}") from None
    except BaseException:
        if partial:
            partial.unlink(missing_ok=True)
        raise
    finally:
        engine.dispose()
    if partial and target:
        os.replace(partial, target)
        print(f"{count} articles written to {target}", file=sys.stderr)
    return 0
