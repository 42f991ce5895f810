"""Issue 20, point 8, on the toy site (tests/support/toysite.py): decompression bombs recorded as
failures; one decoding of a mixed-charset page for crawl and reparse alike; a redirect remembered
(the old address points to the article, and is not fetched again); a full disk stops the crawl at
the first error with one line.
"""

from __future__ import annotations

import gzip

import pytest

from archiver.archive.engine import make_engine
from archiver.crawl.runner import base_settings
from archiver.mirror.server import Resource
from archiver.research.reparse import reparse
from tests.support.archive import query, scalar
from tests.support.faultserver import FaultServer, redirect
from tests.support.toycrawl import crawl_toy
from tests.support.toysite import listing_page, spider_modules, toy_routes

pytestmark = pytest.mark.slow


def test_a_decompression_bomb_is_recorded_as_a_failure(db_url):
    routes = toy_routes(6)
    bomb = gzip.compress(b"<html><body>" + b"\0" * 5_000_000)
    routes["/a/4/"] = Resource(bomb, headers={"Content-Encoding": "gzip"})
    with FaultServer(routes) as server:
        run = crawl_toy(db_url, server, "DOWNLOAD_MAXSIZE=1000000")
        url = server.base_url + "/a/4/"
    assert len(bomb) < 1_000_000  # small on the wire: only its decompression is stopped
    assert run.returncode == 1
    assert run.stats["archiver/http_errors/decompression_bomb"] == 1
    assert {"url": url, "reason": "decompression_bomb"} in run.stats["archiver/failed_urls"]
    assert run.lines[0].startswith("toy: errors in ") and run.lines[0].endswith(
        "; 1 errors: decompression bomb ×1 (127.0.0.1)"
    )
    assert scalar(db_url, "SELECT COUNT(*) FROM articles") == 5
    assert "Traceback" not in run.stderr


def test_a_mixed_charset_page_is_decoded_once_for_crawl_and_reparse(db_url):
    routes = toy_routes(3)
    mixed = (
        b'<!DOCTYPE html><html><head><meta charset="UTF-8"></head><body><h1>Toy story 2</h1><div class="text">'
        + "<p>Caf\u00e9 in UTF-8.</p>".encode()
        + "<p>\u041f\u0440\u0438\u0432\u0435\u0442 in cp1251.</p>".encode("cp1251")
        + b"</div></body></html>"
    )
    routes["/a/2/"] = Resource(mixed, content_type="text/html; charset=utf-8")
    with FaultServer(routes) as server:
        run = crawl_toy(db_url, server)
        url = server.base_url + "/a/2/"
    assert run.returncode == 0, run.stderr
    assert query(db_url, "SELECT charset FROM pages WHERE url = :url", url=url) == [("cp1252",)]
    body_after_crawl = scalar(db_url, "SELECT body FROM articles WHERE url = :url", url=url)
    assert body_after_crawl.startswith("Caf\u00c3\u00a9 in UTF-8.")  # read whole in one charset, as the crawl did
    engine = make_engine(db_url)
    try:
        settings = base_settings(db_url, "reparse", {"SPIDER_MODULES": spider_modules()})
        [report] = reparse(engine, settings, sites=["toy"])
    finally:
        engine.dispose()
    assert report.pages == 4 and report.failed == 0  # 3 articles and 1 listing page
    assert report.changed == 0, report.line()
    assert scalar(db_url, "SELECT body FROM articles WHERE url = :url", url=url) == body_after_crawl


def test_a_redirect_is_remembered_and_not_fetched_again(db_url):
    routes = toy_routes(4)
    # The listing links an old address of article 3, which the site redirects to its own.
    routes["/list/"] = listing_page([4, 33, 2, 1], None)
    routes["/a/33/"] = redirect("/a/3/", 301)
    with FaultServer(routes) as server:
        first = crawl_toy(db_url, server)
        assert server.hits["/a/33/"] == 1 and server.hits["/a/3/"] == 1
        second = crawl_toy(db_url, server)
        assert server.hits["/a/33/"] == 1 and server.hits["/a/3/"] == 1  # not fetched again
        old, new = server.base_url + "/a/33/", server.base_url + "/a/3/"
    assert first.stats["archiver/redirects/remembered"] == 1
    assert second.returncode == 0 and second.stats.get("archiver/walk/pending_requested", 0) == 0
    tied = dict(query(db_url, "SELECT url, article_id FROM article_urls WHERE url IN (:old, :new)", old=old, new=new))
    assert tied[old] == tied[new]
    assert scalar(db_url, "SELECT fetched FROM article_urls WHERE url = :url", url=old) == 1


def test_a_full_disk_stops_the_crawl_at_the_first_error_in_one_line(db_url):
    routes = toy_routes(200)  # 40 listing pages
    with FaultServer(toy_routes(3)) as small:
        assert crawl_toy(db_url, small).returncode == 0  # the schema, and a few rows
    pages = scalar(db_url, "PRAGMA page_count")
    with FaultServer(routes) as server:
        run = crawl_toy(
            db_url,
            server,
            "ARCHIVER_STORE_BATCH=5",
            "CONCURRENT_REQUESTS_PER_DOMAIN=1",
            env={"TOY_MAX_PAGE_COUNT": str(pages + 4)},
        )
        fetched = sum(server.hits.values())
    assert run.returncode == 1
    assert run.stats["archiver/disk_full"] == 1 and run.stats["finish_reason"] == "disk_full"
    assert "Traceback" not in run.stderr
    errors = [line for line in run.stderr.splitlines() if "ERROR" in line]
    assert len(errors) == 1 and "Disk full, stopping the crawl" in errors[0], run.stderr
    assert "database or disk is full" in errors[0]
    assert fetched < 60  # of 241 pages: fetching stopped at once
