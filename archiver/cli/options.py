"""Argument types and options shared by several subcommands, with one-line errors for bad values."""

from __future__ import annotations

import argparse
from datetime import date
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url

from archiver.archive.engine import DatabaseError, check_db_url, resolve_db_url


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


def http_url(text: str) -> str:
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise argparse.ArgumentTypeError(f"not an http(s) URL: {text!r}")
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0 or (port is None and parts.netloc.endswith(":")):
        raise argparse.ArgumentTypeError(f"not a port (1-65535) in {text!r}")
    return text.rstrip("/")


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


def is_in_memory(url: str) -> bool:
    """Whether `url` names an in-memory SQLite database (everything is lost when the process ends)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return False
    path = parsed.database or ""
    return path in ("", ":memory:") or path.startswith("file::memory:") or "mode=memory" in path


def db_url(args: argparse.Namespace) -> str:
    """The database URL the user asked for, to write, checked; UsageError when it cannot be used."""
    from archiver.cli import UsageError

    url = resolve_db_url(getattr(args, "db", None))
    try:
        check_db_url(url)
    except DatabaseError as exc:
        raise UsageError(str(exc)) from None
    if is_in_memory(url):
        raise UsageError(
            f"{url} is an in-memory database: everything would be lost at the end; give a file: sqlite:///FILE"
        )
    return url
