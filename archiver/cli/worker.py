"""`archiver worker SPIDER --redis-url URL`: one worker of a distributed crawl (see archiver/crawl/distributed.py).

Also the `--redis-url` / `--crawl-id` / `--seed-only` options that `archiver crawl` and `archiver
backfill` take to seed a distributed crawl (and work on it), through `distributed_run()`.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass

from archiver.cli.crawl import add_run_options, settings_from
from archiver.cli.options import db_url
from archiver.crawl.runner import RunError, check_reachable, check_spiders, exit_status, run_spiders

REDIS_ENV = "ARCHIVER_REDIS_URL"


def add_redis_options(parser: argparse.ArgumentParser, *, seeding: bool = True) -> None:
    """--redis-url and --crawl-id (and, for the seeding commands, --seed-only)."""
    parser.add_argument(
        "--redis-url",
        metavar="URL",
        help=f"share the crawl frontier through this Redis (default: ${REDIS_ENV}; unset: crawl alone)",
    )
    parser.add_argument(
        "--crawl-id", metavar="ID", help="name of the distributed crawl in Redis (default: the spider's name)"
    )
    if seeding:
        parser.add_argument(
            "--seed-only",
            action="store_true",
            help="with --redis-url: put the start requests into the shared queue and exit (workers crawl)",
        )


def redis_url_of(args: argparse.Namespace) -> str | None:
    return getattr(args, "redis_url", None) or os.environ.get(REDIS_ENV) or None


def connect(url: str):
    """A Redis client that answers, or UsageError with a one-line reason."""
    from archiver.cli import UsageError

    try:
        import redis

        from archiver.crawl.distributed import redis_client
    except ImportError:
        raise UsageError("--redis-url needs the scale extra: pip install 'newsarchiver[scale]'") from None
    try:
        server = redis_client(url)
        server.ping()
    except ValueError as exc:
        raise UsageError(f"not a Redis URL: {url!r} ({exc})") from None
    except redis.RedisError as exc:
        raise UsageError(f"cannot reach Redis at {url}: {exc}") from None
    return server


@dataclass
class DistributedRun:
    """What `archiver crawl|backfill --redis-url` adds to a run: settings, and a line to print."""

    settings: dict
    seed_only: bool
    crawl_id: str
    redis_url: str
    state: str  # new | joined

    def seed_line(self) -> str:
        server = connect(self.redis_url)
        from archiver.crawl.distributed import CrawlKeys

        queued = server.zcard(CrawlKeys(self.crawl_id).requests)
        server.close()
        verb = "seeded new" if self.state == "new" else "joined running"
        return f"{verb} distributed crawl {self.crawl_id!r}: {queued} requests queued; start workers with `archiver worker`"

    @staticmethod
    def seed_status(summaries) -> int:
        """0 when the start requests were all read (a seeding run records no crawl_runs row)."""
        return 0 if all(s.stats.get("finish_reason") == "finished" for s in summaries) else 1


def distributed_run(args: argparse.Namespace, names: list[str], spider_args: dict, mode: str) -> DistributedRun | None:
    """None unless --redis-url or $ARCHIVER_REDIS_URL: then seed (or join) the shared crawl."""
    from archiver.cli import UsageError
    from archiver.crawl.distributed import CrawlConflict, CrawlKeys, distributed_settings, prepare_seed

    url = redis_url_of(args)
    if not url:
        if getattr(args, "seed_only", False):
            raise UsageError("--seed-only needs --redis-url (or $ARCHIVER_REDIS_URL)")
        return None
    if len(names) != 1:
        raise UsageError("a distributed crawl has one spider: name exactly one with --redis-url")
    crawl_id = getattr(args, "crawl_id", None) or names[0]
    server = connect(url)
    try:
        state = prepare_seed(server, CrawlKeys(crawl_id), names[0], jsonable(spider_args), mode)
    except CrawlConflict as exc:
        raise UsageError(str(exc)) from None
    finally:
        server.close()
    seed_only = bool(getattr(args, "seed_only", False))
    settings = distributed_settings(url, crawl_id, seed=True, seed_only=seed_only, mode=mode)
    return DistributedRun(settings, seed_only, crawl_id, url, state)


def jsonable(spider_args: dict) -> dict:
    """Spider arguments as workers will receive them (the way `scrapy crawl -a` passes them: text)."""
    return {
        name: value if isinstance(value, str) else str(value)
        for name, value in spider_args.items()
        if value is not None
    }


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "worker", help="one worker of a distributed crawl: pull from the shared queue until it is done"
    )
    parser.add_argument("spider", metavar="SPIDER", help="spider name")
    add_run_options(parser)
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from archiver.cli import UsageError
    from archiver.crawl.distributed import CrawlKeys, distributed_settings, stored_params

    if args.seed_only:
        raise UsageError("a worker does not seed: use `archiver crawl|backfill --redis-url URL --seed-only`")
    url = redis_url_of(args)
    if not url:
        raise UsageError(f"a worker needs --redis-url URL (or ${REDIS_ENV})")
    database = db_url(args)
    crawl_id = args.crawl_id or args.spider
    settings = settings_from(args)
    server = connect(url)
    try:
        params = stored_params(server, CrawlKeys(crawl_id))
    finally:
        server.close()
    spider_args: dict = {}
    mode = "crawl"
    if params is not None:
        if params["spider"] != args.spider:
            raise UsageError(f"crawl {crawl_id!r} was seeded for spider {params['spider']!r}, not {args.spider!r}")
        spider_args = dict(params["spider_args"])
        mode = params["mode"]  # a backfill's workers walk like a backfill (see archiver/archive/incremental.py)
    stored_base = spider_args.get("base_url")
    if args.base_url:
        if stored_base and stored_base.rstrip("/") != args.base_url:
            raise UsageError(
                f"crawl {crawl_id!r} was seeded with --base-url {stored_base}; "
                f"its queued requests point there, not at {args.base_url}"
            )
        spider_args["base_url"] = args.base_url
    try:
        check_spiders([args.spider])
        if spider_args.get("base_url"):
            check_reachable(spider_args["base_url"])
    except RunError as exc:
        raise UsageError(str(exc)) from None
    settings.update(distributed_settings(url, crawl_id, seed=False, mode=mode))
    summaries = run_spiders({args.spider: spider_args}, db_url=database, mode=mode, settings=settings)
    for summary in summaries:  # field-yield warnings, even with -q: cron mails them
        for warning in summary.yield_warnings:
            print(warning, file=sys.stderr)
    if not args.quiet:
        for summary in summaries:
            print(summary.line())
            if params is None:
                print(f"(no parameters stored for crawl {crawl_id!r}: worked with the queue as found)")
    sys.stdout.flush()
    return exit_status(summaries)
