"""The `archiver` command line: parses arguments and hands over to the runner, store or queries.

Each subcommand lives in its own module with `add_parser(subparsers)`; its handler returns the
exit status (0 done, 1 finished with errors, 2 bad usage). Errors meant for the user are raised as
UsageError and printed as one line, never as a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from archiver import __version__
from archiver.exceptions import UsageError

COMMANDS = [
    "sites",
    "crawl",
    "backfill",
    "worker",
    "search",
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
        return int(args.handler(args) or 0)
    except (UsageError, DatabaseError) as exc:
        print(f"archiver: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("archiver: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `archiver export | head`: the reader has what it wanted
        sys.stderr.close()
        return 0
    except OSError as exc:
        if exc.filename is None:
            raise
        print(f"archiver: error: cannot write {exc.filename}: {exc.strerror}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
