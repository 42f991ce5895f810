"""Sample sites under stable host names, served by one loopback server acting as an HTTP proxy.

`archiver demo` crawls `http://kcnawatch.example`, `http://rstv.example`: the names stay the same
whatever free port the server gets, so the archived addresses do too, and a second demo run is an
incremental crawl of the same archive rather than a copy under new addresses. The crawl reaches
the server through the standard `http_proxy` variable (Scrapy's HttpProxyMiddleware); the server
receives absolute request targets (`GET http://rstv.example/news/ HTTP/1.1`) and answers from the
site of that host. (The `.example` names are reserved: nothing else can answer for them.)
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from urllib.parse import urlsplit

from archiver.mirror.server import MirrorServer, Resource

PROXY_VARIABLES = ("http_proxy", "HTTP_PROXY")


def stable_base_url(name: str) -> str:
    return f"http://{name}.example"


class HostDispatcher:
    """A MirrorServer site answering absolute request targets from the site of their host."""

    def __init__(self, sites: Mapping[str, Mapping[str, Resource]]) -> None:
        self.sites = {urlsplit(stable_base_url(name)).hostname: site for name, site in sites.items()}

    def __call__(self, target: str) -> Resource | None:
        parts = urlsplit(target)
        site = self.sites.get(parts.hostname or "")
        if site is None:
            return None
        path = parts.path or "/"
        return site.get(path + (f"?{parts.query}" if parts.query else ""))


@contextmanager
def serve_under_stable_hosts(builders: Mapping[str, Callable[[], Mapping[str, Resource]]]) -> Iterator[dict[str, str]]:
    """Serve each sample site (name → builder) under its stable host; yields name → base URL.

    While inside, this process's plain-http requests go through the loopback server (http_proxy).
    """
    saved = {name: os.environ.get(name) for name in (*PROXY_VARIABLES, "no_proxy", "NO_PROXY")}
    with MirrorServer(HostDispatcher({name: build() for name, build in builders.items()})) as server:
        for name in PROXY_VARIABLES:
            os.environ[name] = server.base_url
        for name in ("no_proxy", "NO_PROXY"):
            os.environ.pop(name, None)
        try:
            yield {name: stable_base_url(name) for name in builders}
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
