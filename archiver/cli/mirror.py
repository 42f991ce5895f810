"""`archiver mirror SITE [--port N]`: serve a bundled sample site on loopback for a trial crawl."""

from __future__ import annotations

import argparse
import sys
import threading

from archiver.cli.options import port_number
from archiver.exceptions import UsageError
from archiver.mirror.sample_sites import DEMO_SITES
from archiver.mirror.server import MirrorServer


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "mirror",
        help="serve a bundled sample site on loopback, to try `archiver crawl SITE --base-url …` on",
    )
    parser.add_argument(
        "site", choices=sorted(DEMO_SITES), metavar="SITE", help=f"one of {', '.join(sorted(DEMO_SITES))}"
    )
    parser.add_argument(
        "--port",
        type=port_number,
        default=8000,
        metavar="N",
        help="port to listen on (default: 8000, beside `archiver browse` on 8001; 0: any free one)",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port must be 0 to 65535, got {args.port}")
    try:
        server = MirrorServer(DEMO_SITES[args.site](), port=args.port, host=args.host)
    except OSError as exc:
        raise UsageError(f"cannot serve on {args.host}:{args.port}: {exc.strerror or exc}") from None
    with server:
        print(f"serving the sample {args.site} site at {server.base_url} (Ctrl-C to stop)", flush=True)
        print(f"  crawl it: archiver crawl {args.site} --base-url {server.base_url} -s DOWNLOAD_DELAY=0", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            print("stopped", file=sys.stderr)
    return 0
