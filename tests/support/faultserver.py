"""A loopback HTTP server for the reliability tests that can misbehave on purpose.

It serves a mapping of request targets to `archiver.mirror.server.Resource`s, like `MirrorServer`,
plus faults: a `Fault` adds a delay, a Content-Length that promises more than the body (then the
connection is closed: a truncated body), or no Content-Length at all (the body ends when the
connection closes). A list of resources answers the n-th request for a target with its n-th
element (the last one repeats): `[status(503), page]` is a transient error.

`FaultServer(routes, host="127.0.0.2")` binds another loopback address: a second "host" whose
`hits` prove that the crawler never asked it for anything.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler

from archiver.mirror.kcnawatch import KcnaWatchMirror, SampleArticle
from archiver.mirror.server import NOT_FOUND, MirrorServer, Resource


@dataclass
class Fault(Resource):
    """A resource served badly: late, cut short, or without a length."""

    delay: float = 0.0  # seconds to wait before the status line
    declared_length: int | None = None  # Content-Length to announce (more than the body: truncation)
    send_length: bool = True  # False: no Content-Length; the body ends when the connection closes


Route = Resource | Sequence[Resource]


def status(code: int, body: bytes = b"", **headers: str) -> Resource:
    """A bare status answer, e.g. `status(503)` or `status(302, Location="/elsewhere/")`."""
    return Resource(body or f"<html><body><h1>{code}</h1></body></html>".encode(), status=code, headers=headers)


def redirect(location: str, code: int = 302) -> Resource:
    return status(code, Location=location)


class FaultServer(MirrorServer):
    """Serve `routes` on a loopback address (a free port); use as a context manager.

    `hits` counts requests per target, `hosts` the Host headers the server was asked with, `agents`
    the User-Agent headers. Given as `http_proxy`, it is asked for absolute URLs (`http://host/path`).
    """

    def __init__(self, routes: Mapping[str, Route] | None = None, host: str = "127.0.0.1") -> None:
        self.routes: dict[str, Route] = dict(routes or {})
        self.hosts: Counter[str] = Counter()
        self.agents: Counter[str] = Counter()  # User-Agent headers
        super().__init__(self.routes, host=host)

    def lookup(self, target: str, attempt: int) -> Resource:
        route = self.routes.get(target)
        if route is None:
            return NOT_FOUND
        if isinstance(route, Resource):
            return route
        return route[min(attempt, len(route)) - 1]

    def _handler_class(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def handle(self) -> None:
                try:
                    super().handle()
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout or a size limit): that is the point of the fault

            def do_GET(self) -> None:
                with server._lock:
                    server.hits[self.path] += 1
                    server.hosts[self.headers.get("Host", "")] += 1
                    server.agents[self.headers.get("User-Agent", "")] += 1
                    attempt = server.hits[self.path]
                resource = server.lookup(self.path, attempt)
                fault = resource if isinstance(resource, Fault) else Fault(resource.body)
                if fault.delay:
                    time.sleep(fault.delay)
                try:
                    self.send_response(resource.status)
                    self.send_header("Content-Type", resource.content_type)
                    for name, value in resource.headers.items():
                        self.send_header(name, value)
                    if fault.send_length:
                        length = fault.declared_length if fault.declared_length is not None else len(resource.body)
                        self.send_header("Content-Length", str(length))
                    if not fault.send_length or length != len(resource.body):
                        self.send_header("Connection", "close")
                        self.close_connection = True
                    self.end_headers()
                    self.wfile.write(resource.body)
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    # The client gave up (a timeout or a size limit): that is the point of the fault.
                    self.close_connection = True

        return Handler


# A KCNA Watch mirror to misbehave with --------------------------------------------------------

SOURCE = ("kass-en", "KASS (EN)")


def sample_article(number: int, slug: str | None = None, **fields) -> SampleArticle:
    """A distinct article (its own body, so its own content hash) dated `number` days after 2024-01-01."""
    epoch = 1704067200 + number * 86400
    slug = slug or f"story-number-{number}"
    paragraphs = fields.pop("paragraphs", None) or [
        f"Pyongyang, story {number} ({slug}) -- A meeting was held on the {number}th day.",
        f"Speakers at meeting {number} said the work of {slug} goes on.",
    ]
    return SampleArticle(
        epoch=epoch,
        post_id=900000000 + number,
        slug=slug,
        source_slug=SOURCE[0],
        source_name=SOURCE[1],
        paragraphs=paragraphs,
        title=fields.pop("title", f"Story {number}: {slug}"),
        signature="KCNA",
        **fields,
    )


def mirror_routes(articles: list[SampleArticle]) -> dict[str, Resource]:
    """Every page of a KCNA Watch mirror of `articles` (listings, articles, robots.txt)."""
    return KcnaWatchMirror(articles).build()
