"""A toy site that changes between runs, and a scenario of runs on it, for tests/test_revisits.py.

Seven articles of the toy spider (tests/support/toysite.py; each page prints a date) on one listing
page, served by a ValidatingMirror (ETags and 304s, as a real server answers conditional requests).
`SCENARIO` is the nightly life of the archive: each step changes the site, makes the archive older
(as if days had passed: first seen, last seen and revisited all move back), then crawls with
`revisit=1` and some settings.

`python -m tests.support.revisitsite toy DB_URL` plays the whole scenario in one process, one crawl
after the other in one reactor (a process per crawl would cost a Python and Scrapy start each), and
prints one JSON line per step: its summary line, the run's stats, and the (path, status) of every
request the site answered. `… kcnawatch DB_URL` plays `KCNA_SCENARIO` on the bundled KCNA Watch
sample site: a first crawl, a run with nothing due, a run after a title was corrected and an
article deleted.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from archiver.archive.engine import open_archive, session_factory
from archiver.archive.models import Article
from archiver.mirror import FULL_SPEED
from archiver.mirror.server import Resource
from tests.support.faultserver import redirect
from tests.support.snapshots import ValidatingMirror
from tests.support.toysite import html, listing_page

COUNT = 7
EDITED_TITLE = "Toy story one, corrected"
MOVED_DATE = "13/03/2024"


def paragraphs_of(number: int) -> list[str]:
    return [
        f"Story {number} happened on a quiet morning in the toy town.",
        f"Officials said story {number} would be remembered for a long time.",
        f"Then story {number} ended, and everybody went home.",
    ]


def article_page(
    number: int, *, title: str | None = None, paragraphs: list[str] | None = None, day: str = ""
) -> Resource:
    paragraphs = paragraphs if paragraphs is not None else paragraphs_of(number)
    day = day or f"{number:02d}/03/2024"
    text = "".join(f"<p>{p}</p>" for p in paragraphs)
    return html(
        f"<h1>{title or f'Toy story {number}'}</h1><p class='date'>Date: {day}</p><div class='text'>{text}</div>"
    )


def routes(count: int = COUNT) -> dict[str, Resource]:
    site = {
        "/robots.txt": Resource(b"User-agent: *\nAllow: /\n", "text/plain"),
        "/": html("<h1>Toy town news</h1><a href='/list/'>All stories</a>"),
        "/list/": listing_page(list(range(count, 0, -1)), None),
    }
    for number in range(1, count + 1):
        site[f"/a/{number}/"] = article_page(number)
    return site


def path(number: int) -> str:
    return f"/a/{number}/"


@dataclass
class Step:
    name: str
    change: Callable[[dict[str, Resource]], None] = lambda site: None
    days: float = 0  # how much older the archive gets before the run
    settings: dict = field(default_factory=dict)


def edits(site: dict[str, Resource]) -> None:
    """A title corrected, a paragraph removed, a date changed, two articles deleted, one redirected home."""
    site[path(1)] = article_page(1, title=EDITED_TITLE)
    site[path(2)] = article_page(2, paragraphs=paragraphs_of(2)[:1] + paragraphs_of(2)[2:])
    site[path(3)] = article_page(3, day=MOVED_DATE)
    del site[path(4)]
    site[path(5)] = redirect("/")
    del site[path(6)]


def restore(site: dict[str, Resource]) -> None:
    site[path(6)] = article_page(6)


SCENARIO = [
    Step("first"),
    Step("edited", edits, days=1.1),  # every article is a day old: all due
    Step("confirmed"),  # the next run: only the three seen taken down are asked again
    Step("restored", restore, days=6),  # a week old: all due again; one of the removed is back
    Step("nothing due"),  # the nightly cost of an unchanged site: its listing, nothing else
    Step("budget", days=23, settings={"ARCHIVER_REVISIT_BUDGET": 2}),  # 30 days: all due, two asked
]

SETTINGS = {
    **FULL_SPEED,
    "ROBOTSTXT_OBEY": False,
    "LOG_LEVEL": "WARNING",
    "STATS_DUMP": False,
    "ARCHIVER_YIELD_ENABLED": False,  # one listing page a run is no drift to judge
    "SPIDER_MODULES": ["spiders", "tests.support.toysite"],
}


def age(db_url: str, days: float) -> None:
    """As if `days` had passed: every time the archive keeps of its articles moves back."""
    engine = open_archive(db_url)
    shift = timedelta(days=days)
    try:
        with session_factory(engine).begin() as session:
            for article in session.query(Article):
                article.first_seen_at -= shift
                article.last_seen_at -= shift
                if article.revisited_at is not None:
                    article.revisited_at -= shift
    finally:
        engine.dispose()


def kcnawatch_edits(site: dict[str, Resource]) -> None:
    """One title corrected (in the page and its head), one article deleted."""
    page = site[KCNA_EDITED]
    site[KCNA_EDITED] = Resource(page.body.replace(KCNA_TITLE.encode(), KCNA_NEW_TITLE.encode()), page.content_type)
    del site[KCNA_DELETED]


KCNA_EDITED = "/newstream/1708300800-805512310/forum-for-freedom-of-nations-held-in-russia/"
KCNA_TITLE = "First Meeting of Forum “For Freedom of Nations” Held in Russia"
KCNA_NEW_TITLE = "First Meeting of International Forum “For Freedom of Nations” Held in Russia"
KCNA_DELETED = "/newstream/1769302906-800839414/the-farm-machine-institute-has-been-successfully-built-as/"
KCNA_SCENARIO = [
    Step("first"),
    Step("nothing due"),  # the nightly cost of an unchanged site: robots.txt and the feed
    Step("edited", kcnawatch_edits, days=1.1),
]
KCNA_SETTINGS = {**FULL_SPEED, "LOG_LEVEL": "WARNING", "STATS_DUMP": False}


def play(db_url: str, spider: str, out) -> None:
    """Each step of the spider's scenario in turn: change the site, age the archive, crawl; a JSON
    line per step on `out`."""
    from scrapy.crawler import Crawler, CrawlerProcess
    from scrapy.utils.reactor import install_reactor

    from archiver.crawl.runner import RunSummary, base_settings

    if spider == "kcnawatch":
        from archiver.mirror.sample_sites import kcnawatch_site
        from spiders.kcnawatch import KcnaWatchSpider as spidercls

        steps, pages, overrides = KCNA_SCENARIO, kcnawatch_site(), KCNA_SETTINGS
    else:
        from tests.support.toysite import ToySpider as spidercls

        steps, pages, overrides = SCENARIO, routes(), SETTINGS
    settings = base_settings(db_url, "crawl", overrides)
    install_reactor(settings["TWISTED_REACTOR"])
    from twisted.internet import defer, reactor

    site = ValidatingMirror(pages)
    process = CrawlerProcess(settings)

    @defer.inlineCallbacks
    def run_all():
        try:
            for step in steps:
                step.change(site.site)
                if step.days:
                    age(db_url, step.days)
                site.requests.clear()
                crawler = Crawler(spidercls, base_settings(db_url, "crawl", {**overrides, **step.settings}))
                yield process.crawl(crawler, base_url=site.base_url, revisit="1")
                stats = dict(crawler.stats.get_stats())
                asked = sorted((p, headers["_status"]) for p, headers in site.requests)
                line = RunSummary(spidercls.name, stats).line()
                record = {"step": step.name, "line": line, "stats": stats, "asked": asked}
                out.write(json.dumps(record, default=str) + "\n")
        finally:
            reactor.stop()

    with site:
        reactor.callWhenRunning(run_all)
        process.start(stop_after_crawl=False)


def main(argv: list[str]) -> int:
    spider, db_url = argv
    play(db_url, spider, sys.stdout)
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
