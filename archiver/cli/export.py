"""`archiver export`: every article, one record each with its addresses, as JSON Lines or CSV.

Streams (constant memory). With --out a file appears complete or not at all (records go to
FILE.part, renamed to FILE at the end); a device or FIFO is written as a stream, `-` is standard
output, and the archive's own files are refused (archiver/research/outfile.py). The fields are listed in archiver/research/export.py.
"""

from __future__ import annotations

import argparse
import sys
from typing import TextIO, cast

from sqlalchemy.exc import DBAPIError

from archiver.archive.engine import resolve_db_url
from archiver.archive.readonly import database_error, open_readonly
from archiver.archive.statedir import sqlite_file
from archiver.cli.options import add_date_range, add_db_option, add_format_option, check_date_range
from archiver.exceptions import UsageError
from archiver.research.export import EXPORT_FIELDS, write_export
from archiver.research.outfile import OutputRefused, archive_files, open_output
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
    parser.add_argument(
        "--out", metavar="FILE", help="write to FILE, a device or FIFO, or - (default: standard output)"
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    add_db_option(parser)
    parser.set_defaults(handler=handle)


def progress_stream(args: argparse.Namespace) -> TextIO | None:
    """stderr, for the progress (a bar on a terminal, a line every 30 s elsewhere), unless -q or the
    records themselves go to the terminal."""
    if args.quiet or (args.out in (None, "-") and sys.stdout.isatty()):
        return None
    return sys.stderr


def handle(args: argparse.Namespace) -> int:
    check_date_range(args)
    engine = open_readonly(args.db)  # DatabaseError is a UsageError
    protected = archive_files(sqlite_file(resolve_db_url(args.db)))
    try:
        with engine.connect() as connection, open_output(args.out, protected) as out:
            count = write_export(
                connection,
                args.format,
                cast(TextIO, out),
                progress=progress_stream(args),
                site=args.site,
                since=args.since,
                until=args.until,
            )
    except OutputRefused as exc:
        raise UsageError(str(exc)) from None
    except BrokenPipeError:
        return reader_went_away()
    except DBAPIError as exc:
        raise UsageError(f"cannot export from this archive: {database_error(exc)}") from None
    except OSError as exc:
        raise UsageError(f"cannot write {args.out or 'standard output'}: {exc.strerror or exc}") from None
    finally:
        engine.dispose()
    if args.out and args.out != "-":
        print(f"{count} articles written to {args.out}", file=sys.stderr)
    return 0
