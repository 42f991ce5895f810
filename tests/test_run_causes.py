"""What a failed run says: its errors' causes in the summary, one line per failure (no traceback), the
spider's name on every log line of `crawl --all`, and the contact warning on a real host.

The real hosts are reached through proxies on loopback only (`http_proxy`, `https_proxy`): a
FaultServer that answers 404 for everything and keeps the User-Agent it was sent, and a closed port
(connection refused). Nothing leaves the machine, not even a DNS query.
"""

from __future__ import annotations

import logging
import re
import socket

import pytest

from archiver import __version__
from archiver import settings as archiver_settings
from archiver.archive.causes import causes_record, causes_text, reason_text
from archiver.crawl.runner import SpiderLogRecord
from tests.support.archive import query
from tests.support.cli import FAST, run_archiver
from tests.support.faultserver import FaultServer


def test_reasons_in_words() -> None:
    assert [reason_text(r) for r in ("404", "connection_refused", "dns", "timeout", "too_large")] == [
        "HTTP 404",
        "connection refused",
        "host not found (DNS)",
        "timeout",
        "response too large",
    ]


def failures(*pairs: tuple[str, str]) -> list[dict]:
    return [{"url": url, "reason": reason} for url, reason in pairs]


def test_causes_commonest_first_with_their_hosts() -> None:
    assert causes_text({}) == "0 errors"
    refused = {
        "archiver/http_errors/connection_refused": 4,
        "archiver/failed_urls": failures(*[(f"http://www.redstartv.org/{i}", "connection_refused") for i in range(4)]),
    }
    assert causes_text(refused) == "4 errors: connection refused ×4 (www.redstartv.org)"
    mixed = {
        "archiver/http_errors/404": 1,
        "archiver/http_errors/timeout": 3,
        "archiver/failed_urls": failures(
            ("http://a.example/x", "timeout"),
            ("http://b.example/y", "timeout"),
            ("http://a.example/z", "timeout"),
            ("http://a.example/gone", "404"),
        ),
        "spider_exceptions/count": 2,
        "spider_exceptions/KeyError": 2,
        "log_count/ERROR": 3,  # the two spider errors and one more
    }
    assert causes_text(mixed) == (
        "7 errors: timeout ×3 (a.example, b.example), spider error (KeyError) ×2, HTTP 404 ×1 (a.example), "
        "1 more of 1 other cause"
    )
    assert causes_record(mixed)[-1] == {"cause": "other errors (see the log)", "count": 1, "hosts": []}
    # failures beyond ARCHIVER_FAILED_URLS_MAX are counted without their URL: the cause still shows
    assert causes_text({"archiver/http_errors/500": 2}) == "2 errors: HTTP 500 ×2"


def test_a_log_record_names_its_spider() -> None:
    class Spider:
        name = "rstv"

    def record(logger: str, message: str, spider=None) -> str:
        made = SpiderLogRecord(logger, logging.WARNING, __file__, 1, message, (), None)
        if spider is not None:
            made.spider = spider
        return made.getMessage()

    assert record("archiver.middlewares.failures", "Gave up on http://x/", Spider()) == "rstv: Gave up on http://x/"
    assert record("rstv", "ARCHIVER_CONTACT is not set", Spider()) == "ARCHIVER_CONTACT is not set"  # its own logger
    assert record("scrapy.core.engine", "Spider opened") == "Spider opened"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_crawl_all_of_unreachable_real_hosts(tmp_path, db_url) -> None:
    """`crawl --all` without ARCHIVER_CONTACT: the contact warning for each real host, the User-Agent
    that names the placeholder, each failure in one line that names its spider, causes in the summary."""
    with FaultServer() as proxy:  # answers 404 to everything
        env = {
            "http_proxy": proxy.base_url,  # http://www.redstartv.org
            "https_proxy": f"http://127.0.0.1:{closed_port()}",  # https://kcnawatch.org: refused
            "no_proxy": "",
            "ARCHIVER_CONTACT": "",
            "ARCHIVER_SITES": str(tmp_path),  # no site profiles: the two built-in spiders
        }
        result = run_archiver("crawl", "--all", "--db", db_url, *FAST, "-s", "RETRY_TIMES=0", env=env)
    assert result.returncode == 1, result.stderr
    kcnawatch, rstv = result.stdout.splitlines()
    assert kcnawatch.startswith("kcnawatch: errors in ")
    assert kcnawatch.endswith("; 2 errors: connection refused ×2 (kcnawatch.org)")  # robots.txt and the feed
    assert rstv.startswith("rstv: errors in ") and rstv.endswith("; 3 errors: HTTP 404 ×3 (www.redstartv.org)")
    listings = ("/", "/blog/", "/news/")  # the home page and each module's listing
    assert dict(proxy.hits) == dict.fromkeys(
        ["http://www.redstartv.org/robots.txt"] + [f"http://www.redstartv.org{p}" for p in listings], 1
    )
    assert list(proxy.agents) == [f"newsarchiver/{__version__} (+{archiver_settings.PLACEHOLDER_CONTACT})"]

    lines = result.stderr.splitlines()
    assert "Traceback" not in result.stderr
    for line in lines:  # every log line names its spider (a progress line, if any, too)
        assert re.match(
            r"^\S+ \S+ \[(kcnawatch|rstv)\] |^\S+ \S+ \[[\w.]+\] \w+: (kcnawatch|rstv): |^(kcnawatch|rstv): ", line
        ), line
    warnings = [line for line in lines if "ARCHIVER_CONTACT is not set" in line]
    assert len(warnings) == 2
    assert "[kcnawatch] WARNING: ARCHIVER_CONTACT is not set: the User-Agent sent to kcnawatch.org" in warnings[0]
    assert "[rstv] WARNING: ARCHIVER_CONTACT is not set: the User-Agent sent to www.redstartv.org" in warnings[1]
    gave_up = sorted(line.split(" WARNING: ")[1] for line in lines if "Gave up on" in line)
    assert gave_up == [
        "kcnawatch: Gave up on https://kcnawatch.org/newstream/feed/: connection refused",
        "kcnawatch: Gave up on https://kcnawatch.org/robots.txt: connection refused",
        "rstv: Gave up on http://www.redstartv.org/: HTTP 404",
        "rstv: Gave up on http://www.redstartv.org/blog/: HTTP 404",
        "rstv: Gave up on http://www.redstartv.org/news/: HTTP 404",
    ]
    recorded = dict(query(db_url, "SELECT spider, json_extract(stats, '$.summary.error_causes') FROM crawl_runs"))
    assert recorded["rstv"] == '[{"cause":"HTTP 404","count":3,"hosts":["www.redstartv.org"]}]'
