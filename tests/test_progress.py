"""Progress while a run goes: true figures (walks begun and ended, pages, entries, articles stored),
a bar on a terminal and a line every N seconds elsewhere (archiver/progress.py,
archiver/extensions/progress.py, archiver/middlewares/walks.py).

The pipe case of whole runs is asserted where those runs already happen (tests/test_rstv_crawl.py's
day-archive backfills, tests/test_backfill.py's KCNA Watch backfill); here the terminal, through a
pseudo-terminal.
"""

from __future__ import annotations

import io
import logging
import os
import pty
import subprocess
import sys
from datetime import date

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.statscollectors import StatsCollector

from archiver.extensions.progress import counts, walks
from archiver.middlewares.walks import WalkDownloads, WalkPages
from archiver.mirror.rstv import RstvMirror
from archiver.mirror.sample_sites import rstv_articles
from archiver.mirror.server import MirrorServer
from archiver.progress import Display
from spiders.rstv_urls import MODULES
from tests.support.cli import FAST, PROJECT, archiver_command
from tests.support.progress import frames, progress_figures, summary_figures

START = {"archiver_walk": "start", "page_kind": "listing"}


class Stats(StatsCollector):
    def __init__(self) -> None:
        self._stats: dict = {}


def walk_page(url: str, walk: str, first: bool = True, kind: str = "listing") -> Request:
    meta = {"archiver_walk": "start", "archiver_walk_id": walk, "page_kind": kind}
    if not first:
        meta["archiver_barren_pages"] = 0
    return Request(url, meta=meta)


def response_to(request: Request) -> HtmlResponse:
    return HtmlResponse(request.url, body=b"<html></html>", request=request)


def test_walks_begin_when_scheduled_and_end_once_however_they_end() -> None:
    crawler = type("Crawler", (), {"stats": Stats()})()
    pages, downloads = WalkPages(crawler), WalkDownloads(crawler)
    first = [walk_page(f"http://x/day/{n}", f"http://x/day/{n}", kind="day_archive") for n in range(5)]
    for request in first:
        pages.request_scheduled(request)
    pages.request_scheduled(Request("http://x/article/1"))  # not a walk
    pages.request_dropped(first[4])  # a duplicate: it began nothing
    assert crawler.stats.get_stats() == {"archiver/walk/begun/day_archive": 4}

    # 0: its page gives the next page of its walk, then that page gives none: one end
    following = walk_page("http://x/day/0?page2", first[0].meta["archiver_walk_id"], first=False)
    assert list(pages.process_spider_output(response_to(first[0]), iter([following, {"item": 1}]))) == [
        following,
        {"item": 1},
    ]
    assert crawler.stats.get_value("archiver/walk/ended") is None
    list(pages.process_spider_output(response_to(following), iter([Request("http://x/article/2")])))
    assert crawler.stats.get_value("archiver/walk/ended") == 1
    # 1: the callback raised (an exception reaches both process_spider_exception and the end of the output)
    pages.process_spider_exception(response_to(first[1]), ValueError())
    list(pages.process_spider_output(response_to(first[1]), iter([])))
    assert crawler.stats.get_value("archiver/walk/ended") == 2
    # 2: not downloaded; 3: its next page dropped as a duplicate
    downloads.process_exception(first[2], Exception("gave up"))
    pages.request_dropped(walk_page("http://x/day/3?page2", first[3].meta["archiver_walk_id"], first=False))
    assert crawler.stats.get_value("archiver/walk/ended") == 4
    assert walks(crawler.stats.get_stats()) == (4, 4, "day archives")
    downloads.process_exception(Request("http://x/article/3"), Exception("not a walk"))
    assert crawler.stats.get_value("archiver/walk/ended") == 4


def test_figures_read_from_the_stats() -> None:
    stats = {
        "archiver/walk/begun/listing": 2,
        "archiver/walk/begun/day_archive": 1,
        "archiver/walk/ended": 1,
        "response_received_count": 1220,
        "archiver/items/listing_entry": 24380,
        "archiver/items/article": 1152,
        "archiver/articles/new": 1150,
        "archiver/http_errors/timeout": 2,
        "archiver/walk/oldest_listed_on": "2019-03-05",
    }
    assert walks(stats) == (1, 3, "listings")
    assert walks({"archiver/walk/planned": 90, "archiver/walk/begun/day_archive": 15}) == (0, 90, "day archives")
    assert counts(stats, 21) == (
        "1,220 pages, 24,380 entries, 1,152 articles fetched, 1,150 stored as new, 21 queued, 2 errors, "
        "oldest listing 2019-03-05"
    )


def test_a_line_every_interval_on_a_pipe_and_one_at_the_end() -> None:
    out = io.StringIO()
    display = Display(out, interval=3600)
    assert not display.terminal and display.tick == 3600
    task = display.task("rstv", "days")
    task.update(10, 90, "12 pages")
    assert out.getvalue() == ""  # not an hour yet
    task.started -= 60  # a minute ago: 10 days a minute, 80 left
    display.interval = 0
    task.update(10, 90, "12 pages")
    task.update(90, 90, "101 pages", final=True)
    assert out.getvalue().splitlines() == [
        "rstv: 10 of 90 days (11%), about 0:08:00 left; 12 pages",
        "rstv: 90 of 90 days (100%); 101 pages",
    ]
    display.interval = 3600
    quick = display.task("kcnawatch", "listings")
    quick.update(None, None, "3 pages", final=True)
    assert len(out.getvalue().splitlines()) == 2  # done before its first line: no last line either
    display.interval = 0
    unknown = display.task("kcnawatch", "listings")
    unknown.update(None, None, "3 pages")
    assert out.getvalue().splitlines()[-1] == "kcnawatch: 3 pages"


def test_on_a_terminal_a_bar_with_log_lines_above_it() -> None:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    logging.getLogger().addHandler(handler)
    try:
        display = Display(out, terminal=True)
        task = display.task("reparse kcnawatch", "pages")
        task.update(50, 200, "25 pages/s", final=True)
        logging.getLogger("archiver.test").warning("a line from the log")
        task.update(200, 200, "26 pages/s", final=True)
        display.close()
        assert handler.stream is out  # given back
    finally:
        logging.getLogger().removeHandler(handler)
    shown = frames(out.getvalue())
    log = shown.index("a line from the log")
    assert "50 of 200 pages (25%)" in shown[log - 1] and "25 pages/s" in shown[log - 1]
    assert shown[-1].startswith("reparse kcnawatch ") and shown[-1].endswith("200 of 200 pages (100%)  26 pages/s")


def run_on_a_terminal(*args: str) -> tuple[str, str, int]:
    """Run `archiver ARGS…` with stderr on a pseudo-terminal (stdout a pipe); what each gave, and the exit status."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        archiver_command(*args),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=follower,
        cwd=PROJECT,
        env={**os.environ, "COLUMNS": "200", "TERM": "xterm"},
    )
    os.close(follower)
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the other end closed
            break
        if not chunk:
            break
        shown += chunk
    stdout = process.stdout.read().decode() if process.stdout else ""
    os.close(leader)
    return shown.decode("utf-8", "replace"), stdout, process.wait(timeout=60)


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals")
def test_a_day_archive_backfill_on_a_terminal(tmp_path) -> None:
    """The bar knows the number of days from the start, and ends on the summary's figures."""
    since, until = date(2024, 6, 15), date(2024, 6, 21)
    days = (until - since).days * len(MODULES) + len(MODULES)  # a day archive per day and module
    with MirrorServer(RstvMirror(list(rstv_articles())).lookup) as server:
        shown, stdout, status = run_on_a_terminal(
            "backfill", "rstv", "--since", since.isoformat(), "--until", until.isoformat(),
            "--base-url", server.base_url, "--db", f"sqlite:///{tmp_path / 'archive.sqlite'}", *FAST,
        )  # fmt: skip
    assert status == 0, shown
    figures = progress_figures(shown)
    assert len(figures) >= 2, shown
    assert {(f["total"], f["unit"]) for f in figures if f["total"] is not None} == {(days, "day archives")}
    assert "\x1b[" in shown  # drawn, not printed line by line
    final, summary = figures[-1], summary_figures(stdout)
    assert (final["done"], final["total"]) == (days, days)
    assert final["pages"] == summary["pages"] and final["new"] == summary["new"] > 0
