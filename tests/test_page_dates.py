"""Dates of site-profile pages (issue 24): every date a page states, read in the site's zone and
cross-checked, never a wrong one.

The corpus (archiver/bench/datecorpus/: pages in the shapes of WordPress classic and block themes,
Ghost, Drupal 7 and 10, Hugo, Jekyll, Blogger, Next.js JSON-LD-only news sites, pages with related
cards, comments, "updated" lines, published and modified dates, UTC times near midnight for sites in
UTC-5 and UTC+9) is parsed as a profile crawl parses it: each case's `published_on` / `modified_on`
exactly, or empty where the page does not say. Then the rules one by one (archiver/normalize/
datechoice.py), the pipeline's counts, the listing's date on the article, and the archive's columns.
"""

from __future__ import annotations

import io
import json
import shutil
from datetime import date

import pytest
from scrapy.http import HtmlResponse, Request
from sqlalchemy import select

from archiver.archive.engine import open_archive, session_factory
from archiver.archive.models import Article
from archiver.archive.writer import ArchiveWriter
from archiver.bench import pagedates
from archiver.items import ArticleItem, ListingEntryItem
from archiver.normalize.datechoice import choose, plausible_offsets, url_date
from archiver.normalize.dates import DateNormalizer
from archiver.normalize.text import content_hash
from archiver.sites.profiles import ProfileError, parse_profile
from pipelines.dates import DatesPipeline
from spiders.profile import ProfileSpider
from tests.support.archive import Stats

TODAY = date(2025, 1, 31)
CASES = pagedates.cases()


# The corpus --------------------------------------------------------------------------------------
@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_corpus_page_is_dated_exactly_or_left_empty(case):
    item = pagedates.parse_case(case)
    assert (item.published_on, item.modified_on) == (case.published, case.modified)


def test_corpus_covers_the_shapes_the_issue_names():
    pages = {case.page for case in CASES}
    for shape in ("wp-", "wp-block", "ghost", "drupal", "hugo", "jekyll", "nextjs", "related", "utc-plus-nine",
                  "utc-minus-five"):  # fmt: skip
        assert any(shape in page for page in pages), shape
    assert len(pages) >= 30
    assert sum(case.published is None for case in CASES) >= 5  # pages that must stay undated
    assert sum(case.modified is not None for case in CASES) >= 10


def test_bench_counts_correct_wrong_and_empty(tmp_path):
    """`archiver bench --only page-dates` over a corpus: here two cases, one of them expecting a wrong date."""
    for case in ("01-wp-twentyseventeen-yoast.html", "12-nextjs-near-midnight-alone.html"):
        shutil.copy(pagedates.CORPUS / case, tmp_path / case)
    corpus = {
        "cases": [
            {"page": "01-wp-twentyseventeen-yoast.html", "url": CASES[0].url, "published": "2023-11-09",
             "modified": "2023-11-10"},
            {"page": "12-nextjs-near-midnight-alone.html", "url": "https://www.coastpulse.com/news/night-ferry-delayed",
             "published": "2023-11-08", "modified": None},
        ]
    }  # fmt: skip
    (tmp_path / "corpus.json").write_text(json.dumps(corpus), encoding="utf-8")
    out = io.StringIO()
    figures = pagedates.run(tmp_path, out=out)
    assert figures["counts"]["published_on"] == {"correct": 0, "wrong": 1, "empty": 1}
    assert figures["counts"]["modified_on"] == {"correct": 2, "wrong": 0, "empty": 0}
    lines = out.getvalue().splitlines()
    assert lines[1] == (
        "  published_on:   0 correct (0 dated, 0 rightly empty), 1 wrong, 1 empty where the page gives a date"
    )
    assert lines[3] == ("  wrong: published_on 2023-11-08 (expected 2023-11-09): 01-wp-twentyseventeen-yoast.html")
    assert lines[4] == "  dates/conflict counted: 0, dates/ambiguous counted: 1"


# The rules ---------------------------------------------------------------------------------------
def pick(*candidates, **options) -> tuple[date | None, date | None, str | None]:
    normalizer = DateNormalizer(today=TODAY)
    options.setdefault("url", "https://news.example/story")
    as_dicts = [
        c if isinstance(c, dict) else dict(zip(("source", "raw", "role"), c)) if len(c) == 3
        else {"source": c[0], "raw": c[1], "role": "published"}
        for c in candidates
    ]  # fmt: skip
    choice = choose(
        as_dicts,
        lambda text, order: normalizer.parse(text, order=order).value,
        today=TODAY,
        **options,
    )  # fmt: skip
    return choice.published, choice.modified, choice.problem


NIGHT_UTC = "2023-11-09T03:28:35+00:00"  # 22:28 the evening before in New York, 12:28 next noon in Seoul


def test_a_utc_time_near_midnight_is_a_day_only_when_another_date_agrees():
    assert pick(("meta", NIGHT_UTC)) == (None, None, "ambiguous")
    assert pick(("meta", NIGHT_UTC), ("url", "2023-11-08")) == (date(2023, 11, 8), None, None)
    assert pick(("meta", NIGHT_UTC), ("text", "November 9, 2023")) == (date(2023, 11, 9), None, None)
    # A day neither reading allows is a conflict, not a choice.
    assert pick(("meta", NIGHT_UTC), ("url", "2023-11-07")) == (None, None, "conflict")
    # In the daytime of every plausible zone the UTC day is the day.
    assert pick(("meta", "2023-11-09T11:00:00Z")) == (date(2023, 11, 9), None, None)
    # Exactly midnight is a date written as a time.
    assert pick(("jsonld", "2023-11-09T00:00:00.000Z")) == (date(2023, 11, 9), None, None)


def test_the_profiles_timezone_makes_every_instant_a_day():
    assert pick(("meta", NIGHT_UTC), tz="America/New_York") == (date(2023, 11, 8), None, None)
    assert pick(("meta", "2023-11-08T16:30:00Z"), tz="Asia/Seoul") == (date(2023, 11, 9), None, None)
    # Written in another offset, still the site's day.
    assert pick(("meta", "2023-11-08T22:30:00-08:00"), tz="America/New_York") == (date(2023, 11, 9), None, None)


def test_a_time_written_in_a_non_utc_offset_is_the_sites_own_clock():
    assert pick(("time", "2023-11-08T22:28:35-05:00")) == (date(2023, 11, 8), None, None)
    assert pick(("time", "2023-11-09T01:30:00+09:00")) == (date(2023, 11, 9), None, None)
    # A page that writes -05:00 anywhere is on that clock: its UTC times are read there.
    modified_in_new_york = ("meta", "2023-11-10T09:02:10-05:00", "modified")
    assert pick(("jsonld", NIGHT_UTC), modified_in_new_york) == (date(2023, 11, 8), date(2023, 11, 10), None)


def test_the_country_or_language_of_the_site_narrows_its_zones():
    morning = ("meta", "2023-11-08T06:30:00Z")  # 07:30 in Paris; 22:30 the day before in Los Angeles
    assert pick(morning) == (None, None, "ambiguous")
    assert pick(morning, url="https://www.lecourrier.fr/a") == (date(2023, 11, 8), None, None)
    assert pick(morning, language="de") == (date(2023, 11, 8), None, None)
    # A page served by a mirror names its site by its canonical address.
    mirror = {"source": "canonical", "role": "address", "raw": "https://www.lecourrier.fr/a"}
    assert pick(morning, mirror, url="http://127.0.0.1:8000/a") == (date(2023, 11, 8), None, None)
    assert plausible_offsets("https://news.example.co.uk/x") == (0.0, 1.0)
    assert plausible_offsets("https://x.com/", "ja") == (9.0, 9.0)
    assert plausible_offsets("https://x.io/", "en") == (-8.0, 9.0)


def test_a_numeric_date_of_unknown_order_needs_its_order_or_another_date():
    assert pick(("text", "03/04/2022")) == (None, None, "ambiguous")
    assert pick(("text", "03/04/2022"), ("url_month", "2022-04")) == (date(2022, 4, 3), None, None)
    assert pick(("text", "13/04/2022")) == (date(2022, 4, 13), None, None)  # only one reading is a date
    assert pick(("text", "03.04.2022")) == (date(2022, 4, 3), None, None)  # dotted: day first everywhere
    assert pick(("text", "Wed, 11/08/2023 - 10:00")) == (date(2023, 11, 8), None, None)  # the weekday decides
    normalizer = DateNormalizer(today=TODAY)
    choice = choose(
        [{"source": "text", "role": "published", "raw": "03/04/2022", "order": "MDY"}],
        lambda text, order: normalizer.parse(text, order=order).value,
        today=TODAY,
    )
    assert choice.published == date(2022, 3, 4)


def test_a_hint_chooses_between_neighbouring_days_only():
    assert pick(("meta", NIGHT_UTC), ("htmldate", "2023-11-08")) == (date(2023, 11, 8), None, None)
    # htmldate read the same printed date as the text candidate: it cannot choose its order.
    assert pick(("text", "03/04/2022"), ("htmldate", "2022-04-03")) == (None, None, "ambiguous")
    # A hint never dates a page alone, nor contradicts the others.
    assert pick(("htmldate", "2022-04-03")) == (None, None, None)
    assert pick(("meta", "2022-04-05"), ("htmldate", "2022-04-03")) == (date(2022, 4, 5), None, None)


def test_disagreeing_dates_leave_the_date_empty():
    assert pick(("jsonld", "2023-05-01T09:00:00+01:00"), ("meta", "2023-06-12T09:00:00+01:00")) == (
        None,
        None,
        "conflict",
    )
    assert pick(("meta", "2022-03-14"), ("url_month", "2022-04")) == (None, None, "conflict")
    assert pick(("url_month", "2022-04")) == (None, None, None)  # a month dates nothing alone
    assert pick(("listing", "2024-03-09"), ("url", "2024-03-08")) == (None, None, "conflict")


def test_published_and_modified_are_kept_apart():
    published, modified = ("meta", "2021-09-16T11:02:00+02:00"), ("meta", "2021-09-18T07:45:00+02:00", "modified")
    assert pick(published, modified) == (date(2021, 9, 16), date(2021, 9, 18), None)
    # An update before the publication is a misread: dropped.
    assert pick(("meta", "2021-09-20"), ("meta", "2021-09-18", "modified")) == (date(2021, 9, 20), None, None)
    # A modification alone dates no publication.
    assert pick(modified) == (None, date(2021, 9, 18), None)
    # Nor a date in the future (the crawl day is TODAY).
    assert pick(("meta", "2025-02-03")) == (None, None, None)


@pytest.mark.parametrize(
    ("url", "found"),
    [
        ("https://x.example/2023/11/08/slug/", ("url", "2023-11-08")),
        ("https://x.example/news/2023-11-08-slug", ("url", "2023-11-08")),
        ("https://x.example/20231108/slug", ("url", "2023-11-08")),
        ("https://x.example/2014/06/fog-season.html", ("url_month", "2014-06")),
        ("https://x.example/2023/13/08/slug/", None),
        ("https://x.example/news/2023/slug", None),
        ("https://x.example/article/202311081234567", None),
    ],
)
def test_dates_that_urls_carry(url, found):
    assert url_date(url) == found


# The pipeline and the spider ---------------------------------------------------------------------
def test_the_pipeline_counts_conflicts_and_keeps_the_candidates():
    stats = Stats()
    pipeline = DatesPipeline(stats, today=TODAY)
    item = ArticleItem(
        "site",
        "https://news.example/2022/01/10/vote/",
        date_candidates=[
            {"source": "meta", "role": "published", "raw": "2022-01-14T10:00:00-06:00"},
            {"source": "url", "role": "published", "raw": "2022-01-10"},
            {"source": "text", "role": "published", "raw": "no date here"},
        ],
    )
    pipeline.process_item(item)
    assert item.published_on is None
    assert stats["archiver/dates/conflict"] == 1
    assert item.date_candidates == [
        {"source": "meta", "role": "published", "raw": "2022-01-14T10:00:00-06:00", "weight": "firm",
         "days": ["2022-01-14"]},
        {"source": "url", "role": "published", "raw": "2022-01-10", "weight": "firm", "days": ["2022-01-10"]},
        {"source": "text", "role": "published", "raw": "no date here", "weight": "firm", "days": []},
    ]  # fmt: skip
    # A candidate that reads as no date is no date left empty (the run's "dates left empty").
    assert stats.get("archiver/dates/unparsed", 0) == 0


def test_a_listing_entrys_date_is_checked_by_its_url(tmp_path):
    stats = Stats()
    pipeline = DatesPipeline(stats, today=TODAY)
    url = "https://news.example/2023/11/08/night-session/"
    entry = ListingEntryItem(
        "site",
        url,
        "https://news.example/",
        "listing",
        date_candidates=[
            {"source": "time", "role": "published", "raw": NIGHT_UTC},
            {"source": "url", "role": "published", "raw": "2023-11-08", "weight": "check"},
        ],
    )
    assert pipeline.process_item(entry).listed_on == date(2023, 11, 8)
    only_url = ListingEntryItem(
        "site", url, "https://news.example/", "listing",
        date_candidates=[{"source": "url", "role": "published", "raw": "2023-11-08", "weight": "check"}],
    )  # fmt: skip
    assert pipeline.process_item(only_url).listed_on is None  # the listing's date is the listing's


PROFILE = {"name": "herald", "base_url": "https://herald.example", "start": ["/news/"], "article_url": "^/story/"}
LISTING = """<html><body><main><article class="post"><h2><a href="/story/1">Night session</a></h2>
<time datetime="2023-11-09T03:28:35+00:00">November 8, 2023</time></article></main></body></html>"""
ARTICLE = """<html><head><meta property="article:published_time" content="2023-11-09T03:28:35+00:00"></head>
<body><main><article><h1>Night session</h1><p>The council sat until half past ten in the evening and voted on the budget.</p>
</article></main></body></html>"""


def test_a_pages_dates_are_its_own_and_the_archive_falls_back_on_the_listings(db_url):
    """The listing printed 8 November; the page gives only a UTC time that may be the 8th or the 9th.
    Parsed alone (as a reparse parses it) the page stays undated; stored, the article takes the
    listing's date, as any article whose page gives none (archiver/archive/writer.py)."""
    spider = ProfileSpider.for_profile(parse_profile(PROFILE, "herald.toml"))()
    listing = HtmlResponse("https://herald.example/news/", body=LISTING.encode())
    dates = DatesPipeline(Stats(), today=TODAY)
    (entry,) = [dates.process_item(o) for o in spider.parse_listing(listing) if isinstance(o, ListingEntryItem)]
    assert entry.listed_on == date(2023, 11, 8)
    page = HtmlResponse(entry.article_url, body=ARTICLE.encode(), request=Request(entry.article_url))
    (item,) = spider.parse_article(page)
    dates.process_item(item)
    assert item.published_on is None
    item.body, item.content_hash = "The council sat.", content_hash("The council sat.")
    engine = open_archive(db_url)
    with session_factory(engine).begin() as session:
        ArchiveWriter(session).add_items([entry, item])
    with session_factory(engine)() as session:
        assert session.scalar(select(Article.published_on)) == date(2023, 11, 8)
    engine.dispose()
    # With the zone named in the profile, the page's own time is the 8th.
    zoned = ProfileSpider.for_profile(parse_profile({**PROFILE, "timezone": "America/New_York"}, "herald.toml"))()
    (item,) = zoned.parse_article(page)
    assert item.timezone == "America/New_York"
    DatesPipeline(Stats(), today=TODAY).process_item(item)
    assert item.published_on == date(2023, 11, 8)


def test_a_heading_that_only_repeats_the_sites_name_is_not_the_title():
    case = next(c for c in CASES if c.page.startswith("29-blogger"))
    item = pagedates.parse_case(case)
    assert item.title == "Fog season"  # the page's <h1> is the blog's name
    spider = ProfileSpider.for_profile(parse_profile({**PROFILE, "source": "The Herald"}, "herald.toml"))()
    page = """<html><head><title>The Herald</title></head><body><header><h1>The Herald</h1></header>
    <div class="story"><h2>Budget passed</h2><p>The council passed the budget on Tuesday by nine votes to four.</p></div></body></html>"""
    response = HtmlResponse("https://herald.example/story/2", body=page.encode())
    assert spider.default_title(response) == "The Herald"  # nothing else to go by: <title>, as before
    og = page.replace("</head>", '<meta property="og:title" content="Budget passed"></head>')
    assert spider.default_title(HtmlResponse("https://herald.example/story/2", body=og.encode())) == "Budget passed"


def test_the_profiles_timezone_is_an_iana_name():
    assert parse_profile({**PROFILE, "timezone": "Asia/Seoul"}, "herald.toml").timezone == "Asia/Seoul"
    with pytest.raises(ProfileError) as caught:
        parse_profile({**PROFILE, "timezone": "EST5"}, "herald.toml")
    assert str(caught.value) == (
        "herald.toml: timezone: unknown time zone 'EST5' (an IANA name such as 'America/New_York' or 'Asia/Seoul')"
    )


# The archive -------------------------------------------------------------------------------------
def test_modified_on_and_the_candidates_are_stored(db_url):
    engine = open_archive(db_url)
    body = "The council passed the budget."
    candidates = [{"source": "meta", "role": "modified", "raw": "2023-11-10", "weight": "firm", "days": ["2023-11-10"]}]
    item = ArticleItem(
        "herald",
        "https://herald.example/story/1",
        title="Budget",
        body=body,
        content_hash=content_hash(body),
        published_on=date(2023, 11, 8),
        modified_on=date(2023, 11, 10),
        date_candidates=candidates,
    )
    with session_factory(engine).begin() as session:
        ArchiveWriter(session).add_items([item])
    again = ArticleItem(**{**item.__dict__, "modified_on": date(2023, 11, 12), "date_candidates": []})
    with session_factory(engine).begin() as session:
        ArchiveWriter(session).add_items([again])  # a refresh: the page now states a later update
    with session_factory(engine)() as session:
        stored = session.execute(select(Article.published_on, Article.modified_on, Article.date_candidates)).one()
    assert tuple(stored) == (date(2023, 11, 8), date(2023, 11, 12), [])
    engine.dispose()
