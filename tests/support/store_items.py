"""The sample KCNA Watch site's pages as normalized items, ready to store (the fold-rule tests feed them in any order)."""

from __future__ import annotations

from datetime import date

from scrapy import Request
from scrapy.http import HtmlResponse

from archiver.items import ArticleItem, ListingEntryItem
from archiver.mirror.sample_sites import kcnawatch_site
from pipelines.dates import DatesPipeline
from pipelines.dedup import DedupPipeline
from pipelines.text import TextPipeline
from spiders.kcnawatch import KcnaWatchSpider
from tests.support.archive import Stats

BASE = "https://kcnawatch.org"
SITE = kcnawatch_site()
PAGES = sorted(path for path in SITE if path != "/robots.txt")


def items_of(path: str) -> list:
    spider = KcnaWatchSpider(base_url=BASE)
    response = HtmlResponse(url=BASE + path, body=SITE[path].body, encoding="utf-8", request=Request(BASE + path))
    parse = spider.callback_for(BASE + path)
    stats = Stats()
    stages = [DatesPipeline(stats, today=date(2026, 11, 22)), TextPipeline(), DedupPipeline(stats)]
    items = []
    for result in parse(response):
        if isinstance(result, (ArticleItem, ListingEntryItem)):
            for stage in stages:
                result = stage.process_item(result)
            items.append(result)
    return items


ITEMS = {path: items_of(path) for path in PAGES}
