"""Counts per month (or year) as series without holes: a period with nothing counted is a zero, not absent.

`search --count-by month` lists only the months something matched; a picture or a table read by
eye needs every month between the first and the last, so that a gap shows as a zero. Undated
articles belong to no period: they are counted apart (`Series.undated`) and said, never drawn.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

_YEAR = re.compile(r"^\d{4}$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass
class Series:
    """One count per period per name: `values[name][i]` is the count of `periods[i]`."""

    periods: list[str]
    values: dict[str, list[int]]
    undated: dict[str, int] = field(default_factory=dict)

    def rows(self) -> list[tuple[str, str, int]]:
        """(period, name, count) for every period and name, zeros included: periods first, then names."""
        return [(period, name, self.values[name][i]) for i, period in enumerate(self.periods) for name in self.values]


def next_period(period: str) -> str:
    """The period after `period` ('YYYY' or 'YYYY-MM')."""
    if _YEAR.match(period):
        return f"{int(period) + 1:04d}"
    match = _MONTH.match(period)
    if not match:
        raise ValueError(f"not a year (YYYY) or a month (YYYY-MM): {period!r}")
    year, month = int(match[1]), int(match[2])
    return f"{year + month // 12:04d}-{month % 12 + 1:02d}"


def periods_between(first: str, last: str) -> list[str]:
    """Every period from `first` to `last`, both included ('YYYY' or 'YYYY-MM', the same kind)."""
    if len(first) != len(last):
        raise ValueError(f"periods of two kinds: {first!r}, {last!r}")
    periods = []
    period = first
    while period <= last:
        periods.append(period)
        period = next_period(period)
    return periods


def fill(
    rows: Iterable[tuple[str | None, str | None, int]],
    *,
    first: str | None = None,
    last: str | None = None,
    none_name: str = "(none)",
) -> Series:
    """The series of rows (period, name, count): every period from the first counted (or `first`) to
    the last (or `last`), for every name counted in them, zero where nothing was; a None name is
    `none_name`. Rows outside [first, last] are left out; undated rows (period None) go to `undated`."""
    counts: dict[tuple[str, str], int] = {}
    undated: dict[str, int] = {}
    for period, name, count in rows:
        label = none_name if name is None else str(name)
        if period is None:
            undated[label] = undated.get(label, 0) + int(count)
            continue
        counts[(period, label)] = counts.get((period, label), 0) + int(count)
    dated = sorted({period for period, _ in counts})
    start = first or (dated[0] if dated else None)
    end = last or (dated[-1] if dated else None)
    if not (start and end):
        return Series([], {}, undated)
    periods = periods_between(start, end)
    drawn = sorted({name for (period, name) in counts if start <= period <= end}, key=lambda n: (n == none_name, n))
    values = {name: [counts.get((period, name), 0) for period in periods] for name in drawn}
    return Series(periods, values, undated)
