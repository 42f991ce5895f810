"""The raw items spiders emit: what a page says, extracted but not yet normalized.

Pipelines fill the normalized fields (dates, clean text, canonical URLs) in place, in order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass
class ArticleItem:
    """One article page."""

    site: str
    url: str
    title: str | None = None
    source: str | None = None
    date_raw: str | None = None  # "Date: 23/10/2024" as printed
    url_date_raw: str | None = None  # a date carried by the URL (KCNA Watch epoch, uCoz YYYY-MM-DD)
    dateline_raw: str | None = None  # "July 25, Beijing (RSTV)"
    original_url: str | None = None
    paragraphs: list[str] = field(default_factory=list)
    signature: str | None = None  # the agency's sign-off ("KCNA"), kept out of the body
    subtitle: str | None = None
    language: str | None = None
    category: str | None = None
    author: str | None = None
    views: int | None = None
    tags: list[str] = field(default_factory=list)
    comments: int | None = None
    translation_urls: list[str] = field(default_factory=list)  # every language version, this one included
    date_order: str = "DMY"  # how the site prints numeric dates
    timezone: str | None = None  # the zone whose days the site names (URL epochs are read in it)
    # A year-less dateline's year: the nearest to the publication date on either side (True), or the
    # nearest not after it (False).
    dateline_nearest: bool = False
    # Filled by the pipelines.
    published_on: date | None = None
    dateline: str | None = None
    dateline_place: str | None = None
    dateline_on: date | None = None
    body: str | None = None
    content_hash: str | None = None


@dataclass
class ListingEntryItem:
    """One entry of a listing page, a "More From" block or a feed, pointing at an article."""

    site: str
    article_url: str
    found_on: str  # the page the entry was seen on
    kind: str  # "listing" | "more_from" | "feed"
    title: str | None = None
    source: str | None = None
    teaser_raw: str | None = None
    date_raw: str | None = None
    date_order: str = "DMY"
    timezone: str | None = None  # the zone whose days the site names (a feed's GMT time is dated in it)
    category: str | None = None
    views: int | None = None
    comments: int | None = None
    # Filled by the pipelines.
    listed_on: date | None = None
    teaser: str | None = None
    teaser_truncated: bool | None = None
    teaser_key: str | None = None


@dataclass
class MissingVersionItem:
    """A language version a page links that could not be fetched (it answered `status`, e.g. 404)."""

    site: str
    url: str
    status: int
    found_on: str | None = None  # the page whose language links named it
