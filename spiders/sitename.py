"""The site's own name as its pages show it. A heading that only repeats it is no article's title
(a blog theme's `<h1>` is often the blog's name), and `archiver check` warns of a title equal to it.

The names: `og:site_name` and `application-name`, the names the caller knows (a profile's `source`),
the text of links to the site's home page (the logo, "Site name"), and what `<title>` adds to the
page's own title ("Story | Site", "Site: Story" where `og:title` is "Story").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urljoin, urlsplit

from scrapy.http import Response

#: Between the parts of a `<title>`: "Story – Site", "Site | Story", "Site: Story", "Story :: Site".
TITLE_PARTS = re.compile(r"\s+[-–—|·»:]+\s+|:\s+")
#: A home link's text longer than this is not a name (a teaser linking home, a sentence).
NAME_MAX = 80


def squeeze(text: str | None) -> str:
    return " ".join((text or "").split())


def site_names(response: Response, known: Iterable[str | None] = ()) -> set[str]:
    """The names the site goes by on this page, case-folded."""
    names = [*known]
    names += response.xpath(
        "//meta[@property='og:site_name' or @name='application-name' or @name='og:site_name']/@content"
    ).getall()
    host = urlsplit(response.url).netloc
    for link in response.xpath("//a[@href]"):
        target = urlsplit(urljoin(response.url, link.attrib["href"].strip()))
        if target.netloc == host and target.path in ("", "/") and not target.query:
            text = squeeze(link.xpath("string()").get())
            if text and len(text) <= NAME_MAX:
                names.append(text)
    title = squeeze(response.xpath("string(//title)").get())
    own = {squeeze(t).casefold() for t in response.xpath("//meta[@property='og:title']/@content").getall()}
    parts = [squeeze(part) for part in TITLE_PARTS.split(title) if squeeze(part)]
    if own and len(parts) > 1 and any(part.casefold() in own for part in parts):
        names += [part for part in parts if part.casefold() not in own]
    return {squeeze(name).casefold() for name in names if squeeze(name)}


def is_site_name(text: str | None, names: set[str]) -> bool:
    return bool(text) and squeeze(text).casefold() in names
