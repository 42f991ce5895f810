"""`archiver backfill SPIDER --since D [--until D] [--resume]`: archive a site's history, resumably.

The spider walks its listings back in time until their entries are older than --since and fetches
only the articles listed in the range that the archive does not hold yet. Scrapy's job folder
(JOBDIR) lives in the archive's state folder (`archive.sqlite.state/SPIDER/`); after Ctrl-C, kill or
a crash the same command with --resume continues from it. Without --resume a backfill starts its
walk afresh, still skipping archived articles, so running it twice is harmless.
"""

from __future__ import annotations

import argparse
import shlex
import sys

from archiver.cli.crawl import run
from archiver.cli.options import add_run_options, check_date_range, db_url, iso_date, shown_db_url
from archiver.crawl.runner import RunSummary
from archiver.exceptions import UsageError
from archiver.extensions.jobdir import ResumeMismatch, backfill_dir, forget, prepare


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "backfill", help="archive a site's history between two dates; resumable with --resume"
    )
    parser.add_argument("spiders", nargs=1, metavar="SPIDER", help="the spider to run")
    parser.add_argument(
        "--since", type=iso_date, required=True, metavar="YYYY-MM-DD", help="oldest listing date to archive"
    )
    parser.add_argument(
        "--until", type=iso_date, metavar="YYYY-MM-DD", help="newest listing date to archive (default: no limit)"
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="continue the interrupted backfill with the same options from where it stopped",
    )
    add_run_options(parser)
    parser.set_defaults(handler=handle, all=False)


def command_line(args: argparse.Namespace) -> str:
    """The command as given, every option repeated (to print after "continue it with:")."""
    words = ["archiver", "backfill", args.spiders[0], "--since", args.since.isoformat()]
    if args.until:
        words += ["--until", args.until.isoformat()]
    for option, value in (("--sites", args.sites), ("--base-url", args.base_url)):
        if value:
            words += [option, value]
    if args.db:
        words += ["--db", shown_db_url(args.db)]
    if args.log_file:
        words += ["--log-file", args.log_file]
    for option, value in (("--redis-url", getattr(args, "redis_url", None)), ("--crawl-id", args.crawl_id)):
        if value:
            words += [option, shown_db_url(value) if option == "--redis-url" else value]
    for pair in args.settings:
        words += ["-s", pair]
    for pair in args.spider_arguments:
        words += ["-a", pair]
    flags = ("refresh", "wait", "quiet", "verbose", "seed_only")
    words += [f"--{flag.replace('_', '-')}" for flag in flags if getattr(args, flag, False)]
    return shlex.join(words)


def handle(args: argparse.Namespace) -> int:
    check_date_range(args)
    spider = args.spiders[0]
    folder = backfill_dir(db_url(args), spider)
    parameters = {
        "since": args.since.isoformat(),
        "until": args.until.isoformat() if args.until else None,
        "base_url": args.base_url,
        # Resumed with other spider arguments, the saved queue would walk other listings.
        "arguments": " ".join(sorted(args.spider_arguments)) or None,
    }

    def before(_db_url: str) -> None:
        try:
            message = prepare(folder, parameters, resume=args.resume)
        except ResumeMismatch as exc:
            raise UsageError(str(exc)) from None
        if not args.quiet:
            print(f"archiver: {message}", file=sys.stderr, flush=True)

    def after(summaries: list[RunSummary]) -> None:
        if all(s.stats.get("finish_reason") == "finished" for s in summaries):
            forget(folder)
        elif not args.quiet:
            print(f"archiver: backfill stopped; continue it with: {command_line(args)} --resume", file=sys.stderr)

    spider_args = {"since": parameters["since"]}
    if parameters["until"]:
        spider_args["until"] = parameters["until"]
    return run(
        args, mode="backfill", spider_args=spider_args, settings={"JOBDIR": str(folder)}, before=before, after=after
    )
