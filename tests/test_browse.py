"""`archiver browse`: Datasette in its own process on a small archive, queried over HTTP and looked at
in a real browser (headless Chromium from the OS packages; those tests skip where it is absent).

The archive is tests/support/browse_archive.py's; tests/test_datasette_plugin.py checks the plugin's
answers in detail, in process. Here: what the command starts (the plugin loaded, the settings, the
shipped metadata), the chart drawn, the tables' order as a browser shows it.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import time
import urllib.request
from urllib.parse import quote

import pytest

from archiver.cli import build_parser, main
from archiver.research.browse import metadata_for
from tests.support.archive import query
from tests.support.browse_archive import EXPECTED, build, ids_by_story
from tests.support.cli import PROJECT
from tests.support.pictures import browse, chromium, png_size

pytest.importorskip("datasette")
pytestmark = pytest.mark.slow

needs_chromium = pytest.mark.skipif(chromium() is None, reason="no chromium (apt-get install chromium)")
WINDOW = (1200, 1400)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get_json(url: str):
    with urllib.request.urlopen(url, timeout=20) as response:
        return json.loads(response.read().decode("utf-8"))


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    path = build(tmp_path_factory.mktemp("browse"))
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "archiver", "browse", "--db", f"sqlite:///{path}", "--port", str(port)],
        cwd=PROJECT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}/archive"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                get_json(f"{base}.json")
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(process.communicate(timeout=5)) from None
                time.sleep(0.3)
        yield base, path
    finally:
        process.terminate()
        process.wait(timeout=20)
        # Datasette stops with it: nothing answers on the port any more.
        with pytest.raises(OSError):
            get_json(f"{base}.json")


def test_the_search_box_takes_a_phrase_and_finds_exactly_its_rows(served):
    base, path = served
    ids = ids_by_story(path)
    rows = get_json(f"{base}/articles.json?_search={quote(chr(34) + 'Kim Jong Un' + chr(34))}&_shape=array")
    assert sorted(row["id"] for row in rows) == sorted(ids[story] for story in EXPECTED['"Kim Jong Un"'])
    # The same by plain SQL, without the index: the phrase in the title, body or teaser.
    plain = query(
        f"sqlite:///{path}",
        "SELECT COUNT(*) FROM articles WHERE lower(coalesce(title, '') || ' ' || coalesce(body, '') || ' ' "
        "|| coalesce(teaser, '')) LIKE '%kim jong un%'",
    )[0][0]
    assert len(rows) == plain == 2


def test_the_articles_page_has_a_search_box_facets_and_cut_cells(served):
    base, _ = served
    with urllib.request.urlopen(f"{base}/articles?_search=anti-DPRK", timeout=20) as response:
        page = response.read().decode("utf-8")
    assert '<input id="_search" type="search" name="_search" value="anti-DPRK">' in page
    cells = re.findall(r'<td class="col-body[^"]*">(.*?)</td>', page, re.S)
    assert max(len(cell) for cell in cells) == 201  # 200 characters and "…"
    facets = get_json(f"{base}/articles.json?_facet=site&_size=0")["facet_results"]
    results = facets.get("results", facets)
    assert {v["value"] for v in results["site"]["results"]} == {"kcnawatch", "rstv"}


def test_best_matches_first_through_the_plugins_sql_function(served):
    base, path = served
    ids = ids_by_story(path)
    rows = get_json(f"{base}/articles.json?_search=Pyongyang*&_sort=rank&_shape=array")  # redirected
    assert [row["id"] for row in rows] == [ids[story] for story in EXPECTED["Pyongyang*"]]


def test_browse_without_an_archive_is_one_line(tmp_path, capsys):
    assert main(["browse", "--db", f"sqlite:///{tmp_path / 'none.sqlite'}"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("archiver: error: no archive at") and err.count("\n") == 1


def test_browse_and_mirror_default_to_different_ports():
    parser = build_parser()
    assert parser.parse_args(["browse"]).port == 8001
    assert parser.parse_args(["mirror", "kcnawatch"]).port == 8000


@needs_chromium
def test_the_database_page_lists_articles_first_in_a_browser(served):
    base, _ = served
    dom = browse(base)
    tables = re.findall(r'<div class="db-table">\s*<h3><a href="[^"]*">([^<]+)</a>', dom)
    assert tables[0] == "articles" and sorted(tables) == sorted(set(tables)) and "pages" in tables


@needs_chromium
def test_the_mentions_chart_is_drawn_in_a_browser(served, tmp_path):
    pytest.importorskip("datasette_vega")
    base, _ = served
    fragment = metadata_for("archive")["databases"]["archive"]["queries"]["mentions_per_month_per_source"]["fragment"]
    terms = quote("Pyongyang* OR U.S.")
    url = f"{base}/mentions_per_month_per_source?term={terms}&since=2023-11-01&until=2024-06-30#{fragment}"
    screenshot = tmp_path / "chart.png"
    dom = browse(url, screenshot=screenshot, size=WINDOW, wait_ms=10_000)
    # datasette-vega drew the rows (a canvas of marks inside the chart) under its options.
    assert re.search(r'<div class="vega-embed[^"]*"[^>]*>.*?<canvas[^>]*class="marks"', dom, re.S)
    assert "Charting options" in dom
    assert png_size(screenshot) == WINDOW
    assert screenshot.stat().st_size > 30_000  # a page with a chart, not a blank one
