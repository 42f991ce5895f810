"""`archiver check`: fetch a few pages of each kind, parse them with the site's spider, store nothing.

The pages are the spider's `check_urls` (page kind → paths of the real site) unless URLs are given;
with a base URL the same paths are fetched from a mirror. Scrapy fetches them, so robots.txt, the
spider's delay and the project's User-Agent apply. Each page goes to the spider's own callback (its
kind's, or `callback_for(url)`); what it yields passes the dates and text pipelines (so
`published_on`, `body` and `listed_on` are judged as they would be stored); requests it yields are
not followed, and nothing is written anywhere.

A page passes when it was fetched, gave its kind's item (an article, or entries) and every field the
spider requires for its kind (`required_fields`) came out non-empty on each of them. Values that
cannot be right (a title that is the site's name, a date far from the URL's, a body shorter than its
teaser: archiver/crawl/checkvalues.py) are warnings, one line each, and fail the check too.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.crawler import CrawlerProcess
from scrapy.spiderloader import get_spider_loader

from archiver.crawl.checkvalues import value_warnings, warning_lines
from archiver.crawl.runner import RunError, base_settings, check_reachable
from archiver.extensions.fieldyield import (
    IGNORED_FIELDS,
    PAGE_KINDS,
    is_empty,
    item_class,
    item_fields,
    kind_of_callback,
    primary_item,
)
from archiver.normalize.urls import has_credentials, masked_url
from spiders.sitename import site_names

#: Cells of the table are cut to this many characters.
VALUE_WIDTH = 40
EMPTY = "—"
#: The pipelines a checked item passes: the ones that normalize, not the ones that store.
CHECK_PIPELINES = {"pipelines.dates.DatesPipeline": 100, "pipelines.text.TextPipeline": 200}
#: What the archiver adds to a crawl that a check must not do (write runs, snapshots, job folders).
CHECK_OFF = {
    "EXTENSIONS": {
        "archiver.extensions.fieldyield.FieldYieldMonitor": None,
        "archiver.extensions.crawlrun.CrawlRunRecorder": None,
        "archiver.extensions.jobdir.JobDirGuard": None,
        "archiver.extensions.progress.ProgressReporter": None,
    },
    "ARCHIVER_SNAPSHOTS": False,
    "ARCHIVER_CONDITIONAL_REQUESTS": False,
    "HTTPCACHE_ENABLED": False,
}


@dataclass
class PageCheck:
    """What one page gave: its items (normalized), or why it gave nothing."""

    url: str
    kind: str
    required: tuple[str, ...]
    items: list[object] = field(default_factory=list)
    error: str | None = None
    site_names: set[str] = field(default_factory=set)  # the site's name as the page shows it

    @property
    def primary(self) -> list[object]:
        return [item for item in self.items if item_class(item) == primary_item(self.kind)]

    def missing(self) -> list[str]:
        """The required fields empty on at least one of the page's items (all of them when it gave none)."""
        if self.error or not self.primary:
            return list(self.required)
        return [name for name in self.required if any(is_empty(item_fields(i).get(name)) for i in self.primary)]

    @property
    def passed(self) -> bool:
        return self.error is None and bool(self.primary) and not self.missing()

    def fields(self) -> list[str]:
        """The required fields first, then every other field the kind's item has."""
        names = list(self.required)
        for item in self.primary[:1]:
            names += [n for n in item_fields(item) if n not in names and n not in IGNORED_FIELDS]
        return names


@dataclass
class CheckReport:
    site: str
    pages: list[PageCheck]

    @property
    def passed(self) -> bool:
        return bool(self.pages) and all(page.passed for page in self.pages) and not self.warnings()

    def warnings(self) -> list[str]:
        """One line per value that cannot be right: the site, the page kind, what, the page."""
        return warning_lines(self.site, value_warnings(self.pages))

    def failures(self) -> list[str]:
        """One line per failed page: kind, what failed, the page."""
        lines = []
        for page in self.pages:
            if page.passed:
                continue
            if page.error:
                why = page.error
            elif not page.primary:
                why = f"no {'article' if primary_item(page.kind) == 'article' else 'entries'} found"
            else:
                why = "empty: " + ", ".join(page.missing())
            what = "page" if page.kind == "page" else f"{page.kind} page"
            lines.append(f"{self.site}: {what}: {why} — {page.url}")
        return lines


def cut(value: object, width: int = VALUE_WIDTH) -> str:
    if is_empty(value):
        return EMPTY
    text = " | ".join(str(v) for v in value) if isinstance(value, (list, tuple)) else str(value)
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def value_width(rows: list[tuple], columns: int) -> int:
    """How wide the value column of a table may be on a terminal `columns` wide (at least VALUE_WIDTH)."""
    value = TABLE_COLUMNS.index("value")
    others = sum(
        max([len(name)] + [len(str(row[i])) for row in rows]) for i, name in enumerate(TABLE_COLUMNS) if i != value
    )
    return max(VALUE_WIDTH, columns - others - 2 * (len(TABLE_COLUMNS) - 1))


def table_rows(report: CheckReport, all_fields: bool = False, width: int | None = VALUE_WIDTH) -> list[tuple]:
    """Rows of the table: page, kind, entries found, field, value, ok. A value is cut to `width`
    (— when empty) for the text table; with `width` None it is whole (CSV, JSON Lines: lists stay lists).

    One row per field of the page's first item (only the required ones unless `all_fields`); for a
    listing, `filled` says on how many of its entries the field came out.
    """
    rows: list[tuple] = []
    for page in report.pages:
        path = path_of(page.url)
        entries = sum(1 for item in page.items if item_class(item) == "listing_entry")
        if page.error or not page.primary:
            status = page.error or "nothing found"
            rows.append((path, page.kind, entries, "", status, "", "FAIL"))
            continue
        missing = set(page.missing())
        names = page.fields() if all_fields else list(page.required) or page.fields()
        first = item_fields(page.primary[0])
        for name in names:
            values = [item_fields(i).get(name) for i in page.primary]
            value = next((v for v in values if not is_empty(v)), first.get(name))
            filled = f"{sum(not is_empty(v) for v in values)}/{len(values)}"
            verdict = "FAIL" if name in missing else ("ok" if name in page.required else "")
            shown = on_site(value, page.url)
            rows.append((path, page.kind, entries, name, cut(shown, width) if width else shown, filled, verdict))
            path = ""  # the page once per block
    return rows


TABLE_COLUMNS = ("page", "kind", "entries", "field", "value", "filled", "check")


def on_site(value: object, page_url: str) -> object:
    """A URL on the page's own host as its path (the part that tells pages apart)."""
    if isinstance(value, str):
        parts, page = urlsplit(value), urlsplit(page_url)
        if parts.scheme in ("http", "https") and parts.netloc == page.netloc:
            return path_of(value)
    return value


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def spider_class(name: str, settings) -> type[scrapy.Spider]:
    loader = get_spider_loader(settings)
    try:
        return loader.load(name)
    except KeyError:
        raise RunError(f"unknown spider {name} (known: {', '.join(sorted(loader.list()))})") from None


def check_targets(spidercls, urls: Sequence[str], base_url: str | None) -> list[tuple[str | None, str]]:
    """(kind or None, absolute URL) for each page to check: the URLs given, else the spider's check_urls."""
    base = (base_url or getattr(spidercls, "default_base_url", "") or "").rstrip("/")
    if urls:
        targets = []
        for given in urls:
            kind, url = given_kind(given)
            targets.append((kind, url if urlsplit(url).scheme else base + "/" + url.lstrip("/")))
        return targets
    check_urls = getattr(spidercls, "check_urls", None) or {}
    if not check_urls:
        raise RunError(f"{spidercls.name} names no check_urls: give pages with --url")
    return [(kind, base + "/" + path.lstrip("/")) for kind, paths in check_urls.items() for path in paths]


def given_kind(given: str) -> tuple[str | None, str]:
    """`listing=/blog/` → ("listing", "/blog/"); a plain URL or path → (None, it)."""
    kind, sep, rest = given.partition("=")
    if sep and kind in PAGE_KINDS:
        return kind, rest
    return None, given


def checking_spider(spidercls: type[scrapy.Spider], targets, pages: list[PageCheck]) -> type[scrapy.Spider]:
    """The site's spider, made to fetch only `targets`, parse each with its callback, follow nothing."""
    required = dict(getattr(spidercls, "required_fields", None) or {})

    class CheckSpider(spidercls):  # type: ignore[misc, valid-type]
        name = spidercls.name

        def open_walk(self, spider=None) -> None:  # no archive to learn from: every article is new
            pass

        async def start(self):
            for kind, url in targets:
                yield scrapy.Request(
                    url,
                    callback=self.check_page,
                    errback=self.check_failed,
                    dont_filter=True,
                    meta={"check_kind": kind},
                )

        def callback_of(self, kind: str | None, url: str):
            if kind is not None:
                method = getattr(self, f"parse_{kind}", None)
                if callable(method):
                    return method
            finder = getattr(self, "callback_for", None)
            return finder(url) if finder else None

        async def check_page(self, response) -> AsyncIterator[object]:
            kind = response.meta.get("check_kind")
            callback = self.callback_of(kind, response.url)
            kind = (
                kind or response.meta.get("page_kind") or (kind_of_callback(callback) if callback else None) or "page"
            )
            page = PageCheck(response.url, kind, tuple(required.get(kind, ())))
            page.site_names = site_names(response, [getattr(getattr(self, "profile", None), "source", None)])
            pages.append(page)
            if callback is None:
                page.error = "the spider has no callback for this address (give its kind: --url KIND=URL)"
                return
            async for output in outputs_of(callback(response)):
                if isinstance(output, scrapy.Request):
                    continue  # a check follows no links
                page.items.append(output)  # normalized in place by the pipelines
                yield output

        def check_failed(self, failure) -> None:
            request = failure.request
            callback = self.callback_of(request.meta.get("check_kind"), request.url)
            kind = request.meta.get("check_kind") or (kind_of_callback(callback) if callback else None) or "page"
            page = PageCheck(request.url, kind, tuple(required.get(kind, ())))
            page.error = failure_reason(failure)
            pages.append(page)

    CheckSpider.__name__ = CheckSpider.__qualname__ = f"Check{spidercls.__name__}"
    return CheckSpider


async def outputs_of(result) -> AsyncIterator[object]:
    """What a callback gave, whether it is a generator, an async generator, a coroutine or None."""
    if inspect.isawaitable(result):
        result = await result
    if inspect.isasyncgen(result):
        async for output in result:
            yield output
        return
    for output in result or ():
        yield output


def failure_reason(failure) -> str:
    from scrapy.exceptions import IgnoreRequest
    from scrapy.spidermiddlewares.httperror import HttpError

    if failure.check(HttpError):
        return f"fetch failed: HTTP {failure.value.response.status}"
    if failure.check(IgnoreRequest):
        return f"not fetched: {failure.getErrorMessage() or 'forbidden by robots.txt'}"
    return f"fetch failed: {failure.getErrorMessage() or failure.type.__name__}"


def run_check(
    site: str,
    *,
    urls: Sequence[str] = (),
    base_url: str | None = None,
    settings: dict | None = None,
) -> CheckReport:
    """Check `site`'s spider on its sample pages (or `urls`), on the real host or `base_url`."""
    crawl_settings = base_settings("sqlite://", "check", {**CHECK_OFF, "ITEM_PIPELINES": CHECK_PIPELINES})
    for name, value in (settings or {}).items():
        crawl_settings.set(name, value, priority="cmdline")
    spidercls = spider_class(site, crawl_settings)
    targets = check_targets(spidercls, urls, base_url)
    for _, url in targets:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise RunError(f"--url must be an http(s) URL or a path of the site, got {masked_url(url)!r}")
        if has_credentials(url):
            raise RunError(f"--url with a user name or password is not supported: {masked_url(url)!r}")
    if base_url:
        check_reachable(base_url)
    pages: list[PageCheck] = []
    process = CrawlerProcess(crawl_settings)
    crawler = process.create_crawler(checking_spider(spidercls, targets, pages))
    stats: dict = {}
    crawler.signals.connect(lambda spider, reason: stats.update(reason=reason), signal=signals.spider_closed)
    arguments = {"base_url": base_url} if base_url else {}
    process.crawl(crawler, **arguments)
    process.start()
    order = {url: n for n, (_, url) in enumerate(targets)}
    pages.sort(key=lambda page: order.get(page.url, len(order)))
    return CheckReport(site, pages)
