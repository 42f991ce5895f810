"""Revisits: archived articles fetched again at the end of a crawl, and what their answers say.

`ArchiverSpider` (spiders/base.py) takes this mixin. When the run's own work is done (its walks,
what earlier runs left), `start_revisits` asks the archive which articles are due
(archiver/archive/revisits.py: ages, a sample, a budget) and requests each once more: a GET that
the conditional-request middleware turns into "changed since?", so that an unchanged page costs a
304 and is parsed from the stored copy. Redirects are not followed (a redirect is an answer to
judge, and the budget counts requests). `parse_revisit` judges the answer:

- the page, parsed by the spider's own callback for the URL: its article item goes to the store
  (a changed text becomes a new version); the other items and requests it gives are left out (a
  revisit looks at the article, it does not crawl from it);
- taken down: 404/410 (ARCHIVER_GONE_STATUSES), a redirect to a listing or the home page (any page
  the spider would not parse as an article), or a page without an article body whose title or
  headings say "not found" (`not_found_texts`, assumed wordings in the sites' languages);
- moved: a redirect to another article address, which is then requested (within the budget);
- neither (a page without a body that does not say "not found", a 403): nothing is marked, and a
  page without a body is warned about like any article page (archiver/middlewares/bodyless.py).

At spider close the takedowns and answers are counted with the 404s (archiver/archive/gone.py),
so an article is removed on the first such revisit, confirmed on the next run, and restored when
it answers again (archiver/archive/takedowns.py). Whether a run revisits: the `revisit` argument
(`--revisit`), else only an ordinary crawl of the real site (not a backfill, not a mirror); never a
distributed crawl (its workers would all ask for the same articles: a plain crawl revisits).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import ClassVar
from urllib.parse import urlsplit

import scrapy
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response, TextResponse

from archiver.archive.diskfull import disk_full, stop_for_disk_full
from archiver.archive.models import utcnow
from archiver.archive.revisits import REVISIT, Chosen, RevisitPolicy, load_candidates, record_outcomes
from archiver.items import ArticleItem

REDIRECTS = (301, 302, 303, 307, 308)
#: What a page that stands in for a removed article says in its title or headings (assumed: no
#: removed page of either site has been seen). Checked only on a revisit that found no article body.
NOT_FOUND_TEXTS = (
    r"\b(?:page|article|post|entry|material|news|story|document|content)s?\b[^.!?]{0,30}"
    r"\b(?:not|n't|could not|cannot|can ?not) (?:be )?found",
    r"\b404\b",
    r"\bnot found\b",
    r"\bnothing (?:was )?found\b",
    r"\bno longer (?:available|exists?)\b",
    r"\b(?:has|have) been (?:removed|deleted|withdrawn)\b",
    r"\bdoes(?:n't| not) exist\b",
    r"не найден",
    r"не существует",
    r"удален",
    r"nicht gefunden",
    r"existiert nicht",
    r"찾을 수 없",
    r"존재하지 않",
    r"找不到|不存在|已删除|已被删除",
    r"見つかりません",
)


def has_body(item: object) -> bool:
    return isinstance(item, ArticleItem) and any((p or "").strip() for p in (item.paragraphs or ()))


def is_home(url: str) -> bool:
    parts = urlsplit(url)
    return parts.path in ("", "/") and not parts.query


class Revisiting:
    """The revisits of an ArchiverSpider (see the module)."""

    not_found_texts: ClassVar[tuple[str, ...]] = NOT_FOUND_TEXTS
    #: Set by the spider's constructor: the `revisit` argument (None: decide by mode and host).
    revisit: bool | None = None
    _revisits_open = False

    # What spiders/base.py gives.
    crawler: scrapy.crawler.Crawler
    base_url: str
    default_base_url: str
    site: str | None
    name: str

    def open_revisits(self) -> None:
        """At spider open: nothing revisited yet."""
        self._revisits_open = True
        self._revisits_started = False
        self._revisit_budget = 0
        self._revisit_requests = 0
        self._taken_down: dict[str, int] = {}
        self._answered: set[str] = set()
        self._revisited: set[int] = set()
        self._gone_statuses = {
            int(code) for code in self.crawler.settings.getlist("ARCHIVER_GONE_STATUSES", [404, 410])
        }

    def revisits_wanted(self) -> bool:
        settings = self.crawler.settings
        if settings.get("ARCHIVER_REDIS_CRAWL_ID"):
            return False  # every worker of a distributed crawl would ask for the same articles
        if self.revisit is not None:
            return self.revisit
        mode = settings.get("ARCHIVER_MODE", "crawl")
        return mode == "crawl" and self.base_url == self.default_base_url.rstrip("/")

    def start_revisits(self) -> None:
        """Once per run, when everything else is done: request the articles due for a revisit."""
        if not self._revisits_open or self._revisits_started:
            return
        self._revisits_started = True
        if not self.revisits_wanted():
            return
        settings, stats = self.crawler.settings, self.crawler.stats
        policy = RevisitPolicy.from_settings(settings)
        if policy.off:
            return
        self._revisit_budget = policy.budget_for(int(stats.get_value("downloader/request_count", 0) or 0))
        stats.set_value("archiver/revisits/budget", self._revisit_budget)
        candidates = load_candidates(settings.get("ARCHIVER_DB_URL"), self.site or self.name)
        skip: set[str] = getattr(getattr(self, "policy", None), "requested", set())
        chosen = policy.choose(candidates, self._revisit_budget, utcnow(), skip=skip)
        for choice in chosen:
            stats.inc_value(f"archiver/revisits/chosen/{choice.why.replace(' ', '_')}")
            self.crawler.engine.crawl(self.revisit_request(choice))
        if chosen:
            raise DontCloseSpider

    def revisit_request(self, choice: Chosen) -> scrapy.Request:
        self._revisit_requests += 1
        self.crawler.stats.inc_value("archiver/revisits/requests")
        candidate = choice.candidate
        meta = {
            "page_kind": "article",
            REVISIT: {"article_id": candidate.article_id, "url": candidate.url, "state": candidate.state},
            "handle_httpstatus_list": sorted(self._gone_statuses | set(REDIRECTS)),
            "dont_redirect": True,
        }
        return scrapy.Request(candidate.url, callback=self.parse_revisit, meta=meta, dont_filter=True)

    def parse_revisit(self, response: Response) -> Iterator[object]:
        info = response.meta[REVISIT]
        url = info["url"]
        stats = self.crawler.stats
        stats.inc_value("archiver/revisits/fetched")
        if "not_modified" in response.flags:
            stats.inc_value("archiver/revisits/not_modified")
        status = response.status
        if status in self._gone_statuses:
            self.revisit_taken_down(info, status)
            return
        if status in REDIRECTS:
            yield from self.revisit_redirected(response, info)
            return
        if not 200 <= status < 300:
            stats.inc_value("archiver/revisits/unanswered")
            return
        callback = self.callback_for(url)  # type: ignore[attr-defined]  # ArchiverSpider's
        results = list(callback(response) or ()) if callback is not None else []
        articles = [item for item in results if has_body(item)]
        if articles:
            self.revisit_answered(info)
            yield from articles
        elif self.says_not_found(response):
            response.meta["archiver_may_be_empty"] = True  # a takedown notice, not a page the spider failed to read
            self.revisit_taken_down(info, status)

    def revisit_redirected(self, response: Response, info: dict) -> Iterator[scrapy.Request]:
        location = response.headers.get("Location")
        target = self.link(response, location.decode("latin-1")) if location else None  # type: ignore[attr-defined]
        url = info["url"]
        if target is None:  # another host, or no Location: nothing to judge by
            self.crawler.stats.inc_value("archiver/revisits/unanswered")
            return
        article_callback = self.callback_for(url)  # type: ignore[attr-defined]
        if target != url and not is_home(target) and self.callback_for(target) == article_callback:  # type: ignore[attr-defined]
            self.crawler.stats.inc_value("archiver/revisits/moved")
            self.revisit_answered(info)
            if self._revisit_requests < self._revisit_budget and article_callback is not None:
                self._revisit_requests += 1
                self.crawler.stats.inc_value("archiver/revisits/requests")
                yield scrapy.Request(target, callback=article_callback, meta={"page_kind": "article"})
            return
        self.revisit_taken_down(info, response.status)

    def says_not_found(self, response: Response) -> bool:
        """Whether the page's title or headings say that what was asked for is not there."""
        if not isinstance(response, TextResponse):
            return False
        words = " ".join(t.strip() for t in response.css("title ::text, h1 ::text, h2 ::text, h3 ::text").getall())
        return bool(not_found_pattern(self.not_found_texts).search(words))

    def revisit_taken_down(self, info: dict, status: int) -> None:
        self._taken_down[info["url"]] = status
        self._revisited.add(info["article_id"])
        outcome = {"": "removal_seen", "pending": "removed", "removed": "still_removed"}[info["state"]]
        self.crawler.stats.inc_value(f"archiver/revisits/{outcome}")

    def revisit_answered(self, info: dict) -> None:
        self._answered.add(info["url"])
        self._revisited.add(info["article_id"])
        outcome = {"pending": "removal_cleared", "removed": "restored"}.get(info["state"])
        if outcome:
            self.crawler.stats.inc_value(f"archiver/revisits/{outcome}")

    def close_revisits(self, spider=None, reason: str = "") -> None:
        """At spider close: the takedowns and answers counted, the revisited articles marked."""
        if not self._revisits_open or not self._revisited or disk_full(self.crawler):
            return
        settings = self.crawler.settings
        threshold = settings.getint("ARCHIVER_GONE_AFTER", 3)
        try:
            record_outcomes(
                settings.get("ARCHIVER_DB_URL"),
                self.site or self.name,
                self._taken_down,
                self._answered,
                self._revisited,
                threshold=threshold if threshold >= 1 else 2**31,
                run_id=self.crawler.stats.get_value("archiver/crawl_run_id"),
            )
        except Exception as exc:
            if not stop_for_disk_full(self.crawler, exc):
                raise


_PATTERNS: dict[tuple[str, ...], re.Pattern] = {}


def not_found_pattern(texts: tuple[str, ...]) -> re.Pattern:
    if texts not in _PATTERNS:
        _PATTERNS[texts] = re.compile("|".join(f"(?:{text})" for text in texts), re.IGNORECASE)
    return _PATTERNS[texts]
