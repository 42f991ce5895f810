"""Page snapshots: every HTML response kept as served, one compressed copy per distinct body, off by a setting."""

from __future__ import annotations

import zlib
from datetime import datetime
from hashlib import sha256

import pytest
from scrapy.http import HtmlResponse, Response, TextResponse, XmlResponse

from archiver.archive.engine import session_factory
from archiver.archive.models import Page, PageBody
from archiver.archive.pages import Fetch, compress, decompress, load_body, write_fetches
from archiver.middlewares.snapshots import is_snapshot_worthy
from archiver.mirror.sample_sites import kcnawatch_site
from archiver.mirror.server import MirrorServer
from tests.support.archive import query, scalar
from tests.support.snapshots import copy_archive, crawl, sample_archive

PAGE = b"<html><body>" + b"<p>The same paragraph, again and again.</p>" * 50 + b"</body></html>"


def fetch(url: str, body: bytes | None, status: int = 200, **fields) -> Fetch:
    return Fetch(
        url=url,
        site="kcnawatch",
        fetched_at=datetime(2026, 1, 2, 3, 4, 5),
        status=status,
        headers={"Content-Type": ["text/html"]},
        body=body,
        **fields,
    )


# Storage ---------------------------------------------------------------------------------------------
def test_identical_bodies_are_stored_once_however_often_fetched(engine):
    sessions = session_factory(engine)
    with sessions.begin() as session:
        first = write_fetches(session, [fetch("http://a/1", PAGE), fetch("http://a/2", PAGE)], None, "zlib")
    with sessions.begin() as session:
        again = write_fetches(
            session, [fetch("http://a/1", PAGE), fetch("http://a/3", b"<html>other</html>")], None, "zlib"
        )
    assert (first.pages, first.new_bodies) == (2, 1)
    assert (again.pages, again.new_bodies) == (2, 1)
    with sessions() as session:
        bodies = session.query(PageBody).all()
        pages = session.query(Page).order_by(Page.id).all()
        assert sorted(b.sha256 for b in bodies) == sorted(
            [sha256(PAGE).hexdigest(), sha256(b"<html>other</html>").hexdigest()]
        )
        assert [p.url for p in pages] == ["http://a/1", "http://a/2", "http://a/1", "http://a/3"]
        assert {p.sha256 for p in pages[:3]} == {sha256(PAGE).hexdigest()}
        assert load_body(session, sha256(PAGE).hexdigest()) == PAGE
        stored = session.get(PageBody, sha256(PAGE).hexdigest())
        assert (stored.compression, stored.size) == ("zlib", len(PAGE))
        assert len(stored.body) < len(PAGE) / 10
        assert first.compressed_bytes == len(stored.body)


@pytest.mark.parametrize("method", ["zlib", "zstd"])
def test_compression_round_trips(method):
    if method == "zstd":
        pytest.importorskip("zstandard")
    packed = compress(PAGE, method)
    assert len(packed) < len(PAGE) and decompress(packed, method) == PAGE


def test_zstd_bodies_are_read_back(engine):
    pytest.importorskip("zstandard")
    sessions = session_factory(engine)
    with sessions.begin() as session:
        write_fetches(session, [fetch("http://a/1", PAGE)], None, "zstd")
    with sessions() as session:
        assert session.get(PageBody, sha256(PAGE).hexdigest()).compression == "zstd"
        assert load_body(session, sha256(PAGE).hexdigest()) == PAGE


@pytest.mark.parametrize(
    ("cls", "content_type", "kept"),
    [
        (HtmlResponse, "text/html; charset=UTF-8", True),
        (XmlResponse, "application/rss+xml; charset=UTF-8", True),
        (TextResponse, "text/plain", False),  # robots.txt
        (Response, "image/jpeg", False),
        (HtmlResponse, None, True),
    ],
)
def test_only_pages_and_feeds_are_kept(cls, content_type, kept):
    headers = {"Content-Type": content_type} if content_type else {}
    assert is_snapshot_worthy(cls(url="http://a/x", headers=headers, body=b"x")) is kept


# End to end ------------------------------------------------------------------------------------------
SAMPLE_PAGES = 53  # the feed, /newstream/, the source listings, their fragments, every article


@pytest.mark.slow
def test_a_crawl_stores_every_html_response_as_served(tmp_path_factory):
    path, base = sample_archive(tmp_path_factory)
    db_url = f"sqlite:///{path}"
    site = kcnawatch_site()
    run_id = scalar(db_url, "SELECT id FROM crawl_runs")
    rows = query(
        db_url,
        "SELECT p.url, p.site, p.status, p.content_type, p.charset, p.sha256, p.crawl_run_id, b.compression, b.size, b.body "
        "FROM pages p JOIN page_bodies b ON b.sha256 = p.sha256",
    )
    assert len(rows) == len({row[0] for row in rows}) == SAMPLE_PAGES
    assert f"{base}/robots.txt" not in {row[0] for row in rows}
    for url, spider, status, content_type, charset, digest, run, method, size, packed in rows:
        resource = site[url.removeprefix(base)]
        served = resource.body
        assert zlib.decompress(packed) == served
        assert digest == sha256(served).hexdigest()
        assert (spider, status, content_type, charset, run, method, size) == (
            "kcnawatch",
            200,
            resource.content_type,  # the feed is application/rss+xml, every other page HTML
            "utf-8",
            run_id,
            "zlib",
            len(served),
        )
    assert scalar(db_url, "SELECT COUNT(*) FROM pages WHERE sha256 IS NULL") == 0


@pytest.mark.slow
def test_identical_refetches_add_no_second_body(tmp_path_factory, tmp_path):
    db_url = copy_archive(sample_archive(tmp_path_factory)[0], tmp_path)
    digests_before = {row[0] for row in query(db_url, "SELECT sha256 FROM page_bodies")}
    with MirrorServer(kcnawatch_site()) as server:
        stats = crawl(db_url, server.base_url, refresh=True)
    second_run = stats["archiver/crawl_run_id"]
    refetched = query(db_url, "SELECT url, sha256 FROM pages WHERE crawl_run_id = :run", run=second_run)
    assert len(refetched) == stats["archiver/snapshots/pages"] == SAMPLE_PAGES
    assert {digest for _, digest in refetched} == digests_before
    assert stats["archiver/snapshots/bodies_new"] == 0
    assert scalar(db_url, "SELECT COUNT(*) FROM page_bodies") == len(digests_before)
    assert scalar(db_url, "SELECT COUNT(*) FROM pages") == 2 * SAMPLE_PAGES


@pytest.mark.slow
def test_snapshots_off_stores_no_page(tmp_path):
    db_url = f"sqlite:///{tmp_path / 'archive.sqlite'}"
    with MirrorServer(kcnawatch_site()) as server:
        stats = crawl(db_url, server.base_url, settings={"ARCHIVER_SNAPSHOTS": False})
    assert scalar(db_url, "SELECT COUNT(*) FROM articles") == 41
    assert scalar(db_url, "SELECT COUNT(*) FROM pages") == 0
    assert scalar(db_url, "SELECT COUNT(*) FROM page_bodies") == 0
    assert "archiver/snapshots/pages" not in stats
