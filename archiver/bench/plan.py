"""What `archiver bench` will run and about how long it takes, said before it starts.

The sizes of the two modes: quick (the default, under a minute on a quiet two-CPU machine) and
full (the sizes the issue-21 targets are stated at). The estimate is a sum of per-part rates
measured on a quiet two-CPU machine; a loaded machine takes longer, which the line says.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

QUICK: dict[str, Any] = {
    "articles": [300],
    "dates": 20_000,
    "access_articles": 20_000,
    "reparse_articles": 100,
    "memory_articles": [2_000, 20_000],
}
FULL: dict[str, Any] = {
    "articles": [2_000, 20_000],
    "dates": 200_000,
    "access_articles": 1_000_000,
    "reparse_articles": 5_000,
    "memory_articles": [2_000, 20_000],
}

SITE_NAMES = {"kcnawatch": "KCNA Watch", "rstv": "RSTV"}
# Rates of a quiet two-CPU machine (docs/performance.md).
CRAWL_PAGES_PER_S = 75.0
#: Pages per article: KCNA Watch's listings and fragments, RSTV's listings (five entries a page).
PAGES_PER_ARTICLE = {"kcnawatch": 1.11, "rstv": 1.7}
PROCESS_START_S = 4.0  # a fresh Python process with Scrapy and SQLAlchemy loaded, the mirror started
SCRAPY_BENCH_MAX_S = 120
DATES_FIXED_S = 2.5  # dateparser's language data and its timed sample
DATES_PER_S = 400_000.0
ACCESS_BUILD_PER_S = 2_700.0  # a tenth of the articles Korean, indexed twice (words and bigrams)
ACCESS_SEARCH_S_PER_MILLION = 25.0  # every query, repeated, and the count-by-month queries
KOREAN_SCANS_S_PER_MILLION = 120.0  # the substring scan of every Korean query, once (the "before")
EXPORT_ROWS_PER_S = 60_000.0
REPARSE_PAGES_PER_S = 300.0
LISTING_S = 6.0  # three 100,000-link pages built, cut and parsed (archiver/bench/listing.py)
PAGE_DATES_S = 6.0  # the page-dates corpus: Scrapy, trafilatura and htmldate loaded, about forty pages


@dataclass
class Plan:
    parts: list[str]
    articles: list[int]
    dates: int
    access_articles: int
    compare: bool = True
    reparse_articles: int = 0
    reuse_access: bool = False  # the research archive exists already: no build
    sites: list[str] = field(default_factory=lambda: ["kcnawatch"])
    memory_sites: list[str] = field(default_factory=lambda: ["kcnawatch"])
    memory_articles: list[int] = field(default_factory=lambda: [2_000, 20_000])
    seconds: dict[str, float] = field(default_factory=dict)

    def estimate(self) -> float:
        """Seconds the run should take on a quiet two-CPU machine; per part in `seconds`."""
        self.seconds = {}
        if "crawl" in self.parts:
            total = 0.0
            for site in self.sites:
                for n in self.articles:
                    crawl = PROCESS_START_S + n * PAGES_PER_ARTICLE[site] / CRAWL_PAGES_PER_S
                    total += crawl
                    if self.compare:
                        total += PROCESS_START_S + min(SCRAPY_BENCH_MAX_S, max(3.0, crawl - PROCESS_START_S))
            self.seconds["crawl"] = total
        if "memory" in self.parts:
            self.seconds["memory"] = sum(
                PROCESS_START_S + n * PAGES_PER_ARTICLE[site] / CRAWL_PAGES_PER_S
                for site in self.memory_sites
                for n in self.memory_articles
                if not ("crawl" in self.parts and site in self.sites and n in self.articles)  # the crawl's figures
            )
        if "reparse" in self.parts:
            pages = self.reparse_articles * PAGES_PER_ARTICLE["kcnawatch"]
            self.seconds["reparse"] = 2 * PROCESS_START_S + pages / CRAWL_PAGES_PER_S + pages / REPARSE_PAGES_PER_S
        if "dates" in self.parts:
            self.seconds["dates"] = DATES_FIXED_S + self.dates / DATES_PER_S
        if "listing" in self.parts:
            self.seconds["listing"] = LISTING_S
        if "access" in self.parts:
            n = self.access_articles
            build = 0.0 if self.reuse_access else n / ACCESS_BUILD_PER_S
            searches = n / 1e6 * (ACCESS_SEARCH_S_PER_MILLION + KOREAN_SCANS_S_PER_MILLION)
            self.seconds["access"] = 1.0 + build + searches + n / EXPORT_ROWS_PER_S
        if "page-dates" in self.parts:
            self.seconds["page-dates"] = PAGE_DATES_S
        return sum(self.seconds.values())

    def describe(self) -> str:
        """One line: what will run and about how long it takes."""
        seconds = self.estimate()
        what = []
        if "crawl" in self.parts:
            sizes = " and ".join(f"{n:,}" for n in self.articles)
            names = " and ".join(SITE_NAMES[site] for site in self.sites)
            what.append(
                f"a crawl of {sizes} synthetic {names} articles" + (" beside scrapy bench" if self.compare else "")
            )
        if "memory" in self.parts:
            sizes = " and ".join(f"{n:,}" for n in self.memory_articles)
            names = " and ".join(SITE_NAMES[site] for site in self.memory_sites)
            what.append(f"the memory of crawls of {sizes} articles ({names})")
        if "reparse" in self.parts:
            what.append(f"a reparse of a {self.reparse_articles:,}-article crawl")
        if "dates" in self.parts:
            what.append(f"{self.dates:,} dates")
        if "listing" in self.parts:
            what.append("a 100,000-link listing per spider")
        if "access" in self.parts:
            what.append(f"search and export over {self.access_articles:,} articles")
        if "page-dates" in self.parts:
            what.append("the date accuracy of site profiles over the page corpus")
        load = os.getloadavg()[0]
        busy = f"; load average now {load:.1f}, so expect longer" if load >= 0.5 * (os.cpu_count() or 1) else ""
        return f"benchmark: {', '.join(what)}: about {duration(seconds)} on a quiet 2-CPU machine{busy}"


def duration(seconds: float) -> str:
    if seconds < 90:
        return f"{max(5, round(seconds / 5) * 5):.0f} s"
    minutes = seconds / 60
    return f"{minutes:.0f} min" if minutes < 90 else f"{minutes / 60:.1f} h"
