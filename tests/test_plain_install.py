"""A plain `pip install` (no extras, as an operator installs a cron job) crawls, backfills and serves.

Builds a fresh virtual environment, installs a copy of the project into it without extras (from
the package index: slow, and skipped when no index answers), then, with that environment's
`archiver` only: serves the bundled sample mirror, crawls and backfills it, and checks that the
commands needing an extra say which one in one line. Depends on the bundled KCNA Watch sample
site having articles (counted by SQL).
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import venv
from pathlib import Path

import pytest

from tests.support.cli import PROJECT

pytestmark = pytest.mark.slow

SKIP = shutil.ignore_patterns(
    ".git", "__pycache__", "*.egg-info", "build", "dist", "*.sqlite*", ".pytest_cache", ".venv", "venv", "*.log"
)
NO_INDEX = ("No matching distribution", "Could not find a version", "NewConnectionError", "Network is unreachable")


@pytest.fixture(scope="module")
def plain(tmp_path_factory) -> Path:
    """The bin folder of a fresh environment holding the project without extras."""
    root = tmp_path_factory.mktemp("plain")
    source = root / "source"
    shutil.copytree(PROJECT, source, ignore=SKIP)
    venv.create(root / "venv", with_pip=True)
    bin_dir = root / "venv" / "bin"
    result = subprocess.run(
        [str(bin_dir / "python"), "-m", "pip", "install", "--quiet", str(source)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    if result.returncode != 0 and any(sign in result.stderr for sign in NO_INDEX):
        pytest.skip(f"no package index to install from: {result.stderr.strip().splitlines()[-1]}")
    assert result.returncode == 0, result.stderr
    return bin_dir


def run(bin_dir: Path, *args: str, cwd: Path, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run([str(bin_dir / "archiver"), *args], capture_output=True, text=True, timeout=timeout, cwd=cwd)


def test_no_extra_is_installed(plain):
    for module in ("scrapy_redis", "redis", "psycopg", "datasette", "matplotlib"):
        found = subprocess.run([str(plain / "python"), "-c", f"import {module}"], capture_output=True)
        assert found.returncode != 0, module


def test_a_plain_install_crawls_and_backfills_the_sample_mirror(plain, tmp_path):
    mirror = subprocess.Popen(
        [str(plain / "archiver"), "mirror", "kcnawatch", "--port", "0"], stdout=subprocess.PIPE, text=True, cwd=tmp_path
    )
    try:
        base_url = mirror.stdout.readline().split(" at ")[1].split()[0]
        fast = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0"]
        crawl = run(plain, "crawl", "kcnawatch", "--base-url", base_url, *fast, cwd=tmp_path)
        assert crawl.returncode == 0, crawl.stderr
        assert crawl.stdout.startswith("kcnawatch: ok in ") and "Traceback" not in crawl.stderr
        backfill = run(
            plain, "backfill", "kcnawatch", "--since", "2000-01-01", "--base-url", base_url, *fast, cwd=tmp_path
        )
        assert backfill.returncode == 0, backfill.stderr
    finally:
        mirror.terminate()
        mirror.wait(timeout=20)
    with sqlite3.connect(tmp_path / "archive.sqlite") as connection:
        assert connection.execute("SELECT COUNT(*) FROM articles").fetchone()[0] > 0
        assert [row[0] for row in connection.execute("SELECT mode FROM crawl_runs ORDER BY id")] == [
            "crawl",
            "backfill",
        ]
    search = run(plain, "search", "the", "--limit", "1", cwd=tmp_path)
    assert search.returncode == 0, search.stderr


@pytest.mark.parametrize(
    ("args", "extra"),
    [
        (["worker", "kcnawatch", "--redis-url", "redis://127.0.0.1:6379/0"], "scale"),
        (["crawl", "kcnawatch", "--redis-url", "redis://127.0.0.1:6379/0"], "scale"),
        (["stats", "--db", "postgresql+psycopg://archiver@127.0.0.1/test"], "scale"),
        (["browse"], "browse"),
        (["search", "Juche", "--count-by", "month", "--plot", "mentions.png"], "plot"),
        (["crawl", "kcnawatch", "-s", "ARCHIVER_SNAPSHOT_COMPRESSION=zstd"], "zstd"),  # issue 26, point 6
    ],
)
def test_commands_that_need_an_extra_name_it_in_one_line(plain, tmp_path, args, extra):
    if args == ["browse"]:
        sqlite3.connect(tmp_path / "archive.sqlite").close()
    result = run(plain, *args, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert len(result.stderr.splitlines()) == 1 and f"newsarchiver[{extra}]" in result.stderr, result.stderr
