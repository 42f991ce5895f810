"""The `archiver` command line: parses arguments and hands over to the runner, store or queries.

Each subcommand lives in its own module with `add_parser(subparsers)`; its handler returns the
exit status (0 done, 1 finished with errors, 2 bad usage). Errors meant for the user are raised as
UsageError and printed as one line, never as a traceback.
"""

from __future__ import annotations

import argparse
import errno
import importlib
import os
import sys

from archiver import __version__
from archiver.exceptions import UsageError
from archiver.normalize.urls import masked_url

COMMANDS = [
    "sites",
    "crawl",
    "backfill",
    "worker",
    "search",
    "changes",
    "sql",
    "export",
    "stats",
    "coverage",
    "runs",
    "health",
    "db",
    "reparse",
    "export_warc",
    "bench",
    "demo",
    "mirror",
    "browse",
    "check",
]


class OneLineParser(argparse.ArgumentParser):
    """Reports bad arguments in one line (not argparse's usage block), exit status 2."""

    def error(self, message: str):
        message = " ".join(masked_url(word) for word in message.split(" "))  # argparse echoes arguments
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="archiver", description="Archive news sites built around listing pages.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        importlib.import_module(f"archiver.cli.{name}").add_parser(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    from archiver.archive.engine import DatabaseError

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        status = int(args.handler(args) or 0)
        sys.stdout.flush()  # here, where a full disk is one line; not at exit, where it is a traceback
        return status
    except (UsageError, DatabaseError) as exc:
        print(f"archiver: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("archiver: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `archiver export | head`: the reader has what it wanted
        sys.stderr.close()
        return 0
    except UnicodeEncodeError as exc:
        print(f"archiver: error: {unencodable(exc)}", file=sys.stderr)
        return 2
    except OSError as exc:
        if exc.filename is None and exc.errno in OUTPUT_ERRNOS:  # stdout on a full disk, /dev/full, a dead device
            discard_output()
            print(f"archiver: error: cannot write the output: {exc.strerror}", file=sys.stderr)
            return 2
        if exc.filename is None:
            raise
        print(f"archiver: error: cannot write {exc.filename}: {exc.strerror}", file=sys.stderr)
        return 2


def unencodable(exc: UnicodeEncodeError) -> str:
    """What could not be encoded: a lone surrogate stands for bytes of an argument that were not
    valid UTF-8 (a search term, a query); anything else, a character the output cannot show."""
    bad = exc.object[exc.start : exc.end] if isinstance(exc.object, str) else ""
    if bad and all("\ud800" <= c <= "\udfff" for c in bad):
        return f"an argument is not valid UTF-8 text (undecodable bytes shown as {bad!r})"
    return f"cannot write {bad!r} in the output's encoding ({exc.encoding}); set PYTHONIOENCODING=utf-8"


#: Errors of writing to standard output that the user can act on (a full disk, a quota, a device).
OUTPUT_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO, errno.EROFS)


def discard_output() -> None:
    """After standard output failed: point it at /dev/null, so that the interpreter's last flush
    does not fail again (and print a second message)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


if __name__ == "__main__":
    sys.exit(main())
