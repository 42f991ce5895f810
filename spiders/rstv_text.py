"""RSTV's text, read whatever the markup: an element's visual lines (`<br>`, blocks, list items),
the labels the site prints (`Category:`, `Views:`, `Added by:`, `Tags:`, `Date:`, `Comments (N)`),
datelines, language-link lines, and which links and lines belong to an entry.
(The spider: spiders/rstv.py.)
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from parsel import Selector

LANGUAGES = ("en", "ru", "zh", "de", "ko", "ja", "tg", "be", "hu", "fr")

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
