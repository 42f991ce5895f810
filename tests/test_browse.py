"""`archiver browse`: Datasette on the demo archive, queried over HTTP.

Depends on the bundled sample sites (archiver/mirror) holding articles that mention "Juche"; the
expected rows come from the archive itself (SQL and archiver.research.search), not from the sites.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from archiver.archive.readonly import open_readonly
from archiver.research.search import count_by, search
from tests.support.archive import query
from tests.support.cli import PROJECT, run_archiver

pytest.importorskip("datasette")
pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get_json(url: str):
    with urllib.request.urlopen(url, timeout=20) as response:
        return json.loads(response.read().decode("utf-8"))


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    folder = tmp_path_factory.mktemp("browse")
    db = folder / "demo.sqlite"
    demo = run_archiver("demo", "--db", f"sqlite:///{db}", timeout=300)
    assert demo.returncode == 0, demo.stdout + demo.stderr
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "archiver", "browse", "--db", f"sqlite:///{db}", "--port", str(port)],
        cwd=PROJECT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}/demo"
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
        yield base, f"sqlite:///{db}"
    finally:
        process.terminate()
        process.wait(timeout=20)
        # Datasette stops with it: nothing answers on the port any more.
        with pytest.raises(OSError):
            get_json(f"{base}.json")


def test_search_finds_exactly_the_matching_rows(served):
    base, db_url = served
    rows = get_json(f"{base}/articles.json?_search=juche&_shape=array&_size=max")
    engine = open_readonly(db_url)
    with engine.connect() as connection:
        expected = {hit.article_id for hit in search(connection, "juche", limit=1000)}
    engine.dispose()
    total = query(db_url, "SELECT COUNT(*) FROM articles")[0][0]
    assert expected and len(expected) < total  # a real filter, not every row
    assert {row["id"] for row in rows} == expected
    # The same by plain SQL, without the index: the word in the title, body or teaser.
    plain = query(
        db_url,
        "SELECT COUNT(*) FROM articles WHERE lower(coalesce(title, '') || ' ' || coalesce(body, '') || ' ' "
        "|| coalesce(teaser, '')) LIKE '%juche%'",
    )[0][0]
    assert len(rows) == plain


def test_the_articles_page_has_a_search_box_and_facets(served):
    base, _ = served
    with urllib.request.urlopen(f"{base}/articles", timeout=20) as response:
        page = response.read().decode("utf-8")
    assert 'name="_search"' in page
    facets = get_json(f"{base}/articles.json?_facet=site&_size=0")["facet_results"]
    results = facets.get("results", facets)
    assert {v["value"] for v in results["site"]["results"]} == {"kcnawatch", "rstv"}


def test_canned_query_counts_mentions_per_month(served):
    base, db_url = served
    rows = get_json(f"{base}/mentions_per_month_per_source.json?term=juche&since=&until=&_shape=array")
    engine = open_readonly(db_url)
    with engine.connect() as connection:
        expected = count_by(connection, "juche", ["month", "source"])
    engine.dispose()
    assert [(r["month"], r["source"], r["articles"]) for r in rows] == expected
    assert sum(r["articles"] for r in rows) == len(
        get_json(f"{base}/articles.json?_search=juche&_shape=array&_size=max")
    )


def test_browse_without_an_archive_is_one_line(tmp_path):
    result = run_archiver("browse", "--db", f"sqlite:///{tmp_path / 'none.sqlite'}")
    assert result.returncode == 2 and result.stderr.startswith("archiver: error: no archive at")
