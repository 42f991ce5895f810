"""The stored pages as a WARC file (warcio), for the web-archiving tools: pywb replay, `warcio index`.

Every fetch becomes a record, in fetch order, dated when it was fetched:
- the first fetch of a body in the file: a `response` record with the status line and headers the
  server sent, and the body;
- a later fetch of a body already written (the same SHA-256): a `revisit` record with the
  identical-payload-digest profile, referring to the first one, as Heritrix writes them;
- a 304 Not Modified: a `revisit` record with the server-not-modified profile.
The body is kept decoded (HTTP compression undone by the crawler), so Content-Encoding and
Transfer-Encoding are left out and Content-Length is the stored body's length.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from http import HTTPStatus
from io import BytesIO
from pathlib import Path

from sqlalchemy import Engine
from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import datetime_to_iso_date
from warcio.warcwriter import WARCWriter

from archiver import __version__
from archiver.archive.engine import session_factory
from archiver.archive.models import Page
from archiver.archive.pages import iter_pages, load_body, pages_query
from archiver.research.outfile import open_output

DROPPED_HEADERS = {"content-encoding", "transfer-encoding", "content-length"}
NOT_MODIFIED_PROFILE = "http://netpreserve.org/warc/1.0/revisit/server-not-modified"


@dataclass
class WarcReport:
    path: Path
    responses: int = 0
    revisits: int = 0
    bytes: int = 0

    def line(self) -> str:
        return (
            f"wrote {self.path}: {self.responses} response records, {self.revisits} revisit records, "
            f"{self.bytes:,} bytes"
        )


def warc_digest(body: bytes) -> str:
    """A payload digest the way warcio writes them (SHA-1, base 32)."""
    return "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")


def status_line(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


def http_headers(page: Page, body_length: int | None) -> StatusAndHeaders:
    headers = [
        (name, value)
        for name, values in (page.headers or {}).items()
        if name.lower() not in DROPPED_HEADERS
        for value in values
    ]
    if body_length is not None:
        headers.append(("Content-Length", str(body_length)))
    return StatusAndHeaders(status_line(page.status), headers, protocol="HTTP/1.1")


def export_warc(
    engine: Engine,
    out: Path,
    *,
    site: str | None = None,
    since: date | None = None,
    until: date | None = None,
    protected: Iterable[Path] = (),
) -> WarcReport:
    """Write the stored fetches (filtered by site and fetch day) to `out`, gzip-compressed per record.

    `out` is written as archiver/research/outfile.py says (whole or not at all; never over one of
    the `protected` files)."""
    report = WarcReport(out)
    first: dict[str, tuple[str, str, str]] = {}  # sha256 → (url, WARC-Date, WARC digest) of its response record
    sessions = session_factory(engine)
    with open_output(str(out), protected, binary=True) as stream, sessions() as session:
        writer = WARCWriter(stream, gzip=True)
        writer.write_record(
            writer.create_warcinfo_record(
                out.name,
                {
                    "software": f"newsarchiver/{__version__}",
                    "format": "WARC File Format 1.0",
                    "description": "pages stored by newsarchiver",
                },
            )
        )
        for page in iter_pages(session, pages_query(site=site, since=since, until=until)):
            if page.sha256 is None:
                continue
            when = datetime_to_iso_date(page.fetched_at)
            warc_headers = {"WARC-Date": when}
            if page.status == 304 or page.sha256 in first:
                if page.sha256 in first:
                    refers_url, refers_date, digest = first[page.sha256]
                else:  # a 304 for a body this export has not written: refer to the URL only
                    refers_url, refers_date, digest = page.url, when, warc_digest(load_body(session, page.sha256))
                record = writer.create_revisit_record(
                    page.url,
                    digest,
                    refers_url,
                    refers_date,
                    http_headers=http_headers(page, None),
                    warc_headers_dict=warc_headers,
                )
                if page.status == 304:
                    record.rec_headers.replace_header("WARC-Profile", NOT_MODIFIED_PROFILE)
                report.revisits += 1
            else:
                body = load_body(session, page.sha256)
                record = writer.create_warc_record(
                    page.url,
                    "response",
                    payload=BytesIO(body),
                    length=len(body),
                    http_headers=http_headers(page, len(body)),
                    warc_headers_dict=warc_headers,
                )
                first[page.sha256] = (page.url, when, record.rec_headers.get_header("WARC-Payload-Digest"))
                report.responses += 1
            writer.write_record(record)
            session.expunge_all()
        report.bytes = stream.tell() if stream.seekable() else 0
    return report
