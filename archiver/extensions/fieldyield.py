"""Field yield: what each kind of page gave in a run, and a warning when that drops (issue 16).

A site's template can change without notice; a spider then parses pages and finds nothing, or
stops filling one column, and the run would still end "ok". This extension counts, per page kind
(`request.meta["page_kind"]`, else the callback's name: `parse_listing` → listing), the pages parsed,
the pages that gave their kind's item (an article for article pages, entries for the others), the
entries per page, and for each field of each item class how many rows came out empty. Items are
counted as they leave the pipelines (scraped or dropped), so normalized fields (`published_on`,
`body`, `listed_on`) are judged, not only the raw strings.

At spider close the yields go into the run's stats (`archiver/field_yield`, and so into
`crawl_runs.stats`), and are judged:

- floors, on every run (the first has nothing else): a kind the spider requires items of
  (`required_fields`) whose pages mostly gave none, or a required field empty on most rows;
- a drop against the site's recent successful runs: a field, the pages giving items, or the entries
  per page falling to at most a share of what those runs had, when enough was expected to tell.

Each finding is one line (`rstv: 0 of 12 listing pages gave entries — has the listing markup
changed? e.g. http://…`) in `archiver/field_yield/warnings`; the CrawlRunRecorder then marks the run
`degraded`, and the CLI prints the lines and exits 1. Thresholds: the ARCHIVER_YIELD_* settings.

Spidermon's field coverage was evaluated for this and not used (docs/operations.md, "Field yield"):
it keys coverage by item class only, cannot see a page that gave nothing, and keeps its history
outside the archive.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from scrapy import Request, signals
from scrapy.exceptions import NotConfigured
from scrapy.http import Response, TextResponse
from scrapy.http.request import NO_CALLBACK

from archiver.archive.engine import open_archive
from archiver.archive.runhistory import recent_runs

logger = logging.getLogger(__name__)

STATS_KEY = "archiver/field_yield"
WARNINGS_KEY = "archiver/field_yield/warnings"

#: The page kinds shared by every spider (COMMON interfaces); a callback named `parse_<kind>` or
#: `parse_<kind>_…` is of that kind when its request names none.
PAGE_KINDS = ("listing", "article", "feed", "fragment", "sitemap", "day_archive", "search")
CALLBACK_ALIASES = {"parse_more": "fragment", "parse_load_more": "fragment", "_parse_sitemap": "sitemap"}
#: What a page of each kind must give; kinds not named here give listing entries.
PRIMARY_ITEM = {"article": "article"}
#: How a kind's items are called in a warning.
ITEM_WORDS = {"article": "an article", "listing_entry": "entries"}
#: Item fields that say nothing about the page (constants of the spider, where its snapshot is).
IGNORED_FIELDS = frozenset({"site", "date_order", "kind", "found_on", "date_candidates", "page_sha256", "fetched_at"})


def kind_of_callback(callback: Any) -> str | None:
    """`parse_article` → article, `parse_listing_page` → listing, `parse` → page; None for no callback."""
    if callback is NO_CALLBACK:
        return None
    name = getattr(callback, "__name__", None) or "parse"
    if name in CALLBACK_ALIASES:
        return CALLBACK_ALIASES[name]
    for kind in PAGE_KINDS:
        if name == f"parse_{kind}" or name.startswith(f"parse_{kind}_"):
            return kind
    return name.removeprefix("parse_") if name.startswith("parse_") else "page"


def page_kind(request: Request | None) -> str | None:
    """The kind of page a request fetches: its `page_kind` meta, else its callback's name."""
    if request is None:
        return None
    return request.meta.get("page_kind") or kind_of_callback(request.callback)


def answered(response: Response) -> bool:
    """Whether a page counts: it answered 2xx with a text body (HTML, a feed). A 404 a spider asked
    to see (handle_httpstatus_list) is a page that is not there, whatever its callback makes of it."""
    return 200 <= response.status < 300 and isinstance(response, TextResponse)


def primary_item(kind: str) -> str:
    return PRIMARY_ITEM.get(kind, "listing_entry")


def is_empty(value: object) -> bool:
    """None, blank text and empty collections are empty; 0 and False are values."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, (list, tuple, set, frozenset, dict)):
        return not value
    return False


@functools.cache
def class_kind(cls: type) -> str:
    name = cls.__name__.removesuffix("Item") or cls.__name__
    return "".join(f"_{c.lower()}" if c.isupper() and i else c.lower() for i, c in enumerate(name))


def item_class(item: object) -> str:
    """ArticleItem → article, ListingEntryItem → listing_entry (as the run's `items_by_kind` says)."""
    return class_kind(type(item))  # type: ignore[arg-type]  # classes are hashable


@functools.cache
def dataclass_fields(cls: type) -> tuple[str, ...] | None:
    return tuple(f.name for f in dataclasses.fields(cls)) if dataclasses.is_dataclass(cls) else None


def item_fields(item: object) -> dict[str, object]:
    names = dataclass_fields(type(item))  # type: ignore[arg-type]  # classes are hashable
    if names is not None:
        return {name: getattr(item, name) for name in names}
    if isinstance(item, Mapping):
        return dict(item)
    return dict(vars(item)) if hasattr(item, "__dict__") else {}


def example_url(fields: Mapping[str, object], cls: str, page_url: str) -> str:
    """Where to see an empty field: the article's own URL, else the page the item came from."""
    url = fields.get("url")
    return url if cls == "article" and isinstance(url, str) else page_url


#: Pages a YieldCounter holds open (their items may still come); the oldest is then counted and let go.
PAGE_WINDOW = 1024


@dataclasses.dataclass
class PageTally:
    """One kind's pages, counted as they close: how many, how many gave their item, the examples."""

    pages: int = 0
    pages_with_items: int = 0
    page_example: str | None = None
    empty_page_example: str | None = None

    def count(self, url: str, with_items: bool, meta: dict | None) -> None:
        # A page whose request (or callback) set meta["archiver_may_be_empty"] counts only if it gave
        # items: a walk's empty last "load more" fragment, a day without entries, a feed given up for
        # the listings.
        if with_items:
            self.pages_with_items += 1
        elif meta and meta.get("archiver_may_be_empty"):
            return
        self.pages += 1
        if self.page_example is None:
            self.page_example = url
        if not with_items and self.empty_page_example is None:
            self.empty_page_example = url


class YieldCounter:
    """Counts pages and items per page kind during a run; `as_stats()` is what the run records.

    A page stays open while its items may still come: the last `window` pages seen, by (kind, URL),
    with whether an item came and the request's meta (read when the page is counted, so a callback
    may still set it). Past the window the oldest page is counted into its kind's `PageTally`, in the
    order the pages came, so the counts and examples are those of keeping every URL to the end."""

    def __init__(self, window: int = PAGE_WINDOW) -> None:
        self.window = window
        self.open: OrderedDict[tuple[str, str], list] = OrderedDict()  # (kind, URL) → [items came, meta]
        self.tallies: dict[str, PageTally] = {}
        self.rows: dict[str, dict[str, dict[str, Any]]] = {}  # kind → item class → counts

    def page(self, kind: str, url: str, meta: dict | None = None) -> None:
        state = self.open.get((kind, url))
        if state is None:
            self.open[kind, url] = [False, meta]
            self.tallies.setdefault(kind, PageTally())
            if len(self.open) > self.window:
                (old_kind, old_url), (with_items, old_meta) = self.open.popitem(last=False)
                self.tallies[old_kind].count(old_url, with_items, old_meta)
        elif meta is not None:
            state[1] = meta

    def item(self, kind: str, page_url: str, item: object) -> None:
        cls = item_class(item)
        self.page(kind, page_url)  # a page known only through its items (e.g. a cached response)
        if cls == primary_item(kind):
            state = self.open.get((kind, page_url))
            if state is not None:
                state[0] = True
        counts = self.rows.setdefault(kind, {}).setdefault(cls, {"rows": 0, "filled": {}, "empty_example": {}})
        counts["rows"] += 1
        filled, examples = counts["filled"], counts["empty_example"]
        names = dataclass_fields(type(item))  # type: ignore[arg-type]  # classes are hashable
        fields = item_fields(item) if names is None else None
        for name in names if names is not None else fields or ():
            if name in IGNORED_FIELDS:
                continue
            value = getattr(item, name) if fields is None else fields[name]
            if is_empty(value):
                filled.setdefault(name, 0)
                if name not in examples:
                    examples[name] = example_url(fields if fields is not None else item_fields(item), cls, page_url)
            else:
                filled[name] = filled.get(name, 0) + 1

    def as_stats(self) -> dict[str, Any]:
        tallies = {kind: dataclasses.replace(tally) for kind, tally in self.tallies.items()}
        for (kind, url), (with_items, meta) in self.open.items():  # the pages still open, in order
            tallies[kind].count(url, with_items, meta)
        kinds = {}
        for kind, tally in sorted(tallies.items()):
            if not tally.pages:
                continue
            kinds[kind] = {
                "pages": tally.pages,
                "pages_with_items": tally.pages_with_items,
                "item": primary_item(kind),
                "empty_page_example": tally.empty_page_example,
                "page_example": tally.page_example,
                "items": self.rows.get(kind, {}),
            }
        return {"kinds": kinds}


@dataclasses.dataclass(frozen=True)
class Thresholds:
    """When yields are drift (the ARCHIVER_YIELD_* settings)."""

    empty_pages_max: float = 0.5  # floor: largest share of a required kind's pages that may give nothing
    empty_field_max: float = 0.5  # floor: largest share of rows that may leave a required field empty
    drop: float = 0.5  # a yield at most this share of the recent runs' is a drop
    min_expected: int = 5  # judge a drop only when recent runs make at least this many filled rows/pages expected
    history_runs: int = 5

    @classmethod
    def from_settings(cls, settings) -> Thresholds:
        return cls(
            empty_pages_max=settings.getfloat("ARCHIVER_YIELD_EMPTY_PAGES_MAX", cls.empty_pages_max),
            empty_field_max=settings.getfloat("ARCHIVER_YIELD_EMPTY_FIELD_MAX", cls.empty_field_max),
            drop=settings.getfloat("ARCHIVER_YIELD_DROP", cls.drop),
            min_expected=settings.getint("ARCHIVER_YIELD_MIN_EXPECTED", cls.min_expected),
            history_runs=settings.getint("ARCHIVER_YIELD_HISTORY_RUNS", cls.history_runs),
        )


@dataclasses.dataclass(frozen=True)
class Drift:
    """One finding: a kind of page, a measure (a field, `entries`, `pages`), the line to print."""

    kind: str
    field: str
    message: str
    example: str | None

    def line(self, site: str) -> str:
        example = f" e.g. {self.example}" if self.example else ""
        return f"{site}: {self.message} — has the {self.kind} markup changed?{example}"


def percent(share: float) -> str:
    return f"{share:.0%}"


def history_totals(history: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """The recent runs' yields summed per kind: pages, pages with items, rows and filled per field."""
    totals: dict[str, dict[str, Any]] = {}
    for run in history:
        for kind, data in (run.get("kinds") or {}).items():
            total = totals.setdefault(kind, {"pages": 0, "pages_with_items": 0, "items": {}})
            total["pages"] += int(data.get("pages", 0))
            total["pages_with_items"] += int(data.get("pages_with_items", 0))
            for cls, counts in (data.get("items") or {}).items():
                into = total["items"].setdefault(cls, {"rows": 0, "filled": {}})
                into["rows"] += int(counts.get("rows", 0))
                for name, filled in (counts.get("filled") or {}).items():
                    into["filled"][name] = into["filled"].get(name, 0) + int(filled)
    return totals


def judge(
    current: Mapping[str, Any],
    history: Sequence[Mapping[str, Any]],
    required: Mapping[str, Sequence[str]],
    limits: Thresholds,
) -> list[Drift]:
    """The findings of one run's yields against the floors and the recent runs' yields."""
    found: list[Drift] = []
    past = history_totals(history)
    for kind, data in (current.get("kinds") or {}).items():
        pages, with_items = int(data["pages"]), int(data["pages_with_items"])
        primary = data.get("item") or primary_item(kind)
        word = ITEM_WORDS.get(primary, primary)
        page_example = data.get("empty_page_example")
        rows = (data.get("items") or {}).get(primary, {"rows": 0, "filled": {}, "empty_example": {}})
        before = past.get(kind)
        if not pages:
            continue
        # Pages that gave their kind's item.
        pages_message = f"{with_items} of {pages} {kind} pages gave {word}"
        if kind in required and (pages - with_items) / pages > limits.empty_pages_max:
            found.append(Drift(kind, "pages", pages_message, page_example))
        elif before and before["pages"]:
            usual = before["pages_with_items"] / before["pages"]
            if dropped(with_items / pages, usual, usual * pages, limits):
                found.append(Drift(kind, "pages", f"{pages_message} (recent runs: {percent(usual)})", page_example))
        # Entries per page that gave any, for the kinds that list entries: a walk's empty last page
        # (the end of a "load more" listing) is judged by the share above, not here.
        if primary == "listing_entry" and before and before["pages_with_items"] and with_items:
            usual_rows = before["items"].get(primary, {}).get("rows", 0)
            usual = usual_rows / before["pages_with_items"]
            now = rows["rows"] / with_items
            # Judged over enough pages only: a short walk (one or two pages) lists fewer or more
            # entries by where it stopped, not because the markup changed.
            if not any(d.kind == kind and d.field == "pages" for d in found) and dropped(
                now, usual, with_items, limits
            ):
                found.append(
                    Drift(
                        kind,
                        "entries",
                        f"{now:.1f} entries per {kind} page (recent runs: {usual:.1f})",
                        page_example or data.get("page_example"),
                    )
                )
        # Each field of each item class the kind gave; floors for the kind's own item only.
        for cls, counts in sorted((data.get("items") or {}).items()):
            found += field_drift(kind, cls, counts, (before or {}).get("items", {}).get(cls), required, primary, limits)
    parsed = sum(int(data["pages"]) for data in (current.get("kinds") or {}).values())
    items = sum(
        int(counts.get("rows", 0))
        for data in (current.get("kinds") or {}).values()
        for counts in (data.get("items") or {}).values()
    )
    if parsed and not items and not found:
        example = next(
            (data.get("empty_page_example") for data in current["kinds"].values() if data.get("empty_page_example")),
            None,
        )
        found.append(Drift("page", "items", f"{parsed} pages parsed gave no items at all", example))
    return found


def field_drift(
    kind: str,
    cls: str,
    counts: Mapping[str, Any],
    past: Mapping[str, Any] | None,
    required: Mapping[str, Sequence[str]],
    primary: str,
    limits: Thresholds,
) -> list[Drift]:
    """Findings for the fields of one item class on one kind of page."""
    found: list[Drift] = []
    count = int(counts.get("rows", 0))
    if not count:
        return found
    past_rows = int((past or {}).get("rows", 0))
    for name, filled in sorted((counts.get("filled") or {}).items()):
        example = (counts.get("empty_example") or {}).get(name)
        share = filled / count
        message = f"{kind} pages: {name} filled on {filled} of {count} {plural(cls)}"
        measure = name if cls == primary else f"{cls}.{name}"
        if cls == primary and name in required.get(kind, ()) and 1 - share > limits.empty_field_max:
            found.append(Drift(kind, measure, f"{message} (required)", example))
        elif past_rows:
            usual = (past or {}).get("filled", {}).get(name, 0) / past_rows
            if dropped(share, usual, usual * count, limits):
                found.append(Drift(kind, measure, f"{message} (recent runs: {percent(usual)})", example))
    return found


def plural(item: str) -> str:
    return {"article": "articles", "listing_entry": "entries"}.get(item, f"{item} rows")


def dropped(now: float, usual: float, expected: float, limits: Thresholds) -> bool:
    """True when `now` fell to at most `drop` of `usual` and enough was expected to tell."""
    return usual > 0 and expected >= limits.min_expected and now <= usual * limits.drop


def required_fields_of(spider) -> dict[str, tuple[str, ...]]:
    return dict(getattr(spider, "required_fields", None) or {})


class FieldYieldMonitor:
    """Counts yields during a run and judges them at spider close (before the CrawlRunRecorder)."""

    def __init__(self, crawler) -> None:
        if not crawler.settings.getbool("ARCHIVER_YIELD_ENABLED", True):
            raise NotConfigured
        self.crawler = crawler
        self.counter = YieldCounter()
        self.limits = Thresholds.from_settings(crawler.settings)

    @classmethod
    def from_crawler(cls, crawler):
        monitor = cls(crawler)
        crawler.signals.connect(monitor.response_received, signal=signals.response_received)
        crawler.signals.connect(monitor.item_done, signal=signals.item_scraped)
        crawler.signals.connect(monitor.item_done, signal=signals.item_dropped)
        crawler.signals.connect(monitor.spider_closed, signal=signals.spider_closed)
        return monitor

    def response_received(self, response: Response, request: Request, spider=None) -> None:
        if not answered(response):
            return
        kind = page_kind(request)
        if kind is not None:
            self.counter.page(kind, response.url, request.meta)

    def item_done(self, item, response: Response | None = None, spider=None, **kwargs) -> None:
        # Items of a page that answered an error (a language version's 404, noted as missing) say
        # nothing of the markup: that page is a missing page, not a page without its item.
        if response is None or not answered(response):
            return
        kind = page_kind(response.request) or "page"
        self.counter.item(kind, response.url, item)

    def history(self, site: str) -> list[dict]:
        """The yields of the site's recent successful runs, newest first."""
        engine = open_archive(self.crawler.settings.get("ARCHIVER_DB_URL"))
        try:
            with engine.connect() as connection:
                runs = recent_runs(connection, STATS_KEY, spider=site, statuses=["ok"], limit=self.limits.history_runs)
        finally:
            engine.dispose()
        return [run.value for run in runs if isinstance(run.value, dict)]

    def spider_closed(self, spider, reason: str) -> None:
        current = self.counter.as_stats()
        try:
            history = self.history(spider.name)
        except Exception as exc:  # an archive that cannot be read must not hide the floors
            logger.warning("field yield: cannot read past runs: %s", exc, extra={"spider": spider})
            history = []
        findings = judge(current, history, required_fields_of(spider), self.limits)
        lines = [finding.line(spider.name) for finding in findings]
        current["compared_with_runs"] = len(history)
        current["drift"] = [dataclasses.asdict(finding) for finding in findings]
        self.crawler.stats.set_value(STATS_KEY, current)
        self.crawler.stats.set_value(WARNINGS_KEY, lines)
        for line in lines:
            logger.info("field yield: %s", line, extra={"spider": spider})


def yield_rows(field_yield: Mapping[str, Any]) -> list[tuple]:
    """One run's yields as rows: kind, item, measure, filled, of, share (for `archiver stats --yields`)."""
    rows = []
    for kind, data in sorted((field_yield.get("kinds") or {}).items()):
        pages = int(data.get("pages", 0))
        primary = data.get("item") or primary_item(kind)
        with_items = int(data.get("pages_with_items", 0))
        rows.append((kind, "page", f"pages with {plural(primary)}", with_items, pages, share_of(with_items, pages)))
        for cls, counts in sorted((data.get("items") or {}).items()):
            count = int(counts.get("rows", 0))
            if cls == primary and pages:
                rows.append((kind, cls, "per page", count, pages, round(count / pages, 1)))
            for name, filled in sorted((counts.get("filled") or {}).items()):
                rows.append((kind, cls, name, filled, count, share_of(filled, count)))
    return rows


def share_of(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None
