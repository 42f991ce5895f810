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
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import ClassVar
from urllib.parse import parse_qsl, urlencode, urlsplit

import scrapy
from lxml import etree
from parsel import Selector, SelectorList
from scrapy.http import Response, TextResponse
from w3lib.html import remove_tags

from archiver.archive.incremental import START, Entry, last_crawl_interrupted
from archiver.archive.sources import KnownSource, SourceSighting, known_sources
from archiver.items import ArticleItem, ListingEntryItem
from archiver.normalize.dates import site_zone, zoned_time
from archiver.normalize.urls import canonical_url
from spiders.base import BARREN, WALK_ID, WALK_PAGE, ArchiverSpider
from spiders.kcnawatch_markup import (
    Window,
    halves,
    is_chrome,
    is_title,
    json_ld_headline,
    month_before,
    month_of,
    page_title,
    search_target,
    source_id_in,
    window_of,
)

SITE = "kcnawatch"
#: The site's days are Pyongyang days: URL epochs and feed times are read in this zone.
SITE_TIMEZONE = "Asia/Pyongyang"
REAL_HOSTS = frozenset({"kcnawatch.org", "www.kcnawatch.org"})

ARTICLE_PATH = re.compile(r"/newstream/(\d{9,11})-(\d+)/([^/?#]+)/?$")
SOURCE_LISTING_PATH = re.compile(r"^/article/(\d+)/?$")
AJAX_PATH = "/wp-admin/admin-ajax.php"
FEED_PATH = "/newstream/feed/"
NEWSTREAM_PATH = "/newstream/"
#: The "load more" request asks for this many entries at a time (`to=10`), as the site's button does.
FRAGMENT_SIZE = 10

DATE_LABEL = re.compile(r"Date:\s*(\d{1,2}\s*[/.\-]\s*\d{1,2}\s*[/.\-]\s*\d{4})")
SOURCE_LABEL = re.compile(r"Source:\s*(.+?)\s*(?:\||Read original version at source|Date:|$)")
ORIGINAL_LINK_TEXT = "read original version at source"
MONTH_DATE = re.compile(
    r"\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?\s+\d{1,2},?\s+\d{4}\b", re.IGNORECASE
)
#: A dispatch's last line naming the agency (not body text): "KCNA", "Rodong Sinmun", "(KCNA)"…
AGENCY_SIGNATURE = re.compile(
    r"^[\s(\-–—/]*(?:KCNA|Korean Central News Agency|Rodong Sinmun|Minju Joson|Joson Sinbo|KASS|Naenara|"
    r"The Pyongyang Times|Pyongyang Times|Voice of Korea|Uriminzokkiri|Uriminjokkiri|Tongil Sinbo|Meari|"
    r"Arirang Meari|DPRK Today|Ryomyong|Sogwang|Korea Today|Foreign Trade|조선중앙통신|조선중앙통신사|로동신문|"
    r"민주조선|조선의 소리|우리민족끼리|메아리|통일신보)[\s)\-–—/.]*$",
    re.IGNORECASE,
)
MORE_FROM_PREFIX = "More From "
#: Link texts that name no source ("More Articles" under a "More From" block).
GENERIC_LINK_TEXT = re.compile(r"^(?:more\b.*|read more.*|view all.*|all articles|[»›>]+)$", re.IGNORECASE)
#: A date search that finds nothing for this many months in a row (no --since to stop at) ends there.
SEARCH_EMPTY_MONTHS = 12
CONTENT_XPATH = "//div[contains(concat(' ', normalize-space(@class), ' '), ' article-content ')]"
FEED_PARSER = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, huge_tree=True)


WRAPPER_TAG = re.compile(r"<(/?)(?:div|section|span|article|aside|header)\b([^>]*)>", re.IGNORECASE)


def flatten_wrappers(html: str) -> str:
    """The page without its wrapper tags (div, section, span…), the body's `div.article-content` kept
    open: paragraphs, headings, links and text stay, however deep the wrappers were nested."""

    def replace(match: re.Match[str]) -> str:
        if not match.group(1) and "article-content" in match.group(2):
            return '<div class="article-content">'
        return "\n"

    return WRAPPER_TAG.sub(replace, html)


HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")


def language_of(paragraphs: list[str]) -> str:
    """The site publishes English and Korean: "ko" when Hangul is most of the letters, else "en"."""
    text = "".join(paragraphs)
    if not HANGUL.search(text):
        return "en"  # without counting the letters of every English page
    letters = sum(ch.isalpha() for ch in text)
    return "ko" if letters and len(HANGUL.findall(text)) * 2 > letters else "en"


def listing_day(published: str | None) -> str | None:
    """A feed item's time (`Wed, 25 Jun 2025 21:02:46 +0000`) as the site lists it: its Pyongyang day,
    `June 26, 2025`. Every sighting of an entry (feed, listing, "More From") then gives the same
    date_raw, whichever the archive stores first. A time it cannot read is kept as printed."""
    published = (published or "").strip()
    if not published:
        return None
    moment = zoned_time(published)
    if moment is None:
        return published
    return moment.astimezone(site_zone(SITE_TIMEZONE)).strftime("%B %d, %Y")


def element_text(element) -> str | None:
    """text_of for an lxml element."""
    return " ".join("".join(element.itertext()).split()) or None


def text_of(selector: Selector | SelectorList[Selector] | None) -> str | None:
    """All text inside a node (of a selection: its first node), whitespace collapsed, or None when the
    node is missing or empty."""
    if isinstance(selector, SelectorList):
        selector = selector[0] if selector else None
    if selector is None:
        return None
    root = selector.root
    # The XPath string() of the node, read off the lxml tree (an XPath evaluation per call cost more).
    text = " ".join((root if isinstance(root, str) else "".join(root.itertext())).split())
    return text or None


def parse_id_pairs(value: object) -> dict[str, str]:
    """`163:189661,177:190036` (or a dict, or a list of pairs) → {listing id: source id}."""
    if not value:
        return {}
    if isinstance(value, dict):
        return {str(k).strip(): str(v).strip() for k, v in value.items()}
    parts = value if isinstance(value, list | tuple) else str(value).split(",")
    pairs = {}
    for part in parts:
        listing, _, source = str(part).partition(":")
        if listing.strip() and source.strip():
            pairs[listing.strip()] = source.strip()
    return pairs


def parse_listing_ids(value: object) -> list[str]:
    """`163,177` (or `163:189661,…`, or a list) → ["163", "177"]."""
    if not value:
        return []
    parts = value if isinstance(value, list | tuple) else str(value).split(",")
    ids = [str(part).partition(":")[0].strip() for part in parts]
    return [i for i in ids if i]


def fragment_query(source_id: str, start: int) -> str:
    """The "load more" query, sorted as the canonical URL has it."""
    query = {"action": "get_cat_by_source", "die": "true", "from": str(start), "id": source_id, "sort": ""}
    query["to"] = str(FRAGMENT_SIZE)
    return urlencode(sorted(query.items()))


class KcnaWatchSpider(ArchiverSpider):
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
        #: Titles listings and the feed gave, for article pages that print none.
        self.listed_titles: dict[str, str] = {}

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

    def listing_requests(self, sources: list[str]) -> list[scrapy.Request]:
        """The source listings given, else `/newstream/` (whose entries name sources) and every source
        listing the archive has seen (found on article pages, "More From" blocks, menus, earlier runs)."""
        if sources:
            return [self._listing(self.source_listing_url(i), START) for i in sources]
        known = [self._listing(source.url, START) for source in self.known()]
        return [self._listing(self.url(NEWSTREAM_PATH), START), *known]

    def _listing(self, url: str, walk: str) -> scrapy.Request:
        return self.listing_request(url, self.parse_listing, walk=walk, meta={"page_kind": "listing"})

    # The feed ------------------------------------------------------------------------------
    def parse_feed(self, response: Response) -> Iterator[object]:
        """Every item of the feed that can be read, as a listing entry; the listings after it unless
        it holds nothing new; the listings instead when it cannot be read at all.

        @url https://kcnawatch.org/newstream/feed/
        @returns items 1
        @scrapes site article_url title date_raw
        """
        entries = self.feed_entries(response)
        started = response.meta.get("kcnawatch_listings_started")
        if not entries:
            self.count("kcnawatch/feed_unreadable")
            response.meta["archiver_may_be_empty"] = True  # said in the summary; the listings stand in
            if not started:
                self.note("kcnawatch: the feed could not be read; fell back to the listings")
                yield from self.listing_requests(self.configured_sources())
            return
        yield from entries
        stop = self.policy.why_stop([Entry(e.article_url, self.entry_date(e)) for e in entries], START)
        stop = stop or self.reached_archive(entries)
        yield from self.walk_listing(
            response, entries, None, article_callback=self.parse_article, listing_callback=self.parse_listing
        )
        yield from self.feed_discovery(entries)
        if started:
            return
        if stop is None:
            yield from self.listing_requests(self.configured_sources())
        else:
            self.count(f"walk/stopped/{stop}")

    def feed_discovery(self, entries: list[ListingEntryItem]) -> Iterator[scrapy.Request]:
        """For each source the feed names (an item's category) that no listing has named: one of its
        articles, even outside the run's dates, for its page's "Source:" link (not with `-a sources`)."""
        if self.configured_sources():
            return
        named = {s.name for s in self.known()} | {s.name for s in self.source_log.seen.values()}
        for entry in entries:
            if entry.source and entry.source not in named:
                named.add(entry.source)
                yield from self.discovery_request([entry])

    def feed_entries(self, response: Response) -> list[ListingEntryItem]:
        try:
            root = etree.fromstring(response.body, FEED_PARSER)
        except etree.XMLSyntaxError:
            root = None
        if root is None:
            return []
        entries = []
        for item in root.iter("item", "{*}item", "{*}entry"):
            link = (item.findtext("link") or "").strip()
            if not link:
                atom = item.find("{*}link")
                link = atom.get("href", "") if atom is not None else ""
            url = self.link(response, link)
            if not url or not ARTICLE_PATH.search(urlsplit(url).path):
                continue
            title = " ".join((item.findtext("title") or "").split()) or None
            title = title if is_title(title) else None
            if title:
                self.listed_titles.setdefault(url, title)
            description = item.findtext("description") or item.findtext("{*}summary") or ""
            entries.append(
                ListingEntryItem(
                    site=SITE,
                    article_url=url,
                    found_on=response.url,
                    kind="feed",
                    title=title,
                    source=(item.findtext("category") or "").strip() or None,
                    teaser_raw=" ".join(remove_tags(description).split()) or None,
                    date_raw=listing_day(item.findtext("pubDate") or item.findtext("{*}published")),
                    date_order=self.date_order,
                    timezone=SITE_TIMEZONE,
                )
            )
        return entries

    # Listings ------------------------------------------------------------------------------
    def parse_listing(self, response: Response) -> Iterator[object]:
        """A source listing `/article/ID/` (or `/newstream/`): its entries, their articles, the
        listings it names, and the next page: the first "load more" fragment, else the date search.

        @url https://kcnawatch.org/article/163/
        @returns items 1
        @scrapes site article_url title date_raw
        """
        path = urlsplit(response.url).path
        source = None
        match = SOURCE_LISTING_PATH.match(path)
        if match:
            source = text_of(response.css("h1.page-title")) or text_of(response.css("h1"))
            source = source if is_title(source) else None
        entries = self.listing_entries(response, source=source, kind="listing")
        yield from entries
        next_page, end = None, "end"
        if match:
            listing_id = match.group(1)
            page = response.selector if isinstance(response, TextResponse) else Selector(text="")
            found = source_id_in(page, source)
            source_id, how = found if found else (self.configured_source_id(listing_id), "configuration")
            self.saw_source(SourceSighting("source", listing_id, response.url, source, source_id, how, response.url))
            if len(entries) >= FRAGMENT_SIZE:
                if source_id:
                    # The page shows the first entries (the fragment `from=0` holds the same): go on after them.
                    next_page = self.fragment_url(source_id, len(entries) - len(entries) % FRAGMENT_SIZE)
                elif days := [d for e in entries if (d := self.entry_date(e))]:
                    # No id anywhere: the date search, a month at a time, from the page's oldest entry.
                    self.count("kcnawatch/listing_without_source_id")
                    next_page = self.search_url(listing_id, month_of(min(days)))
                else:
                    end = "no_source_id"
        if isinstance(response, TextResponse):
            yield from self.source_links(response, response.selector)
        yield from self._walk(response, entries, next_page, source, end=end)

    def parse_fragment(self, response: Response) -> Iterator[object]:
        """A "load more" fragment: its entries, and the next fragment when this one is full (`to=10`).

        @url https://kcnawatch.org/wp-admin/admin-ajax.php?action=get_cat_by_source&die=true&from=10&id=189661&sort=&to=10
        @returns items 1
        @scrapes site article_url title date_raw
        """
        query = dict(parse_qsl(urlsplit(response.url).query, keep_blank_values=True))
        source = response.meta.get("kcnawatch_source")
        entries = self.listing_entries(response, source=source, kind="listing")
        yield from entries
        next_page = None
        # A full fragment may have more after it; a short or empty one is the listing's end.
        if len(entries) >= FRAGMENT_SIZE and query.get("id") and query.get("from", "").isdigit():
            next_page = self.fragment_url(query["id"], int(query["from"]) + FRAGMENT_SIZE)
        yield from self._walk(response, entries, next_page, source)

    # The date search -----------------------------------------------------------------------
    def search_url(self, listing_id: str, window: Window) -> str:
        return self.url(search_target(listing_id, window))

    def parse_search(self, response: Response) -> Iterator[object]:
        """A page of the date search, for a listing that names no "load more" id: its entries, and
        the next window back (a full window is split in halves first: the page may hold no more)."""
        window = window_of(response.url)
        listing_id = dict(parse_qsl(urlsplit(response.url).query, keep_blank_values=True)).get("source", "")
        source = response.meta.get("kcnawatch_source")
        entries = self.listing_entries(response, source=source, kind="listing") if response.status < 400 else []
        yield from entries
        if not entries:
            self.count("kcnawatch/search_windows_empty")
        rest: list[Window] = [
            (date.fromisoformat(start), date.fromisoformat(end))
            for start, end in response.meta.get("kcnawatch_windows", [])
        ]
        found = response.meta.get("kcnawatch_found", 0) + len(entries)
        empty = 0 if entries else response.meta.get("kcnawatch_empty", 0) + 1
        if window and len(entries) >= FRAGMENT_SIZE and window[0] < window[1]:
            rest = [*halves(window), *rest]
        following = rest.pop(0) if rest else (month_before(window) if window else None)
        end = "end"
        if following is None or (self.dates.since and following[1] < self.dates.since):
            following, end = None, "since" if following else "end"
        elif not rest and empty >= SEARCH_EMPTY_MONTHS:
            following = None  # a year without entries: taken as the listing's beginning
        if following is None and not found:
            end = "no_source_id"  # the date search gave nothing either
        next_page = self.search_url(listing_id, following) if following else None
        found_id = source_id_in(response.selector) if isinstance(response, TextResponse) and entries else None
        if found_id:
            # The search page's own "load more" names the id its listing did not: go on by fragments,
            # from after the listing page's first ten.
            listing = self.source_listing_url(listing_id)
            self.saw_source(SourceSighting("source", listing_id, listing, source, found_id[0], "search", response.url))
            next_page, end = self.fragment_url(found_id[0], FRAGMENT_SIZE), "end"
        follow = {
            "kcnawatch_windows": [[d.isoformat() for d in pair] for pair in rest],
            "kcnawatch_found": found,
            "kcnawatch_empty": empty,
        }
        for request in self._walk(response, entries, next_page, source, end=end):
            if isinstance(request, scrapy.Request) and request.url == next_page and not found_id:
                request.meta.update(follow)
            yield request

    def _search_request(self, request: scrapy.Request) -> scrapy.Request:
        meta = {**request.meta, "page_kind": "search", "handle_httpstatus_list": [404], "archiver_may_be_empty": True}
        # Empty months are no sign of an endless listing: the search's own count ends the walk.
        meta[BARREN] = 0
        return request.replace(callback=self.parse_search, meta=meta)

    # Sources -------------------------------------------------------------------------------
    def source_links(self, response: Response, page: Selector) -> Iterator[scrapy.Request]:
        """Every source listing the page links (the meta line's "Source:", a "More From" block's "More
        Articles", `/newstream/` entries, menus, sidebars): recorded, and walked from its first page."""
        listings = []
        for anchor in page.xpath("//a[@href]"):
            url = self.link(response, anchor.attrib["href"])
            if url and SOURCE_LISTING_PATH.match(urlsplit(url).path):
                listings.append((url, anchor))
        yield from self.walk_sources(response, listings)

    def walk_sources(self, response: Response, listings: list[tuple[str, Selector]]) -> Iterator[scrapy.Request]:
        """The source listings (URL, the link to it) a page links: named, recorded, walked."""
        names: dict[str, str | None] = {}
        for url, anchor in listings:
            if names.get(url) or ((seen := self.source_log.seen.get(url)) and seen.name):
                names.setdefault(url, None)  # named already: nothing new to read on every article page
                continue
            text = text_of(anchor)
            if not text or GENERIC_LINK_TEXT.match(text) or not is_title(text):
                text = self._more_from_name(anchor)
            names[url] = names.get(url) or text
        for url, name in names.items():
            key = SOURCE_LISTING_PATH.match(urlsplit(url).path).group(1)  # type: ignore[union-attr]  # matched above
            if self.saw_source(SourceSighting("source", key, url, name, found_on=response.url)) and url != response.url:
                yield self._listing(url, START)

    @staticmethod
    def _more_from_name(anchor: Selector) -> str | None:
        """The source a "More Articles" link stands for: the "More From NAME" heading of its block."""
        for block in anchor.xpath("ancestor::*[position() <= 4]"):
            heading = block.xpath(
                ".//*[starts-with(normalize-space(.), 'More From ')][not(.//*[starts-with(normalize-space(.), 'More From ')])]"
            )
            if heading:
                return (text_of(heading) or "").removeprefix(MORE_FROM_PREFIX.strip()).strip() or None
        return None

    def reached_archive(self, entries: list[ListingEntryItem]) -> str | None:
        """ "reached_archive" when an incremental run meets an archived entry: every entry after it on a
        newest-first listing (or the feed) is older, so archived too; None to walk on."""
        policy = self.policy
        if policy.incremental and not policy.refresh and any(e.article_url in policy.knowledge for e in entries):
            return "reached_archive"
        return None

    def _walk(
        self, response: Response, entries, next_page: str | None, source: str | None, end: str = "end"
    ) -> Iterator[object]:
        if next_page and (stop := self.reached_archive(entries)):
            self.count(f"walk/stopped/{stop}")
            next_page, end = None, "archive"
        first_page = WALK_PAGE not in response.meta and response.meta.get(WALK_ID)
        asked = False
        for request in self.walk_listing(
            response,
            entries,
            next_page,
            article_callback=self.parse_article,
            listing_callback=self.parse_fragment,
            end=end,
        ):
            if request.url == next_page:
                request.meta["page_kind"] = "fragment"
                # The walk ends at an empty fragment: that one is not a sign of changed markup.
                request.meta["archiver_may_be_empty"] = True
                request.meta["kcnawatch_source"] = source
                if urlsplit(next_page).path != AJAX_PATH:
                    request = self._search_request(request)
            else:
                asked = True
            yield request
        if first_page and not asked and entries:
            yield from self.discovery_request(entries)

    def discovery_request(self, entries: list[ListingEntryItem]) -> Iterator[scrapy.Request]:
        """On the first page of a start listing that asked for none of its articles (all outside the
        run's dates): its newest article all the same, unless archived or asked for, to find the
        sources only article pages link ("Source:", "More From", sidebars). One per listing, and only
        when a backfill discovers (no `-a sources`): a crawl fetches every new article anyway."""
        if self.policy.mode != "backfill" or self.configured_sources() or not entries:
            return
        url = entries[0].article_url
        if url in self.policy.knowledge or url in self.policy.requested:
            return
        self.policy.requested.add(url)
        self.count("kcnawatch/discovery_pages")
        yield scrapy.Request(url, callback=self.parse_article, meta={"page_kind": "article"})

    def listing_entries(self, response: Response, *, source: str | None, kind: str) -> list[ListingEntryItem]:
        """`div.article-desc` entries (`h4 > a`, `p.articled-date`); else every link to an article
        with the text around it."""
        entries = []
        blocks = response.css("div.article-desc")
        pairs = [(self._entry_url(response, block), block) for block in blocks] or self.linked_articles(
            response, response.xpath("//body") or response.xpath("/*")
        )
        for url, block in pairs:
            if not url:
                continue
            title = (
                text_of(block.css("h4 a"))
                or block.css("h4 a img::attr(alt), a img::attr(alt)").get()
                or self._link_text(response, block, url)
            )
            title = " ".join(title.split()) if title and is_title(title) else None
            if title:
                self.listed_titles.setdefault(url, title)
            entry_source = source or next(self._source_names(block), None)
            entries.append(
                ListingEntryItem(
                    site=SITE,
                    article_url=url,
                    found_on=response.url,
                    kind=kind,
                    title=title,
                    source=entry_source,
                    date_raw=self._entry_date_text(block),
                    date_order=self.date_order,
                    timezone=SITE_TIMEZONE,
                )
            )
        return entries

    def _entry_url(self, response: Response, block: Selector) -> str | None:
        for href in block.css("h4 a::attr(href)").getall() + block.css("a::attr(href)").getall():
            url = self.link(response, href)
            if url and ARTICLE_PATH.search(urlsplit(url).path):
                return url
        return None

    def _link_text(self, response: Response, block: Selector, url: str) -> str | None:
        for anchor in block.xpath(".//a[@href]"):
            if self.link(response, anchor.attrib.get("href")) == url and (text := text_of(anchor)):
                return text
        return None

    @staticmethod
    def _source_names(block: Selector) -> Iterator[str]:
        """The names of the source listings an entry links to (a `/newstream/` entry names its source)."""
        for anchor in block.xpath(".//a[@href]"):
            if SOURCE_LISTING_PATH.match(urlsplit(anchor.attrib["href"].strip()).path) and (text := text_of(anchor)):
                yield text

    @staticmethod
    def _entry_date_text(block: Selector) -> str | None:
        explicit = text_of(block.css("p.articled-date")) or text_of(block.css("time"))
        if explicit:
            return explicit
        for text in block.xpath(".//text()[not(ancestor::a)]").getall():
            if match := MONTH_DATE.search(text):
                return match.group(0)
        return None

    def linked_articles(self, response: Response, scope) -> list[tuple[str, Selector]]:
        """Each article linked in `scope` with its entry: the largest element around its link(s)
        that links to no other article."""
        # Each ancestor of each link is checked for other article links: the same hrefs come up
        # again and again, so each is resolved once (it was most of a crawl's CPU time).
        resolved: dict[str, str | None] = {}

        def article_url(href: str | None) -> str | None:
            if href is None:
                return None
            if href not in resolved:
                url = self.link(response, href)
                resolved[href] = url if url and ARTICLE_PATH.search(urlsplit(url).path) else None
            return resolved[href]

        by_url: dict[str, Selector] = {}
        for anchor in scope.xpath(".//a[@href]"):
            url = article_url(anchor.attrib.get("href"))
            if url and url not in by_url:
                by_url[url] = anchor
        pairs = []
        for url, anchor in by_url.items():
            # Walked on the lxml tree under the selectors (a Selector per step cost more than the rest).
            container = anchor.root
            while True:
                parent = container.getparent()
                if parent is None or parent.tag in ("body", "html"):
                    break
                if any(u and u != url for u in (article_url(a.get("href")) for a in parent.iterdescendants("a"))):
                    break
                container = parent
            pairs.append((url, anchor if container is anchor.root else Selector(root=container, type="html")))
        return pairs

    # Articles ------------------------------------------------------------------------------
    def parse_article(self, response: Response) -> Iterator[object]:
        """The article itself, then every "More From" entry, the articles it links, its source listing.

        @url https://kcnawatch.org/newstream/1729688400-811236574/basic-party-organizations-should-be-strengthened-further-organizationally-and-id/
        @returns items 21
        @scrapes site source
        """
        assert isinstance(response, TextResponse)  # article pages are HTML (and response.text is read below)
        page: Selector = response.selector
        item = self.article_item(response, page)
        if item is None or not item.paragraphs:
            # Nesting too deep for the HTML parser (it stops at a few thousand levels): read the page
            # again without its wrapper tags; the paragraphs, labels and links are all still there.
            page = Selector(text=flatten_wrappers(response.text))
            item = self.article_item(response, page) or item
        if item is not None:
            yield item
        yield from self.more_from(response, page)
        # Other articles the page links to (a sidebar): requested when the run wants them. The source
        # listing ("Source:", "More Articles") is walked like a start listing, to the first page of
        # archived entries: its first 20 entries are the "More From" block's, so a side walk (on while
        # something is new) would stop at once on a first crawl and never reach the older ones.
        listings = []
        for anchor in page.root.iter("a"):  # the lxml tree: a Selector per link cost more than the rest
            url = self.link(response, anchor.get("href"))
            if not url:
                continue
            path = urlsplit(url).path
            if (match := ARTICLE_PATH.search(path)) and url != response.url:
                day = self._entry_dates.date_from_epoch(match.group(1), tz=SITE_TIMEZONE).value
                if request := self.article_request(url, self.parse_article, listed_on=day):
                    yield request
            elif SOURCE_LISTING_PATH.match(path):
                listings.append((url, Selector(root=anchor, type="html")))
        yield from self.walk_sources(response, listings)

    def article_item(self, response: Response, page: Selector) -> ArticleItem | None:
        found = page.xpath(CONTENT_XPATH)
        if not found:
            self.count("kcnawatch/article_without_body")
            return None
        content = found[0]
        paragraphs = self.paragraphs(content)
        signature = None
        if paragraphs and len(paragraphs[-1]) <= 60 and AGENCY_SIGNATURE.match(paragraphs[-1]):
            signature = paragraphs.pop()
        header = " ".join(
            " ".join(
                content.xpath("preceding::text()[not(ancestor::script or ancestor::style or ancestor::head)]").getall()
            ).split()
        )
        date_match = DATE_LABEL.search(header)
        source_match = SOURCE_LABEL.search(header)
        original = None
        for anchor in page.xpath("//a[@href]"):
            if ORIGINAL_LINK_TEXT in (text_of(anchor) or "").lower():
                original = anchor.attrib["href"].strip() or None
                break
        url = canonical_url(response.url)
        match = ARTICLE_PATH.search(urlsplit(url).path)
        return ArticleItem(
            site=SITE,
            url=url,
            title=self.title(page, content) or self.listed_titles.get(url),
            source=source_match.group(1).strip() if source_match else None,
            date_raw=date_match.group(1) if date_match else None,
            url_date_raw=match.group(1) if match else None,
            original_url=original,
            paragraphs=paragraphs,
            signature=signature,
            language=language_of(paragraphs),
            date_order=self.date_order,
            timezone=SITE_TIMEZONE,
        )

    @staticmethod
    def paragraphs(content: Selector) -> list[str]:
        """The body's paragraphs, however deep an unclosed tag has put them; none of a "More From"
        block an unclosed tag has pulled inside."""
        inside = content.xpath(".//*[self::h2 or self::h3 or self::h4][starts-with(normalize-space(.), 'More From ')]")
        after_more_from = {p.root for p in inside[0].xpath("following::p")} if inside else set()
        found = [text for p in content.xpath(".//p") if p.root not in after_more_from and (text := text_of(p))]
        if not found and (text := text_of(content)):
            found = [text]
        return found

    @staticmethod
    def title(page: Selector, content: Selector) -> str | None:
        """The article's own title, never the site's chrome: the nearest heading before the body that
        is not the masthead's, a widget's or "More From"; else `og:title`, `twitter:title` or a
        JSON-LD `headline`; else `<title>` without the site's name. (Else the spider falls back on the
        title a listing or the feed gave.) A value that is the site's name is no title."""
        for heading in content.xpath("preceding::*[self::h1 or self::h2]")[::-1]:
            text = text_of(heading)
            if (
                text
                and not is_chrome(heading, content)
                and not text.startswith(MORE_FROM_PREFIX.strip())
                and is_title(text)
            ):
                return text
        for name in ("og:title", "twitter:title"):
            if value := page_title(page.xpath(f"//meta[@property='{name}' or @name='{name}']/@content").get()):
                return value
        for script in page.xpath("//script[contains(@type, 'ld+json')]/text()").getall():
            if headline := page_title(json_ld_headline(script)):
                return headline
        return page_title(page.xpath("//title/text()").get())

    def more_from(self, response: Response, page: Selector) -> Iterator[object]:
        """ "More From NAME" entries (found by the heading's text) and their articles."""
        headings = page.xpath(
            "//*[self::h1 or self::h2 or self::h3 or self::h4 or self::h5 or self::div or self::span or self::strong]"
            "[starts-with(normalize-space(.), 'More From ')]"
            "[not(.//*[starts-with(normalize-space(.), 'More From ')])]"
        )
        if not headings:
            return
        heading = headings[0]
        source = (text_of(heading) or "").removeprefix(MORE_FROM_PREFIX.strip()).strip() or None
        block = heading.xpath("..")[0]
        entries = []
        for url, container in self.linked_articles(response, block):
            root = container.root  # read on the lxml tree: twenty entries a page, each its own XPath before
            teasers = [
                element_text(a)
                for a in root.iterdescendants("a")
                if (href := a.get("href")) is not None and self.link(response, href) == url
            ]
            teaser = max((t for t in teasers if t), key=len, default=None)
            if teaser is None:
                teaser = next((t for p in root.iterdescendants("p") if (t := element_text(p))), None)
            entries.append(
                ListingEntryItem(
                    site=SITE,
                    article_url=url,
                    found_on=response.url,
                    kind="more_from",
                    source=source,
                    teaser_raw=teaser,
                    date_raw=self._entry_date_text(container),
                    date_order=self.date_order,
                    timezone=SITE_TIMEZONE,
                )
            )
        yield from entries
        yield from self.article_requests(entries, self.parse_article)
