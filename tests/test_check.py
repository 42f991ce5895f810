"""`archiver check SITE [--url URL …] [--base-url URL]` (issue 16): parse sample pages, store nothing, say what came out."""

from __future__ import annotations

import re
import time

import pytest

from archiver.mirror.server import MirrorServer
from spiders.kcnawatch import KcnaWatchSpider
from spiders.rstv import RstvSpider
from tests.support.cli import run_archiver
from tests.support.imagined_markup import IMAGINED_SITES
from tests.support.yield_site import (
    ARTICLES_WITHOUT_DATES,
    GOOD,
    NEW_LISTING_MARKUP,
    SPIDER_ENV,
    YieldSite,
    stories,
)

pytestmark = pytest.mark.slow
NO_DELAY = ("-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0")


def check(server: MirrorServer, *args: str, site: str = "yieldsite", tmp_path=None):
    env = dict(SPIDER_ENV)
    if tmp_path is not None:  # where a crawl would write: a check must not
        env["ARCHIVER_DB_URL"] = f"sqlite:///{tmp_path / 'archive.sqlite'}"
    return run_archiver("check", site, "--base-url", server.base_url, *NO_DELAY, *args, env=env)


def table(stdout: str) -> list[list[str]]:
    """The table's rows as cells (split on runs of two or more spaces), header and rule left out."""
    lines = stdout.splitlines()
    rule = next(n for n, line in enumerate(lines) if line.startswith("----"))
    body = [line for line in lines[rule + 1 :] if not line.startswith("yieldsite")]
    return [re.split(r"\s{2,}", line.strip()) for line in body]


def test_a_site_as_the_spider_expects_passes_with_a_full_table(tmp_path):
    with MirrorServer(YieldSite(stories(12), GOOD)) as server:
        result = check(server, tmp_path=tmp_path)
        hits = dict(server.hits)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    rows = table(result.stdout)
    assert rows == [
        ["/list/", "listing", "6", "article_url", "/story/12", "6/6", "ok"],
        ["listing", "6", "listed_on", "2024-01-13", "6/6", "ok"],
        ["/list/?page2", "listing", "6", "article_url", "/story/6", "6/6", "ok"],
        ["listing", "6", "listed_on", "2024-01-07", "6/6", "ok"],
        ["/story/1", "article", "0", "title", "Story number 1 of the day", "1/1", "ok"],
        ["article", "0", "body", "Paragraph one of story 1: a meeting was…", "1/1", "ok"],
        ["article", "0", "published_on", "2024-01-02", "1/1", "ok"],
        ["/story/2", "article", "0", "title", "Story number 2 of the day", "1/1", "ok"],
        ["article", "0", "body", "Paragraph one of story 2: a meeting was…", "1/1", "ok"],
        ["article", "0", "published_on", "2024-01-03", "1/1", "ok"],
    ]
    assert result.stdout.splitlines()[-1] == "yieldsite: 4 of 4 pages gave every required field"
    # Exactly the sample pages and robots.txt, once each: no link was followed.
    assert hits == {"/robots.txt": 1, "/list/": 1, "/list/?page2": 1, "/story/1": 1, "/story/2": 1}
    assert not (tmp_path / "archive.sqlite").exists()


def test_a_site_whose_markup_changed_fails_and_says_which_kinds_and_fields(tmp_path):
    with MirrorServer(YieldSite(stories(12), NEW_LISTING_MARKUP)) as server:
        listing = check(server, tmp_path=tmp_path)
        base = server.base_url
    assert listing.returncode == 1
    assert ["/list/", "listing", "0", "nothing found", "FAIL"] in table(listing.stdout)
    assert f"yieldsite: listing page: no entries found — {base}/list/" in listing.stdout.splitlines()
    assert listing.stdout.splitlines()[-1] == "yieldsite: 2 of 4 pages gave every required field"

    with MirrorServer(YieldSite(stories(12), ARTICLES_WITHOUT_DATES)) as server:
        undated = check(server, tmp_path=tmp_path)
        base = server.base_url
    assert undated.returncode == 1
    rows = table(undated.stdout)
    assert ["article", "0", "published_on", "—", "0/1", "FAIL"] in rows
    assert ["/story/1", "article", "0", "title", "Story number 1 of the day", "1/1", "ok"] in rows
    assert f"yieldsite: article page: empty: published_on — {base}/story/1" in undated.stdout.splitlines()
    assert not (tmp_path / "archive.sqlite").exists()


def test_pages_given_with_url_are_parsed_by_the_callback_for_their_address():
    with MirrorServer(YieldSite(stories(3))) as server:
        result = check(server, "--url", "/story/3", "--url", f"{server.base_url}/story/404", "--all-fields")
    assert result.returncode == 1
    rows = table(result.stdout)
    assert rows[0] == ["/story/3", "article", "0", "title", "Story number 3 of the day", "1/1", "ok"]
    assert ["article", "0", "date_raw", "04.01.2024", "1/1"] in rows  # --all-fields: the others too
    assert ["article", "0", "source", "—", "0/1"] in rows  # not required: no verdict
    assert rows[-1] == ["/story/404", "article", "0", "fetch failed: HTTP 404", "FAIL"]


def test_async_callbacks_are_checked_too():
    with MirrorServer(YieldSite(stories(3))) as server:
        result = check(server, "--url", "/story/2", site="yieldsite_async")
    assert result.returncode == 0, result.stdout + result.stderr
    assert table(result.stdout)[0] == ["/story/2", "article", "0", "title", "Story number 2 of the day", "1/1", "ok"]


def test_robots_txt_is_obeyed():
    with MirrorServer(YieldSite(stories(3))) as server:
        result = check(server, "--url", "/private/secret")
        hits = dict(server.hits)
    assert result.returncode == 1
    assert "not fetched: Forbidden by robots.txt" in result.stdout
    assert hits == {"/robots.txt": 1}


def test_the_spiders_delay_applies():
    site = YieldSite(stories(12))
    times: list[float] = []

    def timed(target: str):
        times.append(time.monotonic())
        return site(target)

    with MirrorServer(timed) as server:
        result = run_archiver(
            "check", "yieldsite", "--base-url", server.base_url, "-s", "AUTOTHROTTLE_ENABLED=0", env=SPIDER_ENV
        )
    assert result.returncode == 0, result.stdout
    # Five requests (robots.txt and four pages) one DOWNLOAD_DELAY (1 s, randomized 0.5–1.5 s) apart.
    assert len(times) == 5
    assert times[-1] - times[0] >= 4 * 0.5


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("check", "nosuchsite"), "archiver: error: unknown spider nosuchsite (known: "),
        (("check", "yieldsite_bare"), "archiver: error: yieldsite_bare names no check_urls: give pages with --url"),
        (("check", "yieldsite", "--url", "ftp://x/y"), "archiver: error: --url must be an http(s) URL"),
        (
            ("check", "yieldsite", "--base-url", "http://127.0.0.1:9"),
            "archiver: error: cannot reach http://127.0.0.1:9",
        ),
        (
            ("check", "yieldsite", "--base-url", "nope"),
            "archiver check: error: argument --base-url: not an http(s) URL",
        ),
        (("check", "yieldsite", "-s", "nothing"), "archiver: error: --set takes NAME=VALUE"),
    ],
)
def test_bad_usage_is_one_line_and_exit_2(args, message):
    result = run_archiver(*args, env=SPIDER_ENV)
    assert result.returncode == 2
    assert result.stderr.startswith(message), result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert result.stdout == ""


@pytest.mark.parametrize("spider", [KcnaWatchSpider, RstvSpider], ids=lambda s: s.name)
def test_a_mirror_of_the_old_imagined_markup_fails_the_check(spider):
    """The spiders rewritten to the real sites must not pass on the markup once imagined for them."""
    if not spider.check_urls:
        pytest.skip(f"{spider.name} names no check_urls yet (its rewrite to the real site adds them)")
    with MirrorServer(IMAGINED_SITES[spider.name]()) as server:
        result = run_archiver("check", spider.name, "--base-url", server.base_url, *NO_DELAY)
    assert result.returncode == 1, result.stdout
    failures = [
        line for line in result.stdout.splitlines() if line.startswith(f"{spider.name}: ") and " page: " in line
    ]
    assert failures, result.stdout
    assert "FAIL" in result.stdout


def test_values_are_cut_in_the_table_only() -> None:
    """The table cuts a value to what the terminal shows (at least 40 characters); CSV and JSON Lines never."""
    import io
    import json
    from datetime import date

    from archiver.crawl.check import TABLE_COLUMNS, CheckReport, PageCheck, table_rows, value_width
    from archiver.items import ArticleItem
    from archiver.research.output import write_rows

    body = "A long paragraph of the story, " * 8
    item = ArticleItem(site="s", url="http://s/story/1", title="Title", paragraphs=[body, "Second."])
    item.body, item.published_on = body + "\n\nSecond.", date(2024, 1, 2)
    report = CheckReport("s", [PageCheck("http://s/story/1", "article", ("title", "body", "published_on"), [item])])
    whole = table_rows(report, width=None)
    out = io.StringIO()
    write_rows(TABLE_COLUMNS, whole, "jsonl", out)
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [r["value"] for r in records] == ["Title", body + "\n\nSecond.", "2024-01-02"]
    cut = table_rows(report, width=value_width(whole, 80))
    assert cut[1][4] == body[:39] + "…"  # 80 columns leave less than 40: 40
    wide = value_width(whole, 200)
    assert wide == 200 - (len("/story/1") + len("article") + len("entries") + len("published_on") + 6 + 5) - 12
    assert table_rows(report, width=wide)[1][4] == (body + " Second.")[: wide - 1] + "…"
