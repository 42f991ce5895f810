"""Why a run had errors, in words: the commonest failure causes of a run's stats, with their hosts.

The summary line ends with `4 errors: connection refused ×4 (www.redstartv.org)`; `crawl_runs.stats`
keeps the same causes under `summary.error_causes`. Read from the stats the crawl keeps anyway:

- `archiver/http_errors/<reason>` and `archiver/failed_urls` (archiver/middlewares/failures.py): pages
  given up on, robots.txt included, and their hosts;
- `spider_exceptions/<Exception>`: a callback that raised (Scrapy logs each at ERROR);
- `log_count/ERROR`: any other ERROR line, counted as "other errors (see the log)".

The count is the one the summary has always given (`errors_of`, archiver/archive/runlog.py).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from archiver.archive.runlog import errors_of

HTTP_ERRORS = "archiver/http_errors/"
SPIDER_EXCEPTIONS = "spider_exceptions/"
#: Reasons of archiver/middlewares/failures.py in words (the others: their own name, "_" as a space).
REASON_WORDS = {
    "dns": "host not found (DNS)",
    "truncated": "truncated response",
    "too_large": "response too large",
    "offsite_redirect": "redirect to another host",
}
#: How many causes the summary line names; the rest are counted together.
SHOWN = 3


def reason_text(reason: str) -> str:
    """A failure reason as a person reads it: `404` → `HTTP 404`, `connection_refused` → `connection refused`."""
    if reason.isdigit():
        return f"HTTP {reason}"
    return REASON_WORDS.get(reason, reason.replace("_", " "))


@dataclass
class Cause:
    text: str
    count: int
    hosts: list[str] = field(default_factory=list)


def error_causes(stats: dict) -> list[Cause]:
    """The causes of the run's errors, commonest first (ties by name); their counts add up to errors_of(stats)."""
    hosts: dict[str, Counter[str]] = {}
    for failure in stats.get("archiver/failed_urls") or []:
        host = urlsplit(str(failure.get("url", ""))).hostname
        if host:
            hosts.setdefault(str(failure.get("reason")), Counter())[host] += 1
    causes = []
    for key, value in stats.items():
        if key.startswith(HTTP_ERRORS) and int(value or 0):
            reason = key[len(HTTP_ERRORS) :]
            found = [host for host, _ in (hosts.get(reason) or Counter()).most_common()]
            causes.append(Cause(reason_text(reason), int(value), found))
    explained = 0
    for key, value in stats.items():
        if key.startswith(SPIDER_EXCEPTIONS) and key != "spider_exceptions/count" and int(value or 0):
            causes.append(Cause(f"spider error ({key[len(SPIDER_EXCEPTIONS) :]})", int(value)))
            explained += int(value)
    other = int(stats.get("log_count/ERROR", 0) or 0) - explained
    if other > 0:
        causes.append(Cause("other errors (see the log)", other))
    return sorted(causes, key=lambda c: (-c.count, c.text))


def causes_text(stats: dict) -> str:
    """`N errors`, and when there are any their commonest causes with their hosts:
    `4 errors: connection refused ×4 (www.redstartv.org)`."""
    count = errors_of(stats)
    causes = error_causes(stats)
    if not count or not causes:
        return f"{count} errors"
    shown, rest = causes[:SHOWN], causes[SHOWN:]
    parts = []
    for cause in shown:
        hosts = ", ".join(cause.hosts[:2]) + (", …" if len(cause.hosts) > 2 else "")
        parts.append(f"{cause.text} ×{cause.count}" + (f" ({hosts})" if hosts else ""))
    if rest:
        parts.append(f"{sum(c.count for c in rest)} more of {len(rest)} other cause{'s' if len(rest) > 1 else ''}")
    return f"{count} errors: {', '.join(parts)}"


def causes_record(stats: dict) -> list[dict]:
    """The causes as JSON for `crawl_runs.stats` (`summary.error_causes`)."""
    return [{"cause": c.text, "count": c.count, "hosts": c.hosts} for c in error_causes(stats)]
