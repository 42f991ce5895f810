"""`scrapy parse URL` (and any request without a callback): every spider routes `parse` by the URL,
to the callback `callback_for` names, and says in one line when it reads no such page."""

from __future__ import annotations

import logging

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse

from spiders.kcnawatch import KcnaWatchSpider
from spiders.rstv import RstvSpider
from tests.support.fixtures import FIXTURES

KCNA, RSTV = "https://kcnawatch.org", "http://www.redstartv.org"


def response(folder: str, name: str, url: str) -> HtmlResponse:
    body = (FIXTURES / folder / name).read_bytes()
    return HtmlResponse(url, body=body, headers={"Content-Type": "text/html"}, request=Request(url))


def outputs(results) -> list[str]:
    return [f"request {o.url} {o.callback.__name__}" if isinstance(o, Request) else repr(o) for o in results]


@pytest.mark.parametrize(
    ("spider", "folder", "name", "url", "callback"),
    [
        (RstvSpider, "rstv", "day_ucoz.html", f"{RSTV}/blog/2021-2-24", "parse_listing"),
        (RstvSpider, "rstv", "article_ucoz_en.html", f"{RSTV}/blog/large_online_meeting/2023-07-25-683", "parse_article"),
        (KcnaWatchSpider, "kcnawatch", "source_listing_a.html", f"{KCNA}/article/163/", "parse_listing"),
        (KcnaWatchSpider, "kcnawatch", "article_full_a.html", f"{KCNA}/newstream/1735347600-801000000/kass-story-0/", "parse_article"),
    ],
)  # fmt: skip
def test_parse_routes_by_url(spider, folder, name, url, callback) -> None:
    routed = outputs(spider().parse(response(folder, name, url)))
    direct = outputs(getattr(spider(), callback)(response(folder, name, url)))
    assert routed == direct and routed


def test_parse_of_a_page_the_spider_does_not_read(caplog) -> None:
    with caplog.at_level(logging.WARNING):
        assert list(RstvSpider().parse(response("rstv", "day_ucoz.html", f"{RSTV}/photo/1"))) == []
    assert [r.getMessage() for r in caplog.records] == [
        f"{RSTV}/photo/1: not a page rstv parses (no callback for this URL)"
    ]
