"""What every archiver spider shares: the base URL (real host or a mirror), link handling, requests.

Spiders only extract: they yield raw items and requests, and leave every normalization but URL
resolution to the pipelines.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response

from archiver.urls import canonical_url, is_http_url, same_site


class ArchiverSpider(scrapy.Spider):
    """A spider for one site whose paths are fixed and whose host may be a mirror (`base_url`)."""

    #: The real host; `-a base_url=…` / `--base-url` points the same paths at another host.
    default_base_url: str = ""
    #: How the site prints numeric dates.
    date_order: str = "DMY"

    def __init__(self, base_url: str | None = None, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.base_url = (base_url or self.default_base_url).rstrip("/")
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"base URL must be an http(s) URL: {base_url!r}")
        self.allowed_domains = [parts.hostname]

    def url(self, path: str) -> str:
        """The absolute, canonical URL of a site path."""
        return canonical_url(path, self.base_url + "/")

    def link(self, response: Response, href: str | None) -> str | None:
        """A link on a page as a canonical absolute URL, or None when it leaves the site or http(s)."""
        if not href:
            return None
        url = canonical_url(response.urljoin(href.strip()))
        if not is_http_url(url) or not same_site(url, self.base_url):
            return None
        return url

    def callback_for(self, url: str) -> Callable[[Response], Iterable[object]] | None:
        """The parse method for a stored page of this site (used by `archiver reparse`), None to skip it.

        Each spider maps its URL patterns to its callbacks; pages it does not parse return None.
        """
        return None

    def follow_all(self, urls: Iterable[str | None], callback, **kwargs) -> Iterable[scrapy.Request]:
        for url in urls:
            if url:
                yield scrapy.Request(url, callback=callback, **kwargs)
