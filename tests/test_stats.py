"""`archiver stats`: counts, date ranges and empty dates per site and source, with each site's last crawl."""

from __future__ import annotations

import json
from datetime import datetime

from archiver.archive.engine import session_factory
from archiver.archive.models import CrawlRun
from archiver.cli import main
from tests.support.research_archive import fill


def add_runs(engine) -> None:
    with session_factory(engine).begin() as session:
        session.add_all(
            [
                CrawlRun(spider="kcnawatch", mode="backfill", started_at=datetime(2024, 9, 1, 3, 0), status="ok"),
                CrawlRun(
                    spider="kcnawatch", mode="crawl", started_at=datetime(2024, 9, 2, 3, 0, 5, 123), status="errors"
                ),
                CrawlRun(spider="rstv", mode="crawl", started_at=datetime(2024, 9, 2, 4, 0), status="interrupted"),
                CrawlRun(spider="newsite", mode="crawl", started_at=datetime(2024, 9, 3, 4, 0), status="running"),
            ]
        )


def test_stats_per_site_and_source(engine, db_url, capsys):
    fill(engine)
    add_runs(engine)
    assert main(["stats", "--format", "jsonl", "--db", db_url]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert rows == [
        {
            "site": "kcnawatch",
            "source": "KASS (EN)",
            "articles": 2,
            "listing_entries": 1,
            "first_date": "2024-06-10",
            "last_date": "2024-06-10",
            "undated_articles": 1,
            "undated_entries": 0,
            "edited": 0,
            "removed": 0,
            "last_crawl": "2024-09-02T03:00:05",
            "last_mode": "crawl",
            "last_status": "errors",
        },
        {
            "site": "kcnawatch",
            "source": "KCNA (EN)",
            "articles": 4,
            "listing_entries": 2,
            "first_date": "2024-03-01",
            "last_date": "2024-08-01",
            "undated_articles": 0,
            "undated_entries": 0,
            "edited": 0,
            "removed": 0,
            "last_crawl": "2024-09-02T03:00:05",
            "last_mode": "crawl",
            "last_status": "errors",
        },
        {
            "site": "newsite",
            "source": None,
            "articles": 0,
            "listing_entries": 0,
            "first_date": None,
            "last_date": None,
            "undated_articles": 0,
            "undated_entries": 0,
            "edited": 0,
            "removed": 0,
            "last_crawl": "2024-09-03T04:00:00",
            "last_mode": "crawl",
            "last_status": "running",
        },
        {
            "site": "rstv",
            "source": "RSTV",
            "articles": 1,
            "listing_entries": 0,
            "first_date": "2024-07-25",
            "last_date": "2024-07-25",
            "undated_articles": 0,
            "undated_entries": 0,
            "edited": 0,
            "removed": 0,
            "last_crawl": "2024-09-02T04:00:00",
            "last_mode": "crawl",
            "last_status": "interrupted",
        },
    ]


def test_stats_table_and_empty_archive(engine, db_url, capsys):
    assert main(["stats", "--db", db_url]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == [
        "site",
        "source",
        "articles",
        "listing_entries",
        "first_date",
        "last_date",
        "undated_articles",
        "undated_entries",
        "edited",
        "removed",
        "last_crawl",
        "last_mode",
        "last_status",
    ]
    assert out[2:] == ["(no rows)"]
    fill(engine)
    assert main(["stats", "--format", "csv", "--db", db_url]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "rstv,RSTV,1,0,2024-07-25,2024-07-25,0,0,0,0,,,"
