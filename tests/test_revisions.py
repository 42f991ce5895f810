"""Versions, takedowns and the revisit policy, in process: the store's rules, the marks, the choice of revisits.

The end-to-end runs (a site that changes between crawls) are in tests/test_revisits.py.
"""

from __future__ import annotations

import json
import random
import sqlite3
import tracemalloc
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from scrapy.settings import Settings

from archiver.archive.engine import make_engine, open_archive, session_factory
from archiver.archive.gone import record_run
from archiver.archive.revisions import is_edit
from archiver.archive.revisits import Candidate, RevisitPolicy, check_ages, check_count
from archiver.archive.writer import ArchiveWriter
from archiver.items import ArticleItem
from archiver.normalize.text import content_hash
from archiver.research.changes import changes, word_diff
from archiver.research.search import search
from archiver.research.versions_search import count_all_versions, search_all_versions
from tests.support.archive import query

BASE = "http://site.test"
PROJECT = Path(__file__).resolve().parents[1]
FIRST = [
    "The delegation arrived in Moscow on Tuesday and was greeted at the airport by officials.",
    "Talks on trade and culture were held in a friendly atmosphere.",
    "The delegation will visit Kazan before it returns home.",
]


def item(path: str, paragraphs: list[str], *, title: str = "Delegation arrives in Moscow", **fields) -> ArticleItem:
    body = "\n\n".join(paragraphs)
    return ArticleItem(
        site="news",
        url=BASE + path,
        title=title,
        body=body,
        content_hash=content_hash(body),
        published_on=fields.pop("published_on", date(2024, 5, 1)),
        language=fields.pop("language", "en"),
        **fields,
    )


def store(db_url: str, *items: ArticleItem, batch: bool = False) -> list:
    """Store the items one transaction each (or all in one batch); the writers' counts."""
    engine = open_archive(db_url)
    counts = []
    try:
        groups = [list(items)] if batch else [[i] for i in items]
        for group in groups:
            with session_factory(engine).begin() as session:
                writer = ArchiveWriter(session)
                writer.add_items(group)
                counts.append(writer.counts)
    finally:
        engine.dispose()
    return counts


def versions(db_url: str) -> list[tuple]:
    return query(
        db_url,
        "SELECT a.url, v.version, v.title, v.body, v.published_on, v.language, v.content_hash, v.page_sha256 "
        "FROM article_versions v JOIN articles a ON a.id = v.article_id ORDER BY a.url, v.version",
    )


def test_a_changed_title_body_or_date_is_a_new_version_and_every_version_is_kept(db_url):
    first = item("/a/", FIRST)
    store(db_url, first)
    assert versions(db_url) == []  # never edited: the articles row is its only version
    corrected = item("/a/", FIRST, title="Delegation arrives in Moscow for talks")
    fetched = datetime(2026, 12, 1, 3, 0)
    corrected.page_sha256, corrected.fetched_at = "f" * 64, fetched
    shorter = item("/a/", FIRST[:1] + FIRST[2:], title=corrected.title)
    redated = item("/a/", shorter.body.split("\n\n"), title=corrected.title, published_on=date(2024, 5, 2))
    counts = store(db_url, corrected, corrected, shorter, redated, redated)
    # The bulk path sends a changed title or date the careful way, like a changed body.
    assert [c["articles/edited"] for c in counts] == [1, 0, 1, 1, 0]
    rows = versions(db_url)
    assert [(v, title, pub) for _, v, title, _, pub, _, _, _ in rows] == [
        (1, "Delegation arrives in Moscow", "2024-05-01"),
        (2, "Delegation arrives in Moscow for talks", "2024-05-01"),
        (3, "Delegation arrives in Moscow for talks", "2024-05-01"),
        (4, "Delegation arrives in Moscow for talks", "2024-05-02"),
    ]
    assert [body for _, _, _, body, *_ in rows] == [first.body, first.body, shorter.body, shorter.body]
    assert rows[1][-1] == "f" * 64 and rows[0][-1] is None  # no page was stored for the first
    ((count, shown, changed_at, published_on),) = query(
        db_url, "SELECT versions, title, changed_at, published_on FROM articles"
    )
    assert (count, shown, published_on) == (4, corrected.title, "2024-05-02")
    assert changed_at > str(fetched)  # the last version's time: now, as no page time was given
    assert query(db_url, "SELECT version, fetched_at FROM article_versions WHERE version = 2") == [
        (2, "2026-12-01 03:00:00.000000")
    ]


def test_a_changed_dateline_is_a_new_version_that_keeps_the_old_line(db_url):
    # RSTV dates an entry by its URL; a corrected dateline changes only the line under the title.
    first = item("/blog/2023-09-10-729", FIRST, dateline="September 10, Moscow (RSTV)")
    store(db_url, first, item("/blog/2023-09-10-729", FIRST, dateline="September 10, Moscow (RSTV)"))
    assert versions(db_url) == []
    corrected = item("/blog/2023-09-10-729", FIRST, dateline="September 9, Moscow (RSTV)")
    corrected.fetched_at = datetime(2026, 12, 2, 4, 0)
    assert [c["articles/edited"] for c in store(db_url, corrected)] == [1]
    assert query(db_url, "SELECT version, dateline FROM article_versions ORDER BY version") == [
        (1, "September 10, Moscow (RSTV)"),
        (2, "September 9, Moscow (RSTV)"),
    ]
    assert query(db_url, "SELECT versions, dateline FROM articles") == [(2, "September 9, Moscow (RSTV)")]
    engine = make_engine(db_url)
    try:
        with engine.connect() as connection:
            (edit,) = changes(connection, diff=True)
    finally:
        engine.dispose()
    assert (edit.change, edit.fields) == ("edited", "dateline")
    assert edit.diff == "dateline: September 10, Moscow (RSTV) → September 9, Moscow (RSTV)"
    # Datasette's canned query names the same field.
    queries = json.loads((PROJECT / "archiver" / "research" / "datasette.json").read_text(encoding="utf-8"))
    sql = queries["databases"]["ARCHIVE"]["queries"]["changes"]["sql"]
    with sqlite3.connect(db_url.removeprefix("sqlite:///")) as connection:
        canned = connection.execute(sql, {"site": "", "since": "", "until": ""}).fetchall()
    assert [(change, fields) for _, _, change, _, _, _, _, fields, *_ in canned] == [("edited", "dateline")]


def test_nothing_changed_is_no_version_in_one_batch_or_many(db_url):
    store(
        db_url, item("/a/", FIRST), item("/b/", ["A yak festival was held in the hills above the town."], title="Yaks")
    )
    store(
        db_url,
        item("/a/", FIRST),
        item("/b/", ["A yak festival was held in the hills above the town."], title="Yaks"),
        batch=True,
    )
    assert versions(db_url) == [] and query(db_url, "SELECT DISTINCT versions FROM articles") == [(1,)]
    # What the page does not print (no title, no date, no language found) is no change either.
    bare = item("/a/", FIRST, published_on=None, language=None)
    bare.title = None
    assert [c["articles/edited"] for c in store(db_url, bare)] == [0]
    assert versions(db_url) == []


def test_an_edit_whose_text_another_article_has_stays_in_its_own_row(db_url):
    """The unique (site, content_hash): the edited article keeps its row and versions, and no key."""
    store(db_url, item("/a/", FIRST), item("/b/", FIRST[:2], title="Delegation in Moscow"))
    ids = dict(query(db_url, "SELECT url, id FROM articles"))
    store(db_url, item("/a/", FIRST[:2]))  # /a/ cut its last paragraph: now /b/'s very text
    assert dict(query(db_url, "SELECT url, id FROM articles")) == ids
    assert query(db_url, "SELECT url, versions, content_hash IS NULL FROM articles ORDER BY url") == [
        (BASE + "/a/", 2, 1),
        (BASE + "/b/", 1, 0),
    ]
    assert [(v, h) for _, v, _, _, _, _, h, _ in versions(db_url)] == [
        (1, content_hash("\n\n".join(FIRST))),
        (2, content_hash("\n\n".join(FIRST[:2]))),
    ]
    store(db_url, item("/a/", FIRST[:2]))  # fetched again, unchanged: nothing moves
    assert query(db_url, "SELECT COUNT(*) FROM article_versions") == [(2,)]
    assert query(db_url, "SELECT COUNT(*), COUNT(DISTINCT article_id) FROM article_urls") == [(2, 2)]


def test_an_edited_story_with_reposts_keeps_its_row_and_its_addresses(db_url):
    """Before versions, an edit of a reposted story's first address split it into a new article."""
    store(db_url, item("/a/", FIRST), item("/b/", FIRST, published_on=date(2024, 5, 3)))
    assert query(db_url, "SELECT COUNT(*) FROM articles") == [(1,)]
    store(db_url, item("/a/", [*FIRST, "It was the first such visit in ten years."]))
    store(db_url, item("/b/", FIRST, published_on=date(2024, 5, 3)))  # the repost, not yet edited
    assert query(db_url, "SELECT url, versions, published_on FROM articles") == [(BASE + "/a/", 2, "2024-05-01")]
    assert query(db_url, "SELECT COUNT(DISTINCT article_id) FROM article_urls") == [(1,)]
    assert [v for _, v, *_ in versions(db_url)] == [1, 2]


def test_is_edit_tells_an_edit_from_another_story():
    story = " ".join(FIRST)
    assert is_edit("Delegation arrives", story, "Delegation arrives", "Another text entirely.")  # the title kept
    assert is_edit("A", story, "B", " ".join(FIRST[:1] + FIRST[2:]))  # a paragraph taken out
    assert not is_edit("A", story, "B", "A yak festival was held in the hills above the town, with music.")
    assert not is_edit(None, "", None, story)


def test_takedowns_follow_the_counts_of_failing_runs(db_url):
    store(db_url, item("/a/", FIRST), item("/b/", ["A yak festival was held in the hills."], title="Yaks"))
    a, b = BASE + "/a/", BASE + "/b/"

    def marks():
        return query(
            db_url,
            "SELECT url, removal, removed_at IS NOT NULL, removal_confirmed_at IS NOT NULL, restored_at IS NOT NULL "
            "FROM articles ORDER BY url",
        )

    first = record_run(db_url, "news", {a: 404, b: 302}, [], threshold=3)
    assert dict(first.articles) == {"pending": 2}
    assert marks() == [(a, "404", 1, 0, 0), (b, "redirect", 1, 0, 0)]
    removed_at = query(db_url, "SELECT removed_at FROM articles WHERE url = :a", a=a)
    second = record_run(db_url, "news", {a: 404}, [b], threshold=3)  # /b/ was a passing fault
    assert dict(second.articles) == {"confirmed": 1, "cleared": 1}
    assert marks() == [(a, "404", 1, 1, 0), (b, None, 0, 0, 0)]
    assert query(db_url, "SELECT removed_at FROM articles WHERE url = :a", a=a) == removed_at  # the first sighting
    third = record_run(db_url, "news", {}, [a], threshold=3)
    assert dict(third.articles) == {"restored": 1}
    assert marks() == [(a, "404", 1, 1, 1), (b, None, 0, 0, 0)]
    assert query(db_url, "SELECT COUNT(*) FROM gone_urls") == [(0,)]


NOW = datetime(2026, 12, 1, 2, 30)


def candidate(n: int, days_old: float, checked_days_ago: float | None = None, state: str = "") -> Candidate:
    first = NOW - timedelta(days=days_old)
    checked = first if checked_days_ago is None else NOW - timedelta(days=checked_days_ago)
    return Candidate(n, f"{BASE}/{n}/", first, checked, state)


def test_the_age_schedule_pending_takedowns_first_then_youngest_ages():
    policy = RevisitPolicy()
    pool = [
        candidate(1, 0.5),  # not a day old
        candidate(2, 1.5),  # a day old, never checked since: due at 1
        candidate(3, 3, checked_days_ago=1),  # checked at two days: nothing due until 7
        candidate(4, 8, checked_days_ago=6.5),  # checked at 1.5 days: due at 7
        candidate(5, 400, checked_days_ago=100),  # checked at 300 days: older than the schedule
        candidate(6, 2, checked_days_ago=0.5, state="pending"),  # seen taken down: the next run confirms
        candidate(7, 31),  # never checked: due at 30 (the largest age it reached)
    ]
    chosen = policy.choose(pool, budget=50, now=NOW)
    assert [(c.candidate.article_id, c.why) for c in chosen][:5] == [
        (6, "confirm"),
        (2, "age 1"),
        (4, "age 7"),
        (7, "age 30"),
        (5, "sample"),
    ]
    assert len(chosen) == 5
    assert [c.candidate.article_id for c in policy.choose(pool, budget=3, now=NOW)] == [6, 2, 4]
    assert [c.candidate.article_id for c in policy.choose(pool, budget=50, now=NOW, skip={f"{BASE}/2/"})][:2] == [6, 4]
    assert policy.choose(pool, budget=0, now=NOW) == []


def test_the_sample_of_older_articles_is_small_and_repeatable_with_a_seed():
    old = [candidate(n, 200 + n, checked_days_ago=10) for n in range(1, 41)]
    policy = RevisitPolicy(sample=3, seed=11)
    picked = [c.candidate.article_id for c in policy.choose(old, budget=50, now=NOW)]
    assert len(set(picked)) == 3 and set(picked) <= set(range(1, 41))
    assert picked == [c.candidate.article_id for c in policy.choose(iter(old), budget=50, now=NOW)]
    others = {
        tuple(c.candidate.article_id for c in RevisitPolicy(sample=3, seed=s).choose(old, 50, NOW)) for s in range(8)
    }
    assert len(others) > 4  # another seed, another sample
    # Every older article has the same chance (a reservoir sample): over many seeds each is picked.
    counts = Counter(
        c.candidate.article_id for s in range(400) for c in RevisitPolicy(sample=3, seed=s).choose(old, 50, NOW)
    )
    assert set(counts) == set(range(1, 41)) and max(counts.values()) < 3 * min(counts.values())
    assert len(RevisitPolicy(sample=3).choose(old, budget=2, now=NOW)) == 2  # the budget bounds the sample too


def test_the_choice_is_one_pass_in_bounded_memory_and_keeps_the_best_due_ones():
    rng = random.Random(5)
    specs = [(n, rng.uniform(0.5, 400), rng.random() < 0.5, rng.random() < 0.002) for n in range(1, 30_001)]

    def stream():  # a generator: a second pass over it would see nothing
        for n, days, checked, pending in specs:
            yield candidate(n, days, checked_days_ago=days * 0.2 if checked else None, state="pending" * pending)

    policy = RevisitPolicy(seed=3)
    tracemalloc.start()
    try:
        chosen = policy.choose(stream(), budget=120, now=NOW)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000  # the whole list of 30,000 candidates takes some 12 MB
    everything = list(stream())
    confirm = [c.article_id for c in everything if c.state == "pending"][:120]
    due = sorted(
        (c.due_age(policy.ages, NOW), c.first_seen_at, c.article_id)
        for c in everything
        if c.state != "pending" and c.due_age(policy.ages, NOW) is not None
    )
    expected = (confirm + [article_id for *_, article_id in due])[:120]
    assert [c.candidate.article_id for c in chosen] == expected
    assert len(confirm) < 120 < len(confirm) + len(due)  # both kinds in play


def test_the_budget_and_its_settings():
    default = RevisitPolicy.from_settings(Settings({}))
    assert (default.ages, default.sample, default.budget) == ((1, 7, 30, 180), 5, None)
    assert [default.budget_for(n) for n in (0, 1000, 1001, 4000)] == [50, 50, 51, 200]
    assert RevisitPolicy.from_settings(Settings({"ARCHIVER_REVISIT_BUDGET": "7"})).budget_for(4000) == 7
    assert RevisitPolicy.from_settings(Settings({"ARCHIVER_REVISIT_BUDGET": "0"})).off
    assert RevisitPolicy.from_settings(Settings({"ARCHIVER_REVISIT_AGES": "30,2"})).ages == (2, 30)
    assert check_ages("1, 7") == (1, 7)
    for bad in ("-1", "x", "1.5"):
        with pytest.raises(ValueError):
            check_count(bad)


def test_word_diff_marks_words_out_and_in_with_context():
    old = "one two three four five six seven eight nine ten eleven twelve"
    assert word_diff(old, old.replace("six", "6")) == "… two three four five [-six-] {+6+} seven eight nine ten …"
    assert word_diff("Toy story 1", "Toy story one, corrected") == "Toy story [-1-] {+one, corrected+}"
    assert word_diff("a b", "a b c") == "a b {+c+}"


@pytest.fixture(params=["sqlite", "postgresql"])
def any_db(request, db_url):
    if request.param == "sqlite":
        return db_url
    return request.getfixturevalue("pg_url")


def test_search_all_versions_finds_words_an_edit_took_out(any_db):
    store(any_db, item("/a/", FIRST), item("/b/", ["Kazan hosted a festival of folk music."], title="Folk music"))
    store(any_db, item("/a/", FIRST[:2]))  # the Kazan paragraph is taken out of /a/
    engine = make_engine(any_db)
    try:
        with engine.connect() as connection:
            assert [hit.url for hit in search(connection, "Kazan")] == [BASE + "/b/"]
            hits = search_all_versions(connection, "Kazan")
            assert sorted((hit.url, hit.version) for hit in hits) == [(BASE + "/a/", 1), (BASE + "/b/", 1)]
            assert count_all_versions(connection, "Kazan") == 2
            assert [(hit.url, hit.version) for hit in search_all_versions(connection, "trade")] == [(BASE + "/a/", 2)]
            assert search_all_versions(connection, "Kazan", site="elsewhere") == []
            found = changes(connection, diff=True)
    finally:
        engine.dispose()
    assert [(c.change, c.version, c.fields, c.diff) for c in found] == [
        (
            "edited",
            2,
            "body",
            "body: … in a friendly atmosphere. [-The delegation will visit Kazan before it returns home.-]",
        )
    ]
