"""KCNA Watch's addresses and the text helpers every page kind of the spider reads with.

The hosts, the URL patterns of articles, source listings, the "load more" request, the feed and
`/newstream/`; the "load more" query; the `sources`/`source_ids` arguments; a node's text.
(The spider: spiders/kcnawatch.py.)
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

from parsel import Selector, SelectorList

SITE = "kcnawatch"
#: The site's days are Pyongyang days: URL epochs and feed times are read in this zone.
SITE_TIMEZONE = "Asia/Pyongyang"
REAL_HOSTS = frozenset({"kcnawatch.org", "www.kcnawatch.org"})

ARTICLE_PATH = re.compile(r"/newstream/(\d{9,11})-(\d+)/([^/?#]+)/?$")
SOURCE_LISTING_PATH = re.compile(r"^/article/(\d+)/?$")
AJAX_PATH = "/wp-admin/admin-ajax.php"
FEED_PATH = "/newstream/feed/"
NEWSTREAM_PATH = "/newstream/"
#: The "load more" request asks for this many entries at a time (`to=10`), as the site's button does.
FRAGMENT_SIZE = 10
MORE_FROM_PREFIX = "More From "


def element_text(element) -> str | None:
    """text_of for an lxml element."""
    return " ".join("".join(element.itertext()).split()) or None


def text_of(selector: Selector | SelectorList[Selector] | None) -> str | None:
    """All text inside a node (of a selection: its first node), whitespace collapsed, or None when the
    node is missing or empty."""
    if isinstance(selector, SelectorList):
        selector = selector[0] if selector else None
    if selector is None:
        return None
    root = selector.root
    # The XPath string() of the node, read off the lxml tree (an XPath evaluation per call cost more).
    text = " ".join((root if isinstance(root, str) else "".join(root.itertext())).split())
    return text or None


def parse_id_pairs(value: object) -> dict[str, str]:
    """`163:189661,177:190036` (or a dict, or a list of pairs) → {listing id: source id}."""
    if not value:
        return {}
    if isinstance(value, dict):
        return {str(k).strip(): str(v).strip() for k, v in value.items()}
    parts = value if isinstance(value, list | tuple) else str(value).split(",")
    pairs = {}
    for part in parts:
        listing, _, source = str(part).partition(":")
        if listing.strip() and source.strip():
            pairs[listing.strip()] = source.strip()
    return pairs


def parse_listing_ids(value: object) -> list[str]:
    """`163,177` (or `163:189661,…`, or a list) → ["163", "177"]."""
    if not value:
        return []
    parts = value if isinstance(value, list | tuple) else str(value).split(",")
    ids = [str(part).partition(":")[0].strip() for part in parts]
    return [i for i in ids if i]


def fragment_query(source_id: str, start: int) -> str:
    """The "load more" query, sorted as the canonical URL has it."""
    query = {"action": "get_cat_by_source", "die": "true", "from": str(start), "id": source_id, "sort": ""}
    query["to"] = str(FRAGMENT_SIZE)
    return urlencode(sorted(query.items()))
