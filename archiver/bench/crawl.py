"""The crawl benchmark's figures: a crawl of each site's synthetic mirror beside `scrapy bench`.

`run(articles=N, site=…)` serves N synthetic articles in the site's seen markup
(archiver/bench/crawl_mirror.py) from one process, crawls them at full speed from another
(archiver/bench/crawl_run.py), then runs `scrapy bench` for about as long, and prints per site:
pages/s, CPU ms per page of the crawl process, peak RSS, the time of each pipeline stage, and each
beside `scrapy bench`'s of the same run with the ratio.
"""

from __future__ import annotations

import os
import sys
from typing import Any, TextIO

from archiver.bench.crawl_run import CrawlFigures, ReferenceFigures, load_average, run_crawl, scrapy_bench_figures
from archiver.bench.plan import SITE_NAMES

#: The targets (issue 27), printed beside the figures.
TARGET_RATIO = 0.85
TARGET_RSS_MB = 200
TARGET_RSS_AT = 20_000


# Report -----------------------------------------------------------------------------------------
def _side(label: str, ours: str, theirs: str, note: str = "") -> str:
    return f"  {(label + ':') if label else '':<16}{ours:>14}   {theirs:>14}{'   ' + note if note else ''}"


def print_crawl(
    figures: CrawlFigures, out: TextIO, reference: ReferenceFigures | None = None, load: float | None = None
) -> None:
    """The crawl's figures, each beside `scrapy bench`'s of the same run (when it ran)."""
    stored = figures.stored
    site = SITE_NAMES.get(figures.site, figures.site)
    print(f"crawl of {figures.articles:,} synthetic {site} articles ({figures.reposts} reposts):", file=out)
    ref = reference
    dash = "-"
    print(
        _side("", "archiver", "scrapy bench" if ref else "", "(scrapy bench: same machine, just after)" if ref else ""),
        file=out,
    )
    print(
        _side(
            "pages",
            f"{figures.pages:,} in {figures.seconds:.1f} s",
            f"{ref.pages:,} in {ref.seconds:.1f} s" if ref else dash,
        ),
        file=out,
    )
    ratio = figures.pages_per_second / ref.pages_per_second if ref and ref.pages_per_second else None
    print(
        _side(
            "pages/s",
            f"{figures.pages_per_second:,.1f}",
            f"{ref.pages_per_second:,.1f}" if ref else dash,
            f"ratio {100 * ratio:.0f}% (target >= {100 * TARGET_RATIO:.0f}%)" if ratio is not None else "",
        ),
        file=out,
    )
    cpu_ref = ref.cpu_seconds if ref else None
    print(
        _side("CPU time", f"{figures.cpu_seconds:,.1f} s", f"{cpu_ref:,.1f} s" if cpu_ref is not None else dash),
        file=out,
    )
    ours_per_page = figures.cpu_seconds / max(figures.pages, 1)
    theirs_per_page = cpu_ref / max(ref.pages, 1) if cpu_ref is not None and ref else None
    print(
        _side(
            "CPU per page",
            f"{1000 * ours_per_page:,.1f} ms",
            f"{1000 * theirs_per_page:,.1f} ms" if theirs_per_page is not None else dash,
            # Wall-clock rates swing with the machine's load; CPU per page much less.
            f"ratio {100 * theirs_per_page / ours_per_page:.0f}% (less sensitive to load)"
            if theirs_per_page and ours_per_page
            else "",
        ),
        file=out,
    )
    rss_ref = ref.peak_rss_mb if ref else None
    print(
        _side(
            "peak RSS",
            f"{figures.peak_rss_mb:,.1f} MB",
            f"{rss_ref:,.1f} MB" if rss_ref is not None else dash,
            f"target <= {TARGET_RSS_MB} MB at {TARGET_RSS_AT:,} articles",
        ),
        file=out,
    )
    print(
        _side(
            "load average",
            f"{load:.1f}" if load is not None else dash,
            f"{ref.load:.1f}" if ref else dash,
            f"{os.cpu_count()} CPUs",
        ),
        file=out,
    )
    print(f"  articles/s:     {figures.articles_per_second:,.1f}", file=out)
    print(
        f"  stored:         {stored['articles']:,} articles, {stored['article_urls']:,} article URLs, "
        f"{stored['listing_entries']:,} listing entries, {stored['pages']:,} pages",
        file=out,
    )
    total = sum(figures.stage_seconds.values())
    shares = ", ".join(
        f"{stage} {seconds:.2f} s ({100 * seconds / figures.seconds if figures.seconds else 0:.1f}%)"
        for stage, seconds in figures.stage_seconds.items()
    )
    print(
        f"  crawl:          {figures.stats.get('archiver/status', '?')}, {int(figures.stats.get('item_scraped_count', 0)):,} items, "
        f"{int(figures.stats.get('log_count/ERROR', 0))} errors logged",
        file=out,
    )
    if int(figures.stats.get("log_count/ERROR", 0)):
        print("  log (end):\n" + figures.log_tail, file=out)
    print(f"  pipeline time:  {shares}", file=out)
    print(
        f"  pipelines:      {total:.2f} s = {100 * total / figures.seconds if figures.seconds else 0:.1f}% "
        "of the crawl's wall time (the rest: Scrapy, parsing, snapshots, waiting)",
        file=out,
    )


def run(
    articles: int = 5000,
    *,
    site: str = "kcnawatch",
    seed: int = 2024,
    compare: bool = True,
    profile: str | None = None,
    out: TextIO = sys.stdout,
) -> dict:
    """Crawl n synthetic articles and (with `compare`) run `scrapy bench` as long; print and return the figures."""
    load = load_average()
    figures = run_crawl(articles, site=site, seed=seed, profile=profile)
    load = max(load, load_average())
    reference = scrapy_bench_figures(figures.seconds) if compare else None
    print_crawl(figures, out, reference, load)
    result: dict[str, Any] = {
        "site": site,
        "articles": articles,
        "reposts": figures.reposts,
        "pages": figures.pages,
        "seconds": figures.seconds,
        "pages_per_second": figures.pages_per_second,
        "articles_per_second": figures.articles_per_second,
        "peak_rss_mb": figures.peak_rss_mb,
        "cpu_seconds": figures.cpu_seconds,
        "stage_seconds": figures.stage_seconds,
        "stored": figures.stored,
        "load": load,
    }
    if compare:
        if reference is None:
            result["scrapy_bench_pages_per_second"] = None
            print("  scrapy bench:   failed (is port 8998 taken?)", file=out)
        else:
            result["scrapy_bench_pages_per_second"] = reference.pages_per_second
            result["scrapy_bench_peak_rss_mb"] = reference.peak_rss_mb
            result["scrapy_bench_load"] = reference.load
            result["ratio"] = figures.pages_per_second / reference.pages_per_second
            if reference.cpu_seconds and figures.cpu_seconds:
                result["cpu_ratio"] = (reference.cpu_seconds / max(reference.pages, 1)) / (
                    figures.cpu_seconds / max(figures.pages, 1)
                )
    if profile:
        print(f"  profile:        {profile}", file=out)
    out.flush()
    return result


def main(argv: list[str]) -> None:
    run(int(argv[0]) if argv else 5000, site=argv[1] if len(argv) > 1 else "kcnawatch")


if __name__ == "__main__":
    main(sys.argv[1:])
