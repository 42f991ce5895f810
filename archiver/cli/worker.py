"""`archiver worker SPIDER --redis-url URL`: one worker of a distributed crawl (see archiver/crawl/distributed.py).

`archiver crawl` and `archiver backfill` seed the crawl with the same `--redis-url` / `--crawl-id`
options (archiver/cli/options.py); seeding and joining live in archiver/crawl/seeding.py.
"""

from __future__ import annotations

import argparse
import sys

from archiver.cli.options import add_run_options, db_url, redis_url_of, settings_from, spider_arguments_from
from archiver.crawl.runner import check_reachable, check_spider_arguments, check_spiders, exit_status, run_spiders
from archiver.crawl.seeding import REDIS_ENV, worker_job
from archiver.exceptions import UsageError


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "worker", help="one worker of a distributed crawl: pull from the shared queue until it is done"
    )
    parser.add_argument("spider", metavar="SPIDER", help="spider name")
    add_run_options(parser)
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    if args.seed_only:
        raise UsageError("a worker does not seed: use `archiver crawl|backfill --redis-url URL --seed-only`")
    url = redis_url_of(args)
    if not url:
        raise UsageError(f"a worker needs --redis-url URL (or ${REDIS_ENV})")
    database = db_url(args)
    crawl_id = args.crawl_id or args.spider
    settings = settings_from(args)
    job = worker_job(url, crawl_id, args.spider, args.base_url)
    job.spider_args.update(spider_arguments_from(args))
    check_spiders([args.spider], settings)  # RunError, a UsageError, when it cannot run
    if job.spider_args.get("base_url"):
        check_reachable(job.spider_args["base_url"])
    check_spider_arguments([args.spider], job.spider_args, settings)
    settings.update(job.settings)
    summaries = run_spiders({args.spider: job.spider_args}, db_url=database, mode=job.mode, settings=settings)
    for summary in summaries:  # field-yield warnings and coverage gaps, even with -q: cron mails them
        for warning in [*summary.yield_warnings, *summary.coverage_gaps]:
            print(warning, file=sys.stderr)
    if not args.quiet:
        for summary in summaries:
            print(summary.line())
            if not job.params_found:
                print(f"(no parameters stored for crawl {crawl_id!r}: worked with the queue as found)")
    sys.stdout.flush()
    return exit_status(summaries)
