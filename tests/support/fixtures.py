"""Pytest fixtures shared by every test module (loaded through `pytest_plugins` in conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from archiver.archive.engine import open_archive

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


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
