"""`archiver bench`: throughput figures — a crawl of a synthetic loopback mirror beside `scrapy bench`,
the date normalizer, and search/export over a synthetic research archive — and the site-profile
path's date accuracy over a corpus of article pages (`--only page-dates`). Quick by default (under a
minute); `--full` runs the sizes the performance targets are stated at. It says first how long it
will take."""

from __future__ import annotations

import argparse
import sys

from archiver.cli.options import positive
from archiver.exceptions import UsageError

PARTS = ("crawl", "memory", "reparse", "dates", "listing", "access", "page-dates")
SITES = ("kcnawatch", "rstv")


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "bench",
        help="throughput: crawl beside scrapy bench, dates, search and export (quick by default; --full)",
        description="Crawl synthetic KCNA Watch and RSTV mirrors served on loopback at full speed and print "
        "pages/s, CPU time per page and peak RSS beside `scrapy bench`'s of the same run, and the time of each "
        "pipeline stage; crawl 2,000 and 20,000 articles and print the memory growth per 1,000 (memory); then time the date normalizer, and search (median and p95 of one-word, phrase, "
        "filtered and boolean queries, count by month; Korean terms beside the substring scan they replace) "
        "and export over a synthetic research archive, and "
        "time a reparse of a crawl's stored pages, and how long a 100,000-link listing holds each spider; last, "
        "count how many article pages of a corpus in the shapes of real CMS themes the site-profile path dates "
        "correctly, wrongly, or not at all (page-dates). "
        "The default is a quick run (under a minute); --full uses the sizes of the targets "
        "(20,000-article crawl, 1,000,000-article archive). Explicit sizes override either.",
    )
    parser.add_argument(
        "--full", action="store_true", help="the sizes of the targets: crawls of 2,000 and 20,000, 1,000,000 archived"
    )
    parser.add_argument(
        "--articles",
        type=positive,
        nargs="+",
        metavar="N",
        help="articles of the synthetic mirror (quick: 300; full: 2000 20000); several values crawl once per value",
    )
    parser.add_argument("--only", choices=PARTS, help="run only this part")
    parser.add_argument(
        "--site",
        choices=SITES,
        action="append",
        help="the synthetic mirror(s) to crawl (default: both with --full or --only crawl, else KCNA Watch; "
        "KCNA Watch for memory); repeatable",
    )
    parser.add_argument(
        "--memory-articles",
        type=positive,
        nargs=2,
        metavar=("SMALL", "LARGE"),
        help="the two crawl sizes whose peak RSS the memory part compares (default 2000 20000)",
    )
    parser.add_argument(
        "--no-scrapy-bench",
        dest="compare",
        action="store_false",
        help="do not run `scrapy bench` after each crawl for comparison",
    )
    parser.add_argument(
        "--profile", metavar="FILE", help="profile the crawl process with pyinstrument (not a dependency) into FILE"
    )
    parser.add_argument("--dates", type=positive, metavar="N", help="dates to normalize (quick: 20000; full: 200000)")
    parser.add_argument(
        "--access-articles",
        type=positive,
        metavar="N",
        help="articles of the search/export benchmark's archive (quick: 20000; full: 1000000)",
    )
    parser.add_argument(
        "--access-db",
        metavar="FILE",
        help="keep the search/export archive in FILE, or reuse the one there (a million articles take minutes to build)",
    )
    parser.add_argument(
        "--reparse-articles",
        type=positive,
        metavar="N",
        help="articles of the crawl whose stored pages the reparse benchmark re-derives (quick: 100; full: 5000)",
    )
    parser.add_argument("--workers", type=positive, metavar="N", help="reparse workers (default: one per CPU)")
    parser.add_argument("--repeat", type=positive, default=5, metavar="R", help="runs of each search (default 5)")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    import importlib.util
    from pathlib import Path

    from archiver.bench.plan import FULL, QUICK, Plan

    # The memory part crawls 20,000 articles: with --full or --only memory, not in the quick run.
    parts = [args.only] if args.only else [p for p in PARTS if args.full or p != "memory"]
    sizes = FULL if args.full else QUICK
    articles = args.articles or sizes["articles"]
    if args.profile and len(articles) > 1:
        raise UsageError("--profile takes one --articles value")
    if args.profile and importlib.util.find_spec("pyinstrument") is None:
        raise UsageError("--profile needs pyinstrument (pip install pyinstrument)")
    if args.access_db and Path(args.access_db).is_dir():
        raise UsageError(f"--access-db is a folder: {args.access_db}")
    if args.access_db and not Path(args.access_db).expanduser().resolve().parent.is_dir():
        raise UsageError(f"--access-db folder does not exist: {Path(args.access_db).parent}")
    plan = Plan(
        parts=parts,
        articles=articles,
        dates=args.dates or sizes["dates"],
        access_articles=args.access_articles or sizes["access_articles"],
        compare=args.compare,
        reparse_articles=args.reparse_articles or sizes["reparse_articles"],
        reuse_access=bool(args.access_db and Path(args.access_db).is_file()),
        # Both sites with --full or --only crawl; the quick run (under a minute) crawls KCNA Watch only.
        sites=args.site or (list(SITES) if args.full or args.only == "crawl" else ["kcnawatch"]),
        memory_sites=args.site or ["kcnawatch"],
        memory_articles=args.memory_articles or sizes["memory_articles"],
    )
    print(plan.describe())
    if parts not in (["page-dates"], ["memory"]) and not (
        args.full or args.articles or args.access_articles or args.reparse_articles
    ):
        print("(quick sizes; `archiver bench --full` measures at the sizes of the targets)")
    print()
    sys.stdout.flush()
    crawled: dict[tuple[str, int], dict] = {}  # (site, articles) → the crawl's figures
    if "crawl" in parts:
        from archiver.bench import crawl

        for site in plan.sites:
            rows = []
            for n in plan.articles:
                try:
                    rows.append(crawl.run(n, site=site, compare=args.compare, profile=args.profile))
                    crawled[site, n] = rows[-1]
                except RuntimeError as exc:
                    print(f"archiver: error: {exc}", file=sys.stderr)
                    return 1
                print()
            if len(rows) > 1:
                print(
                    f"peak RSS by size ({crawl.SITE_NAMES[site]}): "
                    + ", ".join(f"{r['articles']:,} articles {r['peak_rss_mb']:.0f} MB" for r in rows)
                )
                print()
    if "memory" in parts:
        from archiver.bench import memory

        small, large = plan.memory_articles
        for site in plan.memory_sites:
            try:
                if (site, small) in crawled and (site, large) in crawled:  # --full crawled both sizes already
                    memory.report(crawled[site, small], crawled[site, large], site=site)
                else:
                    memory.run(small, large, site=site)
            except RuntimeError as exc:
                print(f"archiver: error: {exc}", file=sys.stderr)
                return 1
            print()
    if "reparse" in parts:
        from archiver.bench import reparse

        try:
            reparse.run(plan.reparse_articles, workers=args.workers)
        except RuntimeError as exc:
            print(f"archiver: error: {exc}", file=sys.stderr)
            return 1
        print()
    if "dates" in parts:
        from archiver.bench import dates

        print("date normalizer:")
        dates.run(plan.dates)
        print()
    if "listing" in parts:
        from archiver.bench import listing

        print("a hostile listing (cut to ARCHIVER_PAGE_MAX_LINKS, then parsed):")
        listing.run()
        print()
    if "access" in parts:
        from archiver.bench import access

        print("search and export:")
        access.run(plan.access_articles, db=args.access_db, repeat=args.repeat)
        print()
    if "page-dates" in parts:
        from archiver.bench import pagedates

        pagedates.run()
    sys.stdout.flush()
    return 0
