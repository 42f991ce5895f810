"""`archiver export-warc --out FILE.warc.gz [--site S] [--since D] [--until D]`: stored pages as WARC."""

from __future__ import annotations

import argparse
from pathlib import Path

from archiver.archive.engine import resolve_db_url
from archiver.archive.readonly import open_readonly_archive
from archiver.archive.statedir import sqlite_file
from archiver.cli.options import add_date_range, add_db_option, check_date_range
from archiver.exceptions import UsageError
from archiver.research.outfile import OutputRefused, archive_files


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("export-warc", help="write the stored pages as a WARC file (pywb, warcio index)")
    parser.add_argument("--out", required=True, metavar="FILE.warc.gz", help="the WARC file to write")
    parser.add_argument("--site", metavar="S", help="only this site's pages (a spider name)")
    add_date_range(parser, "pages fetched")
    add_db_option(parser)
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from archiver.research.warc import export_warc

    out = Path(args.out)
    if not out.name.endswith((".warc.gz", ".warc")):
        raise UsageError(f"--out must name a .warc.gz file, got {args.out!r}")
    if not out.parent.resolve().is_dir():
        raise UsageError(f"folder does not exist: {out.parent}")
    check_date_range(args)
    url = resolve_db_url(args.db)
    engine = open_readonly_archive(url)  # only read: a read-only archive exports too
    try:
        protected = archive_files(sqlite_file(url))
        report = export_warc(engine, out, site=args.site, since=args.since, until=args.until, protected=protected)
    except OutputRefused as exc:
        raise UsageError(str(exc)) from None
    finally:
        engine.dispose()
    print(report.line())
    return 0
