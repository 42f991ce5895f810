"""Fixtures for tests against real servers on loopback: a throwaway PostgreSQL database, a Redis key prefix.

Each fixture skips its test, with a one-line reason, where the server does not answer (or the
driver is not installed), so a machine without them still passes. Point them elsewhere with
ARCHIVER_TEST_POSTGRES_URL (a database the user may CREATE DATABASE from) and ARCHIVER_TEST_REDIS_URL.
The fixtures reach every test module through `pytest_plugins` (tests/conftest.py).
"""

from __future__ import annotations

import os
import uuid
from functools import cache

import pytest
from sqlalchemy.engine import make_url

POSTGRES_URL = os.environ.get("ARCHIVER_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("ARCHIVER_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _libpq(url: str, database: str | None = None) -> str:
    """The URL in the form psycopg takes (no SQLAlchemy driver suffix)."""
    parsed = make_url(url).set(drivername="postgresql")
    if database:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


@cache
def postgres_missing() -> str | None:
    """Why PostgreSQL cannot be used here, or None when it answers."""
    try:
        import psycopg
    except ImportError:
        return "psycopg is not installed"
    try:
        psycopg.connect(_libpq(POSTGRES_URL), connect_timeout=2).close()
    except psycopg.Error as exc:
        return f"PostgreSQL not reachable at {make_url(POSTGRES_URL).render_as_string()}: {str(exc).splitlines()[0]}"
    return None


@cache
def redis_missing() -> str | None:
    """Why Redis cannot be used here, or None when it answers."""
    try:
        import redis
    except ImportError:
        return "redis (redis-py) is not installed"
    try:
        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1, socket_timeout=2)
        client.ping()
        client.close()
    except redis.RedisError as exc:
        return f"Redis not reachable at {REDIS_URL}: {exc}"
    return None


def _admin(statement: str) -> None:
    import psycopg

    with psycopg.connect(_libpq(POSTGRES_URL), autocommit=True, connect_timeout=5) as connection:
        connection.execute(statement)


def create_database() -> str:
    """A new, empty PostgreSQL database; its SQLAlchemy URL."""
    name = f"na_test_{uuid.uuid4().hex[:12]}"
    _admin(f'CREATE DATABASE "{name}"')
    return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    _admin(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')


@pytest.fixture
def pg_url():
    """A throwaway PostgreSQL database (dropped afterwards); skips where PostgreSQL is absent."""
    reason = postgres_missing()
    if reason:
        pytest.skip(reason)
    url = create_database()
    try:
        yield url
    finally:
        drop_database(url)


@pytest.fixture
def redis_url() -> str:
    """The test Redis; skips where Redis is absent."""
    reason = redis_missing()
    if reason:
        pytest.skip(reason)
    return REDIS_URL


@pytest.fixture
def crawl_id(redis_url: str):
    """A distributed-crawl ID of this test alone; every key under it is deleted afterwards."""
    import redis

    from archiver.crawl.distributed import CrawlKeys, clear_crawl

    name = f"test-{uuid.uuid4().hex[:10]}"
    yield name
    client = redis.Redis.from_url(redis_url)
    try:
        clear_crawl(client, CrawlKeys(name))
    finally:
        client.close()


def archive_rows(db_url: str) -> dict[str, list[tuple]]:
    """An archive's content by natural keys, the same types on every backend: no ids, timestamps or
    sighting counters (compare `sightings()` separately)."""
    from sqlalchemy import select
    from sqlalchemy.orm import aliased

    from archiver.archive.engine import make_engine
    from archiver.archive.models import Article, ArticleUrl, ListingEntry

    linked = aliased(Article)
    engine = make_engine(db_url)
    try:
        with engine.connect() as connection:
            articles = connection.execute(
                select(
                    Article.url,
                    Article.site,
                    Article.source,
                    Article.title,
                    Article.subtitle,
                    Article.body,
                    Article.language,
                    Article.published_on,
                    Article.date_raw,
                    Article.dateline,
                    Article.dateline_on,
                    Article.original_url,
                    Article.category,
                    Article.author,
                    Article.translation_group,
                    Article.content_hash,
                ).order_by(Article.url)
            )
            urls = connection.execute(
                select(ArticleUrl.url, Article.url, ArticleUrl.listed_on, ArticleUrl.fetched)
                .join(Article, Article.id == ArticleUrl.article_id)
                .order_by(ArticleUrl.url)
            )
            entries = connection.execute(
                select(
                    ListingEntry.site,
                    ListingEntry.article_url,
                    linked.url,
                    ListingEntry.source,
                    ListingEntry.title,
                    ListingEntry.teaser,
                    ListingEntry.teaser_raw,
                    ListingEntry.teaser_truncated,
                    ListingEntry.teaser_key,
                    ListingEntry.teaser_matches,
                    ListingEntry.listed_on,
                    ListingEntry.date_raw,
                )
                .outerjoin(linked, linked.id == ListingEntry.article_id)
                .order_by(ListingEntry.site, ListingEntry.article_url)
            )
            return {
                "articles": [tuple(r) for r in articles],
                "article_urls": [tuple(r) for r in urls],
                "listing_entries": [tuple(r) for r in entries],
            }
    finally:
        engine.dispose()


def sightings(db_url: str) -> dict[tuple[str, str], int]:
    """times_seen of every listing entry, by (site, article URL)."""
    from sqlalchemy import select

    from archiver.archive.engine import make_engine
    from archiver.archive.models import ListingEntry

    engine = make_engine(db_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(select(ListingEntry.site, ListingEntry.article_url, ListingEntry.times_seen))
            return {(site, url): seen for site, url, seen in rows}
    finally:
        engine.dispose()
