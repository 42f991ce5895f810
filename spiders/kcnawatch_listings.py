"""KCNA Watch's source listings, `/newstream/`, their "load more" fragments and the date search.

A listing's entries (`div.article-desc`, else every article link with the text around it), the
next page (the "load more" fragment, else the date search a month at a time), the source listings
a page links (recorded and walked), and when a walk stops. Part of the spider (spiders/kcnawatch.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, MutableMapping
from datetime import date
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlsplit

import scrapy
from parsel import Selector
from scrapy.http import Response, TextResponse

from archiver.archive.incremental import START
from archiver.archive.sources import KnownSource, SourceSighting
from archiver.items import ListingEntryItem
from spiders.base import BARREN, WALK_ID, WALK_PAGE, ArchiverSpider
from spiders.kcnawatch_markup import (
    Window,
    halves,
    is_title,
    month_before,
    month_of,
    search_target,
    source_id_in,
    window_of,
)
from spiders.kcnawatch_site import (
    AJAX_PATH,
    ARTICLE_PATH,
    FRAGMENT_SIZE,
    MORE_FROM_PREFIX,
    NEWSTREAM_PATH,
    SITE,
    SITE_TIMEZONE,
    SOURCE_LISTING_PATH,
    text_of,
)

MONTH_DATE = re.compile(
    r"\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?\s+\d{1,2},?\s+\d{4}\b", re.IGNORECASE
)
#: Link texts that name no source ("More Articles" under a "More From" block).
GENERIC_LINK_TEXT = re.compile(r"^(?:more\b.*|read more.*|view all.*|all articles|[»›>]+)$", re.IGNORECASE)
#: A date search that finds nothing for this many months in a row (no --since to stop at) ends there.
SEARCH_EMPTY_MONTHS = 12


class KcnaWatchListings(ArchiverSpider):
    """The listing pages of KcnaWatchSpider (see the module)."""

    #: Titles listings and the feed gave, for article pages that print none (set by the spider).
    listed_titles: MutableMapping[str, str]

    if TYPE_CHECKING:  # given by the other parts of KcnaWatchSpider (spiders/kcnawatch.py)

        def parse_article(self, response: Response) -> Iterator[object]: ...

        def configured_sources(self) -> list[str]: ...

        def configured_source_id(self, listing_id: str) -> str | None: ...

        def known(self) -> list[KnownSource]: ...

        def source_listing_url(self, listing_id: str) -> str: ...

        def fragment_url(self, source_id: str, start: int) -> str: ...

    def listing_requests(self, sources: list[str]) -> list[scrapy.Request]:
        """The source listings given, else `/newstream/` (whose entries name sources) and every source
        listing the archive has seen (found on article pages, "More From" blocks, menus, earlier runs)."""
        if sources:
            return [self._listing(self.source_listing_url(i), START) for i in sources]
        known = [self._listing(source.url, START) for source in self.known()]
        return [self._listing(self.url(NEWSTREAM_PATH), START), *known]

    def _listing(self, url: str, walk: str) -> scrapy.Request:
        return self.listing_request(url, self.parse_listing, walk=walk, meta={"page_kind": "listing"})

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
