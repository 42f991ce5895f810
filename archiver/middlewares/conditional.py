"""Conditional requests: revisits ask "changed since?" with the validators of the newest stored page.

A GET for a URL already in `pages` carries If-None-Match (its ETag) and If-Modified-Since (its
Last-Modified). A server answering 304 Not Modified sends no body; this middleware then hands the
spider the stored response (flagged "not_modified"), so the parse and the pipelines see exactly
what they saw last time and nothing is marked changed. The 304 itself is recorded by the snapshot
recorder as a fetch pointing at the body it confirmed. ARCHIVER_CONDITIONAL_REQUESTS = False turns
it off; `meta={"archiver_conditional": False}` turns it off for one request.

The archive is asked only about URLs that may have validators on record (`validated`, a UrlSet of
~16 bytes a URL): those whose stored pages had some when the run began, and those answered in this
run with an ETag or a Last-Modified. Every other request (a first crawl's every request) costs no
query.
"""

from __future__ import annotations

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.http import Request, Response
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from archiver.archive.engine import open_archive, session_factory
from archiver.archive.models import Page
from archiver.archive.pages import headers_from_json, load_body, newest_page, rebuild_response
from archiver.bounded import UrlSet
from archiver.middlewares.snapshots import CONDITIONAL_META

#: Headers a 304 may update on the stored response (RFC 9111 §4.3.4).
REFRESHED_HEADERS = ("ETag", "Last-Modified", "Date", "Expires", "Cache-Control")


class ConditionalRequests:
    """Downloader middleware: validators from the archive out, stored bodies back in on 304."""

    def __init__(self, crawler, db_url: str) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.db_url = db_url
        self.sessions: sessionmaker[Session] | None = None
        self.validated = UrlSet()

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("ARCHIVER_CONDITIONAL_REQUESTS", True):
            raise NotConfigured("ARCHIVER_CONDITIONAL_REQUESTS is off")
        middleware = cls(crawler, crawler.settings.get("ARCHIVER_DB_URL"))
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def spider_opened(self, spider=None) -> None:
        self.engine = open_archive(self.db_url)
        self.sessions = session_factory(self.engine)
        with self.sessions() as session:
            self.validated = UrlSet(
                session.scalars(
                    select(Page.url)
                    .where(
                        Page.status.in_([200, 304]),
                        Page.sha256.is_not(None),
                        Page.etag.is_not(None) | Page.last_modified.is_not(None),
                    )
                    .distinct()
                )
            )

    def spider_closed(self, spider=None) -> None:
        if self.sessions is not None:
            self.engine.dispose()
            self.sessions = None

    def process_request(self, request: Request):
        if (
            self.sessions is None
            or request.method != "GET"
            or CONDITIONAL_META in request.meta
            or b"If-None-Match" in request.headers
            or b"If-Modified-Since" in request.headers
            or request.url not in self.validated
        ):
            return None
        with self.sessions() as session:
            page = newest_page(session, request.url, statuses=(200, 304))
        if page is None or not (page.etag or page.last_modified):
            return None
        request.meta[CONDITIONAL_META] = {
            "sha256": page.sha256,
            "etag": page.etag,
            "last_modified": page.last_modified,
            "content_type": page.content_type,
            "charset": page.charset,
        }
        if page.etag:
            request.headers[b"If-None-Match"] = page.etag
        if page.last_modified:
            request.headers[b"If-Modified-Since"] = page.last_modified
        self.stats.inc_value("archiver/conditional/sent")
        return None

    def process_response(self, request: Request, response: Response) -> Response:
        if b"ETag" in response.headers or b"Last-Modified" in response.headers:
            self.validated.add(response.url)  # its snapshot has validators: a later request asks the archive
        checked = request.meta.get(CONDITIONAL_META)
        if not isinstance(checked, dict) or "not_modified" in response.flags or self.sessions is None:
            return response
        if response.status != 304:
            self.stats.inc_value("archiver/conditional/modified")
            return response
        self.stats.inc_value("archiver/conditional/not_modified")
        with self.sessions() as session:
            body = load_body(session, checked["sha256"])
            headers = session.scalar(
                select(Page.headers)
                .where(Page.url == response.url, Page.status == 200, Page.sha256 == checked["sha256"])
                .order_by(Page.id.desc())
                .limit(1)
            )
        stored = headers_from_json(headers or {"Content-Type": [checked.get("content_type") or "text/html"]})
        for name in REFRESHED_HEADERS:
            if name in response.headers:
                stored[name] = response.headers.getlist(name)
        return rebuild_response(response.url, 200, stored, body, request=request, flags=["not_modified"])
