"""`archiver check` judges the values a page gave, not only that they are there.

A field can be filled and wrong: a title that is the site's name, or that holds the card's excerpt
too; a date days away from the one the URL or the listing gives; a body shorter than the teaser
that announced it. Each such value is one warning line naming the page, and the check exits 1.

What is judged (`value_warnings`), item by item, after the dates and text pipelines:

- a title equal to the site's name (as the page shows it: spiders/sitename.py);
- a listing entry's title that contains its teaser (the whole card read as the title);
- a title longer than TITLE_MAX characters;
- an article's date more than DATE_SLACK away from the date its URL carries, or from the date a
  checked listing showed for it; a listing entry's date that far from its URL's;
- an article body shorter than the teaser a checked listing showed for it, or that the teaser does
  not start (nor appear in: a dateline may come first).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import Protocol

from archiver.items import ArticleItem, ListingEntryItem
from archiver.normalize.datechoice import url_date
from archiver.normalize.text import teaser_matches_body

#: A title longer than this is page text, not a title.
TITLE_MAX = 300
#: A date further than this from the URL's or the listing's is another date (time zones and a
#: late listing stay within it).
DATE_SLACK = timedelta(days=2)


class CheckedPage(Protocol):
    url: str
    kind: str
    items: list[object]
    site_names: set[str]


def squeeze(text: str | None) -> str:
    return " ".join((text or "").split())


def date_of_url(item: ArticleItem | ListingEntryItem) -> date | None:
    """The day the item's URL carries: the spider's reading of it, else a dated URL shape."""
    raw = getattr(item, "url_date_raw", None)
    if raw and not raw.isdigit():
        try:
            return date.fromisoformat(raw[:10])
        except ValueError:
            pass
    found = url_date(item.url if isinstance(item, ArticleItem) else item.article_url)
    return date.fromisoformat(found[1]) if found and found[0] == "url" else None


def title_warnings(title: str | None, names: set[str], teaser: str | None = None) -> list[str]:
    title = squeeze(title)
    if not title:
        return []
    found = []
    if title.casefold() in names:
        found.append(f"title is the site's name ({title!r})")
    if len(title) > TITLE_MAX:
        found.append(f"title is {len(title)} characters long")
    teaser = squeeze(teaser)
    if teaser and len(teaser.split()) > 2 and teaser.casefold() in title.casefold():
        found.append(f"title holds the teaser ({cut(title)!r})")
    return found


def far(one: date | None, other: date | None) -> bool:
    return one is not None and other is not None and abs(one - other) > DATE_SLACK


def value_warnings(pages: Sequence[CheckedPage]) -> list[tuple[CheckedPage, str]]:
    """(page, what is wrong) for every value that cannot be right (see the module's docstring)."""
    entries: dict[str, ListingEntryItem] = {}
    for page in pages:
        for item in page.items:
            if isinstance(item, ListingEntryItem):
                entries.setdefault(item.article_url, item)
    found: list[tuple[CheckedPage, str]] = []
    for page in pages:
        for item in page.items:
            if isinstance(item, ListingEntryItem):
                found += [(page, f"entry {cut(item.title)!r}: {w}") for w in entry_warnings(item, page.site_names)]
            elif isinstance(item, ArticleItem):
                found += [(page, w) for w in article_warnings(item, page.site_names, entries.get(item.url))]
    return found


def entry_warnings(entry: ListingEntryItem, names: set[str]) -> list[str]:
    found = title_warnings(entry.title, names, entry.teaser or entry.teaser_raw)
    from_url = date_of_url(entry)
    if far(entry.listed_on, from_url):
        found.append(f"date {entry.listed_on} is far from the URL's {from_url}")
    return found


def article_warnings(article: ArticleItem, names: set[str], entry: ListingEntryItem | None) -> list[str]:
    found = title_warnings(article.title, names)
    from_url = date_of_url(article)
    if far(article.published_on, from_url):
        found.append(f"date {article.published_on} is far from the URL's {from_url}")
    if entry is not None and far(article.published_on, entry.listed_on):
        found.append(f"date {article.published_on} is far from the listing's {entry.listed_on}")
    teaser, body = squeeze(entry.teaser or entry.teaser_raw) if entry else "", squeeze(article.body)
    if teaser and body:
        if len(body) < len(teaser):
            found.append(f"body ({len(body)} characters) is shorter than its teaser ({len(teaser)})")
        elif not teaser_matches_body(teaser, body):
            found.append(f"teaser does not start the body ({cut(teaser)!r})")
    return found


def cut(text: str | None, width: int = 60) -> str:
    text = squeeze(text)
    return text if len(text) <= width else text[: width - 1] + "…"


def warning_lines(site: str, warnings: Iterable[tuple[CheckedPage, str]]) -> list[str]:
    lines = []
    for page, what in warnings:
        kind = "page" if page.kind == "page" else f"{page.kind} page"
        lines.append(f"{site}: warning: {kind}: {what} — {page.url}")
    return lines
