"""`archiver reparse [--site S] [--since D] [--until D] [--workers N] [--resume]`: re-derive the archive
from stored pages, offline, with progress on stderr."""

from __future__ import annotations

import argparse
import logging
import sys

from archiver.archive.engine import open_archive
from archiver.cli.options import (
    add_date_range,
    add_db_option,
    add_sites_option,
    check_date_range,
    db_url,
    positive,
    sites_settings,
)
from archiver.exceptions import UsageError


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "reparse", help="re-derive articles and listing entries from the stored pages, offline"
    )
    parser.add_argument("--site", metavar="S", help="only this site's pages (a spider name)")
    add_date_range(parser, "pages fetched")
    parser.add_argument(
        "--workers", type=positive, metavar="N", help="processes that parse pages (default: one per CPU)"
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="continue each site's interrupted reparse from its last checkpoint (with the dates it was given)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    add_db_option(parser)
    add_sites_option(parser)
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from archiver.crawl.runner import RunError, base_settings, check_spiders
    from archiver.research.reparse import NothingToResume, reparse, stored_sites

    check_date_range(args)
    if args.resume and (args.since or args.until):
        raise UsageError("--resume continues with the dates the interrupted reparse was given: drop --since/--until")
    url = db_url(args)
    if args.site:
        try:
            check_spiders([args.site], sites_settings(args))
        except RunError as exc:
            raise UsageError(str(exc)) from None
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    engine = open_archive(url, existing=True)  # a mistyped --db must not become an empty archive
    try:
        sites = [args.site] if args.site else stored_sites(engine)
        if not sites:
            print("no stored pages to reparse (snapshots are kept by crawls with ARCHIVER_SNAPSHOTS on)")
            return 0
        settings = base_settings(url, mode="reparse", overrides=sites_settings(args))
        if args.workers:
            settings.set("ARCHIVER_REPARSE_WORKERS", args.workers, priority="cmdline")
        try:
            reports = reparse(
                engine,
                settings,
                sites=sites,
                since=args.since,
                until=args.until,
                resume=args.resume,
                progress=None if args.quiet else sys.stderr,
            )
        except NothingToResume as exc:
            raise UsageError(str(exc)) from None
    finally:
        engine.dispose()
    for report in reports:
        print(report.line())
    return 1 if any(r.failed for r in reports) else 0
