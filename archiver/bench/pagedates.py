"""Date accuracy of the site-profile path: `archiver bench --only page-dates`.

The corpus (`datecorpus/`: article pages in the shapes of real CMS themes, and `corpus.json`: each
case's page, address and the `published_on` / `modified_on` a reader of the page would give, or
null where the page does not say) goes through the profile spider's article callback and the dates
pipeline exactly as a profile crawl runs it: a profile with no selectors and no URL date groups,
plus the `timezone` or `[dates] article` order a case names. Each field's answer is counted correct (the expected date, or empty where none is
expected), wrong (another date) or empty (no date where one is expected).
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlsplit

CORPUS = Path(__file__).resolve().with_name("datecorpus")
FIELDS = ("published_on", "modified_on")


@dataclass(frozen=True)
class Case:
    page: str  # the file in the corpus folder
    url: str  # the address the page was served under
    published: date | None
    modified: date | None
    timezone: str | None = None  # the profile's `timezone`
    date_order: str | None = None  # the profile's `[dates] article`

    @property
    def name(self) -> str:
        extras = [f"{key}={value}" for key in ("timezone", "date_order") if (value := getattr(self, key))]
        return self.page + (f" ({', '.join(extras)})" if extras else "")

    def expected(self, field: str) -> date | None:
        return self.published if field == "published_on" else self.modified


def cases(folder: Path = CORPUS) -> list[Case]:
    """The corpus's cases, in file order."""
    document = json.loads((folder / "corpus.json").read_text(encoding="utf-8"))
    day = lambda value: date.fromisoformat(value) if value else None  # noqa: E731
    return [
        Case(
            page=row["page"],
            url=row["url"],
            published=day(row["published"]),
            modified=day(row["modified"]),
            timezone=row.get("timezone"),
            date_order=row.get("date_order"),
        )
        for row in document["cases"]
    ]


class _Stats:
    """The part of Scrapy's stats collector the dates pipeline uses."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def set_value(self, key: str, value: Any) -> None:
        self.values[key] = value

    def inc_value(self, key: str, count: int = 1, start: int = 0) -> None:
        self.values[key] = self.values.get(key, start) + count


def profile_document(case: Case) -> dict[str, Any]:
    """The profile a crawl of the case's site would run by: no selectors, no URL date groups."""
    parts = urlsplit(case.url)
    document: dict[str, Any] = {
        "name": "corpus",
        "base_url": f"{parts.scheme}://{parts.netloc}",
        "start": ["/"],
        "article_url": ".",
        "language": "detect",
    }
    if case.timezone:
        document["timezone"] = case.timezone
    if case.date_order:
        document["dates"] = {"article": case.date_order}
    return document


def parse_case(case: Case, folder: Path = CORPUS, stats: _Stats | None = None):
    """The case's article item, after the dates pipeline (None when the spider gave none)."""
    from scrapy.http import HtmlResponse, Request

    from archiver.sites.profiles import parse_profile
    from pipelines.dates import DatesPipeline
    from spiders.profile import ProfileSpider

    profile = parse_profile(profile_document(case), folder / "corpus.json")
    spider = ProfileSpider.for_profile(profile)()
    meta: dict[str, Any] = {"page_kind": "article"}
    body = (folder / case.page).read_bytes()
    response = HtmlResponse(case.url, body=body, encoding="utf-8", request=Request(case.url, meta=meta))
    items = list(spider.parse_article(response))
    if not items:
        return None
    pipeline = DatesPipeline(stats if stats is not None else _Stats())
    return pipeline.process_item(items[0], spider)


def verdict(got: date | None, expected: date | None) -> str:
    if got == expected:
        return "correct"
    return "empty" if got is None else "wrong"


def run(folder: Path = CORPUS, *, out: TextIO = sys.stdout) -> dict[str, Any]:
    """Parse every case; print and return the counts per field and the wrong answers."""
    started = time.perf_counter()
    stats = _Stats()
    counts = {field: Counter({"correct": 0, "wrong": 0, "empty": 0}) for field in FIELDS}
    dated: Counter[str] = Counter()
    wrong: list[str] = []
    all_cases = cases(folder)
    for case in all_cases:
        item = parse_case(case, folder, stats)
        for field in FIELDS:
            got = getattr(item, field, None) if item is not None else None
            expected = case.expected(field)
            counts[field][verdict(got, expected)] += 1
            if got is not None and got == expected:
                dated[field] += 1
            if got is not None and got != expected:
                wrong.append(f"{field} {got} (expected {expected or 'empty'}): {case.name}")
    seconds = time.perf_counter() - started
    pages = len({case.page for case in all_cases})
    print(f"page dates: {len(all_cases)} cases on {pages} pages ({folder.name}/), in {seconds:.1f} s", file=out)
    for field in FIELDS:
        c = counts[field]
        print(
            f"  {field + ':':<14}{c['correct']:>3} correct ({dated[field]} dated, {c['correct'] - dated[field]} rightly"
            f" empty), {c['wrong']} wrong, {c['empty']} empty where the page gives a date",
            file=out,
        )
    for line in wrong:
        print(f"  wrong: {line}", file=out)
    conflicts, ambiguous = (stats.values.get(f"archiver/dates/{key}", 0) for key in ("conflict", "ambiguous"))
    print(f"  dates/conflict counted: {conflicts}, dates/ambiguous counted: {ambiguous}", file=out)
    return {"cases": len(all_cases), "counts": counts, "dated": dated, "wrong": wrong, "seconds": seconds}


if __name__ == "__main__":
    run()
