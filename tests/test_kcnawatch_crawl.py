"""End to end: serve the bundled KCNA Watch sample on loopback, crawl it with the CLI, check the rows."""

from __future__ import annotations

import pytest

from archiver.mirror.sample_sites import kcnawatch_site
from archiver.mirror.server import MirrorServer
from tests.support.archive import query, scalar
from tests.support.cli import FAST, run_archiver

pytestmark = pytest.mark.slow

COUNTS = {
    "article_urls": "SELECT COUNT(*) FROM article_urls",
    "articles": "SELECT COUNT(*) FROM articles",
    "listing_entries": "SELECT COUNT(*) FROM listing_entries",
    "crawl_runs": "SELECT COUNT(*) FROM crawl_runs",
}


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    """One crawl and a second one of the unchanged site; counts after each."""
    db_url = f"sqlite:///{tmp_path_factory.mktemp('crawl') / 'archive.sqlite'}"
    with MirrorServer(kcnawatch_site()) as server:
        first = run_archiver("crawl", "kcnawatch", "--base-url", server.base_url, "--db", db_url, *FAST)
        after_first = {name: scalar(db_url, sql) for name, sql in COUNTS.items()}
        second = run_archiver("crawl", "kcnawatch", "--base-url", server.base_url, "--db", db_url, *FAST)
        after_second = {name: scalar(db_url, sql) for name, sql in COUNTS.items()}
        base = server.base_url
    return db_url, base, first, second, after_first, after_second


def test_crawl_exits_cleanly_with_a_summary(crawled):
    _, _, first, second, _, _ = crawled
    assert first.returncode == 0, first.stderr
    assert "Traceback" not in first.stderr
    assert first.stdout.startswith("kcnawatch: ok in ")
    assert "articles 14 new, 0 updated, 3 reposts folded" in first.stdout
    assert "listing entries 17 new" in first.stdout
    assert second.returncode == 0, second.stderr
    assert "articles 0 new, 0 updated, 0 reposts folded" in second.stdout
    assert "listing entries 0 new" in second.stdout


def test_every_address_stored_once_and_reposts_folded(crawled):
    _, _, _, _, after_first, _ = crawled
    # 17 addresses; 3 of them are reposts of other stories, so 14 articles.
    assert after_first == {"article_urls": 17, "articles": 14, "listing_entries": 17, "crawl_runs": 1}


def test_second_crawl_changes_no_counts(crawled):
    _, _, _, _, after_first, after_second = crawled
    assert after_second == {**after_first, "crawl_runs": 2}


def test_titles_and_iso_dates(crawled):
    db_url, base, *_ = crawled
    rows = dict(
        (url.removeprefix(base), (title, published_on, source))
        for url, title, published_on, source in query(db_url, "SELECT url, title, published_on, source FROM articles")
    )
    assert rows[
        "/newstream/1729688400-811236574/basic-party-organizations-should-be-strengthened-further-organizationally-and-id/"
    ] == (
        "Basic Party Organizations Should Be Strengthened Further Organizationally and Ideologically",
        "2024-10-23",
        "KASS (EN)",
    )
    # No date line on the page: the date comes from the URL's epoch.
    assert rows["/newstream/1708300800-805512310/forum-for-freedom-of-nations-held-in-russia/"][1:] == (
        "2024-02-19",
        "Naenara (En)",
    )
    # No title on the page.
    assert rows["/newstream/1769475600-800999001/untitled-dispatch/"] == (None, "2026-01-27", "KCNA (EN)")
    assert scalar(db_url, "SELECT COUNT(*) FROM articles WHERE published_on IS NULL") == 0


def test_repost_keeps_the_earliest_date_and_every_address(crawled):
    db_url, base, *_ = crawled
    rows = query(
        db_url,
        "SELECT a.url, a.published_on, u.url, u.listed_on FROM articles a JOIN article_urls u ON u.article_id = a.id "
        "WHERE a.title LIKE 'One September day in 2013%' ORDER BY u.url",
    )
    assert [(a.removeprefix(base), pub, u.removeprefix(base), listed) for a, pub, u, listed in rows] == [
        (
            "/newstream/1735002007-800055433/one-september-day-in-2013-the-respected-comrade-kim/",
            "2024-12-24",
            "/newstream/1735002007-800055433/one-september-day-in-2013-the-respected-comrade-kim/",
            "2024-12-24",
        ),
        (
            "/newstream/1735002007-800055433/one-september-day-in-2013-the-respected-comrade-kim/",
            "2024-12-24",
            "/newstream/1735088403-800023757/one-september-day-in-2013-the-respected-comrade-kim-2/",
            "2024-12-25",
        ),
    ]


def test_body_is_clean_paragraphs_without_signature(crawled):
    db_url, *_ = crawled
    body = scalar(db_url, "SELECT body FROM articles WHERE url LIKE '%forum-for-freedom-of-nations%'")
    assert body.startswith("The first meeting of “For Freedom of Nations,” a forum of supporters")
    assert body.endswith("against the modern neocolonialist moves of the dominationist forces.")
    assert body.count("\n\n") == 11  # 12 paragraphs
    assert "KCNA" not in body.split("\n\n")[-1]
    assert "Kim Jong Un , general" in body  # bodies keep the site's text; only teasers are repaired


def test_listing_entries_have_clean_teasers_and_sightings(crawled):
    db_url, *_ = crawled
    rows = dict(query(db_url, "SELECT teaser_raw, teaser FROM listing_entries"))
    assert (
        rows[
            "It was one August day in 2020 when it was anticipated that the DPRK would be affected by the influence of Typhoon No. 8.The time w"
        ]
        == "It was one August day in 2020 when it was anticipated that the DPRK would be affected by the influence of Typhoon No. 8. The time w"
    )
    assert (
        rows[
            "Kim Jong Un , general secretary of the Workers’ Party of Korea, sent a congratulatory message to To Lam, general secretary of"
        ]
        == "Kim Jong Un, general secretary of the Workers’ Party of Korea, sent a congratulatory message to To Lam, general secretary of"
    )
    # Every entry is tied to its article and its teaser matches the article's body.
    assert scalar(db_url, "SELECT COUNT(*) FROM listing_entries WHERE article_id IS NULL") == 0
    assert scalar(db_url, "SELECT COUNT(*) FROM listing_entries WHERE teaser_matches = 0") == 0
    # Every teaser was cut by the site, but that of the short dispatch, which covers its whole body.
    assert query(db_url, "SELECT article_url FROM listing_entries WHERE NOT teaser_truncated") == [
        (f"{crawled[1]}/newstream/1769475600-800999001/untitled-dispatch/",)
    ]
    # Seen on listings and on every "More From" block of its source, in both crawls.
    assert scalar(db_url, "SELECT MIN(times_seen) FROM listing_entries") >= 2


def test_no_duplicate_rows(crawled):
    db_url, *_ = crawled
    assert query(db_url, "SELECT url FROM article_urls GROUP BY url HAVING COUNT(*) > 1") == []
    assert query(db_url, "SELECT site, article_url FROM listing_entries GROUP BY 1, 2 HAVING COUNT(*) > 1") == []
    assert query(db_url, "SELECT site, content_hash FROM articles GROUP BY 1, 2 HAVING COUNT(*) > 1") == []


def test_crawl_runs_recorded(crawled):
    db_url, *_ = crawled
    rows = query(db_url, "SELECT spider, mode, status, finished_at IS NOT NULL, stats FROM crawl_runs ORDER BY id")
    assert [r[:4] for r in rows] == [("kcnawatch", "crawl", "ok", 1), ("kcnawatch", "crawl", "ok", 1)]
    assert '"archiver/articles/new": 14' in rows[0][4]
