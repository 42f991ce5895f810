"""`archiver bench`: the synthetic mirror, the timed pipelines, and a tiny end-to-end run (no timing assertions)."""

from __future__ import annotations

import io
import re

import pytest

from archiver.bench.crawl_mirror import LazyKcnaWatchSite, LazyRstvSite, kcnawatch_articles, repost_count, rstv_articles
from archiver.cli.bench import PARTS
from archiver.mirror.kcnawatch import KcnaWatchMirror
from archiver.mirror.rstv import RstvMirror
from tests.support.cli import run_archiver


def test_synthetic_articles_are_reproducible_and_varied():
    articles = kcnawatch_articles(300)
    assert [a.path for a in articles] == [a.path for a in kcnawatch_articles(300)]
    assert len({a.path for a in articles}) == 300
    assert len({a.source_slug for a in articles}) == 8
    assert repost_count(articles) == 3  # one in 97
    assert {len(a.paragraphs) for a in articles} >= {3, 8}
    assert any(a.title is None for a in kcnawatch_articles(1000))
    korean = [a for a in articles if not a.slug.isascii()]
    assert 40 < len(korean) < 120 and all("%ED" in a.path or "%EC" in a.path for a in korean)


def test_lazy_site_serves_exactly_what_the_mirror_builds():
    articles = kcnawatch_articles(130)
    site = LazyKcnaWatchSite(articles)
    built = site.build()
    # Articles, /newstream/, eight source listings and their "load more" fragments, robots.txt, the feed.
    assert len(built) > 130 + 8 + 3
    headless = [a for a in articles if site.style_of(a) == "c"]
    assert headless and all('class="entry-title"' not in site(a.path).body.decode() for a in headless)
    assert KcnaWatchMirror(articles).build().keys() == built.keys()
    assert site("/newstream/page/2/") is None
    assert site("/article/99999/") is None
    assert site("/newstream/source/nowhere/") is None
    assert site("/wp-admin/") is None


def test_rstv_synthetic_site_serves_what_the_mirror_builds():
    articles = rstv_articles(200)
    assert [a.path for a in articles] == [a.path for a in rstv_articles(200)]
    assert len({a.path for a in articles}) == 200
    assert {a.language for a in articles} == {"en", "ru", "zh", "de", "ko"}
    assert {a.module for a in articles} == {"blog", "news"}
    assert any(not a.listed for a in articles) and any(a.encoding == "windows-1251" for a in articles)
    built = RstvMirror(list(articles)).build()
    site = LazyRstvSite(articles)
    for path, resource in built.items():
        assert site(path) == resource, path
    assert site("/blog/2001-1-1") is not None  # a day without entries answers, empty
    assert site("/blog/nowhere") is None


@pytest.mark.slow
def test_tiny_bench_run_prints_every_figure():
    done = run_archiver("bench", "--articles", "60", "--only", "crawl", "--no-scrapy-bench", timeout=300)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "crawl of 60 synthetic KCNA Watch articles (0 reposts):" in out
    assert "crawl of 60 synthetic RSTV articles (0 reposts):" in out
    for label in ("pages/s", "articles/s", "peak RSS", "CPU time"):
        assert re.search(rf"^  {label}: +[\d,.]+", out, re.M), label
    # Every article, listing entry and address stored once; every page fetched (60 articles, the
    # feed, /newstream/, the source listings and their "load more" fragments), and every page kept.
    assert "stored:         60 articles, 60 article URLs, 60 listing entries, " in out
    assert re.search(
        r"stored: +60 articles, 60 article URLs, \d+ listing entries, ", out.split("synthetic RSTV articles")[-1]
    )
    pages = int(re.search(r"^  pages: +([\d,]+) in", out, re.M).group(1).replace(",", ""))
    assert pages >= 60 + 3 + 1  # articles, the newstream, robots.txt
    stages = dict(re.findall(r"(dates|text|dedup|store) ([\d.]+) s", out))
    assert set(stages) == {"dates", "text", "dedup", "store"}
    assert float(stages["store"]) > 0


@pytest.mark.slow
def test_bench_puts_every_crawl_figure_beside_scrapy_bench():
    done = run_archiver("bench", "--articles", "30", "--only", "crawl", timeout=300)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.startswith("benchmark: a crawl of 30 synthetic KCNA Watch and RSTV articles beside scrapy bench: about ")
    if "scrapy bench:   failed" in out:
        return
    assert re.search(r"^ +archiver +scrapy bench", out, re.M)
    for label, unit in (("pages/s", ""), ("CPU time", " s"), ("CPU per page", " ms"), ("peak RSS", " MB")):
        assert re.search(rf"^  {label}: +[\d,.]+{unit} +[\d,.]+{unit}", out, re.M), label
    assert re.search(r"^  pages/s: .* ratio \d+% \(target >= 85%\)$", out, re.M)
    assert re.search(r"^  load average: +[\d.]+ +[\d.]+ ", out, re.M)


def test_the_plan_says_how_long_and_the_default_is_quick():
    from archiver.bench.plan import FULL, QUICK, Plan

    quick = Plan(
        [p for p in PARTS if p != "memory"],
        QUICK["articles"],
        QUICK["dates"],
        QUICK["access_articles"],
        reparse_articles=QUICK["reparse_articles"],
    )
    assert quick.estimate() < 55  # a quiet machine; the issue asks for under a minute
    assert set(quick.seconds) == set(PARTS) - {"memory"}
    full = Plan(
        list(PARTS),
        FULL["articles"],
        FULL["dates"],
        FULL["access_articles"],
        reparse_articles=FULL["reparse_articles"],
        sites=["kcnawatch", "rstv"],
    )
    assert FULL["access_articles"] == 1_000_000 and max(FULL["articles"]) == 20_000
    assert 600 < full.estimate() < 5400
    assert set(full.seconds) == set(PARTS)
    reused = Plan(["access"], [], 0, 1_000_000, reuse_access=True)
    assert reused.estimate() < full.seconds["access"] - 250  # no build: most of the million's cost
    line = quick.describe()
    assert line.startswith(
        "benchmark: a crawl of 300 synthetic KCNA Watch articles beside scrapy bench, a reparse of a 100-article crawl, "
        "20,000 dates, a 100,000-link listing per spider, "
        "search and export over 20,000 articles, the date accuracy of site profiles over the page corpus: about "
    )
    assert re.search(r"about \d+ s on a quiet 2-CPU machine", line)


def test_count_by_month_counts_every_match_once(tmp_path):
    from archiver.archive.engine import open_archive
    from archiver.archive.readonly import open_readonly
    from archiver.bench.access import build, count_by_month, time_searches

    url = f"sqlite:///{tmp_path / 'a.sqlite'}"
    engine = open_archive(url)
    build(engine, 400, io.StringIO())
    engine.dispose()
    _, _, hits = time_searches(url, 1)
    reader = open_readonly(url)
    with reader.connect() as connection:
        months = count_by_month(connection, "delegation")
        assert sum(n for _, n in months) == hits["delegation"] > 0
        assert [m for m, _ in months] == sorted({m for m, _ in months})
        assert all(re.fullmatch(r"20[12]\d-[01]\d", m) for m, _ in months)
        kcna = count_by_month(connection, "delegation", site="kcnawatch")
        expected = connection.exec_driver_sql(
            "SELECT COUNT(*) FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid "
            "WHERE articles_fts MATCH 'delegation' AND a.site = 'kcnawatch'"
        ).scalar_one()
        assert sum(n for _, n in kcna) == expected < hits["delegation"]
    reader.dispose()


def test_bench_rejects_bad_sizes():
    done = run_archiver("bench", "--articles", "0")
    assert done.returncode == 2
    assert "at least 1" in done.stderr


@pytest.mark.slow
def test_the_reparse_benchmark_times_a_reparse_that_changes_nothing():
    done = run_archiver("bench", "--only", "reparse", "--reparse-articles", "40", "--workers", "2", timeout=300)
    assert done.returncode == 0, done.stderr
    line = re.search(
        r"^reparse of the ([\d,]+) stored pages of a 40-article crawl: [\d.]+ s = [\d,]+ pages/s "
        r"with 2 workers",
        done.stdout,
        re.M,
    )
    assert line and int(line.group(1)) >= 40 + 3  # the articles, the newstream pages
    assert (
        f"kcnawatch: {line.group(1)} pages reparsed (0 without a parser, 0 failed); articles 0 updated, 0 new"
        in done.stdout
    )
    assert "listing entries 0 new, 0 updated" in done.stdout
