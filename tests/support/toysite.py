"""A toy site and its spider, to test the walk machinery of spiders/base.py without the real sites' markup.

The site: a listing `/list/` paginated as `/list/page/N/` (`a.entry` links, `a.next` to the next
page), articles at `/a/N/` (an `h1`, `<p>` paragraphs, optionally a `p.date` line). `toy_routes` builds it for a FaultServer;
tests change routes to make it hostile (endless or repeating listings, redirects, bombs…).

`python -m tests.support.toysite DB_URL BASE_URL [NAME=VALUE…]` crawls it in a fresh process (Scrapy's
reactor runs once per process) with the archiver's settings and prints the run's summary line,
its warnings, and the run's stats as JSON on the last line. $TOY_HANG_ON=PATH makes the parse of
that article hang (tests/test_stop.py).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator

from scrapy.http import Response

from archiver.items import ArticleItem, ListingEntryItem
from archiver.mirror import FULL_SPEED
from archiver.mirror.server import Resource
from spiders.base import ArchiverSpider

SITE = "toy"
PER_PAGE = 5
FAST = {
    **FULL_SPEED,
    "ROBOTSTXT_OBEY": False,
    "LOG_LEVEL": "WARNING",
    # The walk tests serve barren listings on purpose; the field-yield monitor (which would call such a
    # run degraded) is tested in tests/test_field_yield.py.
    "ARCHIVER_YIELD_ENABLED": False,
}


def html(body: str) -> Resource:
    return Resource(f'<!DOCTYPE html><html><head><meta charset="UTF-8"></head><body>{body}</body></html>'.encode())


def article_body(number: int) -> str:
    return (
        f"<h1>Toy story {number}</h1><div class='text'><p>Story {number} happened.</p><p>Then {number} ended.</p></div>"
    )


def listing_page(numbers: list[int], next_path: str | None) -> Resource:
    entries = "".join(f'<li><a class="entry" href="/a/{n}/">Toy story {n}</a></li>' for n in numbers)
    more = f'<a class="next" href="{next_path}">Older</a>' if next_path else ""
    return html(f"<ul>{entries}</ul>{more}")


def listing_path(page: int) -> str:
    return "/list/" if page == 1 else f"/list/page/{page}/"


def toy_routes(count: int) -> dict[str, Resource]:
    """A site of `count` articles, newest (highest number) first, PER_PAGE a listing page."""
    numbers = list(range(count, 0, -1))
    pages = [numbers[i : i + PER_PAGE] for i in range(0, len(numbers), PER_PAGE)] or [[]]
    routes = {"/robots.txt": Resource(b"User-agent: *\nAllow: /\n", "text/plain")}
    for page, chunk in enumerate(pages, start=1):
        routes[listing_path(page)] = listing_page(chunk, listing_path(page + 1) if page < len(pages) else None)
    for number in numbers:
        routes[f"/a/{number}/"] = html(article_body(number))
    return routes


class ToySpider(ArchiverSpider):
    name = SITE
    default_base_url = "http://toy.invalid"

    async def start(self):
        yield self.listing_request(self.url("/list/"), self.parse_listing)

    def callback_for(self, url: str):
        if "/a/" in url:
            return self.parse_article
        if "/list/" in url:
            return self.parse_listing
        return None

    def parse_listing(self, response: Response) -> Iterator[object]:
        entries = [
            ListingEntryItem(
                site=SITE,
                article_url=url,
                found_on=response.url,
                kind="listing",
                title=link.css("::text").get(),
            )
            for link in response.css("a.entry")
            if (url := self.link(response, link.attrib.get("href")))
        ]
        yield from entries
        next_page = self.link(response, response.css("a.next::attr(href)").get())
        yield from self.walk_listing(
            response, entries, next_page, article_callback=self.parse_article, listing_callback=self.parse_listing
        )

    def parse_article(self, response: Response) -> Iterator[object]:
        paragraphs = [text for p in response.css("div.text p") if (text := " ".join(p.css("::text").getall()).strip())]
        if not paragraphs:
            return
        yield ArticleItem(
            site=SITE,
            url=response.url,
            title=response.css("h1::text").get(),
            date_raw=response.css("p.date::text").get(),  # "Date: 23/10/2024", where a page prints one
            paragraphs=paragraphs,
        )


def spider_modules() -> list[str]:
    return ["spiders", "tests.support.toysite"]


def fill_the_disk_at(pages: int) -> None:
    """A full disk, faked: no SQLite database of this process may grow past `pages` pages
    (SQLite then fails as on a full disk: SQLITE_FULL, "database or disk is full")."""
    from sqlalchemy import Engine, event

    @event.listens_for(Engine, "connect")
    def limit(dbapi_connection, _record) -> None:
        dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")


def hang_on(path: str) -> None:
    """Make the spider's parse of the article at `path` hang in a catastrophic (backtracking) regex,
    holding the interpreter: the worst a callback can do to a stop."""
    import re

    from tests.support import toysite  # the module the spider loader loads (this one may be __main__)

    parse = toysite.ToySpider.parse_article

    def hanging(self, response: Response) -> Iterator[object]:
        if response.url.endswith(path):
            re.match(r"(a+)+$", "a" * 64 + "!")
        return parse(self, response)

    toysite.ToySpider.parse_article = hanging  # type: ignore[method-assign]


def main(argv: list[str]) -> int:
    from archiver.crawl.runner import run_spiders

    db_url, base_url, *pairs = argv
    if os.environ.get("TOY_MAX_PAGE_COUNT"):
        fill_the_disk_at(int(os.environ["TOY_MAX_PAGE_COUNT"]))
    if os.environ.get("TOY_HANG_ON"):
        hang_on(os.environ["TOY_HANG_ON"])
    settings = {**FAST, "SPIDER_MODULES": spider_modules()}
    settings.update(pair.split("=", 1) for pair in pairs)
    [summary] = run_spiders({SITE: {"base_url": base_url}}, db_url=db_url, settings=settings)
    print(summary.line())
    for warning in summary.warnings():
        print(warning)
    print(json.dumps(summary.stats, default=str))
    return 0 if summary.status == "ok" else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
