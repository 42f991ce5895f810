"""Field yield and drift warnings (issue 16): what each page kind gave, judged against floors and past runs.

End-to-end tests crawl tests/support/yield_site.py (markup the test changes between runs) with its
own spider, through the `archiver` command line; unit tests judge hand-made yields.
"""

from __future__ import annotations

import json

import pytest
from scrapy import Request
from scrapy.http.request import NO_CALLBACK

from archiver.extensions.crawlrun import run_status
from archiver.extensions.fieldyield import (
    Thresholds,
    YieldCounter,
    is_empty,
    judge,
    kind_of_callback,
    page_kind,
    yield_rows,
)
from archiver.items import ArticleItem, ListingEntryItem
from archiver.mirror.server import MirrorServer, Resource
from tests.support.archive import query
from tests.support.cli import FAST, run_archiver
from tests.support.yield_site import (
    ARTICLES_WITHOUT_BODY,
    ARTICLES_WITHOUT_DATES,
    GOOD,
    LISTING_WITHOUT_DATES,
    LISTING_WITHOUT_TEASERS,
    NEW_LISTING_MARKUP,
    ROBOTS,
    SPIDER_ENV,
    YieldSite,
    stories,
)

REQUIRED = {"article": ("title", "body", "published_on"), "listing": ("article_url", "listed_on")}


# Page kinds ---------------------------------------------------------------------------------
class Callbacks:
    def parse_article(self, response): ...
    def parse_listing_page(self, response): ...
    def parse_fragment(self, response): ...
    def parse_more(self, response): ...
    def parse_gallery(self, response): ...
    def parse(self, response): ...


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("parse_article", "article"),
        ("parse_listing_page", "listing"),
        ("parse_fragment", "fragment"),
        ("parse_more", "fragment"),
        ("parse_gallery", "gallery"),
        ("parse", "page"),
    ],
)
def test_the_kind_of_a_page_falls_back_on_its_callbacks_name(name, kind):
    assert kind_of_callback(getattr(Callbacks(), name)) == kind
    assert page_kind(Request("http://x.test/", callback=getattr(Callbacks(), name))) == kind


def test_the_page_kind_meta_key_wins_and_robots_requests_have_no_kind():
    request = Request("http://x.test/", callback=Callbacks().parse_listing_page, meta={"page_kind": "day_archive"})
    assert page_kind(request) == "day_archive"
    assert page_kind(Request("http://x.test/robots.txt", callback=NO_CALLBACK)) is None
    assert page_kind(Request("http://x.test/")) == "page"  # no callback: the spider's parse


def test_empty_means_none_blank_or_an_empty_collection_but_not_zero():
    assert [is_empty(v) for v in (None, "", "  \n", [], {}, 0, False, "x", ["a"])] == [
        True,
        True,
        True,
        True,
        True,
        False,
        False,
        False,
        False,
    ]


# Counting -------------------------------------------------------------------------------------
def entry(url: str, page: str, date_raw: str | None = "01.02.2024", listed=True) -> ListingEntryItem:
    item = ListingEntryItem(site="s", article_url=url, found_on=page, kind="listing", title="T", date_raw=date_raw)
    item.listed_on = "2024-02-01" if (date_raw and listed) else None
    return item


def test_the_counter_counts_pages_entries_and_empty_fields_per_kind():
    counter = YieldCounter()
    counter.page("listing", "http://s/list/")
    counter.page("listing", "http://s/list/?page2")
    counter.page("listing", "http://s/list/?page2")  # a page seen twice counts once
    for n in range(3):
        counter.item("listing", "http://s/list/", entry(f"http://s/a/{n}", "http://s/list/", None if n else "x"))
    counter.page("article", "http://s/a/1")
    counter.item("article", "http://s/a/1", ArticleItem(site="s", url="http://s/a/1", title="T", paragraphs=["p"]))
    stats = counter.as_stats()["kinds"]
    assert stats["listing"]["pages"] == 2
    assert stats["listing"]["pages_with_items"] == 1
    assert stats["listing"]["empty_page_example"] == "http://s/list/?page2"
    entries = stats["listing"]["items"]["listing_entry"]
    assert entries["rows"] == 3
    assert entries["filled"]["article_url"] == 3
    assert entries["filled"]["listed_on"] == 1
    assert entries["empty_example"]["listed_on"] == "http://s/list/"
    assert "site" not in entries["filled"] and "date_order" not in entries["filled"]
    article = stats["article"]["items"]["article"]
    assert (article["rows"], article["filled"]["title"], article["filled"]["published_on"]) == (1, 1, 0)
    assert article["empty_example"]["published_on"] == "http://s/a/1"
    rows = yield_rows(counter.as_stats())
    assert ("listing", "page", "pages with entries", 1, 2, 0.5) in rows
    assert ("listing", "listing_entry", "per page", 3, 2, 1.5) in rows
    assert ("listing", "listing_entry", "listed_on", 1, 3, 0.333) in rows


# Judging --------------------------------------------------------------------------------------
def listing_yield(pages: int, with_items: int, rows: int, filled: dict[str, int], example="http://s/list/?page2"):
    return {
        "kinds": {
            "listing": {
                "pages": pages,
                "pages_with_items": with_items,
                "item": "listing_entry",
                "empty_page_example": example if with_items < pages else None,
                "page_example": "http://s/list/",
                "items": {"listing_entry": {"rows": rows, "filled": filled, "empty_example": {"teaser": "http://s/t"}}}
                if rows
                else {},
            }
        }
    }


def test_first_run_floor_a_listing_whose_pages_give_no_entries():
    [drift] = judge(listing_yield(12, 0, 0, {}), [], REQUIRED, Thresholds())
    assert (drift.kind, drift.field) == ("listing", "pages")
    assert drift.line("rstv") == (
        "rstv: 0 of 12 listing pages gave entries — has the listing markup changed? e.g. http://s/list/?page2"
    )


def test_first_run_floors_leave_half_of_the_pages_or_rows_alone():
    full = {"article_url": 10, "listed_on": 5}
    assert judge(listing_yield(2, 1, 10, full), [], REQUIRED, Thresholds()) == []
    [drift] = judge(listing_yield(2, 2, 10, {"article_url": 10, "listed_on": 4}), [], REQUIRED, Thresholds())
    assert drift.message == "listing pages: listed_on filled on 4 of 10 entries (required)"
    assert (
        judge(
            listing_yield(2, 2, 10, {"article_url": 10, "listed_on": 4}), [], REQUIRED, Thresholds(empty_field_max=0.6)
        )
        == []
    )


def test_a_field_that_recent_runs_filled_and_this_run_does_not_is_a_drop():
    past = [listing_yield(2, 2, 12, {"article_url": 12, "listed_on": 12, "teaser": 12})] * 3
    now = listing_yield(2, 2, 12, {"article_url": 12, "listed_on": 12, "teaser": 0})
    [drift] = judge(now, past, REQUIRED, Thresholds())
    assert (drift.kind, drift.field, drift.example) == ("listing", "teaser", "http://s/t")
    assert drift.message == "listing pages: teaser filled on 0 of 12 entries (recent runs: 100%)"


def test_too_few_rows_to_tell_are_not_a_drop():
    # Recent runs filled `teaser` on a third of the entries: 0 of 6 now is chance, not drift.
    past = [listing_yield(2, 2, 12, {"article_url": 12, "listed_on": 12, "teaser": 4})]
    assert (
        judge(listing_yield(1, 1, 6, {"article_url": 6, "listed_on": 6, "teaser": 0}), past, REQUIRED, Thresholds())
        == []
    )
    # Half as many as usual is still within the drop threshold (at most half is a drop).
    past = [listing_yield(2, 2, 20, {"article_url": 20, "listed_on": 20, "teaser": 20})]
    now = listing_yield(2, 2, 20, {"article_url": 20, "listed_on": 20, "teaser": 11})
    assert judge(now, past, REQUIRED, Thresholds()) == []


def test_fewer_entries_per_listing_page_than_recent_runs_is_a_drop():
    past = [listing_yield(5, 5, 100, {"article_url": 100, "listed_on": 100})]
    [drift] = judge(listing_yield(5, 5, 10, {"article_url": 10, "listed_on": 10}), past, REQUIRED, Thresholds())
    assert (drift.field, drift.message) == ("entries", "2.0 entries per listing page (recent runs: 20.0)")
    assert drift.example == "http://s/list/"


def test_a_short_walk_is_not_judged_by_its_entries_per_page():
    """Two pages list fewer entries by where the walk stopped (a source's last page), not by markup."""
    past = [listing_yield(2, 2, 40, {"article_url": 40, "listed_on": 40})]
    assert judge(listing_yield(2, 2, 4, {"article_url": 4, "listed_on": 4}), past, REQUIRED, Thresholds()) == []


def test_a_run_that_parsed_pages_but_found_no_item_at_all_is_never_ok():
    current = {"kinds": {"gallery": {"pages": 3, "pages_with_items": 0, "item": "listing_entry", "items": {}}}}
    [drift] = judge(current, [], {}, Thresholds())
    assert drift.message == "3 pages parsed gave no items at all"


def test_a_finished_run_with_yield_warnings_is_degraded():
    assert run_status("finished", {"archiver/field_yield/warnings": ["x"]}) == "degraded"
    assert run_status("finished", {"archiver/field_yield/warnings": []}) == "ok"
    assert run_status("shutdown", {"archiver/field_yield/warnings": ["x"]}) == "interrupted"


# End to end -----------------------------------------------------------------------------------
def crawl(server: MirrorServer, db_url: str, *args: str):
    return run_archiver(
        "crawl", "yieldsite", "--base-url", server.base_url, "--db", db_url, *FAST, *args, env=SPIDER_ENV
    )


def runs(db_url: str) -> list[tuple[str, dict]]:
    return [
        (status, json.loads(stats))
        for status, stats in query(db_url, "SELECT status, stats FROM crawl_runs ORDER BY id")
    ]


def drift_of(stats: dict) -> list[tuple[str, str]]:
    return [(d["kind"], d["field"]) for d in stats["archiver/field_yield"]["drift"]]


@pytest.mark.slow
def test_a_crawl_of_a_site_as_expected_ends_ok_and_records_its_yield(db_url):
    site = YieldSite(stories(12))
    with MirrorServer(site) as server:
        first = crawl(server, db_url)
        site.rebuild(stories(14))  # two new stories, same markup
        second = crawl(server, db_url)
    assert (first.returncode, second.returncode) == (0, 0), first.stderr + second.stderr
    assert "field-yield" not in first.stdout + first.stderr + second.stdout + second.stderr
    (status1, stats1), (status2, stats2) = runs(db_url)
    assert (status1, status2) == ("ok", "ok")
    kinds = stats1["archiver/field_yield"]["kinds"]
    assert (kinds["listing"]["pages"], kinds["listing"]["pages_with_items"]) == (2, 2)
    assert kinds["listing"]["items"]["listing_entry"]["rows"] == 12
    assert kinds["listing"]["items"]["listing_entry"]["filled"]["listed_on"] == 12
    assert (kinds["article"]["pages"], kinds["article"]["items"]["article"]["filled"]["published_on"]) == (12, 12)
    assert stats1["summary"]["yield_warnings"] == 0
    assert stats2["archiver/field_yield"]["compared_with_runs"] == 1
    assert drift_of(stats2) == []


@pytest.mark.slow
def test_listing_markup_that_changes_between_two_crawls_warns_degrades_and_exits_1(db_url):
    site = YieldSite(stories(12))
    with MirrorServer(site) as server:
        assert crawl(server, db_url).returncode == 0
        site.rebuild(stories(14), NEW_LISTING_MARKUP)
        second = crawl(server, db_url)
        base = server.base_url
    assert second.returncode == 1
    assert f"yieldsite: 0 of 3 listing pages gave entries — has the listing markup changed? e.g. {base}/list/" in (
        second.stderr.splitlines()
    )
    assert second.stdout.startswith("yieldsite: degraded in ")
    assert "; 1 field-yield warnings (above)" in second.stdout
    (status1, _), (status2, stats2) = runs(db_url)
    assert (status1, status2) == ("ok", "degraded")
    assert drift_of(stats2) == [("listing", "pages")]
    assert stats2["summary"]["yield_warnings"] == 1
    stats = run_archiver("stats", "--db", db_url, "--format", "csv")
    assert stats.stdout.splitlines()[1].endswith(",crawl,degraded")
    shown = run_archiver("stats", "--yields", "--site", "yieldsite", "--db", db_url)
    assert shown.stdout.splitlines()[-1] == f"run 2: yieldsite: 0 of 3 listing pages gave entries — e.g. {base}/list/"
    yields = run_archiver("stats", "--yields", "--db", db_url, "--format", "csv")
    assert any(
        line.startswith("yieldsite,2,") and ",listing,page,pages with entries,0,3,0.0" in line
        for line in yields.stdout.splitlines()
    )


@pytest.mark.slow
def test_a_listing_that_loses_its_dates_names_the_kind_and_the_field(db_url):
    site = YieldSite(stories(12))
    with MirrorServer(site) as server:
        assert crawl(server, db_url).returncode == 0
        site.rebuild(stories(14), LISTING_WITHOUT_DATES)
        second = crawl(server, db_url)
        base = server.base_url
    assert second.returncode == 1
    warnings = [line for line in second.stderr.splitlines() if line.startswith("yieldsite: ")]
    # The raw date is gone (recent runs had it on every entry), so the required listed_on is empty too.
    assert warnings == [
        "yieldsite: listing pages: date_raw filled on 0 of 12 entries (recent runs: 100%) — has the listing markup"
        f" changed? e.g. {base}/list/",
        "yieldsite: listing pages: listed_on filled on 0 of 12 entries (required) — has the listing markup changed?"
        f" e.g. {base}/list/",
    ]
    assert drift_of(runs(db_url)[1][1]) == [("listing", "date_raw"), ("listing", "listed_on")]


@pytest.mark.slow
def test_a_column_the_recent_runs_filled_and_this_run_leaves_empty_is_a_drop(db_url):
    site = YieldSite(stories(12))
    with MirrorServer(site) as server:
        assert crawl(server, db_url).returncode == 0
        site.rebuild(stories(14), LISTING_WITHOUT_TEASERS)
        second = crawl(server, db_url)
    assert second.returncode == 1
    assert "yieldsite: listing pages: teaser_raw filled on 0 of 12 entries (recent runs: 100%)" in second.stderr
    assert drift_of(runs(db_url)[1][1]) == [
        ("listing", "teaser"),
        ("listing", "teaser_raw"),
        ("listing", "teaser_truncated"),
    ]


@pytest.mark.slow
def test_articles_that_lose_their_dates_give_the_date_fields_warning(db_url):
    site = YieldSite(stories(12))
    with MirrorServer(site) as server:
        assert crawl(server, db_url).returncode == 0
        site.rebuild(stories(18), ARTICLES_WITHOUT_DATES)  # six new stories, their pages undated
        second = crawl(server, db_url)
    assert second.returncode == 1
    lines = [line for line in second.stderr.splitlines() if line.startswith("yieldsite: ")]
    assert len(lines) == 2
    assert lines[0].startswith("yieldsite: article pages: date_raw filled on 0 of 6 articles (recent runs: 100%)")
    assert lines[1].startswith(
        "yieldsite: article pages: published_on filled on 0 of 6 articles (required) — has the article markup changed?"
        " e.g. http://127.0.0.1:"
    )
    assert set(drift_of(runs(db_url)[1][1])) == {("article", "published_on"), ("article", "date_raw")}


@pytest.mark.slow
@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        (NEW_LISTING_MARKUP, "yieldsite: 0 of 2 listing pages gave entries"),
        (ARTICLES_WITHOUT_BODY, "yieldsite: article pages: body filled on 0 of 12 articles (required)"),
    ],
)
def test_first_run_floors(db_url, markup, expected):
    with MirrorServer(YieldSite(stories(12), markup)) as server:
        result = crawl(server, db_url)
    assert result.returncode == 1
    assert any(line.startswith(expected) for line in result.stderr.splitlines()), result.stderr
    [(status, stats)] = runs(db_url)
    assert status == "degraded"
    assert stats["archiver/field_yield"]["compared_with_runs"] == 0


@pytest.mark.slow
def test_the_floors_are_settings(db_url):
    with MirrorServer(YieldSite(stories(12), ARTICLES_WITHOUT_BODY)) as server:
        result = crawl(server, db_url, "-s", "ARCHIVER_YIELD_EMPTY_FIELD_MAX=1.0")
    assert result.returncode == 0, result.stderr
    assert runs(db_url)[0][0] == "ok"


@pytest.mark.slow
def test_the_warnings_are_printed_even_with_quiet(db_url):
    with MirrorServer(YieldSite(stories(12), GOOD)) as server:
        assert crawl(server, db_url, "-q").returncode == 0
        server.site.rebuild(stories(12), NEW_LISTING_MARKUP)
        result = crawl(server, db_url, "-q", "--refresh")
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith("yieldsite: 0 of 2 listing pages gave entries")


def test_entries_found_on_article_pages_are_judged_against_recent_runs_too():
    def article_yield(more_from_titles: int) -> dict:
        return {
            "kinds": {
                "article": {
                    "pages": 10,
                    "pages_with_items": 10,
                    "item": "article",
                    "items": {
                        "article": {"rows": 10, "filled": {"title": 10, "body": 10, "published_on": 10}},
                        "listing_entry": {
                            "rows": 200,
                            "filled": {"article_url": 200, "title": more_from_titles},
                            "empty_example": {"title": "http://s/a/1"},
                        },
                    },
                }
            }
        }

    assert judge(article_yield(0), [], REQUIRED, Thresholds()) == []  # no floor for a kind's other items
    [drift] = judge(article_yield(0), [article_yield(200)], REQUIRED, Thresholds())
    assert (drift.kind, drift.field, drift.example) == ("article", "listing_entry.title", "http://s/a/1")
    assert drift.message == "article pages: title filled on 0 of 200 entries (recent runs: 100%)"


def test_stats_options_for_yields_need_yields(db_url):
    result = run_archiver("stats", "--site", "rstv", "--db", db_url)
    assert result.returncode == 2
    assert result.stderr == "archiver: error: --site and --runs go with --yields\n"


EMPTY_PAGE = Resource(
    b"<!DOCTYPE html><html><head><title>Maintenance</title></head><body><p>Back soon.</p></body></html>"
)


@pytest.mark.slow
@pytest.mark.parametrize("spider", ["kcnawatch", "rstv"])
def test_a_real_spider_on_a_site_that_serves_empty_pages_cannot_end_ok(db_url, spider):
    """Markup-independent breakage for the project's own spiders, whatever markup they are written to."""
    with MirrorServer(lambda target: ROBOTS if target == "/robots.txt" else EMPTY_PAGE) as server:
        result = run_archiver("crawl", spider, "--base-url", server.base_url, "--db", db_url, *FAST)
    assert result.returncode == 1, result.stdout + result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith(f"{spider}: ")]
    assert warnings and all(" markup changed? e.g. http://127.0.0.1:" in line for line in warnings), result.stderr
    assert result.stdout.startswith(f"{spider}: degraded in ")
    assert [status for status, _ in runs(db_url)] == ["degraded"]


def test_a_page_that_may_be_empty_counts_only_when_it_gives_items():
    """A walk's empty last "load more" fragment, a day without entries: not a sign of changed markup."""
    from archiver.items import ListingEntryItem

    counter = YieldCounter()
    counter.page("fragment", "http://s/f?from=10", {"archiver_may_be_empty": True})
    counter.item(
        "fragment",
        "http://s/f?from=10",
        ListingEntryItem(site="s", article_url="http://s/a", found_on="http://s/f?from=10", kind="fragment", title="A"),
    )
    counter.page("fragment", "http://s/f?from=20", {"archiver_may_be_empty": True})  # the empty end
    counter.page("listing", "http://s/list/", {})
    kinds = counter.as_stats()["kinds"]
    assert (kinds["fragment"]["pages"], kinds["fragment"]["pages_with_items"]) == (1, 1)
    assert (kinds["listing"]["pages"], kinds["listing"]["pages_with_items"]) == (1, 0)


def test_a_language_version_that_answers_404_is_a_missing_page_not_a_page_without_an_article():
    """Issue 29: 107 links to versions that answered 404 made a crawl `degraded`; only pages that
    answered 200 with HTML count as article pages that gave (or did not give) an article."""
    from scrapy.http import HtmlResponse, TextResponse

    from archiver.extensions.fieldyield import FieldYieldMonitor
    from archiver.items import MissingVersionItem

    class Crawler:
        settings = __import__("scrapy.settings", fromlist=["Settings"]).Settings()

    monitor = FieldYieldMonitor(Crawler())
    meta = {"page_kind": "article", "handle_httpstatus_list": [404, 410]}
    for n in range(3):  # versions that answer 404: the spider notes each as missing
        url = f"http://s/blog/2024-01-0{n + 1}-{n}"
        request = Request(url, meta=meta)
        gone = HtmlResponse(url, status=404, body=b"<html><body>404</body></html>", request=request)
        monitor.response_received(gone, request)
        monitor.item_done(MissingVersionItem("s", url, 404, "http://s/blog/x"), gone)
    ok_url = "http://s/blog/2024-01-09-9"
    request = Request(ok_url, meta=meta)
    page = HtmlResponse(ok_url, body=b"<html><body><p>text</p></body></html>", request=request)
    monitor.response_received(page, request)
    article = ArticleItem(site="s", url=ok_url, title="T", paragraphs=["text"], body="text")
    article.published_on = __import__("datetime").date(2024, 1, 9)
    monitor.item_done(article, page)
    failed = TextResponse(ok_url + "x", status=503, body=b"down", request=Request(ok_url + "x", meta=meta))
    monitor.response_received(failed, failed.request)
    kinds = monitor.counter.as_stats()["kinds"]
    assert (kinds["article"]["pages"], kinds["article"]["pages_with_items"]) == (1, 1)
    assert judge(monitor.counter.as_stats(), [], REQUIRED, Thresholds()) == []


def test_the_counter_holds_a_window_of_pages_and_counts_as_if_it_kept_them_all():
    """Issue 27: a million-page crawl must not keep every page URL. Past its window the counter keeps
    the cap, and the counts and examples are those of a counter that kept every page."""
    pages = [f"http://s/list/?page{n}" for n in range(1, 41)]
    small, large = YieldCounter(window=4), YieldCounter(window=1000)
    for counter in (small, large):
        for n, url in enumerate(pages):
            counter.page("listing", url, {"archiver_may_be_empty": n % 5 == 4})
            if n % 3 == 0:  # every third page gives an entry; the others are empty or excused
                counter.item("listing", url, entry(f"http://s/a/{n}", url, "x"))
            assert len(counter.open) <= counter.window
    assert len(small.open) == 4
    assert small.as_stats() == large.as_stats()
    listing = small.as_stats()["kinds"]["listing"]
    # 14 pages gave an entry; of the 26 without, 5 were excused (n % 5 == 4 and not n % 3 == 0).
    assert (listing["pages"], listing["pages_with_items"]) == (35, 14)
    assert listing["page_example"] == pages[0] and listing["empty_page_example"] == pages[1]
    assert small.as_stats() == small.as_stats()  # reading the stats closes nothing
