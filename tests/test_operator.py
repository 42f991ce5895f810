"""What an operator meets first: the sample mirror, -a spider arguments, a quiet log file, the
contact warning, `scrapy crawl` outside the checkout, and a demo that is the same archive every run.

Depends on the bundled KCNA Watch sample site (archiver/mirror) having dated articles; counts come
from the archive (SQL), not from the site's markup.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from scrapy.settings import Settings

from archiver import settings as archiver_settings
from spiders.base import contact_warning
from spiders.kcnawatch import KcnaWatchSpider
from tests.support.archive import query
from tests.support.cli import FAST, PROJECT, run_archiver


def project_settings(**overrides) -> Settings:
    """The settings a spider's crawl runs with: the project's, the command line's, then the spider's own."""
    settings = Settings()
    settings.setmodule(archiver_settings, priority="project")
    settings.set("ARCHIVER_CONTACT", archiver_settings.PLACEHOLDER_CONTACT, priority="project")
    settings.set("USER_AGENT", "newsarchiver (+the project default)", priority="project")
    for name, value in overrides.items():
        settings.set(name, value, priority="cmdline")
    KcnaWatchSpider.update_settings(settings)  # the User-Agent at spider priority, from ARCHIVER_CONTACT
    return settings


def test_the_placeholder_contact_warns_on_real_hosts_only():
    warning = contact_warning(project_settings(), "https://kcnawatch.org")
    assert warning is not None and "ARCHIVER_CONTACT" in warning and "kcnawatch.org" in warning
    for mirror in ("http://127.0.0.1:8001", "http://localhost:8001", "http://rstv.example", "http://x.test"):
        assert contact_warning(project_settings(), mirror) is None
    assert contact_warning(project_settings(ARCHIVER_CONTACT="mailto:me@example.org"), "https://kcnawatch.org") is None
    assert contact_warning(project_settings(USER_AGENT="my crawler (me@example.org)"), "https://kcnawatch.org") is None


@pytest.fixture
def mirror():
    process = subprocess.Popen(
        [sys.executable, "-m", "archiver", "mirror", "kcnawatch", "--port", "0"],
        cwd=PROJECT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    first = process.stdout.readline()
    assert first.startswith("serving the sample kcnawatch site at http://127.0.0.1:"), first + process.stderr.read()
    yield first.split(" at ")[1].split()[0]
    process.terminate()
    process.wait(timeout=20)


@pytest.mark.slow
def test_mirror_a_arguments_and_a_quiet_log_file(mirror, tmp_path, db_url):
    crawl = ["crawl", "kcnawatch", "--base-url", mirror, "--db", db_url, *FAST]
    future = run_archiver(*crawl, "-a", "since=2999-01-01")  # reaches the spider: every entry out of range
    assert future.returncode == 0, future.stderr
    assert query(db_url, "SELECT COUNT(*) FROM articles") == [(0,)]
    (stats,) = query(db_url, "SELECT stats FROM crawl_runs")[0]
    assert json.loads(stats)["archiver/walk/skipped/out_of_range"] > 0
    bad = run_archiver(*crawl, "-a", "since")
    assert bad.returncode == 2 and bad.stderr == "archiver: error: -a takes NAME=VALUE, got 'since'\n"
    refused = run_archiver(*crawl, "-a", "since=yesterday")  # the spider's own check, before the crawl
    assert refused.returncode == 2 and len(refused.stderr.splitlines()) == 1, refused.stderr
    assert refused.stderr.startswith("archiver: error: kcnawatch: bad spider argument: since must be a date")

    logs = [tmp_path / "first.log", tmp_path / "second.log"]
    for log in logs:
        result = run_archiver(*crawl, "--log-file", str(log))
        assert result.returncode == 0, result.stderr
    articles = query(db_url, "SELECT COUNT(*) FROM articles")[0][0]
    assert articles > 0
    unchanged = logs[1].read_text(encoding="utf-8").splitlines()
    assert len(unchanged) <= 8, unchanged  # was 138: versions, settings, component lists, stats dump
    assert not any("alembic" in line or "Enabled" in line for line in unchanged)
    assert " ended 20" in result.stdout and result.stdout.rstrip().endswith("; 0 errors")


@pytest.mark.slow
def test_mirror_on_a_port_in_use_is_one_line(mirror):
    port = mirror.rsplit(":", 1)[1]
    result = run_archiver("mirror", "kcnawatch", "--port", port)
    assert result.returncode == 2 and len(result.stderr.splitlines()) == 1 and "cannot serve" in result.stderr


@pytest.mark.slow
def test_scrapy_crawl_from_any_folder(mirror, tmp_path):
    archive = tmp_path / "plain.sqlite"
    env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "archiver.settings", "PYTHONPATH": str(PROJECT)}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "scrapy",
            "crawl",
            "kcnawatch",
            "-a",
            f"base_url={mirror}",
            "-s",
            f"ARCHIVER_DB_URL=sqlite:///{archive}",
            "-s",
            "DOWNLOAD_DELAY=0",
            "-s",
            "LOG_LEVEL=WARNING",
        ],
        cwd=tmp_path,  # no scrapy.cfg here nor above
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert query(f"sqlite:///{archive}", "SELECT COUNT(*) FROM articles")[0][0] > 0


@pytest.mark.slow
def test_demo_gives_the_same_archive_however_often_it_runs(tmp_path):
    db_url = f"sqlite:///{tmp_path / 'demo.sqlite'}"
    contents = "SELECT site, url, title, body, published_on FROM articles ORDER BY url"
    runs = []
    for _ in range(2):
        result = run_archiver("demo", "--db", db_url, timeout=300)
        assert result.returncode == 0, result.stdout + result.stderr
        runs.append((result.stdout, query(db_url, contents)))
    (first_out, first), (second_out, second) = runs
    assert first and second == first
    assert query(db_url, "SELECT COUNT(DISTINCT url) FROM article_urls WHERE url LIKE 'http://127.0.0.1%'") == [(0,)]
    assert "articles 0 new" in second_out and "articles 0 new" not in first_out


def test_a_mirror_on_this_machine_is_crawled_at_full_speed_and_says_so():
    from archiver.cli.crawl import loopback_speed
    from archiver.mirror import FULL_SPEED
    from archiver.normalize.urls import is_loopback

    assert [is_loopback(u) for u in ("http://127.0.0.1:8001", "http://localhost/", "http://[::1]:80/")] == [True] * 3
    assert not any(is_loopback(u) for u in ("https://kcnawatch.org", "http://127.example", "http://10.0.0.1/"))

    def args(*settings: str, quiet: bool = False):
        return type("Args", (), {"settings": list(settings), "quiet": quiet})()

    applied, note = loopback_speed(args(), "http://127.0.0.1:8001")
    assert applied == FULL_SPEED
    assert note == (
        "archiver: 127.0.0.1:8001 is this machine: crawling it at full speed (DOWNLOAD_DELAY=0, "
        "AUTOTHROTTLE_ENABLED=False, CONCURRENT_REQUESTS_PER_DOMAIN=8; -s DOWNLOAD_DELAY=2 to be gentler)"
    )
    applied, note = loopback_speed(args("DOWNLOAD_DELAY=1"), "http://localhost:8001")  # the user's -s wins
    assert "DOWNLOAD_DELAY" not in applied and note is not None and "DOWNLOAD_DELAY=0" not in note
    assert loopback_speed(args(), "https://kcnawatch.org") == ({}, None)
    assert loopback_speed(args(quiet=True), "http://127.0.0.1:8001") == (FULL_SPEED, None)
