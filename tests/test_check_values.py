"""`archiver check` judges values (issue 24): a title that is the site's name or holds the teaser, a
title of page length, a date far from the URL's or the listing's, a body shorter than its teaser or
that the teaser does not start — one warning line each, with the page, and exit 1."""

from __future__ import annotations

from datetime import date

import pytest
from scrapy.http import HtmlResponse

from archiver.crawl.check import CheckReport, PageCheck
from archiver.items import ArticleItem, ListingEntryItem
from archiver.mirror.server import MirrorServer, Resource
from spiders.sitename import site_names
from tests.support.cli import run_archiver

SITE = "https://herald.example"
BODY = "The council passed the budget on Tuesday night. The vote was nine to four after a long debate."


def report(*pages: PageCheck) -> CheckReport:
    return CheckReport("herald", list(pages))


def article_page(url: str, **fields) -> PageCheck:
    values = {"title": "Budget passed", "body": BODY, "published_on": date(2023, 11, 8), **fields}
    page = PageCheck(url, "article", ("title", "body"), [ArticleItem("herald", url, **values)])
    page.site_names = {"the herald", "home"}
    return page


def listing_page(*entries: ListingEntryItem) -> PageCheck:
    page = PageCheck(f"{SITE}/news/", "listing", ("article_url", "title"), list(entries))
    page.site_names = {"the herald"}
    return page


def entry(url: str, **fields) -> ListingEntryItem:
    values = {"title": "Budget passed", "teaser": "The council passed the budget on Tuesday night.", **fields}
    return ListingEntryItem("herald", url, f"{SITE}/news/", "listing", **values)


def test_values_that_can_be_right_pass():
    url = f"{SITE}/2023/11/08/budget/"
    checked = report(listing_page(entry(url, listed_on=date(2023, 11, 8))), article_page(url))
    assert checked.warnings() == []
    assert checked.passed


def test_a_title_that_is_the_sites_name():
    url = f"{SITE}/story/1"
    checked = report(article_page(url, title="The Herald"))
    assert checked.warnings() == [f"herald: warning: article page: title is the site's name ('The Herald') — {url}"]
    assert not checked.passed


def test_a_cards_whole_text_read_as_its_title():
    url = f"{SITE}/school-wins/"
    whole = "Schools School Wins Regional Robotics Final A team of six pupils from Harbour Primary beat twenty schools"
    checked = report(listing_page(entry(url, title=whole, teaser="A team of six pupils from Harbour Primary")))
    assert checked.warnings() == [
        "herald: warning: listing page: entry 'Schools School Wins Regional Robotics Final A team of six p…': "
        f"title holds the teaser ('Schools School Wins Regional Robotics Final A team of six p…') — {SITE}/news/"
    ]


def test_a_title_of_page_length():
    url = f"{SITE}/story/2"
    (line,) = report(article_page(url, title="word " * 70)).warnings()
    assert line == f"herald: warning: article page: title is 349 characters long — {url}"


def test_dates_far_from_the_urls_or_the_listings():
    url = f"{SITE}/2023/11/08/budget/"
    far_from_url = article_page(url, published_on=date(2023, 11, 20))
    assert report(far_from_url).warnings() == [
        f"herald: warning: article page: date 2023-11-20 is far from the URL's 2023-11-08 — {url}"
    ]
    other = f"{SITE}/story/3"
    listed = listing_page(entry(other, listed_on=date(2023, 10, 1)))
    assert report(listed, article_page(other)).warnings() == [
        f"herald: warning: article page: date 2023-11-08 is far from the listing's 2023-10-01 — {other}"
    ]
    # A day or two apart is a time zone or a late listing, not another date.
    assert report(listing_page(entry(other, listed_on=date(2023, 11, 10))), article_page(other)).warnings() == []
    entry_far = listing_page(entry(url, listed_on=date(2023, 12, 1)))
    assert report(entry_far).warnings() == [
        f"herald: warning: listing page: entry 'Budget passed': date 2023-12-01 is far from the URL's 2023-11-08 "
        f"— {SITE}/news/"
    ]


def test_a_body_that_its_teaser_does_not_announce():
    url = f"{SITE}/story/4"
    short = report(listing_page(entry(url)), article_page(url, body="Subscribe to read."))
    assert short.warnings() == [
        f"herald: warning: article page: body (18 characters) is shorter than its teaser (47) — {url}"
    ]
    other = report(listing_page(entry(url)), article_page(url, body="Cookies help us deliver our services. " * 3))
    assert other.warnings() == [
        f"herald: warning: article page: teaser does not start the body ('The council passed the budget on Tuesday night.') "
        f"— {url}"
    ]


def test_the_sites_names_as_the_page_shows_them():
    page = """<html><head><title>Fog season | Lighthouse Notes</title><meta property="og:title" content="Fog season">
    <meta property="og:site_name" content="LH Notes"></head><body><a href="/">Lighthouse Notes home</a>
    <a href="/2014/06/fog.html">Fog season</a><a href="https://elsewhere.example/">Elsewhere</a></body></html>"""
    response = HtmlResponse("https://lh.example/2014/06/fog.html", body=page.encode())
    assert site_names(response, ["The Keeper", None]) == {"the keeper", "lh notes", "lighthouse notes home",
                                                         "lighthouse notes"}  # fmt: skip


PROFILE = """name = "herald"
base_url = "https://herald.example"
start = ["/news/"]
article_url = '^/story/\\d+$'
"""
THEME_H1 = b"""<html><head><title>The Herald</title></head><body><header><h1 class="site-title"><a href="/">The Herald</a></h1>
</header><div class="story"><p>The council passed the budget on Tuesday night after a long debate.</p>
<p>The vote was nine to four, and the mayor said the parks would get their money back next year.</p></div></body></html>"""


@pytest.mark.slow
def test_check_exits_1_on_a_page_whose_title_is_the_sites_name(tmp_path):
    (tmp_path / "herald.toml").write_text(PROFILE, encoding="utf-8")
    site = {"/story/1": Resource(THEME_H1), "/robots.txt": Resource(b"User-agent: *\nAllow: /\n", "text/plain")}
    with MirrorServer(site) as server:
        result = run_archiver(
            "check", "herald", "--sites", str(tmp_path), "--base-url", server.base_url, "--url", "article=/story/1"
        )
        base = server.base_url
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert f"herald: warning: article page: title is the site's name ('The Herald') — {base}/story/1" in lines
    assert lines[-1] == "herald: 1 of 1 pages gave every required field; 1 value warning"
