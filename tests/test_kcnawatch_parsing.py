"""KCNA Watch parsing: exact values the spider extracts from each page type, and after the pipelines."""

from __future__ import annotations

from datetime import date

import pytest
import scrapy
from scrapy.http import HtmlResponse

from archiver.items import ArticleItem, ListingEntryItem
from archiver.mirror.kcnawatch import KcnaWatchMirror
from archiver.mirror.sample_sites import kcnawatch_articles
from pipelines.dates import DatesPipeline
from pipelines.dedup import DedupPipeline
from pipelines.text import TextPipeline
from spiders.kcnawatch import KcnaWatchSpider
from tests.support.archive import Stats
from tests.support.fixtures import fixture_text

BASE = "https://kcnawatch.org"


def response(url: str, body: str) -> HtmlResponse:
    return HtmlResponse(url=url, body=body.encode("utf-8"), encoding="utf-8")


def split(results) -> tuple[list, list, list[scrapy.Request]]:
    results = list(results)
    articles = [r for r in results if isinstance(r, ArticleItem)]
    entries = [r for r in results if isinstance(r, ListingEntryItem)]
    requests = [r for r in results if isinstance(r, scrapy.Request)]
    return articles, entries, requests


def normalize(item, today: date = date(2026, 11, 22)):
    stats = Stats()
    item = DatesPipeline(stats, today=today).process_item(item)
    item = TextPipeline().process_item(item)
    return DedupPipeline(stats).process_item(item)


@pytest.fixture
def spider() -> KcnaWatchSpider:
    return KcnaWatchSpider()


ARTICLE_URL = f"{BASE}/newstream/1749000100-812000001/rice-transplanting-completed/"


def test_article_page_raw_fields(spider):
    articles, entries, requests = split(
        spider.parse_article(response(ARTICLE_URL, fixture_text("kcnawatch", "article_full.html")))
    )
    [article] = articles
    assert article.site == "kcnawatch"
    assert article.url == ARTICLE_URL
    assert article.title == "Rice Transplanting Completed   in  Haeju & Nearby Counties"
    assert article.date_raw == "Date: 04/06/2025"
    assert article.url_date_raw == "1749000100"
    assert article.source == "KCNA (EN)"
    assert article.original_url == "http://www.kcna.kp/en/article/q/abc123.kcmsf"
    assert article.paragraphs == [
        "Pyongyang, June 4 (KCNA) -- Farmers in Haeju\xa0City finished rice transplanting.",
        "The work was done ten days earlier than last year.",
    ]
    assert article.signature == "KCNA"
    assert article.language == "en"


def test_more_from_block(spider):
    _, entries, requests = split(
        spider.parse_article(response(ARTICLE_URL, fixture_text("kcnawatch", "article_full.html")))
    )
    # The off-site entry is dropped; tracking parameters and the fragment are gone from the link.
    assert [(e.article_url, e.kind, e.source, e.date_raw, e.teaser_raw) for e in entries] == [
        (
            f"{BASE}/newstream/1749000000-812000002/wheat-harvest-begins/",
            "more_from",
            "KCNA (EN)",
            "June 04, 2025",
            "Wheat harvest began in South Hwanghae Province.Farmers",
        ),
        (
            f"{BASE}/newstream/1748900000-812000003/kim-jong-un-visits/",
            "more_from",
            "KCNA (EN)",
            "June 03, 2025",
            "Kim Jong Un , general secretary, visited",  # the empty first copy falls back to the second
        ),
    ]
    assert all(e.found_on == ARTICLE_URL for e in entries)
    assert [r.url for r in requests] == [
        f"{BASE}/newstream/1749000000-812000002/wheat-harvest-begins/",
        f"{BASE}/newstream/1748900000-812000003/kim-jong-un-visits/",
        f"{BASE}/newstream/source/kcna-en/",
    ]


def test_article_after_pipelines(spider):
    [article], _, _ = split(spider.parse_article(response(ARTICLE_URL, fixture_text("kcnawatch", "article_full.html"))))
    article = normalize(article)
    assert article.title == "Rice Transplanting Completed in Haeju & Nearby Counties"
    assert article.published_on == date(2025, 6, 4)  # day-first: 04/06 is the 4th of June
    assert article.body == (
        "Pyongyang, June 4 (KCNA) -- Farmers in Haeju City finished rice transplanting.\n\n"
        "The work was done ten days earlier than last year."
    )
    assert "KCNA\n" not in article.body and not article.body.endswith("KCNA")
    assert len(article.content_hash) == 64


def test_entries_after_pipelines(spider):
    _, entries, _ = split(spider.parse_article(response(ARTICLE_URL, fixture_text("kcnawatch", "article_full.html"))))
    first, second = (normalize(e) for e in entries)
    assert first.listed_on == date(2025, 6, 4)
    assert first.teaser == "Wheat harvest began in South Hwanghae Province. Farmers"
    assert first.teaser_truncated is True
    assert second.teaser == "Kim Jong Un, general secretary, visited"


def test_article_without_title_date_or_original_link(spider):
    url = f"{BASE}/newstream/1708300800-812000009/short-dispatch/"
    [article], entries, requests = split(
        spider.parse_article(response(url, fixture_text("kcnawatch", "article_bare.html")))
    )
    assert (article.title, article.date_raw, article.original_url) == (None, None, None)
    assert article.source == "Rodong Sinmun (EN)"
    assert entries == [] and requests == []
    # With no date line, the publication date comes from the URL's epoch.
    assert normalize(article).published_on == date(2024, 2, 19)


def test_page_without_article_yields_no_article(spider):
    url = f"{BASE}/newstream/1708300800-812000010/gone/"
    articles, _, _ = split(spider.parse_article(response(url, "<html><body><p>Not found</p></body></html>")))
    assert articles == []


def test_newstream_listing(spider):
    url = f"{BASE}/newstream/"
    _, entries, requests = split(spider.parse_listing(response(url, fixture_text("kcnawatch", "newstream_page1.html"))))
    assert [(e.article_url, e.title, e.source, e.date_raw, e.teaser_raw, e.kind) for e in entries] == [
        (
            f"{BASE}/newstream/1749000000-812000002/wheat-harvest-begins/",
            "Wheat Harvest Begins",
            "KCNA (EN)",
            "June 04, 2025",
            "Wheat harvest began in South Hwanghae Province.Farmers",
            "listing",
        ),
        (
            f"{BASE}/newstream/1748900000-812000003/kim-jong-un-visits/",
            'Kim Jong Un Visits "Model" Farm',
            "Rodong Sinmun (EN)",
            "June 03, 2025",
            "Kim Jong Un , general secretary, visited",
            "listing",
        ),
    ]
    assert requests[-1].url == f"{BASE}/newstream/page/2/"
    assert requests[-1].callback == spider.parse_listing
    assert [r.callback for r in requests[:-1]] == [spider.parse_article] * 2


def test_source_listing_last_page(spider):
    url = f"{BASE}/newstream/source/kcna-en/page/2/"
    _, entries, requests = split(
        spider.parse_listing(response(url, fixture_text("kcnawatch", "source_last_page.html")))
    )
    [entry] = entries
    assert entry.source == "KCNA (EN)"  # taken from the listing's heading when the entry has none
    assert normalize(entry).listed_on == date(2023, 11, 14)
    assert [r.url for r in requests] == [f"{BASE}/newstream/1700000000-800000001/old-story/"]  # no next page


def test_start_from_source_listings():
    spider = KcnaWatchSpider(base_url="http://127.0.0.1:8001/", sources="kass-en, naenara-en")
    assert spider.start_urls_for_run() == [
        "http://127.0.0.1:8001/newstream/source/kass-en/",
        "http://127.0.0.1:8001/newstream/source/naenara-en/",
    ]
    assert spider.allowed_domains == ["127.0.0.1"]


def test_base_url_must_be_http():
    with pytest.raises(ValueError):
        KcnaWatchSpider(base_url="ftp://example.com")


def test_rendered_mirror_round_trips_through_the_spider(spider):
    """The bundled sample's markup parses back to the data it was rendered from."""
    samples = list(kcnawatch_articles())
    site = KcnaWatchMirror(samples).build()
    for sample in samples:
        url = BASE + sample.path
        [article], entries, _ = split(spider.parse_article(response(url, site[sample.path].body.decode())))
        assert article.paragraphs == [p for p in sample.paragraphs if p.strip()]
        assert article.title == (sample.title or None)
        assert article.signature == sample.signature
        assert len(entries) == min(20, sum(1 for s in samples if s.source_slug == sample.source_slug))
