"""`archiver backfill`: walks back to --since, fetches only the range, survives kill -9 and Ctrl-C.

The mirror holds 140 daily articles (2024-01-01 … 2024-05-19), every other day from each of two
sources. The backfill finds the sources on `/newstream/` and pages each source listing `/article/ID/`
back through its "load more" fragments, ten entries each, newest first: the fragment `from=40`
reaches February 10 or 11, `from=50` lists only older days, so the walk ends there and `from=60` is
never asked for. The range February 10 … March 5 is 25 articles.
"""

from __future__ import annotations

import json
import shlex
import signal
import time
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from archiver.cli import main
from archiver.extensions.jobdir import RUNNING, backfill_dir, prepare
from archiver.mirror.kcnawatch import fragment_target
from archiver.mirror.server import MirrorServer
from tests.support.archive import query, scalar
from tests.support.cli import run_archiver, start_archiver
from tests.support.progress import progress_figures, summary_figures
from tests.support.sites import (
    MirrorSite,
    article_hits,
    daily_articles,
    listing_hits,
    wait_until,
)

pytestmark = pytest.mark.slow

SINCE, UNTIL = date(2024, 2, 10), date(2024, 3, 5)
ARTICLES = daily_articles(date(2024, 1, 1), 140)
IN_RANGE = {a.path for a in ARTICLES if SINCE <= a.published.date() <= UNTIL}
# Without -a sources a backfill discovers the sources: the feed names two that no listing has named
# yet, and the newest article of each (outside the range) is fetched for its page's links.
DISCOVERED = {a.path for a in ARTICLES[-2:]}
# Two requests at a time and small store batches: a kill loses little, and lands mid-walk.
SETTINGS = [
    "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2",
    "-s", "ARCHIVER_STORE_BATCH=50",
]  # fmt: skip


def backfill_args(server: MirrorServer, db_url: str, *extra: str) -> list[str]:
    return [
        "backfill", "kcnawatch", "--since", SINCE.isoformat(), "--until", UNTIL.isoformat(),
        "--base-url", server.base_url, "--db", db_url, *SETTINGS, *extra,
    ]  # fmt: skip


def stored_articles(db_url: str) -> list[str]:
    """The paths of the archived articles (one per row)."""
    return [urlsplit(url).path for (url,) in query(db_url, "SELECT url FROM articles")]


def test_resume_after_kill_9(tmp_path: Path, db_url: str) -> None:
    site = MirrorSite(ARTICLES, hold_after=12)
    with MirrorServer(site) as server:
        first = start_archiver(*backfill_args(server, db_url))
        try:
            wait_until(lambda: site.served > 12)
            # Mid-walk, with requests held in flight: a concurrent run is refused in one line.
            other = run_archiver("crawl", "kcnawatch", "--base-url", server.base_url, "--db", db_url)
            assert other.returncode == 0
            assert other.stdout == ""
            assert len(other.stderr.strip().splitlines()) == 1 and "in use by another run" in other.stderr
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=30)
        finally:
            first.kill()
            site.release()
        assert first.returncode == -signal.SIGKILL
        before = set(stored_articles(db_url))
        assert before < IN_RANGE | DISCOVERED  # some archived, not all
        assert scalar(db_url, "SELECT status FROM crawl_runs") == "running"  # the killed run never closed
        first_hits = article_hits(server.hits)
        server.hits.clear()

        resumed = run_archiver(*backfill_args(server, db_url, "--resume", "-s", "ARCHIVER_PROGRESS_INTERVAL=0.1"))
        assert resumed.returncode == 0, resumed.stderr
        assert "did not stop cleanly" in resumed.stderr
        assert resumed.stdout.startswith("kcnawatch: ok")
        second_hits = article_hits(server.hits)
        # Its last progress line (stderr is a pipe, a line every 0.1 s): every listing walked (/newstream/ and the two
        # sources), and the summary's figures.
        final, summary = progress_figures(resumed.stderr)[-1], summary_figures(resumed.stdout)
        assert (final["done"], final["total"], final["unit"]) == (3, 3, "listings")
        assert final["pages"] == summary["pages"]
        assert final["new"] == summary["new"] == len(IN_RANGE - before) > 0

        stored = stored_articles(db_url)
        assert sorted(stored) == sorted(IN_RANGE | DISCOVERED)  # exactly the range, none twice
        assert not before & set(second_hits)  # what was archived is not fetched again
        # Nothing outside the range, ever, but one article per source to discover the sources.
        assert set(first_hits) | set(second_hits) == IN_RANGE | DISCOVERED
        server.hits.clear()

        # Running it again (no --resume) is harmless: listing pages only, nothing new stored.
        again = run_archiver(*backfill_args(server, db_url))
        assert again.returncode == 0, again.stderr
        assert not article_hits(server.hits)
        assert scalar(db_url, "SELECT COUNT(*) FROM articles") == len(IN_RANGE | DISCOVERED)


def test_resume_after_ctrl_c_continues_the_walk(tmp_path: Path, db_url: str) -> None:
    site = MirrorSite(ARTICLES, hold_after=12)
    with MirrorServer(site) as server:
        first = start_archiver(*backfill_args(server, db_url, "-s", "LOG_LEVEL=INFO", "-a", "sources=163,177"))
        try:
            wait_until(lambda: site.served > 12)
            first.send_signal(signal.SIGINT)
            log = ""
            while "shutting down gracefully" not in log and (line := first.stderr.readline()):
                log += line
            time.sleep(0.2)  # Scrapy stops scheduling, then lets the held requests finish
            site.release()
            out, err = first.communicate(timeout=60)
            err = log + err
        finally:
            first.kill()
            site.release()
        assert first.returncode == 1, err
        assert out.startswith("kcnawatch: interrupted")
        # The hint repeats every argument (issue 29: it dropped -a); it is the command that resumes.
        hint = next(line for line in err.splitlines() if "continue it with: " in line).split("continue it with: ")[1]
        assert hint == shlex.join(
            ["archiver", *backfill_args(server, db_url), "-s", "LOG_LEVEL=INFO", "-a", "sources=163,177", "--resume"]
        )
        assert query(db_url, "SELECT mode, status FROM crawl_runs") == [("backfill", "interrupted")]
        assert (backfill_dir(db_url, "kcnawatch") / "requests.queue").is_dir()
        assert set(stored_articles(db_url)) < IN_RANGE

        resumed = run_archiver(*shlex.split(hint)[1:])
        assert resumed.returncode == 0, resumed.stderr
        assert "resuming the backfill" in resumed.stderr

    assert len(IN_RANGE) == 25
    assert sorted(stored_articles(db_url)) == sorted(IN_RANGE)
    # Over both runs every article in range was fetched once, and every listing page once: the
    # resumed run took the walk up from Scrapy's saved queue instead of starting it again.
    hits = server.hits
    assert article_hits(hits) == {path: 1 for path in IN_RANGE}
    pages = listing_hits(hits)
    assert set(pages.values()) == {1}
    for source_id in (189661, 190036):
        assert fragment_target(source_id, 50) in pages and fragment_target(source_id, 60) not in pages
    assert not backfill_dir(db_url, "kcnawatch").exists()  # a finished backfill leaves nothing to resume
    runs = query(db_url, "SELECT mode, status, stats FROM crawl_runs ORDER BY id")
    assert [(mode, status) for mode, status, _ in runs] == [("backfill", "interrupted"), ("backfill", "ok")]
    first, second = (json.loads(stats)["summary"] for _, _, stats in runs)
    assert first["items_by_kind"]["article"] + second["items_by_kind"]["article"] == len(IN_RANGE)
    assert first["requests"] + second["requests"] == hits.total()
    assert second["responses_by_status"] == {"200": second["requests"]}


def test_resume_with_other_dates_is_bad_usage(tmp_path: Path, db_url: str, capsys) -> None:
    folder = backfill_dir(db_url, "kcnawatch")
    folder.mkdir(parents=True)
    (folder / "backfill.json").write_text(
        json.dumps({"since": "2024-01-01", "until": None, "base_url": None}), encoding="utf-8"
    )
    status = main(["backfill", "kcnawatch", "--since", "2024-02-01", "--resume", "--db", db_url])
    err = capsys.readouterr().err
    assert status == 2
    assert len(err.strip().splitlines()) == 1 and "since 2024-01-01" in err


def test_reversed_dates_are_bad_usage(db_url: str, capsys) -> None:
    status = main(["backfill", "kcnawatch", "--since", "2024-03-01", "--until", "2024-02-01", "--db", db_url])
    err = capsys.readouterr().err
    assert status == 2
    assert err.strip() == "archiver: error: --since 2024-03-01 is after --until 2024-02-01"


def test_job_folder_of_an_unclean_stop_is_discarded_on_resume(tmp_path: Path) -> None:
    folder = tmp_path / "archive.sqlite.state" / "kcnawatch"
    parameters = {"since": "2024-02-10", "until": None, "base_url": None}
    assert prepare(folder, parameters, resume=True) == "nothing to resume: starting the backfill"
    (folder / "requests.queue").mkdir()
    (folder / "requests.seen").write_text("fingerprint\n")
    assert prepare(folder, parameters, resume=True).startswith("resuming the backfill")
    assert (folder / "requests.seen").exists()  # a clean stop: Scrapy's state is kept
    (folder / RUNNING).write_text("123\n")  # the run was killed while marked running
    assert "did not stop cleanly" in prepare(folder, parameters, resume=True)
    assert sorted(p.name for p in folder.iterdir()) == ["backfill.json"]
    (folder / "requests.seen").write_text("fingerprint\n")
    assert prepare(folder, parameters, resume=False).startswith("starting the backfill afresh")
    assert sorted(p.name for p in folder.iterdir()) == ["backfill.json"]


def test_the_resume_hint_repeats_every_argument() -> None:
    from archiver.cli import build_parser
    from archiver.cli.backfill import command_line

    given = [
        "backfill", "kcnawatch", "--since", "2024-10-01", "--until", "2024-12-31", "--sites", ".",
        "--base-url", "http://127.0.0.1:8001", "--db", "sqlite:///my archive.sqlite", "--log-file", "b.log",
        "-s", "DOWNLOAD_DELAY=0", "-s", "KCNAWATCH_SOURCE_IDS=163:189661", "-a", "sources=163,177", "-a", "feed=0",
        "--refresh", "--wait",
    ]  # fmt: skip
    hint = command_line(build_parser().parse_args(given))
    assert shlex.split(hint) == ["archiver", *given]
