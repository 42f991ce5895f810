"""The archive on PostgreSQL: migrations, ON CONFLICT upserts, and concurrent writers that never duplicate.

Each test gets its own throwaway database (tests/support/services.py) and skips where PostgreSQL is absent.
The reference is the same items written into SQLite, compared by natural keys.
"""

from __future__ import annotations

import multiprocessing
import random
import re
import threading
import time
from collections import Counter
from datetime import date

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, inspect, select

from archiver.archive.engine import (
    alembic_config,
    current_revision,
    head_revision,
    make_engine,
    open_archive,
    session_factory,
)
from archiver.archive.models import Article, ArticleUrl, Base, ListingEntry
from archiver.archive.writer import ArchiveWriter, write_batch
from archiver.items import ArticleItem
from tests.support.services import archive_rows, sightings
from tests.support.store_items import ITEMS, PAGES

WORKERS = 4


def write_pages(db_url: str, paths: list[str]) -> Counter:
    """Store each page's items in one transaction, the way the store pipeline does (retries included)."""
    engine = open_archive(db_url)
    sessions = session_factory(engine)
    counts: Counter = Counter()
    try:
        for path in paths:

            def work(session, batch=ITEMS[path]) -> Counter:
                writer = ArchiveWriter(session)
                writer.add_items(batch)
                return writer.counts

            counts.update(write_batch(sessions, work))
    finally:
        engine.dispose()
    return counts


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> dict:
    db_url = f"sqlite:///{tmp_path_factory.mktemp('ref') / 'ref.sqlite'}"
    write_pages(db_url, PAGES)
    return {"rows": archive_rows(db_url), "sightings": sightings(db_url)}


def test_upgrade_head_gives_exactly_the_models(pg_url):
    engine = make_engine(pg_url)
    try:
        open_archive(pg_url).dispose()
        assert current_revision(engine) == head_revision()
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection,
                opts={
                    "compare_type": True,
                    # The search index (migration 0002) is plain SQL, not a model.
                    "include_object": lambda obj, name, type_, *_: (
                        not (type_ == "table" and name.startswith("articles_fts"))
                    ),
                },
            )
            assert compare_metadata(context, Base.metadata) == []
            assert "articles_fts" in inspect(connection).get_table_names()
    finally:
        engine.dispose()


def test_downgrade_to_base_and_upgrade_again(pg_url):
    config = alembic_config(pg_url)
    command.upgrade(config, "head")
    command.downgrade(config, "base")
    engine = make_engine(pg_url)
    try:
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        command.upgrade(config, "head")
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def test_workers_migrating_an_empty_database_together(pg_url):
    """Workers that start at once on an empty database: one migrates, none fails."""
    errors: list[BaseException] = []

    def open_it() -> None:
        try:
            open_archive(pg_url).dispose()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    engine = make_engine(pg_url)
    assert current_revision(engine) == head_revision()
    engine.dispose()


def test_same_archive_as_sqlite_and_sightings_counted_by_upsert(pg_url, reference):
    counts = write_pages(pg_url, PAGES)
    assert archive_rows(pg_url) == reference["rows"]
    assert sightings(pg_url) == reference["sightings"]
    assert (counts["articles/new"], counts["listing_entries/new"]) == (41, 44)
    # Everything again: ON CONFLICT updates the same rows, adds none; every sighting counted twice.
    write_pages(pg_url, PAGES)
    assert archive_rows(pg_url) == reference["rows"]
    assert sightings(pg_url) == {key: 2 * seen for key, seen in reference["sightings"].items()}


def _write_shuffled(db_url: str, seed: int, barrier) -> dict:
    order = list(PAGES)
    random.Random(seed).shuffle(order)
    barrier.wait(timeout=60)
    return dict(write_pages(db_url, order))


@pytest.mark.slow
def test_concurrent_writers_never_duplicate_and_still_fold(pg_url, reference):
    """Four processes write every page at once, each in its own order: the archive is the reference."""
    open_archive(pg_url).dispose()
    context = multiprocessing.get_context("fork")
    barrier = context.Manager().Barrier(WORKERS)
    with context.Pool(WORKERS) as pool:
        results = pool.starmap(_write_shuffled, [(pg_url, seed, barrier) for seed in range(WORKERS)])
    assert archive_rows(pg_url) == reference["rows"]
    assert sightings(pg_url) == {key: WORKERS * seen for key, seen in reference["sightings"].items()}
    # Each story was created once over all the writers, each entry inserted once.
    assert sum(r.get("articles/new", 0) for r in results) == len(reference["rows"]["articles"])
    assert sum(r.get("listing_entries/new", 0) for r in results) == len(reference["rows"]["listing_entries"])


def _repost_pair() -> tuple[ArticleItem, ArticleItem]:
    by_hash: dict[str, list[ArticleItem]] = {}
    for batch in ITEMS.values():
        for item in batch:
            if isinstance(item, ArticleItem) and item.body:
                by_hash.setdefault(item.content_hash, []).append(item)
    pairs = [sorted(items, key=lambda i: i.url) for items in by_hash.values() if len({i.url for i in items}) > 1]
    first, second = pairs[0][0], next(i for i in pairs[0] if i.url != pairs[0][0].url)
    return first, second


def test_article_insert_is_conflict_safe_without_the_site_lock(pg_url, monkeypatch):
    """Two writers store reposts of one story at the same moment, neither seeing the other's row:
    the second insert waits, conflicts, and folds into the first's article instead of failing."""
    monkeypatch.setattr(ArchiveWriter, "lock_sites", lambda self, sites: None)
    first, second = _repost_pair()
    engine = open_archive(pg_url)
    sessions = session_factory(engine)
    outcome: dict = {}

    def store_second() -> None:
        with sessions.begin() as session:
            writer = ArchiveWriter(session)
            writer.add_article(second)
            outcome["counts"] = writer.counts

    try:
        with sessions.begin() as session:
            ArchiveWriter(session).add_article(first)
            other = threading.Thread(target=store_second)
            other.start()
            time.sleep(0.5)  # the other writer is now blocked on our uncommitted row
            assert other.is_alive()
        other.join(timeout=30)
        assert outcome["counts"]["articles/insert_conflicts"] == 1
        assert outcome["counts"]["articles/new"] == 0
        with sessions() as session:
            assert session.scalar(select(func.count()).select_from(Article)) == 1
            article = session.scalar(select(Article))
            assert sorted(session.scalars(select(ArticleUrl.url))) == sorted([first.url, second.url])
            assert set(session.scalars(select(ArticleUrl.article_id))) == {article.id}
            assert session.scalar(select(func.count()).select_from(ListingEntry)) == 0
    finally:
        engine.dispose()


def test_full_text_search_on_postgresql(pg_url):
    """`archiver search`'s query runs on the tsvector index of migration 0002, with its filters."""
    from archiver.research.search import count_by, search

    write_pages(pg_url, PAGES)
    engine = make_engine(pg_url)
    try:
        with engine.connect() as connection:
            hits = search(connection, "party")
            texts: dict[str, str] = {}
            for url, title, body, teaser in connection.execute(
                select(Article.url, Article.title, Article.body, ListingEntry.teaser).outerjoin(
                    ListingEntry, ListingEntry.article_id == Article.id
                )
            ):
                texts[url] = " ".join(filter(None, [texts.get(url), title, body, teaser]))
            expected = {url for url, words in texts.items() if re.search(r"\bparty\b", words, re.IGNORECASE)}
            assert len(expected) >= 3
            assert {hit.url for hit in hits} == expected
            assert all("**party**" in hit.snippet.lower() for hit in hits if "party" in hit.snippet.lower())
            assert [hit.score for hit in hits] == sorted((hit.score for hit in hits), reverse=True)
            one_source = search(connection, "party", source=hits[0].source)
            assert {hit.source for hit in one_source} == {hits[0].source}
            dated = search(connection, "party", since=date(2025, 1, 1))
            assert dated and all(str(hit.published_on) >= "2025-01-01" for hit in dated)
            assert search(connection, "party", site="elsewhere") == []
            assert search(connection, "zzzunfindable") == []
            # --count-by through the one query builder (match_condition), per year and per month.
            by_year = count_by(connection, "party", ["year"])
            assert sum(row[-1] for row in by_year) == len(expected)
            assert all(row[0] is None or re.fullmatch(r"\d{4}", row[0]) for row in by_year)
            by_month = count_by(connection, "party", ["month", "source"])
            assert sum(row[-1] for row in by_month) == len(expected)
            assert {row[0][:4] for row in by_month if row[0]} == {row[0] for row in by_year if row[0]}
    finally:
        engine.dispose()
