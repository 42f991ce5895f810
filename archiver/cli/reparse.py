"""`archiver reparse [--site S] [--since D] [--until D]`: re-derive the archive from stored pages, offline."""

from __future__ import annotations

import argparse
import logging

from archiver.archive.engine import open_archive
from archiver.cli.options import (
    add_date_range,
    add_db_option,
    add_sites_option,
    check_date_range,
    db_url,
    sites_settings,
)
from archiver.exceptions import UsageError


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "reparse", help="re-derive articles and listing entries from the stored pages, offline"
    )
    parser.add_argument("--site", metavar="S", help="only this site's pages (a spider name)")
    add_date_range(parser, "pages fetched")
    add_db_option(parser)
    add_sites_option(parser)
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from archiver.crawl.runner import RunError, base_settings, check_spiders
    from archiver.research.reparse import reparse, stored_sites

    check_date_range(args)
    url = db_url(args)
    if args.site:
        try:
            check_spiders([args.site], sites_settings(args))
        except RunError as exc:
            raise UsageError(str(exc)) from None
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    engine = open_archive(url)
    try:
        sites = [args.site] if args.site else stored_sites(engine)
        if not sites:
            print("no stored pages to reparse (snapshots are kept by crawls with ARCHIVER_SNAPSHOTS on)")
            return 0
        reports = reparse(
            engine,
            base_settings(url, mode="reparse", overrides=sites_settings(args)),
            sites=sites,
            since=args.since,
            until=args.until,
        )
    finally:
        engine.dispose()
    for report in reports:
        print(report.line())
    return 1 if any(r.failed for r in reports) else 0
