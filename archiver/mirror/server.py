"""A threaded loopback HTTP server that serves an in-memory site and counts what it was asked for."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import cast


@dataclass
class Resource:
    """What the server answers for one request target (path and query)."""

    body: bytes
    content_type: str = "text/html; charset=UTF-8"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


Site = Mapping[str, Resource] | Callable[[str], "Resource | None"]

NOT_FOUND = Resource(b"<html><body><h1>404 Not Found</h1></body></html>", status=404)


class LoopbackHTTPServer(ThreadingHTTPServer):
    # socketserver's backlog is 5: a crawl opening 16 connections at once on a busy machine had
    # some refused until the kernel's retry a second later, and a request timed out unsent.
    request_queue_size = 128
    daemon_threads = True


class MirrorServer:
    """Serve `site` on 127.0.0.1 (a free port unless one is given); use as a context manager.

    `site` maps a request target such as "/newstream/page/2/" or "/news/?page2" to a Resource,
    or is a callable returning one (None for 404). `hits` counts requests per target.
    """

    def __init__(self, site: Site, port: int = 0, host: str = "127.0.0.1") -> None:
        self.site = site
        self.hits: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._httpd = LoopbackHTTPServer((host, port), self._handler_class())
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        host, port = cast(tuple[str, int], self._httpd.server_address[:2])  # an AF_INET server
        return f"http://{host}:{port}"

    @property
    def total_hits(self) -> int:
        return sum(self.hits.values())

    def lookup(self, target: str) -> Resource:
        found = self.site(target) if callable(self.site) else self.site.get(target)
        return found or NOT_FOUND

    def _handler_class(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                with server._lock:
                    server.hits[self.path] += 1
                resource = server.lookup(self.path)
                self.send_response(resource.status)
                self.send_header("Content-Type", resource.content_type)
                for name, value in resource.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(resource.body)))
                self.end_headers()
                self.wfile.write(resource.body)

        return Handler

    def start(self) -> MirrorServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> MirrorServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
