"""A Scrapy extension showing how far a crawl has come: a bar on a terminal, a plain line every N seconds elsewhere.

    rstv: 65 of 90 days (72%), about 0:00:42 left; 312 pages, 640 entries, 58 articles fetched, 41 stored as new, 12 queued

Every figure is read from the crawler's stats or scheduler, never from a spider's insides, so it is
the figure the summary gives at the end:

- "65 of 90 days": start walks ended of those begun (archiver/middlewares/walks.py), or of those the
  spider planned when it knows them all at the start (`ArchiverSpider.plan_walks`). A walk is one
  day archive of an RSTV day-archive backfill ("day archives": a day of a module), one listing otherwise ("listings": a KCNA
  Watch backfill's source listings, a crawl's home listing). The time left is at the rate they end;
- pages: responses received; entries: listing entries found (seen again or new); articles fetched:
  article pages that gave an article; stored as new: articles written to the archive so far (the
  store writes in batches, so this trails the fetches by up to a batch until the run ends);
- queued: requests waiting in the scheduler; errors, once there are any; oldest listing: the oldest
  listing date a start walk reached (how far back a backfill has come).

Enabled by ARCHIVER_PROGRESS (the `archiver` commands set it unless -q); ARCHIVER_PROGRESS_INTERVAL is
the seconds between lines when stderr is not a terminal (0: none). At the end the task is drawn once
more with the final figures (a last line on a pipe).
"""

from __future__ import annotations

from scrapy import signals
from scrapy.exceptions import NotConfigured
from twisted.internet import task

from archiver.archive.runlog import errors_of
from archiver.progress import Display, release_shared, shared_display

BEGUN = "archiver/walk/begun/"
ENDED = "archiver/walk/ended"
PLANNED = "archiver/walk/planned"  # set by a spider that knows its walks before it schedules them all
#: The unit of a start walk, by the page kind of its first page.
UNITS = {"day_archive": "day archives"}


def walks(stats: dict) -> tuple[int, int, str]:
    """(walks ended, walks begun, unit) from the stats of archiver/middlewares/walks.py."""
    begun = {key[len(BEGUN) :]: int(value or 0) for key, value in stats.items() if key.startswith(BEGUN)}
    total = sum(begun.values())
    kinds = {kind for kind, count in begun.items() if count > 0}
    unit = UNITS.get(kinds.pop(), "listings") if len(kinds) == 1 else "listings"
    ended = int(stats.get(ENDED, 0) or 0)
    return ended, max(total, ended, int(stats.get(PLANNED, 0) or 0)), unit


def counts(stats: dict, queued: int | None) -> str:
    """The run's figures so far, as the summary will count them."""

    def count(key: str) -> int:
        return int(stats.get(key, 0) or 0)

    parts = [
        f"{count('response_received_count'):,} pages",
        f"{count('archiver/items/listing_entry'):,} entries",
        f"{count('archiver/items/article'):,} articles fetched",
        f"{count('archiver/articles/new'):,} stored as new",
    ]
    if queued is not None:
        parts.append(f"{queued:,} queued")
    errors = errors_of(stats)
    if errors:
        parts.append(f"{errors:,} errors")
    oldest = stats.get("archiver/walk/oldest_listed_on")
    if oldest:
        parts.append(f"oldest listing {oldest}")
    return ", ".join(parts)


class ProgressReporter:
    def __init__(self, crawler, interval: float) -> None:
        self.crawler = crawler
        self.interval = interval
        self.display: Display | None = None
        self.loop: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler):
        interval = crawler.settings.getfloat("ARCHIVER_PROGRESS_INTERVAL", 30)
        if not crawler.settings.getbool("ARCHIVER_PROGRESS") or interval <= 0:
            raise NotConfigured
        reporter = cls(crawler, interval)
        crawler.signals.connect(reporter.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(reporter.spider_closed, signal=signals.spider_closed)
        return reporter

    def spider_opened(self, spider) -> None:
        self.display = shared_display(self.interval)
        self.task = self.display.task(spider.name)
        self.loop = task.LoopingCall(self.report)
        self.loop.start(self.display.tick, now=False)

    def spider_closed(self, spider, reason: str) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        if self.display is not None:
            self.report(final=True)
            self.display = None
            release_shared()

    def report(self, final: bool = False) -> None:
        stats = self.crawler.stats.get_stats()
        done, total, unit = walks(stats)
        self.task.update(
            done if total else None,
            total or None,
            counts(stats, None if final else self.queued()),
            unit=unit,
            final=final,
        )

    def queued(self) -> int | None:
        """Requests waiting in the scheduler, when it can tell (Scrapy's own scheduler can)."""
        scheduler = getattr(getattr(self.crawler, "engine", None), "scheduler", None)
        try:
            return len(scheduler) if scheduler is not None else None
        except TypeError:
            return None
