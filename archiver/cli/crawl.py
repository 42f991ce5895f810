"""`archiver crawl SPIDER… | --all`: an incremental crawl into the archive, ending with a summary."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from urllib.parse import urlsplit

from archiver.cli.options import (
    add_run_options,
    db_url,
    redis_url_of,
    set_pairs,
    settings_from,
    sites_settings,
    spider_arguments_from,
)
from archiver.crawl.launch import run_exclusive
from archiver.crawl.runner import (
    RunSummary,
    check_reachable,
    check_spider_arguments,
    check_spiders,
    exit_status,
    spider_loader,
)
from archiver.crawl.seeding import seed
from archiver.exceptions import UsageError
from archiver.mirror import FULL_SPEED
from archiver.normalize.urls import is_loopback


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("crawl", help="incremental, cron-safe crawl of one or more sites")
    parser.add_argument("spiders", nargs="*", metavar="SPIDER", help="spider names (see --all)")
    parser.add_argument("--all", action="store_true", help="crawl with every spider")
    add_run_options(parser)
    parser.set_defaults(handler=handle)


def chosen_spiders(args: argparse.Namespace) -> list[str]:
    if args.all == bool(args.spiders):
        raise UsageError("name one or more spiders, or --all" if not args.all else "--all takes no spider names")
    if args.all:
        loader = spider_loader(sites_settings(args))
        names = sorted(loader.list())
        for error in getattr(loader, "errors", {}).values():  # said, not silently left out
            print(f"archiver: warning: site profile {error} (skipped)", file=sys.stderr)
    else:
        names = args.spiders
    if args.base_url and len(names) > 1:
        raise UsageError("--base-url points one spider at a mirror: name exactly one spider")
    return names


def loopback_speed(args: argparse.Namespace, base_url: str | None) -> tuple[dict, str | None]:
    """A mirror on this machine is crawled at full speed (archiver.mirror.FULL_SPEED: no politeness delay,
    no AutoThrottle) unless -s says otherwise: those settings, and the line that says so."""
    if not base_url or not is_loopback(base_url):
        return {}, None
    given = set(set_pairs(args.settings))
    applied = {name: value for name, value in FULL_SPEED.items() if name not in given}
    if not applied or args.quiet:
        return applied, None
    shown = ", ".join(f"{name}={value}" for name, value in applied.items())
    host = urlsplit(base_url).netloc
    return (
        applied,
        f"archiver: {host} is this machine: crawling it at full speed ({shown}; -s DOWNLOAD_DELAY=2 to be gentler)",
    )


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
    folder with them). With --redis-url the run seeds (or joins) a distributed crawl instead.
    """
    names = chosen_spiders(args)
    url = db_url(args)
    # -a first: the command's own options (--since, --base-url, --refresh) say the same more plainly and win.
    spider_args = {**spider_arguments_from(args), **(spider_args or {})}
    if args.refresh:
        spider_args["refresh"] = "1"
    if getattr(args, "revisit", False):
        spider_args["revisit"] = "1"
    full_speed, note = loopback_speed(args, args.base_url or spider_args.get("base_url"))
    settings = {
        **(settings or {}),
        **full_speed,
        **settings_from(args),  # the user's -s last: it overrides everything
    }
    check_spiders(names, settings)  # RunError, a UsageError, when they cannot run
    if args.base_url:
        check_reachable(args.base_url)
        spider_args["base_url"] = args.base_url
    check_spider_arguments(names, spider_args, settings)
    redis_url = redis_url_of(args)
    if not redis_url and getattr(args, "seed_only", False):
        raise UsageError("--seed-only needs --redis-url (or $ARCHIVER_REDIS_URL)")
    distributed = (
        seed(redis_url, names, spider_args, mode, crawl_id=args.crawl_id, seed_only=args.seed_only)
        if redis_url
        else None
    )
    if distributed:
        settings.update(distributed.settings)

    def starting(database: str) -> None:
        if note:  # once the run has the database: a run that does not start says only why
            print(note, file=sys.stderr, flush=True)
        if before is not None:
            before(database)

    summaries = run_exclusive(
        {name: spider_args for name in names},
        db_url=url,
        mode=mode,
        settings=settings,
        locking=distributed is None,
        wait=args.wait,
        quiet=args.quiet,
        before=starting,
        after=after,
    )
    if summaries is None:  # another run holds the database
        return 0
    if distributed and distributed.seed_only:
        print(distributed.seed_line())
        return distributed.seed_status(summaries)
    for summary in summaries:  # even with -q: cron mails them
        for warning in [*summary.yield_warnings, *summary.coverage_gaps]:
            print(warning, file=sys.stderr)
    sys.stderr.flush()
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
