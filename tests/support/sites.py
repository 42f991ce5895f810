"""Generated KCNA Watch mirrors for the incremental-crawl, backfill and lock tests.

One article a day at noon UTC (so listing date, article date and URL epoch agree), each with text of
its own (no two bodies or teasers alike, so nothing folds), spread over two sources. The site is a
callable so a test can change it between runs and slow article pages down to land a kill mid-crawl.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta

from archiver.mirror.kcnawatch import PYONGYANG, KcnaWatchMirror, SampleArticle
from archiver.mirror.server import Resource
from spiders.kcnawatch import ARTICLE_PATH

SOURCES = (("kass-en", "KASS (EN)"), ("naenara-en", "Naenara (En)"))


def daily_articles(first: date, days: int, *, post_base: int = 810000000) -> list[SampleArticle]:
    """One article a day from `first`, alternating between the two sources."""
    articles = []
    for n in range(days):
        day = first + timedelta(days=n)
        noon = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
        slug, name = SOURCES[n % len(SOURCES)]
        articles.append(
            SampleArticle(
                epoch=int(noon.timestamp()),
                post_id=post_base + n,
                slug=f"report-{day.isoformat()}",
                source_slug=slug,
                source_name=name,
                title=f"Report of {day:%B %d, %Y}",
                paragraphs=[
                    f"Dispatch {n} of {day.isoformat()}: the {n}th gathering was held in the capital.",
                    f"Speakers number {n * 7 + 3} addressed it.",
                ],
                signature="KCNA",
            )
        )
    return articles


def day_of(path: str) -> date | None:
    """The publication day (in Pyongyang, as the site dates it) an article path carries, None for any other page."""
    match = ARTICLE_PATH.search(path)
    return datetime.fromtimestamp(int(match.group(1)), tz=PYONGYANG).date() if match else None


class MirrorSite:
    """A KCNA Watch mirror as a MirrorServer site.

    `hold_after=N` serves N article pages, then holds every further article request until
    `release()` (or 30 s): a crawl is then certainly mid-way, with requests in flight, whenever the
    test stops it.
    """

    def __init__(self, articles: list[SampleArticle], *, hold_after: int | None = None) -> None:
        self.hold_after = hold_after
        self.served = 0
        self.gate = threading.Event()
        self._lock = threading.Lock()
        self.rebuild(articles)

    def rebuild(self, articles: list[SampleArticle]) -> None:
        self.articles = list(articles)
        self.pages = KcnaWatchMirror(self.articles).build()

    def release(self) -> None:
        self.gate.set()

    def __call__(self, target: str) -> Resource | None:
        if self.hold_after is not None and day_of(target):
            with self._lock:
                self.served += 1
                hold = self.served > self.hold_after
            if hold:
                self.gate.wait(timeout=30)
        return self.pages.get(target)


def article_hits(hits: Counter) -> Counter:
    return Counter({path: n for path, n in hits.items() if day_of(path)})


def listing_hits(hits: Counter) -> Counter:
    """Requests for the feed, `/newstream/`, source listings and their "load more" fragments."""
    return Counter({path: n for path, n in hits.items() if path != "/robots.txt" and not day_of(path)})


def wait_until(condition, timeout: float = 60.0, step: float = 0.02) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(step)
