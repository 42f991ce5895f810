"""Research questions without SQL: counts per month / source / language, "N of M", CJK terms."""

from __future__ import annotations

from datetime import date

import pytest

from archiver.archive.readonly import open_readonly
from archiver.research.search import count, count_by, search
from tests.support.cli import run_archiver
from tests.support.research_archive import BASE, article, entry, write

ARTICLES = [
    article(f"{BASE}/1/", "Juche idea seminar", "A seminar on the Juche idea was held.", published_on=date(2024, 1, 5)),
    article(f"{BASE}/2/", "Seminar in Lagos", "Participants praised the Juche idea.", published_on=date(2024, 1, 20)),
    article(
        f"{BASE}/3/",
        "Семинар",
        "Семинар по идеям чучхе (Juche) прошёл в Москве.",
        source="KCNA (RU)",
        language="ru",
        published_on=date(2024, 2, 2),
    ),
    article(
        f"{BASE}/4/",
        "Juche study group",
        "The Juche study group met.",
        source="Rodong Sinmun",
        published_on=date(2024, 2, 9),
    ),
    article(f"{BASE}/5/", "Undated Juche note", "Juche, undated.", published_on=None),
    article(f"{BASE}/6/", "Harvest", "The harvest was rich this year.", published_on=date(2024, 2, 10)),
    article(
        f"{BASE}/7/",
        "主体思想研讨会",
        "朝鲜民主主义人民共和国举行了主体思想研讨会。与会者高度评价。",
        source="KCNA (ZH)",
        language="zh",
        published_on=date(2024, 3, 1),
    ),
]


@pytest.fixture
def archive(engine, db_url):
    write(engine, entry(f"{BASE}/6/", "Harvest teaser", listed_on=date(2024, 2, 10)), *ARTICLES)
    return db_url


def connected(db_url, function, *args, **kwargs):
    engine = open_readonly(db_url)
    try:
        with engine.connect() as connection:
            return function(connection, *args, **kwargs)
    finally:
        engine.dispose()


def test_count_by_month_source_and_both(archive):
    assert connected(archive, count_by, "juche", ["month"]) == [("2024-01", 2), ("2024-02", 2), (None, 1)]
    assert connected(archive, count_by, "juche", ["source"]) == [
        ("KCNA (EN)", 3),
        ("KCNA (RU)", 1),
        ("Rodong Sinmun", 1),
    ]
    assert connected(archive, count_by, "juche", ["month", "source"], since=date(2024, 1, 10)) == [
        ("2024-01", "KCNA (EN)", 1),
        ("2024-02", "KCNA (RU)", 1),
        ("2024-02", "Rodong Sinmun", 1),
    ]
    assert connected(archive, count_by, "juche", ["language"]) == [("en", 4), ("ru", 1)]
    assert connected(archive, count, "juche") == 5
    assert connected(archive, count, "juche", until=date(2024, 1, 31)) == 2


def test_cjk_terms_are_found_as_substrings(archive):
    # "朝鲜" sits inside one long unicode61 token: the index alone would find nothing.
    hits = connected(archive, search, "朝鲜")
    assert [h.url for h in hits] == [f"{BASE}/7/"]
    assert "**朝鲜**" in hits[0].snippet
    assert [h.url for h in connected(archive, search, "主体思想 研讨会")] == [f"{BASE}/7/"]
    assert connected(archive, search, "主体思想 不在") == []
    assert connected(archive, count_by, "研讨", ["month", "language"]) == [("2024-03", "zh", 1)]


def test_cli_count_by_and_n_of_m(archive):
    counts = run_archiver("search", "juche", "--count-by", "month,source", "--format", "csv", "--db", archive)
    assert counts.returncode == 0, counts.stderr
    assert counts.stdout.splitlines() == [
        "month,source,articles",
        "2024-01,KCNA (EN),2",
        "2024-02,KCNA (RU),1",
        "2024-02,Rodong Sinmun,1",
        ",KCNA (EN),1",
    ]
    cut = run_archiver("search", "juche", "--limit", "2", "--db", archive)
    assert cut.returncode == 0, cut.stderr
    assert cut.stdout.rstrip().endswith("2 of 5 matching articles shown (--limit 5 shows all)")
    jsonl = run_archiver("search", "juche", "--limit", "2", "--format", "jsonl", "--db", archive)
    assert len(jsonl.stdout.splitlines()) == 2 and "2 of 5 matching articles" in jsonl.stderr
    whole = run_archiver("search", "juche", "--limit", "5", "--db", archive)
    assert " of " not in whole.stdout.splitlines()[-1]
    bad = run_archiver("search", "juche", "--count-by", "week", "--db", archive)
    assert bad.returncode == 2 and len(bad.stderr.splitlines()) == 1 and "--count-by" in bad.stderr


def test_counts_and_cjk_on_postgresql(pg_url, archive):
    from archiver.archive.engine import open_archive

    engine = open_archive(pg_url)
    try:
        write(engine, entry(f"{BASE}/6/", "Harvest teaser", listed_on=date(2024, 2, 10)), *ARTICLES)
        with engine.connect() as connection:
            for by in (["month"], ["source"], ["month", "source"], ["language"]):
                assert count_by(connection, "juche", by) == connected(archive, count_by, "juche", by), by
            assert count(connection, "juche", since=date(2024, 1, 10)) == 3
            assert [h.url for h in search(connection, "朝鲜")] == [f"{BASE}/7/"]
    finally:
        engine.dispose()
