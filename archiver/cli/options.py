"""Argument types and options shared by several subcommands, with one-line errors for bad values."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from datetime import date
from urllib.parse import urlsplit

from archiver.archive.engine import DatabaseError, check_db_url, resolve_db_url
from archiver.exceptions import UsageError
from archiver.research.output import FORMATS


def iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def positive(text: str) -> int:
    """A whole number of at least 1 (counts, limits)."""
    number = int(text) if text.isdigit() else 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return number


def http_url(text: str) -> str:
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise argparse.ArgumentTypeError(f"not an http(s) URL: {text!r}")
    return text.rstrip("/")


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


def db_url(args: argparse.Namespace) -> str:
    """The database URL the user asked for, checked; UsageError when it cannot be used."""
    url = resolve_db_url(getattr(args, "db", None))
    try:
        check_db_url(url)
    except DatabaseError as exc:
        raise UsageError(str(exc)) from None
    return url


def add_format_option(
    parser: argparse.ArgumentParser, formats: Sequence[str] = FORMATS, default: str = "table"
) -> None:
    """--format, one of the formats archiver/research/output.py writes."""
    parser.add_argument("--format", choices=formats, default=default, help=f"output format (default: {default})")
