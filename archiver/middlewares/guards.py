"""Downloader middlewares that keep a crawl on its site and hand spiders only HTML they can read.

- SiteGuard: no request leaves the spider's site (`base_url`) or http(s), whatever the request
  says. OffsiteMiddleware already drops off-site requests, but not those with `dont_filter`,
  and every retried request has `dont_filter`, and so has a redirect it gets: a page that
  answers 503 and then redirects elsewhere would take the crawler to another host.
- PageTypeFilter: a 2xx response that is neither an HTML page nor an XML feed (an image, a PDF,
  a video) is counted in `archiver/skipped/content_type/<type>` and never reaches the spider.
- CharsetRepair: a page whose declared charset is wrong is read in the one it is really in. A
  body that is valid UTF-8 with non-ASCII bytes is UTF-8 (text in a legacy 8-bit charset is
  practically never valid UTF-8); a page declared UTF-8 that is not valid UTF-8 is read in the
  charset its <meta> names, else windows-1252; a page whose HTTP header and <meta> name two other
  charsets (koi8-r and windows-1251) is read in the one its bytes make text of. Counted in
  `archiver/charset_repaired`.
"""

from __future__ import annotations

import codecs

from charset_normalizer import from_bytes
from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Response, TextResponse
from scrapy.http.request import NO_CALLBACK
from w3lib.encoding import html_body_declared_encoding

from archiver.middlewares.headers import media_type
from archiver.normalize.urls import is_http_url, same_site

#: What spiders parse: HTML pages and XML feeds. A request may add types in meta["archiver_content_types"].
PAGE_TYPES = (
    "text/html",
    "application/xhtml+xml",
    "application/rss+xml",
    "application/atom+xml",
    "application/rdf+xml",
    "application/xml",
    "text/xml",
)


class OffsiteBlocked(IgnoreRequest):
    """A request outside the spider's site or http(s); never sent."""


class NotAPage(IgnoreRequest):
    """A response that is neither an HTML page nor a feed; not parsed."""


class SiteGuard:
    """First downloader middleware after OffsiteMiddleware (before robots.txt is fetched for a host)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SiteGuard:
        return cls(crawler)

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        base_url = getattr(self.crawler.spider, "base_url", None)
        if not is_http_url(request.url) or (base_url and not same_site(request.url, base_url)):
            self.crawler.stats.inc_value("archiver/offsite_blocked")
            raise OffsiteBlocked(f"not on {base_url}: {request.url}")
        return None


class PageTypeFilter:
    """Skip successful responses that are not pages or feeds; `meta["archiver_content_types"]` widens the list."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PageTypeFilter:
        return cls(crawler)

    def process_response(self, request: Request, response: Response, spider: Spider | None = None) -> Response:
        if not 200 <= response.status < 300 or request.callback is NO_CALLBACK:
            return response  # errors are HttpErrorMiddleware's; robots.txt is plain text
        kind = media_type(response)
        accepted = (*PAGE_TYPES, *request.meta.get("archiver_content_types", ()))
        if kind in accepted or (not kind and isinstance(response, HtmlResponse)):
            return response
        self.crawler.stats.inc_value(f"archiver/skipped/content_type/{kind or 'unknown'}")
        raise NotAPage(f"not a page ({kind or 'no Content-Type'}): {response.url}")


def agreeing_encoding(body: bytes, declared: str, in_meta: str) -> str | None:
    """Of two declarations that disagree (the HTTP header's and the page's `<meta>`), the one the
    bytes read as text in (charset-normalizer's measure of mess), when it is not `declared`; else None."""
    best = from_bytes(body, cp_isolation=[declared, in_meta]).best()
    if best is None or codecs.lookup(best.encoding).name == declared:
        return None
    return best.encoding


def real_encoding(body: bytes, declared: str) -> str | None:
    """The encoding `body` is really in when `declared` is wrong, else None."""
    if body.isascii():
        return None
    declared = codecs.lookup(declared).name
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        if declared != "utf-8":
            in_meta = html_body_declared_encoding(body)
            if in_meta and codecs.lookup(in_meta).name not in (declared, "utf-8"):
                return agreeing_encoding(body, declared, in_meta)
            return None
        in_meta = html_body_declared_encoding(body)
        if in_meta and codecs.lookup(in_meta).name != "utf-8":
            return in_meta
        return "cp1252"
    if declared in ("utf-8", "utf-8-sig"):
        return None
    return "utf-8"


class CharsetRepair:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CharsetRepair:
        return cls(crawler)

    def process_response(self, request: Request, response: Response, spider: Spider | None = None) -> Response:
        if not isinstance(response, TextResponse):
            return response
        encoding = real_encoding(response.body, response.encoding)
        if encoding is None:
            return response
        self.crawler.stats.inc_value("archiver/charset_repaired")
        return response.replace(encoding=encoding)
