"""The spider that crawls a site described by a profile (archiver/sites/profiles.py), with no Python of its own.

One class per profile is made by `ProfileSpider.for_profile(profile)` (spiders/loader.py does it for
every profile in the sites folder). Everything the built-in spiders have comes from ArchiverSpider:
incremental walks, backfills by date, refresh; the pipelines fold reposts, check teasers and keep
snapshots the same way.

Where the profile names no selector for a field, the defaults read what any listing shows:

- listing entries are the links whose path matches `article_url`, outside menus and sidebars
  (`<nav>`, `<aside>`); an entry's block is the largest element around the link that holds no link
  to another article. Its title and teaser are read from the card as the common themes lay it out
  (spiders/cards.py: the heading's text, the excerpt element, never the whole card's text), its date
  is the first `<time datetime>` (a publication before an update) or short text that reads as a date;
- an article's title is its `<h1>` (else `og:title`, else `<title>`; never one that only repeats the
  site's name, spiders/sitename.py), its body the main text
  trafilatura finds; its dates are chosen from every date the page states for itself
  (spiders/pagedates.py: JSON-LD, meta tags, microdata, the article's `<time>` and printed dates,
  the URL) by the dates pipeline (archiver/normalize/datechoice.py).
  Named groups `year`, `month`, `day` in `article_url` give the date the URL carries.

A selector the profile gives is tried first; where it finds nothing on a page, the default is tried
(the selectors of a site are hints that a redesign may break, not the only way in).

Every request carries `meta["page_kind"]`: "listing" (start pages and pages reached by a next link or
a URL template), "fragment" ("load more" responses) or "article".

The listing pages are read in spiders/profile_listings.py.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from copy import deepcopy
from datetime import date, timedelta
from typing import ClassVar
from urllib.parse import urlsplit

import scrapy
from parsel import Selector
from scrapy.http import Response, TextResponse

from archiver.archive.incremental import START, Entry
from archiver.items import ArticleItem, ListingEntryItem
from archiver.normalize.datechoice import url_date as date_in_url
from archiver.normalize.language import detect_language
from archiver.sites.profiles import Profile
from spiders.cards import BLOCKS, TEASER_MIN_WORDS
from spiders.pagedates import article_date_candidates
from spiders.profile_listings import END_STATUSES, ISO_DAY, PAGE_KIND, ProfileListings, first_text, squeeze, text_of
from spiders.sitename import is_site_name, site_names

# trafilatura warns "discarding data" per page where its precise mode finds nothing; the spider then
# tries the balanced mode and counts it (archiver/profile/body/balanced_extraction) instead.
logging.getLogger("trafilatura").setLevel(logging.ERROR)
BLOCK_TAGS = BLOCKS
#: Between the parts of a `<title>` ("Story – Site", "Site | Story").
TITLE_SEPARATORS = re.compile(r"\s+[-–—|·»]\s+")
#: A page's date further than this from the date its URL carries is a misread, not a late repost.
URL_DATE_SLACK = timedelta(days=366)
#: An attribute this long holds no text of the article (trafilatura's parser gives up on it).
GIANT_ATTRIBUTE = 1024 * 1024


def lines_of(element) -> list[str]:
    """The text of an element without `<p>`s, one paragraph per `<br>`-separated line or block."""
    copy = deepcopy(element)  # the response's own tree stays as served
    for node in copy.iter():
        if isinstance(node.tag, str) and (node.tag == "br" or node.tag in BLOCK_TAGS) and node is not copy:
            node.tail = "\n" + (node.tail or "")
            if node.tag in BLOCK_TAGS:
                node.text = "\n" + (node.text or "")
    return [line for line in copy.text_content().split("\n") if line.strip()]


def cell_paragraphs(element) -> list[str]:
    """The paragraphs of an element that holds `<p>`s: each `<p>` (inside blocks too), and the text
    written straight into the element between them, split at `<br>` and blocks (a table cell that
    opens with a bare paragraph before its `<p>`s). A bare run of fewer than TEASER_MIN_WORDS words
    ("Share:", a label) is not a paragraph."""
    paragraphs: list[str] = []
    run = [element.text or ""]

    def end_run() -> None:
        text = squeeze("".join(run))
        run.clear()
        if len(text.split()) >= TEASER_MIN_WORDS:
            paragraphs.append(text)

    for child in element:
        tag = child.tag.lower() if isinstance(child.tag, str) else ""
        if tag == "p":
            end_run()
            paragraphs.extend(t for t in (text_of(Selector(root=child)),) if t)
        elif tag == "br" or tag in BLOCK_TAGS or any(True for _ in child.iter("p")):
            end_run()
            paragraphs.extend(t for t in (text_of(Selector(root=p)) for p in child.iter("p")) if t)
        elif tag and tag not in ("script", "style"):
            run.append(child.text_content())
        run.append(child.tail or "")
    end_run()
    return paragraphs


def page_title(response: Response) -> str | None:
    """`<title>` without the site's parts: of "Story - 25 July 2023 - Blog - Site", the longest part
    that the page also shows as text."""
    title = first_text(response, "title")
    if not title:
        return None
    parts = [part.strip() for part in TITLE_SEPARATORS.split(title) if part.strip()]
    shown = squeeze(" ".join(response.xpath("//body//text()[not(ancestor::script)]").getall()))
    on_page = [part for part in parts if squeeze(part) in shown]
    return max(on_page, key=len) if on_page else squeeze(title)


def after_title(lines: list[str], title: str | None) -> list[str]:
    """The body lines after the title's line, when the extractor kept the page's head above the text."""
    wanted = squeeze(title)
    if not wanted:
        return lines
    for number, line in enumerate(lines[:12]):
        if wanted in squeeze(line):
            return lines[number + 1 :]
    return lines


def has_giant_attribute(response: TextResponse) -> bool:
    if len(response.body) < GIANT_ATTRIBUTE:
        return False
    return any(
        len(value) >= GIANT_ATTRIBUTE
        for element in response.selector.root.iter()
        if isinstance(element.tag, str)
        for value in element.attrib.values()
    )


def extraction_input(response: TextResponse, *, cells: bool = False):
    """What trafilatura reads: the page's text; or a copy of the page's tree without giant
    attributes (a 10 MB `<meta content>`: trafilatura's own parser refuses the page, and the article
    is lost) and, with `cells`, with its table elements as `<div>`s (a table layout's cells read as
    the blocks they are)."""
    if not cells and not has_giant_attribute(response):
        return response.text
    root = deepcopy(response.selector.root)  # the response's own tree stays as served
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        for name in [n for n, v in element.attrib.items() if len(v) >= GIANT_ATTRIBUTE]:
            del element.attrib[name]
        if cells and element.tag in TABLE_TAGS:
            element.tag = "div"
    return root


#: Table elements, read as plain blocks in a table layout.
TABLE_TAGS = frozenset(["table", "thead", "tbody", "tfoot", "tr", "td", "th", "caption"])


class ProfileSpider(ProfileListings):
    """Crawls the site of `profile`; subclassed once per profile by `for_profile`."""

    profile: ClassVar[Profile]

    @classmethod
    def for_profile(cls, profile: Profile) -> type[ProfileSpider]:
        """A spider class for one profile: its name, host, check pages and fields it must fill."""
        attributes: dict = {
            "__module__": __name__,
            "__doc__": profile.description or f"The site profile {profile.path}.",
            "name": profile.name,
            "profile": profile,
            "default_base_url": profile.base_url,
            "allowed_domains": [urlsplit(profile.base_url).hostname],
            "date_order": profile.date_rule("article").order,
            "check_urls": {kind: list(paths) for kind, paths in profile.check_urls.items()},
            "required_fields": {
                "listing": ("article_url", "title"),
                "fragment": ("article_url", "title"),
                "article": ("title", "body"),
            },
        }
        if profile.download_delay is not None:
            attributes["custom_settings"] = {"DOWNLOAD_DELAY": profile.download_delay}
        class_name = "".join(part.capitalize() for part in re.split(r"[-_]", profile.name)) + "ProfileSpider"
        return type(class_name, (cls,), attributes)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.template = self._template_pattern()
        self.page_size = 0  # the most entries a listing page of this run has shown

    # Requests ---------------------------------------------------------------------------------
    async def start(self):
        for path in self.profile.start:
            yield self.listing_request(self.url(path), self.parse_listing, meta={PAGE_KIND: "listing"})

    def listing_request(self, url: str, callback, *, walk: str = START, **kwargs) -> scrapy.Request:
        """A listing page; the next pages of a walk are of the kind the pagination leads to."""
        meta = kwargs.pop("meta", {})
        if PAGE_KIND not in meta:  # a page the pagination leads to
            meta = {PAGE_KIND: self.profile.pagination.page_kind, **meta}
            if self.profile.pagination.url:
                # A template may run one page past the end: its "not found" ends the walk, no error.
                meta.setdefault("handle_httpstatus_list", list(END_STATUSES))
        return super().listing_request(url, callback, walk=walk, meta=meta, **kwargs)

    def _requests_for(self, entries: Iterable[Entry], callback) -> Iterator[scrapy.Request]:
        for request in super()._requests_for(list(entries), callback):
            request.meta[PAGE_KIND] = "article"
            yield request

    def is_article(self, url: str | None) -> bool:
        if not url:
            return False
        parts = urlsplit(url)
        return bool(self.profile.article_url.search(parts.path + (f"?{parts.query}" if parts.query else "")))

    def callback_for(self, url: str):
        """Article pages → parse_article; every other stored page of the site was a listing or fragment."""
        return self.parse_article if self.is_article(url) else self.parse_listing

    def entry_date(self, entry: ListingEntryItem) -> date | None:
        """The listing's date, else the one the article's URL carries."""
        listed = super().entry_date(entry)
        if listed is None and (from_url := self.url_date(entry.article_url)):
            return date.fromisoformat(from_url)
        return listed

    def url_candidate(self, url: str) -> tuple[str, str] | None:
        """("url", YYYY-MM-DD) by the profile's named groups, else the date any dated URL shape
        carries (("url_month", YYYY-MM) for `/2023/11/slug`), else None."""
        from_groups = self.url_date(url)
        return ("url", from_groups) if from_groups else date_in_url(url)

    def url_date(self, url: str) -> str | None:
        """YYYY-MM-DD from the named groups `year`, `month`, `day` of `article_url`, if it has them."""
        parts = urlsplit(url)
        match = self.profile.article_url.search(parts.path + (f"?{parts.query}" if parts.query else ""))
        if not match:
            return None
        groups = match.groupdict()
        try:
            return date(int(groups["year"]), int(groups["month"]), int(groups["day"])).isoformat()
        except (KeyError, TypeError, ValueError):
            return None

    def unless_far_from_url(self, date_raw: str | None, order: str, url: str) -> str | None:
        """`date_raw`, or None when it reads more than URL_DATE_SLACK away from the date the URL carries.

        Such a reading is a misread order (`23/09/10` taken day-first for a year-first site), not a
        late repost: unknown is better than wrong (the URL's date still serves).
        """
        from_url = self.url_date(url)
        if not date_raw or not from_url:
            return date_raw
        read = self._entry_dates.parse(date_raw, order=order).value
        if read is not None and abs(read - date.fromisoformat(from_url)) > URL_DATE_SLACK:
            self.count("profile/dates/far_from_url")
            return None
        return date_raw

    # Article pages ----------------------------------------------------------------------------
    def parse_article(self, response: Response) -> Iterator[object]:
        """The article of the page."""
        if self.is_article(response.url) or self.page_kind(response) == "article":
            yield self.article_item(response)

    def article_item(self, response: Response) -> ArticleItem:
        selectors = self.profile.article
        rule = self.profile.date_rule("article")
        order = self.profile.date_order("article")
        title = first_text(response, selectors.get("title")) or self.default_title(response)
        paragraphs = self.body_paragraphs(response, title)
        candidates = article_date_candidates(
            response,
            title=title,
            order=order,
            url_date=self.url_candidate(response.url),
            today=self._entry_dates.today,
        )
        if date_text := first_text(response, selectors.get("date")):
            raw, raw_order = self.read_date(date_text, rule)
            candidates.insert(0, self.printed(raw, raw_order if rule.format or order else None, "selector"))
        date_raw, date_order = self.shown_date(candidates, order or rule.order)
        return ArticleItem(
            site=self.name,
            url=response.url,
            title=title,
            subtitle=first_text(response, selectors.get("subtitle")),
            source=first_text(response, selectors.get("source")) or self.profile.source,
            author=first_text(response, selectors.get("author")),
            category=first_text(response, selectors.get("category")),
            tags=[t for t in (text_of(n) for n in response.css(selectors["tags"])) if t] if "tags" in selectors else [],
            date_raw=date_raw,
            url_date_raw=self.url_date(response.url),
            paragraphs=paragraphs,
            language=self.language(" ".join([title or "", *paragraphs])),
            date_order=date_order,
            timezone=self.profile.timezone,
            date_candidates=candidates,
        )

    @staticmethod
    def shown_date(candidates: list[dict], order: str) -> tuple[str | None, str]:
        """The page's own publication date as it states it (`date_raw`), the most explicit first."""
        for source in ("selector", "jsonld", "meta", "itemprop", "rdfa", "time", "text"):
            for candidate in candidates:
                if candidate["source"] == source and candidate["role"] == "published":
                    shown = candidate["raw"]
                    return shown, "YMD" if ISO_DAY.match(shown) else candidate.get("order") or order
        return None, order

    def default_title(self, response: Response) -> str | None:
        """The article's heading (an `<h1>`), else `og:title`, else what `<title>` adds to the site's
        name; never a heading that only repeats the site's name (a blog theme's `<h1>`)."""
        names = site_names(response, [self.profile.source])
        options = [
            *response.css("article h1, main h1"),
            *response.css("h1"),
            *response.css("meta[property='og:title']::attr(content)"),
        ]
        for option in options:
            if (text := text_of(option)) and not is_site_name(text, names):
                return text
        return page_title(response)

    def body_paragraphs(self, response: Response, title: str | None = None) -> list[str]:
        """The body selector's paragraphs (the `<p>`s inside what it selects, else its text), or trafilatura's."""
        selector = self.profile.article.get("body")
        if selector:
            paragraphs = []
            for node in response.css(selector):
                if isinstance(node.root, str):
                    paragraphs.append(node.root)
                elif node.css("p"):
                    paragraphs += cell_paragraphs(node.root)
                else:
                    paragraphs += lines_of(node.root)
            paragraphs = [squeeze(p) for p in paragraphs if p.strip()]
            if paragraphs:
                return paragraphs
            self.count("profile/selector_missed/article.body")
        # Precision first (no menus or footers in the body); table layouts (uCoz) give nothing then,
        # and the balanced extraction is better than no body: counted, so a body selector can follow.
        import trafilatura  # here: slow to import, and only profiles without a body selector need it

        # A table layout (uCoz) keeps the text in cells, which trafilatura skips or glues into one
        # line: the page is then read with its table cells as blocks (a cell's text outside any
        # <p> stays a paragraph of its own), precisely, then balanced.
        if not isinstance(response, TextResponse):
            return []
        sources: dict[str, object] = {}
        for source, precise in (("page", True), ("cells", True), ("cells", False)):
            if source not in sources:
                sources[source] = extraction_input(response, cells=source == "cells")
            text = trafilatura.extract(
                sources[source], url=response.url, include_comments=False, include_tables=False, favor_precision=precise
            )
            if text and text.strip():
                lines = [line.strip() for line in text.splitlines() if line.strip()]
                if source == "cells":
                    self.count("profile/body/table_layout")
                if not precise:
                    self.count("profile/body/balanced_extraction")
                    lines = [line for line in lines if any(c.isalnum() for c in line)]
                return after_title(lines, title)
        return []

    def language(self, text: str) -> str | None:
        language = self.profile.language
        if isinstance(language, str):
            return language
        return detect_language(text, candidates=language)
