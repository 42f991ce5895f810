"""A spider middleware that tells each article item which stored page it was parsed from.

The snapshot recorder (archiver/middlewares/snapshots.py) notes on the request the body digest and
the time of the fetch it recorded (for a 304: the stored body it confirmed). An article item parsed
from that response takes both (`page_sha256`, `fetched_at`), so that a new version of its text
(archiver/archive/revisions.py) names the snapshot it came from. Without snapshots, nothing is set.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable

from scrapy.http import Response

from archiver.items import ArticleItem
from archiver.middlewares.snapshots import PAGE_META


def stamp(element: object, page: dict | None) -> object:
    if page and isinstance(element, ArticleItem) and element.page_sha256 is None:
        element.page_sha256 = page.get("sha256")
        element.fetched_at = page.get("fetched_at")
    return element


class PageStamp:
    def process_spider_output(self, response: Response, result: Iterable, spider=None):
        page = response.meta.get(PAGE_META) if response.request is not None else None
        for element in result:
            yield stamp(element, page)

    async def process_spider_output_async(self, response: Response, result: AsyncIterator, spider=None):
        page = response.meta.get(PAGE_META) if response.request is not None else None
        async for element in result:
            yield stamp(element, page)
