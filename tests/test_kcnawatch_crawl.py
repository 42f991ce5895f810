"""End to end: serve KCNA Watch mirrors on loopback, crawl them with the CLI, check rows and requests.

The bundled sample (archiver/mirror/samples/kcnawatch.json and its edge cases) is rendered as the
real site is seen: the feed, `/newstream/`, source listings `/article/ID/` paged by "load more"
fragments, article pages. Request counts are exact: a nightly run on an unchanged site costs
robots.txt and the feed; a backfill one request per ten listed entries plus one per article.
"""

from __future__ import annotations

from collections import Counter

import pytest

from archiver.mirror.kcnawatch import KcnaWatchMirror, SampleArticle, fragment_target
from archiver.mirror.sample_sites import kcnawatch_articles, kcnawatch_site
from archiver.mirror.server import MirrorServer, Resource
from tests.support.archive import query, scalar
from tests.support.cli import FAST, run_archiver

pytestmark = pytest.mark.slow

COUNTS = {
    "article_urls": "SELECT COUNT(*) FROM article_urls",
    "articles": "SELECT COUNT(*) FROM articles",
    "listing_entries": "SELECT COUNT(*) FROM listing_entries",
    "crawl_runs": "SELECT COUNT(*) FROM crawl_runs",
}
KASS, NAENARA, KCNA = 189661, 190036, 189500
KOREAN = "/newstream/1750885366-800999002/%EC%A1%B0%EC%84%A0%EC%A4%91%EC%95%99%ED%86%B5%EC%8B%A0%EC%82%AC-%EB%B3%B4%EB%8F%84/"
ROWS = "SELECT url, title, published_on, source, original_url, language, body FROM articles ORDER BY url"


def counts(db_url: str) -> dict[str, int]:
    return {name: scalar(db_url, sql) for name, sql in COUNTS.items()}


def rows(db_url: str, base: str) -> list[tuple]:
    return [(url.removeprefix(base), *rest) for url, *rest in query(db_url, ROWS)]


def crawl(server: MirrorServer, db_url: str, *args: str):
    before = Counter(server.hits)
    result = run_archiver("crawl", "kcnawatch", "--base-url", server.base_url, "--db", db_url, *FAST, *args)
    return result, Counter(server.hits) - before


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    """A first crawl of the sample and a second one of the unchanged site: results, counts, requests."""
    db_url = f"sqlite:///{tmp_path_factory.mktemp('crawl') / 'archive.sqlite'}"
    with MirrorServer(kcnawatch_site()) as server:
        first, first_hits = crawl(server, db_url)
        after_first = counts(db_url)
        second, second_hits = crawl(server, db_url)
        after_second = counts(db_url)
        base = server.base_url
    return db_url, base, (first, first_hits, after_first), (second, second_hits, after_second)


def test_first_crawl_stores_everything_the_mirror_holds(crawled):
    _, _, (first, hits, after), _ = crawled
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("kcnawatch: ok in ")
    assert "54 pages fetched (54 requests)" in first.stdout
    assert "articles 41 new, 0 updated, 3 reposts folded" in first.stdout
    # 44 addresses (3 of them reposts of other stories: 41 articles), each listed once.
    assert after == {"article_urls": 44, "articles": 41, "listing_entries": 44, "crawl_runs": 1}
    listings = {path: n for path, n in hits.items() if not path.startswith("/newstream/1")}
    # The feed first, all new: then /newstream/, the three source listings, and for the two sources
    # with more than ten entries the "load more" fragments until a short one (21 entries: 10+10+1).
    assert listings == {
        "/robots.txt": 1,
        "/newstream/feed/": 1,
        "/newstream/": 1,
        "/article/150/": 1,
        "/article/163/": 1,
        "/article/177/": 1,
        fragment_target(KASS, 10): 1,
        fragment_target(KASS, 20): 1,
        fragment_target(NAENARA, 10): 1,
        fragment_target(NAENARA, 20): 1,
    }
    articles = {path: n for path, n in hits.items() if path.startswith("/newstream/1")}
    assert len(articles) == 44 and set(articles.values()) == {1}


def test_nightly_run_on_an_unchanged_site_costs_two_requests(crawled):
    _, _, (_, _, after_first), (second, hits, after_second) = crawled
    assert second.returncode == 0, second.stderr
    assert hits == Counter({"/robots.txt": 1, "/newstream/feed/": 1})
    assert "2 pages fetched (2 requests)" in second.stdout
    assert "articles 0 new, 0 updated, 0 reposts folded" in second.stdout
    assert after_second == {**after_first, "crawl_runs": 2}


def test_titles_dates_sources_and_links(crawled):
    db_url, base, *_ = crawled
    found = {
        url: (title, published_on, source, original)
        for url, title, published_on, source, original, *_ in rows(db_url, base)
    }
    assert found[
        "/newstream/1729688400-811236574/basic-party-organizations-should-be-strengthened-further-organizationally-and-id/"
    ] == (
        "Basic Party Organizations Should Be Strengthened Further Organizationally and Ideologically",
        "2024-10-23",
        "KASS (EN)",
        "http://www.kass.org.kp/index.php/en/article/4312",
    )
    # No date line on the page: the URL's epoch, on its Pyongyang day.
    assert found["/newstream/1708300800-805512310/forum-for-freedom-of-nations-held-in-russia/"][1:3] == (
        "2024-02-19",
        "Naenara (En)",
    )
    # No title on the page: the title its listing gave.
    assert found["/newstream/1769475600-800999001/untitled-dispatch/"] == (
        "Untitled dispatch",
        "2026-01-27",
        "KCNA (EN)",
        None,
    )
    # A Korean slug linked in three spellings: one address. Published 21:02 UTC on the 25th: the 26th.
    assert found[KOREAN] == ("조선중앙통신사 보도", "2025-06-26", "KCNA (EN)", None)
    assert scalar(db_url, "SELECT COUNT(*) FROM article_urls WHERE url LIKE '%800999002%'") == 1
    assert scalar(db_url, "SELECT COUNT(*) FROM articles WHERE published_on IS NULL OR title IS NULL") == 0


def test_signatures_are_not_body_text(crawled):
    db_url, base, *_ = crawled
    bodies = {url: body for url, *_, body in rows(db_url, base)}
    assert bodies["/newstream/1708300800-805512310/forum-for-freedom-of-nations-held-in-russia/"].endswith(
        "against the modern neocolonialist moves of the dominationist forces."
    )
    assert bodies[KOREAN] == "조선중앙통신사는 다음과 같은 보도를 발표하였다.\n\n회의가 평양에서 진행되었다."
    assert not any(body.rstrip().endswith("KCNA") for body in bodies.values())


def test_listing_dates_are_pyongyang_days(crawled):
    db_url, base, *_ = crawled
    listed = dict(query(db_url, "SELECT article_url, listed_on FROM listing_entries"))
    assert listed[base + KOREAN] == "2025-06-26"
    assert listed[base + "/newstream/1735347600-800000000/the-juche-idea-study-groups-in-russia-carried-special/"] == (
        "2024-12-28"
    )


def test_every_rendering_of_the_unseen_parts_gives_the_same_rows(tmp_path):
    """Title, meta line, signature, More From, /newstream/ and the listing's source id rendered the
    other ways: (b) and (c), whose masthead h1 is the only heading, whose /newstream/ names no source
    and whose KASS listing names no "load more" id: the date search stands in for its two fragments,
    19 requests (December split three times, November, October, then the twelve empty months that
    end a walk with no --since)."""
    articles = list(kcnawatch_articles())
    results = {}
    for rendering in ("a", "b", "c"):
        db_url = f"sqlite:///{tmp_path / f'{rendering}.sqlite'}"
        with MirrorServer(KcnaWatchMirror(articles, rendering=rendering)) as server:
            result, hits = crawl(server, db_url)
            assert result.returncode == 0, result.stderr
            results[rendering] = (rows(db_url, server.base_url), counts(db_url), sum(hits.values()))
    assert results["a"] == results["b"]
    assert results["b"][1]["articles"] == 41 and results["b"][2] == 54
    assert results["c"][:2] == results["a"][:2] and results["c"][2] == 54 + 17


def test_backfill_costs_one_request_per_ten_entries_plus_one_per_article(tmp_path):
    db_url = f"sqlite:///{tmp_path / 'archive.sqlite'}"
    with MirrorServer(kcnawatch_site()) as server:
        result = run_archiver(
            "backfill", "kcnawatch", "--since", "2024-12-01", "--until", "2024-12-31",
            "--base-url", server.base_url, "--db", db_url, "-s", "KCNAWATCH_SOURCES=163,177", *FAST,
        )  # fmt: skip
        hits = Counter(server.hits)
    assert result.returncode == 0, result.stderr
    in_range = [a for a in kcnawatch_articles() if "2024-12-01" <= a.day.isoformat() <= "2024-12-31"]
    assert len(in_range) == 19  # addresses; three are reposts, so 16 articles
    articles = {path for path in hits if path.startswith("/newstream/1")}
    assert articles == {a.path for a in in_range}
    assert counts(db_url)["articles"] == 16
    # The two listings and their fragments (21 entries each: pages of 10, 10, 1), robots.txt.
    assert sum(hits.values()) - len(articles) == 1 + 2 + 4
    assert f"({sum(hits.values())} requests)" in result.stdout
    assert scalar(db_url, "SELECT COUNT(*) FROM article_urls") == 19
    assert (
        scalar(db_url, "SELECT MIN(published_on) || ' ' || MAX(published_on) FROM articles") == "2024-12-04 2024-12-28"
    )


def broken_feed_site(body: bytes) -> dict[str, Resource]:
    site = kcnawatch_site()
    return {**site, "/newstream/feed/": Resource(body, "application/rss+xml; charset=UTF-8")}


def test_unreadable_feed_falls_back_to_the_listings_and_says_so(tmp_path):
    db_url = f"sqlite:///{tmp_path / 'archive.sqlite'}"
    with MirrorServer(
        broken_feed_site(b"<html><body>Error establishing a database connection</body></html>")
    ) as server:
        result, hits = crawl(server, db_url)
    assert result.returncode == 0, result.stderr
    assert "the feed could not be read; fell back to the listings" in result.stdout
    assert hits["/newstream/"] == 1
    assert counts(db_url)["articles"] == 41


def test_malformed_feed_is_read_as_far_as_it_goes(tmp_path):
    feed = kcnawatch_site()["/newstream/feed/"].body.decode()
    broken = feed.replace("DPRK News &amp; Media", "DPRK News & Media")
    broken = broken[: broken.index("<item>", broken.index("<item>", broken.index("<item>") + 1) + 1) + 30]
    db_url = f"sqlite:///{tmp_path / 'archive.sqlite'}"
    with MirrorServer(broken_feed_site(broken.encode())) as server:
        result, hits = crawl(server, db_url, "-s", "LOG_LEVEL=INFO")
    assert result.returncode == 0, result.stderr
    # An unescaped "&" and a feed cut off in its third item: two items read, the run goes on from them.
    assert "could not be read" not in result.stdout
    assert hits["/newstream/feed/"] == 1 and hits["/newstream/"] == 1
    assert counts(db_url)["articles"] == 41


def new_article(number: int) -> SampleArticle:
    return SampleArticle(
        epoch=1769500000 + number * 600,
        post_id=800990000 + number,
        slug=f"new-report-{number}",
        source_slug="naenara-en",
        source_name="Naenara (En)",
        title=f"New report {number}",
        paragraphs=[f"New report number {number} was published.", f"It has {number} paragraphs of news."],
    )


def test_nightly_run_after_three_new_articles(tmp_path):
    db_url = f"sqlite:///{tmp_path / 'archive.sqlite'}"
    articles = list(kcnawatch_articles())
    with MirrorServer(KcnaWatchMirror(articles).build()) as server:
        crawl(server, db_url)
        server.site = KcnaWatchMirror([*articles, *(new_article(n) for n in range(3))]).build()
        result, hits = crawl(server, db_url)
    assert result.returncode == 0, result.stderr
    assert "articles 3 new" in result.stdout
    # The feed (17 of its 20 items archived: it reaches the archive, the gap is closed), the three
    # articles, and their source's listing, whose first page ends the walk (it reaches the archive too).
    assert hits == Counter(
        {
            "/robots.txt": 1,
            "/newstream/feed/": 1,
            "/newstream/1769500000-800990000/new-report-0/": 1,
            "/newstream/1769500600-800990001/new-report-1/": 1,
            "/newstream/1769501200-800990002/new-report-2/": 1,
            "/article/177/": 1,
        }
    )
