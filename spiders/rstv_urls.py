"""RSTV's addresses: the site, its hosts, and the URL shapes of entries, listings, day archives,
categories, the sitemap and the feeds; what kind of page a URL is, its module, its place in a listing.
(The spider: spiders/rstv.py.)
"""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import urlsplit

SITE = "rstv"
SOURCE = "RSTV"  # one source: the group's own news service (the "(RSTV)" of its datelines)
REAL_HOSTS = frozenset({"www.redstartv.org", "redstartv.org"})

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
