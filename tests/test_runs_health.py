"""`archiver runs` and `archiver health`: the run log, and exit codes a monitor can alert on."""

from __future__ import annotations

from datetime import timedelta

import pytest

from archiver.archive.engine import session_factory
from archiver.archive.models import CrawlRun, utcnow
from archiver.archive.runlog import parse_age
from archiver.cli import main


def summary(requests: int, new: int) -> dict:
    return {"requests": requests, "articles": {"new": new, "updated": 0}, "articles_gone": 0}


@pytest.fixture
def archive(engine, db_url):
    now = utcnow()
    runs = [  # (spider, status, hours ago it started, extra stats)
        ("kcnawatch", "ok", 50, {}),
        ("rstv", "ok", 30, {}),
        ("kcnawatch", "errors", 10, {"archiver/http_errors/404": 2}),
        ("kcnawatch", "ok", 5, {}),
        ("rstv", "interrupted", 1, {}),
    ]
    with session_factory(engine).begin() as session:
        for number, (spider, status, hours, extra) in enumerate(runs):
            started = now - timedelta(hours=hours)
            session.add(
                CrawlRun(
                    spider=spider,
                    mode="crawl",
                    started_at=started,
                    finished_at=started + timedelta(seconds=90),
                    status=status,
                    stats={"summary": summary(10 + number, number), **extra},
                )
            )
    return db_url


def lines(capsys) -> list[str]:
    return capsys.readouterr().out.splitlines()


def test_parse_age():
    assert parse_age("2d") == timedelta(days=2)
    assert parse_age("1d12h") == timedelta(hours=36)
    assert parse_age("90m") == timedelta(minutes=90)
    for bad in ("2", "two days", "0h", "2x"):
        with pytest.raises(ValueError):
            parse_age(bad)


def test_runs_lists_newest_first_filtered(archive, capsys):
    assert main(["runs", "--db", archive, "--format", "csv"]) == 0
    out = lines(capsys)
    assert out[0] == "id,spider,mode,started_at,seconds,status,requests,new,updated,gone,errors"
    assert [row.split(",")[0] for row in out[1:]] == ["5", "4", "3", "2", "1"]
    assert main(["runs", "--db", archive, "--failed", "--format", "csv"]) == 0
    failed = [row.split(",") for row in lines(capsys)[1:]]
    assert [(r[0], r[1], r[5], r[-1]) for r in failed] == [
        ("5", "rstv", "interrupted", "0"),
        ("3", "kcnawatch", "errors", "2"),
    ]
    assert main(["runs", "--db", archive, "--site", "rstv", "--format", "csv"]) == 0
    assert [row.split(",")[:2] for row in lines(capsys)[1:]] == [["5", "rstv"], ["2", "rstv"]]
    assert main(["runs", "--db", archive, "--site", "nosuch"]) == 0
    assert lines(capsys) == ["no runs recorded"]


def test_health_exit_codes(archive, capsys):
    assert main(["health", "--db", archive]) == 0  # both had an ok run within 2 days
    out = lines(capsys)
    assert out[-1] == "health: every site had a successful run within 2d"
    assert main(["health", "--db", archive, "--max-age", "1d"]) == 1  # rstv's last ok run is 30 h old
    err = capsys.readouterr().err
    assert err.strip() == "health: no successful run within 1d: rstv"
    assert main(["health", "--db", archive, "--max-age", "1d", "--site", "kcnawatch"]) == 0
    capsys.readouterr()
    assert main(["health", "--db", archive, "--site", "never"]) == 1
    assert "never" in capsys.readouterr().err


def test_health_bad_age_is_one_line(archive, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["health", "--db", archive, "--max-age", "soon"])
    assert exit_.value.code == 2
    assert len(capsys.readouterr().err.splitlines()) == 1
