"""The listing pages of a profile's spider (spiders/profile.py): its entries (by the profile's
selectors, else each article link's block outside menus and sidebars), their dates (a selector, a
`<time datetime>`, else short text that reads as a date), and the next page by the profile's
pagination (a URL template, a selector, or a link's text). Also the text helpers the article pages
read with too (`squeeze`, `text_of`, `first_text`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime
from typing import TYPE_CHECKING, ClassVar

from parsel import Selector
from scrapy.http import Response

from archiver.items import ListingEntryItem
from archiver.sites.patterns import compile_pattern
from archiver.sites.profiles import DateRule, Profile
from spiders.base import ArchiverSpider
from spiders.cards import card_teaser, card_title
from spiders.pagedates import DATE_IN_TEXT, MODIFIED_MARK

PAGE_KIND = "page_kind"
#: An entry's block is never wider than one of these (a page's only entry must not take the page).
ENTRY_TAGS = frozenset(["article", "li", "tr"])
PAGE_LEVEL = frozenset(["body", "html", "main"])
ISO_DAY = re.compile(r"^\s*(\d{4}-\d{2}-\d{2})")
#: Text longer than this is not a date (the normalizer refuses it anyway).
DATE_MAX_LEN = 60
#: Where a date usually follows a label: "Posted on: 14 March 2024", "News | 14.03.2024".
DATE_LABEL = re.compile(r"[:|•·]")
URL_ATTRIBUTES = ("href", "data-url", "data-href", "data-next", "data-src")
SENTINEL = 987654321
#: Statuses that end a walk by URL template: the page after the last one does not exist.
END_STATUSES = (404, 410)
#: Links of the page's content: not those of menus and sidebars (`<nav>`, `<aside>` and their roles).
CONTENT_LINKS = (
    "//a[@href][not(ancestor::nav or ancestor::aside or ancestor::*[@role='navigation' or @role='complementary'])]"
)


def squeeze(text: str | None) -> str:
    return " ".join((text or "").split())


def text_of(node: Selector) -> str | None:
    """The text of a selected node, or the selected string (`::text`, `::attr()`), or None when empty."""
    root = node.root
    text = root if isinstance(root, str) else node.xpath("string()").get()
    return text if text and text.strip() else None


def first_text(scope: Selector | Response, css: str | None) -> str | None:
    if not css:
        return None
    for node in scope.css(css):
        if text := text_of(node):
            return text
    return None


def url_of(node: Selector) -> str | None:
    """The URL a selected node stands for: the string itself (`::attr(href)`), or its link attribute."""
    if isinstance(node.root, str):
        return node.root.strip() or None
    for name in URL_ATTRIBUTES:
        if value := node.attrib.get(name):
            return value.strip()
    return None


def strptime_day(text: str, fmt: str) -> date | None:
    """The day `text` (or the part of it after a label) gives under `fmt`, None when it does not fit."""
    for candidate in (text, *DATE_LABEL.split(text)):
        try:
            return datetime.strptime(squeeze(candidate), fmt).date()
        except ValueError:
            continue
    return None


class ProfileListings(ArchiverSpider):
    """The listing pages of ProfileSpider (see the module)."""

    profile: ClassVar[Profile]
    template: re.Pattern[str] | None  # set by the spider: reads the page number back from a template URL
    page_size: int  # set by the spider: the most entries a listing page of this run has shown

    if TYPE_CHECKING:  # given by ProfileSpider (spiders/profile.py)

        def parse_article(self, response: Response) -> Iterator[object]: ...

        def is_article(self, url: str | None) -> bool: ...

        def url_candidate(self, url: str) -> tuple[str, str] | None: ...

        def unless_far_from_url(self, date_raw: str | None, order: str, url: str) -> str | None: ...

    # Listing pages ----------------------------------------------------------------------------
    @staticmethod
    def page_kind(response: Response) -> str:
        request = getattr(response, "request", None)
        return (request.meta.get(PAGE_KIND) if request is not None else None) or "listing"

    def parse_listing(self, response: Response) -> Iterator[object]:
        """The entries of a listing page (or "load more" fragment), their articles, and the next page."""
        if response.status in END_STATUSES:
            self.count(f"walk/stopped/end_of_template_{response.status}")
            return
        kind = self.page_kind(response)
        entries = list(self.listing_entries(response, kind))
        yield from entries
        yield from self.walk_listing(
            response,
            entries,
            self.next_page(response, entries),
            article_callback=self.parse_article,
            listing_callback=self.parse_listing,
        )

    def listing_entries(self, response: Response, kind: str) -> Iterator[ListingEntryItem]:
        rule = self.profile.date_rule(kind)
        order = self.profile.date_order(kind)
        seen: set[str] = set()
        for url, block, links in self.entry_blocks(response):
            if url in seen:
                continue
            seen.add(url)
            title = first_text(block, self.profile.listing.get("title")) or card_title(
                block.root, [a.root for a in links]
            )
            date_raw, date_order, date_text, candidates = self.listing_date(block, rule, order)
            date_raw = self.unless_far_from_url(date_raw, date_order, url)
            if date_raw is None:
                candidates = []
            if from_url := self.url_candidate(url):  # the URL checks the listing's date, never dates it alone
                candidates.append({"source": from_url[0], "role": "published", "raw": from_url[1], "weight": "check"})
            yield ListingEntryItem(
                site=self.name,
                article_url=url,
                found_on=response.url,
                kind="listing",
                title=title,
                source=first_text(block, self.profile.listing.get("source")) or self.profile.source,
                teaser_raw=first_text(block, self.profile.listing.get("teaser"))
                or card_teaser(block.root, [a.root for a in links], title, date_text),
                date_raw=date_raw,
                date_order=date_order,
                timezone=self.profile.timezone,
                date_candidates=candidates,
            )

    def entry_blocks(self, response: Response) -> Iterator[tuple[str, Selector, list[Selector]]]:
        """(article URL, the entry's block, its links to the article), in page order."""
        selectors = self.profile.listing
        if "entry" in selectors:
            found = False
            for block in response.css(selectors["entry"]):
                links = block.css(selectors["link"]) if "link" in selectors else block.css("a[href]")
                found_links = [(self.link(response, url_of(link)), link) for link in links]
                urls = [(url, link) for url, link in found_links if url and self.is_article(url)]
                if urls:
                    found = True
                    first = urls[0][0]
                    yield first, block, [link for url, link in urls if url == first]
            if found:
                return
            self.count("profile/selector_missed/listing.entry")
        # No entry selector: each article link's block is the largest element around it that links
        # to no other article. A URL linked from several places (a sidebar too) keeps its wordiest block.
        content_links = [(self.link(response, a.attrib.get("href")), a) for a in response.xpath(CONTENT_LINKS)]
        article_of = {a.root: url for url, a in content_links if url and self.is_article(url)}
        best: dict[str, tuple[int, Selector]] = {}
        order: list[str] = []
        for element, url in article_of.items():
            block = element
            parent = block.getparent()
            while parent is not None and parent.tag not in PAGE_LEVEL and block.tag not in ENTRY_TAGS:
                if any(article_of.get(a, url) != url for a in parent.iter("a")):
                    break
                block, parent = parent, parent.getparent()
            size = len(squeeze(block.text_content()))
            if url not in best:
                order.append(url)
            if url not in best or size > best[url][0]:
                best[url] = (size, Selector(root=block))
        for url in order:
            block = best[url][1]
            same = [a for a in block.css("a[href]") if article_of.get(a.root) == url]
            yield url, block, same

    def listing_date(
        self, block: Selector, rule: DateRule, order: str | None
    ) -> tuple[str | None, str, str | None, list[dict]]:
        """(date_raw, its order, the text it was read from, the entry's date candidates).

        `order`: the order the profile names (None: a numeric date is read both ways by the pipeline).
        """
        selector = self.profile.listing.get("date")
        if selector:
            found = first_text(block, selector)
            if not found:
                return None, rule.order, None, []
            raw, raw_order = self.read_date(found, rule)
            return raw, raw_order, found, [self.printed(raw, raw_order if rule.format or order else None, "selector")]
        times = [t for t in block.css("time[datetime]") if ISO_DAY.match(t.attrib["datetime"])]
        # A card that shows when it was published and when updated: the publication first.
        times.sort(key=lambda t: bool(MODIFIED_MARK.search(t.attrib.get("class", ""))))
        if times:
            machine, shown = times[0].attrib["datetime"].strip(), squeeze(text_of(times[0]))
            candidates = [{"source": "time", "role": "published", "raw": machine}]
            if printed := DATE_IN_TEXT.search(shown):
                candidates.append(self.printed(printed.group(0), order, "text"))
            return machine, "YMD", shown or None, candidates
        # Text outside links first: a link's text is mostly the title ("G7 summit", "5 reports"),
        # and a title that reads as a date is a worse guess than the entry's own date line.
        texts = block.xpath(".//text()[not(ancestor::script) and not(ancestor::style) and not(ancestor::a)]").getall()
        texts += block.xpath(".//a//text()[not(ancestor::script) and not(ancestor::style)]").getall()
        for text in texts:
            chunk = squeeze(text)
            if not chunk or len(chunk) > DATE_MAX_LEN or not any(c.isdigit() for c in chunk):
                continue
            raw, raw_order = self.read_date(chunk, rule)
            if self._entry_dates.parse(raw, order=raw_order).value:
                return raw, raw_order, chunk, [self.printed(raw, raw_order if rule.format or order else None, "text")]
        return None, rule.order, None, []

    @staticmethod
    def printed(raw: str, order: str | None, source: str) -> dict:
        """A candidate printed as text, read in `order` (None: unknown)."""
        candidate = {"source": source, "role": "published", "raw": raw}
        if order:
            candidate["order"] = order
        return candidate

    def read_date(self, text: str, rule: DateRule) -> tuple[str, str]:
        """A date as (raw, order) for the dates pipeline: a strptime format, when it fits, gives ISO."""
        if rule.format and (day := strptime_day(text, rule.format)):
            return day.isoformat(), "YMD"
        return text, rule.order

    def next_page(self, response: Response, entries: list[ListingEntryItem]) -> str | None:
        """The next listing page or fragment, by the profile's pagination; None at the end."""
        pagination = self.profile.pagination
        if pagination.kind is None or not entries:
            return None
        if pagination.url:
            # A page shorter than a full one (`step`, else the longest page seen) is the last.
            self.page_size = max(self.page_size, pagination.step or 0, len(entries))
            if len(entries) < self.page_size:
                return None
            return self.url(self.template_path(response.url, len(entries)))
        if pagination.selector:
            for node in response.css(pagination.selector):
                if (url := self.link(response, url_of(node))) and url != response.url:
                    return url
            return None
        wanted = compile_pattern(pagination.text or "", ignore_case=True)  # RE2: linear time
        for node in response.css("a, button"):
            if not wanted.search(squeeze(node.xpath("string()").get())):
                continue
            if (url := self.link(response, url_of(node))) and url != response.url:
                return url
        return None

    def _template_pattern(self) -> re.Pattern[str] | None:
        """A regex reading the page number or offset back from a URL made by the template."""
        template = self.profile.pagination.url
        if not template:
            return None
        made = self.url(template.replace("{page}", str(SENTINEL)).replace("{offset}", str(SENTINEL)))
        return re.compile(re.escape(made).replace(str(SENTINEL), r"(\d+)") + "$")

    def template_path(self, current: str, entries: int) -> str:
        """The template filled for the page after `current` (a start page is the first page / offset 0)."""
        pagination = self.profile.pagination
        template = pagination.url or ""
        match = self.template.match(current) if self.template else None
        number = int(match.group(1)) if match else None
        if "{page}" in template:
            return template.replace("{page}", str((number or pagination.first_page) + 1))
        return template.replace("{offset}", str((number or 0) + (pagination.step or entries)))
