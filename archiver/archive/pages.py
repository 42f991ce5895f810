"""The stored pages: writing fetches into `pages`/`page_bodies`, reading them back as Scrapy responses.

One row in `pages` per fetch; one row in `page_bodies` per distinct body (SHA-256 of the
uncompressed bytes), compressed with zlib (or zstd when the optional `zstandard` package is
installed and asked for). A body fetched again adds a `pages` row pointing at the copy already
kept, as Heritrix's duplicate reduction does.
"""

from __future__ import annotations

import codecs
import hashlib
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, cast

from scrapy import Request
from scrapy.http import Headers, HtmlResponse, Response, TextResponse
from scrapy.responsetypes import responsetypes
from sqlalchemy import Select, Table, func, select
from sqlalchemy.orm import Session

from archiver.archive.dialect import dialect_insert
from archiver.archive.models import Page, PageBody
from archiver.exceptions import CompressionUnavailable
from archiver.normalize.pagebound import cut_after_links

COMPRESSIONS = ("zlib", "zstd")
ZLIB_LEVEL = 9


class SnapshotsDue:
    """A Scrapy signal (`crawler.signals.send_catch_log(SNAPSHOTS_DUE)`), sent before anything made
    from fetched pages is committed (a batch of items, a walk's trail): the snapshot recorder
    (archiver/middlewares/snapshots.py) first writes the fetches it holds. A crawl killed at any
    point then never leaves an article or a trail without the page it came from: what was not
    written yet is fetched again by the next run, page and items together."""


SNAPSHOTS_DUE = SnapshotsDue()


def write_snapshots_first(signals) -> None:
    """Send SNAPSHOTS_DUE through the crawler's signal manager `signals`; re-raise a receiver's failure
    (nothing made from pages may be committed when their snapshots could not be)."""
    from twisted.python.failure import Failure

    for _receiver, result in signals.send_catch_log(SNAPSHOTS_DUE):
        if isinstance(result, Failure):
            result.raiseException()


def _zstd():
    try:
        import zstandard
    except ImportError:
        raise CompressionUnavailable(
            "zstd compression needs the zstandard package (pip install 'newsarchiver[zstd]')"
        ) from None
    return zstandard


def check_compression(method: str) -> str:
    if method not in COMPRESSIONS:
        raise ValueError(f"unknown compression {method!r} (use one of {', '.join(COMPRESSIONS)})")
    if method == "zstd":
        _zstd()
    return method


def compress(body: bytes, method: str) -> bytes:
    if method == "zlib":
        return zlib.compress(body, ZLIB_LEVEL)
    if method == "zstd":
        return _zstd().ZstdCompressor(level=19).compress(body)
    raise ValueError(f"unknown compression {method!r}")


def decompress(data: bytes, method: str) -> bytes:
    if method == "zlib":
        return zlib.decompress(data)
    if method == "zstd":
        return _zstd().ZstdDecompressor().decompress(data)
    raise ValueError(f"unknown compression {method!r}")


def sha256_hex(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def headers_to_json(headers: Headers) -> dict[str, list[str]]:
    """Response headers as JSON: name → every value, decoded as HTTP says (ISO-8859-1)."""
    return {key.decode("latin-1"): [value.decode("latin-1") for value in values] for key, values in headers.items()}


def headers_from_json(data: dict[str, Any] | None) -> Headers:
    return Headers({name: list(values) for name, values in (data or {}).items()})


@dataclass
class Fetch:
    """One fetch waiting to be written: what the server answered for `url`."""

    url: str
    site: str | None
    fetched_at: datetime
    status: int
    headers: dict[str, list[str]]
    body: bytes | None  # None: no body of its own (a 304 confirming `sha256`)
    sha256: str | None = None
    content_type: str | None = None
    charset: str | None = None
    last_modified: str | None = None
    etag: str | None = None

    def __post_init__(self) -> None:
        if self.body is not None:
            self.sha256 = sha256_hex(self.body)


@dataclass
class WriteResult:
    pages: int = 0
    new_bodies: int = 0
    compressed_bytes: int = 0  # of the bodies added by this write


def write_fetches(
    session: Session, fetches: Sequence[Fetch], crawl_run_id: int | None, compression: str
) -> WriteResult:
    """Store a batch of fetches in the caller's transaction; each distinct new body is compressed once."""
    result = WriteResult(pages=len(fetches))
    bodies = {f.sha256: f.body for f in fetches if f.body is not None}
    if bodies:
        known = set(session.scalars(select(PageBody.sha256).where(PageBody.sha256.in_(list(bodies)))))
        rows = []
        for digest, body in bodies.items():
            if digest in known:
                continue
            packed = compress(body, compression)
            rows.append({"sha256": digest, "compression": compression, "size": len(body), "body": packed})
            result.compressed_bytes += len(packed)
        if rows:
            # ON CONFLICT: another process may store the same body at the same moment.
            stmt = dialect_insert(session, PageBody).values(rows).on_conflict_do_nothing(index_elements=["sha256"])
            session.execute(stmt)
            result.new_bodies = len(rows)
    if fetches:
        session.execute(
            cast(Table, Page.__table__).insert(),
            [
                {
                    "url": f.url,
                    "site": f.site,
                    "fetched_at": f.fetched_at,
                    "status": f.status,
                    "content_type": f.content_type,
                    "charset": f.charset,
                    "last_modified": f.last_modified,
                    "etag": f.etag,
                    "headers": f.headers,
                    "sha256": f.sha256,
                    "crawl_run_id": crawl_run_id,
                }
                for f in fetches
            ],
        )
    return result


# Reading ---------------------------------------------------------------------------------------
def fetched_between(query: Select, since: date | None, until: date | None) -> Select:
    """Limit a query on pages to fetches made from `since` to `until` (whole days, inclusive)."""
    if since:
        query = query.where(Page.fetched_at >= datetime.combine(since, time.min))
    if until:
        query = query.where(Page.fetched_at < datetime.combine(until + timedelta(days=1), time.min))
    return query


def pages_query(
    *,
    site: str | None = None,
    since: date | None = None,
    until: date | None = None,
    newest_per_url: bool = False,
    statuses: Iterable[int] | None = None,
) -> Select:
    """Stored fetches (oldest first), filtered; `newest_per_url` keeps the latest matching fetch of each URL."""
    query = select(Page)
    conditions = []
    if site:
        conditions.append(Page.site == site)
    if statuses is not None:
        conditions.append(Page.status.in_(list(statuses)))
    if newest_per_url:
        newest = fetched_between(select(func.max(Page.id)).where(*conditions).group_by(Page.url), since, until)
        return query.where(Page.id.in_(newest)).order_by(Page.id)
    return fetched_between(query.where(*conditions), since, until).order_by(Page.id)


def iter_page_ids(session: Session, ids: Sequence[int], chunk: int = 500) -> Iterator[Page]:
    """The pages with these ids, in this order, read in chunks."""
    for start in range(0, len(ids), chunk):
        part = ids[start : start + chunk]
        found = {page.id: page for page in session.scalars(select(Page).where(Page.id.in_(part)))}
        yield from (found[i] for i in part if i in found)


def iter_pages(session: Session, query: Select, chunk: int = 500) -> Iterator[Page]:
    """The pages of `query`, read in chunks so a big archive never sits in memory at once."""
    last_id = 0
    while True:
        rows = session.scalars(query.where(Page.id > last_id).limit(chunk)).all()
        if not rows:
            return
        yield from rows
        last_id = rows[-1].id


def load_body(session: Session, digest: str | None) -> bytes:
    if digest is None:
        raise LookupError("this fetch has no stored body")
    stored = session.get(PageBody, digest)
    if stored is None:
        raise LookupError(f"no stored body with sha256 {digest}")
    return decompress(stored.body, stored.compression)


def load_bodies(session: Session, digests: Iterable[str | None]) -> dict[str, bytes]:
    """The stored bodies of these digests, decompressed, read with one query (a batch job's pages)."""
    wanted = sorted({d for d in digests if d})
    rows = session.execute(
        select(PageBody.sha256, PageBody.body, PageBody.compression).where(PageBody.sha256.in_(wanted))
    ).all()
    return {digest: decompress(body, compression) for digest, body, compression in rows}


def newest_page(session: Session, url: str, statuses: Sequence[int] = (200,)) -> Page | None:
    """The latest fetch of `url` with one of `statuses` and a body on record."""
    return session.scalar(
        select(Page)
        .where(Page.url == url, Page.status.in_(list(statuses)), Page.sha256.is_not(None))
        .order_by(Page.id.desc())
        .limit(1)
    )


def rebuild_response(
    url: str,
    status: int,
    headers: dict[str, Any] | Headers | None,
    body: bytes,
    request: Request | None = None,
    flags: list[str] | None = None,
) -> Response:
    """A Scrapy response as the server sent it: the class (HTML, XML, text) chosen the way Scrapy does."""
    if not isinstance(headers, Headers):
        headers = headers_from_json(headers)
    cls = responsetypes.from_args(headers=headers, url=url, body=body)
    return cls(url=url, status=status, headers=headers, body=body, request=request or Request(url), flags=flags)


def page_response(session: Session, page: Page, flags: list[str] | None = None, body: bytes | None = None) -> Response:
    """A stored fetch rebuilt as the Scrapy response the spider saw, decoded as the crawl decoded it
    (the `charset` stored with the page: one decoding for crawl and reparse alike). `body`: the
    page's body when the caller has read it already (`load_bodies`)."""
    if body is None:
        body = load_body(session, page.sha256)
    response = rebuild_response(page.url, page.status, page.headers, body, flags=flags)
    if isinstance(response, HtmlResponse) and (cut := cut_after_links(response.body)) is not None:
        response = response.replace(body=cut)  # as the crawl cut it (archiver/middlewares/bounds.py)
    if page.charset and isinstance(response, TextResponse) and response.encoding != page.charset:
        try:
            codecs.lookup(page.charset)
        except LookupError:
            return response
        response = response.replace(encoding=page.charset)
    return response
