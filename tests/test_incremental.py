"""Incremental crawls: what the archive knows, the walk's rules, and what a nightly run costs.

The end-to-end test counts the requests the loopback server received: on an unchanged site a
crawl asks for robots.txt and the feed only; with k new articles (all from one source) for those
k pages too, and the source's listing page (found on the new articles' pages), where the walk
reaches archived entries and ends.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import date

import pytest
from scrapy.http import HtmlResponse, Request

from archiver.archive.engine import open_archive, session_factory
from archiver.archive.incremental import (
    SIDE,
    START,
    ArchiveKnowledge,
    DateRange,
    Entry,
    WalkPolicy,
)
from archiver.archive.writer import ArchiveWriter
from archiver.items import ArticleItem, ListingEntryItem
from archiver.mirror.server import MirrorServer
from archiver.normalize.text import content_hash
from spiders.base import WALK
from spiders.kcnawatch import KcnaWatchSpider
from tests.support.archive import query
from tests.support.cli import FAST, run_archiver
from tests.support.sites import MirrorSite, article_hits, daily_articles

D = date(2024, 5, 1)


def entries(*urls: str, day: date | None = D) -> list[Entry]:
    return [Entry(url, day) for url in urls]


# The walk's rules --------------------------------------------------------------------------------
def test_archived_articles_are_skipped_unless_refresh() -> None:
    knowledge = ArchiveKnowledge(frozenset({"http://x/a"}))
    policy = WalkPolicy(knowledge)
    assert policy.take(Entry("http://x/a")) == "archived"
    assert policy.take(Entry("http://x/b")) is None
    assert policy.take(Entry("http://x/b")) == "requested"  # once per run
    assert WalkPolicy(knowledge, refresh=True).take(Entry("http://x/a")) is None


def test_dates_outside_the_range_are_skipped_undated_are_not() -> None:
    policy = WalkPolicy(dates=DateRange(date(2024, 2, 1), date(2024, 2, 29)))
    assert policy.take(Entry("http://x/old", date(2024, 1, 31))) == "out_of_range"
    assert policy.take(Entry("http://x/new", date(2024, 3, 1))) == "out_of_range"
    assert policy.take(Entry("http://x/first", date(2024, 2, 1))) is None
    assert policy.take(Entry("http://x/last", date(2024, 2, 29))) is None
    assert policy.take(Entry("http://x/undated", None)) is None


def test_reversed_range_is_refused() -> None:
    with pytest.raises(ValueError):
        DateRange(date(2024, 3, 1), date(2024, 2, 1))


def test_crawl_stops_at_a_page_of_archived_entries_backfill_walks_on() -> None:
    knowledge = ArchiveKnowledge(frozenset({"http://x/a", "http://x/b"}))
    crawl = WalkPolicy(knowledge, mode="crawl")
    backfill = WalkPolicy(knowledge, mode="backfill")
    assert crawl.why_stop(entries("http://x/a", "http://x/b")) == "all_archived"
    assert crawl.why_stop(entries("http://x/a", "http://x/c")) is None
    assert backfill.why_stop(entries("http://x/a", "http://x/b")) is None
    assert crawl.why_stop([]) is None


def test_walk_stops_when_every_dated_entry_is_older_than_since() -> None:
    policy = WalkPolicy(dates=DateRange(since=date(2024, 5, 1)), mode="backfill")
    assert policy.why_stop(entries("http://x/a", "http://x/b", day=date(2024, 4, 30))) == "older_than_since"
    assert policy.why_stop(entries("http://x/a", day=date(2024, 4, 30)) + entries("http://x/b")) is None
    mixed = [Entry("http://x/a", date(2024, 4, 30)), Entry("http://x/b", date(2024, 5, 1))]
    assert policy.why_stop(mixed) is None
    assert policy.why_stop(entries("http://x/a", day=None)) is None  # undated: cannot tell


def test_side_walk_stops_when_nothing_is_new_to_this_run() -> None:
    policy = WalkPolicy(ArchiveKnowledge(frozenset({"http://x/a"})), mode="backfill")
    assert policy.take(Entry("http://x/b")) is None
    page = entries("http://x/a", "http://x/b")
    assert policy.why_stop(page, SIDE) == "nothing_new"
    assert policy.why_stop(page, START) is None  # a start walk is complete on its own


# What the archive knows --------------------------------------------------------------------------
def test_knowledge_holds_fetched_pages_of_the_site_only(db_url: str) -> None:
    engine = open_archive(db_url)
    body = "One.\n\nTwo."
    with session_factory(engine).begin() as session:
        writer = ArchiveWriter(session)
        writer.add_listing_entries(
            [
                ListingEntryItem("kcnawatch", "http://k/fetched", "http://k/", "listing", teaser="One.Two."),
                ListingEntryItem("kcnawatch", "http://k/listed-only", "http://k/", "listing", teaser="Three."),
            ]
        )
        writer.add_article(
            ArticleItem("kcnawatch", "http://k/fetched", body=body, content_hash=content_hash(body), published_on=D)
        )
        writer.add_article(
            ArticleItem(
                "rstv", "http://r/other-site", body="Other.", content_hash=content_hash("Other."), published_on=D
            )
        )
    engine.dispose()
    kcnawatch, rstv = ArchiveKnowledge.load(db_url, "kcnawatch"), ArchiveKnowledge.load(db_url, "rstv")
    # The archived URLs as 64-bit hashes (archiver/bounded.py): asked, not listed.
    assert "http://k/fetched" in kcnawatch and len(kcnawatch) == 1
    assert "http://r/other-site" in rstv and len(rstv) == 1


# The spider's side -------------------------------------------------------------------------------
FRAGMENT_URL = (
    "https://kcnawatch.org/wp-admin/admin-ajax.php?action=get_cat_by_source&die=true&from={}&id=189661&sort=&to=10"
)
# A "load more" fragment of ten entries: one of May 1, nine of April 30.
FRAGMENT = (
    '<div class="article-desc"><h4><a href="/newstream/1714564800-1/a/">A</a></h4><p class="articled-date"> May 01, 2024</p></div>\n'
    + "".join(
        f'<div class="article-desc"><h4><a href="/newstream/1714478400-{n}/b{n}/">B{n}</a></h4>'
        f'<p class="articled-date"><span> April 30, 2024</span></p></div>\n'
        for n in range(2, 11)
    )
)
FRAGMENT_ARTICLES = ["https://kcnawatch.org/newstream/1714564800-1/a/"] + [
    f"https://kcnawatch.org/newstream/1714478400-{n}/b{n}/" for n in range(2, 11)
]


def parsed(spider: KcnaWatchSpider, walk: str = START) -> tuple[list, list[Request]]:
    url = FRAGMENT_URL.format(10)
    response = HtmlResponse(url, body=FRAGMENT.encode(), encoding="utf-8", request=Request(url, meta={WALK: walk}))
    out = list(spider.parse_fragment(response))
    return [o for o in out if isinstance(o, ListingEntryItem)], [o for o in out if isinstance(o, Request)]


def test_listing_page_yields_every_entry_but_requests_only_what_the_run_wants() -> None:
    spider = KcnaWatchSpider(since="2024-05-01")
    spider.policy = WalkPolicy(ArchiveKnowledge(frozenset()), spider.dates, mode="backfill")
    items, requests = parsed(spider)
    assert len(items) == 10  # entries are always recorded
    assert [r.url for r in requests] == [
        "https://kcnawatch.org/newstream/1714564800-1/a/",  # May 1: in range; April 30 is not
        FRAGMENT_URL.format(20),  # one entry is in range: walk on
    ]
    assert requests[0].priority > requests[1].priority  # articles before the next page
    assert requests[1].meta[WALK] == START


def test_a_crawl_too_requests_articles_before_the_next_listing_page() -> None:
    # Issue 27: in Scrapy's order a first crawl walked each listing to its end before the articles,
    # its queue holding an eighth of the site; articles first keep the queue a page long.
    spider = KcnaWatchSpider()
    spider.policy = WalkPolicy(ArchiveKnowledge(frozenset()), mode="crawl")
    items, requests = parsed(spider)
    assert [r.url for r in requests] == [*FRAGMENT_ARTICLES, FRAGMENT_URL.format(20)]
    assert {r.priority for r in requests[:-1]} == {1} and requests[-1].priority == 0


def test_listing_page_of_archived_entries_ends_an_incremental_walk() -> None:
    spider = KcnaWatchSpider()
    spider.policy = WalkPolicy(ArchiveKnowledge(frozenset(FRAGMENT_ARTICLES)), mode="crawl")
    items, requests = parsed(spider)
    assert len(items) == 10 and requests == []


def test_listing_page_reaching_the_archive_ends_an_incremental_walk() -> None:
    spider = KcnaWatchSpider()
    spider.policy = WalkPolicy(ArchiveKnowledge(frozenset(FRAGMENT_ARTICLES[5:])), mode="crawl")
    items, requests = parsed(spider)
    # The five new entries' articles; no next fragment: everything after an archived entry is older.
    assert [r.url for r in requests] == FRAGMENT_ARTICLES[:5]


def test_bad_date_arguments_are_refused() -> None:
    with pytest.raises(ValueError):
        KcnaWatchSpider(since="yesterday")
    with pytest.raises(ValueError):
        KcnaWatchSpider(since="2024-03-01", until="2024-02-01")


# What a nightly run costs ------------------------------------------------------------------------
@pytest.mark.slow
def test_request_counts_of_unchanged_and_changed_site(db_url: str) -> None:
    old = daily_articles(date(2024, 1, 1), 45)  # 23 and 22 per source: pages of 10, 10 and a few
    # Three new articles, all from one source (every other day alternates sources).
    new = daily_articles(date(2024, 3, 1), 5, post_base=820000000)[0::2]
    assert len({a.source_slug for a in new}) == 1
    site = MirrorSite(old)
    with MirrorServer(site) as server:
        crawl = ["crawl", "kcnawatch", "--base-url", server.base_url, "--db", db_url, *FAST]
        first = run_archiver(*crawl)
        assert first.returncode == 0, first.stderr
        assert len(article_hits(server.hits)) == 45

        server.hits.clear()
        unchanged = run_archiver(*crawl)
        assert unchanged.returncode == 0, unchanged.stderr
        assert server.hits == Counter({"/robots.txt": 1, "/newstream/feed/": 1})

        server.hits.clear()
        site.rebuild(old + new)
        changed = run_archiver(*crawl)
        assert changed.returncode == 0, changed.stderr
        # The feed reaches the archive (17 of its 20 items are archived): no listing is needed for
        # the gap; the new articles' source listing is walked to its first archived entry: page one.
        assert server.hits == Counter(
            {"/robots.txt": 1, "/newstream/feed/": 1, f"/article/{new[0].listing_id}/": 1} | {a.path: 1 for a in new}
        )

        server.hits.clear()
        refreshed = run_archiver(*crawl, "--refresh")
        assert refreshed.returncode == 0, refreshed.stderr
        # --refresh fetches the articles again (those of the first page and of their "More From"
        # blocks), and the walk still ends at the first page of archived entries.
        refetched = article_hits(server.hits)
        first_page = sorted(old + new, key=lambda a: a.epoch, reverse=True)[:20]
        assert {a.path for a in first_page} <= set(refetched) and set(refetched.values()) == {1}
        assert not [target for target in server.hits if "admin-ajax" in target]

    assert query(db_url, "SELECT COUNT(*) FROM articles") == [(48,)]
    runs = query(db_url, "SELECT mode, status, stats FROM crawl_runs ORDER BY id")
    assert [(mode, status) for mode, status, _ in runs] == [("crawl", "ok")] * 4
    summaries = [json.loads(stats)["summary"] for _, _, stats in runs]
    assert [s["requests"] for s in summaries[1:3]] == [2, 6]
    assert summaries[1]["articles"] == {"new": 0, "updated": 0, "folded": 0, "skipped_archived": 20, "no_body": 0}
    assert summaries[2]["articles"]["new"] == 3
    assert summaries[2]["items_by_kind"]["article"] == 3
    assert summaries[1]["responses_by_status"] == {"200": 2}
    assert all(s["duration_seconds"] > 0 for s in summaries)
