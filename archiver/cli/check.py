"""`archiver check SITE [--url URL …] [--base-url URL]`: does the spider still understand the site?

Fetches a few pages of each kind (the spider's sample pages, or those given), parses them without
storing anything and prints a table: page, kind, entries found, each required field's value (cut
to the terminal's width) or `—`, then a line for each value that cannot be right (a title that is
the site's name, a date far from the URL's…); `--format jsonl` or `csv` gives every value whole.
Exit 0 when every required field came out on every page and no value was judged wrong, 1
otherwise, 2 on bad usage.
The work is archiver/crawl/check.py's.
"""

from __future__ import annotations

import argparse
import shutil
import sys

from archiver.cli.options import (
    add_format_option,
    add_set_option,
    add_sites_option,
    http_url,
    set_pairs,
    sites_settings,
)
from archiver.crawl.check import TABLE_COLUMNS, run_check, table_rows, value_width
from archiver.crawl.runner import RunError
from archiver.exceptions import UsageError
from archiver.research.output import reader_went_away, write_rows


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("check", help="parse a few pages of each kind and show what came out")
    parser.add_argument("site", metavar="SITE", help="spider name")
    parser.add_argument(
        "--url",
        dest="urls",
        action="append",
        default=[],
        metavar="URL",
        help="check this page (repeatable): a URL, or a path on the site or --base-url, optionally as KIND=URL "
        "(listing=/blog/?page2); default: the spider's sample pages (its check_urls)",
    )
    parser.add_argument("--base-url", type=http_url, metavar="URL", help="fetch from this host (a mirror) instead")
    parser.add_argument("--all-fields", action="store_true", help="show every field, not only the required ones")
    add_set_option(parser)
    parser.add_argument("-v", "--verbose", action="store_true", help="print Scrapy's log")
    add_sites_option(parser)
    add_format_option(parser)
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    settings: dict = {"LOG_LEVEL": "INFO" if args.verbose else "ERROR", **sites_settings(args)}
    settings.update(set_pairs(args.settings))
    try:
        report = run_check(args.site, urls=args.urls, base_url=args.base_url, settings=settings)
    except RunError as exc:
        raise UsageError(str(exc)) from None
    try:
        rows = table_rows(report, args.all_fields, width=None)  # whole values in CSV and JSON Lines
        if args.format == "table":  # cut to what the terminal shows (VALUE_WIDTH on a pipe or narrow terminal)
            width = value_width(rows, shutil.get_terminal_size().columns)
            rows = table_rows(report, args.all_fields, width=width)
        write_rows(TABLE_COLUMNS, rows, args.format, max_width=None)
        if args.format == "table":
            for line in report.failures():
                print(line)
            warnings = report.warnings()
            for line in warnings:
                print(line)
            passed = sum(page.passed for page in report.pages)
            judged = f"; {len(warnings)} value warning{'s' if len(warnings) != 1 else ''}" if warnings else ""
            print(f"{report.site}: {passed} of {len(report.pages)} pages gave every required field{judged}")
        sys.stdout.flush()
    except BrokenPipeError:
        return reader_went_away()
    return 0 if report.passed else 1
