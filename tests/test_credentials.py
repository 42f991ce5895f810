"""Issue 25, point 6: a password in a URL is never printed, logged or stored.

Every command that takes `--db`, given a PostgreSQL URL with a password (on a port where nothing
answers, or a URL whose driver is missing), says what is wrong without it; so do `worker` and
`crawl` with a Redis URL with a password, and argparse's own errors. A real crawl into PostgreSQL
through a URL with a password (`-v`, `--log-file`) leaves it out of stdout, stderr, the log and
every table. URLs shown keep their user and host: `postgresql+psycopg://ann:***@…`.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from archiver.cli import main
from archiver.normalize.urls import masked_url
from tests.support.cli import FAST, run_archiver
from tests.support.faultserver import FaultServer
from tests.support.toysite import toy_routes

SECRET = "S3cretPW"


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


REFUSED = f"postgresql+psycopg://ann:{SECRET}@127.0.0.1:{free_port()}/archive"
COMMANDS = [
    ["sql", "SELECT 1"],
    ["search", "missile"],
    ["stats"],
    ["runs"],
    ["health"],
    ["export", "--format", "jsonl", "--out", "-"],
    ["db", "upgrade"],
    ["reparse"],
    ["export-warc", "--out", "-"],
    ["crawl", "kcnawatch"],
    ["backfill", "kcnawatch", "--since", "2024-01-01"],
    ["demo"],
]


def run_main(capsys, *argv: str) -> tuple[int, str]:
    try:
        status = main(list(argv))
    except SystemExit as exc:
        status = exc.code
    captured = capsys.readouterr()
    return status, captured.out + captured.err


@pytest.mark.parametrize("argv", COMMANDS, ids=lambda argv: "-".join(argv[:1]))
@pytest.mark.parametrize("url", [REFUSED, f"mysql://ann:{SECRET}@db.example/archive"], ids=["refused", "no-driver"])
def test_no_command_prints_the_password(capsys, argv, url):
    status, output = run_main(capsys, *argv, "--db", url)
    assert status == 2, output
    assert SECRET not in output
    assert "Traceback" not in output
    assert len(output.strip().splitlines()) == 1, output


@pytest.mark.parametrize(
    "argv",
    [
        ["worker", "kcnawatch", "--db", "sqlite:///{tmp}/a.sqlite"],
        ["crawl", "kcnawatch", "--db", "sqlite:///{tmp}/a.sqlite"],
    ],
    ids=["worker", "crawl"],
)
def test_a_redis_password_is_not_printed(tmp_path, capsys, argv):
    redis = f"redis://:{SECRET}@127.0.0.1:{free_port()}/0"
    status, output = run_main(capsys, *[a.replace("{tmp}", str(tmp_path)) for a in argv], "--redis-url", redis)
    assert status == 2
    assert SECRET not in output
    assert "redis://:***@127.0.0.1" in output


def test_argparse_errors_mask_the_password(capsys):
    status, output = run_main(capsys, "sites", "--db", REFUSED)
    assert status == 2
    assert "unrecognized arguments: --db postgresql+psycopg://ann:***@127.0.0.1" in output
    assert SECRET not in output


def test_masked_url():
    assert masked_url("postgresql+psycopg://ann:pw@db/archive") == "postgresql+psycopg://ann:***@db/archive"
    assert masked_url("redis://:pw@host:6379/0") == "redis://:***@host:6379/0"
    assert masked_url("http://ann:p@ss@host/x@y") == "http://ann:***@host/x@y"  # a raw "@" in the password
    assert (
        masked_url("mysql://ann@db/archive?password=pw&charset=utf8")
        == "mysql://ann@db/archive?password=***&charset=utf8"
    )
    assert masked_url("http://[::1") == "http://[::1"  # not a URL urlsplit reads: shown as given
    for plain in ("sqlite:///archive.sqlite", "http://host/a@b", "https://kcnawatch.org/"):
        assert masked_url(plain) == plain


def test_a_crawl_into_postgresql_with_a_password(pg_url, tmp_path):
    url = make_url(pg_url).set(username="postgres", password=SECRET).render_as_string(hide_password=False)
    log = tmp_path / "crawl.log"
    with FaultServer(toy_routes(3)) as server:
        done = run_archiver(
            "crawl", "toy", "--base-url", server.base_url, "--db", url, "-v", "--log-file", str(log), *FAST,
            "-s", "ARCHIVER_YIELD_ENABLED=0",  # the toy site prints no dates
            env={"ARCHIVER_SPIDER_MODULES": "tests.support.toysite"},
        )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert "toy: ok in" in done.stdout
    assert SECRET not in done.stdout + done.stderr + log.read_text()
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            stats = connection.execute(text("SELECT stats FROM crawl_runs")).scalar_one()
            dumped = {
                table: json.dumps([list(map(str, row)) for row in connection.execute(text(f"SELECT * FROM {table}"))])
                for table in ("crawl_runs", "listing_entries", "articles", "article_urls", "pages", "listing_walks")
            }
    finally:
        engine.dispose()
    assert stats["archiver/articles/new"] == 3
    assert not [table for table, rows in dumped.items() if SECRET in rows]
