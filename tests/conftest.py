"""Shared test fixtures: temporary archives, the loopback sample mirror, running the CLI in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from archiver.db import make_engine, open_archive

FIXTURES = Path(__file__).parent / "fixtures"
PROJECT = Path(__file__).parent.parent
FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8"]


class Stats(dict):
    """A stand-in for Scrapy's stats collector, for running pipelines outside a crawl."""

    def set_value(self, key, value):
        self[key] = value

    def inc_value(self, key, count=1):
        self[key] = self.get(key, 0) + count


def fixture_text(*parts: str) -> str:
    return FIXTURES.joinpath(*parts).read_text(encoding="utf-8")


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """A fresh, empty SQLite archive URL in the test's temporary folder."""
    return f"sqlite:///{tmp_path / 'archive.sqlite'}"


@pytest.fixture
def engine(db_url: str):
    engine = open_archive(db_url)
    yield engine
    engine.dispose()


def run_archiver(*args: str, env: dict | None = None, timeout: float = 120, cwd: Path | None = None):
    """Run the `archiver` command line in a fresh process (Scrapy's reactor runs once per process)."""
    return subprocess.run(
        [sys.executable, "-m", "archiver", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        cwd=cwd or PROJECT,
    )


def query(db_url: str, sql: str, **params) -> list[tuple]:
    engine = make_engine(db_url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(sql), params)]
    finally:
        engine.dispose()


def scalar(db_url: str, sql: str, **params):
    return query(db_url, sql, **params)[0][0]
