"""`archiver crawl SPIDER… | --all`: an incremental crawl into the archive, ending with a summary."""

from __future__ import annotations

import argparse
import sys

from archiver.cli.options import add_db_option, db_url, http_url
from archiver.runner import RunError, check_reachable, check_spiders, exit_status, run_spiders, spider_names


def add_run_options(parser: argparse.ArgumentParser) -> None:
    """Options every crawling command shares."""
    add_db_option(parser)
    parser.add_argument("--base-url", type=http_url, metavar="URL", help="crawl this host (a mirror) with the site's paths")
    parser.add_argument(
        "--set", "-s", dest="settings", action="append", default=[], metavar="NAME=VALUE",
        help="override a Scrapy setting (repeatable), e.g. -s DOWNLOAD_DELAY=0",
    )
    parser.add_argument("--log-file", metavar="FILE", help="write Scrapy's log to FILE")
    verbosity = parser.add_mutually_exclusive_group()
    verbosity.add_argument("-q", "--quiet", action="store_true", help="print only errors")
    verbosity.add_argument("-v", "--verbose", action="store_true", help="print Scrapy's progress log")


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("crawl", help="incremental, cron-safe crawl of one or more sites")
    parser.add_argument("spiders", nargs="*", metavar="SPIDER", help="spider names (see --all)")
    parser.add_argument("--all", action="store_true", help="crawl with every spider")
    add_run_options(parser)
    parser.set_defaults(handler=handle)


def settings_from(args: argparse.Namespace) -> dict:
    from archiver.cli import UsageError

    settings: dict = {"LOG_LEVEL": "INFO" if args.verbose else ("ERROR" if args.quiet else "WARNING")}
    if args.log_file:
        settings["LOG_FILE"] = args.log_file
        settings["LOG_LEVEL"] = "INFO"
    for pair in args.settings:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise UsageError(f"--set takes NAME=VALUE, got {pair!r}")
        settings[name.strip()] = value
    return settings


def chosen_spiders(args: argparse.Namespace) -> list[str]:
    from archiver.cli import UsageError

    if args.all == bool(args.spiders):
        raise UsageError("name one or more spiders, or --all" if not args.all else "--all takes no spider names")
    names = spider_names() if args.all else args.spiders
    if args.base_url and len(names) > 1:
        raise UsageError("--base-url points one spider at a mirror: name exactly one spider")
    return names


def run(args: argparse.Namespace, *, mode: str, spider_args: dict | None = None) -> int:
    """Validate everything the user gave, then crawl and print one summary line per spider."""
    from archiver.cli import UsageError

    names = chosen_spiders(args)
    url = db_url(args)
    settings = settings_from(args)
    spider_args = dict(spider_args or {})
    try:
        check_spiders(names)
        if args.base_url:
            check_reachable(args.base_url)
            spider_args["base_url"] = args.base_url
    except RunError as exc:
        raise UsageError(str(exc)) from None
    summaries = run_spiders({name: spider_args for name in names}, db_url=url, mode=mode, settings=settings)
    if not args.quiet:
        for summary in summaries:
            print(summary.line())
    sys.stdout.flush()
    return exit_status(summaries)


def handle(args: argparse.Namespace) -> int:
    return run(args, mode="crawl")
