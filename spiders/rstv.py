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
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import ClassVar
from urllib.parse import urlsplit, urlunsplit

import scrapy
from parsel import Selector
from scrapy import signals
from scrapy.http import Response, TextResponse
from scrapy.utils.sitemap import Sitemap

from archiver.archive.sources import KnownSource, SourceSighting
from archiver.items import ArticleItem, ListingEntryItem, MissingVersionItem
from archiver.normalize.language import detect_language
from spiders.base import ArchiverSpider

SITE = "rstv"
SOURCE = "RSTV"  # one source: the group's own news service (the "(RSTV)" of its datelines)
REAL_HOSTS = frozenset({"www.redstartv.org", "redstartv.org"})
LANGUAGES = ("en", "ru", "zh", "de", "ko", "ja", "tg", "be", "hu", "fr")

# URL shapes (path, query) ------------------------------------------------------------------------
#: The modules that hold entries `/MODULE/…/YYYY-MM-DD-ID`: the blog and the news module (seen), and
#: any other whose entry URLs a page links. uCoz's other modules (publications, photos, guestbook…)
#: have other URL shapes.
MODULES = ("blog", "news")
NOT_ENTRY_MODULES = "index|photo|load|publ|gb|forum|board|dir|faq|stuff|search|panel|a|stat|shop|video|tests|mchat"
MODULE = rf"(?!(?:{NOT_ENTRY_MODULES})/)[a-z][a-z0-9_]*"
ENTRY_PATH = re.compile(rf"^/(?:{MODULE})/(?:[^/?#]+/)?(\d{{4}}-\d{{2}}-\d{{2}})-(\d+)$")
DAY_PATH = re.compile(rf"^/(?:{MODULE})/(\d{{4}})-(\d{{1,2}})-(\d{{1,2}})$")
CATEGORY_PATH = re.compile(rf"^/((?:{MODULE})/[^/?#]+/\d+)-0-(\d+)$")
PAGED_PATH = re.compile(rf"^/(?:(?:{MODULE})/)?$")  # "/", "/blog/", "/news/" with "?pageN"
MODULE_PATH = re.compile(rf"^/({MODULE})/")
PAGE_QUERY = re.compile(r"^page(\d+)$")
SITEMAP_PATH, FEED_PATH = "/sitemap.xml", "/blog/rss/"
FEED_PATHS = re.compile(rf"^/(?:{MODULE})/rss/?$")
#: Where a run may start (`-a via=…` or ARCHIVER_RSTV_VIA).
VIAS = ("listings", "days", "sitemap", "feed")

# Text labels -------------------------------------------------------------------------------------
READ_MORE = re.compile(r"\s*(?:\.\.\.|…)?\s*(?:Read more|Подробнее|Читать далее)\s*»?\s*$", re.IGNORECASE)
COMMENTS_LINK = re.compile(r"^\s*Comments\s*\(\d+\)\s*$", re.IGNORECASE)
CATEGORY = re.compile(r"Category\s*:\s*([^|]*?)\s*(?:\||$)", re.IGNORECASE)
VIEWS = re.compile(r"Views\s*:\s*(\d[\d\s]*)", re.IGNORECASE)
AUTHOR = re.compile(r"Added by\s*:\s*([^|]*?)\s*(?:\||$)", re.IGNORECASE)
TAGS = re.compile(r"Tags\s*:\s*(.*?)\s*(?:\||$)", re.IGNORECASE)
LISTING_DATE = re.compile(r"Date\s*:\s*(\d{2}/\d{2}/\d{2})")
COMMENTS = re.compile(r"Comments\s*\((\d+)\)", re.IGNORECASE)
TOTAL_COMMENTS = re.compile(r"Total comments\s*:\s*(\d+)", re.IGNORECASE)
DETAILS = re.compile(r"\b(?:Views|Added by)\s*:", re.IGNORECASE)
LIST_MARKER = re.compile(r"^(?:•|\d+\.)\s*")  # a list item's marker, as LineSplitter writes it
# A line of the details, when a template prints them one per line ("Date: 21/04/01", "Comments (0)").
LABEL_LINE = re.compile(r"^(?:Category|Views|Added by|Date|Tags)\s*:|^Comments\s*\(\d+\)", re.IGNORECASE)
TIME = re.compile(r"^(\d{1,2}:\d{2})(?:\s+(\S.*))?$")
PHOTO_LINE = re.compile(r"^\[\s*(?:all\s+photos|photo\s+album|все\s+фото)\s*\]$", re.IGNORECASE)
SUBTITLE = re.compile(r"^[—–]\s*(\S.*?)\s*[—–]$")

#: The language-link line's names (fixed order on the site) and the language each stands for.
LANGUAGE_NAMES = {
    "조선어": "ko",
    "english": "en",
    "русский": "ru",
    "中国语": "zh",
    "中文": "zh",
    "日本語": "ja",
    "deutsch": "de",
    "тоҷикӣ": "tg",
    "беларуская": "be",
    "magyar": "hu",
    "français": "fr",
}
BRACKETED = re.compile(r"\[\s*([^\[\]]+?)\s*\]")

# A dateline: a day and month (English, German or Russian month names), maybe a year, maybe a place
# before or after, maybe an agency in brackets or slashes. "special announcement" is none.
_EN_MONTH = r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
_DE_MONTH = r"(?:Januar|Februar|März|April|Mai|Juni|Juli|August|September|Oktober|November|Dezember)"
_RU_MONTH = r"(?:января|февраля|марта|апреля|мая|июня|июля|августа|сентября|октября|ноября|декабря)"
_DAY_MONTH = rf"(?:{_EN_MONTH} \d{{1,2}}|\d{{1,2}}\.? ?{_DE_MONTH}\.?|\d{{1,2}} {_RU_MONTH})"
_PLACE = r"[^\W\d_][^\d,()/]{1,40}?"
DATELINE = re.compile(
    rf"^(?:{_PLACE}, )?{_DAY_MONTH}(?:,? \d{{4}})?(?:, {_PLACE})?\.?"
    r"(?: ?\([^()]{2,80}\)| ?/[^/]{2,80}/)?$"
    r"|^\d{1,2}月\d{1,2}日(?:, ?[^\d,()]{1,20})?(?: ?\([^()]{2,80}\))?$",  # 7月25日，北京（RSTV） (NFKC-folded)
    re.IGNORECASE,
)

# Elements that hold no text, and elements that start a line of their own.
SKIPPED = {"script", "style", "noscript", "iframe", "object", "embed", "img", "form", "select", "button"}
BLOCKS = {
    "div", "p", "center", "blockquote", "table", "tr", "td", "th", "section", "article", "header",
    "footer", "aside", "nav", "main", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "dl", "dt", "dd",
}  # fmt: skip
LISTS = {"ul", "ol"}


def squeeze(text: str) -> str:
    """Whitespace (the page's &nbsp; runs included) collapsed, NFKC-folded: for matching only."""
    return " ".join(unicodedata.normalize("NFKC", text).split())


def collapse(text: str) -> str:
    """Whitespace runs (&nbsp; included) as one space: for stored values, which keep their characters."""
    return " ".join(text.split())


def entry_date(url: str) -> date | None:
    """The entry's date in the blog, from its URL (`/blog/2023-06-26-686`)."""
    match = ENTRY_PATH.match(urlsplit(url).path)
    try:
        return date.fromisoformat(match.group(1)) if match else None
    except ValueError:
        return None


def page_kind(url: str) -> str | None:
    """What a URL of the site is: "article", "listing", "day_archive", "sitemap", "feed", or None."""
    parts = urlsplit(url)
    if ENTRY_PATH.match(parts.path) and not parts.query:
        return "article"
    if DAY_PATH.match(parts.path):
        return "day_archive"
    if CATEGORY_PATH.match(parts.path) and not parts.query:
        return "listing"
    if PAGED_PATH.match(parts.path) and (not parts.query or PAGE_QUERY.match(parts.query)):
        return "listing"
    if parts.path == SITEMAP_PATH:
        return "sitemap"
    if FEED_PATHS.match(parts.path):
        return "feed"
    return None


def module_of(url: str) -> str | None:
    """The module of an entry, day archive, category or module listing URL (`news`), else None."""
    match = MODULE_PATH.match(urlsplit(url).path)
    return match.group(1) if match else None


def listing_position(url: str) -> tuple[str, int] | None:
    """(which listing, page number) of a listing URL: ("/blog/", 2) for `/blog/?page2`."""
    parts = urlsplit(url)
    if found := CATEGORY_PATH.match(parts.path):
        return found.group(1), int(found.group(2))
    if PAGED_PATH.match(parts.path) or DAY_PATH.match(parts.path):
        page = PAGE_QUERY.match(parts.query)
        if parts.query and not page:
            return None
        return parts.path, int(page.group(1)) if page else 1
    return None


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


# Lines: the visual lines of an element, whatever its tags ----------------------------------------
@dataclass
class Line:
    """One visual line: the text between `<br>`s, or one block or list item, with its links."""

    text: str
    item: bool = False
    links: list[tuple[str, str]] = field(default_factory=list)  # (href, link text)

    @property
    def plain(self) -> str:
        return squeeze(self.text)

    @property
    def collapsed(self) -> str:
        return collapse(self.text)


class LineSplitter:
    """Splits elements into visual lines: `<br>` and block elements end a line, lists give one per item."""

    def __init__(self) -> None:
        self.lines: list[Line] = []
        self.parts: list[str] = []
        self.links: list[tuple[str, str]] = []

    def end_line(self) -> None:
        text = "".join(self.parts)
        if text.strip():
            self.lines.append(Line(text, links=self.links))
        self.parts, self.links = [], []

    def walk(self, element) -> None:
        if element.text:
            self.parts.append(element.text)
        for child in element:
            tag = child.tag.lower() if isinstance(child.tag, str) else None
            if tag is None or tag in SKIPPED or is_hidden(child):
                pass
            elif tag == "br":
                self.end_line()
            elif tag in LISTS:
                self.end_line()
                for number, li in enumerate(child.xpath("./li"), start=1):
                    marker = f"{number}. " if tag == "ol" else "• "
                    text = li.text_content()
                    if text.strip():
                        self.lines.append(Line(marker + text, item=True))
            elif tag in BLOCKS:
                self.end_line()
                self.walk(child)
                self.end_line()
            else:  # inline: the line goes on
                if tag == "a":
                    self.links.append((child.get("href") or "", child.text_content()))
                self.walk(child)
            if child.tail:
                self.parts.append(child.tail)


def is_hidden(element) -> bool:
    return "display:none" in (element.get("style") or "").replace(" ", "").lower()


def split_lines(elements: Iterable) -> list[Line]:
    splitter = LineSplitter()
    for element in elements:
        root = element.root if isinstance(element, Selector) else element
        splitter.end_line()
        splitter.walk(root)
    splitter.end_line()
    return splitter.lines


def language_links(line: Line) -> list[tuple[str, str | None]] | None:
    """A language-link line as (language, href or None for the page's own, unlinked name), else None."""
    text = line.plain
    names = BRACKETED.findall(text)
    if not names or BRACKETED.sub("", text).strip():
        return None
    codes = [LANGUAGE_NAMES.get(name.lower()) for name in names]
    if None in codes:
        return None  # "[8. Februar]", "[독자투고 (Guestbook)]": not language links
    hrefs = {squeeze(label).strip("[] ").lower(): href for href, label in line.links}
    return [(code, hrefs.get(name.lower())) for name, code in zip(names, codes, strict=True) if code]


def is_dateline(text: str) -> bool:
    return len(text) <= 140 and bool(DATELINE.match(text))


def details_fields(text: str) -> dict[str, object]:
    """Category, views, author, tags, listing date and comment count of a details line."""
    found: dict[str, object] = {}
    if (match := CATEGORY.search(text)) and match.group(1).strip():
        found["category"] = match.group(1).strip()
    if match := VIEWS.search(text):
        found["views"] = int(re.sub(r"\s", "", match.group(1)))
    if (match := AUTHOR.search(text)) and match.group(1).strip():
        found["author"] = match.group(1).strip()
    if match := TAGS.search(text):
        found["tags"] = [tag.strip() for tag in match.group(1).split(",") if tag.strip()]
    if match := LISTING_DATE.search(text):
        found["date_raw"] = match.group(1)
    if match := COMMENTS.search(text):
        found["comments"] = int(match.group(1))
    return found


class RstvSpider(ArchiverSpider):
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

    def modules(self) -> list[str]:
        """The modules that hold entries: the blog, the news module, and those earlier runs found."""
        return list(dict.fromkeys([*MODULES, *(m.key for m in self.archived_sources("module"))]))

    def optional_request(self, path: str, callback, kind: str) -> scrapy.Request:
        """A request for the sitemap or the feed: one that does not answer (404, 410) is no error."""
        meta = {"page_kind": kind, "handle_httpstatus_list": [404, 410]}
        return scrapy.Request(self.url(path), callback, errback=self.fall_back, meta=meta)

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

    # Sitemap and feed ----------------------------------------------------------------------------
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

    # Entry pages -------------------------------------------------------------------------------
    def parse_article(self, response: Response) -> Iterator[object]:
        """The entry, then requests for its other language versions.

        @url http://www.redstartv.org/blog/large_online_meeting_in_china_held/2023-07-25-683
        @returns items 1 1
        @returns requests 1
        @scrapes site url title paragraphs language url_date_raw dateline_raw category views author
        """
        if response.status >= 400:  # a linked version that is gone: noted, the group goes on
            self.count(f"rstv/missing_versions/{response.status}")
            yield MissingVersionItem(SITE, response.url, response.status, response.meta.get("linked_from"))
            return
        item = self.article_item(response)
        if item is None:
            self.count("rstv/articles_without_text")
            return
        yield item
        yield from self.note_sources(response, item.translation_urls)
        for url in item.translation_urls:
            if url != item.url:
                request = self.article_request(url, self.parse_article, listed_on=entry_date(url))
                if request is not None:
                    request.meta.update(handle_httpstatus_list=[404, 410], linked_from=item.url)
                    yield self.kind(request, "article")

    def article_item(self, response: Response) -> ArticleItem | None:
        """The entry's fields: uCoz's `table.eBlock` cells first, else the page's lines around the title."""
        parts = self.ucoz_parts(response) or self.text_parts(response)
        if parts is None:
            return None
        title, message, details = parts
        item = ArticleItem(
            site=SITE,
            url=response.url,
            title=title or None,
            source=SOURCE,
            date_order=self.date_order,
            dateline_nearest=True,
        )
        if match := ENTRY_PATH.match(urlsplit(response.url).path):
            item.url_date_raw = match.group(1)
        # Itself at least: the store then finds links to it from versions stored before (one-way links).
        item.translation_urls = [item.url]
        own_language = self.read_message(response, message, item)
        fields = details_fields(details)
        item.category = fields.get("category")  # type: ignore[assignment]
        item.views = fields.get("views")  # type: ignore[assignment]
        item.author = fields.get("author")  # type: ignore[assignment]
        tags = [t for t in (squeeze(t) for t in response.css("a.eTag::text").getall()) if t]
        item.tags = tags or fields.get("tags", [])  # type: ignore[assignment]
        comments = TOTAL_COMMENTS.search(squeeze(" ".join(response.xpath("//body//text()").getall())))
        item.comments = int(comments.group(1)) if comments else None
        text = " ".join([item.title or "", *item.paragraphs])
        item.language = detect_language(text, LANGUAGES) or own_language
        return item

    def ucoz_parts(self, response: Response) -> tuple[str, list[Line], str] | None:
        """(title, message lines, details text) from uCoz's default entry template, if the page has it."""
        block = response.css("table.eBlock")
        if not block or not block.css("td.eMessage"):
            return None
        cell = block.css("td.eTitle")
        # The cell opens with the time (`<div style="float:right">09:14</div>`): keep the rest.
        title = collapse("".join(cell.xpath("./text() | ./*[not(self::div)]//text()").getall()))
        details = " ".join(squeeze(t) for t in block.css("td.eDetails").xpath(".//text()").getall())
        return title, split_lines(block.css("td.eMessage")), details

    def text_parts(self, response: Response) -> tuple[str, list[Line], str] | None:
        """(title, message lines, details text) from any template: the title is the line after the
        posting time (or the page title's first part), the text runs to the details line."""
        lines = split_lines(response.xpath("//body"))
        hint = collapse((response.xpath("//title/text()").get() or "").split(" - ")[0])
        start = None
        for n, line in enumerate(lines):
            time = TIME.match(line.collapsed)
            if time and (time.group(2) or n + 1 < len(lines)):
                title = time.group(2) or lines[n + 1].collapsed
                if not hint or title == hint:
                    start = n + (1 if time.group(2) else 2)
                    break
        if start is None and hint:
            start = next((n + 1 for n, line in enumerate(lines) if line.collapsed == hint), None)
            title = hint
        if start is None:
            return None
        end = next((n for n in range(start, len(lines)) if is_details_line(lines[n].plain)), None)
        if end is None:
            return None
        details: list[str] = []
        for line in lines[end : end + 8]:
            if not is_details_line(line.plain) and details:
                break
            details.append(line.plain)
        return title, lines[start:end], " | ".join(details)

    def read_message(self, response: Response, lines: list[Line], item: ArticleItem) -> str | None:
        """Dateline, photo link, language links and subtitle from the opening lines; the rest is body.

        Returns the language the link line names for this page (its own name), if any.
        """
        own_language = None
        head = True
        for line in lines:
            text = line.plain
            if head and item.dateline_raw is None and not item.paragraphs and is_dateline(text):
                item.dateline_raw = line.collapsed
                continue
            if PHOTO_LINE.match(text) or (any("/photo/" in href for href, _ in line.links) and len(text) < 40):
                continue
            versions = language_links(line)
            if versions is not None:
                urls = {item.url}
                for code, href in versions:
                    url = self.entry_url(response, href) if href else None
                    if url:
                        urls.add(url)
                    if href is None or url == item.url:
                        own_language = code
                item.translation_urls = sorted(urls)
                continue
            if head and item.subtitle is None and not item.paragraphs and (subtitle := SUBTITLE.match(text)):
                item.subtitle = subtitle.group(1)
                continue
            if text.lower() == "avatar":
                continue
            head = False
            item.paragraphs.append(line.text)
        return own_language


def has_details(element) -> bool:
    return bool(DETAILS.search(squeeze(element.text_content())))


def contains_any(element, others: list) -> bool:
    """Whether `element` is or holds one of `others`."""
    return any(other is element or element in other.iterancestors() for other in others)


def is_details_line(text: str) -> bool:
    return bool(DETAILS.search(text) or LABEL_LINE.match(LIST_MARKER.sub("", text)))


def is_title_link(anchor: Selector) -> bool:
    """An entry's title link: text of its own, not "Read more »" or "Comments (N)", no #fragment."""
    text = squeeze(anchor.xpath("string()").get() or "")
    href = anchor.attrib.get("href", "")
    return bool(text) and "#" not in href and not READ_MORE.fullmatch(text) and not COMMENTS_LINK.match(text)
