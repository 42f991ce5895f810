"""Article pages gone for good: a 404 on ARCHIVER_GONE_AFTER runs stops failing the nightly crawl.

Depends on the KCNA Watch mirror of tests/support/sites.py (newstream pages, one article a day)
and on crawl_runs / gone_urls rows, not on the spider's markup.
"""

from __future__ import annotations

from datetime import date

from archiver.archive.incremental import ArchiveKnowledge, Entry, WalkPolicy
from archiver.mirror.server import MirrorServer
from tests.support.archive import query
from tests.support.cli import FAST, run_archiver
from tests.support.sites import MirrorSite, daily_articles


def test_gone_addresses_are_skipped_by_crawls_only() -> None:
    knowledge = ArchiveKnowledge(frozenset(), gone=frozenset({"http://x/gone"}))
    assert WalkPolicy(knowledge).take(Entry("http://x/gone")) == "gone"
    assert WalkPolicy(knowledge, mode="backfill").take(Entry("http://x/gone")) is None
    assert WalkPolicy(knowledge, refresh=True).take(Entry("http://x/gone")) is None


def test_an_article_404_on_three_runs_is_gone_and_no_longer_fails_the_run(db_url) -> None:
    articles = daily_articles(date(2024, 5, 1), 6)
    site = MirrorSite(articles)
    missing = articles[2].path
    del site.pages[missing]  # still listed, its page answers 404
    with MirrorServer(site) as server:
        crawl = ["crawl", "kcnawatch", "--base-url", server.base_url, "--db", db_url, *FAST]
        results = []
        for _ in range(4):
            server.hits.clear()
            results.append(run_archiver(*crawl))
            results[-1].hits = server.hits[missing]
    assert [r.returncode for r in results] == [1, 1, 0, 0], [r.stdout + r.stderr for r in results]
    assert [r.hits for r in results] == [1, 1, 1, 0]  # the fourth run does not ask for it
    assert results[0].stdout.rstrip().endswith("; 1 errors: HTTP 404 ×1 (127.0.0.1)")
    assert results[2].stdout.rstrip().endswith("; 1 article gone for good (404/410 on several runs); 0 errors")
    assert "gone" not in results[3].stdout and results[3].stdout.rstrip().endswith("; 0 errors")
    assert query(db_url, "SELECT status FROM crawl_runs ORDER BY id") == [("errors",), ("errors",), ("ok",), ("ok",)]
    ((url, status, failed_runs, gone),) = query(
        db_url, "SELECT url, status, failed_runs, gone_at IS NOT NULL FROM gone_urls"
    )
    assert url.endswith(missing) and (status, failed_runs, gone) == (404, 3, 1)
    assert query(db_url, "SELECT COUNT(*) FROM articles") == [(5,)]


def test_a_gone_page_that_comes_back_is_forgotten(db_url) -> None:
    articles = daily_articles(date(2024, 5, 1), 4)
    site = MirrorSite(articles)
    missing = articles[1].path
    page = site.pages.pop(missing)
    with MirrorServer(site) as server:
        crawl = [
            "crawl",
            "kcnawatch",
            "--base-url",
            server.base_url,
            "--db",
            db_url,
            *FAST,
            "-s",
            "ARCHIVER_GONE_AFTER=1",
        ]
        first = run_archiver(*crawl)
        assert first.returncode == 0, first.stdout + first.stderr
        assert query(db_url, "SELECT failed_runs, gone_at IS NOT NULL FROM gone_urls") == [(1, 1)]
        site.pages[missing] = page
        refreshed = run_archiver(*crawl, "--refresh")  # --refresh asks for gone pages again
        assert refreshed.returncode == 0, refreshed.stdout + refreshed.stderr
    assert query(db_url, "SELECT COUNT(*) FROM gone_urls") == [(0,)]
    assert query(db_url, "SELECT COUNT(*) FROM articles") == [(4,)]
