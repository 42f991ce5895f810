"""Issue 25, point 9: content that was lost or garbled, parsed in this process from fixture pages.

- A 10 MB `<meta content>`: a profile article's body is still found (trafilatura's own parser gave
  up on the page: "no article body").
- HTTP header koi8-r, `<meta>` windows-1251, bytes windows-1251: read as windows-1251 (the declaration
  the bytes agree with), so the RSTV entry is stored in Cyrillic, not mojibake; and the other way
  round (bytes koi8-r) the header stays.
- A table cell (an unclosed `<td>` among them) whose first paragraph stands outside any `<p>`: every
  paragraph kept, with and without a body selector.
- A profile's `language = "en\\n"` is "en".
"""

from __future__ import annotations

from pathlib import Path

import pytest
from scrapy.http import HtmlResponse, Request
from scrapy.utils.test import get_crawler

from archiver.middlewares.guards import CharsetRepair
from archiver.sites.profiles import ProfileError, load_profile, parse_profile
from spiders.profile import ProfileSpider
from spiders.rstv import RstvSpider
from tests.support.profile_sites import wordpress_site, wp_path, wp_stories

FIXTURES = Path(__file__).parent / "fixtures"
MINSK = "http://www.redstartv.org/blog/seminar_in_minsk/2023-04-17-650"
PARAGRAPHS = [
    "The council met on Monday to discuss the new railway line and its stations across the valley.",
    "Residents asked about the noise, the timetable and the cost of the tickets for the daily commute.",
    "The mayor promised a public hearing next month, where the engineers will present their final plans.",
]
ONE, TWO, THREE = PARAGRAPHS


def profile_spider(article: dict | None = None) -> ProfileSpider:
    document = {"name": "tables", "base_url": "https://tables.example", "start": ["/"], "article_url": "^/a/"}
    if article:
        document["article"] = article
    return ProfileSpider.for_profile(parse_profile(document, Path("tables.toml")))()


def parse(spider: ProfileSpider, url: str, body: bytes):
    [item] = list(spider.parse_article(HtmlResponse(url, body=body, request=Request(url))))
    return item


def test_a_10_mb_meta_attribute_keeps_the_article():
    story = wp_stories()[0]
    page = wordpress_site(wp_stories())[wp_path(story)].body
    giant = b'<meta name="description" content="' + b"A" * 11_000_000 + b'">'
    spider = ProfileSpider.for_profile(load_profile(FIXTURES / "profiles" / "partyweekly.toml"))()
    url = f"https://partyweekly.example{wp_path(story)}"
    item = parse(spider, url, page.replace(b"</head>", giant + b"</head>", 1))
    assert (item.title, item.paragraphs) == (story.title, story.paragraphs)


def repaired(body: bytes, header: str) -> HtmlResponse:
    crawler = get_crawler()
    crawler.stats.open_spider()
    response = HtmlResponse(
        MINSK, body=body, headers={"Content-Type": f"text/html; charset={header}"}, request=Request(MINSK)
    )
    return CharsetRepair.from_crawler(crawler).process_response(response.request, response, None)


def test_header_and_meta_disagree_the_bytes_decide():
    body = (FIXTURES / "rstv" / "article_ucoz_ru_cp1251.html").read_bytes()  # <meta …charset=windows-1251>
    response = repaired(body, "koi8-r")
    assert response.encoding == "cp1251"
    [item] = [o for o in RstvSpider().parse_article(response) if hasattr(o, "paragraphs")]
    assert item.title == "Семинар в Минске"
    assert item.paragraphs[0].strip().startswith("В Минске прошёл семинар «Идеи чучхе и современность»")


def test_header_and_meta_disagree_the_header_is_right():
    text = (FIXTURES / "rstv" / "article_ucoz_ru_cp1251.html").read_bytes().decode("cp1251")
    body = text.replace("—", "-").replace("«", '"').replace("»", '"').encode("koi8-r")  # meta still says windows-1251
    response = repaired(body, "koi8-r")
    assert response.encoding == "koi8-r"
    assert "Семинар в Минске" in response.text


TABLE_PAGES = {
    "bare first paragraph": f"<table><tr><td class=text>{ONE}<p>{TWO}</p><p>{THREE}</p></tr></table>",
    "unclosed cell, bare text": f"<table><tr><td class=text>{ONE}<p>{TWO}<p>{THREE}<td>ads</table>",
    "unclosed cell, <br> lines": f"<table><tr><td class=text>{ONE}<br><br>{TWO}<br><br>{THREE}<td>x</table>",
    "nested table left open": f"<table><tr><td class=text><table><tr><td><p>{ONE}</p><p>{TWO}</table><p>{THREE}</p></td></tr></table>",
}


@pytest.mark.parametrize("html", list(TABLE_PAGES.values()), ids=list(TABLE_PAGES))
@pytest.mark.parametrize("article", [None, {"body": "td.text"}], ids=["trafilatura", "selector"])
def test_table_cells_keep_every_paragraph(html, article):
    page = f"<html><head><title>Railway plans</title></head><body><h1>Railway plans</h1>{html}</body></html>".encode()
    item = parse(profile_spider(article), "https://tables.example/a/1", page)
    assert item.paragraphs == PARAGRAPHS


def test_a_selected_cell_keeps_its_bare_text_but_not_short_labels():
    html = f"<div class=text>Share:<p>{ONE}</p>{TWO}<div class=tags>Tags: rail</div><p>{THREE}</p></div>"
    page = f"<html><body><h1>Railway plans</h1>{html}</body></html>".encode()
    item = parse(profile_spider({"body": "div.text"}), "https://tables.example/a/1", page)
    assert item.paragraphs == PARAGRAPHS


@pytest.mark.parametrize(
    ("value", "expected"), [('"en\\n"', "en"), ('" de "', "de"), ('["en\\n", "ru"]', ("en", "ru"))]
)
def test_a_language_with_whitespace_is_stripped(tmp_path, value, expected):
    path = tmp_path / "lang.toml"
    path.write_text(
        f'name = "lang"\nbase_url = "https://lang.example"\nstart = ["/"]\narticle_url = "^/a/"\nlanguage = {value}\n'
    )
    assert load_profile(path).language == expected


def test_a_language_that_is_no_code_is_refused(tmp_path):
    path = tmp_path / "lang.toml"
    path.write_text(
        'name = "lang"\nbase_url = "https://lang.example"\nstart = ["/"]\narticle_url = "^/a/"\nlanguage = "e n"\n'
    )
    with pytest.raises(ProfileError, match="language: must be an ISO 639-1 code"):
        load_profile(path)
