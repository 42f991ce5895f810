"""Argument types and options shared by several subcommands, with one-line errors for bad values."""

from __future__ import annotations

import argparse
import os
from datetime import date
from urllib.parse import urlsplit

from archiver.archive.engine import DatabaseError, check_db_url, resolve_db_url


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


def add_date_range(parser: argparse.ArgumentParser, what: str) -> None:
    """--since and --until, inclusive days; `what` completes the help: "published", "fetched"."""
    parser.add_argument("--since", type=iso_date, metavar="YYYY-MM-DD", help=f"only {what} on or after this day")
    parser.add_argument("--until", type=iso_date, metavar="YYYY-MM-DD", help=f"only {what} on or before this day")


def check_date_range(args: argparse.Namespace) -> None:
    """UsageError when --since is after --until."""
    from archiver.cli import UsageError

    if args.since and args.until and args.since > args.until:
        raise UsageError(f"--since {args.since} is after --until {args.until}")


def add_db_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db", metavar="URL", help="SQLAlchemy database URL (default: $ARCHIVER_DB_URL or sqlite:///archive.sqlite)"
    )


def db_url(args: argparse.Namespace) -> str:
    """The database URL the user asked for, checked; UsageError when it cannot be used."""
    from archiver.cli import UsageError

    url = resolve_db_url(getattr(args, "db", None))
    try:
        check_db_url(url)
    except DatabaseError as exc:
        raise UsageError(str(exc)) from None
    return url
