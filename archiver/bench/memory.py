"""Memory benchmark: how the crawl process's peak RSS grows with the size of the crawl.

Two crawls of the synthetic mirror (archiver/bench/crawl_mirror.py), a small and a large one (2,000
and 20,000 articles by default), each in a fresh process (archiver/bench/crawl_run.py); the growth
per 1,000 articles is the difference of their peak RSS over the difference of their sizes. What a
crawl keeps per URL shows here: a crawl whose memory is bounded grows by little more than the
allocator's slack.
"""

from __future__ import annotations

import sys
from typing import TextIO

from archiver.bench.crawl_run import run_crawl
from archiver.bench.plan import SITE_NAMES

#: Issue 27: a million-article backfill under ~700 MB.
TARGET_MB_PER_1000 = 0.5


def growth_per_1000(small: tuple[int, float], large: tuple[int, float]) -> float:
    """MB per 1,000 articles between two (articles, peak RSS MB) points."""
    (n1, rss1), (n2, rss2) = small, large
    return 1000 * (rss2 - rss1) / (n2 - n1)


def run(small: int = 2_000, large: int = 20_000, *, site: str = "kcnawatch", out: TextIO = sys.stdout) -> dict:
    """Crawl `small` and `large` articles of `site`; print and return the peak RSS of each and the growth."""
    if large <= small:
        raise RuntimeError(f"the memory benchmark needs two sizes, the second larger: {small}, {large}")
    rows = []
    for n in (small, large):
        f = run_crawl(n, site=site)
        rows.append(
            {
                "articles": n,
                "peak_rss_mb": f.peak_rss_mb,
                "pages": f.pages,
                "seconds": f.seconds,
                "cpu_seconds": f.cpu_seconds,
                "stored": f.stored,
            }
        )
    return report(rows[0], rows[1], site=site, out=out)


def report(small: dict, large: dict, *, site: str, out: TextIO = sys.stdout) -> dict:
    """Print the two crawls' peak RSS and the growth per 1,000 articles (rows as `crawl.run` returns them)."""
    print(f"memory of the crawl process ({SITE_NAMES.get(site, site)}):", file=out)
    for row in (small, large):
        print(
            f"  {row['articles']:>7,} articles: peak RSS {row['peak_rss_mb']:7.1f} MB, {row['pages']:,} pages in "
            f"{row['seconds']:.1f} s, {1000 * row['cpu_seconds'] / max(row['pages'], 1):.1f} ms CPU per page, "
            f"{row['stored'].get('article_urls', 0):,} article URLs stored",
            file=out,
        )
    points = [(row["articles"], row["peak_rss_mb"]) for row in (small, large)]
    growth = growth_per_1000(points[0], points[1])
    million = points[0][1] + growth * (1_000_000 - points[0][0]) / 1000
    print(
        f"  growth: {growth:.2f} MB per 1,000 articles (target <= {TARGET_MB_PER_1000} MB); "
        f"a 1,000,000-article crawl: about {million:,.0f} MB",
        file=out,
    )
    out.flush()
    return {"site": site, "sizes": [p[0] for p in points], "peak_rss_mb": [p[1] for p in points], "mb_per_1000": growth}
