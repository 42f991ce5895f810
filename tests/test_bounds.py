"""Issue 25, point 7: unbounded work bounded.

- RSTV's day archives are produced as the downloader has room, not all queued up front: a backfill
  from 2005 to today waits after a handful of days until the scheduler is empty.
- A page of 100,000 links is read up to ARCHIVER_PAGE_MAX_LINKS (1000) links: cut before the
  1001st `<a>`, counted, said in the summary; a spider reads the 1000 entries. The stored page, when
  reparsed, is cut the same way. (Date ranges: tests/test_bad_inputs_three.py; the time it takes:
  `archiver bench`.)
"""

from __future__ import annotations

from datetime import date, timedelta

from scrapy import signals
from scrapy.http import HtmlResponse, Request
from scrapy.utils.test import get_crawler

from archiver.archive.pages import rebuild_response
from archiver.items import ListingEntryItem
from archiver.middlewares.bounds import CUT, CUT_URLS, LinkBound
from archiver.normalize.pagebound import cut_after_links
from spiders.rstv import RstvSpider

LISTING = "http://www.redstartv.org/blog/"


class Downloader:
    """What the lazy start asks of the engine: is the downloader full?"""

    def __init__(self) -> None:
        self.full = False

    def needs_backout(self) -> bool:
        return self.full


def step(awaitable):
    """Run an awaitable of the async generator one step: ("yielded", value) or ("waiting", None)."""
    try:
        awaitable.send(None)
    except StopIteration as done:
        return "yielded", done.value
    return "waiting", None


def test_rstv_day_archives_are_requested_lazily():
    crawler = get_crawler(RstvSpider, settings_dict={"ARCHIVER_MODE": "backfill"})
    spider = RstvSpider.from_crawler(crawler, since="2005-01-01", until=date.today().isoformat())
    crawler.engine = Downloader()
    waits = []

    async def wait_for(signal):
        waits.append(signal)
        while not crawler.scheduler_empty:
            await Pending()

    class Pending:
        def __await__(self):
            yield self

    crawler.scheduler_empty = False
    crawler.signals.wait_for = wait_for
    days = spider.start()
    urls = []
    for _ in range(5):  # the downloader has room: one day after the other, newest first
        state, request = step(days.__anext__())
        assert state == "yielded"
        urls.append(request.url)
    # Each day of each module (the blog, the news module), newest day first.
    assert (
        urls
        == [
            f"http://www.redstartv.org/{module}/{d.year}-{d.month}-{d.day}"
            for d in (date.today() - timedelta(days=n) for n in range(3))
            for module in ("blog", "news")
        ][:5]
    )
    crawler.engine.full = True  # the downloader is full: the next day waits for the scheduler to empty
    pending = days.__anext__()
    assert step(pending) == ("waiting", None)
    assert step(pending) == ("waiting", None)
    assert waits == [signals.scheduler_empty]
    crawler.scheduler_empty, crawler.engine.full = True, False
    state, request = step(pending)
    assert state == "yielded" and request.meta["page_kind"] == "day_archive"


def big_listing(entries: int) -> bytes:
    rows = "".join(
        f'<div id="entryID{n}"><div class="eTitle"><a href="/blog/entry_{n}/2021-02-24-{n}">Entry {n}</a></div>'
        f'<div class="eMessage">Text of entry {n} ... <a class="entryReadAllLink" href="/blog/entry_{n}/2021-02-24-{n}">'
        f'Read more »</a></div><div class="eDetails">Views: {n} | Added by: redstartvkp | Date: 21/02/24</div></div>'
        for n in range(entries)
    )
    return f'<html><body><div id="allEntries">{rows}</div><a href="/blog/?page2">2</a></body></html>'.encode()


def test_cut_after_links():
    page = b"<p>" + b"".join(b'<a href="/%d">x</a> ' % n for n in range(10)) + b"</p>"
    cut = cut_after_links(page, 4)
    assert cut == page[: page.index(b'<a href="/4">')]
    assert cut_after_links(page, 10) is None  # at the bound: whole
    assert cut_after_links(page, 0) is None  # 0: no bound
    assert cut_after_links(b"<A HREF='/1'>1</A><a\nhref='/2'>2</a><abbr>no link</abbr>", 1) == b"<A HREF='/1'>1</A>"


def test_a_100000_link_listing_is_read_to_its_first_1000_links():
    crawler = get_crawler(settings_dict={"ARCHIVER_PAGE_MAX_LINKS": 1000})
    crawler.stats.open_spider()
    body = big_listing(100_000)  # two links an entry: 500 entries within the bound
    assert len(body) > 20_000_000
    request = Request(LISTING, meta={"page_kind": "listing"})
    response = LinkBound.from_crawler(crawler).process_response(request, HtmlResponse(LISTING, body=body), None)
    assert len(response.body) < 200_000
    assert crawler.stats.get_value(CUT) == 1
    assert crawler.stats.get_value(CUT_URLS) == [LISTING]
    assert crawler.stats.get_value("archiver/notes") == [
        "1 page read only to its first 1000 links (ARCHIVER_PAGE_MAX_LINKS)"
    ]
    out = list(RstvSpider().parse_listing(HtmlResponse(LISTING, body=response.body, request=request)))
    entries = [o for o in out if isinstance(o, ListingEntryItem)]
    assert [e.title for e in entries] == [f"Entry {n}" for n in range(500)]
    assert not any(r.url.endswith("?page2") for r in out if isinstance(r, Request))  # the walk ends on it


def test_pages_within_the_bound_are_left_alone():
    crawler = get_crawler()
    crawler.stats.open_spider()
    bound = LinkBound.from_crawler(crawler)
    small = HtmlResponse(LISTING, body=big_listing(20))
    assert bound.process_response(Request(LISTING), small, None) is small
    assert crawler.stats.get_value(CUT) is None


def test_a_stored_page_is_cut_as_the_crawl_cut_it():
    from archiver.archive import pages

    body = big_listing(2000)
    served = rebuild_response(LISTING, 200, {"Content-Type": ["text/html"]}, body)
    assert served.body == body  # the snapshot is the page as served

    class Page:
        url, status, headers, charset, sha256 = LISTING, 200, {"Content-Type": ["text/html"]}, None, "x"

    reparsed = pages.page_response(None, Page(), body=body)  # type: ignore[arg-type]
    assert reparsed.body == cut_after_links(body)
