"""KCNA Watch (kcnawatch.org): the feed, source listings and their "load more" fragments, articles.

Built to what has been seen of the real site (shared/sites/README.md §2, copied into docs/sites.md):

- article pages `/newstream/EPOCH-ID/SLUG/` (SLUG may be percent-encoded Korean), the body in
  `div.article-content`, the meta line known only as text (`Date: 23/10/2024 | Source: KASS (EN) |
  Read original version at source`): it is read by its labels, whatever tags hold it;
- source listings `/article/ID/`: `div.article-desc` entries (`h4 > a`, `p.articled-date`), no page
  links but a "load more" request (`/wp-admin/admin-ajax.php?action=get_cat_by_source&…&from=N&to=10&
  id=SOURCE_ID`) answered by a fragment of the same entries, empty past the end;
- the feed `/newstream/feed/`, sometimes malformed XML: read with lxml's recovering parser.

Assumed, so anchored on text and URL patterns and never the only way in (spiders/kcnawatch_markup.py):
the title's markup (the article's own heading, never the masthead's; else `og:title`/`twitter:title`/
JSON-LD; else `<title>` without the site's name; else the title a listing or the feed gave), the
signature (a short last paragraph naming an agency, dropped from the body by its text), "More From
NAME" (found by its heading's text; its entries by their links to articles), the `/newstream/` page,
and where a listing names its "load more" id (any attribute, script, form field or URL that gives it;
else configuration: `-a source_ids=163:189661,…` or KCNAWATCH_SOURCE_IDS; else the date search
`/?s=&source=ID&start=…&end=…`, a month at a time; else a coverage gap naming the listing).

Sources: every link to a source listing on any page is a source, kept in the table `sources`
(archiver/archive/sources.py) and walked; later runs start from every source ever seen.

Runs: a crawl reads the feed first and stops there when the feed holds nothing new (a nightly run on
an unchanged site: robots.txt and the feed); otherwise, or when the feed cannot be read, it goes on to
the listings (`/newstream/` and every known source, or those of `-a sources=…` / KCNAWATCH_SOURCES).
`-a sources=163,177` starts from those listings; a backfill (`--since`) pages every source listing back
to its first day, reads the feed for sources no listing names, and fetches the newest article of a
listing whose first page gives it nothing in range, for the sources only article pages link.

This module holds the spider's arguments, configuration and start; its pages are read by its parts:
the listings, fragments and date search (spiders/kcnawatch_listings.py), the articles
(spiders/kcnawatch_articles.py), the feed (spiders/kcnawatch_feed.py), with the site's addresses and
text helpers in spiders/kcnawatch_site.py.
"""

from __future__ import annotations

from typing import ClassVar
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response

from archiver.archive.incremental import last_crawl_interrupted
from archiver.archive.sources import KnownSource, known_sources
from archiver.bounded import LruDict
from archiver.items import ListingEntryItem
from spiders.kcnawatch_articles import KcnaWatchArticles
from spiders.kcnawatch_feed import KcnaWatchFeed
from spiders.kcnawatch_markup import window_of
from spiders.kcnawatch_site import (
    AJAX_PATH,
    ARTICLE_PATH,
    FEED_PATH,
    NEWSTREAM_PATH,
    REAL_HOSTS,
    SITE,
    SITE_TIMEZONE,
    SOURCE_LISTING_PATH,
    fragment_query,
    parse_id_pairs,
    parse_listing_ids,
)

#: Listing titles kept for article pages without one (about 250 bytes each); an article is fetched
#: soon after its listing, and the store gives an untitled article its listing entry's title anyway.
LISTED_TITLES_MAX = 2_000


class KcnaWatchSpider(KcnaWatchArticles, KcnaWatchFeed):
    name = SITE
    default_base_url = "https://kcnawatch.org"
    date_order = "DMY"
    # A small WordPress site: one request every two seconds at most (AutoThrottle may slow it further).
    # scrapy.Spider types custom_settings as an instance attribute, so it cannot be a ClassVar here.
    custom_settings = {"DOWNLOAD_DELAY": 2.0}  # noqa: RUF012

    #: Real kcnawatch.org pages for `archiver check` (page kind → root-relative paths).
    check_urls: ClassVar[dict[str, list[str]]] = {
        "feed": [FEED_PATH],
        "listing": ["/article/163/"],
        "fragment": [f"{AJAX_PATH}?{fragment_query('189661', 10)}"],
        "article": [
            "/newstream/1729688400-811236574/basic-party-organizations-should-be-strengthened-further-organizationally-and-id/"
        ],
    }
    #: The fields each page kind must yield non-empty (a template change shows as a warning).
    required_fields: ClassVar[dict[str, tuple[str, ...]]] = {
        "feed": ("article_url", "title", "date_raw"),
        "listing": ("article_url", "title", "date_raw"),
        "fragment": ("article_url", "title", "date_raw"),
        "article": ("url", "source", "paragraphs"),
    }

    def __init__(
        self, *args, sources: str | None = None, source_ids: str | None = None, feed: object = True, **kwargs
    ) -> None:
        """`sources`: listing ids to start from (`163,177`); `source_ids`: listing id → "load more"
        source id (`163:189661,177:190036`) where a listing does not name it; `feed=0`: skip the feed."""
        super().__init__(*args, **kwargs)
        self.sources_argument = parse_listing_ids(sources)
        self.source_ids_argument = parse_id_pairs(source_ids)
        for listing_id in [*self.sources_argument, *self.source_ids_argument, *self.source_ids_argument.values()]:
            if not listing_id.isdigit():
                raise ValueError(f"sources and source_ids are numeric ids (163 or 163:189661), got {listing_id!r}")
        self.use_feed = str(feed).strip().lower() not in ("0", "false", "no", "off")
        # The title listings and the feed gave each article, for a page without one (the newest
        # LISTED_TITLES_MAX; the store also fills an untitled article from its listing entry).
        self.listed_titles: LruDict[str, str] = LruDict(LISTED_TITLES_MAX)

    # Configuration -------------------------------------------------------------------------
    def _setting(self, name: str):
        crawler = getattr(self, "crawler", None)
        return crawler.settings.get(name) if crawler is not None else None

    @property
    def mode(self) -> str:
        return self._setting("ARCHIVER_MODE") or "crawl"

    def configured_sources(self) -> list[str]:
        return self.sources_argument or parse_listing_ids(self._setting("KCNAWATCH_SOURCES"))

    def configured_source_id(self, listing_id: str) -> str | None:
        known = {**parse_id_pairs(self._setting("KCNAWATCH_SOURCE_IDS")), **self.source_ids_argument}
        return known.get(listing_id)

    def note(self, text: str) -> None:
        """A line for the run's summary (archiver/notes)."""
        crawler = getattr(self, "crawler", None)
        if crawler is not None:
            notes = list(crawler.stats.get_value("archiver/notes", []))
            if text not in notes:
                crawler.stats.set_value("archiver/notes", [*notes, text])
        self.logger.warning(text)

    def open_walk(self, spider=None) -> None:
        """As every spider does; and after an interrupted crawl, walk every listing to its end (archived
        articles are still not fetched again): the interrupted walk may have left a gap under pages
        that are archived now, where the feed or an incremental walk would stop."""
        super().open_walk(spider)
        settings = self.crawler.settings
        if self.policy.incremental and last_crawl_interrupted(settings.get("ARCHIVER_DB_URL"), self.name):
            self.policy.mode = "backfill"
            self.note("kcnawatch: the last crawl was interrupted; walked every listing to its end")

    def known(self) -> list[KnownSource]:
        """The source listings the archive has seen (table `sources`)."""
        return self.archived_sources("source")

    def sources_to_cover(self, engine) -> list[KnownSource]:
        """A backfill's sources: those given (`-a sources`), else every source the archive has seen
        (this run's discoveries included: the store has written them)."""
        found = known_sources(engine, SITE, kinds=("source",))
        given = {self.source_listing_url(i) for i in self.configured_sources()}
        if given:
            by_url = {s.url: s for s in found}
            return [by_url.get(url) or KnownSource("source", url, url, None, None, None) for url in sorted(given)]
        return found

    # URLs ----------------------------------------------------------------------------------
    def link(self, response: Response, href: str | None) -> str | None:
        """Like ArchiverSpider.link, and an absolute link to the real host, on a mirror, is the mirror's."""
        if href and self.base_url != self.default_base_url:
            parts = urlsplit(href.strip())
            if parts.hostname in REAL_HOSTS:
                href = self.base_url + parts._replace(scheme="", netloc="").geturl()
        return super().link(response, href)

    def source_listing_url(self, listing_id: str) -> str:
        return self.url(f"/article/{listing_id}/")

    def fragment_url(self, source_id: str, start: int) -> str:
        return self.url(f"{AJAX_PATH}?{fragment_query(source_id, start)}")

    def callback_for(self, url: str):
        """The parse method for a stored page (archiver reparse), None for pages not parsed."""
        path = urlsplit(url).path
        if ARTICLE_PATH.search(path):
            return self.parse_article
        if path == FEED_PATH:
            return self.parse_feed
        if path == AJAX_PATH:
            return self.parse_fragment
        if SOURCE_LISTING_PATH.match(path) or path == NEWSTREAM_PATH:
            return self.parse_listing
        if path == "/" and window_of(url):
            return self.parse_search
        return None

    def entry_date(self, entry: ListingEntryItem):
        """The date an entry is listed under, else the Pyongyang day of its URL's epoch."""
        listed = None
        if entry.date_raw:
            listed = self._entry_dates.parse(entry.date_raw, order=entry.date_order, tz=entry.timezone).value
        if listed is None and (match := ARTICLE_PATH.search(urlsplit(entry.article_url).path)):
            return self._entry_dates.date_from_epoch(match.group(1), tz=SITE_TIMEZONE).value
        return listed

    # Start ---------------------------------------------------------------------------------
    async def start(self):
        for request in self.start_requests_for_run():
            yield request

    def start_requests_for_run(self) -> list[scrapy.Request]:
        sources = self.configured_sources()
        if self.sources_argument or self.mode == "backfill" or not self.use_feed or not self.policy.incremental:
            requests = self.listing_requests(sources)
            if self.mode == "backfill" and not sources and self.use_feed:
                # The feed too, for the sources it names (its categories) that no listing has named yet.
                requests.insert(0, self.feed_request(listings_started=True))
            return requests
        return [self.feed_request()]

    def feed_request(self, *, listings_started: bool = False) -> scrapy.Request:
        meta = {"page_kind": "feed", "kcnawatch_listings_started": listings_started}
        return scrapy.Request(self.url(FEED_PATH), callback=self.parse_feed, meta=meta)
