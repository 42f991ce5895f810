"""The archive's Datasette plugin, in process: the search box takes words as typed, best matches on
request, canned queries without holes, long texts cut in tables only.

One Datasette on the small archive of tests/support/browse_archive.py for the module, queried through
its ASGI client (the plugin's request rewriting included). The expected rows are written out per term
(EXPECTED) and must also be `archiver search`'s, in its order.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlencode

import pytest

pytest.importorskip("datasette")

from archiver.archive.readonly import open_readonly
from archiver.research.browse import SETTINGS
from archiver.research.search import search
from tests.support.browse_archive import EXPECTED, LONG_BODY, STORIES, InProcess, build, ids_by_story

TERMS = list(EXPECTED)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    path = build(tmp_path_factory.mktemp("plugin"))
    datasette = InProcess(path)
    try:
        yield datasette, path, ids_by_story(path)
    finally:
        datasette.close()


def stories(ids: dict[str, int], rows) -> list[str]:
    names = {number: name for name, number in ids.items()}
    return [names[row["id"]] for row in rows]


def archiver_search(path, terms: str) -> list:
    engine = open_readonly(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:
            return search(connection, terms, limit=100)
    finally:
        engine.dispose()


@pytest.mark.parametrize("terms", TERMS)
def test_search_box_finds_exactly_the_expected_rows(served, terms):
    datasette, path, ids = served
    rows = datasette.json(f"/archive/articles.json?_search={quote(terms)}&_shape=array&_size=max")
    assert sorted(stories(ids, rows)) == sorted(EXPECTED[terms])
    assert {row["id"] for row in rows} == {hit.article_id for hit in archiver_search(path, terms)}


@pytest.mark.parametrize("terms", TERMS)
def test_sort_by_rank_gives_archiver_searchs_order(served, terms):
    datasette, path, ids = served
    response = datasette.get(f"/archive/articles.json?_search={quote(terms)}&_sort=rank&_shape=array")
    assert response.status_code == 302
    assert response.headers["location"] == "/archive/search.json?" + urlencode({"terms": terms, "_shape": "array"})
    rows = datasette.json(response.headers["location"])
    assert stories(ids, rows) == EXPECTED[terms]
    hits = archiver_search(path, terms)
    assert [(r["id"], r["snippet"], r["score"]) for r in rows] == [
        (h.article_id, h.snippet, round(h.score, 3)) for h in hits
    ]
    assert [r["rank"] for r in rows] == list(range(1, len(rows) + 1))


def test_the_page_keeps_the_terms_for_its_links_facets_and_box(served):
    datasette, _, ids = served
    page = datasette.get("/archive/articles?_search=U.S.&_facet=source").text
    assert '<input id="_search" type="search" name="_search" value="U.S.">' in page
    assert "2 rows where search matches" in page
    # Links the page makes (facets, sorting) carry the terms as _terms, which the plugin takes too.
    assert "_terms=U.S." in page
    facets = datasette.json("/archive/articles.json?_terms=U.S.&_facet=source")["facet_results"]
    results = facets.get("results", facets)["source"]["results"]
    assert {(v["value"], v["count"]) for v in results} == {("KCNA (EN)", 1), ("Rodong Sinmun", 1)}
    # A new search typed in the box replaces the one the form carries along.
    rows = datasette.json("/archive/articles.json?_search=anti-DPRK&_terms=U.S.&_shape=array")
    assert sorted(stories(ids, rows)) == sorted(EXPECTED["anti-DPRK"])
    # The table's menu offers the ranked search.
    assert '<a href="/archive/search?terms=U.S.">Best matches first for “U.S.”</a>' in page


def test_an_empty_box_shows_every_row(served):
    datasette, _, _ = served
    rows = datasette.json("/archive/articles.json?_search=&_terms=U.S.&_shape=array&_size=max")
    assert len(rows) == len(STORIES)


@pytest.mark.parametrize(
    "path",
    [
        "/archive/articles.json?_search=AND",
        "/archive/articles?_search=AND",
        "/archive/search.json?terms=AND",
        "/archive/mentions_per_month_per_source?term=AND&since=&until=",
    ],
)
def test_terms_that_cannot_be_searched_are_one_line_400(served, path):
    datasette, _, _ = served
    response = datasette.get(path)
    assert response.status_code == 400
    message = response.json()["error"] if ".json" in path else response.text.rstrip("\n")
    assert message == (
        'cannot search for \'AND\': fts5: syntax error near "AND" (quote phrases with "…"; AND, OR, NOT need '
        "terms on both sides)"
    )


def test_sort_by_rank_without_terms_and_bad_days_are_400(served):
    datasette, _, _ = served
    response = datasette.get("/archive/articles?_sort=rank")
    assert (response.status_code, response.text) == (
        400,
        "sort by rank needs search terms: add _search=… (e.g. ?_search=Pyongyang&_sort=rank)\n",
    )
    response = datasette.get("/archive/mentions_per_month_per_source.json?term=U.S.&since=2024-13&until=")
    assert response.status_code == 400
    assert response.json()["error"] == "since: not a day (YYYY-MM-DD): '2024-13'"


def test_mentions_per_month_fill_empty_months_with_zero(served):
    datasette, _, _ = served
    rows = datasette.json("/archive/mentions_per_month_per_source.json?term=Pyongyang*&since=&until=&_shape=array")
    # Found: January and April (KCNA (EN)); the Rodong Sinmun story is undated, so not drawn.
    assert [(r["month"], r["source"], r["articles"]) for r in rows] == [
        ("2024-01", "KCNA (EN)", 1),
        ("2024-02", "KCNA (EN)", 0),
        ("2024-03", "KCNA (EN)", 0),
        ("2024-04", "KCNA (EN)", 1),
    ]
    rows = datasette.json(
        "/archive/mentions_per_month_per_source.json?term=anti-DPRK&since=2023-12-01&until=2024-02-29&_shape=array"
    )
    assert [(r["month"], r["source"], r["articles"]) for r in rows] == [
        ("2023-12", "KCNA (EN)", 0),
        ("2024-01", "KCNA (EN)", 1),
        ("2024-02", "KCNA (EN)", 0),
    ]
    assert datasette.json("/archive/mentions_per_month_per_source.json?term=&since=&until=&_shape=array") == []


def test_articles_per_month_per_source_fill_empty_months_with_zero(served):
    datasette, _, _ = served
    rows = datasette.json("/archive/articles_per_month_per_source.json?_shape=array")
    counts = {(r["month"], r["source"]): r["articles"] for r in rows}
    months = ["2024-01", "2024-02", "2024-03", "2024-04"]
    sources = ["KCNA (EN)", "RSTV", "Rodong Sinmun"]
    assert list(counts) == [(m, s) for m in months for s in sources]
    assert [counts[(m, "Rodong Sinmun")] for m in months] == [0, 0, 1, 2]
    assert [counts[(m, "KCNA (EN)")] for m in months] == [3, 1, 1, 3]
    assert sum(counts.values()) == len([s for s in STORIES.values() if s.published_on])


def test_long_texts_are_cut_in_tables_and_whole_on_the_row_page(served):
    datasette, _, ids = served
    limit = SETTINGS["truncate_cells_html"]
    table = datasette.get("/archive/articles?_search=anti-DPRK").text
    cells = re.findall(r'<td class="col-body[^"]*">(.*?)</td>', table, re.S)
    assert LONG_BODY[:limit] + "…" in cells
    row = datasette.get(f"/archive/articles/{ids['anti-title']}").text
    assert LONG_BODY.strip() in row


def test_the_front_page_opens_the_archive_which_lists_articles_first(served):
    datasette, _, _ = served
    response = datasette.get("/")
    assert (response.status_code, response.headers["location"]) == (302, "/archive")
    page = datasette.get("/archive").text
    # Datasette sorts tables by name; the plugin's script moves articles up (tests/test_browse.py
    # checks the order a browser shows).
    assert 'var first = "articles";' in page
    assert re.search(r'<a href="/archive/search" title="[^"]*">Search, best matches first</a>', page)
