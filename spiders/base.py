"""What every archiver spider shares: the base URL (real host or a mirror), link handling, requests.

Spiders only extract: they yield raw items and requests, and leave every normalization but URL
resolution to the pipelines.

Incremental crawls and backfills (archiver/archive/incremental.py) need three calls from a spider:
`self.listing_request(url, callback)` for each listing it starts from; `self.walk_listing(response,
entries, next_page, article_callback=…, listing_callback=…)` on a listing page (requests for the
articles the run wants, and the next page unless the walk ends there); `self.article_requests(entries,
callback)` for entries found elsewhere (e.g. a "More From" block). `-a since=… -a until=…` bound the
run's dates, `-a refresh=1` fetches archived articles again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.http import Response
from scrapy.settings import SETTINGS_PRIORITIES, BaseSettings

from archiver import __version__
from archiver.archive.incremental import START, ArchiveKnowledge, DateRange, Entry, WalkPolicy
from archiver.items import ListingEntryItem
from archiver.normalize.dates import DateNormalizer
from archiver.normalize.urls import canonical_url, is_http_url, same_site

#: Request.meta key naming the kind of listing walk a listing page belongs to (start or side).
WALK = "archiver_walk"
#: In a backfill, articles go before the next listing page: the walk stays just ahead of the
#: articles it finds, so the queue stays short and "listings at" in the progress line says how far
#: back the run has come. (A crawl keeps Scrapy's order: it walks a page or two.)
ARTICLE_PRIORITY = 1


def day_argument(value: str | date | None, name: str) -> date | None:
    """A `since`/`until` spider argument (YYYY-MM-DD) as a date."""
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(f"{name} must be a date (YYYY-MM-DD), got {value!r}") from None


def flag_argument(value: object) -> bool:
    """A spider argument that switches something on (`-a refresh=1`)."""
    return str(value).strip().lower() not in ("", "0", "false", "no", "off", "none")


def polite_user_agent(settings: BaseSettings) -> str | None:
    """The project's User-Agent naming the operator's contact (ARCHIVER_CONTACT, as set for this run).

    None when USER_AGENT itself was set above the project's default: then it is used as given.
    """
    if settings.getpriority("USER_AGENT") > SETTINGS_PRIORITIES["project"]:
        return None
    return f"newsarchiver/{__version__} (+{settings.get('ARCHIVER_CONTACT')})"


class ArchiverSpider(scrapy.Spider):
    """A spider for one site whose paths are fixed and whose host may be a mirror (`base_url`)."""

    #: The real host; `-a base_url=…` / `--base-url` points the same paths at another host.
    default_base_url: str = ""
    #: How the site prints numeric dates.
    date_order: str = "DMY"
    #: The `site` value of the spider's items, when it is not the spider's name.
    site: str | None = None

    def __init__(
        self,
        base_url: str | None = None,
        *args,
        since: str | date | None = None,
        until: str | date | None = None,
        refresh: object = False,
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.dates = DateRange(day_argument(since, "since"), day_argument(until, "until"))
        self.refresh = flag_argument(refresh)
        # Replaced at spider open by one that knows the archive (see open_walk).
        self.policy = WalkPolicy(dates=self.dates, refresh=self.refresh)
        self._entry_dates = DateNormalizer()
        self.base_url = (base_url or self.default_base_url).rstrip("/")
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"base URL must be an http(s) URL: {base_url!r}")
        self.allowed_domains = [parts.hostname]

    def url(self, path: str) -> str:
        """The absolute, canonical URL of a site path."""
        return canonical_url(path, self.base_url + "/")

    def link(self, response: Response, href: str | None) -> str | None:
        """A link on a page as a canonical absolute URL, or None when it leaves the site or http(s)."""
        if not href:
            return None
        url = canonical_url(response.urljoin(href.strip()))
        if not is_http_url(url) or not same_site(url, self.base_url):
            return None
        return url

    def callback_for(self, url: str) -> Callable[[Response], Iterable[object]] | None:
        """The parse method for a stored page of this site (used by `archiver reparse`), None to skip it.

        Each spider maps its URL patterns to its callbacks; pages it does not parse return None.
        """
        return None

    def follow_all(self, urls: Iterable[str | None], callback, **kwargs) -> Iterable[scrapy.Request]:
        for url in urls:
            if url:
                yield scrapy.Request(url, callback=callback, **kwargs)

    # Incremental crawls and backfills ---------------------------------------------------------
    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        super().update_settings(settings)
        user_agent = polite_user_agent(settings)
        if user_agent:
            settings.set("USER_AGENT", user_agent, priority="spider")

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.open_walk, signal=signals.spider_opened)
        return spider

    def open_walk(self, spider=None) -> None:
        """Learn once, at spider open, which of the site's articles the archive already holds."""
        settings = self.crawler.settings
        knowledge = ArchiveKnowledge.load(settings.get("ARCHIVER_DB_URL"), self.site or self.name)
        self.policy = WalkPolicy(
            knowledge, self.dates, mode=settings.get("ARCHIVER_MODE", "crawl"), refresh=self.refresh
        )
        self.crawler.stats.set_value("archiver/walk/archived_at_start", len(knowledge))

    def count(self, key: str, value: int = 1) -> None:
        crawler = getattr(self, "crawler", None)
        if crawler is not None:
            crawler.stats.inc_value(f"archiver/{key}", value)

    def entry_date(self, entry: ListingEntryItem) -> date | None:
        """The date an entry is listed under, for the walk's decisions only (the dates pipeline
        normalizes what is stored). Spiders whose URLs carry dates may fall back on them."""
        if not entry.date_raw:
            return None
        return self._entry_dates.parse(entry.date_raw, order=entry.date_order).value

    def listing_request(self, url: str, callback, *, walk: str = START, **kwargs) -> scrapy.Request:
        """A request for a listing page. `walk`: START for the listings the run starts from, SIDE for a
        listing found on an article page (walked only while it offers something new)."""
        meta = {**kwargs.pop("meta", {}), WALK: walk}
        return scrapy.Request(url, callback=callback, meta=meta, **kwargs)

    def walk_listing(
        self,
        response: Response,
        entries: Sequence[ListingEntryItem],
        next_page: str | None,
        *,
        article_callback,
        listing_callback,
    ) -> Iterator[scrapy.Request]:
        """Requests for one listing page: its articles the run wants, then its next page unless the
        walk ends here (archived, older than `since`, or a side walk with nothing new)."""
        walk = response.request.meta.get(WALK, START) if response.request is not None else START
        seen = [Entry(entry.article_url, self.entry_date(entry)) for entry in entries]
        stop = self.policy.why_stop(seen, walk)  # before the page's own requests are counted
        self.count("walk/listing_pages")
        dated = [e.listed_on for e in seen if e.listed_on is not None]
        crawler = getattr(self, "crawler", None)
        if dated and walk == START and crawler is not None:
            crawler.stats.min_value("archiver/walk/oldest_listed_on", min(dated).isoformat())
            crawler.stats.max_value("archiver/walk/newest_listed_on", max(dated).isoformat())
        yield from self._requests_for(seen, article_callback)
        if not next_page:
            return
        if stop is None:
            yield self.listing_request(next_page, listing_callback, walk=walk)
        else:
            self.count(f"walk/stopped/{stop}")

    def article_requests(self, entries: Sequence[ListingEntryItem], callback) -> Iterator[scrapy.Request]:
        """Requests for the articles of entries found outside a paginated listing ("More From")."""
        yield from self._requests_for([Entry(e.article_url, self.entry_date(e)) for e in entries], callback)

    def article_request(self, url: str, callback, *, listed_on: date | None = None) -> scrapy.Request | None:
        """A request for one article found by its URL alone (e.g. a translation), or None to skip it."""
        return next(iter(self._requests_for([Entry(url, listed_on)], callback)), None)

    def _requests_for(self, entries: Sequence[Entry], callback) -> Iterator[scrapy.Request]:
        for entry in entries:
            reason = self.policy.take(entry)
            if reason is None:
                priority = 0 if self.policy.incremental else ARTICLE_PRIORITY
                yield scrapy.Request(entry.url, callback=callback, priority=priority, meta={"page_kind": "article"})
            elif reason != "requested":
                self.count(f"walk/skipped/{reason}")
