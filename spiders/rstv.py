"""RSTV (a uCoz "news" module): the mixed-language listing and its pages, and article pages.

Markup (see docs/sections/rstv.md): the listing is `#allEntries > div[id^=entryID]` with a title link,
a teaser (`div.eMessage`) and `Date: <span>DD.MM.YYYY</span>`; pagination links are
`#pagesBlock1 a.swchItem` (`/news/?pageN`). An article page is one `table.eBlock`: the title in
`td.eTitle`, the text in `td.eMessage` as `<br />`-separated lines that open with centred blocks (a
year-less dateline, an `[all photos]` link, the language links, a `— subtitle —`), then paragraphs,
centred bold headings and lists; `td.eDetails` holds category, views, author and tags. The URL
`/news/SLUG/YYYY-MM-DD-ID` carries the publication date. Decoding (UTF-8 or windows-1251, from the
HTTP header or `<meta http-equiv>`) is Scrapy's `HtmlResponse`'s job; the spider only reads text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

from parsel import Selector
from scrapy.http import Response

from archiver.items import ArticleItem, ListingEntryItem
from spiders.base import ArchiverSpider

SITE = "rstv"
SOURCE = "RSTV"  # one source: the group's own news service (the "(RSTV)" of its datelines)
ARTICLE_PATH = re.compile(r"/news/[^/?#]+/(\d{4}-\d{2}-\d{2})-(\d+)$")
LISTING_PATH = re.compile(r"/news/(?:\?page(\d+))?$")
CATEGORY_PATH = re.compile(r"/news/1-0-(\d+)")
#: uCoz category id → language of the stories filed under it.
CATEGORY_LANGUAGES = {"2": "en", "3": "ru", "4": "zh", "5": "de"}
CATEGORY_NAMES = {"english": "en", "русский": "ru", "中文": "zh", "deutsch": "de"}

# Elements that hold no article text, and elements that start a line of their own.
SKIPPED = {"script", "style", "noscript", "iframe", "object", "embed", "img", "form"}
BLOCKS = {
    "div",
    "p",
    "center",
    "blockquote",
    "table",
    "tr",
    "td",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
}
LISTS = {"ul", "ol"}

# "… (RSTV)" or "…（RSTV）" at the end of a centred line that also holds a digit: a dateline.
DATELINE_AGENCY = re.compile(r"\([^()]*[^\W\d_][^()]*\)\s*$")
LANGUAGE_LINE = re.compile(r"^(?:\s*\[[^\[\]]+\])+\s*$")
PHOTO_LINE = re.compile(r"^\s*\[\s*all\s+photos\s*\]\s*$|^\s*\[\s*все\s+фото\s*\]\s*$", re.IGNORECASE)
# "— Second Day of … —": a centred line between dashes, before the first paragraph. Other centred
# lines there are section headings and stay in the body.
SUBTITLE = re.compile(r"^\s*[—–]\s*(\S.*?)\s*[—–]\s*$", re.DOTALL)
VIEWS = re.compile(r"(?:Views|Просмотров)\s*:\s*([\d\s]+)", re.IGNORECASE)
AUTHOR = re.compile(r"(?:Added by|Добавил)\s*:\s*([^|]+)", re.IGNORECASE)
COMMENTS = re.compile(r"(?:Total comments|Всего комментариев)\s*:\s*(\d+)", re.IGNORECASE)

GERMAN_WORDS = re.compile(r"\b(?:der|die|das|und|des|nicht|mit|ist|im|für)\b", re.IGNORECASE)


def url_date(url: str) -> date | None:
    """The publication date in an article URL (`/news/SLUG/2023-07-25-1432`), for the walk only."""
    match = ARTICLE_PATH.search(url)
    try:
        return date.fromisoformat(match.group(1)) if match else None
    except ValueError:
        return None


def text_of(selector: Selector | None) -> str | None:
    """All text inside a node, or None when the node is missing or empty."""
    if selector is None:
        return None
    text = selector.xpath("string()").get()
    return text if text and text.strip() else None


def squeeze(text: str) -> str:
    """Whitespace (the page's &nbsp; runs included) collapsed, NFKC-folded for matching only."""
    return " ".join(unicodedata.normalize("NFKC", text).split())


@dataclass
class Line:
    """One visual line of `td.eMessage`: the text between `<br />`s, or one block or list item."""

    text: str
    centered: bool = False
    item: bool = False
    links: list[tuple[str, str]] = field(default_factory=list)  # (href, link text)

    @property
    def plain(self) -> str:
        return squeeze(self.text)


class LineSplitter:
    """Splits an element into visual lines: `<br>` and block elements end a line, lists give one per item."""

    def __init__(self) -> None:
        self.lines: list[Line] = []
        self.parts: list[str] = []
        self.links: list[tuple[str, str]] = []

    def end_line(self, centered: bool) -> None:
        text = "".join(self.parts)
        if text.strip():
            self.lines.append(Line(text, centered=centered, links=self.links))
        self.parts, self.links = [], []

    def walk(self, element, centered: bool) -> None:
        if element.text:
            self.parts.append(element.text)
        for child in element:
            tag = child.tag.lower() if isinstance(child.tag, str) else None
            if tag is None or tag in SKIPPED or is_hidden(child):
                pass
            elif tag == "br":
                self.end_line(centered)
            elif tag in LISTS:
                self.end_line(centered)
                for number, li in enumerate(child.xpath("./li"), start=1):
                    marker = f"{number}. " if tag == "ol" else "• "
                    text = li.text_content()
                    if text.strip():
                        self.lines.append(Line(marker + text, centered=centered, item=True))
            elif tag in BLOCKS:
                self.end_line(centered)
                self.walk(child, centered or is_centered(child))
                self.end_line(centered or is_centered(child))
            else:  # inline: the line goes on
                if tag == "a":
                    self.links.append((child.get("href") or "", child.text_content()))
                self.walk(child, centered)
            if child.tail:
                self.parts.append(child.tail)


def is_hidden(element) -> bool:
    return "display:none" in (element.get("style") or "").replace(" ", "").lower()


def is_centered(element) -> bool:
    if element.tag == "center" or (element.get("align") or "").lower() == "center":
        return True
    return "text-align:center" in (element.get("style") or "").replace(" ", "").lower()


def split_lines(selector: Selector) -> list[Line]:
    splitter = LineSplitter()
    root = selector.root
    splitter.walk(root, is_centered(root))
    splitter.end_line(is_centered(root))
    return splitter.lines


def is_dateline(line: Line) -> bool:
    text = line.plain
    return len(text) <= 80 and any(c.isdigit() for c in text) and bool(DATELINE_AGENCY.search(text))


def is_language_links(line: Line) -> bool:
    return bool(line.links) and bool(LANGUAGE_LINE.match(line.plain))


def is_photo_link(line: Line) -> bool:
    return any("/photo/" in href for href, _ in line.links) or bool(PHOTO_LINE.match(line.plain))


def language_of_text(text: str) -> str:
    """The story's language judged from its letters, when the category does not say."""
    cyrillic = sum("\u0400" <= c <= "\u04ff" for c in text)
    cjk = sum("\u4e00" <= c <= "\u9fff" for c in text)
    latin = sum(c.isascii() and c.isalpha() for c in text)
    if cjk and cjk * 2 >= cyrillic + latin / 4:
        return "zh"
    if cyrillic > latin:
        return "ru"
    if re.search(r"[äöüß]", text, re.IGNORECASE) or len(GERMAN_WORDS.findall(text)) >= 3:
        return "de"
    return "en"


class RstvSpider(ArchiverSpider):
    name = SITE
    # The site contract names no host: crawl a mirror or the real site with --base-url.
    default_base_url = "https://rstv.ucoz.net"
    date_order = "DMY"

    async def start(self):
        yield self.listing_request(self.url("/news/"), self.parse_listing)

    def entry_date(self, entry: ListingEntryItem) -> date | None:
        """The listing's `Date: DD.MM.YYYY`, else the publication date the article's URL carries."""
        return super().entry_date(entry) or url_date(entry.article_url)

    def callback_for(self, url: str):
        """Article pages → parse_article; the listing and its pages → parse_listing."""
        if ARTICLE_PATH.search(url):
            return self.parse_article
        if LISTING_PATH.search(url):
            return self.parse_listing
        return None

    # Listing pages.
    def parse_listing(self, response: Response) -> Iterator[object]:
        """Entries of a listing page (all languages mixed), their articles, and the other pages.

        @url https://rstv.ucoz.net/news/
        @returns items 1
        @returns requests 1
        @scrapes site article_url found_on kind title teaser_raw date_raw
        """
        entries = []
        for entry in response.css("#allEntries > div[id^=entryID]"):
            url = self.link(response, entry.css("div.eTitle a::attr(href)").get())
            if not url or not ARTICLE_PATH.search(url):
                continue
            entries.append(
                ListingEntryItem(
                    site=SITE,
                    article_url=url,
                    found_on=response.url,
                    kind="listing",
                    source=SOURCE,
                    title=text_of(entry.css("div.eTitle a")),
                    teaser_raw=text_of(entry.css("div.eMessage")),
                    date_raw=text_of(entry.css("div.eDetails span")),
                    date_order=self.date_order,
                )
            )
        yield from entries
        yield from self.walk_listing(
            response,
            entries,
            self.next_page(response),
            article_callback=self.parse_article,
            listing_callback=self.parse_listing,
        )

    def next_page(self, response: Response) -> str | None:
        """The link to page N+1 among the page switches (`/news/?pageN`; page 1 is `/news/`)."""
        match = LISTING_PATH.search(response.url)
        number = int(match.group(1) or 1) if match else 1
        for href in response.css("#pagesBlock1 a.swchItem::attr(href)").getall():
            page = self.link(response, href)
            found = LISTING_PATH.search(page or "")
            if found and int(found.group(1) or 1) == number + 1:
                return page
        return None

    # Article pages.
    def parse_article(self, response: Response) -> Iterator[object]:
        """The article, then requests for its other language versions.

        @url https://rstv.ucoz.net/news/large_online_meeting_in_china_held/2023-07-25-1432
        @returns items 1 1
        @scrapes site url title paragraphs language url_date_raw translation_urls
        """
        block = response.css("table.eBlock")
        if not block:
            return
        item = self.article_item(response, block[0])
        yield item
        for url in item.translation_urls:
            if url != item.url:
                request = self.article_request(url, self.parse_article, listed_on=url_date(url))
                if request is not None:
                    yield request

    def article_item(self, response: Response, block: Selector) -> ArticleItem:
        title_cell = block.css("td.eTitle")
        # The cell opens with the time (`<div style="float:right">09:14</div>`): keep the rest.
        title = "".join(title_cell.xpath("./text() | ./*[not(self::div)]//text()").getall()).strip()
        item = ArticleItem(site=SITE, url=response.url, title=title or None, source=SOURCE, date_order=self.date_order)
        if match := ARTICLE_PATH.search(response.url):
            item.url_date_raw = match.group(1)
        message = block.css("td.eMessage")
        if message:
            self.read_message(response, split_lines(message[0]), item)
        self.read_details(block.css("td.eDetails"), item)
        item.comments = self.comment_count(response)
        item.language = (
            CATEGORY_LANGUAGES.get(self.category_id(block) or "")
            or CATEGORY_NAMES.get((item.category or "").strip().lower())
            or language_of_text(" ".join([item.title or "", *item.paragraphs]))
        )
        return item

    def read_message(self, response: Response, lines: list[Line], item: ArticleItem) -> None:
        """Dateline, subtitle and translation links from the opening centred lines; the rest is body."""
        in_head = True
        for line in lines:
            if is_language_links(line):
                urls = [self.link(response, href) for href, _ in line.links]
                item.translation_urls = sorted({u for u in urls if u and ARTICLE_PATH.search(u)} | {item.url})
                continue
            if is_photo_link(line):
                continue
            if in_head and line.centered and not line.item:
                if item.dateline_raw is None and is_dateline(line):
                    item.dateline_raw = line.text
                    continue
                if item.subtitle is None and (subtitle := SUBTITLE.match(line.text)):
                    item.subtitle = subtitle.group(1)
                    continue
            in_head = False
            item.paragraphs.append(line.text)

    def read_details(self, details: Selector, item: ArticleItem) -> None:
        text = " ".join(details.xpath(".//text()").getall())
        category = details.xpath(".//a[re:test(@href, '/news/1-0-\\d+')]")
        item.category = text_of(category[0]) if category else None
        if views := VIEWS.search(text):
            item.views = int(re.sub(r"\s", "", views.group(1)))
        if author := AUTHOR.search(text):
            item.author = author.group(1).strip() or None
        item.tags = [t for t in (text_of(tag) for tag in details.css("a.eTag")) if t]

    @staticmethod
    def comment_count(response: Response) -> int | None:
        """ "Total comments: <b>N</b>", printed in a table below the article's block."""
        for cell in response.xpath("//td[not(.//td)]"):
            if match := COMMENTS.search(" ".join(cell.xpath("string()").get().split())):
                return int(match.group(1))
        return None

    @staticmethod
    def category_id(block: Selector) -> str | None:
        href = block.css("td.eDetails").xpath(".//a[re:test(@href, '/news/1-0-\\d+')]/@href").get()
        match = CATEGORY_PATH.search(href or "")
        return match.group(1) if match else None
