"""Issue 25, points 5 and 10: robots.txt that shuts a run out, and sites that say when to come back.

- robots.txt that forbids everything (a malformed one a lenient parser reads as `Disallow: /`
  included) ends the run `degraded`, with one line naming the host; robots.txt answering 5xx (after
  the retries) or failing to download is a complete disallow (RFC 9309), degraded too; a robots.txt
  that forbids some pages leaves the run `ok`.
- A 429/503 with `Retry-After` at most ARCHIVER_RETRY_AFTER_MAX is retried after that wait; a longer
  one postpones the page to the next run (counted, said in the summary, not an error), and the next
  run fetches it. Request counts are exact.
"""

from __future__ import annotations

import pytest
from scrapy.exceptions import DownloadConnectionRefusedError, IgnoreRequest
from scrapy.http import Request, Response
from scrapy.http.request import NO_CALLBACK
from scrapy.utils.test import get_crawler

from archiver.extensions.robots import robots_line
from archiver.middlewares.retryafter import Postponed, RetryAfter, retry_after_seconds
from archiver.middlewares.robots import DISALLOW_ALL, UNREACHABLE, UnreachableRobots
from archiver.mirror.server import Resource
from tests.support.faultserver import FaultServer, status
from tests.support.toycrawl import crawl_toy
from tests.support.toysite import toy_routes

OBEY = "ROBOTSTXT_OBEY=True"


def robots_crawl(db_url: str, robots: Resource | list[Resource]):
    routes = {**toy_routes(3), "/robots.txt": robots}
    with FaultServer(routes) as server:
        result = crawl_toy(db_url, server, OBEY)
    return result, dict(server.hits), server.base_url.removeprefix("http://")


def test_a_malformed_robots_txt_that_forbids_everything_is_degraded(db_url):
    result, hits, host = robots_crawl(db_url, Resource(b"User-agent *\nDisallow /\n", "text/plain"))
    assert hits == {"/robots.txt": 1}
    assert result.returncode == 1
    assert result.stats["archiver/status"] == "degraded"
    assert result.stats["archiver/field_yield/warnings"] == [
        f"toy: robots.txt of {host} forbids every page this run asked for (1 request not sent); "
        "nothing was fetched: has the site's robots.txt changed?"
    ]
    assert result.lines[0].startswith("toy: degraded in ")


def test_robots_txt_answering_500_is_a_complete_disallow(db_url):
    result, hits, host = robots_crawl(db_url, status(500))
    assert hits == {"/robots.txt": 4}  # the first try and RETRY_TIMES (3) retries; no page at all
    assert result.returncode == 1
    assert result.stats["archiver/status"] == "degraded"
    assert result.stats["archiver/robots/unreachable"] == "500"
    assert result.stats["archiver/field_yield/warnings"] == [
        f"toy: robots.txt of {host} could not be read (500): read as forbidding every page (RFC 9309); "
        "1 request not sent"
    ]
    assert not any(key.startswith("archiver/http_errors/") for key in result.stats)  # robots.txt is no page


def test_robots_txt_that_cannot_be_downloaded_is_a_complete_disallow():
    crawler = get_crawler(settings_dict={"ROBOTSTXT_OBEY": True})
    crawler.stats.open_spider()
    middleware = UnreachableRobots.from_crawler(crawler)
    robots = Request("http://x.test/robots.txt", callback=NO_CALLBACK, meta={"dont_obey_robotstxt": True})
    page = Request("http://x.test/a/1/")
    response = middleware.process_exception(robots, DownloadConnectionRefusedError(), None)
    assert isinstance(response, Response) and response.body == DISALLOW_ALL
    assert crawler.stats.get_value(UNREACHABLE) == "connection_refused"
    assert (
        middleware.process_exception(page, DownloadConnectionRefusedError(), None) is None
    )  # pages are FailureRecorder's
    assert middleware.process_exception(robots, IgnoreRequest(), None) is None
    assert middleware.process_response(robots, Response(robots.url, status=404), None).body == b""  # 4xx: no rules
    answered = middleware.process_response(robots, Response(robots.url, status=503, body=b"<h1>busy</h1>"), None)
    assert answered.body == DISALLOW_ALL and answered.status == 503


def test_the_robots_line():
    stats = {"robotstxt/forbidden": 2}
    assert robots_line("s", "h", stats, pages_fetched=3) is None  # some pages forbidden, others fetched: ok
    assert robots_line("s", "h", {}, pages_fetched=0) is None  # nothing asked for, nothing forbidden
    assert "forbids every page this run asked for (2 requests not sent)" in robots_line("s", "h", stats, 0)
    assert "could not be read (timeout)" in robots_line("s", "h", {UNREACHABLE: "timeout"}, 0)


def test_retry_after_values():
    assert retry_after_seconds(b"120") == 120.0
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412480.0 - 60) == 60.0
    assert retry_after_seconds(b"Wed, 21 Oct 2015 07:28:00 GMT", now=1445412480.0 + 60) == 0.0  # in the past
    for unreadable in (None, b"", b"soon", b"-5", b"1.5"):
        assert retry_after_seconds(unreadable) is None


def test_retry_after_waits_up_to_the_cap_and_postpones_beyond_it(db_url):
    """One page says come back in a day: postponed, counted, fetched by the next run. Another says
    one second: retried after it. robots.txt forbids a third: the run is still ok (not degraded)."""
    routes = toy_routes(4)
    routes["/robots.txt"] = Resource(b"User-agent: *\nDisallow: /a/1/\n", "text/plain")
    article3, article2 = routes["/a/3/"], routes["/a/2/"]
    routes["/a/3/"] = [status(503, **{"Retry-After": "86400"}), article3]
    routes["/a/2/"] = [status(429, **{"Retry-After": "1"}), article2]
    with FaultServer(routes) as server:
        first = crawl_toy(db_url, server, OBEY)
        first_hits = dict(server.hits)
        second = crawl_toy(db_url, server, OBEY)
        second_hits = {path: n - first_hits.get(path, 0) for path, n in server.hits.items()}
    second_hits = {path: n for path, n in second_hits.items() if n}
    # Not retried three times at once: asked once, then left for the next run.
    assert first_hits == {"/robots.txt": 1, "/list/": 1, "/a/4/": 1, "/a/3/": 1, "/a/2/": 2}
    assert first.returncode == 0 and first.stats["archiver/status"] == "ok"
    assert first.stats["archiver/postponed/retry_after"] == 1
    assert first.stats["archiver/postponed_urls"] == [f"{server.base_url}/a/3/"]
    assert first.stats["archiver/retry_after/waited"] == 1
    assert first.stats["archiver/articles/new"] == 2
    assert "1 page postponed to the next run (the site asked to wait up to 86400s" in first.lines[0]
    # The next run asks for the postponed page (its listing entry is pending) and gets it.
    assert second_hits == {"/robots.txt": 1, "/list/": 1, "/a/3/": 1}
    assert second.stats["archiver/articles/new"] == 1
    assert second.returncode == 0 and "postponed" not in second.lines[0]


def test_a_stopping_crawl_does_not_wait_it_postpones():
    """Ctrl-C or SIGTERM during a Retry-After wait: the page is postponed at once, not waited for."""
    crawler = get_crawler()
    crawler.stats.open_spider()
    crawler.crawling = False  # what Crawler.stop() sets first
    middleware = RetryAfter.from_crawler(crawler)
    request = Request("http://x.test/a/1/")
    response = Response(request.url, status=503, headers={"Retry-After": "30"})
    with pytest.raises(Postponed, match="Retry-After 30s"):
        middleware.process_response(request, response, None).send(None)
    assert crawler.stats.get_value("archiver/postponed/retry_after") == 1
    assert crawler.stats.get_value("archiver/postponed_urls") == [request.url]


def test_robots_txt_asked_to_wait_a_day_is_not_retried_nor_postponed():
    crawler = get_crawler()
    crawler.stats.open_spider()
    robots = Request("http://x.test/robots.txt", callback=NO_CALLBACK, meta={"dont_obey_robotstxt": True})
    response = Response(robots.url, status=503, headers={"Retry-After": "86400"})
    step = RetryAfter.from_crawler(crawler).process_response(robots, response, None)
    with pytest.raises(StopIteration) as done:
        step.send(None)
    assert done.value.value is response  # on to UnreachableRobots: a complete disallow
    assert robots.meta["dont_retry"] is True  # RetryMiddleware leaves it: one request, not four
    assert crawler.stats.get_value("archiver/postponed/retry_after") is None
