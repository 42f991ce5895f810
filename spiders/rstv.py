"""RSTV (http://www.redstartv.org): the DPRK ISG's uCoz *blog* in nine languages, and its news module.

What is seen of the real site (docs/sites.md, RSTV section) is its URLs and its text, not its markup.
So the spider finds entries by their URL pattern and reads every field from the text around the
entry's link and from the labels the site prints (`Category:`, `Views:`, `Added by:`, `Tags:`,
`Date:`, `Comments (N)`, `Total comments:`, `... Read more »`). The uCoz default classes
(`table.eBlock`, `td.eTitle`, `.eMessage`, `.eDetails`) are tried first where they help; a page in
another template gives the same row through the text.

URLs: entries `/blog/SLUG/YYYY-MM-DD-ID`, `/blog/YYYY-MM-DD-ID`, `/blog/SEG/YYYY-MM-DD-ID` and
`/news/…` alike (a module is any first segment with entries of that shape); listings `/` and
`/?pageN`, `/MODULE/` and `/MODULE/?pageN`, day archives `/MODULE/YYYY-M-D` (padded or not), category
listings `/MODULE/SLUG/CAT-0-PAGE`; `/sitemap.xml` and `/MODULE/rss/`. Both host names
(`www.redstartv.org`, `redstartv.org`) are stored under the base URL's. Modules and categories are
kept in the table `sources`; every run walks the blog, the news module and the modules found before.

How a run starts (`-a via=…`): `listings` (a crawl's default: the home listing and each module's,
newest first, until a page holds nothing new), `days` (a backfill's default when it has --since and
--until: one day archive per day and module), `sitemap` or `feed` (each module's; used when they
answer, the listings when none does).
Decoding (UTF-8 or windows-1251, from the HTTP header or `<meta http-equiv>`) is Scrapy's job.

This module holds the spider's arguments, start, sitemap and feeds; its parts read the listings and
day archives (spiders/rstv_listings.py) and the entry pages (spiders/rstv_entries.py), with the URL
shapes in spiders/rstv_urls.py and the text readers in spiders/rstv_text.py.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date
from typing import ClassVar
from urllib.parse import urlsplit, urlunsplit

import scrapy
from parsel import Selector
from scrapy import signals
from scrapy.http import Response
from scrapy.utils.sitemap import Sitemap

from archiver.archive.sources import KnownSource
from archiver.items import ListingEntryItem
from spiders.rstv_entries import RstvEntries
from spiders.rstv_urls import REAL_HOSTS, SITE, SITEMAP_PATH, SOURCE, entry_date, page_kind

#: Where a run may start (`-a via=…` or ARCHIVER_RSTV_VIA).
VIAS = ("listings", "days", "sitemap", "feed")


class RstvSpider(RstvEntries):
    name = SITE
    default_base_url = "http://www.redstartv.org"
    date_order = "YMD"  # listing and comment dates are YY/MM/DD on this site
    # The oldest entry seen is dated 2017 (a repost, back-dated); entries can be back-dated, so the
    # floor is the platform's start: uCoz opened in 2005. A backfill requests one day archive per day.
    first_day = date(2005, 1, 1)

    check_urls: ClassVar[dict[str, list[str]]] = {
        "listing": ["/", "/blog/", "/blog/english/2-0-1"],
        "day_archive": ["/blog/2023-7-25", "/blog/2021-2-24"],
        "article": [
            "/blog/2nd_organizing_conference_of_the_dprk_isg/2021-02-24-201",
            "/blog/large_online_meeting_in_china_held/2023-07-25-683",
            "/blog/2023-07-25-685",
            "/blog/jojack_movement_is_officially_recognized_as_a_friendly_organization/2023-09-10-729",
        ],
    }
    required_fields: ClassVar[dict[str, tuple[str, ...]]] = {
        "listing": ("article_url", "title", "teaser_raw", "date_raw"),
        "day_archive": ("article_url", "title", "teaser_raw", "date_raw"),
        "article": ("url", "title", "paragraphs", "language", "url_date_raw"),
    }

    def __init__(self, *args, via: str | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if via not in (None, "", *VIAS):
            raise ValueError(f"via must be one of {', '.join(VIAS)}, got {via!r}")
        self.via = via or None
        parts = urlsplit(self.base_url)
        self._base_parts = (parts.scheme, parts.netloc)
        self._days: list[str] = []  # the day archives a backfill by days asked for
        self._feeds_waiting: set[str] = set()  # module feeds not answered yet (via=feed)
        self._feeds_answered = False

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.start_via()  # a bad ARCHIVER_RSTV_VIA fails here, like a bad spider argument
        return spider

    # Where a run starts ------------------------------------------------------------------------
    def start_via(self) -> str:
        """`-a via=…`, else the setting ARCHIVER_RSTV_VIA (`-s ARCHIVER_RSTV_VIA=sitemap` on the command
        line), else days for a backfill with both dates and the listings otherwise."""
        settings = self.crawler.settings if hasattr(self, "crawler") else {}
        via = self.via or settings.get("ARCHIVER_RSTV_VIA") or None
        if via not in (None, *VIAS):
            raise ValueError(f"ARCHIVER_RSTV_VIA must be one of {', '.join(VIAS)}, got {via!r}")
        if via:
            return via
        if settings.get("ARCHIVER_MODE", "crawl") == "backfill" and self.dates.since and self.dates.until:
            return "days"
        return "listings"

    async def start(self):
        via = self.start_via()
        self.count(f"rstv/start/{via}")
        if via == "days":
            # One day at a time, as the downloader has room: years of days are never queued (nor
            # written to a backfill's job folder) up front. Scrapy's lazy start, as documented.
            for request in self.day_requests():
                if self.crawler.engine.needs_backout():
                    await self.crawler.signals.wait_for(signals.scheduler_empty)
                yield request
        elif via == "sitemap":
            yield self.optional_request(SITEMAP_PATH, self.parse_sitemap, "sitemap")
        elif via == "feed":
            # Each module's feed (`/blog/rss/`, `/news/rss/`): the listings only when none answers.
            for module in self.modules():
                self._feeds_waiting.add(self.url(f"/{module}/rss/"))
                yield self.optional_request(f"/{module}/rss/", self.parse_feed, "feed")
        else:
            for request in self.listing_requests():
                yield request

    def optional_request(self, path: str, callback, kind: str) -> scrapy.Request:
        """A request for the sitemap or the feed: one that does not answer (404, 410) is no error."""
        meta = {"page_kind": kind, "handle_httpstatus_list": [404, 410]}
        return scrapy.Request(self.url(path), callback, errback=self.fall_back, meta=meta)

    def fall_back(self, failure) -> Iterator[scrapy.Request]:
        """The sitemap, or every module's feed, did not answer (`failure`: the errback's Failure, the
        response that is no feed, or None): walk the listings instead."""
        request = getattr(failure, "request", None)
        if request is not None and request.url in self._feeds_waiting:
            self._feeds_waiting.discard(request.url)
            if self._feeds_waiting or self._feeds_answered:
                return  # another module's feed answered, or may still
        self.count("rstv/fallback_to_listings")
        yield from self.listing_requests()

    def sources_to_cover(self, engine) -> list[KnownSource]:
        """A backfill by days: every day archive it asked for (one that failed is a gap). By the
        listings: each module's listing, walked back to --since."""
        if self._days:
            return [KnownSource("day", url, url, None, None, None) for url in self._days]
        if self.start_via() == "listings":
            return [KnownSource("module", m, self.url(f"/{m}/"), None, None, None) for m in self.modules()]
        return []

    @staticmethod
    def kind(request: scrapy.Request, kind: str) -> scrapy.Request:
        request.meta.setdefault("page_kind", kind)
        return request

    def with_kinds(self, requests: Iterable[scrapy.Request]) -> Iterator[scrapy.Request]:
        """Requests from the shared walk, each with its page kind (articles, or the listing walked)."""
        for request in requests:
            kind = page_kind(request.url) or "listing"
            yield self.kind(request, kind)

    # URLs --------------------------------------------------------------------------------------
    def link(self, response: Response, href: str | None) -> str | None:
        """A link as a canonical URL on the base URL's host (either name of the real site maps to it)."""
        if href:
            absolute = urlsplit(response.urljoin(href.strip()))
            if (absolute.hostname or "").lower() in REAL_HOSTS:
                href = urlunsplit((*self._base_parts, absolute.path, absolute.query, absolute.fragment))
        return super().link(response, href)

    def entry_url(self, response: Response, href: str | None) -> str | None:
        url = self.link(response, href)
        return url if url and page_kind(url) == "article" else None

    def entry_date(self, entry: ListingEntryItem) -> date | None:
        """The listing's `Date: YY/MM/DD`, else the entry's date in its URL."""
        return super().entry_date(entry) or entry_date(entry.article_url)

    def callback_for(self, url: str):
        """Entry pages → parse_article; listings, day archives and categories → parse_listing."""
        kind = page_kind(url)
        if kind == "article":
            return self.parse_article
        if kind in ("listing", "day_archive"):
            return self.parse_listing
        return None

    # Sitemap and feed ----------------------------------------------------------------------------
    def parse_sitemap(self, response: Response) -> Iterator[object]:
        """Entries named by `/sitemap.xml` (or the sitemaps it indexes); the listings if it is not one."""
        if response.status >= 400:
            yield from self.fall_back(None)
            return
        try:
            sitemap = Sitemap(response.body)
        except Exception:  # lxml's errors on a page that is not XML: fall back
            sitemap = None
        if sitemap is None or sitemap.type not in ("urlset", "sitemapindex"):
            yield from self.fall_back(None)
            return
        urls = [self.link(response, entry.get("loc")) for entry in sitemap]
        if sitemap.type == "sitemapindex":
            for url in urls:
                if url:
                    yield self.kind(scrapy.Request(url, self.parse_sitemap), "sitemap")
            return
        entries = [u for u in urls if u and page_kind(u) == "article"]
        self.count("rstv/sitemap_entries", len(entries))
        yield from self.note_sources(None, entries)
        for url in entries:
            request = self.article_request(url, self.parse_article, listed_on=entry_date(url))
            if request is not None:
                yield self.kind(request, "article")

    def parse_feed(self, response: Response) -> Iterator[object]:
        """Entries of a module's RSS feed (title, teaser, category, date); the listings when no
        module's feed is one."""
        answered = response.status < 400 and response.text.strip()
        items = Selector(text=response.text, type="xml").xpath("//item") if answered else []
        if not items:
            yield from self.fall_back(response)
            return
        self._feeds_waiting.discard(response.url)
        self._feeds_answered = True
        entries = []
        for item in items:
            url = self.entry_url(response, item.xpath("./link/text()").get())
            if not url:
                continue
            entries.append(
                ListingEntryItem(
                    site=SITE,
                    article_url=url,
                    found_on=response.url,
                    kind="feed",
                    source=SOURCE,
                    title=item.xpath("./title/text()").get(),
                    teaser_raw=item.xpath("./description/text()").get(),
                    date_raw=item.xpath("./pubDate/text()").get(),
                    date_order="DMY",
                    category=item.xpath("./category/text()").get(),
                )
            )
        yield from entries
        yield from self.note_sources(None, [e.article_url for e in entries])
        yield from self.with_kinds(self.article_requests(entries, self.parse_article))
