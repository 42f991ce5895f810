"""Issue 25, point 3 and the stop of point 7: nothing a profile, a site or a setting does keeps a
crawl from ending at the first SIGTERM or SIGINT.

- A profile pattern with catastrophic backtracking (`^/news/(\\w+|a+)*\\d*$`) and a link
  `/news/aaaa…a!` took 100% CPU for minutes: patterns now run on RE2, in linear time.
- The first signal asks Scrapy for a graceful stop, which can wait on a download or a delay that
  never ends; it now also arms ARCHIVER_STOP_GRACE (archiver/extensions/stopguard.py), after which
  the run ends as a kill -9 would, and the next run finishes its work.
"""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest

from archiver.archive.lock import DatabaseLock
from archiver.sites.profiles import ProfileError, parse_profile
from spiders.profile import ProfileSpider
from tests.support.archive import query, scalar
from tests.support.cli import FAST, start_archiver, start_process
from tests.support.crash import snapshots_missing
from tests.support.faultserver import Fault, FaultServer
from tests.support.toycrawl import toy_command
from tests.support.toysite import article_body, toy_routes

HOSTILE_LINK = "/news/" + "a" * 40 + "!"
TOY = {"ARCHIVER_SPIDER_MODULES": "tests.support.toysite"}
TOY_SETTINGS = [*FAST, "-s", "ROBOTSTXT_OBEY=0", "-s", "ARCHIVER_YIELD_ENABLED=0", "-s", "ARCHIVER_STOP_GRACE=1"]


class Alarm(Exception):
    pass


def test_a_catastrophic_profile_pattern_cannot_hang(tmp_path):
    document = {
        "name": "hostile",
        "base_url": "https://hostile.example",
        "start": ["/news/"],
        "article_url": r"^/news/(\w+|a+)*\d*$",
        "pagination": {"kind": "next_link", "text": "(older|a+)*b"},
    }
    profile = parse_profile(document, tmp_path / "hostile.toml")
    spider = ProfileSpider.for_profile(profile)()

    def alarm(signum, frame):
        raise Alarm  # Python's re checks for signals while it backtracks: this would end it

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(10)
    try:
        assert not spider.is_article("https://hostile.example" + HOSTILE_LINK)
        assert spider.is_article("https://hostile.example/news/abc123")
        assert profile.article_url.search("/news/" + "a" * 100_000 + "!") is None
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.mark.parametrize(
    ("pattern", "says"),
    [(r"^/news/(?=\d)", "no look-ahead or look-behind"), (r"^/(a)\1/", "no back-references")],
)
def test_patterns_re2_cannot_run_are_one_line(tmp_path, pattern, says):
    document = {"name": "x", "base_url": "https://x.example", "start": ["/"], "article_url": pattern}
    with pytest.raises(ProfileError) as caught:
        parse_profile(document, tmp_path / "x.toml")
    assert str(caught.value).startswith(f"{tmp_path / 'x.toml'}: article_url: not a valid regular expression: ")
    assert says in str(caught.value) and "\n" not in str(caught.value)


def wait_for_hit(server: FaultServer, path: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while not server.hits[path]:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.02)


def test_the_first_sigterm_ends_a_crawl_waiting_on_a_download(tmp_path):
    """Scrapy's graceful stop would wait for the download (DOWNLOAD_TIMEOUT, 30 s); the run ends 1 s after.
    Ended so, it is a killed run: the next one marks it interrupted and finishes its work
    (tests/test_walk_bounds.py, tests/test_crash_safety.py)."""
    db = f"sqlite:///{tmp_path / 'archive.sqlite'}"
    routes = toy_routes(10)
    routes["/a/5/"] = Fault(article_body(5).encode(), delay=600)
    with FaultServer(routes) as server:
        crawl = ["crawl", "toy", "--base-url", server.base_url, "--db", db, *TOY_SETTINGS]
        process = start_archiver(*crawl, env=TOY)
        wait_for_hit(server, "/a/5/", process)
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=20)
    assert process.returncode == 128 + signal.SIGTERM
    assert err.splitlines() == [
        "archiver: the run had not stopped 1 s after SIGTERM; ended it now (the next run finishes its work)"
    ]
    lock = DatabaseLock(db)
    assert lock.acquire()  # the lock went with the process
    lock.release()
    assert [s for (s,) in query(db, "SELECT status FROM crawl_runs")] == ["running"]
    assert scalar(db, "SELECT COUNT(*) FROM articles") < 10
    assert snapshots_missing(db) == 0


def test_the_first_sigterm_ends_a_crawl_whose_callback_hangs(tmp_path):
    """A callback stuck in a backtracking regex holds the interpreter: the C watchdog ends the run."""
    db = f"sqlite:///{tmp_path / 'archive.sqlite'}"
    with FaultServer(toy_routes(5)) as server:
        process = start_process(
            toy_command(db, server.base_url, "ARCHIVER_STOP_GRACE=1"),
            env={"TOY_HANG_ON": "/a/3/"},
            stdout=subprocess.DEVNULL,
        )
        wait_for_hit(server, "/a/3/", process)
        time.sleep(0.3)  # the page reaches the callback
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=20)
    assert process.returncode == 1  # faulthandler's exit
    assert "Traceback" not in err and "Timeout" not in err


def test_a_stop_grace_of_zero_turns_the_deadline_off():
    from scrapy.exceptions import NotConfigured
    from scrapy.utils.test import get_crawler

    from archiver.extensions.stopguard import StopGuard

    with pytest.raises(NotConfigured):
        StopGuard.from_crawler(get_crawler(settings_dict={"ARCHIVER_STOP_GRACE": 0}))
    assert StopGuard.from_crawler(get_crawler(settings_dict={"ARCHIVER_STOP_GRACE": "2.5"})).grace == 2.5


def test_profile_example_still_compiles():
    from archiver.sites.profiles import load_profile

    path = Path(__file__).resolve().parent.parent / "docs" / "profiles" / "example.toml"
    assert load_profile(path).article_url.search("/2024/05/01/a-story/") is not None


def test_the_deadline_wraps_sigint_and_sigterm_and_chains_to_scrapy():
    from archiver.extensions.stopguard import StopDeadline

    called = []
    previous = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    for signum in previous:
        signal.signal(signum, lambda number, frame: called.append(number))  # stands for Scrapy's handler
    deadline = StopDeadline(grace=60, log_file=None)
    try:
        deadline.install()
        signal.raise_signal(signal.SIGINT)
        timer = deadline.timer
        assert called == [signal.SIGINT] and timer is not None and timer.is_alive()
        signal.raise_signal(signal.SIGTERM)  # armed once: the first signal's deadline stands
        assert called == [signal.SIGINT, signal.SIGTERM] and deadline.timer is timer
    finally:
        deadline.disarm()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    timer.join(5)
    assert not timer.is_alive()  # disarmed: it never fires
