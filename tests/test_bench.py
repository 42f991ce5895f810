"""`archiver bench`: the synthetic mirror, the timed pipelines, and a tiny end-to-end run (no timing assertions)."""

from __future__ import annotations

import re

import pytest

from archiver.bench.crawl import LazyKcnaWatchSite, repost_count, synthetic_articles
from archiver.mirror.kcnawatch import KcnaWatchMirror
from tests.support.cli import run_archiver


def test_synthetic_articles_are_reproducible_and_varied():
    articles = synthetic_articles(300)
    assert [a.path for a in articles] == [a.path for a in synthetic_articles(300)]
    assert len({a.path for a in articles}) == 300
    assert len({a.source_slug for a in articles}) == 6
    assert repost_count(articles) == 3  # one in 97
    assert {len(a.paragraphs) for a in articles} >= {3, 8}
    assert any(a.title is None for a in synthetic_articles(1000))


def test_lazy_site_serves_exactly_what_the_mirror_builds():
    articles = synthetic_articles(130)
    built = KcnaWatchMirror(list(articles)).build()
    site = LazyKcnaWatchSite(articles)
    # Articles, /newstream/, six source listings and their "load more" fragments, robots.txt, the feed.
    assert len(built) > 130 + 6 + 3
    for path, resource in built.items():
        assert site(path) == resource, path
    assert site("/newstream/page/2/") is None
    assert site("/article/99999/") is None
    assert site("/newstream/source/nowhere/") is None
    assert site("/wp-admin/") is None


@pytest.mark.slow
def test_tiny_bench_run_prints_every_figure():
    done = run_archiver("bench", "--articles", "60", "--only", "crawl", "--no-scrapy-bench", timeout=300)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "crawl of 60 synthetic articles (0 reposts):" in out
    for label in ("pages/s", "articles/s", "peak RSS", "CPU time"):
        assert re.search(rf"^  {label}: +[\d,.]+", out, re.M), label
    # Every article, listing entry and address stored once; every page fetched (60 articles, the
    # feed, /newstream/, the source listings and their "load more" fragments), and every page kept.
    assert "stored:         60 articles, 60 article URLs, 60 listing entries, " in out
    pages = int(re.search(r"^  pages: +([\d,]+) in", out, re.M).group(1).replace(",", ""))
    assert pages >= 60 + 3 + 1  # articles, the newstream, robots.txt
    stages = dict(re.findall(r"(dates|text|dedup|store) ([\d.]+) s", out))
    assert set(stages) == {"dates", "text", "dedup", "store"}
    assert float(stages["store"]) > 0


@pytest.mark.slow
def test_bench_compares_with_scrapy_bench():
    done = run_archiver("bench", "--articles", "30", "--only", "crawl", timeout=300)
    assert done.returncode == 0, done.stderr
    assert re.search(r"^  scrapy bench: +([\d,.]+ pages/s|failed)", done.stdout, re.M)
    if "failed" not in done.stdout:
        assert re.search(r"^  ratio: +\d+% of scrapy bench", done.stdout, re.M)


def test_bench_rejects_bad_sizes():
    done = run_archiver("bench", "--articles", "0")
    assert done.returncode == 2
    assert "at least 1" in done.stderr
