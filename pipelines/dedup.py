"""The dedup stage: canonical URLs on every item; links that are not http(s) dropped.

The store then keeps one row per thing: its unique keys and upserts fold repeated sightings within a
batch, across batches and across runs, whatever the order.
"""

from __future__ import annotations

from scrapy.exceptions import DropItem

from archiver.items import ArticleItem, ListingEntryItem
from archiver.normalize.urls import canonical_url, is_http_url


class DedupPipeline:
    def __init__(self, stats) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.stats)

    def process_item(self, item, spider=None):
        if isinstance(item, ArticleItem):
            item.url = canonical_url(item.url)
            item.translation_urls = sorted({canonical_url(u) for u in item.translation_urls})
            if item.original_url and is_http_url(item.original_url):
                item.original_url = canonical_url(item.original_url)
        elif isinstance(item, ListingEntryItem):
            item.article_url = canonical_url(item.article_url)
            if not is_http_url(item.article_url):
                self.stats.inc_value("archiver/dropped/not_http")
                raise DropItem(f"not an http(s) link: {item.article_url}")
        return item
