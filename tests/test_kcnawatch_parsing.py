"""KCNA Watch parsing: exact values the spider extracts from each page kind, and after the pipelines.

The fixtures (tests/fixtures/kcnawatch/) render the real site's seen shapes (source listings, "load
more" fragments, the feed, `div.article-content`, the meta line as text) and every assumed part in
two ways, `_a` and `_b`: both must give the same values.
"""

from __future__ import annotations

import dataclasses
import unittest
from datetime import date

import pytest
import scrapy
from scrapy.contracts import ContractsManager
from scrapy.http import HtmlResponse, TextResponse
from scrapy.settings import Settings
from scrapy.utils.misc import load_object

from archiver.items import ArticleItem, ListingEntryItem
from pipelines.dates import DatesPipeline
from pipelines.dedup import DedupPipeline
from pipelines.text import TextPipeline
from spiders.kcnawatch import KcnaWatchSpider
from spiders.kcnawatch_feed import listing_day
from tests.support.archive import Stats
from tests.support.fixtures import fixture_text

BASE = "https://kcnawatch.org"
FULL = BASE + "/newstream/1735347600-801000000/kass-story-0/"
BARE = BASE + "/newstream/1735304400-801000001/kass-story-1/"
KOREAN = (
    BASE + "/newstream/1750885366-802000001/"
    "%EC%A1%B0%EC%84%A0%EC%A4%91%EC%95%99%ED%86%B5%EC%8B%A0%EC%82%AC-%EB%B3%B4%EB%8F%84/"
)
AJAX = BASE + "/wp-admin/admin-ajax.php?action=get_cat_by_source&die=true&from={}&id=189661&sort=&to=10"


def response(url: str, name: str, **meta) -> HtmlResponse:
    request = scrapy.Request(url, meta=meta)
    return HtmlResponse(
        url=url, body=fixture_text("kcnawatch", name).encode("utf-8"), encoding="utf-8", request=request
    )


def split(results) -> tuple[list[ArticleItem], list[ListingEntryItem], list[scrapy.Request]]:
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
    return KcnaWatchSpider(base_url=BASE)


def without_found_on(entries):
    return [dataclasses.replace(e, found_on="") for e in entries]


# Source listings and "load more" ------------------------------------------------------------
@pytest.mark.parametrize("rendering", ["a", "b"])
def test_source_listing_entries_and_first_fragment(spider, rendering):
    _, entries, requests = split(
        spider.parse_listing(response(BASE + "/article/163/", f"source_listing_{rendering}.html"))
    )
    assert len(entries) == 10
    first = entries[0]
    assert (first.article_url, first.title, first.source, first.date_raw, first.kind) == (
        FULL,
        "Basic Party Organizations Should Be Strengthened",
        "KASS (EN)",
        "December 28, 2024",
        "listing",
    )
    # The title from an image's alt (every seventh entry of the mirror), the date inside a span or not.
    by_url = {e.article_url: e for e in entries}
    assert (
        by_url[BASE + "/newstream/1735218000-801000003/kass-story-3/"].title == "KASS story 3 on the work of the year"
    )
    assert {e.date_raw for e in entries} == {
        "December 28, 2024",
        "December 27, 2024",
        "December 26, 2024",
        "December 25, 2024",
        "December 24, 2024",
        "December 23, 2024",
    }
    # Articles of every entry, then "load more" from=10 (the source id from data-id or from the script).
    fragment = [r for r in requests if "admin-ajax" in r.url]
    assert [r.url for r in fragment] == [AJAX.format(10)]
    assert fragment[0].meta["page_kind"] == "fragment" and fragment[0].meta["kcnawatch_source"] == "KASS (EN)"
    assert sorted(r.url for r in requests if r.meta["page_kind"] == "article") == sorted(by_url)


def test_both_listing_renderings_give_the_same_entries(spider):
    a = split(spider.parse_listing(response(BASE + "/article/163/", "source_listing_a.html")))[1]
    b = split(KcnaWatchSpider(base_url=BASE).parse_listing(response(BASE + "/article/163/", "source_listing_b.html")))[
        1
    ]
    assert without_found_on(a) == without_found_on(b)


def test_listing_without_source_id_uses_configuration():
    body = fixture_text("kcnawatch", "source_listing_a.html").replace('data-id="189661"', "")
    page = HtmlResponse(
        url=BASE + "/article/163/", body=body.encode(), encoding="utf-8", request=scrapy.Request(BASE + "/article/163/")
    )
    unconfigured = split(KcnaWatchSpider(base_url=BASE).parse_listing(page))[2]
    assert not [r for r in unconfigured if "admin-ajax" in r.url]
    configured = split(KcnaWatchSpider(base_url=BASE, source_ids="163:189661,177:190036").parse_listing(page))[2]
    assert [r.url for r in configured if "admin-ajax" in r.url] == [AJAX.format(10)]


@pytest.mark.parametrize("start", [10, 20, 30])
def test_full_fragments_page_on_by_ten(spider, start):
    page = response(AJAX.format(start), f"fragment_{start}.html", kcnawatch_source="KASS (EN)")
    _, entries, requests = split(spider.parse_fragment(page))
    assert len(entries) == 10
    assert (
        entries[0].article_url
        == BASE + f"/newstream/{1735347600 - start * 43200}-{801000000 + start}/kass-story-{start}/"
    )
    assert entries[0].source == "KASS (EN)"
    assert entries[0].title == f"KASS story {start} on the work of the year"
    assert [r.url for r in requests if "admin-ajax" in r.url] == [AJAX.format(start + 10)]


def test_empty_fragment_ends_the_listing(spider):
    _, entries, requests = split(spider.parse_fragment(response(AJAX.format(40), "fragment_empty.html")))
    assert entries == [] and requests == []


def test_short_fragment_ends_the_listing(spider):
    body = fixture_text("kcnawatch", "fragment_30.html")
    marker = '<div class="article-desc">'
    short = body[: body.index(marker, body.index(marker) + 1)]  # its first entry only
    page = HtmlResponse(
        url=AJAX.format(30), body=short.encode(), encoding="utf-8", request=scrapy.Request(AJAX.format(30))
    )
    _, entries, requests = split(spider.parse_fragment(page))
    assert len(entries) == 1
    assert [r.url for r in requests] == [entries[0].article_url]


def test_listing_dates_with_a_leading_space():
    entry = ListingEntryItem(
        site="kcnawatch", article_url=FULL, found_on="", kind="listing", date_raw=" December 28, 2024"
    )
    assert normalize(entry).listed_on == date(2024, 12, 28)


@pytest.mark.parametrize("rendering", ["a", "b"])
def test_newstream_page(spider, rendering):
    _, entries, requests = split(spider.parse_listing(response(BASE + "/newstream/", f"newstream_{rendering}.html")))
    assert len(entries) == 20
    assert entries[0].article_url == KOREAN
    assert (entries[0].title, entries[0].source, entries[0].date_raw) == (
        "조선중앙통신사 보도",
        "KCNA (EN)",
        "June 26, 2025",
    )
    assert (entries[1].article_url, entries[1].source, entries[1].date_raw) == (FULL, "KASS (EN)", "December 28, 2024")
    listings = sorted(r.url for r in requests if r.meta["page_kind"] == "listing")
    assert listings == [BASE + "/article/150/", BASE + "/article/163/"]


# The feed ----------------------------------------------------------------------------------
def feed_response(name: str) -> TextResponse:
    body = fixture_text("kcnawatch", name).encode("utf-8")
    url = BASE + "/newstream/feed/"
    return TextResponse(url=url, body=body, encoding="utf-8", request=scrapy.Request(url, meta={"page_kind": "feed"}))


def test_valid_feed_items_are_listing_entries(spider):
    _, entries, requests = split(spider.parse_feed(feed_response("feed_valid.xml")))
    assert len(entries) == 20
    first = entries[0]
    # The link's utm_* parameters dropped; the GMT pubDate (21:02 on the 25th) as its Pyongyang day.
    assert (first.article_url, first.title, first.source, first.date_raw, first.kind) == (
        KOREAN,
        "조선중앙통신사 보도",
        "KCNA (EN)",
        "June 26, 2025",
        "feed",
    )
    assert normalize(first).listed_on == date(2025, 6, 26)
    assert (
        entries[1].teaser_raw
        == "In autumn of 1930 President Kim Il Sung stressed the weighty importance of laying foundations.He underlined that it was important"
    )
    # Every item is new: its article, then the listings (the feed may not reach back to the archive).
    assert sum(r.meta["page_kind"] == "article" for r in requests) == 20
    assert [r.url for r in requests if r.meta["page_kind"] == "listing"] == [BASE + "/newstream/"]


def test_malformed_feed_yields_every_item_it_can_read(spider):
    _, entries, _ = split(spider.parse_feed(feed_response("feed_malformed.xml")))
    # An unescaped "&" in a title and a feed cut off inside the tenth item: nine items read.
    assert [e.title for e in entries][:5] == [
        "조선중앙통신사 보도",
        "Basic Party Organizations Should Be Strengthened",
        "Working people held a rally",
        "KASS story 2 on the work of the year",
        "KASS story 3 the work of the year",
    ]
    assert len(entries) == 9


def test_unreadable_feed_falls_back_to_the_listings():
    spider = KcnaWatchSpider(base_url=BASE)
    url = BASE + "/newstream/feed/"
    page = TextResponse(url=url, body=b"<html><body>Database error</body></html>", request=scrapy.Request(url))
    _, entries, requests = split(spider.parse_feed(page))
    assert entries == []
    assert [(r.url, r.meta["page_kind"]) for r in requests] == [(BASE + "/newstream/", "listing")]
    configured = KcnaWatchSpider(base_url=BASE, sources="163,177")
    assert [r.url for r in split(configured.parse_feed(page))[2]] == [BASE + "/article/163/", BASE + "/article/177/"]


# Articles ----------------------------------------------------------------------------------
@pytest.mark.parametrize("rendering", ["a", "b"])
def test_article_by_labels(spider, rendering):
    [article], entries, requests = split(spider.parse_article(response(FULL, f"article_full_{rendering}.html")))
    assert (article.url, article.title, article.source, article.date_raw, article.original_url) == (
        FULL,
        "Basic Party Organizations Should Be Strengthened",
        "KASS (EN)",
        "28/12/2024",
        "http://www.kass.org.kp/index.php/en/article/4312",
    )
    assert article.paragraphs == [
        "In autumn of 1930 President Kim Il Sung stressed the weighty importance of laying foundations.",
        "He underlined that it was important to form more basic party organizations.",
    ]
    assert article.signature == "KCNA"
    assert article.url_date_raw == "1735347600"
    normalized = normalize(article)
    assert normalized.published_on == date(2024, 12, 28)
    assert normalized.body.endswith("basic party organizations.") and "KCNA" not in normalized.body


@pytest.mark.parametrize("rendering", ["a", "b"])
def test_more_from_by_its_heading(spider, rendering):
    _, entries, requests = split(spider.parse_article(response(FULL, f"article_full_{rendering}.html")))
    assert len(entries) == 20
    assert {e.kind for e in entries} == {"more_from"} and {e.source for e in entries} == {"KASS (EN)"}
    assert entries[1].article_url == BARE
    assert entries[1].teaser_raw == "Working people of the country held a rally.Speakers said the work goes on."
    assert entries[1].date_raw == "December 27, 2024"
    # "More Articles": the source listing, walked to its first page of archived entries.
    [listing] = [r for r in requests if r.meta["page_kind"] == "listing"]
    assert listing.url == BASE + "/article/163/" and listing.meta["archiver_walk"] == "start"


def test_both_article_renderings_give_the_same_items():
    a = split(KcnaWatchSpider(base_url=BASE).parse_article(response(FULL, "article_full_a.html")))
    b = split(KcnaWatchSpider(base_url=BASE).parse_article(response(FULL, "article_full_b.html")))
    assert a[0] == b[0] and a[1] == b[1]
    bare_a = split(KcnaWatchSpider(base_url=BASE).parse_article(response(BARE, "article_bare_a.html")))[0]
    bare_b = split(KcnaWatchSpider(base_url=BASE).parse_article(response(BARE, "article_bare_b.html")))[0]
    assert bare_a == bare_b


@pytest.mark.parametrize("rendering", ["a", "b"])
def test_article_without_title_date_line_original_or_signature(spider, rendering):
    [article], _, _ = split(spider.parse_article(response(BARE, f"article_bare_{rendering}.html")))
    assert (article.title, article.source, article.date_raw, article.original_url, article.signature) == (
        None,
        "KASS (EN)",
        None,
        None,
        None,
    )
    assert article.paragraphs == ["Working people of the country held a rally.", "Speakers said the work goes on."]
    # The date from the URL's epoch, on its Pyongyang day (1735304400 is 2024-12-27 13:00 UTC).
    assert normalize(article).published_on == date(2024, 12, 27)


def test_missing_title_is_filled_from_the_listing(spider):
    list(spider.parse_listing(response(BASE + "/article/163/", "source_listing_a.html")))
    [article], _, _ = split(spider.parse_article(response(BARE, "article_bare_a.html")))
    assert article.title == "Working people held a rally"


def test_missing_title_is_filled_from_the_feed(spider):
    list(spider.parse_feed(feed_response("feed_valid.xml")))
    [article], _, _ = split(spider.parse_article(response(BARE, "article_bare_b.html")))
    assert article.title == "Working people held a rally"


def test_korean_slug_and_pyongyang_day(spider):
    # Linked raw, in lower-case escapes and upper-case: one canonical URL.
    page = response(KOREAN, "article_korean.html")
    [article], entries, _ = split(spider.parse_article(page))
    assert article.url == KOREAN
    assert entries[0].article_url == KOREAN
    assert (article.title, article.signature, article.language) == ("조선중앙통신사 보도", "조선중앙통신", "ko")
    # 1750885366 is 2025-06-25 20:02 UTC: 2025-06-26 in Pyongyang, as the site dates it.
    assert article.date_raw == "26/06/2025"
    assert normalize(dataclasses.replace(article, date_raw=None)).published_on == date(2025, 6, 26)


# Broken markup (issue 20, point 4) ---------------------------------------------------------
@pytest.mark.parametrize("broken", ["<div>", "<span>", "<section>", '<div class="x"><span>'])
def test_unclosed_tag_before_the_paragraphs_keeps_the_article(spider, broken):
    body = fixture_text("kcnawatch", "article_full_a.html").replace(
        '<div class="article-content">', f'<div class="article-content">{broken}'
    )
    page = HtmlResponse(url=FULL, body=body.encode(), encoding="utf-8", request=scrapy.Request(FULL))
    [article], entries, _ = split(spider.parse_article(page))
    assert len(article.paragraphs) == 2 and article.signature == "KCNA"
    assert article.title == "Basic Party Organizations Should Be Strengthened"
    assert len(entries) == 20


def test_unclosed_tag_in_the_header_keeps_the_article(spider):
    body = fixture_text("kcnawatch", "article_full_a.html").replace(
        '<header class="entry-header">', "<header><section><div>"
    )
    page = HtmlResponse(url=FULL, body=body.encode(), encoding="utf-8", request=scrapy.Request(FULL))
    [article], entries, _ = split(spider.parse_article(page))
    assert (article.source, article.date_raw, len(article.paragraphs)) == ("KASS (EN)", "28/12/2024", 2)
    assert len(entries) == 20


def test_four_thousand_nested_divs_keep_the_article(spider):
    body = fixture_text("kcnawatch", "article_full_a.html")
    start, end = body.index("    <p>In autumn"), body.index("  </div>\n</article>")
    nested = "<div>" * 4000 + body[start:end] + "</div>" * 4000
    body = body[:start] + nested + body[end:]
    page = HtmlResponse(url=FULL, body=body.encode(), encoding="utf-8", request=scrapy.Request(FULL))
    [article], _, _ = split(spider.parse_article(page))
    assert article.paragraphs[0].startswith("In autumn of 1930") and len(article.paragraphs) == 2
    assert article.signature == "KCNA" and article.source == "KASS (EN)"


def test_page_without_article_body_yields_no_article(spider):
    page = HtmlResponse(url=FULL, body=b"<html><body><h1>Not found</h1></body></html>", request=scrapy.Request(FULL))
    assert split(spider.parse_article(page))[0] == []


# The spider's configuration ----------------------------------------------------------------
def test_every_request_names_its_page_kind(spider):
    pages = [
        (spider.parse_listing, response(BASE + "/article/163/", "source_listing_a.html")),
        (spider.parse_fragment, response(AJAX.format(10), "fragment_10.html")),
        (spider.parse_article, response(FULL, "article_full_b.html")),
        (spider.parse_feed, feed_response("feed_valid.xml")),
    ]
    kinds = {r.meta.get("page_kind") for parse, page in pages for r in split(parse(page))[2]}
    assert kinds == {"listing", "fragment", "article"}


def test_start_requests():
    assert [(r.url, r.meta["page_kind"]) for r in KcnaWatchSpider(base_url=BASE).start_requests_for_run()] == [
        (BASE + "/newstream/feed/", "feed")
    ]
    sources = KcnaWatchSpider(base_url=BASE, sources="163,177").start_requests_for_run()
    assert [(r.url, r.meta["page_kind"]) for r in sources] == [
        (BASE + "/article/163/", "listing"),
        (BASE + "/article/177/", "listing"),
    ]


def test_source_arguments_are_numeric_ids():
    with pytest.raises(ValueError, match="numeric ids"):
        KcnaWatchSpider(sources="kass-en")
    with pytest.raises(ValueError, match="numeric ids"):
        KcnaWatchSpider(source_ids="163:kass")
    assert KcnaWatchSpider(sources=" 163, 177 ").sources_argument == ["163", "177"]


def test_check_urls_and_required_fields_are_declared():
    assert set(KcnaWatchSpider.check_urls) == {"feed", "listing", "fragment", "article"}
    assert all(path.startswith("/") for paths in KcnaWatchSpider.check_urls.values() for path in paths)
    assert KcnaWatchSpider.required_fields["article"] == ("url", "source", "paragraphs")


def test_absolute_links_to_the_real_host_stay_on_a_mirror():
    mirror = KcnaWatchSpider(base_url="http://127.0.0.1:8000")
    page = HtmlResponse(
        url="http://127.0.0.1:8000/newstream/", body=b"", request=scrapy.Request("http://127.0.0.1:8000/")
    )
    assert (
        mirror.link(page, "https://kcnawatch.org/newstream/1-2/x/?utm_source=rss")
        == "http://127.0.0.1:8000/newstream/1-2/x/"
    )
    assert mirror.link(page, "https://elsewhere.example/x") is None


def test_callbacks_for_stored_pages(spider):
    assert spider.callback_for(FULL) == spider.parse_article
    assert spider.callback_for(KOREAN) == spider.parse_article
    assert spider.callback_for(BASE + "/article/163/") == spider.parse_listing
    assert spider.callback_for(AJAX.format(10)) == spider.parse_fragment
    assert spider.callback_for(BASE + "/newstream/feed/") == spider.parse_feed
    assert spider.callback_for(BASE + "/about/") is None


# The live checks (`scrapy check kcnawatch`) hold on the fixtures ----------------------------------
CONTRACT_PAGES = [
    ("parse_feed", "feed_valid.xml"),
    ("parse_listing", "source_listing_{}.html"),
    ("parse_fragment", "fragment_10.html"),
    ("parse_article", "article_full_{}.html"),
]


@pytest.mark.parametrize("rendering", ["a", "b"])
@pytest.mark.parametrize(("callback", "fixture"), CONTRACT_PAGES)
def test_contracts_hold_on_the_fixtures(callback, fixture, rendering):
    """Each callback's `@url` names a real kcnawatch.org page; its `@returns`/`@scrapes` hold on our rendering."""
    settings = Settings()
    settings.setmodule("archiver.settings")
    contracts = ContractsManager(load_object(c) for c in settings.getwithbase("SPIDER_CONTRACTS"))
    result = unittest.TestResult()
    request = contracts.from_method(getattr(KcnaWatchSpider(), callback), result)
    assert request.url.startswith("https://kcnawatch.org/")
    kind = TextResponse if callback == "parse_feed" else HtmlResponse
    body = fixture_text("kcnawatch", fixture.format(rendering)).encode("utf-8")
    list(request.callback(kind(url=request.url, body=body, encoding="utf-8", request=request)) or [])
    assert result.testsRun >= 2 and not result.failures and not result.errors, result.failures + result.errors


def test_feed_times_are_listed_on_their_pyongyang_day():
    assert listing_day("Wed, 25 Jun 2025 21:02:46 +0000") == "June 26, 2025"
    assert listing_day("Wed, 25 Jun 2025 14:59:59 GMT") == "June 25, 2025"
    assert listing_day("2025-06-25T21:02:46Z") == "June 26, 2025"
    assert listing_day(" sometime ") == "sometime"  # kept as printed: the pipeline leaves it undated
    assert listing_day("") is None and listing_day(None) is None


# Titles never from the site's chrome (issue 29, point 3) -----------------------------------------
MASTHEADS = {
    # The masthead's h1 is the site's name; <title> says the article's.
    "a": (
        '<header class="site-header">',
        '<header class="site-header">\n  <h1 class="site-title"><a href="/" rel="home">KCNA Watch</a></h1>',
        "<title>KCNA Watch</title>",
        "<title>Handicraft Exhibition Draws Visitors | KCNA Watch</title>",
    ),
    # A branding block with a plain h1 and a tagline h2; og:title the site's name, twitter:title the
    # article's with the name after a dash, <title> with the name first.
    "b": (
        '<header class="site-header">',
        '<div id="masthead"><div class="branding"><h1>KCNA Watch</h1><h2>DPRK News &amp; Media</h2></div></div>\n'
        '<header class="site-header">',
        "<title>KCNA Watch</title>",
        '<title>KCNA Watch » Handicraft Exhibition Draws Visitors</title>\n<meta property="og:title" content="KCNA Watch">\n'
        '<meta name="twitter:title" content="Handicraft Exhibition Draws Visitors – KCNA Watch">',
    ),
    # Only a JSON-LD headline (in a @graph) besides the masthead; <title> is the site's name alone.
    "c": (
        '<header class="site-header">',
        '<header class="site-header"><h1 class="site-title">KCNA Watch</h1>',
        "<title>KCNA Watch</title>",
        '<title>KCNA Watch</title>\n<script type="application/ld+json">{"@context": "https://schema.org", "@graph": '
        '[{"@type": "WebSite", "name": "KCNA Watch"}, {"@type": "NewsArticle", "headline": "Handicraft Exhibition Draws Visitors"}]}</script>',
    ),
}


@pytest.mark.parametrize("bare", ["a", "b"])
@pytest.mark.parametrize("masthead", sorted(MASTHEADS))
def test_an_article_without_a_heading_of_its_own_is_never_titled_with_the_sites_name(bare, masthead):
    body = fixture_text("kcnawatch", f"article_bare_{bare}.html")
    find, put, find_title, put_title = MASTHEADS[masthead]
    body = body.replace(find, put, 1).replace(find_title, put_title, 1)
    page = HtmlResponse(url=BARE, body=body.encode(), encoding="utf-8", request=scrapy.Request(BARE))
    [article], _, _ = split(KcnaWatchSpider(base_url=BASE).parse_article(page))
    assert article.title == "Handicraft Exhibition Draws Visitors"


def test_an_article_whose_page_names_only_the_site_takes_its_listings_title(spider):
    body = fixture_text("kcnawatch", "article_bare_a.html").replace(*MASTHEADS["a"][:2])
    page = HtmlResponse(url=BARE, body=body.encode(), encoding="utf-8", request=scrapy.Request(BARE))
    assert split(KcnaWatchSpider(base_url=BASE).parse_article(page))[0][0].title is None
    list(spider.parse_listing(response(BASE + "/article/163/", "source_listing_b.html")))
    assert split(spider.parse_article(page))[0][0].title == "Working people held a rally"


# The "load more" id from any form the page gives (issue 29, point 2) ----------------------------------
LOAD_MORE = (
    '<div class="text-center"><button id="more_results" class="btn btn-more" data-id="189661">Load More</button></div>\n'
    '<script>var kw_ajax = {"url": "/wp-admin/admin-ajax.php", "action": "get_cat_by_source"};</script>'
)
BUTTON = '<button id="more_results">Load more</button>'
ID_FORMS = {
    # Inline scripts that do not name get_cat_by_source: a JS object, a variable, JSON.
    "script object": f'{BUTTON}\n<script>var kw_source = {{"id": 189661, "from": 10}};</script>',
    "script variable": f"{BUTTON}\n<script>\n  window.kwSourceId = '189661';\n  var kwPage = 1;\n</script>",
    "script json": f'{BUTTON}\n<script type="application/json" id="kw-config">{{"source": {{"id": "189661"}}, "per_page": 10}}</script>',
    # A script that builds the request's URL with `id=`.
    "script url": f"{BUTTON}\n<script>jQuery('#more_results').click(function () {{ load('/wp-admin/admin-ajax.php?action=get_cat_by_source&id=189661&from=' + kwFrom); }});</script>",
    # Data attributes other than #more_results[data-id].
    "data-source": f'<div class="load-more-wrap" data-source="189661">{BUTTON}</div>',
    "data-source-id": f'<section class="pager" data-source-id="189661"></section>{BUTTON}',
    # Form fields: a hidden input, a select whose option is the listing's name.
    "input": f'<form class="more-form"><input type="hidden" name="source" value="189661">{BUTTON}</form>',
    "select": '<form action="/" class="filter"><select name="source"><option value="">All sources</option>'
    '<option value="190036">Naenara (En)</option><option value="189661">KASS (EN)</option></select></form>' + BUTTON,
    # The request's URL itself, as the control's link.
    "url": '<a id="more_results" href="/wp-admin/admin-ajax.php?action=get_cat_by_source&amp;die=true&amp;from=10&amp;id=189661&amp;sort=&amp;to=10">Load more</a>',
}


def listing_page(load_more: str) -> HtmlResponse:
    url = BASE + "/article/163/"
    body = fixture_text("kcnawatch", "source_listing_a.html").replace(LOAD_MORE, load_more)
    return HtmlResponse(url=url, body=body.encode(), encoding="utf-8", request=scrapy.Request(url))


@pytest.mark.parametrize("form", sorted(ID_FORMS))
def test_the_load_more_id_is_found_in_any_form(form):
    spider = KcnaWatchSpider(base_url=BASE)
    requests = split(spider.parse_listing(listing_page(ID_FORMS[form])))[2]
    assert [r.url for r in requests if r.meta["page_kind"] == "fragment"] == [AJAX.format(10)]
    assert spider.source_log.seen[BASE + "/article/163/"].source_id == "189661"


def test_a_listing_that_names_no_id_is_walked_by_the_date_search_a_month_at_a_time():
    spider = KcnaWatchSpider(base_url=BASE)
    [search] = [r for r in split(spider.parse_listing(listing_page(BUTTON)))[2] if r.meta["page_kind"] != "article"]
    # The month of the page's oldest entry (December 23, 2024); a month without entries answers 404 or nothing.
    assert search.url == BASE + "/?end=31-12-2024&s=&sort=recent&source=163&start=01-12-2024"
    assert search.meta["handle_httpstatus_list"] == [404] and search.callback == spider.parse_search
    assert spider.source_log.seen[BASE + "/article/163/"].source_id is None


def search_page(spider, window: str, body: str, **meta) -> list:
    url = BASE + "/?" + window
    request = scrapy.Request(url, meta={"kcnawatch_source": "KASS (EN)", **meta})
    return split(spider.parse_search(HtmlResponse(url=url, body=body.encode(), encoding="utf-8", request=request)))


def test_a_full_search_window_is_split_in_halves_then_the_walk_goes_back_a_month():
    spider = KcnaWatchSpider(base_url=BASE, since="2024-11-05")
    full = fixture_text("kcnawatch", "fragment_10.html")
    _, entries, requests = search_page(spider, "end=31-12-2024&s=&sort=recent&source=163&start=01-12-2024", full)
    assert len(entries) == 10 and {e.source for e in entries} == {"KASS (EN)"}
    [following] = [r for r in requests if r.meta["page_kind"] == "search"]
    assert following.url == BASE + "/?end=31-12-2024&s=&sort=recent&source=163&start=17-12-2024"
    assert following.meta["kcnawatch_windows"] == [["2024-12-01", "2024-12-16"]]
    empty = fixture_text("kcnawatch", "fragment_empty.html")
    _, _, requests = search_page(
        spider, "end=16-12-2024&s=&sort=recent&source=163&start=01-12-2024", empty, kcnawatch_found=10
    )
    assert [r.url for r in requests] == [BASE + "/?end=30-11-2024&s=&sort=recent&source=163&start=01-11-2024"]
    # November reaches --since (November 5): October is never asked for.
    _, _, requests = search_page(
        spider, "end=30-11-2024&s=&sort=recent&source=163&start=01-11-2024", empty, kcnawatch_found=10
    )
    assert requests == []


def test_a_source_link_that_names_no_source_takes_the_more_from_heading():
    spider = KcnaWatchSpider(base_url=BASE)
    list(spider.parse_article(response(FULL, "article_full_b.html")))
    assert spider.source_log.seen[BASE + "/article/163/"].name == "KASS (EN)"
    page = HtmlResponse(
        url=FULL,
        body=b'<html><body><div class="article-content"><p>Text.</p></div><aside><h4>More From Rodong Sinmun</h4>'
        b'<ul><li><a href="/newstream/1735347600-801000000/kass-story-0/">Story</a></li></ul>'
        b'<a href="/article/151/">View all &raquo;</a></aside></body></html>',
        encoding="utf-8",
        request=scrapy.Request(FULL),
    )
    requests = split(spider.parse_article(page))[2]
    assert spider.source_log.seen[BASE + "/article/151/"].name == "Rodong Sinmun"
    assert [r.url for r in requests if r.meta["page_kind"] == "listing"] == [BASE + "/article/151/"]


def test_a_search_page_that_names_the_id_turns_the_walk_to_the_load_more_fragments():
    spider = KcnaWatchSpider(base_url=BASE, since="2024-01-01")
    page = (
        fixture_text("kcnawatch", "fragment_10.html") + '<button id="more_results" data-id="189661">Load more</button>'
    )
    _, _, requests = search_page(spider, "end=31-12-2024&s=&sort=recent&source=163&start=01-12-2024", page)
    assert [r.url for r in requests if r.meta["page_kind"] != "article"] == [AJAX.format(10)]
    seen = spider.source_log.seen[BASE + "/article/163/"]
    assert (seen.source_id, seen.source_id_from) == ("189661", "search")
