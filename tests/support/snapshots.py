"""Helpers for the snapshot, reparse, WARC and conditional-request tests.

- `sample_archive(tmp_path_factory)`: the bundled KCNA Watch sample crawled once per test session
  (snapshots on); tests take a copy with `copy_archive`.
- `crawl(...)`: one `archiver crawl` in a fresh process (optionally --refresh, -s settings); its stats.
- `ValidatingMirror`: a loopback server that sends ETag / Last-Modified and answers conditional
  requests with 304, recording the headers of every request.
- `table(...)`: a whole table as {id: row}, to compare an archive before and after.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import threading
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from archiver.mirror.sample_sites import kcnawatch_site
from archiver.mirror.server import LoopbackHTTPServer, MirrorServer, Resource
from tests.support.archive import query, scalar
from tests.support.cli import FAST, run_archiver

LAST_MODIFIED = "Sat, 01 Nov 2025 08:00:00 GMT"


def crawl(db_url: str, base_url: str, *, refresh: bool = False, settings: dict | None = None) -> dict:
    """Crawl the KCNA Watch site at `base_url` into `db_url` with `archiver crawl`; the run's stats
    as its crawl_runs row holds them."""
    options = [word for name, value in (settings or {}).items() for word in ("-s", f"{name}={value}")]
    done = run_archiver(
        "crawl", "kcnawatch", "--base-url", base_url, "--db", db_url, *FAST, *options,
        *(["--refresh"] if refresh else []), timeout=180,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(scalar(db_url, "SELECT stats FROM crawl_runs ORDER BY id DESC LIMIT 1"))


_SAMPLE: dict[str, Path] = {}


def sample_archive(tmp_path_factory) -> tuple[Path, str]:
    """The sample site crawled once per session: (database file, base URL it was served at)."""
    if "db" not in _SAMPLE:
        folder = tmp_path_factory.mktemp("sample-crawl")
        path = folder / "archive.sqlite"
        with MirrorServer(kcnawatch_site()) as server:
            crawl(f"sqlite:///{path}", server.base_url)
            _SAMPLE["base"] = server.base_url
        _SAMPLE["db"] = path
    return _SAMPLE["db"], _SAMPLE["base"]


def copy_archive(source: Path, folder: Path) -> str:
    target = folder / "archive.sqlite"
    shutil.copyfile(source, target)
    return f"sqlite:///{target}"


def table(db_url: str, name: str, *, without: tuple[str, ...] = ()) -> dict[int, dict]:
    """Every row of a table by id, as {column: value}, leaving out the columns in `without`."""
    columns = [row[1] for row in query(db_url, f"PRAGMA table_info({name})") if row[1] not in without]
    rows = query(db_url, f"SELECT {', '.join(columns)} FROM {name}")
    return {row[columns.index("id")]: dict(zip(columns, row)) for row in rows}


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha1(body).hexdigest()[:16] + '"'


class ValidatingMirror:
    """Serves `site` (path → Resource, may be changed while running) with validators, honouring
    If-None-Match (then If-Modified-Since) with 304 Not Modified; `requests` lists (path, headers)."""

    def __init__(self, site: dict[str, Resource]) -> None:
        self.site = site
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.lock = threading.Lock()
        self.httpd = LoopbackHTTPServer(("127.0.0.1", 0), self.handler())

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def statuses(self, status: int) -> list[str]:
        return [path for path, headers in self.requests if headers.get("_status") == str(status)]

    def handler(self):
        mirror = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                resource = mirror.site.get(self.path) or Resource(b"<html><body>404</body></html>", status=404)
                etag = etag_of(resource.body)
                asked = dict(self.headers.items())
                if "If-None-Match" in self.headers:
                    unchanged = self.headers["If-None-Match"] == etag
                else:
                    unchanged = self.headers.get("If-Modified-Since") == LAST_MODIFIED
                status = 304 if unchanged and resource.status == 200 else resource.status
                with mirror.lock:
                    mirror.requests.append((self.path, {**asked, "_status": str(status)}))
                self.send_response(status)
                self.send_header("ETag", etag)
                self.send_header("Last-Modified", LAST_MODIFIED)
                if status == 304:
                    self.end_headers()
                    return
                self.send_header("Content-Type", resource.content_type)
                for name, value in resource.headers.items():  # e.g. a redirect's Location
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(resource.body)))
                self.end_headers()
                self.wfile.write(resource.body)

        return Handler

    def __enter__(self) -> ValidatingMirror:
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
