"""What every archiver spider shares: the base URL (real host or a mirror), link handling, requests.

Spiders only extract: they yield raw items and requests, and leave every normalization but URL
resolution to the pipelines.

Incremental crawls and backfills (archiver/archive/incremental.py) need three calls from a spider:
`self.listing_request(url, callback)` for each listing it starts from; `self.walk_listing(response,
entries, next_page, article_callback=…, listing_callback=…)` on a listing page (requests for the
articles the run wants, and the next page unless the walk ends there); `self.article_requests(entries,
callback)` for entries found elsewhere (e.g. a "More From" block). `-a since=… -a until=…` bound the
run's dates, `-a refresh=1` fetches archived articles again.

What a killed run began, the next one finishes (`finish_earlier_runs`, when the run's own walks are
done): start walks it left unfinished are resumed from where they got to (archiver/archive/walks.py),
and entries listed but never fetched are requested (through `callback_for`). Walks are bounded
(ARCHIVER_WALK_MAX_BARREN_PAGES, ARCHIVER_WALK_MAX_LISTING_PAGES; archiver/archive/incremental.py).
Then archived articles due for a revisit are fetched again (spiders/revisit.py; `-a revisit=1`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import ClassVar
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response, TextResponse
from scrapy.settings import SETTINGS_PRIORITIES, BaseSettings
from scrapy.utils.response import get_base_url

from archiver import __version__
from archiver.archive.diskfull import disk_full, stop_for_disk_full
from archiver.archive.engine import open_archive
from archiver.archive.incremental import (
    BARREN,
    START,
    WALK,
    WALK_ID,
    ArchiveKnowledge,
    DateRange,
    Entry,
    WalkPolicy,
)
from archiver.archive.pages import write_snapshots_first
from archiver.archive.sources import (
    COVERAGE_GAPS,
    ENDED_WORDS,
    KnownSource,
    SourceLog,
    SourceSighting,
    known_sources,
    uncovered,
)
from archiver.archive.walks import ENDINGS, WalkLog
from archiver.items import ListingEntryItem
from archiver.normalize.dates import DateNormalizer
from archiver.normalize.urls import canonical_url, check_site_url, is_http_url, same_site
from archiver.settings import PLACEHOLDER_CONTACT
from spiders.revisit import Revisiting

#: Request.meta keys of a walk (WALK, WALK_ID, BARREN: archiver/archive/incremental.py, where the walk
#: counters of archiver/middlewares/walks.py read them too), and how many pages a resumed walk still
#: goes on through archived entries.
RESUMING = "archiver_resuming"
#: Request.meta key marking the pages of a walk resumed from the walk log (its end ends the earlier run's walk).
RESUMED = "archiver_resumed"
#: Request.meta key: the page's place in its start walk (absent on the first). A walk whose first
#: page in a run has one was resumed mid-way (the walk log, a backfill's job folder).
WALK_PAGE = "archiver_walk_page"
#: Articles go before the next listing page: the walk stays just ahead of the articles it finds, so
#: the queue stays short and "listings at" in the progress line says how far back the run has come.
#: In a crawl too: a first crawl walks every listing to its end, and in Scrapy's order its queue held
#: an eighth of the site's articles (2,462 requests at 20,000; issue 27).
ARTICLE_PRIORITY = 1


def day_argument(value: str | date | None, name: str) -> date | None:
    """A `since`/`until` spider argument (YYYY-MM-DD) as a date."""
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(f"{name} must be a date (YYYY-MM-DD), got {value!r}") from None


#: The earliest day any site's pages can be from: the archive keeps no date before it (archiver/normalize/dates.py).
EARLIEST_DAY = date(1900, 1, 1)


def check_range(dates: DateRange, first_day: date) -> None:
    """ValueError (one line) when `since` is before the site's first day or `until` in the future."""
    if dates.since and dates.since < first_day:
        raise ValueError(f"since {dates.since} is before {first_day}, the site's first possible day")
    latest = datetime.now(UTC).date() + timedelta(days=1)  # the site's day may be ahead of UTC (Pyongyang)
    if dates.until and dates.until > latest:
        raise ValueError(f"until {dates.until} is in the future (today is {latest - timedelta(days=1)} UTC)")


def flag_argument(value: object) -> bool:
    """A spider argument that switches something on (`-a refresh=1`)."""
    return str(value).strip().lower() not in ("", "0", "false", "no", "off", "none")


def polite_user_agent(settings: BaseSettings) -> str | None:
    """The project's User-Agent naming the operator's contact (ARCHIVER_CONTACT, as set for this run).

    None when USER_AGENT itself was set above the project's default: then it is used as given.
    """
    if (settings.getpriority("USER_AGENT") or 0) > SETTINGS_PRIORITIES["project"]:
        return None
    return f"newsarchiver/{__version__} (+{settings.get('ARCHIVER_CONTACT')})"


#: Host names that are never a real site: loopback, and the TLDs reserved for tests and examples.
NOT_REAL_HOSTS = re.compile(r"^(?:localhost|127(?:\.\d+){3}|\[?::1\]?)$|\.(?:test|example|invalid|localhost)$")


def contact_warning(settings: BaseSettings, base_url: str) -> str | None:
    """The warning for a crawl of a real host whose User-Agent names the placeholder contact, else None.

    It looks at the User-Agent the run sends (a spider sets it at spider priority from ARCHIVER_CONTACT,
    see `update_settings`), so a USER_AGENT of the operator's own, or their contact, silences it.
    """
    host = urlsplit(base_url).hostname or ""
    if NOT_REAL_HOSTS.search(host):
        return None
    if PLACEHOLDER_CONTACT not in str(settings.get("USER_AGENT") or ""):
        return None
    return (
        f"ARCHIVER_CONTACT is not set: the User-Agent sent to {host} names the project, not you. "
        "Set it to a way to reach you: export ARCHIVER_CONTACT=mailto:you@example.org (or -s ARCHIVER_CONTACT=...)"
    )


@lru_cache(maxsize=1024)
def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/"


@lru_cache(maxsize=2048)
def resolve_link(base: str, href: str, site_base_url: str) -> str | None:
    """`href` on a page whose base URL is `base` ("" for an absolute href), as ArchiverSpider.link
    gives it. Cached: a page links the same addresses many times, and pages link the same ones."""
    url = canonical_url(urljoin(base, href) if base else href)
    if not is_http_url(url) or not same_site(url, site_base_url):
        return None
    return url


class ArchiverSpider(Revisiting, scrapy.Spider):
    """A spider for one site whose paths are fixed and whose host may be a mirror (`base_url`)."""

    #: The real host; `-a base_url=…` / `--base-url` points the same paths at another host.
    default_base_url: str = ""
    #: How the site prints numeric dates.
    date_order: str = "DMY"
    #: No page of the site can be older: `since` before it is refused (a backfill from year 1 would
    #: walk, or request a day archive for, every day since). Sites that know better say so.
    first_day: ClassVar[date] = EARLIEST_DAY
    #: The `site` value of the spider's items, when it is not the spider's name.
    site: str | None = None
    #: `archiver check`'s sample pages: page kind → root-relative paths of the real site.
    check_urls: ClassVar[dict[str, list[str]]] = {}
    #: Page kind → item fields that must come out non-empty (after the pipelines) on every page of
    #: that kind: `archiver check` fails without them, and the field-yield monitor's floors
    #: (archiver/extensions/fieldyield.py) watch them. A kind named here must give items.
    required_fields: ClassVar[dict[str, tuple[str, ...]]] = {
        "article": ("title", "body", "published_on"),
        "listing": ("article_url", "listed_on"),
        "fragment": ("article_url", "listed_on"),
        "feed": ("article_url",),
    }

    def __init__(
        self,
        base_url: str | None = None,
        *args,
        since: str | date | None = None,
        until: str | date | None = None,
        refresh: object = False,
        revisit: object = None,
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.dates = DateRange(day_argument(since, "since"), day_argument(until, "until"))
        check_range(self.dates, self.first_day)
        self.refresh = flag_argument(refresh)
        self.revisit = None if revisit is None else flag_argument(revisit)
        # Replaced at spider open by one that knows the archive (see open_walk).
        self.policy = WalkPolicy(dates=self.dates, refresh=self.refresh)
        self._entry_dates = DateNormalizer()
        try:
            self.base_url = check_site_url(base_url or self.default_base_url)
        except ValueError as exc:
            raise ValueError(f"base_url: {exc}") from None
        self.allowed_domains = [urlsplit(self.base_url).hostname]

    def url(self, path: str) -> str:
        """The absolute, canonical URL of a site path."""
        return canonical_url(path, self.base_url + "/")

    def link(self, response: Response, href: str | None) -> str | None:
        """A link on a page as a canonical absolute URL, or None when it leaves the site or http(s)."""
        if not href:
            return None
        href = href.strip()
        if href.startswith(("http://", "https://")):
            base = ""  # an absolute link is the same on every page: one cache entry for all of them
        else:
            base = get_base_url(response) if isinstance(response, TextResponse) else response.url
            if href.startswith("/") and not href.startswith("//"):
                base = origin_of(base)  # a root-relative link: only the base's origin counts
        return resolve_link(base, href, self.base_url)

    def callback_for(self, url: str) -> Callable[[Response], Iterable[object]] | None:
        """The parse method for a stored page of this site (used by `archiver reparse`), None to skip it.

        Each spider maps its URL patterns to its callbacks; pages it does not parse return None.
        """
        return None

    def parse(self, response: Response, **kwargs) -> Iterable[object]:
        """A page of the site parsed by the callback its URL calls for (`callback_for`): what a request
        without a callback gets, e.g. `scrapy parse URL`. A page the spider does not read gives nothing,
        and one line says so."""
        callback = self.callback_for(response.url)
        if callback is None:
            self.logger.warning("%s: not a page %s parses (no callback for this URL)", response.url, self.name)
            return ()
        return callback(response)

    def follow_all(self, urls: Iterable[str | None], callback, **kwargs) -> Iterable[scrapy.Request]:
        for url in urls:
            if url:
                yield scrapy.Request(url, callback=callback, **kwargs)

    # Incremental crawls and backfills ---------------------------------------------------------
    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        super().update_settings(settings)
        user_agent = polite_user_agent(settings)
        if user_agent:
            settings.set("USER_AGENT", user_agent, priority="spider")

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.open_walk, signal=signals.spider_opened)
        crawler.signals.connect(spider.finish_earlier_runs, signal=signals.spider_idle)
        crawler.signals.connect(spider.close_walk_log, signal=signals.spider_closed)
        crawler.signals.connect(spider.close_revisits, signal=signals.spider_closed)
        return spider

    def open_walk(self, spider=None) -> None:
        """Learn once, at spider open, which of the site's articles the archive already holds."""
        settings = self.crawler.settings
        warning = contact_warning(settings, self.base_url)
        if warning:
            self.logger.warning(warning)
        knowledge = ArchiveKnowledge.load(settings.get("ARCHIVER_DB_URL"), self.site or self.name)
        self.policy = WalkPolicy(
            knowledge,
            self.dates,
            mode=settings.get("ARCHIVER_MODE", "crawl"),
            refresh=self.refresh,
            max_barren_pages=settings.getint("ARCHIVER_WALK_MAX_BARREN_PAGES", 10),
            max_listing_pages=settings.getint("ARCHIVER_WALK_MAX_LISTING_PAGES", 5000),
        )
        self.crawler.stats.set_value("archiver/walk/archived_at_start", len(knowledge))
        self.open_walk_log()
        self.open_revisits()

    def plan_walks(self, count: int) -> None:
        """How many start walks this run will begin, when the spider knows before they are all scheduled
        (Scrapy takes start requests one at a time): the progress display's total (archiver/walk/planned)."""
        self.count("walk/planned", count)

    def count(self, key: str, value: int = 1) -> None:
        crawler = getattr(self, "crawler", None)
        if crawler is not None:
            crawler.stats.inc_value(f"archiver/{key}", value)

    def entry_date(self, entry: ListingEntryItem) -> date | None:
        """The date an entry is listed under, for the walk's decisions only (the dates pipeline
        normalizes what is stored). Spiders whose URLs carry dates may fall back on them."""
        if not entry.date_raw:
            return None
        return self._entry_dates.parse(entry.date_raw, order=entry.date_order).value

    def listing_request(self, url: str, callback, *, walk: str = START, **kwargs) -> scrapy.Request:
        """A request for a listing page. `walk`: START for the listings the run starts from, SIDE for a
        listing found on an article page (walked only while it offers something new)."""
        meta = {"page_kind": "listing", **kwargs.pop("meta", {}), WALK: walk}
        if walk == START:
            meta.setdefault(WALK_ID, url)
        return scrapy.Request(url, callback=callback, meta=meta, **kwargs)

    def walk_listing(
        self,
        response: Response,
        entries: Sequence[ListingEntryItem],
        next_page: str | None,
        *,
        article_callback,
        listing_callback,
        end: str = "end",
    ) -> Iterator[scrapy.Request]:
        """Requests for one listing page: its articles the run wants, then its next page unless the
        walk ends here (archived, older than `since`, or a side walk with nothing new).

        `end`: why there is no next page, when there is none (the walk log's `ended`): "end" (the
        listing's last page), or a spider's own reason ("no_source_id", "since", "archive")."""
        meta = response.request.meta if response.request is not None else {}
        walk = meta.get(WALK, START)
        seen = [Entry(entry.article_url, self.entry_date(entry)) for entry in entries]
        stop = self.policy.why_stop(seen, walk)  # before the page's own requests are counted
        if stop == "all_archived" and meta.get(RESUMING, 0) > 0:
            stop = None  # resuming a walk an earlier run was cut short on: its pages were seen already
        bound, barren = self.policy.visit_listing(seen, meta.get(BARREN, 0))
        stop = stop or bound
        self.count("walk/listing_pages")
        dated = [e.listed_on for e in seen if e.listed_on is not None]
        crawler = getattr(self, "crawler", None)
        if dated and walk == START and crawler is not None:
            crawler.stats.min_value("archiver/walk/oldest_listed_on", min(dated).isoformat())
            crawler.stats.max_value("archiver/walk/newest_listed_on", max(dated).isoformat())
        yield from self._requests_for(seen, article_callback)
        self.log_walk(meta, response.url, listing_callback, stop=stop, next_page=next_page, dated=dated, end=end)
        if not next_page:
            return
        if stop is None:
            follow = {key: meta[key] for key in (WALK_ID, RESUMED) if key in meta}
            if meta.get(RESUMING, 0) > 1:
                follow[RESUMING] = meta[RESUMING] - 1
            follow[WALK_PAGE] = meta.get(WALK_PAGE, 1) + 1
            yield self.listing_request(next_page, listing_callback, walk=walk, meta={**follow, BARREN: barren})
        else:
            self.count(f"walk/stopped/{stop}")

    def article_requests(self, entries: Sequence[ListingEntryItem], callback) -> Iterator[scrapy.Request]:
        """Requests for the articles of entries found outside a paginated listing ("More From")."""
        yield from self._requests_for([Entry(e.article_url, self.entry_date(e)) for e in entries], callback)

    def article_request(self, url: str, callback, *, listed_on: date | None = None) -> scrapy.Request | None:
        """A request for one article found by its URL alone (e.g. a translation), or None to skip it."""
        return next(iter(self._requests_for([Entry(url, listed_on)], callback)), None)

    def _requests_for(self, entries: Sequence[Entry], callback) -> Iterator[scrapy.Request]:
        for entry in entries:
            reason = self.policy.take(entry)
            if reason is None:
                yield scrapy.Request(
                    entry.url, callback=callback, priority=ARTICLE_PRIORITY, meta={"page_kind": "article"}
                )
            elif reason != "requested":
                self.count(f"walk/skipped/{reason}")

    # Finishing what earlier runs began (archiver/archive/walks.py) --------------------------------
    def open_walk_log(self) -> None:
        """Read which start walks an earlier run left unfinished; keep their trails until resumed."""
        self._walk_engine = open_archive(self.crawler.settings.get("ARCHIVER_DB_URL"))
        self.walk_log = WalkLog(self._walk_engine, self.site or self.name)
        self.source_log.engine = self._walk_engine
        self._unfinished = self.walk_log.unfinished()
        for start_url, trail in self._unfinished.items():
            self.walk_log.pin(start_url, trail)
        self._walk_callbacks: dict[str, Callable] = {}
        self._earlier_runs_done = False
        self.crawler.stats.set_value("archiver/walk/unfinished_at_start", len(self._unfinished))

    def log_walk(
        self,
        meta: dict,
        url: str,
        listing_callback,
        *,
        stop: str | None,
        next_page: str | None,
        dated: Sequence[date] = (),
        end: str = "end",
    ) -> None:
        walk_id = meta.get(WALK_ID)
        log = getattr(self, "walk_log", None)
        if walk_id is None or log is None or meta.get(WALK, START) != START:
            return
        self._walk_callbacks.setdefault(walk_id, listing_callback)
        log.saw(walk_id, dated, from_top=WALK_PAGE not in meta and not meta.get(RESUMED))
        if disk_full(self.crawler):
            return
        try:
            if stop == "max_listing_pages" and next_page:
                log.cut_short(walk_id, next_page)
            elif stop is not None or not next_page:
                if meta.get(RESUMED):
                    log.unpin(walk_id)  # the earlier run's walk, resumed, has ended too
                how = ENDINGS.get(stop, stop) if stop else end
                log.finished(walk_id, how, self.dates.since if how == "since" else None)
            else:
                write_snapshots_first(self.crawler.signals)  # the page before its place on the trail
                log.reached(walk_id, url)
        except Exception as exc:
            if not stop_for_disk_full(self.crawler, exc):
                raise

    def finish_earlier_runs(self, spider=None) -> None:
        """When the run's own walks are done: resume each walk an earlier run left unfinished, from
        the oldest page of its trail, and request every listed article never fetched (a killed run
        listed it, or its fetch failed). Once per run; then, once that is done too, the revisits."""
        if getattr(self, "_earlier_runs_done", True):
            self.start_revisits()
            return
        self._earlier_runs_done = True
        requests = []
        # A job folder (a resumable backfill) keeps Scrapy's own queue, and a distributed crawl its
        # shared one in Redis: they resume the walks themselves. (A worker would otherwise "resume" a
        # walk another worker is still on, and fetch its pages again.)
        settings = self.crawler.settings
        queued = settings.get("JOBDIR") or settings.get("ARCHIVER_REDIS_CRAWL_ID")
        unfinished = {} if queued else self._unfinished
        for start_url, trail in unfinished.items():
            callback = self._walk_callbacks.get(start_url)
            if callback is None:
                continue  # this run did not walk that listing at all
            meta = {WALK_ID: start_url, RESUMING: len(trail) + 1, RESUMED: True}
            # dont_filter: this run's own walk may have stopped on that very page (all archived).
            requests.append(self.listing_request(trail[0], callback, walk=START, meta=meta, dont_filter=True))
            self.count("walk/resumed")
        limit = self.crawler.settings.getint("ARCHIVER_PENDING_MAX", 1000)
        for entry in self.policy.knowledge.pending[: limit or None]:
            callback = self.callback_for(entry.url)
            if callback is not None:
                for request in self._requests_for([entry], callback):
                    requests.append(request)
                    self.count("walk/pending_requested")
        for request in requests:
            self.crawler.engine.crawl(request)
        if requests:
            raise DontCloseSpider
        self.start_revisits()

    def close_walk_log(self, spider=None, reason: str = "") -> None:
        """At spider close (the pipelines have written everything): record how the walks ended."""
        engine = getattr(self, "_walk_engine", None)
        if engine is None:
            return
        try:
            if not disk_full(self.crawler):
                self.walk_log.close()
                self.source_log.flush()
                if reason == "finished":
                    self.judge_coverage(engine)
        except Exception as exc:
            if not stop_for_disk_full(self.crawler, exc):
                raise
        finally:
            engine.dispose()

    # Sources, and coverage: the listings a run had to walk, and what it left unread --------------
    @property
    def source_log(self) -> SourceLog:
        """The sources (modules, categories) this run saw, for table `sources` (written at close)."""
        if "_source_log" not in self.__dict__:
            self._source_log = SourceLog(None, self.site or self.name)
        return self._source_log

    def saw_source(self, sighting: SourceSighting) -> bool:
        """Note a listing a page named; True when it is new to this run."""
        return self.source_log.saw(sighting)

    def archived_sources(self, kind: str) -> list[KnownSource]:
        """The site's sources (or modules) of this kind the archive has seen, read once per run."""
        cache = self.__dict__.setdefault("_archived_sources", {})
        if kind not in cache:
            engine = getattr(self, "_walk_engine", None)  # a run's (not `archiver check`'s, nor a test's)
            cache[kind] = known_sources(engine, self.site or self.name, kinds=(kind,)) if engine is not None else []
        return cache[kind]

    def sources_to_cover(self, engine) -> list[KnownSource]:
        """The listings a backfill must walk over its whole range (archiver/archive/sources.py);
        each spider names its own (KCNA Watch: every source ever seen). None by default."""
        return []

    def judge_coverage(self, engine) -> None:
        """One line per listing the run left part of (archiver/coverage/gaps; the run is then
        `degraded`): in a backfill, each source the walks do not cover over --since…--until; in any
        run, a walk that could not go past its first page (`no_source_id`)."""
        site = self.site or self.name
        lines = []
        named: set[str] = set()
        # A distributed backfill's workers share the walks: none of them alone can judge the range.
        if self.policy.mode == "backfill" and not self.crawler.settings.get("ARCHIVER_REDIS_CRAWL_ID"):
            until = self.dates.until or datetime.now(UTC).date()
            span = f"{self.dates.since or 'the first entry'} … {until}"
            for source, why in uncovered(engine, site, self.sources_to_cover(engine), self.dates.since, until):
                lines.append(f"{site}: {source.label}: {why} — the backfill's range {span} is not covered")
                named.add(source.url)
        for url, reach in sorted(self.walk_log.reach.items()):
            if reach.ended == "no_source_id" and url not in named:
                lines.append(f"{site}: {url}: {ENDED_WORDS['no_source_id']} — only its first page was read")
        if lines:
            self.crawler.stats.set_value(COVERAGE_GAPS, lines)
            for line in lines:
                self.logger.warning(line)
