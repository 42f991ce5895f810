"""A page's dates chosen from every date it gives, never a wrong one.

A page may state its date in many places: JSON-LD, `<meta>` tags, microdata, `<time>` elements,
a printed byline, its URL (a listing entry: its `<time>`, its printed date, its URL). The profile
spider collects them as
*candidates* (raw text, which role: "published" or "modified", and where it was found); this module
reads each one as the set of days it may mean and keeps a day only when the candidates agree on it.

- **A candidate's days.** A date without a time is its day. A time without an offset is taken as the
  site's own clock: its day. A time with an offset is an instant: with the site's zone known (the
  profile's `timezone`) it is the day there. Without it, a time written in a non-zero offset is the
  site's own local time (a publisher writing `+09:00` writes its own zone), so its day is the day in
  that offset; a UTC time (`Z`, `+00:00`, `GMT`) could be any zone's, so it may mean every day it
  falls on in the zones the site plausibly has (`plausible_offsets`): an instant within a few hours
  of midnight may mean two days. Exactly midnight is a date written as a time: its day. A numeric
  date whose order is not known (`03/04/2022`, no `[dates]` order in the profile) may mean both
  readings, and a weekday name printed with it keeps only the reading on that weekday.
- **Weights.** A *firm* candidate (structured data, a `<time>` or printed date of the article, a
  full URL date, a listing entry's own date) may date the page by itself and must agree with the
  others; a *check* (a URL that gives only a year and month, or the URL's date for a listing entry)
  must agree but never dates alone; a *hint* (htmldate's reading of the visible text) only chooses
  between neighbouring days the others leave open.
- **The choice.** The day is the one day every firm and check candidate allows. None allowed by all:
  a conflict (`dates/conflict`). Several: the hints may pick one; otherwise the date stays empty
  (`dates/ambiguous`). No firm candidate: no date (nothing counted). A modified date before the
  published one is dropped.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from archiver.normalize.dates import ORDERS, site_zone

__all__ = [
    "CHECK",
    "FIRM",
    "HINT",
    "Choice",
    "Reading",
    "choose",
    "plausible_offsets",
    "read_candidate",
    "url_date",
]

FIRM, CHECK, HINT = "firm", "check", "hint"
ROLES = ("published", "modified")
#: Where a candidate was found → how much it counts, unless the candidate says otherwise.
SOURCE_WEIGHTS = {
    "jsonld": FIRM,
    "meta": FIRM,
    "itemprop": FIRM,
    "rdfa": FIRM,
    "time": FIRM,
    "text": FIRM,
    "url": FIRM,
    "url_month": CHECK,
    "htmldate": HINT,
}

#: The zones (hours east of UTC) a news site plausibly has when nothing narrows them: from the US
#: Pacific coast to Japan and Korea. A UTC time between 08:00 and 15:00 is the same day in all of them.
UNKNOWN_ZONE = (-8.0, 9.0)
#: Country-code domains → the offsets their country's clocks show over the year (standard, summer).
#: Only domains that are used for their country; `.co`, `.io`, `.me`, `.tv` and the like are not.
COUNTRY_OFFSETS: dict[str, tuple[float, float]] = {
    **dict.fromkeys(("uk", "ie"), (0.0, 1.0)),
    "pt": (-1.0, 1.0),
    "is": (0.0, 0.0),
    "es": (0.0, 2.0),
    **dict.fromkeys(
        [
            "de",
            "at",
            "ch",
            "li",
            "fr",
            "be",
            "nl",
            "lu",
            "it",
            "sm",
            "va",
            "mt",
            "dk",
            "se",
            "no",
            "pl",
            "cz",
            "sk",
            "hu",
            "si",
            "hr",
            "ba",
            "rs",
            "me",
            "mk",
            "al",
        ],
        (1.0, 2.0),
    ),
    **dict.fromkeys(["fi", "ee", "lv", "lt", "ro", "bg", "gr", "cy", "ua", "md", "il"], (2.0, 3.0)),
    **dict.fromkeys(("tr", "by"), (3.0, 3.0)),
    **dict.fromkeys(("jp", "kr", "kp"), (9.0, 9.0)),
    **dict.fromkeys(("cn", "tw", "hk", "sg", "my", "ph"), (8.0, 8.0)),
    "in": (5.5, 5.5),
    "pk": (5.0, 5.0),
    "bd": (6.0, 6.0),
    **dict.fromkeys(("th", "vn"), (7.0, 7.0)),
    "id": (7.0, 9.0),
    "au": (8.0, 11.0),
    "nz": (12.0, 13.0),
    "za": (2.0, 2.0),
    "ke": (3.0, 3.0),
    "ng": (1.0, 1.0),
    "br": (-5.0, -2.0),
    "ar": (-3.0, -3.0),
    "cl": (-6.0, -3.0),
    "pe": (-5.0, -5.0),
    "mx": (-8.0, -5.0),
    "ca": (-8.0, -2.5),
}
#: Languages spoken (for news) in one band of zones → its offsets.
LANGUAGE_OFFSETS: dict[str, tuple[float, float]] = {
    **dict.fromkeys(["de", "it", "pl", "cs", "sk", "hu", "sl", "hr", "nl", "da", "sv", "nb", "no"], (1.0, 2.0)),
    **dict.fromkeys(["fi", "et", "lv", "lt", "el", "ro", "bg", "uk", "he"], (2.0, 3.0)),
    "tr": (3.0, 3.0),
    **dict.fromkeys(("ja", "ko"), (9.0, 9.0)),
    "zh": (8.0, 8.0),
    **dict.fromkeys(("th", "vi"), (7.0, 7.0)),
}

_UTC_MARK = re.compile(r"(?:Z|[+-]00:?00|\bGMT|\bUTC|\bUT)\s*$", re.IGNORECASE)
_ISO_STAMP = re.compile(r"^\s*\d{4}-\d{2}-\d{2}[T ]\d{1,2}:\d{2}")
_RFC_STAMP = re.compile(r"\d{1,2}:\d{2}(?::\d{2})?\s*(?:[+-]\d{4}|GMT|UTC|UT|Z)\s*$", re.IGNORECASE)
_WEEKDAYS = {
    name: number
    for number, names in enumerate(
        ("monday mon", "tuesday tue tues", "wednesday wed", "thursday thu thur thurs", "friday fri",
         "saturday sat", "sunday sun")
    )
    for name in names.split()
}  # fmt: skip
_WEEKDAY = re.compile(r"\b(" + "|".join(sorted(_WEEKDAYS, key=len, reverse=True)) + r")\b\.?", re.IGNORECASE)
_NUMERIC = re.compile(r"(?<!\d)(\d{1,2})[./-](\d{1,2})[./-](\d{2}|\d{4})(?!\d)")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True)
class Reading:
    """One candidate, read: the days it may mean (none when it could not be read)."""

    source: str
    role: str
    raw: str
    weight: str
    days: frozenset[date]

    def record(self) -> dict:
        """The candidate as kept for the researcher (`articles.date_candidates`)."""
        return {
            "source": self.source,
            "role": self.role,
            "raw": self.raw,
            "weight": self.weight,
            "days": sorted(day.isoformat() for day in self.days),
        }


@dataclass(frozen=True)
class Choice:
    published: date | None
    modified: date | None
    #: Why the published date is empty although candidates gave days: "conflict" or "ambiguous".
    problem: str | None
    readings: tuple[Reading, ...]

    def record(self) -> list[dict]:
        return [reading.record() for reading in self.readings]


def plausible_offsets(url: str | None = None, language: str | None = None) -> tuple[float, float]:
    """The offsets (hours) the site's zone plausibly has: its country's, by the URL's country-code
    domain, else the band of the page's language, else UNKNOWN_ZONE."""
    host = (urlsplit(url).hostname or "") if url else ""
    country = host.rsplit(".", 1)[-1].lower() if "." in host else ""
    if country in COUNTRY_OFFSETS:
        return COUNTRY_OFFSETS[country]
    if language and language.split("-")[0].lower() in LANGUAGE_OFFSETS:
        return LANGUAGE_OFFSETS[language.split("-")[0].lower()]
    return UNKNOWN_ZONE


def stamp(raw: str) -> datetime | None:
    """A date and time written as ISO 8601 or RFC 2822 (with or without an offset), else None."""
    text = raw.strip()
    if _ISO_STAMP.match(text):
        iso = re.sub(r"\s*(?:Z|UTC|GMT)$", "+00:00", text, flags=re.IGNORECASE)
        iso = re.sub(r"(\.\d{6})\d+", r"\1", iso)  # fromisoformat takes at most microseconds
        try:
            return datetime.fromisoformat(iso)
        except ValueError:
            return None
    if _RFC_STAMP.search(text):
        try:
            return parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    return None


def stamp_days(moment: datetime, raw: str, tz: str | None, offsets: tuple[float, float]) -> frozenset[date]:
    """The days an instant may be on the site's calendar (see the module's docstring)."""
    if moment.tzinfo is None:
        return frozenset({moment.date()})
    if tz is not None:
        return frozenset({moment.astimezone(site_zone(tz)).date()})
    offset = moment.utcoffset() or timedelta(0)
    if moment.time() == time(0, 0) or offset != timedelta(0) or not _UTC_MARK.search(raw.strip()):
        return frozenset({moment.date()})
    utc = moment.replace(tzinfo=None)
    return frozenset((utc + timedelta(hours=hours)).date() for hours in offsets)


def numeric_days(raw: str, parse: Callable[[str, str], date | None], order: str | None) -> frozenset[date]:
    """The days a printed date may mean: under `order`, or both day-first and month-first when the
    order is not known; a weekday printed with it must match."""
    triple = _NUMERIC.search(raw)
    # With no order known, a slashed or dashed date may be either way round; a dotted one is day-first
    # wherever it is written (14.03.2024).
    orders: Sequence[str] = (order,) if order else ("DMY",) if triple and "." in triple.group(0) else ("DMY", "MDY")
    days = {day for o in orders if (day := parse(raw, o)) is not None}
    weekday = _WEEKDAY.search(raw)
    if weekday and len(days) > 1:
        wanted = _WEEKDAYS[weekday.group(1).lower()]
        days = {day for day in days if day.weekday() == wanted}
    return frozenset(days)


def month_days(raw: str) -> frozenset[date]:
    """Every day of a `YYYY-MM` month."""
    match = _MONTH.match(raw)
    if not match:
        return frozenset()
    first = date(int(match[1]), int(match[2]), 1)
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return frozenset(first + timedelta(days=n) for n in range((following - first).days))


def read_candidate(
    candidate: dict,
    parse: Callable[[str, str], date | None],
    *,
    tz: str | None,
    offsets: tuple[float, float],
    today: date,
) -> Reading:
    """One candidate (`{"source", "role", "raw"}`, optionally `"order"`, `"weight"`) read as its days.

    `parse(text, order)` reads a printed date (the archive's DateNormalizer); days after `today` are
    dropped (a page cannot be dated in the future).
    """
    raw = str(candidate.get("raw") or "")
    source = str(candidate.get("source") or "")
    weight = candidate.get("weight") or SOURCE_WEIGHTS.get(source, FIRM)
    order = candidate.get("order")
    if order is not None and order not in ORDERS:
        order = None
    days: frozenset[date]
    if source == "url_month":
        days = month_days(raw)
    elif (moment := stamp(raw)) is not None:
        days = stamp_days(moment, raw, tz, offsets)
    else:
        days = numeric_days(raw, parse, order if _NUMERIC.search(raw) else "DMY")
    days = frozenset(day for day in days if day.year >= 1900 and day <= today)
    return Reading(source, str(candidate.get("role") or "published"), raw, weight, days)


def agreed(readings: Iterable[Reading]) -> tuple[date | None, str | None]:
    """The one day the firm and check readings all allow (hints choosing among several), and the
    problem when there is none: "conflict" (no day allowed by all) or "ambiguous" (several)."""
    readings = [r for r in readings if r.days]
    if not any(r.weight == FIRM for r in readings):
        return None, None
    bound = [r for r in readings if r.weight != HINT]
    days = set(bound[0].days)
    for reading in bound[1:]:
        days &= reading.days
    if not days:
        return None, "conflict"
    if len(days) == 1:
        return next(iter(days)), None
    # A hint chooses between neighbouring days (where a UTC time falls in the site's zone), never
    # between the readings of a numeric date: it read the same printed date, with a guessed order.
    hinted = days & {day for r in readings if r.weight == HINT for day in r.days}
    if len(hinted) == 1 and max(days) - min(days) <= timedelta(days=1):
        return next(iter(hinted)), None
    return None, "ambiguous"


def choose(
    candidates: Iterable[dict],
    parse: Callable[[str, str], date | None],
    *,
    tz: str | None = None,
    url: str | None = None,
    language: str | None = None,
    today: date | None = None,
) -> Choice:
    """The published and modified days the candidates agree on (see the module's docstring).

    The plausible zones of a UTC time are narrowed, before the country and language, by the offsets
    the page's other times are written in (a page that writes `-05:00` somewhere is on that clock).
    A candidate of role "address" is the page's own address (a mirror's page names its site so).
    """
    candidates = list(candidates)
    today = today or date.today()
    # The page's own address (its canonical) says the site's country where the page was fetched from
    # a mirror; it is no date.
    own = next((str(c["raw"]) for c in candidates if c.get("role") == "address" and c.get("raw")), None)
    candidates = [c for c in candidates if c.get("role") != "address"]
    offsets = page_offsets(candidates) or plausible_offsets(own or url, language)
    readings = tuple(read_candidate(c, parse, tz=tz, offsets=offsets, today=today) for c in candidates)
    published, problem = agreed(r for r in readings if r.role == "published")
    modified, _ = agreed(r for r in readings if r.role == "modified")
    if modified is not None and published is not None and modified < published:
        modified = None
    return Choice(published, modified, problem, readings)


def page_offsets(candidates: Iterable[dict]) -> tuple[float, float] | None:
    """The offsets the page's non-UTC times are written in, widened by an hour for summer time."""
    hours = []
    for candidate in candidates:
        moment = stamp(str(candidate.get("raw") or ""))
        offset = moment.utcoffset() if moment is not None and moment.tzinfo is not None else None
        if offset:
            hours.append(offset.total_seconds() / 3600)
    return (min(hours) - 1, max(hours) + 1) if hours else None


_URL_DAY = (
    re.compile(r"/((?:19|20)\d\d)/(0?[1-9]|1[0-2])/(0?[1-9]|[12]\d|3[01])(?:/|$|[^\d])"),
    re.compile(r"(?<![\d])((?:19|20)\d\d)-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])(?!\d)"),
    re.compile(r"/((?:19|20)\d\d)(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])(?:/|$|[-_.])"),
)
_URL_MONTH = re.compile(r"/((?:19|20)\d\d)/(0?[1-9]|1[0-2])/(?=[^/\d])")


def url_date(url: str) -> tuple[str, str] | None:
    """The date an article URL carries: ("url", "YYYY-MM-DD") from `/2023/11/08/`, `2023-11-08`
    or `/20231108/`; ("url_month", "YYYY-MM") from `/2023/11/slug`; else None."""
    path = urlsplit(url).path
    for shape in _URL_DAY:
        if match := shape.search(path):
            try:
                return "url", date(int(match[1]), int(match[2]), int(match[3])).isoformat()
            except ValueError:
                continue
    if match := _URL_MONTH.search(path):
        return "url_month", f"{int(match[1]):04d}-{int(match[2]):02d}"
    return None
