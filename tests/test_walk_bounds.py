"""Issue 20, points 3, 4 and 5, on a toy site (tests/support/toysite.py) that tests the shared walk
machinery of spiders/base.py without either real site's markup.

- 5: a listing that never ends, or repeats itself, is walked only until ARCHIVER_WALK_MAX_BARREN_PAGES
  pages in a row have listed nothing new; a run walks at most ARCHIVER_WALK_MAX_LISTING_PAGES
  listing pages, and the next run resumes the walk the bound cut short.
- 3: after random SIGKILLs, the next crawl that ends ok leaves the archive as a clean crawl does.
- 4: an article page that yields no body is a warning in the summary.
"""

from __future__ import annotations

import contextlib
import json
import random
import signal
import subprocess
import time

import pytest

from archiver.mirror.server import Resource
from tests.support.archive import query, scalar
from tests.support.cli import PROJECT
from tests.support.crash import archive_problems, snapshots_missing
from tests.support.faultserver import Fault, FaultServer
from tests.support.toycrawl import crawl_toy, toy_command
from tests.support.toysite import html, listing_page, listing_path, toy_routes

pytestmark = pytest.mark.slow


def listing_hits(server: FaultServer) -> int:
    return sum(count for path, count in server.hits.items() if path.startswith("/list/"))


# Point 5 --------------------------------------------------------------------------------------------


def endless_routes(pages: int, entries_on: dict[int, list[int]] | None = None) -> dict[str, Resource]:
    """`pages` listing pages, each linking the next (the last one too: to a page that never ends)."""
    routes = toy_routes(0)
    for page in range(1, pages + 1):
        routes[listing_path(page)] = listing_page((entries_on or {}).get(page, []), listing_path(page + 1))
    return routes


def test_an_endless_empty_listing_stops_after_k_barren_pages(db_url):
    with FaultServer(endless_routes(500)) as server:
        first = crawl_toy(db_url, server, "ARCHIVER_WALK_MAX_BARREN_PAGES=6")
        assert listing_hits(server) == 6
        assert first.stats["archiver/walk/stopped/nothing_new_for_pages"] == 1
        second = crawl_toy(db_url, server, "ARCHIVER_WALK_MAX_BARREN_PAGES=6")
        assert listing_hits(server) == 12  # the next run is bounded the same way
    assert first.returncode == 0 and second.returncode == 0


def test_a_listing_repeating_the_same_entries_stops(db_url):
    same = [3, 2, 1]
    routes = endless_routes(500, {page: same for page in range(1, 501)})
    for number in same:
        routes[f"/a/{number}/"] = html(f"<h1>Toy {number}</h1><div class='text'><p>Story {number}.</p></div>")
    with FaultServer(routes) as server:
        run = crawl_toy(db_url, server)  # the default bound: 10 pages in a row with nothing new
        assert listing_hits(server) == 1 + 10
        assert sum(server.hits[f"/a/{n}/"] for n in same) == 3
    assert run.stats["archiver/walk/stopped/nothing_new_for_pages"] == 1
    assert scalar(db_url, "SELECT COUNT(*) FROM articles") == 3


def test_max_listing_pages_per_run_and_the_next_run_resumes(db_url):
    with FaultServer(toy_routes(60)) as server:  # 12 listing pages
        first = crawl_toy(db_url, server, "ARCHIVER_WALK_MAX_LISTING_PAGES=7")
        assert listing_hits(server) == 7
        assert first.stats["archiver/walk/stopped/max_listing_pages"] == 1
        assert scalar(db_url, "SELECT COUNT(*) FROM articles") == 35
        [(finished, trail)] = query(db_url, "SELECT finished, trail FROM listing_walks")
        assert finished == 0 and json.loads(trail) == [server.base_url + "/list/page/8/"]
        second = crawl_toy(db_url, server, "ARCHIVER_WALK_MAX_LISTING_PAGES=7")
    assert second.stats["archiver/walk/resumed"] == 1
    assert scalar(db_url, "SELECT COUNT(*) FROM articles") == 60
    assert scalar(db_url, "SELECT finished FROM listing_walks") == 1
    assert all(server.hits[f"/a/{n}/"] == 1 for n in range(1, 61))


def test_a_bad_bound_setting_is_refused_by_the_cli(db_url):
    from tests.support.cli import run_archiver

    result = run_archiver("crawl", "kcnawatch", "-s", "ARCHIVER_WALK_MAX_LISTING_PAGES=lots", "--db", db_url)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "archiver: error: -s ARCHIVER_WALK_MAX_LISTING_PAGES=lots: expected a whole number"
    )


# Point 4 (its second half) ---------------------------------------------------------------------------


def test_an_article_page_without_a_body_is_a_warning(db_url):
    routes = toy_routes(8)
    routes["/a/5/"] = html("<h1>Toy story 5</h1><div class='text'><div><span>unclosed")
    with FaultServer(routes) as server:
        run = crawl_toy(db_url, server)
        url = server.base_url + "/a/5/"
    assert run.returncode == 0
    assert run.lines[1:] == [f"toy: warning: 1 article page gave no body and were not stored: {url}"]
    assert run.stats["archiver/articles/no_body"] == 1 and run.stats["archiver/no_body_urls"] == [url]
    assert "No article body on" in run.stderr
    [summary] = [json.loads(s)["summary"] for (s,) in query(db_url, "SELECT stats FROM crawl_runs")]
    assert summary["articles"]["no_body"] == 1


# Point 3 --------------------------------------------------------------------------------------------


def slow_routes(count: int, delay: float) -> dict[str, Resource]:
    return {
        path: Fault(page.body, page.content_type, page.status, page.headers, delay=delay)
        for path, page in toy_routes(count).items()
    }


def test_random_kills_then_one_ok_crawl_equal_a_clean_crawl(tmp_path):
    count = 80  # 16 listing pages
    killed_db = f"sqlite:///{tmp_path / 'killed.sqlite'}"
    clean_db = f"sqlite:///{tmp_path / 'clean.sqlite'}"
    chance = random.Random(20)
    slow = ["CONCURRENT_REQUESTS_PER_DOMAIN=2", "ARCHIVER_STORE_BATCH=7"]
    with FaultServer(slow_routes(count, 0.03)) as server:
        for _ in range(6):
            process = subprocess.Popen(
                toy_command(killed_db, server.base_url, *slow),
                cwd=PROJECT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            # Killed after a random number of the site's pages, whatever the machine's load.
            until = sum(server.hits.values()) + chance.randint(5, 40)
            deadline = time.monotonic() + 60
            while sum(server.hits.values()) < until and process.poll() is None and time.monotonic() < deadline:
                time.sleep(0.02)
            process.send_signal(signal.SIGKILL)
            process.wait()
        partial = scalar(killed_db, "SELECT COUNT(*) FROM articles")
        assert partial < count  # the kills did cut the runs short
        after = crawl_toy(killed_db, server, *slow)
        clean = crawl_toy(clean_db, server, *slow)
    assert after.returncode == 0 and clean.returncode == 0, after.stderr
    assert archive_problems(killed_db) == []

    def contents(db_url: str):
        return (
            sorted(query(db_url, "SELECT url, title, body FROM articles")),
            sorted(query(db_url, "SELECT article_url, article_id IS NOT NULL FROM listing_entries")),
        )

    articles, entries = contents(killed_db)
    assert len(articles) == count and all(tied for _, tied in entries) and len(entries) == count
    assert (articles, entries) == contents(clean_db)
    # Issue 25, point 2: no page snapshot lost to a kill; the WARC holds every page a clean crawl keeps.
    assert snapshots_missing(killed_db) == 0
    assert pages_of(killed_db) == pages_of(clean_db) and len(pages_of(clean_db)) == count + 16
    assert warc_urls(killed_db, tmp_path / "killed.warc.gz") == pages_of(clean_db)
    assert not list(tmp_path.glob("*.part"))


def pages_of(db_url: str) -> set[str]:
    return {url for (url,) in query(db_url, "SELECT DISTINCT url FROM pages")}


def warc_urls(db_url: str, out) -> set[str]:
    from warcio.archiveiterator import ArchiveIterator

    from archiver.archive.readonly import open_readonly_archive
    from archiver.research.warc import export_warc

    engine = open_readonly_archive(db_url)
    try:
        export_warc(engine, out)
    finally:
        engine.dispose()
    with open(out, "rb") as stream:
        return {
            r.rec_headers.get_header("WARC-Target-URI") for r in ArchiveIterator(stream) if r.rec_type != "warcinfo"
        }


@pytest.mark.parametrize(("crawl_id", "resumed"), [(None, 1), ("c1", 0)], ids=["one-process", "distributed"])
def test_a_distributed_worker_leaves_unfinished_walks_to_the_shared_queue(db_url, crawl_id, resumed):
    """A walk the log shows unfinished is resumed by the next run, but not by a worker of a distributed
    crawl: there it may be another worker's walk in progress, and the shared queue holds its pages."""
    from scrapy.exceptions import DontCloseSpider
    from scrapy.utils.test import get_crawler

    from archiver.archive.engine import open_archive
    from archiver.archive.walks import WalkLog
    from spiders.kcnawatch import KcnaWatchSpider

    start, page = "https://kcnawatch.org/article/163/", "https://kcnawatch.org/article/163/?page=2"
    engine = open_archive(db_url)
    WalkLog(engine, "kcnawatch").reached(start, page)  # a walk left on its second page
    engine.dispose()
    settings = {"ARCHIVER_DB_URL": db_url, **({"ARCHIVER_REDIS_CRAWL_ID": crawl_id} if crawl_id else {})}
    crawler = get_crawler(KcnaWatchSpider, settings)
    spider = KcnaWatchSpider.from_crawler(crawler)
    spider.open_walk()
    crawled: list[str] = []
    crawler.engine = type("Engine", (), {"crawl": lambda self, request: crawled.append(request.url)})()
    spider._walk_callbacks[start] = spider.parse_listing  # this run walked that listing too
    try:
        with contextlib.suppress(DontCloseSpider):
            spider.finish_earlier_runs()
    finally:
        spider.close_walk_log(reason="finished")
    assert crawled.count(page) == resumed
