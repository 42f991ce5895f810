"""Argument types and options shared by several subcommands, with one-line errors for bad values."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from archiver.archive.dburl import sqlite_target
from archiver.archive.engine import check_db_url, chosen_db_url, resolve_db_url
from archiver.archive.statedir import sqlite_file
from archiver.crawl.overrides import BadSetting, check_override
from archiver.crawl.seeding import REDIS_ENV
from archiver.exceptions import UsageError
from archiver.normalize.urls import check_site_url
from archiver.research.outfile import OutputRefused, archive_files, check_output
from archiver.research.output import FORMATS


def iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


#: The largest count or limit taken: SQLite integers are 64-bit.
MAX_COUNT = 2**63 - 1


def positive(text: str) -> int:
    """A whole number of at least 1 (counts, limits), at most MAX_COUNT."""
    number = int(text) if text.isdigit() else 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    if number > MAX_COUNT:
        raise argparse.ArgumentTypeError(f"expected a whole number of at most {MAX_COUNT}, got {text!r}")
    return number


def non_negative(text: str) -> int:
    """A whole number of 0 or more (0 often means "no limit"), at most MAX_COUNT."""
    number = int(text) if text.strip().isdigit() else -1
    if number < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number of 0 or more, got {text!r}")
    if number > MAX_COUNT:
        raise argparse.ArgumentTypeError(f"expected a whole number of at most {MAX_COUNT}, got {text!r}")
    return number


def port_number(text: str) -> int:
    """A TCP port to listen on: 0 (any free one) to 65535."""
    number = int(text) if text.strip().isdigit() else -1
    if not 0 <= number <= 65535:
        raise argparse.ArgumentTypeError(f"not a port (0-65535): {text!r}")
    return number


def http_url(text: str) -> str:
    """An http(s) URL to crawl or check: a host name that can be looked up, a port, no credentials."""
    try:
        return check_site_url(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_date_range(parser: argparse.ArgumentParser, what: str) -> None:
    """--since and --until, inclusive days; `what` completes the help: "published", "fetched"."""
    parser.add_argument("--since", type=iso_date, metavar="YYYY-MM-DD", help=f"only {what} on or after this day")
    parser.add_argument("--until", type=iso_date, metavar="YYYY-MM-DD", help=f"only {what} on or before this day")


def check_date_range(args: argparse.Namespace) -> None:
    """UsageError when --since is after --until."""
    if args.since and args.until and args.since > args.until:
        raise UsageError(f"--since {args.since} is after --until {args.until}")


def add_db_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db", metavar="URL", help="SQLAlchemy database URL (default: $ARCHIVER_DB_URL or sqlite:///archive.sqlite)"
    )


def is_in_memory(url: str) -> bool:
    """Whether `url` names an in-memory SQLite database (everything is lost when the process ends),
    in any spelling (`sqlite://`, `:memory:`, `file::memory:?uri=true`, `mode=memory` …)."""
    target = sqlite_target(url)
    return target is not None and target.in_memory


def db_url(args: argparse.Namespace) -> str:
    """The canonical URL of the database the user asked for, to write, checked (a SQLite file by its
    real path: archiver/archive/dburl.py); UsageError when it cannot be used."""
    given = chosen_db_url(getattr(args, "db", None))
    target = sqlite_target(given)  # DatabaseError is a UsageError
    if target is not None and target.in_memory:
        raise UsageError(
            f"{given} is an in-memory database: everything would be lost at the end; give a file: sqlite:///FILE"
        )
    if target is not None and target.read_only:
        raise UsageError(f"{given} opens the archive read-only (mode=ro), and this command writes it")
    url = resolve_db_url(given)
    check_db_url(url)
    return url


def shown_db_url(url: str) -> str:
    """A database (or Redis) URL as printed in a line for people (e.g. the backfill's resume hint):
    the one place where what is shown of it is decided."""
    return url


def add_format_option(
    parser: argparse.ArgumentParser, formats: Sequence[str] = FORMATS, default: str = "table"
) -> None:
    """--format, one of the formats archiver/research/output.py writes."""
    parser.add_argument("--format", choices=formats, default=default, help=f"output format (default: {default})")


def folder(text: str) -> str:
    if not os.path.isdir(text):
        raise argparse.ArgumentTypeError(f"not a folder: {text!r}")
    return text


def add_sites_option(parser: argparse.ArgumentParser) -> None:
    """--sites DIR: the folder of site profiles (default $ARCHIVER_SITES, else ./sites/)."""
    parser.add_argument(
        "--sites", type=folder, metavar="DIR", help="folder of site profiles (default: $ARCHIVER_SITES or ./sites/)"
    )


def sites_settings(args: argparse.Namespace) -> dict:
    """The settings that point the spider loader at --sites, when given."""
    return {"ARCHIVER_SITES": args.sites} if getattr(args, "sites", None) else {}


def add_run_options(parser: argparse.ArgumentParser) -> None:
    """Options every crawling command shares (crawl, backfill, worker)."""
    add_db_option(parser)
    add_sites_option(parser)
    parser.add_argument(
        "--base-url", type=http_url, metavar="URL", help="crawl this host (a mirror) with the site's paths"
    )
    add_set_option(parser)
    parser.add_argument(
        "-a",
        dest="spider_arguments",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="pass an argument to the spider, as `scrapy crawl -a` does (repeatable), e.g. -a sources=163,177",
    )
    parser.add_argument("--log-file", metavar="FILE", help="write Scrapy's log to FILE")
    verbosity = parser.add_mutually_exclusive_group()
    verbosity.add_argument("-q", "--quiet", action="store_true", help="print only errors")
    verbosity.add_argument("-v", "--verbose", action="store_true", help="print Scrapy's progress log")
    parser.add_argument("--refresh", action="store_true", help="fetch articles again even when the archive holds them")
    parser.add_argument(
        "--revisit",
        action="store_true",
        help="fetch archived articles due for a revisit (what ordinary crawls of the real site do; "
        "backfills and --base-url runs only with this)",
    )
    parser.add_argument(
        "--wait",
        action="store_true",
        help="when another run is using the database, wait for it to end (default: say so and exit 0)",
    )
    add_redis_options(parser)


def add_redis_options(parser: argparse.ArgumentParser, *, seeding: bool = True) -> None:
    """--redis-url and --crawl-id (and, for the seeding commands, --seed-only): a distributed crawl."""
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
    """--redis-url, else $ARCHIVER_REDIS_URL, else None (crawl alone)."""
    return getattr(args, "redis_url", None) or os.environ.get(REDIS_ENV) or None


def settings_from(args: argparse.Namespace) -> dict:
    """The Scrapy settings the run options ask for: log level and file, then every --set."""
    settings: dict = {
        "ARCHIVER_PROGRESS": not args.quiet,  # a bar on a terminal, a line every 30 s elsewhere
        "LOG_LEVEL": "INFO" if args.verbose else ("ERROR" if args.quiet else "WARNING"),
        # Not the startup block nor the stats dump (those are in crawl_runs), unless -v.
        "ARCHIVER_LOG_STARTUP": bool(args.verbose),
        "STATS_DUMP": bool(args.verbose),
    }
    if args.log_file:
        check_log_file(args)
        try:  # fail now, in one line, rather than with a traceback when Scrapy opens it
            with open(args.log_file, "a", encoding="utf-8"):
                pass
        except OSError as exc:
            raise UsageError(f"cannot write the log file {args.log_file}: {exc.strerror or exc}") from None
        settings["LOG_FILE"] = args.log_file
        settings["LOG_LEVEL"] = "INFO"
    settings.update(sites_settings(args))
    settings.update(set_pairs(args.settings))
    return settings


def check_log_file(args: argparse.Namespace) -> None:
    """UsageError when --log-file names the archive or one of its files (the log would be
    appended to the database, whatever name or link reaches it)."""
    protected = archive_files(sqlite_file(resolve_db_url(getattr(args, "db", None))))
    try:
        check_output(Path(args.log_file).expanduser(), protected, option="--log-file")
    except OutputRefused as exc:
        raise UsageError(str(exc)) from None


def add_set_option(parser: argparse.ArgumentParser) -> None:
    """-s/--set NAME=VALUE: a Scrapy setting for this run (repeatable)."""
    parser.add_argument(
        "--set",
        "-s",
        dest="settings",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a Scrapy setting (repeatable), e.g. -s DOWNLOAD_DELAY=0",
    )


def set_pairs(pairs: list[str]) -> dict[str, str]:
    """The -s NAME=VALUE pairs, each checked against its setting's type (one line when it does not fit)."""
    settings: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise UsageError(f"--set takes NAME=VALUE, got {pair!r}")
        try:
            warning = check_override(name.strip(), value)
        except BadSetting as exc:
            raise UsageError(str(exc)) from None
        if warning:
            print(f"archiver: warning: {warning}", file=sys.stderr)
        settings[name.strip()] = value
    return settings


def spider_arguments_from(args: argparse.Namespace) -> dict[str, str]:
    """The -a NAME=VALUE pairs, as text (the way `scrapy crawl -a` passes them)."""
    arguments: dict[str, str] = {}
    for pair in getattr(args, "spider_arguments", None) or []:
        name, sep, value = pair.partition("=")
        name = name.strip()
        if not sep or not name.isidentifier():
            raise UsageError(f"-a takes NAME=VALUE, got {pair!r}")
        arguments[name] = value
    return arguments
