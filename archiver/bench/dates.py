"""Benchmark of ``archiver.normalize.dates.DateNormalizer`` against plain ``dateparser.parse``.

Builds a realistic stream of scraped dates (a few hundred distinct values repeating,
as on listing pages), times the normalizer on all of it and dateparser on a sample,
and checks that the fast path agrees with the pure dateparser path on every distinct
input.  ``python -m archiver.bench.dates [N]`` runs it.
"""

from __future__ import annotations

import random
import sys
import time
from datetime import date, timedelta
from typing import Any, TextIO

import dateparser

from archiver.normalize.dates import DateNormalizer

TODAY = date(2025, 1, 31)  # fixed crawl day, so the stream and its results are reproducible
_FIRST = date(2023, 1, 1)
_DAYS = (date(2024, 12, 31) - _FIRST).days + 1
_GARBAGE = (
    "lorem ipsum",
    "Read original version at source",
    "32/13/2024",
    "00/00/0000",
    "12/31/2024",
    "",
)
_PLACES = ("Beijing", "Pyongyang", "Пекин", "北京", "Peking", "Москва")
_RU = "января февраля марта апреля мая июня июля августа сентября октября ноября декабря"
_DE = "Januar Februar März April Mai Juni Juli August September Oktober November Dezember"

# (raw, order) for parse(); (raw, context) for parse_dateline()
Item = tuple[str, str | date]


def _dateline(day: date, rng: random.Random) -> str:
    place = rng.choice(_PLACES)
    if place == "北京":
        return f"{day.month}月{day.day}日，北京（RSTV）"
    if place in ("Пекин", "Москва"):
        return f"{day.day} {_RU.split()[day.month - 1]}, {place} (RSTV)"
    if place == "Peking":
        return f"{day.day}. {_DE.split()[day.month - 1]}, Peking (RSTV)"
    return f"\xa0{day:%B} {day.day}, {place} (RSTV)"


def distinct_items(seed: int = 2024) -> list[Item]:
    """About 300 distinct inputs in the proportions a crawl sees them."""
    rng = random.Random(seed)

    def some_day() -> date:
        return _FIRST + timedelta(days=rng.randrange(_DAYS))

    items: list[Item] = []
    items += [(f"{some_day():%B %d, %Y}", "DMY") for _ in range(120)]  # listing dates
    items += [(f"{some_day():%d/%m/%Y}", "DMY") for _ in range(80)]  # KCNA Watch articles
    items += [(f"Date: {some_day():%d/%m/%Y}", "DMY") for _ in range(10)]
    items += [(f"{some_day():%d.%m.%Y}", "DMY") for _ in range(40)]  # uCoz
    items += [(f"{some_day():%a, %d %b %Y} 00:00:00 +0000", "DMY") for _ in range(15)]  # RSS
    juche_days = [some_day() for _ in range(5)]
    items += [(f"{d:%B} {d.day}, Juche {d.year - 1911} ({d.year})", "DMY") for d in juche_days]
    items += [(_dateline(d, rng), d) for d in (some_day() for _ in range(25))]
    items += [(raw, "DMY") for raw in _GARBAGE]
    return list(dict.fromkeys(items))


def stream(n: int, items: list[Item], seed: int = 7) -> list[Item]:
    """n inputs drawn from items, the first ones (listing dates) much more often."""
    rng = random.Random(seed)
    weights = [1 / (rank + 1) ** 0.8 for rank in range(len(items))]
    return rng.choices(items, weights, k=n)


def _apply(normalizer: DateNormalizer, item: Item) -> object:
    raw, arg = item
    if isinstance(arg, date):
        return normalizer.parse_dateline(raw, context=arg)
    return normalizer.parse(raw, order=arg)


def run(n: int = 200_000, *, out: TextIO = sys.stdout) -> dict:
    """Time the normalizer on n dates and dateparser on a sample; print and return the figures."""
    items = distinct_items()
    dates = stream(n, items)
    settings = {"DATE_ORDER": "DMY", "RETURN_AS_TIMEZONE_AWARE": False}
    # dateparser loads its language data on first use (about a second): keep it out of both timings
    dateparser.parse("lorem ipsum", languages=["en", "ru", "zh", "de"], settings=settings)
    DateNormalizer(today=TODAY).parse("lorem ipsum")

    normalizer = DateNormalizer(today=TODAY)
    started = time.perf_counter()
    for item in dates:
        _apply(normalizer, item)
    normalizer_seconds = time.perf_counter() - started

    sample = dates[: min(n, 2_000)]
    started = time.perf_counter()
    for raw, _ in sample:
        dateparser.parse(raw, languages=["en", "ru", "zh", "de"], settings=settings)
    dateparser_seconds = time.perf_counter() - started

    fast = DateNormalizer(today=TODAY)
    slow = DateNormalizer(today=TODAY, fast_path=False, cache=False)
    mismatches = [item for item in items if _apply(fast, item) != _apply(slow, item)]

    figures: dict[str, Any] = {
        "n": n,
        "distinct": len(items),
        "normalizer_rate": n / normalizer_seconds,
        "dateparser_sample": len(sample),
        "dateparser_rate": len(sample) / dateparser_seconds,
        "identical": not mismatches,
        "mismatches": mismatches,
        "problems": dict(normalizer.counts),
    }
    figures["speedup"] = figures["normalizer_rate"] / figures["dateparser_rate"]
    verdict = "yes" if not mismatches else f"NO, {len(mismatches)} differ: {mismatches[:5]}"
    print(f"DateNormalizer:   {figures['normalizer_rate']:>12,.0f} dates/s", end=" ", file=out)
    print(f"({n:,} dates, {len(items)} distinct)", file=out)
    print(f"dateparser.parse: {figures['dateparser_rate']:>12,.0f} dates/s", end=" ", file=out)
    print(f"({len(sample):,} dates sample)", file=out)
    print(f"speed-up:         {figures['speedup']:>12,.0f}x", file=out)
    print(f"fast path == pure dateparser path on all {len(items)} distinct inputs: {verdict}", file=out)
    print(f"problems: {figures['problems']}", file=out)
    return figures


if __name__ == "__main__":
    run(int(sys.argv[1]) if len(sys.argv) > 1 else 200_000)
