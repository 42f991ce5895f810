"""RSTV's listings: the home listing, each module's, category pages and day archives; the entries
read from the text around their links, the next page, and the modules and categories pages name
(table `sources`). Part of the spider (spiders/rstv.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import scrapy
from parsel import Selector
from scrapy.http import Response, TextResponse

from archiver.archive.sources import SourceSighting
from archiver.items import ListingEntryItem
from spiders.base import ArchiverSpider
from spiders.rstv_text import (
    DETAILS,
    READ_MORE,
    collapse,
    contains_any,
    details_fields,
    has_details,
    is_details_line,
    is_title_link,
    split_lines,
)
from spiders.rstv_urls import CATEGORY_PATH, MODULES, SITE, SOURCE, listing_position, module_of, page_kind


class PageLinks:
    """Which of a listing page's entries each element links, read once per element: every entry of a
    page asks about the same wrappers (a page of n entries in one `div` would read it n times)."""

    def __init__(self, entry_url: Callable[[str], str | None], entries: set[str]) -> None:
        self.entry_url = entry_url
        self.entries = entries
        self.linked: dict[object, frozenset[str]] = {}

    def entries_in(self, element) -> frozenset[str]:
        found = self.linked.get(element)
        if found is None:
            urls = (self.entry_url(str(href)) for href in element.xpath(".//a/@href"))
            found = self.linked[element] = frozenset(url for url in urls if url in self.entries)
        return found


@dataclass(frozen=True)
class OtherEntries:
    """The entries of a page but one (`own`): whether an element links any of them."""

    page: PageLinks
    own: str

    def linked_in(self, element) -> bool:
        found = self.page.entries_in(element)
        return len(found) > 1 or (len(found) == 1 and self.own not in found)


class RstvListings(ArchiverSpider):
    """The listing pages of RstvSpider (see the module)."""

    _days: list[str]  # the day archives a backfill by days asked for (set by the spider)

    if TYPE_CHECKING:  # given by the other parts of RstvSpider (spiders/rstv.py)

        def parse_article(self, response: Response) -> Iterator[object]: ...

        def entry_url(self, response: Response, href: str | None) -> str | None: ...

        def with_kinds(self, requests: Iterable[scrapy.Request]) -> Iterator[scrapy.Request]: ...

        def start_via(self) -> str: ...

    # Listing requests --------------------------------------------------------------------------
    def modules(self) -> list[str]:
        """The modules that hold entries: the blog, the news module, and those earlier runs found."""
        return list(dict.fromkeys([*MODULES, *(m.key for m in self.archived_sources("module"))]))

    def listing_requests(self) -> list[scrapy.Request]:
        """The home listing and each module's own (`/blog/`, `/news/`…): whether the home page lists
        every module is not known."""
        return [self.home_request(), *(self.module_request(module) for module in self.modules())]

    def home_request(self) -> scrapy.Request:
        return self.listing_request(self.url("/"), self.parse_listing, meta={"page_kind": "listing"})

    def module_request(self, module: str) -> scrapy.Request:
        return self.listing_request(self.url(f"/{module}/"), self.parse_listing, meta={"page_kind": "listing"})

    def day_requests(self) -> Iterator[scrapy.Request]:
        """One day archive per day of the range and module, newest first (`/blog/2021-4-1`, the
        calendar's form; `/news/2021-4-1` where the news module answers)."""
        day, first = self.dates.until or date.today(), self.dates.since
        modules = self.modules()
        if first is not None:
            self.plan_walks(max((day - first).days + 1, 0) * len(modules))
        while first is not None and day >= first:
            for module in modules:
                url = self.url(f"/{module}/{day.year}-{day.month}-{day.day}")
                self._days.append(url)
                # A day without entries may answer 404 (as the example mirror does): no error, no entries.
                meta = {"page_kind": "day_archive", "handle_httpstatus_list": [404], "archiver_may_be_empty": True}
                yield self.listing_request(url, self.parse_listing, meta=meta)
            day -= timedelta(days=1)

    # Listings ----------------------------------------------------------------------------------
    def parse_listing(self, response: Response) -> Iterator[object]:
        """Entries of a listing, day archive or category page; their articles; the next page.

        @url http://www.redstartv.org/blog/
        @returns items 1
        @returns requests 1
        @scrapes site article_url found_on kind title teaser_raw date_raw views
        """
        if response.status >= 400:  # a day archive of a day without entries: read, and empty
            self.count("rstv/days_without_entries")
            yield from self.walk_listing(
                response, [], None, article_callback=self.parse_article, listing_callback=self.parse_listing
            )
            return
        entries = list(self.listing_entries(response))
        yield from entries
        yield from self.note_sources(response, [e.article_url for e in entries])
        yield from self.with_kinds(
            self.walk_listing(
                response,
                entries,
                self.next_page(response),
                article_callback=self.parse_article,
                listing_callback=self.parse_listing,
            )
        )

    def listing_entries(self, response: Response) -> list[ListingEntryItem]:
        """The page's entries in the order of their title links (a side box listing some first does
        not reorder them)."""
        anchors: dict[str, list] = {}
        order: dict[int, int] = {}  # id of a link's Selector → its place on the page
        for n, anchor in enumerate(response.xpath("//body//a[@href]")):
            url = self.entry_url(response, anchor.attrib["href"])
            if url:
                anchors.setdefault(url, []).append(anchor)
                order[id(anchor)] = n
        found = []
        linked = PageLinks(lambda href: self.entry_url(response, href), set(anchors))
        for url, links in anchors.items():
            entry = self.listing_entry(response, url, links, OtherEntries(linked, url))
            if entry is not None:
                found.append(entry)
        return [entry for _, entry in sorted(found, key=lambda pair: order[id(pair[0])])]

    def listing_entry(
        self, response: Response, url: str, links: list, others: OtherEntries
    ) -> tuple[Selector, ListingEntryItem] | None:
        """One entry from the text around its links: title link, teaser, the details line.

        The first title link with a details line around it counts: a side box of latest entries
        links the same entry without one.
        """
        titled = [a for a in links if is_title_link(a)]
        for title_link in titled:
            twins = [a.root for a in titled if a is not title_link]
            nodes = self.entry_nodes(response, title_link.root, others, twins)
            lines = split_lines(nodes)
            details = " | ".join(line.plain for line in lines if is_details_line(line.plain))
            if DETAILS.search(details):
                break
        else:
            return None  # links in side boxes only, not a listing entry
        title = collapse(title_link.xpath("string()").get())
        message = [n for node in nodes for n in Selector(root=node).css(".eMessage")]
        teaser_lines = split_lines(message) if message else lines
        joined = " ".join(
            line.collapsed
            for line in teaser_lines
            if line.collapsed != title and not is_details_line(line.plain) and not READ_MORE.fullmatch(line.plain)
        )
        teaser = READ_MORE.sub("", joined).strip() or None
        fields = details_fields(details)
        return title_link, ListingEntryItem(
            site=SITE,
            article_url=url,
            found_on=response.url,
            kind="listing",
            source=SOURCE,
            title=title or None,
            teaser_raw=teaser,
            date_raw=fields.get("date_raw"),  # type: ignore[arg-type]
            date_order=self.date_order,
            category=fields.get("category"),  # type: ignore[arg-type]
            views=fields.get("views"),  # type: ignore[arg-type]
            comments=fields.get("comments"),  # type: ignore[arg-type]
        )

    def entry_nodes(self, response: Response, title_link, others: OtherEntries, twins: list) -> list:
        """The elements holding one entry, from its title link up: the first ancestor holding a details
        line, or (a flat template: title, teaser and details as siblings) the title's block and its
        following siblings up to the details line. Never past another entry's link or another title
        link of the same entry (`twins`: a side box links it too)."""
        node = title_link
        while True:
            if has_details(node):
                return [node]
            run = [node]
            for sibling in node.itersiblings():
                if not isinstance(sibling.tag, str):
                    continue
                if self.links_other_entry(response, sibling, others) or contains_any(sibling, twins):
                    break
                run.append(sibling)
                if has_details(sibling):
                    return run
            parent = node.getparent()
            if parent is None or parent.tag == "body" or self.links_other_entry(response, parent, others):
                return run
            if contains_any(parent, twins):
                return run
            node = parent

    def links_other_entry(self, response: Response, element, others: OtherEntries) -> bool:
        return others.linked_in(element)

    def next_page(self, response: Response) -> str | None:
        """The link to page N+1 of the same listing (`/?page2`, `/blog/?page3`, `/blog/x/24-0-2`)."""
        here = listing_position(response.url)
        if here is None:
            return None
        for href in response.xpath("//a/@href").getall():
            url = self.link(response, href)
            there = listing_position(url) if url else None
            if there == (here[0], here[1] + 1):
                return url
        return None

    # Modules and categories ----------------------------------------------------------------------
    def note_sources(self, response: Response | None, urls: Iterable[str]) -> Iterator[scrapy.Request]:
        """The modules whose entries these URLs are (named as the page's menu names them) and the
        categories the page links, for table `sources`; a crawl walks a module new to it."""
        menu: dict[str, str] = {}
        if isinstance(response, TextResponse):
            for anchor in response.xpath("//a[@href]"):
                url = self.link(response, anchor.attrib["href"])
                if not url or (position := listing_position(url)) is None or position[1] != 1:
                    continue
                name = collapse(anchor.xpath("string()").get() or "") or None
                if category := CATEGORY_PATH.match(urlsplit(url).path):
                    self.saw_source(SourceSighting("category", category.group(1), url, name, found_on=response.url))
                elif (module_name := module_of(url)) and urlsplit(url).path == f"/{module_name}/" and name:
                    menu.setdefault(module_name, name)
        found_on = response.url if response is not None else None
        for module in dict.fromkeys(m for u in urls if page_kind(u) == "article" and (m := module_of(u))):
            sighting = SourceSighting("module", module, self.url(f"/{module}/"), menu.get(module), found_on=found_on)
            if self.saw_source(sighting) and module not in self.modules() and self.start_via() == "listings":
                yield self.module_request(module)
