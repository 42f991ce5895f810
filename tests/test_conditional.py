"""Conditional requests: revisits carry the stored validators; a 304 costs no body and changes nothing."""

from __future__ import annotations

from datetime import datetime
from hashlib import sha256

import pytest
from scrapy import Request
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.settings import Settings

from archiver.archive.engine import session_factory
from archiver.archive.pages import Fetch, write_fetches
from archiver.middlewares.conditional import ConditionalRequests
from archiver.middlewares.snapshots import CONDITIONAL_META
from archiver.mirror.sample_sites import kcnawatch_site
from archiver.mirror.server import Resource
from tests.support.archive import query, scalar
from tests.support.snapshots import ValidatingMirror, crawl, etag_of, table

CHANGED = "/newstream/1708300800-805512310/forum-for-freedom-of-nations-held-in-russia/"
OLD_END = b"modern neocolonialist moves of the dominationist forces."
NEW_END = b"modern neocolonialist moves of the dominationist forces, the statement said."


class Stats(dict):
    def inc_value(self, key, count=1):
        self[key] = self.get(key, 0) + count


class FakeCrawler:
    def __init__(self, **settings) -> None:
        self.settings = Settings(settings)
        self.stats = Stats()

        class Signals:
            def connect(self, *args, **kwargs) -> None:
                pass

        self.signals = Signals()


@pytest.fixture
def middleware(engine, db_url):
    with session_factory(engine).begin() as session:
        write_fetches(
            session,
            [
                Fetch(
                    "http://a/etag",
                    "kcnawatch",
                    datetime(2026, 1, 1),
                    200,
                    {"Content-Type": ["text/html"]},
                    b"<p>one</p>",
                    etag='"v1"',
                    last_modified="Thu, 01 Jan 2026 00:00:00 GMT",
                ),
                Fetch(
                    "http://a/plain",
                    "kcnawatch",
                    datetime(2026, 1, 1),
                    200,
                    {"Content-Type": ["text/html"]},
                    b"<p>two</p>",
                ),
            ],
            None,
            "zlib",
        )
    mw = ConditionalRequests.from_crawler(FakeCrawler(ARCHIVER_DB_URL=db_url))
    mw.spider_opened()
    yield mw
    mw.spider_closed()


def test_validators_of_the_stored_page_are_sent(middleware):
    request = Request("http://a/etag")
    assert middleware.process_request(request) is None
    assert request.headers[b"If-None-Match"] == b'"v1"'
    assert request.headers[b"If-Modified-Since"] == b"Thu, 01 Jan 2026 00:00:00 GMT"
    assert request.meta[CONDITIONAL_META]["sha256"] == sha256(b"<p>one</p>").hexdigest()
    for url, method in (("http://a/plain", "GET"), ("http://a/never-fetched", "GET"), ("http://a/etag", "POST")):
        other = Request(url, method=method)
        middleware.process_request(other)
        assert b"If-None-Match" not in other.headers and CONDITIONAL_META not in other.meta
    assert middleware.stats == {"archiver/conditional/sent": 1}


def test_a_304_becomes_the_stored_response(middleware):
    request = Request("http://a/etag")
    middleware.process_request(request)
    answer = middleware.process_response(
        request, Response("http://a/etag", status=304, headers={"ETag": '"v1"'}, request=request)
    )
    assert (answer.status, answer.body, answer.flags) == (200, b"<p>one</p>", ["not_modified"])
    assert answer.headers[b"Content-Type"] == b"text/html" and answer.request is request
    changed = middleware.process_response(
        request, Response("http://a/etag", status=200, body=b"<p>new</p>", request=request)
    )
    assert changed.body == b"<p>new</p>"
    assert middleware.stats == {
        "archiver/conditional/sent": 1,
        "archiver/conditional/not_modified": 1,
        "archiver/conditional/modified": 1,
    }


def test_the_setting_turns_it_off():
    with pytest.raises(NotConfigured):
        ConditionalRequests.from_crawler(FakeCrawler(ARCHIVER_CONDITIONAL_REQUESTS=False))


@pytest.mark.slow
def test_refresh_of_an_unchanged_site_costs_no_body_and_changes_nothing(tmp_path):
    db_url = f"sqlite:///{tmp_path / 'archive.sqlite'}"
    site = kcnawatch_site()
    with ValidatingMirror(site) as mirror:
        crawl(db_url, mirror.base_url)
        articles_before = table(db_url, "articles", without=("last_seen_at",))
        first_pages = dict(query(db_url, "SELECT url, sha256 FROM pages"))
        bodies_before = scalar(db_url, "SELECT COUNT(*) FROM page_bodies")
        # The site edits one article; everything else is as it was.
        site[CHANGED] = Resource(site[CHANGED].body.replace(OLD_END, NEW_END))
        mirror.requests.clear()
        stats = crawl(db_url, mirror.base_url, refresh=True)

    pages = [(path, headers) for path, headers in mirror.requests if path != "/robots.txt"]
    # The refresh asks again for the feed, every article and the source listings their pages link
    # to; its walks still end at the first page of archived entries (the feed, each listing's first
    # page), so /newstream/ and the "load more" fragments are not asked for again.
    first_paths = {url.removeprefix(mirror.base_url) for url in first_pages}
    assert sorted(path for path, _ in pages) == sorted(
        p for p in first_paths if p != "/newstream/" and "admin-ajax" not in p
    )
    # Every revisit asked "changed since?" with the validators the first run stored.
    for path, headers in pages:
        assert headers["If-None-Match"] == etag_of(kcnawatch_site()[path].body)
        assert headers["If-Modified-Since"] == "Sat, 01 Nov 2025 08:00:00 GMT"
    assert sorted(path for path, headers in pages if headers["_status"] == "200") == [CHANGED]
    assert stats["archiver/conditional/not_modified"] == len(pages) - 1
    assert stats["archiver/conditional/modified"] == 1
    # One new body (the edited page); the 304s are recorded as fetches of the body they confirmed.
    assert scalar(db_url, "SELECT COUNT(*) FROM page_bodies") == bodies_before + 1
    second = query(
        db_url,
        "SELECT url, status, sha256, etag FROM pages WHERE crawl_run_id = :run",
        run=stats["archiver/crawl_run_id"],
    )
    assert len(second) == len(pages)
    for url, status, digest, etag in second:
        if url.endswith(CHANGED):
            assert (status, digest) == (200, sha256(site[CHANGED].body).hexdigest())
        else:
            assert (status, digest, etag) == (
                304,
                first_pages[url],
                etag_of(kcnawatch_site()[url.removeprefix(mirror.base_url)].body),
            )
    # Only the edited article changed in the archive.
    assert stats.get("archiver/articles/updated") == 1
    articles_after = table(db_url, "articles", without=("last_seen_at",))
    changed = {i for i in articles_after if articles_after[i] != articles_before[i]}
    assert [articles_after[i]["url"].removeprefix(mirror.base_url) for i in changed] == [CHANGED]
    assert articles_after[changed.pop()]["body"].endswith("the dominationist forces, the statement said.")
