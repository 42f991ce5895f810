"""A page linking more than ARCHIVER_PAGE_MAX_LINKS is read up to that many links (archiver/normalize/pagebound.py).

Downloader middleware below the SnapshotRecorder: the stored snapshot stays the page as served (its
reparse cuts it the same way), the spider gets the cut page. Each cut page is counted in
`archiver/pages_cut/too_many_links`, listed in `archiver/pages_cut_urls` (at most
ARCHIVER_FAILED_URLS_MAX) and said in the summary line; the run is not an error.
"""

from __future__ import annotations

import logging

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.http import HtmlResponse, Response
from scrapy.http.request import NO_CALLBACK

from archiver.normalize.pagebound import DEFAULT_MAX_LINKS, cut_after_links

logger = logging.getLogger(__name__)

CUT = "archiver/pages_cut/too_many_links"
CUT_URLS = "archiver/pages_cut_urls"
NOTES = "archiver/notes"


def cut_note(count: int, limit: int) -> str:
    if count == 1:
        return f"1 page read only to its first {limit} links (ARCHIVER_PAGE_MAX_LINKS)"
    return f"{count} pages read only to their first {limit} links (ARCHIVER_PAGE_MAX_LINKS)"


class LinkBound:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.limit = crawler.settings.getint("ARCHIVER_PAGE_MAX_LINKS", DEFAULT_MAX_LINKS)
        self.note: str | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LinkBound:
        return cls(crawler)

    def process_response(self, request: Request, response: Response, spider: Spider | None = None) -> Response:
        if not isinstance(response, HtmlResponse) or request.callback is NO_CALLBACK:
            return response
        cut = cut_after_links(response.body, self.limit)
        if cut is None:
            return response
        stats = self.crawler.stats
        stats.inc_value(CUT)
        urls = list(stats.get_value(CUT_URLS) or [])
        if len(urls) < self.crawler.settings.getint("ARCHIVER_FAILED_URLS_MAX", 1000):
            stats.set_value(CUT_URLS, [*urls, response.url])
        notes = [n for n in (stats.get_value(NOTES) or []) if n != self.note]
        self.note = cut_note(int(stats.get_value(CUT)), self.limit)
        stats.set_value(NOTES, [*notes, self.note])
        logger.info(
            "%s links more than %d pages: read up to its %dth link",
            response.url,
            self.limit,
            self.limit,
            extra={"spider": self.crawler.spider},
        )
        return response.replace(body=cut)
