"""The RSTV spider on hand-written pages (tests/fixtures/rstv), each page kind in two renderings (the
uCoz default template and another one of other tags and classes) that must give the same rows:
exact fields, clean bodies, datelines resolved through the pipelines, language from the text,
translation links, windows-1251 pages, the feed and the sitemap."""

from __future__ import annotations

import asyncio
from dataclasses import asdict
from datetime import date
from pathlib import Path

import pytest
import scrapy
from scrapy.http import HtmlResponse, Request, TextResponse, XmlResponse
from scrapy.utils.test import get_crawler

from archiver.items import ArticleItem, ListingEntryItem, MissingVersionItem
from pipelines.dates import DatesPipeline
from pipelines.dedup import DedupPipeline
from pipelines.text import TextPipeline
from spiders.rstv import RstvSpider, page_kind
from spiders.rstv_text import is_dateline
from tests.support.archive import Stats

FIXTURES = Path(__file__).parent / "fixtures" / "rstv"
BASE = "http://www.redstartv.org"
EN = f"{BASE}/blog/large_online_meeting_in_china_held/2023-07-25-683"
RU = f"{BASE}/blog/krupnoe_onlajn_sobranie_proshlo_v_kitae/2023-07-25-684"
ZH = f"{BASE}/blog/2023-07-25-685"
DE = f"{BASE}/blog/2023-06-26-686"


def response(name: str, url: str, content_type: str = "text/html") -> HtmlResponse:
    body = (FIXTURES / name).read_bytes()
    return HtmlResponse(url, body=body, headers={"Content-Type": content_type}, request=Request(url))


def spider() -> RstvSpider:
    return RstvSpider()


def parse_article(name: str, url: str, **kwargs) -> tuple[ArticleItem, list[scrapy.Request]]:
    out = list(spider().parse_article(response(name, url, **kwargs)))
    items = [o for o in out if isinstance(o, ArticleItem)]
    assert len(items) == 1
    return items[0], [o for o in out if isinstance(o, scrapy.Request)]


def normalized(item):
    """The item as the store receives it: dates, text and URLs normalized by the real pipelines."""
    item = DatesPipeline(Stats(), today=date(2026, 1, 1)).process_item(item)
    item = TextPipeline().process_item(item)
    return DedupPipeline(Stats()).process_item(item)


def stored(item: ArticleItem) -> dict:
    """What the archive keeps of an article item (raw lines and the page's URL aside)."""
    fields = asdict(normalized(item))
    for raw in ("paragraphs", "dateline_raw"):
        fields.pop(raw)
    return fields


def listing(name: str, url: str) -> tuple[list[ListingEntryItem], list[scrapy.Request]]:
    out = list(spider().parse_listing(response(name, url)))
    return [o for o in out if isinstance(o, ListingEntryItem)], [o for o in out if isinstance(o, scrapy.Request)]


def entry_row(entry: ListingEntryItem) -> tuple:
    e = normalized(entry)
    return (e.article_url, e.title, e.teaser, e.teaser_truncated, e.listed_on, e.category, e.views, e.comments)


# Listings ------------------------------------------------------------------------------------

HOME_ROWS = [
    (
        f"{BASE}/blog/2nd_organizing_conference_of_the_dprk_isg/2021-02-24-201",
        "2nd Organizing Conference of the DPRK ISG",
        "On February 18, Juche 110 (2021), the organizational conference of the DPRK International Solidarity Group"
        " (DPRK ISG), has concluded its work. This conference has been launched two weeks ago on Februa",
        True,
        date(2021, 2, 24),
        "English",
        532,
        0,
    ),
    (
        DE,
        "Großes Online-Treffen in China",
        "Am 23. Juli fand beim chinesischen Exekutivkomitee der DVRK ISG der zweite Tag des Kongresses statt."
        " Die Leiter des Komitees hielten Vortr",
        True,
        date(2023, 6, 26),
        "Deutsches Regionalkomitee",
        241,
        2,
    ),
    # no category, no comments link; the listing date is 19/05/17 (YY/MM/DD), not the URL's
    (
        f"{BASE}/blog/2023_3/2023-03-16-640",
        "Friendship Meeting in Grozny",
        "On March 10, a friendship meeting was held in Grozny.",
        False,
        date(2019, 5, 17),
        None,
        491,
        None,
    ),
]


@pytest.mark.parametrize("name", ["listing_ucoz.html", "listing_other.html"])
def test_home_listing_in_either_template(name):
    entries, requests = listing(name, f"{BASE}/")
    assert [entry_row(e) for e in entries] == HOME_ROWS
    assert {(e.site, e.kind, e.source, e.found_on, e.date_order) for e in entries} == {
        ("rstv", "listing", "RSTV", f"{BASE}/", "YMD")
    }
    # Every entry's page, and page 2 only (never page 3, the calendar or a category).
    assert sorted((r.url, r.meta["page_kind"]) for r in requests) == sorted(
        [(row[0], "article") for row in HOME_ROWS] + [(f"{BASE}/?page2", "listing")]
    )


@pytest.mark.parametrize("name", ["day_ucoz.html", "day_flat.html"])
def test_day_archive_in_either_template(name):
    """The archive of 20 December lists an entry of the 21st: its own listing date is kept."""
    entries, requests = listing(name, f"{BASE}/blog/2019-12-20")
    assert [entry_row(e) for e in entries] == [
        (
            f"{BASE}/blog/new_year_greetings_to_comrade_kim_jong_un/2019-12-21-98",
            "New Year Greetings to Comrade Kim Jong Un",
            "The members of the Group sent greetings to the respected Comrade Kim Jong Un on the occasion of the New Ye",
            True,
            date(2019, 12, 21),
            "Coordination Committee of the DPRK ISG",
            383,
            0,
        ),
        (f"{BASE}/blog/2019-12-20-97", "Seminar in Khabarovsk", "A seminar on the Juche idea was held in Khabarovsk.",
         False, date(2019, 12, 20), None, 120, None),
    ]  # fmt: skip
    assert [r.meta["page_kind"] for r in requests] == ["article", "article"]


def test_listing_paths_and_kinds():
    assert page_kind(f"{BASE}/blog/2021-3-3") == page_kind(f"{BASE}/blog/2021-04-01") == "day_archive"
    assert page_kind(f"{BASE}/blog/2020-9-9") == "day_archive"
    for path in ("/", "/?page66", "/blog/", "/blog/?page2", "/blog/coordination_committee/24-0-1", "/news/?page3"):
        assert page_kind(BASE + path) == "listing", path
    for path in (
        "/blog/2nd_organizing_conference_of_the_dprk_isg/2021-02-24-201",
        "/blog/2023-06-26-686",
        "/blog/2023_3/2023-03-16-640",
        "/news/dprk_embassy_in_moscow_hosts_reception/2019-04-14-31",
        "/news/2021/2021-01-01-1965",
    ):
        assert page_kind(BASE + path) == "article", path
    assert page_kind(BASE + "/sitemap.xml") == "sitemap" and page_kind(BASE + "/blog/rss/") == "feed"
    assert page_kind(BASE + "/publ/english/juche_idea_english/the_attitude/2-1-0-95") is None


def test_category_listing_next_page():
    url = f"{BASE}/blog/coordination_committee/24-0-1"
    page = HtmlResponse(
        url,
        body=b'<p><a href="/blog/coordination_committee/24-0-3">3</a> <a href="/blog/english/2-0-2">2</a>'
        b' <a href="/blog/coordination_committee/24-0-2">2</a></p>',
        request=Request(url),
    )
    assert spider().next_page(page) == f"{BASE}/blog/coordination_committee/24-0-2"


# Entry pages ---------------------------------------------------------------------------------

EN_BODY = "\n\n".join(
    [
        "On July 23, the 2nd International Congress of Solidarity was held online at the Chinese Executive"
        " Committee of the DPRK ISG.",
        "Speeches",
        "Comrade Li Jizheng welcomed the participants & delivered a speech.",
        "• the development history of the Group;",
        "• its views on the international situation.",
        "[8. Februar] was named as the day of the next meeting.",
    ]
)


@pytest.mark.parametrize("name", ["article_ucoz_en.html", "article_other_en.html"])
def test_english_entry_in_either_template(name):
    item, requests = parse_article(name, EN)
    assert item.dateline_nearest and item.url_date_raw == "2023-07-25"
    assert stored(item) == {
        **stored(parse_article("article_ucoz_en.html", EN)[0]),  # the same row from both templates
    }
    row = normalized(item)
    assert (row.title, row.subtitle, row.body) == (
        "Large Online Meeting in China Held",
        "Second Day of the 2nd International Congress of Solidarity",
        EN_BODY,
    )
    assert (row.published_on, row.dateline, row.dateline_place, row.dateline_on) == (
        date(2023, 7, 25),
        "July 25, Beijing (RSTV)",
        "Beijing",
        date(2023, 7, 25),
    )
    assert (row.language, row.category, row.views, row.author, row.tags, row.comments) == (
        "en",
        "English",
        966,
        "redstartvkp",
        ["DPRK ISG", "1th International Congress of Solid"],
        1,
    )
    assert row.translation_urls == sorted([EN, RU, ZH, DE])  # both host names as the base URL's
    assert sorted((r.url, r.meta["page_kind"], r.meta["linked_from"]) for r in requests) == sorted(
        (u, "article", EN) for u in (RU, ZH, DE)
    )
    assert all(r.meta["handle_httpstatus_list"] == [404, 410] for r in requests)


@pytest.mark.parametrize("name", ["article_ucoz_de.html", "article_other_de.html"])
def test_german_entry_datelined_a_month_after_its_url_date(name):
    row = normalized(parse_article(name, DE)[0])
    assert (row.published_on, row.dateline, row.dateline_place, row.dateline_on) == (
        date(2023, 6, 26),
        "Peking, 25. Juli. /RSTV/",
        "Peking",
        date(2023, 7, 25),
    )
    assert (row.language, row.category, row.views, row.author, row.tags, row.comments) == (
        "de",
        "Deutsches Regionalkomitee",
        12,
        None,  # "| Views: 12 | | |": empty fields
        [],
        0,
    )
    assert row.body == (
        "Am 23. Juli fand beim chinesischen Exekutivkomitee der DVRK ISG der zweite Tag des Kongresses statt.\n\n"
        "Die Leiter des Komitees hielten Vorträge, und die Teilnehmer verabschiedeten ein Grußtelegramm."
    )
    assert row.translation_urls == sorted([EN, RU, ZH, DE])


RU_BODY = (
    "В Минске прошёл семинар «Идеи чучхе и современность» — собрались ёлочные игрушки и активисты.\n\n"
    "Новый, 110 год чучхе (2021) участники встретили вместе."
)
MINSK = [f"{BASE}/blog/seminar_in_minsk/2023-04-17-650", f"{BASE}/blog/seminar_v_minske/2023-04-17-651"]


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("article_ucoz_ru_cp1251.html", "text/html; charset=windows-1251"),  # header and <meta>
        ("article_other_ru_cp1251.html", "text/html"),  # <meta> only
    ],
)
def test_windows_1251_russian_entry_with_a_belarusian_version(name, content_type):
    row = normalized(parse_article(name, MINSK[1], content_type=content_type)[0])
    assert (row.title, row.body, row.language) == ("Семинар в Минске", RU_BODY, "ru")
    assert (row.dateline_place, row.dateline_on) == ("Минск", date(2023, 4, 17))
    assert row.translation_urls == sorted([*MINSK, f"{BASE}/blog/2023-04-17-652"])
    assert (row.category, row.views, row.author, row.comments) == (
        "Coordination Committee of the DPRK ISG",
        44,
        "redstartvkp",
        0,
    )


@pytest.mark.parametrize("name", ["article_ucoz_ko.html", "article_other_ko.html"])
def test_korean_entry_and_its_six_language_line(name):
    item, requests = parse_article(name, f"{BASE}/blog/2024-09-09-1300")
    row = normalized(item)
    assert (row.language, row.title, row.dateline) == ("ko", "조선민주주의인민공화국 창건 76돐 경축모임", None)
    assert len(row.translation_urls) == 6 and f"{BASE}/blog/2024-09-09-1302" in row.translation_urls
    assert len(requests) == 5
    assert (
        row.body
        == "9월 9일 조선민주주의인민공화국 창건 76돐을 경축하는 모임이 진행되였다.\n\n모임에서는 축하문이 채택되였다."
    )
    assert (row.category, row.views, row.author, row.comments) == (
        "Coordination Committee of the DPRK ISG",
        64,
        "redstartvkp",
        None,
    )


def test_tajik_entry_special_announcement_is_no_dateline():
    row = normalized(parse_article("article_other_tg.html", f"{BASE}/blog/2024-06-19-1212")[0])
    assert (row.language, row.dateline, row.dateline_on) == ("tg", None, None)
    assert row.body.startswith("special announcement\n\n19 июн дар Душанбе")
    assert (row.tags, row.views) == (["DPRK ISG"], 31)
    assert len(row.translation_urls) == 5


def test_repost_under_two_urls_has_one_text():
    a = normalized(parse_article("article_ucoz_en.html", f"{BASE}/blog/circle/2017-11-20-850")[0])
    b = normalized(parse_article("article_other_en.html", f"{BASE}/blog/2024-01-31-850")[0])
    assert a.content_hash == b.content_hash and a.published_on != b.published_on


def test_missing_version_is_recorded():
    url = f"{BASE}/blog/2023-09-10-731"
    gone = HtmlResponse(url, status=404, body=b"Not found", request=Request(url, meta={"linked_from": EN}))
    assert list(spider().parse_article(gone)) == [MissingVersionItem("rstv", url, 404, EN)]


@pytest.mark.parametrize(
    "line",
    [
        "July 25, Beijing (RSTV)", "December 27, Moscow (RSTV)", "Moscow, May 29 (RSTV)",
        "Pyongyang, September 24 (RSTV)", "January 30 (RSTV)", "April 21 (RSTV)",
        "September 22 (DPRK ISG Information Bureau - RSTV)", "March 3 (KCNA - RSTV)",
        "May 2, Berlin (Informationsbüro der DVRK ISG – RSTV)", "Peking, 25. Juli. /RSTV/",
        "Berlin, 25. August. /RSTV/", "Pjöngjang, 11. Februar /RSTV/", "10. März. /RSTV/", "Berlin, 20. April /RSTV/",
        "4. April, Budapest (Informationsbüro der DVRK ISG - RSTV)",
        "15. August, Berlin - Moskau (Informationsbüro der DVRK ISG – RSTV)", "17 апреля, Пекин. /Пульгынбёль ТВ/",
        "15 февраля, Сергиев Посад. /Информбюро МГС КНДР — Пульгынбёль ТВ/",
        "28 января, Москва. /Информбюро МГС КНДР — Пульгынбёль ТВ/",
        "November 20, 2017 (News of Gorny Altai)", "April 14, 2018", "Grosny, June 12 (RSTV)",
        "December 1, Saint-Petersburg (RSTV)", "7月25日,北京(RSTV)",
    ],
)  # fmt: skip
def test_every_dateline_form_is_recognized(line):
    assert is_dateline(line)


@pytest.mark.parametrize(
    "line",
    [
        "special announcement",
        "On July 23, the 2nd International Congress of Solidarity was held online.",
        "[8. Februar]",
        "Speeches",
    ],
)
def test_other_lines_are_no_datelines(line):
    assert not is_dateline(line)


# Feed and sitemap ----------------------------------------------------------------------------


def test_feed_entries():
    url = f"{BASE}/blog/rss/"
    feed = XmlResponse(url, body=(FIXTURES / "feed.xml").read_bytes(), request=Request(url))
    out = list(spider().parse_feed(feed))
    entries = [normalized(o) for o in out if isinstance(o, ListingEntryItem)]
    assert [(e.article_url, e.kind, e.listed_on, e.category, e.title) for e in entries] == [
        (EN, "feed", date(2023, 7, 25), "English", "Large Online Meeting in China Held"),
        (DE, "feed", date(2023, 6, 26), "Deutsches Regionalkomitee", "Großes Online-Treffen in China"),
    ]
    assert [(r.url, r.meta["page_kind"]) for r in out if isinstance(r, scrapy.Request)] == [
        (EN, "article"),
        (DE, "article"),
    ]


def test_sitemap_entries_only():
    url = f"{BASE}/sitemap.xml"
    sitemap = XmlResponse(url, body=(FIXTURES / "sitemap.xml").read_bytes(), request=Request(url))
    requests = list(spider().parse_sitemap(sitemap))
    assert [(r.url, r.meta["page_kind"]) for r in requests] == [
        (EN, "article"),
        (DE, "article"),
        (f"{BASE}/news/2021/2021-01-01-1965", "article"),
    ]


def test_a_sitemap_that_is_no_sitemap_falls_back_to_the_listings():
    url = f"{BASE}/sitemap.xml"
    page = TextResponse(url, body=b"<html><body>Not here</body></html>", request=Request(url))
    # The home listing and each module's own: whether the home page lists every module is not known.
    assert [(r.url, r.meta["page_kind"]) for r in spider().parse_sitemap(page)] == [
        (f"{BASE}/", "listing"),
        (f"{BASE}/blog/", "listing"),
        (f"{BASE}/news/", "listing"),
    ]


def test_spider_declares_checks_and_contracts():
    assert RstvSpider.default_base_url == "http://www.redstartv.org"
    assert set(RstvSpider.check_urls) == {"listing", "day_archive", "article"}
    assert all(path.startswith("/") for paths in RstvSpider.check_urls.values() for path in paths)
    assert set(RstvSpider.required_fields) >= {"listing", "article"}
    for method in (RstvSpider.parse_listing, RstvSpider.parse_article):
        assert "@url http://www.redstartv.org/" in method.__doc__
    with pytest.raises(ValueError):
        RstvSpider(via="everything")


def test_a_feed_run_falls_back_to_the_listings_only_when_no_modules_feed_answers():
    crawler = get_crawler(RstvSpider, {"ARCHIVER_RSTV_VIA": "feed", "ARCHIVER_DB_URL": "sqlite://"})
    feeds = RstvSpider.from_crawler(crawler, base_url=BASE)
    feeds._archived_sources = {"module": []}
    started = asyncio.run(collect(feeds.start()))
    assert [r.url for r in started] == [f"{BASE}/blog/rss/", f"{BASE}/news/rss/"]
    missing = [TextResponse(r.url, status=404, body=b"<html>404</html>", request=r) for r in started]
    assert list(feeds.parse_feed(missing[1])) == []  # the blog's feed may still answer
    fallback = list(feeds.parse_feed(missing[0]))  # neither did: the listings
    assert [r.url for r in fallback] == [f"{BASE}/", f"{BASE}/blog/", f"{BASE}/news/"]


async def collect(iterator):
    return [item async for item in iterator]


@pytest.mark.parametrize("name", ["listing_ucoz.html", "listing_other.html"])
def test_a_listing_names_the_modules_of_its_entries_and_the_categories_it_links(name):
    rstv = spider()
    list(rstv.parse_listing(response(name, f"{BASE}/")))
    seen = {(s.kind, s.key): s.name for s in rstv.source_log.seen.values()}
    assert seen[("module", "blog")] == "Blog"  # as the menu names it
    assert seen[("category", "blog/english/2")] == "English"
    assert ("module", "news") not in seen  # no news entry listed here: not known to hold entries yet
