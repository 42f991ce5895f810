"""`archiver crawl SPIDER… | --all`: an incremental crawl into the archive, ending with a summary."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from sqlalchemy.engine import make_url

from archiver.archive.lock import DatabaseLock
from archiver.cli.options import add_db_option, db_url, http_url
from archiver.crawl.overrides import BadSetting, check_override
from archiver.crawl.runner import (
    RunError,
    RunSummary,
    check_reachable,
    check_spiders,
    exit_status,
    run_spiders,
    spider_names,
)
from archiver.extensions.crawlrun import close_stale_runs


def add_run_options(parser: argparse.ArgumentParser) -> None:
    """Options every crawling command shares."""
    add_db_option(parser)
    parser.add_argument(
        "--base-url", type=http_url, metavar="URL", help="crawl this host (a mirror) with the site's paths"
    )
    parser.add_argument(
        "--set",
        "-s",
        dest="settings",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a Scrapy setting (repeatable), e.g. -s DOWNLOAD_DELAY=0",
    )
    parser.add_argument("--log-file", metavar="FILE", help="write Scrapy's log to FILE")
    verbosity = parser.add_mutually_exclusive_group()
    verbosity.add_argument("-q", "--quiet", action="store_true", help="print only errors")
    verbosity.add_argument("-v", "--verbose", action="store_true", help="print Scrapy's progress log")
    parser.add_argument("--refresh", action="store_true", help="fetch articles again even when the archive holds them")
    parser.add_argument(
        "--wait",
        action="store_true",
        help="when another run is using the database, wait for it to end (default: say so and exit 0)",
    )
    from archiver.cli.worker import add_redis_options  # distributed crawls: --redis-url, --crawl-id

    add_redis_options(parser)


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
        try:  # fail now, in one line, rather than with a traceback when Scrapy opens it
            with open(args.log_file, "a", encoding="utf-8"):
                pass
        except OSError as exc:
            raise UsageError(f"cannot write the log file {args.log_file}: {exc.strerror or exc}") from None
        settings["LOG_FILE"] = args.log_file
        settings["LOG_LEVEL"] = "INFO"
    for pair in args.settings:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise UsageError(f"--set takes NAME=VALUE, got {pair!r}")
        try:
            check_override(name.strip(), value)
        except BadSetting as exc:
            raise UsageError(str(exc)) from None
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


def progress_interval(args: argparse.Namespace, mode: str) -> float:
    """Seconds between progress lines: a backfill reports unless -q; a crawl (cron) only on a
    terminal or with -v."""
    if args.quiet:
        return 0
    if mode == "backfill" or args.verbose or sys.stderr.isatty():
        return 5
    return 0


def locked_out(lock: DatabaseLock, args: argparse.Namespace, url: str) -> bool:
    """Take the database's run lock (or wait for it, with --wait); True when this run must not start."""
    if lock.acquire(wait=False):
        return False
    shown = make_url(url).render_as_string(hide_password=True)
    holder = lock.holder() or "holder unknown"
    if not args.wait:
        if not args.quiet:
            print(f"archiver: {shown} is in use by another run ({holder}); not starting", file=sys.stderr)
        return True
    if not args.quiet:
        print(f"archiver: {shown} is in use by another run ({holder}); waiting for it to end", file=sys.stderr)
    lock.acquire(wait=True)
    return False


def run(
    args: argparse.Namespace,
    *,
    mode: str,
    spider_args: dict | None = None,
    settings: dict | None = None,
    before: Callable[[str], None] | None = None,
    after: Callable[[list[RunSummary]], None] | None = None,
) -> int:
    """Validate everything the user gave, then crawl and print one summary line per spider.

    One run per database at a time: a second one says so and exits 0 (or waits, with --wait).
    `before(db_url)` and `after(summaries)` run while the lock is held (backfill keeps its job
    folder with them).
    """
    from archiver.cli import UsageError

    names = chosen_spiders(args)
    url = db_url(args)
    settings = {
        "ARCHIVER_PROGRESS_INTERVAL": progress_interval(args, mode),
        **(settings or {}),
        **settings_from(args),  # the user's -s last: it overrides everything
    }
    spider_args = dict(spider_args or {})
    if args.refresh:
        spider_args["refresh"] = "1"
    try:
        check_spiders(names)
        if args.base_url:
            check_reachable(args.base_url)
            spider_args["base_url"] = args.base_url
    except RunError as exc:
        raise UsageError(str(exc)) from None
    from archiver.cli.worker import distributed_run  # --redis-url: seed (or join) a shared crawl

    distributed = distributed_run(args, names, spider_args, mode)
    if distributed:
        settings.update(distributed.settings)
    lock = None if distributed else DatabaseLock(url, description=f"archiver {mode} {' '.join(names)}")
    if lock is not None and locked_out(lock, args, url):
        return 0
    try:
        if lock is not None:
            close_stale_runs(url, names)
        if before is not None:
            before(url)
        summaries = run_spiders({name: spider_args for name in names}, db_url=url, mode=mode, settings=settings)
        if after is not None:
            after(summaries)
    finally:
        if lock is not None:
            lock.release()
    if distributed and distributed.seed_only:
        print(distributed.seed_line())
        return distributed.seed_status(summaries)
    if not args.quiet:
        for summary in summaries:
            print(summary.line())
    sys.stdout.flush()
    if not args.quiet:
        for summary in summaries:
            for warning in summary.warnings():
                print(f"archiver: {warning}", file=sys.stderr)
    return exit_status(summaries)


def handle(args: argparse.Namespace) -> int:
    return run(args, mode="crawl")
