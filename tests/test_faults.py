"""Faults a site can throw at the crawler, served on loopback; what ends up in the archive and the run.

One crawl of a KCNA Watch mirror whose newstream lists good articles and articles that fail in
every way we know (tests/support/faultserver.py), checked row by row: transient faults are retried and
the article is stored; permanent ones are recorded per URL in `crawl_runs.stats` (status
"errors", exit status 1) while the crawl goes on; nothing half-parsed is stored; the limits on
time, size, redirects and depth hold; no request leaves the site.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from types import SimpleNamespace

import pytest

from archiver.middlewares.guards import real_encoding
from archiver.mirror.server import Resource
from tests.support.archive import query, scalar
from tests.support.cli import FAST, PROJECT, run_archiver
from tests.support.faultserver import (
    Fault,
    FaultServer,
    mirror_routes,
    redirect,
    sample_article,
    status,
)

pytestmark = pytest.mark.slow

LIMITS = ["-s", "DOWNLOAD_TIMEOUT=1", "-s", "RETRY_TIMES=1", "-s", "DOWNLOAD_MAXSIZE=100000"]
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
NON_ASCII = "Kim Jong Un\u2019s visit to the caf\u00e9 \u2014 \uc870\uc120 (Korea) report."
CP1252_TEXT = "Kim Jong Un\u2019s visit to the caf\u00e9 \u2014 a report."

#: slug → (what the article is, whether it ends up stored, the reason recorded for it or None)
CASES = {
    "plain-one": ("a good article", True, None),
    "plain-two": ("another good article", True, None),
    "transient-503": ("503 once, then the page", True, None),
    "transient-truncated": ("a truncated body once, then the page", True, None),
    "transient-timeout": ("slower than DOWNLOAD_TIMEOUT once, then the page", True, None),
    "malformed": ("unclosed and stray tags", True, None),
    "wrong-charset": ("UTF-8 declared as ISO-8859-1", True, None),
    "missing-charset": ("UTF-8 with no charset anywhere", True, None),
    "cp1252-declared-utf8": ("windows-1252 declared as UTF-8", True, None),
    "permanent-500": ("500 every time", False, "500"),
    "missing-404": ("404", False, "404"),
    "slow": ("slower than DOWNLOAD_TIMEOUT every time", False, "timeout"),
    "truncated": ("Content-Length larger than the body, connection closed", False, "truncated"),
    "oversized": ("larger than DOWNLOAD_MAXSIZE, with Content-Length", False, "too_large"),
    "oversized-streamed": ("larger than DOWNLOAD_MAXSIZE, no Content-Length", False, "too_large"),
    "redirect-loop": ("A → B → A", False, "redirect_loop"),
    "redirect-spiral": ("an endless chain of new URLs", False, "too_many_redirects"),
    "redirect-offsite": ("a redirect to another host", False, "offsite_redirect"),
    "retry-then-offsite": ("503, then a redirect to another host", False, "offsite_redirect"),
    "redirect-file": ("a redirect to file:///etc/passwd", False, "302"),
    "no-body": ("an article page without body paragraphs", False, None),
    "garbage": ("binary junk served as text/html", False, None),
    "image": ("image/png", False, None),
    "pdf": ("application/pdf", False, None),
}
BAD_LINKS = [
    "javascript:alert(1)",
    "mailto:editor@example.org",
    "ftp://127.0.0.1/pub/",
    "file:///etc/passwd",
    "data:text/html,<b>hi</b>",
    "{other}/newstream/1704067200-1/elsewhere/",
]


def fault_site(other: str):
    """The routes of the faulty mirror and its articles by slug; `other` is another host's base URL."""
    articles = {slug: sample_article(number, slug) for number, slug in enumerate(CASES, start=1)}
    articles["wrong-charset"].paragraphs = [NON_ASCII, "A second paragraph."]
    articles["missing-charset"].paragraphs = [NON_ASCII, "Another second paragraph."]
    articles["cp1252-declared-utf8"].paragraphs = [CP1252_TEXT, "Yet another second paragraph."]
    articles["no-body"].paragraphs = []
    routes = mirror_routes(list(articles.values()))
    # Links a page may carry that must never be followed (nor stored as listing entries).
    bad = "\n".join(
        f'<article class="newstream-item"><h2 class="newstream-item-title"><a href="{href.format(other=other)}">Bad</a></h2>'
        '<p class="newstream-item-excerpt">Bad link.</p></article>'
        for href in BAD_LINKS
    )
    listing = (
        routes["/newstream/"]
        .body.decode()
        .replace('<div class="newstream-list">', '<div class="newstream-list">\n' + bad)
    )
    routes["/newstream/"] = Resource(listing.encode())

    def path(slug: str) -> str:
        return articles[slug].path

    def body(slug: str) -> bytes:
        return routes[path(slug)].body

    def page(slug: str, **changes) -> Resource:
        return Resource(body(slug), **changes)

    html = body("malformed").decode()
    html = html.replace("</p>", "", 3).replace("</article>", "</span></div></b>").replace("<body", "<<>><body")
    routes[path("malformed")] = Resource(html.encode() + b"<div><table><tr><td>unclosed")
    routes[path("wrong-charset")] = page("wrong-charset", content_type="text/html; charset=ISO-8859-1")
    missing = body("missing-charset").replace(b'<meta charset="UTF-8">', b"")
    routes[path("missing-charset")] = Resource(missing, content_type="text/html")
    cp1252 = (
        body("cp1252-declared-utf8")
        .decode()
        .replace('<meta charset="UTF-8">', "")
        .encode("cp1252", "xmlcharrefreplace")
    )
    routes[path("cp1252-declared-utf8")] = Resource(cp1252, content_type="text/html; charset=utf-8")
    routes[path("transient-503")] = [status(503), page("transient-503")]
    truncated = body("transient-truncated")
    routes[path("transient-truncated")] = [
        Fault(truncated[:2000], declared_length=len(truncated)),
        page("transient-truncated"),
    ]
    routes[path("transient-timeout")] = [Fault(body("transient-timeout"), delay=2.5), page("transient-timeout")]
    routes[path("permanent-500")] = status(500)
    routes[path("missing-404")] = status(404)
    routes[path("slow")] = Fault(body("slow"), delay=2.5)
    routes[path("truncated")] = Fault(body("truncated")[:2000], declared_length=len(body("truncated")))
    padding = b"<!-- " + b"x" * 200_000 + b" -->"
    routes[path("oversized")] = Resource(body("oversized") + padding)
    routes[path("oversized-streamed")] = Fault(body("oversized-streamed") + padding, send_length=False)
    routes[path("redirect-loop")] = redirect("/loop/b/")
    routes["/loop/b/"] = redirect(path("redirect-loop"))
    routes[path("redirect-spiral")] = redirect("/spiral/1/")
    routes.update({f"/spiral/{n}/": redirect(f"/spiral/{n + 1}/") for n in range(1, 30)})
    routes[path("redirect-offsite")] = redirect(other + path("redirect-offsite"))
    routes[path("retry-then-offsite")] = [status(503), redirect(other + path("retry-then-offsite"))]
    routes[path("redirect-file")] = redirect("file:///etc/passwd")
    routes[path("garbage")] = Resource(bytes(range(256)) * 40)
    routes[path("image")] = Resource(PNG, content_type="image/png")
    routes[path("pdf")] = Resource(PDF, content_type="application/pdf")
    return routes, articles


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> SimpleNamespace:
    """A crawl of the faulty mirror, then one of the same site healed (every page served right).

    The other host serves every page too, and counts requests. What the tests look at after the
    first crawl is kept before the second one starts.
    """
    db_url = f"sqlite:///{tmp_path_factory.mktemp('faults') / 'archive.sqlite'}"
    with FaultServer(host="127.0.0.2") as other:
        routes, articles = fault_site(other.base_url)
        other.routes = dict(routes)
        with FaultServer(routes) as server:
            command = ["crawl", "kcnawatch", "--base-url", server.base_url, "--db", db_url, *FAST, *LIMITS]
            faulty = run_archiver(*command)
            hits = Counter(server.hits)
            stored = {slug_of(url) for (url,) in query(db_url, "SELECT url FROM articles")}
            entries = dict(query(db_url, "SELECT article_url, article_id FROM listing_entries"))
            server.routes = mirror_routes(list(articles.values()))
            healed = run_archiver(*command)
    return SimpleNamespace(
        db_url=db_url,
        server=server,
        other=other,
        articles=articles,
        faulty=faulty,
        healed=healed,
        hits=hits,
        stored=stored,
        entries=entries,  # after the faulty crawl
    )


def slug_of(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


def run_stats(db_url: str, run: int = 1) -> tuple[str, dict]:
    [(status_, stats)] = query(db_url, "SELECT status, stats FROM crawl_runs WHERE id = :run", run=run)
    return status_, json.loads(stats)


def test_crawl_goes_on_and_ends_with_errors(run):
    result, db_url = run.faulty, run.db_url
    assert result.returncode == 1, result.stderr
    assert result.stdout.startswith("kcnawatch: errors in "), result.stdout
    # one per page given up on, the commonest causes named
    assert result.stdout.rstrip().endswith(
        "; 11 errors: redirect to another host ×2 (127.0.0.1), response too large ×2 (127.0.0.1), "
        "HTTP 302 ×1 (127.0.0.1), 6 more of 6 other causes"
    )
    assert "Traceback" not in result.stderr
    assert run_stats(db_url)[0] == "errors"


def test_every_permanent_failure_recorded_per_url(run):
    db_url, server, articles = run.db_url, run.server, run.articles
    _, stats = run_stats(db_url)
    expected = {server.base_url + articles[slug].path: reason for slug, (_, _, reason) in CASES.items() if reason}
    recorded = {failure["url"]: failure["reason"] for failure in stats["archiver/failed_urls"]}
    assert recorded == expected
    assert len(stats["archiver/failed_urls"]) == len(expected)
    counts = {
        key.removeprefix("archiver/http_errors/"): value
        for key, value in stats.items()
        if key.startswith("archiver/http_errors/")
    }
    assert counts == {
        "500": 1,
        "404": 1,
        "timeout": 1,
        "truncated": 1,
        "too_large": 2,
        "redirect_loop": 1,
        "too_many_redirects": 1,
        "offsite_redirect": 2,
        "302": 1,
    }


def test_exactly_the_good_and_recovered_articles_are_stored(run):
    assert run.stored == {slug for slug, (_, kept, _) in CASES.items() if kept}


def test_nothing_lost_the_next_run_fetches_what_failed_once_the_site_is_healed(run):
    healed, db_url, server, articles, hits = run.healed, run.db_url, run.server, run.articles, run.hits
    assert healed.returncode == 0, healed.stderr
    assert run_stats(db_url, run=2)[0] == "ok"
    stored = {slug_of(url) for (url,) in query(db_url, "SELECT url FROM articles")}
    assert stored == set(CASES) - {"no-body"}
    assert scalar(db_url, "SELECT COUNT(*) FROM articles WHERE body IS NULL OR trim(body) = ''") == 0
    assert scalar(db_url, "SELECT COUNT(*) FROM listing_entries") == len(CASES)
    # What the first run archived is not fetched again; what it could not archive is.
    refetched = {slug for slug, article in articles.items() if server.hits[article.path] > hits.get(article.path, 0)}
    assert refetched == {slug for slug, (_, kept, _) in CASES.items() if not kept}


def test_article_pages_without_a_body_are_a_warning_after_the_summary(run):
    """Issue 20, point 4: a page that gave no article is not only a counter."""
    base = run.server.base_url
    bodyless = [base + run.articles[slug].path for slug in ("no-body", "garbage")]
    [warning] = [line for line in run.faulty.stderr.splitlines() if line.startswith("archiver: kcnawatch: warning:")]
    assert warning.startswith("archiver: kcnawatch: warning: 2 article pages gave no body and were not stored: ")
    assert sorted(warning.split(": ", 4)[-1].split(", ")) == sorted(bodyless)
    _, stats = run_stats(run.db_url)
    assert stats["summary"]["articles"]["no_body"] == 2 and sorted(stats["archiver/no_body_urls"]) == sorted(bodyless)


def test_every_listing_entry_stays_and_failed_ones_have_no_article(run):
    server, entries = run.server, run.entries
    assert {slug_of(url) for url in entries} == set(CASES)
    assert all(url.startswith(server.base_url + "/newstream/") for url in entries)
    unlinked = {slug_of(url) for url, article_id in entries.items() if article_id is None}
    assert unlinked == {slug for slug, (_, kept, _) in CASES.items() if not kept}


def test_transient_faults_retried_and_permanent_ones_retried_only_as_configured(run):
    hits = {slug: run.hits[article.path] for slug, article in run.articles.items()}
    assert hits["transient-503"] == hits["transient-truncated"] == hits["transient-timeout"] == 2
    assert hits["permanent-500"] == hits["slow"] == hits["truncated"] == 2  # RETRY_TIMES=1
    assert hits["missing-404"] == hits["plain-one"] == hits["image"] == 1
    assert run.hits["/spiral/5/"] == 1 and run.hits["/spiral/6/"] == 0  # REDIRECT_MAX_TIMES=5


def test_no_request_ever_leaves_the_site(run):
    db_url, server, other = run.db_url, run.server, run.other
    assert other.total_hits == 0
    assert set(server.hosts) == {server.base_url.removeprefix("http://")}
    assert not any(path.startswith(("/pub", "/etc")) for path in server.hits)
    assert (
        scalar(
            db_url, "SELECT COUNT(*) FROM listing_entries WHERE article_url NOT LIKE :base", base=server.base_url + "/%"
        )
        == 0
    )


def test_images_and_pdfs_skipped_and_counted_not_parsed(run):
    _, stats = run_stats(run.db_url)
    assert stats["archiver/skipped/content_type/image/png"] == 1
    assert stats["archiver/skipped/content_type/application/pdf"] == 1
    assert "spider_exceptions/NotSupported" not in stats


def test_bodiless_page_not_stored_as_an_empty_article(run):
    _, stats = run_stats(run.db_url)
    assert stats["archiver/articles/skipped_no_body"] == 1


def test_text_read_in_its_real_charset(run):
    db_url = run.db_url
    bodies = {slug_of(url): body for url, body in query(db_url, "SELECT url, body FROM articles")}
    assert bodies["wrong-charset"].startswith(NON_ASCII)
    assert bodies["missing-charset"].startswith(NON_ASCII)
    assert bodies["cp1252-declared-utf8"].startswith(CP1252_TEXT)
    _, stats = run_stats(db_url)
    # wrong-charset, cp1252-declared-utf8, and the binary junk (declared UTF-8, read as windows-1252).
    assert stats["archiver/charset_repaired"] == 3


def test_malformed_html_still_parsed_completely(run):
    articles = run.articles
    [(title, body)] = query(run.db_url, "SELECT title, body FROM articles WHERE url LIKE '%/malformed/'")
    assert title == articles["malformed"].title
    assert body == "\n\n".join(articles["malformed"].paragraphs)


@pytest.mark.parametrize(
    ("body", "declared", "expected"),
    [
        (b"plain ascii", "cp1252", None),
        ("caf\u00e9 \uc870\uc120".encode(), "utf-8", None),
        ("caf\u00e9 \uc870\uc120".encode(), "iso-8859-1", "utf-8"),
        ("caf\u00e9".encode("cp1252"), "utf-8", "cp1252"),
        ('<meta charset="koi8-r">\u043c\u0438\u0440'.encode("koi8-r"), "utf-8", "koi8-r"),
        ("\uc870\uc120".encode("euc-kr"), "euc-kr", None),
    ],
)
def test_real_encoding(body, declared, expected):
    assert real_encoding(body, declared) == expected


def test_depth_limit_holds(tmp_path):
    """DEPTH_LIMIT=1: the feed (depth 0) and what it leads to (1), nothing deeper."""
    articles = [sample_article(n) for n in range(45)]  # the feed holds the newest 20
    db_url = f"sqlite:///{tmp_path / 'archive.sqlite'}"
    with FaultServer(mirror_routes(articles)) as server:
        result = run_archiver(
            "crawl", "kcnawatch", "--base-url", server.base_url, "--db", db_url, *FAST, "-s", "DEPTH_LIMIT=1"
        )
    assert result.returncode == 0, result.stderr
    assert server.hits["/newstream/feed/"] == 1 and server.hits["/newstream/"] == 1
    # The source listing is linked from /newstream/ and the articles (depth 2): never asked for.
    assert not any(path.startswith(("/article/", "/wp-admin/")) for path in server.hits)
    assert scalar(db_url, "SELECT COUNT(*) FROM articles") == 20


def test_limits_are_set_by_default():
    from archiver import settings

    assert 0 < settings.DOWNLOAD_TIMEOUT <= 60
    assert 0 < settings.DOWNLOAD_MAXSIZE <= 64 * 1024 * 1024
    assert settings.DEPTH_LIMIT > 0 and settings.REDIRECT_MAX_TIMES > 0
    assert settings.RETRY_TIMES > 0 and 503 in settings.RETRY_HTTP_CODES and 404 not in settings.RETRY_HTTP_CODES


# Nothing a page says is ever run or used as a file name: the code that handles page content has
# no call that could do either. (A static check; keep it passing.)
PAGE_HANDLING = [
    "spiders",
    "pipelines",
    "archiver/archive/writer.py",
    "archiver/archive/writer_base.py",
    "archiver/archive/writer_entries.py",
    "archiver/archive/writer_fold.py",
    "archiver/archive/writer_bulk.py",
    "archiver/normalize/text.py",
    "archiver/normalize/dates.py",
    "archiver/normalize/urls.py",
    "archiver/items.py",
    "archiver/middlewares/failures.py",
    "archiver/middlewares/guards.py",
    "archiver/extensions/crawlrun.py",
    "archiver/middlewares/snapshots.py",
    "archiver/archive/pages.py",
    "archiver/middlewares/conditional.py",
    "archiver/research/reparse.py",
    "archiver/research/reparse_parse.py",
    "archiver/archive/incremental.py",
]
DANGEROUS = re.compile(
    r"(?<![\w.])(eval|exec|compile|open|__import__|Path)\s*\(|\b(os|subprocess|shutil|pickle|marshal|shelve|tempfile)\.\w"
)


def test_no_page_data_is_executed_or_used_as_a_path():
    assert all(
        DANGEROUS.search(line)
        for line in ["eval(text)", "open(title, 'w')", "Path(url)", "os.remove(p)", "subprocess.run(x)"]
    )
    assert not any(DANGEROUS.search(line) for line in ["re.compile(pattern)", "self.open_spider()", "reopen(x)"])
    files = [
        p
        for entry in PAGE_HANDLING
        for p in ((PROJECT / entry).rglob("*.py") if (PROJECT / entry).is_dir() else [PROJECT / entry])
        if p.exists()
    ]
    assert len(files) >= 12
    offenders = [
        f"{path.relative_to(PROJECT)}:{number}: {line.strip()}"
        for path in files
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if DANGEROUS.search(line.split("#", 1)[0])
    ]
    assert offenders == []


def test_a_run_whose_faults_all_recovered_ends_ok(tmp_path):
    """Transient faults only (each page fails once, then answers): everything stored, status ok, exit 0."""
    articles = [
        sample_article(n, slug) for n, slug in enumerate(["once-503", "once-timeout", "once-truncated", "fine"])
    ]
    routes = mirror_routes(articles)
    page = {a.slug: routes[a.path] for a in articles}
    routes[articles[0].path] = [status(503), page["once-503"]]
    routes[articles[1].path] = [Fault(page["once-timeout"].body, delay=2.5), page["once-timeout"]]
    routes[articles[2].path] = [
        Fault(page["once-truncated"].body[:500], declared_length=len(page["once-truncated"].body)),
        page["once-truncated"],
    ]
    db_url = f"sqlite:///{tmp_path / 'archive.sqlite'}"
    with FaultServer(routes) as server:
        result = run_archiver("crawl", "kcnawatch", "--base-url", server.base_url, "--db", db_url, *FAST, *LIMITS)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("kcnawatch: ok in ") and result.stdout.rstrip().endswith("; 0 errors")
    assert scalar(db_url, "SELECT status FROM crawl_runs") == "ok"
    assert scalar(db_url, "SELECT COUNT(*) FROM articles") == 4
    assert [server.hits[a.path] for a in articles] == [2, 2, 2, 1]


@pytest.mark.parametrize(
    ("reason", "stats", "expected"),
    [
        ("finished", {}, "ok"),
        ("finished", {"downloader/exception_count": 3, "retry/count": 3}, "ok"),  # retried, then fetched
        ("finished", {"archiver/http_errors/404": 1}, "errors"),
        ("finished", {"archiver/http_errors/timeout": 1}, "errors"),
        ("finished", {"spider_exceptions/ValueError": 1}, "errors"),
        ("finished", {"log_count/ERROR": 1}, "errors"),
        ("shutdown", {}, "interrupted"),
    ],
)
def test_run_status(reason, stats, expected):
    from archiver.extensions.crawlrun import run_status

    assert run_status(reason, stats) == expected
