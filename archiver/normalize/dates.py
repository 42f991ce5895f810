"""Date normalization for archived news: the one place that turns the date strings
spiders scrape (listing dates, article dates, RSS pubDates, datelines, Juche years,
KCNA Watch URL epochs) into ``datetime.date`` values.

Researchers sort and filter by these dates, and a wrong date is worse than none, so
every doubtful input yields ``value=None`` plus a problem code ("empty", "unparsed",
"implausible"); a Juche year that contradicts its Gregorian year keeps the Gregorian
date with problem "juche_conflict".  Problems are counted per ``DateNormalizer``
instance so pipelines can copy them into the crawl stats.

Parsing is layered: a shared pre-cleaning step (HTML entities, odd whitespace,
full-width punctuation, "Date:" labels, Juche years, dateline place and agency), then
a regex fast path for the common shapes, then ``dateparser`` for the long tail, with
an LRU cache in front.  ``DateNormalizer(fast_path=False, cache=False)`` runs
dateparser for everything after the same pre-cleaning and must give identical results.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone, tzinfo
from email.utils import parsedate_to_datetime
from functools import lru_cache
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateparser.date import DateDataParser

__all__ = ["ORDERS", "PROBLEMS", "DateNormalizer", "DateResult", "DatelineResult"]

PROBLEMS = ("empty", "unparsed", "implausible", "juche_conflict")
ORDERS = ("DMY", "MDY", "YMD")

_MIN_YEAR = 1900
_JUCHE_OFFSET = 1911  # Juche year N is Gregorian N + 1911
_LEAP = 2000  # placeholder year for year-less datelines, a leap year so 29 February parses
_MAX_LEN = 120  # longer "dates" are page text, not dates
# Per cache; a crawl meets the same dates within a few pages (issue 27: a cap that is soon full, so
# memory stays flat; 8,192 made a 20,000-article crawl ~2 MB larger than a 2,000-article one).
_CACHE_SIZE = 2048
_LANGUAGES = ["en", "ru", "zh", "de"]

_Result = TypeVar("_Result", "DateResult", "DatelineResult")


@dataclass(frozen=True, slots=True)
class DateResult:
    value: date | None  # None when unknown
    problem: str | None = None  # None (ok), "empty", "unparsed", "implausible", "juche_conflict"


@dataclass(frozen=True, slots=True)
class DatelineResult:
    raw: str  # cleaned text of the dateline, e.g. "July 25, Beijing (RSTV)"
    place: str | None
    value: date | None
    problem: str | None = None


def _month_table(*names: str) -> dict[str, int]:
    """{"january": 1, "jan": 1, ...} from one space-separated string per month."""
    return {name: number for number, line in enumerate(names, 1) for name in line.split()}


_EN_MONTHS = _month_table(
    "january jan", "february feb", "march mar", "april apr", "may", "june jun",
    "july jul", "august aug", "september sep sept", "october oct", "november nov",
    "december dec",
)  # fmt: skip
_RU_MONTHS = _month_table(  # genitive, as in "25 июля"
    "января", "февраля", "марта", "апреля", "мая", "июня",
    "июля", "августа", "сентября", "октября", "ноября", "декабря",
)  # fmt: skip
_DE_MONTHS = _month_table(
    "januar", "februar", "märz", "april", "mai", "juni",
    "juli", "august", "september", "oktober", "november", "dezember",
)  # fmt: skip
_MONTHS = _EN_MONTHS | _RU_MONTHS | _DE_MONTHS

# --- pre-cleaning (shared by the fast and the slow path) ---------------------------

_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))
_LABEL = re.compile(r"^[^\W\d_]+(?: [^\W\d_]+){0,3} ?: ?")  # "Date: ", "Published on: "
# "Juche 110", "110, Juche", "109 in Juche", "113 of Juche", "des Jahres 109 Juche", "110 год чучхе";
# in "February 18, Juche 110" the 18 is the day, not the year.
_JUCHE = re.compile(
    r"\b(?:des jahres )?(?:juche|чучхе) (?P<j1>\d{1,3})\b"
    r"|\b(?:des jahres )?(?P<j2>\d{1,3}),? (?:(?:in|of) )?(?:год )?(?:juche|чучхе)\b(?! ?\d)",
    re.IGNORECASE,
)
# RSTV also writes a bare Juche year before its Gregorian one: "May 15th, 108 (2019)". Without the
# word, only an exact N + 1911 == YYYY is taken as a Juche year.
_BARE_JUCHE = re.compile(r"(?<![\d.])(?P<j>\d{2,3}) \((?P<g>\d{4})\)")
# Lead-in words and ordinal suffixes around a date in running text: "On March 11", "Am 11. März", "15th".
_LEAD_IN = re.compile(r"^(?:on|am|den|the) ", re.IGNORECASE)
# "10.04 2022", left by "On 10.04 Juche 111 (2022)": the site's day and month, then the year.
_SPLIT_NUMERIC = re.compile(r"^(\d{1,2})\.(\d{1,2}),? (\d{4})$")
_ORDINAL = re.compile(r"(?<=\d)(?:st|nd|rd|th)\b", re.IGNORECASE)
_GREGORIAN_AFTER = re.compile(r" ?\((\d{4})\)")
_AGENCY = re.compile(r" ?\([^()\d]*\)[\s\-–—:]*$")  # trailing "(RSTV)", "(Xinhua) --"
_SLASH_AGENCY = re.compile(r"[ .]*/[^/\d]+/\s*$")  # trailing "/RSTV/", ". /Пульгынбёль ТВ/"
_HAS_YEAR = re.compile(r"\d{3}")
# Any D/M/Y-looking triple: dateparser may swap day and month against DATE_ORDER.
_TRIPLE = re.compile(r"(?<!\d)(\d{1,4})[./-](\d{1,2})[./-](\d{1,4})(?!\d)")


def _tidy(raw: str | None) -> str:
    """Entities decoded, invisible characters dropped, whitespace runs collapsed."""
    if not raw:
        return ""
    if "&" in raw:
        raw = html.unescape(raw)
    return " ".join(raw.translate(_INVISIBLE).split())


def _normalize(tidy: str) -> str:
    # NFKC folds full-width punctuation and digits ("，（）７") and stray spaces to ASCII.
    return " ".join(unicodedata.normalize("NFKC", tidy).split())


def _substitute_juche(text: str) -> tuple[str, bool]:
    """Replace "Juche 110 (2021)" / "106, Juche (2017)" with the Gregorian year.

    Returns the new text and whether the Juche and Gregorian years disagree."""
    match = _JUCHE.search(text)
    if match is None:
        bare = _BARE_JUCHE.search(text)
        if bare and int(bare["j"]) + _JUCHE_OFFSET == int(bare["g"]):
            return f"{text[: bare.start()]}{bare['g']}{text[bare.end() :]}", False
        return text, False
    juche_year = int(match["j1"] or match["j2"]) + _JUCHE_OFFSET
    end = match.end()
    gregorian = _GREGORIAN_AFTER.match(text, end)
    year = juche_year
    if gregorian:
        year, end = int(gregorian[1]), gregorian.end()
    return f"{text[: match.start()]}{year}{text[end:]}", year != juche_year


def _reading(triple: re.Match[str], order: str) -> tuple[int, int] | None:
    """(day, month) that a numeric D/M/Y triple means under ``order``."""
    first, middle, last = triple.groups()
    if len(first) == 4:  # 2024-10-23 is year-first whatever the site's order
        return int(last), int(middle)
    if len(last) not in (2, 4):
        return None
    if order == "DMY":
        return int(first), int(middle)
    if order == "MDY":
        return int(middle), int(first)
    return (int(last), int(middle)) if len(last) == 2 else None  # YMD with 2-digit year


# --- fast path: regexes for the hot shapes; None means "not mine, ask dateparser" ---

_TIME = r"(?: (?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?)?"
_NUMERIC = re.compile(r"(?P<a>\d{1,2})(?P<sep>[./-])(?P<b>\d{1,2})(?P=sep)(?P<y>\d{4})" + _TIME)
_YEAR_FIRST = re.compile(  # 2024-10-23, 2024/10/23 (URL paths), ISO 8601 timestamps
    r"(?P<y>\d{4})(?P<sep>[./-])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})"
    r"(?:T(?P<H>\d{2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
)
# RSTV's listing and comment dates: "21/04/01" is 2021-04-01 (YY/MM/DD; a site order, never day-first).
_SHORT_YMD = re.compile(r"(?P<y>\d{2})(?P<sep>[./-])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})" + _TIME)
_MONTH_FIRST = re.compile(r"(?P<mon>[^\W\d_]+)\.? (?P<d>\d{1,2}),? (?P<y>\d{4})")
_DAY_FIRST = re.compile(r"(?P<d>\d{1,2})\.? (?P<mon>[^\W\d_]+)\.? (?P<y>\d{4})")
_DAY_FIRST_RU = re.compile(r"(?P<d>\d{1,2}) (?P<mon>[^\W\d_]+) (?P<y>\d{4}) (?:г\.?|года)")
_CJK = re.compile(r"(?P<y>\d{4})年(?P<m>\d{1,2})月(?P<d>\d{1,2})日")
_RFC822 = re.compile(
    r"(?:(?:mon|tue|wed|thu|fri|sat|sun), )?(?P<d>\d{1,2}) (?P<mon>[a-z]{3}) (?P<y>\d{4})"
    r" (?P<H>\d{2}):(?P<M>\d{2})(?::(?P<S>\d{2}))? (?:[+-]\d{4}|gmt|utc|ut|z)",
    re.IGNORECASE,
)
# (shape, month names it may use): dateparser reads each string in one language only.
_FULL_SHAPES = (
    (_MONTH_FIRST, _MONTHS),
    (_DAY_FIRST, _MONTHS),
    (_DAY_FIRST_RU, _RU_MONTHS),
    (_YEAR_FIRST, None),
    (_RFC822, _EN_MONTHS),
    (_CJK, None),
)
_YEARLESS = (
    (re.compile(r"(?P<mon>[^\W\d_]+)\.? (?P<d>\d{1,2})"), _MONTHS),
    (re.compile(r"(?P<d>\d{1,2})\.? (?P<mon>[^\W\d_]+)\.?"), _MONTHS),
    (re.compile(r"(?P<m>\d{1,2})月(?P<d>\d{1,2})日"), None),
)


def _make_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _time_ok(match: re.Match[str]) -> bool:
    """A shape's optional time is valid (dateparser rejects "25:00")."""
    hour = match.groupdict().get("H")
    return hour is None or (int(hour) < 24 and int(match["M"]) < 60 and int(match["S"] or 0) < 60)


def _month(match: re.Match[str], names: dict[str, int] | None) -> int | None:
    """The month of a shape's match: its "mon" group looked up in names, or its "m"."""
    if names is None:
        return int(match["m"])
    return names.get(match["mon"].lower())


def _fast_full(text: str, order: str) -> date | None:
    if order == "YMD" and (match := _SHORT_YMD.fullmatch(text)):
        return _make_date(2000 + int(match["y"]), int(match["m"]), int(match["d"])) if _time_ok(match) else None
    if match := _NUMERIC.fullmatch(text):
        if order == "YMD" or not _time_ok(match):
            return None
        a, b = int(match["a"]), int(match["b"])
        day, month = (a, b) if order == "DMY" else (b, a)
        return _make_date(int(match["y"]), month, day)
    for shape, names in _FULL_SHAPES:
        if (match := shape.fullmatch(text)) and _time_ok(match):
            named = _month(match, names)
            return _make_date(int(match["y"]), named, int(match["d"])) if named else None
    return None


def _fast_month_day(text: str) -> tuple[int, int] | None:
    for shape, names in _YEARLESS:
        if match := shape.fullmatch(text):
            month, day = _month(match, names), int(match["d"])
            return (month, day) if month and _make_date(_LEAP, month, day) else None
    return None


#: How far after the publication date a year-less dateline may fall (time zones, late posting).
DATELINE_GRACE = timedelta(days=2)


_PYONGYANG_FALLBACK = timezone(timedelta(hours=9), "Pyongyang")
_ZONED_TIME = re.compile(r"\d{1,2}:\d{2}(?::\d{2})?(?:\.\d+)?\s*(?:[+-]\d{2}:?\d{2}|Z|GMT|UTC|UT)\b", re.IGNORECASE)


@lru_cache(maxsize=32)
def site_zone(name: str) -> tzinfo:
    """The zone named (IANA); Pyongyang as UTC+9 when the system has no tz database."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        if name == "Asia/Pyongyang":
            return _PYONGYANG_FALLBACK
        raise


@lru_cache(maxsize=_CACHE_SIZE)
def zoned_time(text: str) -> datetime | None:
    """A time that states its offset (RFC 2822, as feeds give it, or ISO 8601), else None."""
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return None
    if moment is None or moment.tzinfo is None:
        return None
    return moment


def _zoned_day(raw: str, tz: str) -> date | None:
    """The day in ``tz`` of a time that states its offset (RFC 2822 or ISO 8601), else None."""
    text = raw.strip()
    if not _ZONED_TIME.search(text):
        return None
    moment = zoned_time(text)
    return moment.astimezone(site_zone(tz)).date() if moment is not None else None


class DateNormalizer:
    """Parse scraped date strings into plausible dates, counting the problems seen."""

    def __init__(self, *, today: date | None = None, fast_path: bool = True, cache: bool = True) -> None:
        self._today = today or date.today()
        self._fast_path = fast_path
        self._counts: Counter[str] = Counter(dict.fromkeys(PROBLEMS, 0))
        self._parsers: dict[str, DateDataParser] = {}
        if cache:
            # A cache per normalizer (its answers depend on `today`): the bound methods, wrapped.
            self._parse = lru_cache(maxsize=_CACHE_SIZE)(self._parse)  # type: ignore[method-assign]
            self._parse_dateline = lru_cache(maxsize=_CACHE_SIZE)(self._parse_dateline)  # type: ignore[method-assign]

    @property
    def today(self) -> date:
        """The crawl day: later dates are implausible."""
        return self._today

    @property
    def counts(self) -> Counter[str]:
        """Problems seen so far (cache hits included), one key per entry of PROBLEMS."""
        return Counter(self._counts)

    def parse(self, raw: str | None, *, order: str = "DMY", tz: str | None = None) -> DateResult:
        """A full date (day, month and year); ``order`` only matters for numeric dates.

        ``tz``: the zone whose days the site names (KCNA Watch: "Asia/Pyongyang"). A time that carries
        its own offset (an RSS ``pubDate`` in GMT, an ISO timestamp) is then dated on its day there:
        ``Wed, 25 Jun 2025 20:00:00 +0000`` is 2025-06-26 in Pyongyang.
        """
        if order not in ORDERS:
            raise ValueError(f"order must be one of {ORDERS}, not {order!r}")
        if tz is not None and raw and (zoned := _zoned_day(raw, tz)) is not None:
            return self._counted(self._judge(zoned, conflict=False))
        return self._counted(self._parse(raw, order))

    def parse_dateline(self, raw: str | None, *, context: date | None, nearest: bool = False) -> DatelineResult:
        """A dateline such as "July 25, Beijing (RSTV)" or "Peking, 25. Juli. /RSTV/"; a year-less
        date is taken as the nearest such date not after ``context`` (the publication date), or,
        with ``nearest``, the nearest such date on either side of it (RSTV: a story may be posted
        months before or after the day it is datelined)."""
        return self._counted(self._parse_dateline(raw, context, nearest))

    def juche_years(self, text: str | None) -> list[tuple[int, int]]:
        """Every "Juche N (YYYY)" year of a running text as (Juche year as Gregorian, bracketed year);
        each pair that disagrees is counted as a "juche_conflict" (the bracketed year is the one to
        trust: the site sometimes gets the Juche year wrong)."""
        pairs = []
        for match in _JUCHE.finditer(_normalize(_tidy(text))):
            gregorian = _GREGORIAN_AFTER.match(match.string, match.end())
            if gregorian:
                pair = (int(match["j1"] or match["j2"]) + _JUCHE_OFFSET, int(gregorian[1]))
                pairs.append(pair)
                if pair[0] != pair[1]:
                    self._counts["juche_conflict"] += 1
        return pairs

    def date_from_epoch(self, epoch: int | str, *, tz: str | None = None) -> DateResult:
        """The day of a Unix epoch in ``tz`` (UTC when None). KCNA Watch URL epochs name Pyongyang days:
        ``date_from_epoch(1750885366, tz="Asia/Pyongyang")`` is 2025-06-26 (in UTC, the 25th)."""
        result = self._epoch(epoch)
        if result.value is not None and tz is not None:
            seconds = int(str(epoch).strip())
            result = self._judge(datetime.fromtimestamp(seconds, tz=site_zone(tz)).date(), conflict=False)
        return self._counted(result)

    # --- internals -----------------------------------------------------------------

    def _counted(self, result: _Result) -> _Result:
        if result.problem:
            self._counts[result.problem] += 1
        return result

    def _parse(self, raw: str | None, order: str) -> DateResult:
        text = _normalize(_tidy(raw))
        if not text:
            return DateResult(None, "empty")
        text, conflict = _substitute_juche(_LABEL.sub("", text, count=1))
        text = _SPLIT_NUMERIC.sub(r"\1.\2.\3", _ORDINAL.sub("", _LEAD_IN.sub("", text)))
        return self._judge(self._full_date(text, order), conflict)

    def _parse_dateline(self, raw: str | None, context: date | None, nearest: bool = False) -> DatelineResult:
        tidy = _tidy(raw)
        if not tidy:
            return DatelineResult("", None, None, "empty")
        bare = _SLASH_AGENCY.sub("", _AGENCY.sub("", _normalize(tidy)))
        segments = [part.strip(" .") for part in bare.split(",")]
        # The date is the run of segments with digits; the place the segments before or after it
        # ("July 25, Beijing", "Moscow, May 29", "15. August, Berlin - Moskau").
        dated = [n for n, part in enumerate(segments) if any(char.isdigit() for char in part)]
        if not dated:
            return DatelineResult(tidy, None, None, "unparsed")
        first, last = dated[0], dated[-1] + 1
        place = ", ".join(part for part in segments[:first] + segments[last:] if part) or None
        text, conflict = _substitute_juche(", ".join(segments[first:last]))
        if _HAS_YEAR.search(text):
            found = self._full_date(text, "DMY")
        else:
            found = self._resolve(self._month_day(text), context, nearest)
        result = self._judge(found, conflict)
        return DatelineResult(tidy, place, result.value, result.problem)

    def _epoch(self, epoch: int | str | None) -> DateResult:
        if isinstance(epoch, str):
            epoch = epoch.strip()
            if not epoch:
                return DateResult(None, "empty")
            if not re.fullmatch(r"[+-]?\d+", epoch):
                return DateResult(None, "unparsed")
            epoch = int(epoch)
        if epoch is None:
            return DateResult(None, "empty")
        try:
            value = (datetime(1970, 1, 1) + timedelta(seconds=epoch)).date()
        except OverflowError:
            return DateResult(None, "implausible")
        return self._judge(value, conflict=False)

    def _judge(self, found: date | str, conflict: bool) -> DateResult:
        if isinstance(found, str):
            return DateResult(None, found)
        if found.year < _MIN_YEAR or found > self._today:
            return DateResult(None, "implausible")
        return DateResult(found, "juche_conflict" if conflict else None)

    def _full_date(self, text: str, order: str) -> date | str:
        """A date with day, month and year, or the problem."""
        if len(text) > _MAX_LEN:
            return "unparsed"
        if self._fast_path and (found := _fast_full(text, order)):
            return found
        found = self._dateparser(text, order)
        if found is None:
            return "unparsed"
        for triple in _TRIPLE.finditer(text):
            if _reading(triple, order) != (found.day, found.month):
                return "implausible"  # dateparser read it against the site's order
        return found

    def _month_day(self, text: str) -> tuple[int, int] | None:
        """(month, day) of a year-less date that names its month."""
        if len(text) > _MAX_LEN or not any(char.isalpha() for char in text):
            return None
        if self._fast_path and (found := _fast_month_day(text)):
            return found
        # dateparser needs a year (it cannot read "7月25日" alone): lend it a leap year.
        with_year = f"{_LEAP}年{text}" if "月" in text else f"{text} {_LEAP}"
        parsed = self._dateparser(with_year, "DMY")
        if parsed is None or parsed.year != _LEAP:
            return None
        return parsed.month, parsed.day

    @staticmethod
    def _resolve(month_day: tuple[int, int] | None, context: date | None, nearest: bool = False) -> date | str:
        """The nearest date with this month and day not after ``context``, within a year.

        A dispatch may be dated a day or two after its posting (Beijing is five hours ahead of the
        Moscow editors), so "not after" allows DATELINE_GRACE: otherwise July 26 posted on July 25
        would be read as a year earlier — a wrong date.
        """
        if month_day is None or context is None:
            return "unparsed"
        if nearest:
            candidates = [_make_date(year, *month_day) for year in (context.year - 1, context.year, context.year + 1)]
            days = [day for day in candidates if day is not None]
            return min(days, key=lambda day: abs(day - context)) if days else "implausible"
        for year in (context.year + 1, context.year, context.year - 1):
            found = _make_date(year, *month_day)
            if found and found <= context + DATELINE_GRACE:
                return found
        return "implausible"  # 29 February more than a year before the context

    def _dateparser(self, text: str, order: str) -> date | None:
        parser = self._parsers.get(order)
        if parser is None:
            parser = self._parsers[order] = DateDataParser(
                languages=_LANGUAGES,
                settings={
                    "DATE_ORDER": order,
                    "REQUIRE_PARTS": ["day", "month", "year"],
                    "PARSERS": ["absolute-time"],  # no "2 days ago", no bare timestamps
                    "RETURN_AS_TIMEZONE_AWARE": False,
                },
            )
        try:
            found = parser.get_date_data(text).date_obj
        except Exception:  # dateparser raises assorted errors on odd input: treat as unparsed
            return None
        return found.date() if found else None
