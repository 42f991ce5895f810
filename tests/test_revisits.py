"""Revisits end to end: sites that change between runs, crawled night after night (issue 28).

The toy site of tests/support/revisitsite.py lives through SCENARIO in one process (a crawl per
step): a title corrected, a paragraph removed, a date changed, two articles deleted (404), one
redirected to the home page, one of the deleted restored; then a night with nothing due, and the
budget (the age schedule's other cases and the sample are in tests/test_revisions.py). Asserted: every request each run made (exact, with the status the site answered), the
summary lines, every version and its page, the takedown and restoration times (within the run
that saw them), `archiver changes` and its canned query, `archiver stats`, and that a reparse
gives the same versions. Then the bundled KCNA Watch mirror, altered between runs.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import subprocess
import sys

import pytest

from archiver.archive.engine import make_engine
from archiver.cli import main
from archiver.crawl.runner import base_settings
from archiver.research.reparse import reparse
from tests.support import revisitsite as toy
from tests.support.archive import query
from tests.support.cli import PROJECT

pytestmark = pytest.mark.slow

TOY_SPIDERS = {"SPIDER_MODULES": ["spiders", "tests.support.toysite"]}


def play(spider: str, db_url: str) -> dict[str, dict]:
    done = subprocess.run(
        [sys.executable, "-m", "tests.support.revisitsite", spider, db_url],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=PROJECT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    steps = [json.loads(line) for line in done.stdout.splitlines()]
    assert [step["stats"]["archiver/status"] for step in steps] == ["ok"] * len(steps), done.stderr[-3000:]
    return {step["step"]: step for step in steps}


@pytest.fixture(scope="module")
def scenario(tmp_path_factory) -> tuple[str, dict[str, dict]]:
    db_url = f"sqlite:///{tmp_path_factory.mktemp('revisits') / 'archive.sqlite'}"
    return db_url, play("toy", db_url)


def run_window(db_url: str, number: int) -> tuple[str, str]:
    """(started, finished) of the archive's `number`-th crawl run."""
    return query(db_url, "SELECT started_at, finished_at FROM crawl_runs ORDER BY id LIMIT 1 OFFSET :n", n=number - 1)[
        0
    ]


def tail(line: str) -> str:
    return line.split("Z: ", 1)[1]


def article_paths(db_url: str) -> list[str]:
    """The toy articles' paths in article id order."""
    return ["/" + url.split("/", 3)[3] for (url,) in query(db_url, "SELECT url FROM articles ORDER BY id")]


ALL = [toy.path(n) for n in range(1, 8)]


def test_each_run_asks_for_exactly_what_is_due(scenario) -> None:
    db_url, steps = scenario
    asked = {name: [tuple(pair) for pair in step["asked"]] for name, step in steps.items()}
    unchanged = [(path, "304") for path in ALL]
    assert asked["first"] == [*((path, "200") for path in ALL), ("/list/", "200")]
    assert asked["edited"] == [
        ("/a/1/", "200"),
        ("/a/2/", "200"),
        ("/a/3/", "200"),
        ("/a/4/", "404"),
        ("/a/5/", "302"),  # to the home page: not followed, a takedown
        ("/a/6/", "404"),
        ("/a/7/", "304"),  # unchanged: no body sent
        ("/list/", "304"),
    ]
    # The next run asks again for the three seen taken down (to confirm), nothing else is due.
    assert asked["confirmed"] == [("/a/4/", "404"), ("/a/5/", "302"), ("/a/6/", "404"), ("/list/", "304")]
    week = [*unchanged[:3], ("/a/4/", "404"), ("/a/5/", "302"), *unchanged[5:], ("/list/", "304")]
    assert asked["restored"] == week  # a week old: all due; /a/6/ is back (its old page: a 304)
    assert asked["nothing due"] == [("/list/", "304")]  # the nightly cost of an unchanged site
    first_two = sorted(article_paths(db_url)[:2])  # all due at 30 days, seen at the same time: by id
    assert asked["budget"] == [*((p, dict(week)[p]) for p in first_two), ("/list/", "304")]
    revisit_requests = {name: step["stats"].get("archiver/revisits/requests", 0) for name, step in steps.items()}
    assert revisit_requests == {
        "first": 0,
        "edited": 7,
        "confirmed": 3,
        "restored": 7,
        "nothing due": 0,
        "budget": 2,
    }
    assert steps["budget"]["stats"]["archiver/revisits/budget"] == 2
    assert steps["edited"]["stats"]["archiver/revisits/budget"] == 50  # 5% of 1 request, at least 50
    # 304s: unchanged, parsed from the stored page, and no new version.
    assert steps["restored"]["stats"]["archiver/revisits/not_modified"] == 5
    assert steps["restored"]["stats"].get("archiver/articles/edited", 0) == 0


def test_the_summary_line_says_what_revisits_found(scenario) -> None:
    _, steps = scenario
    lines = {name: tail(step["line"]) for name, step in steps.items()}
    listing = "listing entries 0 new, 7 seen again; 0 dates left empty"
    assert lines["first"] == (
        "8 pages fetched (8 requests); articles 7 new, 0 updated, 0 reposts folded; "
        "listing entries 7 new, 0 seen again; 0 dates left empty; 0 errors"
    )
    assert lines["edited"] == (
        f"8 pages fetched (8 requests); articles 0 new, 3 updated, 0 reposts folded; {listing}; "
        "7 revisited (3 edited, 0 removed, 3 to confirm next run); 0 errors"
    )
    assert lines["confirmed"] == (
        f"4 pages fetched (4 requests); articles 0 new, 0 updated, 0 reposts folded; {listing}; "
        "3 revisited (0 edited, 3 removed); 0 errors"
    )
    assert lines["restored"].endswith("; 7 revisited (0 edited, 0 removed, 1 restored); 0 errors")
    assert lines["nothing due"] == (
        f"1 pages fetched (1 requests); articles 0 new, 0 updated, 0 reposts folded; {listing}; 0 errors"
    )
    assert lines["budget"].endswith("; 2 revisited (0 edited, 0 removed); 0 errors")


def sha(resource) -> str:
    return hashlib.sha256(resource.body).hexdigest()


def test_every_version_is_kept_with_its_page(scenario) -> None:
    db_url, _ = scenario
    rows = query(
        db_url,
        "SELECT a.url, v.version, v.title, v.body, v.published_on, v.page_sha256, v.fetched_at, a.versions, "
        "a.title, a.changed_at FROM article_versions v JOIN articles a ON a.id = v.article_id ORDER BY a.url, v.version",
    )
    site = toy.routes()
    edited = dict(site)
    toy.edits(edited)
    body = "\n\n".join
    assert [(url.split("/", 3)[3], v, title, text, day, page) for url, v, title, text, day, page, *_ in rows] == [
        ("a/1/", 1, "Toy story 1", body(toy.paragraphs_of(1)), "2024-03-01", sha(site["/a/1/"])),
        ("a/1/", 2, toy.EDITED_TITLE, body(toy.paragraphs_of(1)), "2024-03-01", sha(edited["/a/1/"])),
        ("a/2/", 1, "Toy story 2", body(toy.paragraphs_of(2)), "2024-03-02", sha(site["/a/2/"])),
        ("a/2/", 2, "Toy story 2", body(toy.paragraphs_of(2)[::2]), "2024-03-02", sha(edited["/a/2/"])),
        ("a/3/", 1, "Toy story 3", body(toy.paragraphs_of(3)), "2024-03-03", sha(site["/a/3/"])),
        ("a/3/", 2, "Toy story 3", body(toy.paragraphs_of(3)), "2024-03-13", sha(edited["/a/3/"])),
    ]
    first, second = run_window(db_url, 1), run_window(db_url, 2)
    for url, version, title, _, _, _, fetched_at, count, shown, changed_at in rows:
        window = first if version == 1 else second
        assert window[0] <= fetched_at <= window[1], (url, version, fetched_at, window)
        assert count == 2
        if version == 2:
            assert (shown, changed_at) == (title, fetched_at)  # articles shows the latest
    assert query(db_url, "SELECT COUNT(*) FROM articles WHERE versions = 1 AND changed_at IS NULL") == [(4,)]


def test_takedowns_are_confirmed_by_the_next_run_and_a_return_is_a_restoration(scenario) -> None:
    db_url, _ = scenario
    marks = {
        url.split("/", 3)[3]: rest
        for url, *rest in query(
            db_url,
            "SELECT url, removal, removed_at, removal_confirmed_at, restored_at FROM articles "
            "WHERE removed_at IS NOT NULL ORDER BY url",
        )
    }
    assert sorted(marks) == ["a/4/", "a/5/", "a/6/"]
    seen, confirmed, back = run_window(db_url, 2), run_window(db_url, 3), run_window(db_url, 4)
    for path, (removal, removed_at, confirmed_at, restored_at) in marks.items():
        assert removal == {"a/5/": "redirect"}.get(path, "404")
        assert seen[0] <= removed_at <= seen[1]
        assert confirmed[0] <= confirmed_at <= confirmed[1]
        if path == "a/6/":
            assert back[0] <= restored_at <= back[1]
        else:
            assert restored_at is None
    # One mechanism with the 404s of crawls: the addresses still failing are counted in gone_urls.
    assert [
        (url.split("/", 3)[3], status)
        for url, status in query(db_url, "SELECT url, status FROM gone_urls ORDER BY url")
    ] == [
        ("a/4/", 404),
        ("a/5/", 302),
    ]


def changes_rows(db_url: str, capsys, *options: str) -> list[dict]:
    assert main(["changes", "--db", db_url, "--format", "jsonl", *options]) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_archiver_changes_lists_exactly_the_edits_and_takedowns_with_their_diffs(scenario, capsys) -> None:
    db_url, _ = scenario
    rows = changes_rows(db_url, capsys, "--diff")
    assert [row["at"] for row in rows] == sorted(row["at"] for row in rows)
    summary = [
        (r["change"], r["url"].split("/", 3)[3], r["version"], r["fields"], r["removal"], r["diff"]) for r in rows
    ]
    assert sorted(summary[:3]) == [
        ("edited", "a/1/", 2, "title", None, f"title: Toy story [-1-] {{+{toy.EDITED_TITLE.split(' ', 2)[2]}+}}"),
        (
            "edited",
            "a/2/",
            2,
            "body",
            None,
            "body: … in the toy town. [-Officials said story 2 would be remembered for a long time.-] Then story 2 ended, …",
        ),
        ("edited", "a/3/", 2, "date", None, "date: 2024-03-03 → 2024-03-13"),
    ]
    assert sorted(summary[3:6]) == [
        ("removed", "a/4/", 1, None, "404", None),
        ("removed", "a/5/", 1, None, "redirect", None),
        ("removed", "a/6/", 1, None, "404", None),
    ]
    assert summary[6:] == [("restored", "a/6/", 1, None, None, None)]
    # The same, filtered: by site, by day.
    assert changes_rows(db_url, capsys, "--site", "elsewhere") == []
    day = rows[0]["at"][:10]
    assert len(changes_rows(db_url, capsys, "--since", day, "--until", day)) == 7
    assert changes_rows(db_url, capsys, "--until", "2000-01-01") == []
    # The table with --diff: a line per change, its diff below.
    assert main(["changes", "--db", db_url, "--diff"]) == 0
    out = capsys.readouterr().out
    url = rows[0]["url"].rsplit("/a/", 1)[0] + "/a/1/"
    assert f"  toy  edited v2 (title)  {url}\n    {toy.EDITED_TITLE}\n    title: Toy story [-1-]" in out


def test_the_canned_query_lists_the_same_changes(scenario, capsys) -> None:
    db_url, _ = scenario
    rows = changes_rows(db_url, capsys)
    queries = json.loads((PROJECT / "archiver" / "research" / "datasette.json").read_text(encoding="utf-8"))
    sql = queries["databases"]["ARCHIVE"]["queries"]["changes"]["sql"]
    with sqlite3.connect(db_url.removeprefix("sqlite:///")) as connection:
        canned = connection.execute(sql, {"site": "", "since": "", "until": ""}).fetchall()
        assert connection.execute(sql, {"site": "elsewhere", "since": "", "until": ""}).fetchall() == []
    assert [
        (at[:19].replace(" ", "T"), change, article, version, fields or None, removal)
        for at, _, change, article, version, _, _, fields, removal, *_ in canned
    ] == [(r["at"], r["change"], r["article_id"], r["version"], r["fields"], r["removal"]) for r in rows]


def test_stats_count_edited_and_removed_articles(scenario, capsys) -> None:
    db_url, _ = scenario
    assert main(["stats", "--db", db_url, "--format", "jsonl"]) == 0
    (row,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert (row["site"], row["articles"], row["edited"], row["removed"]) == ("toy", 7, 3, 2)


def test_reparse_gives_the_same_versions_and_rederives_them_from_their_pages(scenario, tmp_path) -> None:
    db_url, _ = scenario
    copy = tmp_path / "copy.sqlite"
    shutil.copyfile(db_url.removeprefix("sqlite:///"), copy)
    copy_url = f"sqlite:///{copy}"
    versions_sql = "SELECT * FROM article_versions ORDER BY id"
    articles_sql = (
        "SELECT id, url, title, body, published_on, versions, changed_at, removed_at, restored_at FROM articles"
    )
    before = (query(copy_url, versions_sql), query(copy_url, articles_sql))

    def run() -> object:
        engine = make_engine(copy_url)
        try:
            [report] = reparse(engine, base_settings(copy_url, "reparse", TOY_SPIDERS), sites=["toy"])
        finally:
            engine.dispose()
        return report

    assert run().versions_changed == 0
    assert (query(copy_url, versions_sql), query(copy_url, articles_sql)) == before
    # A version that no longer reads as its page does (a parser fixed since) is re-derived from it.
    with sqlite3.connect(copy) as connection:
        connection.execute("UPDATE article_versions SET title = 'garbled' WHERE version = 1")
    assert query(copy_url, "SELECT COUNT(*) FROM article_versions WHERE title = 'garbled'") == [(3,)]
    assert run().versions_changed == 3
    assert query(copy_url, versions_sql) == before[0]


def test_the_kcnawatch_mirror_altered_between_runs(tmp_path) -> None:
    db_url = f"sqlite:///{tmp_path / 'archive.sqlite'}"
    steps = play("kcnawatch", db_url)
    articles = query(db_url, "SELECT COUNT(*) FROM articles")[0][0]
    assert steps["first"]["stats"]["downloader/request_count"] == 54
    # Nothing due the next night: robots.txt and the feed, as before revisits.
    assert [tuple(pair) for pair in steps["nothing due"]["asked"]] == [
        ("/newstream/feed/", "304"),
        ("/robots.txt", "200"),
    ]
    edited = steps["edited"]
    assert edited["stats"]["downloader/request_count"] == 2 + articles
    assert tail(edited["line"]).endswith(
        f"; {articles} revisited (1 edited, 0 removed, 1 to confirm next run); 0 errors"
    )
    changed = [(path, status) for path, status in edited["asked"] if status != "304" and path != "/robots.txt"]
    assert changed == [(toy.KCNA_EDITED, "200"), (toy.KCNA_DELETED, "404")]
    assert edited["stats"]["archiver/revisits/not_modified"] == articles - 2
    assert [
        (v, title) for v, title in query(db_url, "SELECT version, title FROM article_versions ORDER BY version")
    ] == [(1, toy.KCNA_TITLE), (2, toy.KCNA_NEW_TITLE)]
    assert query(db_url, "SELECT url, removal, removal_confirmed_at FROM articles WHERE removed_at IS NOT NULL") == [
        (steps_url(db_url, toy.KCNA_DELETED), "404", None)
    ]


def steps_url(db_url: str, path: str) -> str:
    (url,) = [u for (u,) in query(db_url, "SELECT url FROM articles") if u.endswith(path)]
    return url
