"""`archiver browse [--port N]`: the archive in Datasette, read-only, searchable, with canned queries."""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from archiver.archive.engine import resolve_db_url
from archiver.archive.lock import DatabaseLock
from archiver.archive.statedir import sqlite_file
from archiver.cli.options import add_db_option, port_number
from archiver.exceptions import UsageError
from archiver.research.browse import BrowseError, datasette_available, datasette_command, metadata_for, prepare


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "browse", help="explore the archive in Datasette, read-only (needs the browse extra)"
    )
    parser.add_argument("--port", type=port_number, default=8001, metavar="N", help="port to listen on (default: 8001)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument(
        "--immutable",
        action="store_true",
        help="serve the file as it is now, faster to count; holds the run lock meanwhile, so crawls "
        "say the archive is in use (default: live, read-only, beside any crawl)",
    )
    parser.add_argument("--live", action="store_true", help=argparse.SUPPRESS)  # the default now
    add_db_option(parser)
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    if not datasette_available():
        raise UsageError("archiver browse needs the browse extra: pip install 'newsarchiver[browse]'")
    url = resolve_db_url(args.db)
    database = sqlite_file(url)
    if database is None:
        raise UsageError("archiver browse serves SQLite archives (give --db sqlite:///FILE)")
    lock = None
    if args.immutable and database.is_file():
        # Immutable is read without locks: no run may write the file meanwhile.
        lock = DatabaseLock(url, description="archiver browse --immutable")
        try:
            taken = lock.acquire(wait=False)
        except OSError as exc:
            raise UsageError(f"cannot take the archive's run lock for --immutable: {exc.strerror or exc}") from None
        if not taken:
            raise UsageError(
                f"a run is writing the archive ({lock.holder() or 'holder unknown'}): "
                "browse it live, without --immutable"
            )
    try:
        return browse(args, database, lock)
    finally:
        if lock is not None:
            lock.release()


def browse(args: argparse.Namespace, database: Path, lock: DatabaseLock | None) -> int:
    try:
        served = prepare(database, live=lock is None)
    except BrowseError as exc:
        raise UsageError(str(exc)) from None
    if served.note:
        print(f"archiver: {served.note}", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="archiver-browse-") as folder:
        metadata_file = Path(folder) / "metadata.json"
        metadata_file.write_text(json.dumps(metadata_for(served.name)), encoding="utf-8")
        command = datasette_command(served, metadata_file, host=args.host, port=args.port)
        how = "immutable" if served.immutable else "live, read-only"
        print(f"browse the archive at http://{args.host}:{args.port}/{served.name} ({how}; Ctrl-C to stop)", flush=True)
        return serve(command)


def serve(command: list[str]) -> int:
    """Run Datasette until it ends; SIGTERM or Ctrl-C here stops it too (it must not outlive us)."""
    child = subprocess.Popen(command)
    previous = signal.signal(signal.SIGTERM, lambda *_: child.terminate())
    try:
        code = child.wait()
        return 0 if code < 0 else code  # stopped by a signal: the way a server is meant to end
    except KeyboardInterrupt:
        child.terminate()
        child.wait(timeout=20)
        return 0
    finally:
        signal.signal(signal.SIGTERM, previous)
        if child.poll() is None:
            child.kill()
