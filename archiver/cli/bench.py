"""`archiver bench`: throughput figures — a full crawl of a synthetic loopback mirror, the date
normalizer, and search and export."""

from __future__ import annotations

import argparse
import importlib.util
import sys

from archiver.cli.options import positive
from archiver.exceptions import UsageError

PARTS = ("crawl", "dates", "access")


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "bench",
        help="throughput on a synthetic loopback mirror (and of dates, search, export)",
        description="Crawl a synthetic KCNA Watch mirror served on loopback at full speed and print "
        "pages/s, articles/s, peak RSS and the time of each pipeline stage next to `scrapy bench`; "
        "then time the date normalizer, search and export.",
    )
    parser.add_argument(
        "--articles",
        type=positive,
        nargs="+",
        default=[5000],
        metavar="N",
        help="articles of the synthetic mirror (default 5000); several values crawl once per value",
    )
    parser.add_argument("--only", choices=PARTS, help="run only this part")
    parser.add_argument(
        "--no-scrapy-bench",
        dest="compare",
        action="store_false",
        help="do not run `scrapy bench` after the crawl for comparison",
    )
    parser.add_argument(
        "--profile", metavar="FILE", help="profile the crawl process with pyinstrument (not a dependency) into FILE"
    )
    parser.add_argument(
        "--dates", type=positive, default=200_000, metavar="N", help="dates to normalize (default 200000)"
    )
    parser.add_argument(
        "--access-articles", type=positive, metavar="N", help="articles of the search/export benchmark's archive"
    )
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    parts = [args.only] if args.only else list(PARTS)
    if args.profile and len(args.articles) > 1:
        raise UsageError("--profile takes one --articles value")
    if args.profile and importlib.util.find_spec("pyinstrument") is None:
        raise UsageError("--profile needs pyinstrument (pip install pyinstrument)")
    if "crawl" in parts:
        from archiver.bench import crawl

        rows = []
        for n in args.articles:
            try:
                rows.append(crawl.run(n, compare=args.compare, profile=args.profile))
            except RuntimeError as exc:
                print(f"archiver: error: {exc}", file=sys.stderr)
                return 1
            print()
        if len(rows) > 1:
            print(
                "peak RSS by size: " + ", ".join(f"{r['articles']:,} articles {r['peak_rss_mb']:.0f} MB" for r in rows)
            )
            print()
    if "dates" in parts:
        from archiver.bench import dates

        print("date normalizer:")
        dates.run(args.dates)
        print()
    if "access" in parts:
        from archiver.bench import access

        print("search and export:")
        kwargs = {"articles": args.access_articles} if args.access_articles else {}
        access.run(**kwargs)
    sys.stdout.flush()
    return 0
