"""Reading a test archive: plain SQL queries, and a stand-in for Scrapy's stats collector."""

from __future__ import annotations

from sqlalchemy import text

from archiver.archive.engine import make_engine


class Stats(dict):
    """A stand-in for Scrapy's stats collector, for running pipelines outside a crawl."""

    def set_value(self, key, value):
        self[key] = value

    def inc_value(self, key, count=1):
        self[key] = self.get(key, 0) + count


def query(db_url: str, sql: str, **params) -> list[tuple]:
    engine = make_engine(db_url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(sql), params)]
    finally:
        engine.dispose()


def scalar(db_url: str, sql: str, **params):
    return query(db_url, sql, **params)[0][0]
