"""Benchmark of a hostile listing: a page of 100,000 article links, as each spider gets it.

The crawl holds its one thread while a callback runs: what a 100,000-link listing costs is the
time of the link bound (archiver/normalize/pagebound.py) plus the spider's parse of the page it
leaves; and the process's peak memory (the pages themselves included). Printed per spider (RSTV, KCNA Watch, a site profile):
`python -m archiver.bench.listing [LINKS]` runs it alone.
"""

from __future__ import annotations

import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from scrapy.http import HtmlResponse, Request

from archiver.normalize.pagebound import DEFAULT_MAX_LINKS, cut_after_links


def _page(entry: Callable[[int], str], links: int) -> bytes:
    return (
        "<html><body><div id=allEntries>" + "".join(entry(n) for n in range(links)) + "</div></body></html>"
    ).encode()


def cases(links: int) -> list[tuple[str, Any, str, bytes]]:
    """(name, spider, listing URL, page) for each kind of spider."""
    from archiver.sites.profiles import parse_profile
    from spiders.kcnawatch import KcnaWatchSpider
    from spiders.profile import ProfileSpider
    from spiders.rstv import RstvSpider

    profile = parse_profile(
        {
            "name": "benchsite",
            "base_url": "https://bench.example",
            "start": ["/news/"],
            "article_url": r"^/\d{4}/\d{2}/\d{2}/[^/]+/$",
            "dates": {"listing": "MDY"},
        },
        Path("bench.toml"),
    )
    return [
        (
            "rstv",
            RstvSpider(),
            "http://www.redstartv.org/blog/",
            _page(
                lambda n: (
                    f'<div><a href="/blog/entry_{n}/2021-02-24-{n}">Entry {n}</a>'
                    f'<div class="eDetails">Views: {n} | Added by: bench | Date: 21/02/24</div></div>'
                ),
                links,
            ),
        ),
        (
            "kcnawatch",
            KcnaWatchSpider(source_ids="163:189661"),
            "https://kcnawatch.org/article/163/",
            _page(
                lambda n: (
                    f'<div class="article-desc"><h4><a href="/newstream/{1700000000 + n}-{n}/story-{n}/">'
                    f'Story {n}</a></h4><p class="articled-date">December 28, 2024</p></div>'
                ),
                links,
            ),
        ),
        (
            "profile",
            ProfileSpider.for_profile(profile)(),
            "https://bench.example/news/",
            _page(
                lambda n: (
                    f'<article><h2><a href="/2024/03/01/story-{n}/">Story {n}</a></h2>'
                    f"<p>March 1, 2024</p><p>The teaser of the story, in a few more words than a byline.</p></article>"
                ),
                links,
            ),
        ),
    ]


def run(links: int = 100_000, out: TextIO | None = None) -> list[dict]:
    out = out or sys.stdout
    rows = []
    for name, spider, url, body in cases(links):
        warm = HtmlResponse(url, body=b"<html><body><a href='/x'>x</a></body></html>", request=Request(url))
        list(spider.parse_listing(warm))  # imports and caches of the first page, not this one's
        started, cpu = time.perf_counter(), time.process_time()
        cut = cut_after_links(body, DEFAULT_MAX_LINKS) or body
        cut_seconds = time.perf_counter() - started
        request = Request(url, meta={"page_kind": "listing"})
        outputs = list(spider.parse_listing(HtmlResponse(url, body=cut, request=request)))
        held, held_cpu = time.perf_counter() - started, time.process_time() - cpu
        row = {
            "spider": name,
            "page_mb": len(body) / 1e6,
            "cut_ms": cut_seconds * 1000,
            "held_s": held,
            "held_cpu_s": held_cpu,
            "outputs": len(outputs),
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }
        rows.append(row)
        out.write(
            f"  {name:<10} a {links:,}-link listing ({row['page_mb']:.1f} MB): cut in {row['cut_ms']:.1f} ms, "
            f"callback held the reactor {held:.2f} s ({held_cpu:.2f} s CPU; {len(outputs)} items and requests); "
            f"peak RSS of the process so far {row['peak_rss_mb']:.0f} MB\n"
        )
    return rows


if __name__ == "__main__":
    run(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
