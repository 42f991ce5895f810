"""A bound on the links of one page: a page linking more than `limit` is read up to its last link within it.

A listing of 100,000 links (a hostile or broken site) would hold the crawl's one thread for minutes
while a spider reads every entry, and take hundreds of MB. Real listing pages link tens to a few
hundred pages. `cut_after_links` finds where the (limit + 1)-th `<a …>` tag starts, by a byte scan
that stops there, and cuts the page at that point: an HTML parser closes whatever the cut leaves
open, so the page reads as the same page with fewer entries (and, usually, no next page: the walk
of such a listing ends there). The crawl (archiver/middlewares/bounds.py) and the reparse of a
stored page (archiver/archive/pages.py) cut alike, so both read the same entries.
"""

from __future__ import annotations

import re
from itertools import islice

#: The links a page is read for (ARCHIVER_PAGE_MAX_LINKS).
DEFAULT_MAX_LINKS = 1000
_LINK_TAG = re.compile(rb"<a[\s>/]", re.IGNORECASE)


def cut_after_links(body: bytes, limit: int = DEFAULT_MAX_LINKS) -> bytes | None:
    """`body` cut before its (limit + 1)-th link, or None when it has at most `limit` (or limit is 0: no bound)."""
    if limit <= 0 or len(body) < limit * 4:  # "<a>" and a byte: no page this short can pass the bound
        return None
    extra = next(islice(_LINK_TAG.finditer(body), limit, limit + 1), None)
    if extra is None:
        return None
    return body[: extra.start()]
