"""The RSTV spider on hand-written pages (tests/fixtures/rstv): exact fields, clean bodies, datelines
resolved through the pipelines, and windows-1251 pages decoded whichever way the charset is declared."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import scrapy
from scrapy.http import HtmlResponse

from archiver.items import ArticleItem, ListingEntryItem
from pipelines.dates import DatesPipeline
from pipelines.dedup import DedupPipeline
from pipelines.text import TextPipeline
from spiders.rstv import RstvSpider, language_of_text

FIXTURES = Path(__file__).parent / "fixtures" / "rstv"
BASE = "http://rstv.test"
SEMINAR = {
    "en": f"{BASE}/news/solidarity_seminar_held_in_minsk/2024-03-14-2101",
    "ru": f"{BASE}/news/solidarity_seminar_held_in_minsk_ru/2024-03-14-2102",
    "zh": f"{BASE}/news/solidarity_seminar_held_in_minsk_zh/2024-03-14-2103",
    "de": f"{BASE}/news/solidarity_seminar_held_in_minsk_de/2024-03-14-2104",
}
RU_BODY = (
    "12 марта, 113 года чучхе (2024), в Минске прошёл семинар по истории Корейской войны.\n\n"
    "Участники приняли «Заявление о солидарности» — единогласно."
)


class Stats:
    def set_value(self, key, value) -> None:
        pass

    def inc_value(self, key, count=1) -> None:
        pass


def response(
    name: str, url: str, content_type: str = "text/html; charset=UTF-8", body: bytes | None = None
) -> HtmlResponse:
    data = body if body is not None else (FIXTURES / name).read_bytes()
    return HtmlResponse(url, body=data, headers={"Content-Type": content_type})


def spider() -> RstvSpider:
    return RstvSpider(base_url=BASE)


def article(name: str, url: str, **kwargs) -> tuple[ArticleItem, list[scrapy.Request]]:
    out = list(spider().parse_article(response(name, url, **kwargs)))
    items = [o for o in out if isinstance(o, ArticleItem)]
    assert len(items) == 1
    return items[0], [o for o in out if isinstance(o, scrapy.Request)]


def normalized(item: ArticleItem) -> ArticleItem:
    """The item as the store receives it: dates, text and URLs normalized by the real pipelines."""
    item = DatesPipeline(Stats(), today=date(2026, 1, 1)).process_item(item)
    item = TextPipeline().process_item(item)
    return DedupPipeline(Stats()).process_item(item)


def test_english_article_fields():
    item, requests = article("article_en.html", SEMINAR["en"])
    assert item.title == "Solidarity Seminar Held in Minsk"
    assert item.dateline_raw.replace("\xa0", " ").strip() == "March 14, Minsk (RSTV)"
    assert item.subtitle == "Day One of the Spring Seminar"
    assert item.url_date_raw == "2024-03-14"
    assert (item.language, item.category, item.author, item.views, item.comments) == (
        "en",
        "English",
        "redstartvkp",
        1204,
        3,
    )
    assert item.tags == ["DPRK ISG", "seminar"]
    assert item.translation_urls == sorted(SEMINAR.values())
    assert sorted(r.url for r in requests) == sorted(u for k, u in SEMINAR.items() if k != "en")


def test_english_body_is_clean_paragraphs():
    item = normalized(article("article_en.html", SEMINAR["en"])[0])
    assert item.body == "\n\n".join(
        [
            "On March 12, Juche 113 (2024), a seminar on the history of the Korean War was held in Minsk.",
            "Members of the Belarusian & Russian executive committees attended it.",
            "Report by the Chairman",
            "The Chairman named three tasks for the year:",
            "1. Translating the seminar's papers;",
            "2. Holding a photo exhibition;",
            "3. Preparing the autumn congress.",
            "The participants agreed on two points:",
            "• Meetings will be held monthly.",
            "• Reports will be published in four languages.",
            "The seminar ended with a joint statement.",
        ]
    )
    for junk in ("RSTV", "photos", "Deutsch", "Category", "Views", "Total comments", "17:45", "Spring Seminar"):
        assert junk not in item.body
    assert (item.published_on, item.dateline, item.dateline_place, item.dateline_on) == (
        date(2024, 3, 14),
        "March 14, Minsk (RSTV)",
        "Minsk",
        date(2024, 3, 14),
    )


@pytest.mark.parametrize(
    ("name", "lang", "title", "dateline", "place", "body"),
    [
        (
            "article_zh.html",
            "zh",
            "明斯克举行团结研讨会",
            "3月14日，明斯克（RSTV）",
            "明斯克",
            "3月12日，在明斯克举行了关于朝鲜战争历史的研讨会。\n\n白俄罗斯和俄罗斯执行委员会的成员出席了会议。",
        ),
        (
            "article_de.html",
            "de",
            "Solidaritätsseminar in Minsk abgehalten",
            "14. März, Minsk (RSTV)",
            "Minsk",
            "Am 12. März fand in Minsk ein Seminar zur Geschichte des Koreakrieges statt.\n\n"
            "Mitglieder der belarussischen und russischen Exekutivkomitees nahmen daran teil.",
        ),
    ],
)
def test_chinese_and_german_versions(name, lang, title, dateline, place, body):
    url = SEMINAR[lang]
    item, _ = article(name, url)
    assert item.translation_urls == sorted(SEMINAR.values())
    item = normalized(item)
    assert (item.language, item.title, item.dateline, item.dateline_place, item.body) == (
        lang,
        title,
        dateline,
        place,
        body,
    )
    assert (item.published_on, item.dateline_on) == (date(2024, 3, 14), date(2024, 3, 14))


def ru_variants() -> dict[str, tuple[bytes, str]]:
    """One windows-1251 page, its charset declared in the header only, in <meta> only, or in both."""
    both = (FIXTURES / "article_ru_cp1251.html").read_bytes()
    meta = b'<meta http-equiv="content-type" content="text/html; charset=windows-1251">\n'
    assert meta in both
    return {
        "both": (both, "text/html; charset=windows-1251"),
        "header": (both.replace(meta, b""), "text/html; charset=windows-1251"),
        "meta": (both, "text/html"),
    }


@pytest.mark.parametrize("declared", ["header", "meta", "both"])
def test_windows_1251_page_decodes_without_mojibake(declared):
    body, content_type = ru_variants()[declared]
    item, _ = article("", SEMINAR["ru"], content_type=content_type, body=body)
    item = normalized(item)
    assert item.title == "Семинар солидарности в Минске"
    assert item.body == RU_BODY
    assert (item.dateline, item.dateline_place, item.dateline_on) == (
        "14 марта, Минск (RSTV)",
        "Минск",
        date(2024, 3, 14),
    )
    assert (item.language, item.category, item.views) == ("ru", "Русский", 305)
    # The Chinese link label is a character reference in a windows-1251 page: still one of the four links.
    assert item.translation_urls == sorted(SEMINAR.values())


def test_utf8_decoding_of_a_windows_1251_page_would_be_caught():
    """The check above can fail: the same bytes read as UTF-8 do not give the Russian text."""
    body, _ = ru_variants()["header"]
    item, _ = article("", SEMINAR["ru"], content_type="text/html; charset=utf-8", body=body)
    assert normalized(item).body != RU_BODY


def test_juche_dated_page_without_dateline():
    url = f"{BASE}/news/day_of_the_sun_celebrated/2024-04-15-2120"
    item, requests = article("article_juche.html", url)
    assert (item.dateline_raw, item.subtitle, item.translation_urls, requests) == (None, None, [], [])
    item = normalized(item)
    assert item.body == (
        "On April 15, Juche 113 (2024), activists of the Group laid flowers in Moscow.\n\n"
        "Speeches\n\n"
        "The first speech recalled the events of April 1, 106, Juche (2017)."
    )
    assert (item.published_on, item.dateline_on, item.language) == (date(2024, 4, 15), None, "en")


def test_leading_centred_heading_without_dashes_stays_in_the_body():
    page = (
        (FIXTURES / "article_juche.html")
        .read_bytes()
        .replace(b"On April 15,", b'<div align="center"><b>&nbsp;Moscow Events&nbsp;</b></div><br />\nOn April 15,', 1)
    )
    item = normalized(article("", f"{BASE}/news/day_of_the_sun_celebrated/2024-04-15-2120", body=page)[0])
    assert item.subtitle is None
    assert item.body.startswith("Moscow Events\n\nOn April 15, Juche 113 (2024)")


def test_dateline_year_differs_from_url_year():
    url = f"{BASE}/news/new_year_reception_in_pyongyang/2024-01-02-2005"
    item = normalized(article("article_year.html", url)[0])
    assert item.published_on == date(2024, 1, 2)
    assert (item.dateline, item.dateline_place, item.dateline_on) == (
        "December 31, Pyongyang (RSTV)",
        "Pyongyang",
        date(2023, 12, 31),
    )
    assert item.subtitle == "A Late Report"
    assert item.body == (
        "On December 31, a New Year reception was held for foreign guests.\n\nThe report reached us after the holidays."
    )


def test_listing_entries_and_pagination():
    url = f"{BASE}/news/?page2"
    out = list(spider().parse_listing(response("listing_page2.html", url)))
    entries = [o for o in out if isinstance(o, ListingEntryItem)]
    requests = [o.url for o in out if isinstance(o, scrapy.Request)]
    assert [(e.article_url, e.kind, e.found_on, e.date_raw, e.date_order) for e in entries] == [
        (SEMINAR["ru"], "listing", url, "14.03.2024", "DMY"),
        (SEMINAR["en"], "listing", url, "14.03.2024", "DMY"),
    ]
    assert entries[0].title == "Семинар солидарности в Минске"
    assert entries[1].teaser_raw.startswith("On March 12, Juche 113\xa0(2024)")
    assert requests == [SEMINAR["ru"], SEMINAR["en"], f"{BASE}/news/?page3"]  # articles, then page 3 (not 1)
    listed = DatesPipeline(Stats(), today=date(2026, 1, 1)).process_item(entries[0])
    assert listed.listed_on == date(2024, 3, 14)


def test_last_listing_page_has_no_next_page():
    page = (FIXTURES / "listing_page2.html").read_bytes().replace(b"?page3", b"?page1")
    out = list(spider().parse_listing(response("", f"{BASE}/news/?page2", body=page)))
    assert [o.url for o in out if isinstance(o, scrapy.Request)] == [SEMINAR["ru"], SEMINAR["en"]]


def test_callbacks_for_stored_pages():
    s = spider()
    assert s.callback_for(SEMINAR["en"]) == s.parse_article
    assert s.callback_for(f"{BASE}/news/") == s.parse_listing
    assert s.callback_for(f"{BASE}/news/?page7") == s.parse_listing
    assert s.callback_for(f"{BASE}/news/1-0-2") is None


def test_page_without_an_entry_block_yields_nothing():
    assert (
        list(spider().parse_article(response("", f"{BASE}/news/x/2024-01-01-1", body=b"<html><body>404</body></html>")))
        == []
    )


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Крупное онлайн-собрание в Китае", "ru"),
        ("中国举行大型线上会议", "zh"),
        ("Große Online-Versammlung in China abgehalten", "de"),
        ("Large Online Meeting in China Held", "en"),
    ],
)
def test_language_from_text_when_the_category_is_unknown(text, lang):
    assert language_of_text(text) == lang


def test_language_from_text_is_used_without_a_category():
    page = (FIXTURES / "article_de.html").read_bytes().replace(b'<a href="/news/1-0-5">Deutsch</a>', b"")
    item, _ = article("", SEMINAR["de"], body=page)
    assert (item.category, item.language) == (None, "de")
