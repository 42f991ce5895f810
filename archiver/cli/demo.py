"""`archiver demo`: serve the bundled sample sites on loopback and archive them, with no network at all."""

from __future__ import annotations

import argparse

from sqlalchemy import text

from archiver.archive.engine import open_archive
from archiver.cli.options import add_db_option, db_url
from archiver.crawl.runner import exit_status, run_spiders
from archiver.mirror import FULL_SPEED
from archiver.mirror.hosts import serve_under_stable_hosts
from archiver.mirror.sample_sites import DEMO_SITES
from archiver.normalize.urls import masked_url

EXAMPLE_QUERIES = [
    (
        "Articles per site and source",
        "SELECT site, source, COUNT(*) AS articles, MIN(published_on) AS first, MAX(published_on) AS last "
        "FROM articles GROUP BY site, source ORDER BY site, source",
    ),
    (
        "Reposts: stories found under more than one address",
        "SELECT a.published_on, substr(a.title, 1, 50) AS title, COUNT(u.url) AS addresses "
        "FROM articles a JOIN article_urls u ON u.article_id = a.id GROUP BY a.id HAVING COUNT(u.url) > 1",
    ),
    (
        "The most repeated listing entries",
        "SELECT times_seen, listed_on, substr(teaser, 1, 60) AS teaser FROM listing_entries "
        "ORDER BY times_seen DESC, listed_on DESC LIMIT 5",
    ),
]


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("demo", help="archive the bundled sample sites, offline")
    add_db_option(parser)
    parser.set_defaults(handler=handle, db=None)


def print_table(rows, headers) -> None:
    cells = [[("" if v is None else str(v)) for v in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    print("  " + "  ".join(h.ljust(w) for h, w in zip(headers, widths)))
    for row in cells:
        print("  " + "  ".join(v.ljust(w) for v, w in zip(row, widths)))


def handle(args: argparse.Namespace) -> int:
    url = db_url(argparse.Namespace(db=args.db or "sqlite:///demo.sqlite"))
    open_archive(url).dispose()  # not an archive, or a database that cannot be used: one line, before any crawl
    fast = {**FULL_SPEED, "LOG_LEVEL": "WARNING"}
    # Stable host names, not loopback ports: a second run finds the same addresses (an incremental crawl).
    with serve_under_stable_hosts(DEMO_SITES) as base_urls:
        for spider, base_url in base_urls.items():
            print(f"serving the sample {spider} site as {base_url} (on loopback)")
        jobs = {spider: {"base_url": base_url} for spider, base_url in base_urls.items()}
        summaries = run_spiders(jobs, db_url=url, mode="crawl", settings=fast)
    for summary in summaries:
        print(summary.line())
    engine = open_archive(url)
    print(f"\narchive: {masked_url(engine.url.render_as_string(hide_password=False))}")
    with engine.connect() as connection:
        for title, sql in EXAMPLE_QUERIES:
            print(f"\n{title}:\n  {sql}")
            result = connection.execute(text(sql))
            print_table(result.fetchall(), list(result.keys()))
    engine.dispose()
    print(
        '\nTry: archiver sql "SELECT title, published_on FROM articles ORDER BY published_on DESC LIMIT 5" --db '
        + masked_url(url)
    )
    return exit_status(summaries)
