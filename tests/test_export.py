"""`archiver export`: one record per article with its addresses; CSV and JSONL read back to the same rows."""

from __future__ import annotations

import csv
import json
from datetime import date, datetime

import pytest
from sqlalchemy import select

from archiver.archive.engine import session_factory
from archiver.archive.models import Article, ArticleUrl
from archiver.cli import main
from archiver.research.export import EXPORT_FIELDS
from tests.support.research_archive import (
    BASE,
    MISSILE_TITLE,
    RUSSIAN,
    article,
    entry,
    fill,
    write,
)

REPOST = f"{BASE}/1000-0/missile-launch-2/"  # sorts before the first address, but was listed after it


@pytest.fixture
def archive(engine, db_url):
    fill(engine)
    # MISSILE_TITLE again under a second address listed a day later: a repost, one article, two URLs.
    write(
        engine,
        entry(REPOST, None, listed_on=date(2024, 3, 2)),
        article(
            REPOST, MISSILE_TITLE.title, MISSILE_TITLE.body, published_on=date(2024, 3, 2), tags=["defence", "test"]
        ),
    )
    return db_url


def expected_records(engine, **filters) -> list[dict]:
    """What the export must hold, read independently through the models, as JSON would print it."""
    with session_factory(engine)() as session:
        stmt = select(Article).order_by(Article.id)
        if "site" in filters:
            stmt = stmt.where(Article.site == filters["site"])
        if "since" in filters:
            stmt = stmt.where(Article.published_on >= filters["since"])
        records = []
        for a in session.scalars(stmt):
            urls = session.execute(
                select(ArticleUrl.url, ArticleUrl.listed_on).where(ArticleUrl.article_id == a.id)
            ).all()
            record = {name: getattr(a, name) for name in EXPORT_FIELDS if name != "urls"}
            record["urls"] = [u for u, _ in sorted(urls, key=lambda r: (r[1] or date.max, r[0]))]
            records.append(
                {
                    name: (value.isoformat() if hasattr(value, "isoformat") else value)
                    for name, value in ((n, record[n]) for n in EXPORT_FIELDS)
                }
            )
        return records


def from_csv(path) -> list[dict]:
    """CSV back to records: empty cells are null, urls and tags JSON arrays, numbers as numbers."""
    records = []
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            record = {name: (None if value == "" else value) for name, value in row.items()}
            for name in ("urls", "tags"):
                record[name] = json.loads(record[name]) if record[name] is not None else None
            for name in ("id", "views", "comments", "versions"):
                record[name] = int(record[name]) if record[name] is not None else None
            records.append(record)
    return records


def export(capsys, db_url, tmp_path, fmt, *args) -> list[dict]:
    out = tmp_path / f"export.{fmt}"
    assert main(["export", "--format", fmt, "--out", str(out), "--db", db_url, *args]) == 0
    assert list(tmp_path.glob("*.part")) == []
    assert capsys.readouterr().err.endswith(f"articles written to {out}\n")
    if fmt == "csv":
        return from_csv(out)
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_round_trip_gives_the_same_rows(engine, archive, tmp_path, capsys, fmt):
    records = export(capsys, archive, tmp_path, fmt)
    assert records == expected_records(engine)
    assert len(records) == 7
    assert list(records[0]) == list(EXPORT_FIELDS)
    first = records[0]
    assert first["urls"] == [MISSILE_TITLE.url, REPOST]  # earliest listed first
    assert first["url"] == MISSILE_TITLE.url and first["published_on"] == "2024-03-01"
    assert first["tags"] == []  # the text, tags included, comes from the earliest address


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_filters(engine, archive, tmp_path, capsys, fmt):
    records = export(capsys, archive, tmp_path, fmt, "--site", "rstv")
    assert [r["url"] for r in records] == [RUSSIAN.url]
    assert records == expected_records(engine, site="rstv")
    records = export(capsys, archive, tmp_path, fmt, "--since", "2024-03-05", "--until", "2024-06-10")
    assert [r["published_on"] for r in records] == ["2024-03-05", "2024-06-10"]


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_an_edited_and_a_removed_article_say_so(engine, archive, tmp_path, capsys, fmt):
    """The record as it changed: versions, when the latest was fetched, a takedown and its confirmation."""
    from sqlalchemy import update

    with session_factory(engine).begin() as session:
        session.execute(
            update(Article)
            .where(Article.url == MISSILE_TITLE.url)
            .values(versions=3, changed_at=datetime(2026, 12, 1, 2, 30, 5), modified_on=date(2024, 3, 4))
        )
        session.execute(
            update(Article)
            .where(Article.url == RUSSIAN.url)
            .values(
                removed_at=datetime(2026, 12, 2, 2, 30, 0, 250000),
                removal="404",
                removal_confirmed_at=datetime(2026, 12, 3, 2, 31, 0),
            )
        )
    records = {r["url"]: r for r in export(capsys, archive, tmp_path, fmt)}
    assert records == {r["url"]: r for r in expected_records(engine)}
    edited, removed = records[MISSILE_TITLE.url], records[RUSSIAN.url]
    assert (edited["versions"], edited["changed_at"], edited["modified_on"]) == (3, "2026-12-01T02:30:05", "2024-03-04")
    assert (removed["removed_at"], removed["removal"], removed["removal_confirmed_at"], removed["restored_at"]) == (
        "2026-12-02T02:30:00.250000",
        "404",
        "2026-12-03T02:31:00",
        None,
    )


def test_stdout_jsonl_is_the_default(engine, archive, capsys):
    assert main(["export", "--db", archive]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [json.loads(line) for line in lines] == expected_records(engine)


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_list_fields_survive(engine, db_url, tmp_path, capsys, fmt):
    write(engine, article(f"{BASE}/9-8/t/", "Tagged", "A tagged story.", tags=["defence", 'a, b "c"', "Корея"]))
    (record,) = export(capsys, db_url, tmp_path, fmt)
    assert record["tags"] == ["defence", 'a, b "c"', "Корея"] and record["published_on"] is None
    assert "Корея" in (tmp_path / f"export.{fmt}").read_text(encoding="utf-8")  # written as text, not \u escapes


def test_the_generic_path_gives_the_same_records(engine, archive, tmp_path, capsys):
    """PostgreSQL exports through typed rows (iter_records); on SQLite the database writes the lines."""
    from archiver.archive.readonly import open_readonly
    from archiver.research.export import iter_records

    with engine.begin() as connection:  # a time without microseconds, and tags stored as JSON null
        connection.exec_driver_sql(
            "UPDATE articles SET first_seen_at = '2024-01-02 03:04:05.000000', tags = 'null' WHERE id = 2"
        )
    fast = export(capsys, archive, tmp_path, "jsonl")
    reader = open_readonly(archive)
    with reader.connect() as connection:
        generic = [
            {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in record.items()}
            for record in iter_records(connection)
        ]
    reader.dispose()
    assert fast == generic == expected_records(engine)
    assert fast[1]["first_seen_at"] == "2024-01-02T03:04:05" and fast[1]["tags"] is None


def test_text_with_newlines_quotes_and_unicode_survives_csv(engine, db_url, tmp_path, capsys):
    body = 'He said: "Привет, 世界".\n\nSecond paragraph, with a comma; and a\ttab.'
    write(engine, article(f"{BASE}/9-9/q/", 'Quotes "and" commas, too', body, published_on=date(2024, 1, 1)))
    (record,) = export(capsys, db_url, tmp_path, "csv")
    assert record["body"] == body and record["title"] == 'Quotes "and" commas, too'
    assert record["subtitle"] is None and record["urls"] == [f"{BASE}/9-9/q/"]


def test_empty_archive_and_bad_arguments(db_url, engine, tmp_path, capsys):
    assert main(["export", "--db", db_url]) == 0
    assert capsys.readouterr().out == ""
    assert main(["export", "--since", "2024-02-01", "--until", "2024-01-01", "--db", db_url]) == 2
    assert main(["export", "--out", str(tmp_path / "missing" / "x.jsonl"), "--db", db_url]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "archiver: error: --since 2024-02-01 is after --until 2024-01-01",
        f"archiver: error: folder does not exist: {tmp_path / 'missing'}",
    ]


def test_access_benchmark_runs_on_a_small_archive(tmp_path):
    import io

    from archiver.bench import korean
    from archiver.bench.access import COUNT_QUERIES, QUERIES, run

    out = io.StringIO()
    figures = run(300, out=out, db=str(tmp_path / "bench.sqlite"), repeat=1)
    assert figures["articles"] == 300 and figures["export_rows"] == 300
    assert figures["search_median_ms"] > 0 and figures["export_rows_per_s"] > 0
    assert len(figures["export_rss_mib"]) == 11  # at the start, every tenth of the export, the end
    korean_queries = len(korean.QUERIES) + len(korean.OTHER_QUERIES)
    assert out.getvalue().count(" ms  ") == len(QUERIES) + len(COUNT_QUERIES) + korean_queries  # one line each
    assert figures["korean_same_hits"] is True and figures["korean_median_ms"] > 0
    assert figures["index_bytes"]["articles_fts_cjk"] > 0
    assert "hits the same as the scan's for every term" in out.getvalue()
    assert set(figures["search_by_kind"]) == {"one word", "phrase", "filtered", "boolean"}
    assert figures["count_by_month_median_ms"] > 0


def test_reading_ahead_stops_when_the_writer_stops_and_errors_stay_database_errors(engine, archive, monkeypatch):
    import threading

    from sqlalchemy.exc import OperationalError

    from archiver.archive.readonly import open_readonly
    from archiver.research import export

    reader = open_readonly(archive)
    with reader.connect() as connection:
        batches = export.sqlite_json_lines(connection, batch=1)
        first = next(batches)
        assert len(first) == 1 and json.loads(first[0])["id"] == 1
        batches.close()  # the writer gave up (a closed pipe): the reading thread must end too
        assert not [t for t in threading.enumerate() if t.name == "export-read-ahead"]
        assert sum(len(lines) for lines in export.sqlite_json_lines(connection, batch=2)) == len(
            expected_records(engine)
        )
        monkeypatch.setattr(export, "_sqlite_query", lambda select_list, filters: ("SELECT nosuchcolumn", {}))
        with pytest.raises(OperationalError, match="no such column"):  # a DBAPIError: the CLI's one line
            list(export.sqlite_json_lines(connection))
    reader.dispose()
