"""Tests for archiver.normalize.dates: every case runs on the default normalizer (fast path and
cache) and on the pure dateparser path, which must agree exactly."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from archiver.bench.dates import run as run_bench
from archiver.normalize.dates import DatelineResult, DateNormalizer, DateResult

TODAY = date(2026, 3, 1)  # the crawl day of these tests


@pytest.fixture(params=["fast", "slow"])
def norm(request: pytest.FixtureRequest) -> DateNormalizer:
    fast = request.param == "fast"
    return DateNormalizer(today=TODAY, fast_path=fast, cache=fast)


PARSED = [
    ("Date: 23/10/2024", "DMY", date(2024, 10, 23)),
    ("04/12/2024", "DMY", date(2024, 12, 4)),
    ("18.02.2021", "DMY", date(2021, 2, 18)),
    ("12/31/2024", "MDY", date(2024, 12, 31)),
    ("2024/12/04", "YMD", date(2024, 12, 4)),
    ("23/10/2024 14:35", "DMY", date(2024, 10, 23)),
    ("December 28, 2024", "DMY", date(2024, 12, 28)),
    ("December 04, 2024", "MDY", date(2024, 12, 4)),
    ("February 29, 2024", "DMY", date(2024, 2, 29)),
    ("Mon, 26 Jan 2026 00:00:00 +0000", "DMY", date(2026, 1, 26)),
    ("2024-10-23T23:30:00-05:00", "DMY", date(2024, 10, 23)),  # the date as written
    ("Published: 25 июля 2023 г.", "DMY", date(2023, 7, 25)),
    ("25. Juli 2023", "DMY", date(2023, 7, 25)),
    ("２０２３年７月２５日", "DMY", date(2023, 7, 25)),
    ("February 18, Juche 110 (2021)", "DMY", date(2021, 2, 18)),
    ("April 1, 106, Juche (2017)", "DMY", date(2017, 4, 1)),
    ("February 18, Juche 110\u00a0(2021)", "DMY", date(2021, 2, 18)),
    ("February 18, Juche 110&nbsp;(2021)", "DMY", date(2021, 2, 18)),
    ("\tDecember\u2009 28,\u202f2024\n", "DMY", date(2024, 12, 28)),
    ("\xa0\n18.02.2021 ", "DMY", date(2021, 2, 18)),
]


@pytest.mark.parametrize(("raw", "order", "expected"), PARSED)
def test_parse(norm: DateNormalizer, raw: str, order: str, expected: date) -> None:
    assert norm.parse(raw, order=order) == DateResult(expected)
    assert sum(norm.counts.values()) == 0


REJECTED = [
    ("lorem ipsum", "DMY", "unparsed"),
    ("Read original version at source", "DMY", "unparsed"),
    ("32/13/2024", "DMY", "unparsed"),
    ("00/00/0000", "DMY", "unparsed"),
    ("February 30, 2024", "DMY", "unparsed"),
    ("July 25", "DMY", "unparsed"),  # no year
    ("yesterday", "DMY", "unparsed"),  # relative to what?
    ("2 days ago", "DMY", "unparsed"),
    ("1729688400", "DMY", "unparsed"),  # epochs go through date_from_epoch
    ("Mon, 26 Jan 2026 25:00:00 +0000", "DMY", "unparsed"),
    ("Posted on December 28, 2024 " + "by the editors " * 10, "DMY", "unparsed"),
    ("12/31/2024", "DMY", "implausible"),  # only month-first reads it
    ("2024-13-10", "DMY", "implausible"),  # only year-day-month reads it
    ("23/10/2024", "YMD", "implausible"),
    ("March 2, 2026", "DMY", "implausible"),  # after the crawl day
    ("December 31, 1899", "DMY", "implausible"),
    ("31.12.1899", "DMY", "implausible"),
    ("February 18, Juche 115 (2027)", "DMY", "implausible"),
    ("", "DMY", "empty"),
    (None, "DMY", "empty"),
    (" \xa0\u2009\n", "DMY", "empty"),
    ("&nbsp;", "DMY", "empty"),
]


@pytest.mark.parametrize(("raw", "order", "problem"), REJECTED)
def test_parse_rejects(norm: DateNormalizer, raw: str | None, order: str, problem: str) -> None:
    assert norm.parse(raw, order=order) == DateResult(None, problem)
    assert norm.counts[problem] == 1
    assert sum(norm.counts.values()) == 1


def test_juche_conflict_keeps_the_gregorian_year(norm: DateNormalizer) -> None:
    result = norm.parse("February 18, Juche 109 (2021)")
    assert result == DateResult(date(2021, 2, 18), "juche_conflict")
    assert norm.counts["juche_conflict"] == 1


def test_unknown_order_is_an_error(norm: DateNormalizer) -> None:
    with pytest.raises(ValueError):
        norm.parse("23/10/2024", order="dmy")


DATELINES = [
    # raw, context, cleaned raw, place, value
    ("July 25, Beijing (RSTV)", date(2023, 7, 25), "July 25, Beijing (RSTV)", "Beijing", date(2023, 7, 25)),
    ("December 31, Pyongyang (RSTV)", date(2024, 1, 2), "December 31, Pyongyang (RSTV)", "Pyongyang", date(2023, 12, 31)),
    # a dispatch dated a day or two after its posting stays in the same year (DATELINE_GRACE) ...
    ("July 26, Beijing (RSTV)", date(2023, 7, 25), "July 26, Beijing (RSTV)", "Beijing", date(2023, 7, 26)),
    ("January 1, Pyongyang (RSTV)", date(2023, 12, 31), "January 1, Pyongyang (RSTV)", "Pyongyang", date(2024, 1, 1)),
    # ... but further after it, the nearest earlier one is meant
    ("July 28, Beijing (RSTV)", date(2023, 7, 25), "July 28, Beijing (RSTV)", "Beijing", date(2022, 7, 28)),
    ("\xa0 \xa0July 25, Beijing (RSTV)\xa0 \xa0", date(2023, 7, 25), "July 25, Beijing (RSTV)", "Beijing", date(2023, 7, 25)),
    ("&nbsp;July\u202f25,\tBeijing (RSTV)&nbsp;", date(2023, 7, 25), "July 25, Beijing (RSTV)", "Beijing", date(2023, 7, 25)),
    ("25 июля, Пекин (RSTV)", date(2023, 7, 25), "25 июля, Пекин (RSTV)", "Пекин", date(2023, 7, 25)),
    ("7月25日，北京（RSTV）", date(2023, 7, 25), "7月25日，北京（RSTV）", "北京", date(2023, 7, 25)),
    ("25. Juli, Peking (RSTV)", date(2023, 7, 25), "25. Juli, Peking (RSTV)", "Peking", date(2023, 7, 25)),
    ("10 сентября, Москва (RSTV)", date(2023, 9, 10), "10 сентября, Москва (RSTV)", "Москва", date(2023, 9, 10)),
    ("February 29, Pyongyang (RSTV)", date(2025, 3, 1), "February 29, Pyongyang (RSTV)", "Pyongyang", date(2024, 2, 29)),
    # with a year the dateline's own year wins over the context
    ("February 16, Juche 114, Pyongyang (RSTV)", date(2023, 7, 25), "February 16, Juche 114, Pyongyang (RSTV)", "Pyongyang", date(2025, 2, 16)),
    ("December 28, 2024, Pyongyang", None, "December 28, 2024, Pyongyang", "Pyongyang", date(2024, 12, 28)),
]  # fmt: skip


@pytest.mark.parametrize(("raw", "context", "cleaned", "place", "expected"), DATELINES)
def test_parse_dateline(
    norm: DateNormalizer, raw: str, context: date | None, cleaned: str, place: str, expected: date
) -> None:
    assert norm.parse_dateline(raw, context=context) == DatelineResult(cleaned, place, expected)
    assert sum(norm.counts.values()) == 0


BAD_DATELINES = [
    # raw, context, cleaned raw, place, problem
    ("July 25, Beijing (RSTV)", None, "July 25, Beijing (RSTV)", "Beijing", "unparsed"),  # no year to resolve against
    ("Beijing (RSTV)", date(2023, 7, 25), "Beijing (RSTV)", None, "unparsed"),
    ("Read original version at source", date(2023, 7, 25), "Read original version at source", None, "unparsed"),
    ("February 30, Beijing (RSTV)", date(2023, 7, 25), "February 30, Beijing (RSTV)", "Beijing", "unparsed"),
    ("25.07, Beijing (RSTV)", date(2023, 7, 25), "25.07, Beijing (RSTV)", "Beijing", "unparsed"),  # year-less needs a month name
    ("February 29, Pyongyang (RSTV)", date(2026, 3, 1), "February 29, Pyongyang (RSTV)", "Pyongyang", "implausible"),
    ("July 25, Beijing (RSTV)", date(2026, 7, 25), "July 25, Beijing (RSTV)", "Beijing", "implausible"),  # after the crawl day
    ("February 16, Juche 116, Pyongyang (RSTV)", date(2025, 1, 1), "February 16, Juche 116, Pyongyang (RSTV)", "Pyongyang", "implausible"),
    ("", date(2023, 7, 25), "", None, "empty"),
    (None, None, "", None, "empty"),
]  # fmt: skip


@pytest.mark.parametrize(("raw", "context", "cleaned", "place", "problem"), BAD_DATELINES)
def test_parse_dateline_rejects(
    norm: DateNormalizer, raw: str | None, context: date | None, cleaned: str, place: str | None, problem: str
) -> None:
    assert norm.parse_dateline(raw, context=context) == DatelineResult(cleaned, place, None, problem)
    assert norm.counts[problem] == 1
    assert sum(norm.counts.values()) == 1


def test_dateline_juche_conflict(norm: DateNormalizer) -> None:
    result = norm.parse_dateline("February 16, Juche 113 (2025), Pyongyang (RSTV)", context=None)
    assert result == DatelineResult(
        "February 16, Juche 113 (2025), Pyongyang (RSTV)", "Pyongyang", date(2025, 2, 16), "juche_conflict"
    )
    assert norm.counts["juche_conflict"] == 1


EPOCHS = [
    (1729688400, DateResult(date(2024, 10, 23))),
    ("1729688400", DateResult(date(2024, 10, 23))),
    (" 1729688400\n", DateResult(date(2024, 10, 23))),
    (0, DateResult(date(1970, 1, 1))),
    (-2208988800, DateResult(date(1900, 1, 1))),
    (-2208988801, DateResult(None, "implausible")),  # 1899-12-31
    (1798761600, DateResult(None, "implausible")),  # 2027-01-01, after the crawl day
    (1729688400000, DateResult(None, "implausible")),  # milliseconds
    (10**20, DateResult(None, "implausible")),
    ("1729688400-811236574", DateResult(None, "unparsed")),
    ("soon", DateResult(None, "unparsed")),
    ("", DateResult(None, "empty")),
]


@pytest.mark.parametrize(("epoch", "expected"), EPOCHS)
def test_date_from_epoch(norm: DateNormalizer, epoch: int | str, expected: DateResult) -> None:
    assert norm.date_from_epoch(epoch) == expected
    assert sum(norm.counts.values()) == (expected.problem is not None)


def test_counts_every_problem_including_cache_hits(norm: DateNormalizer) -> None:
    assert dict(norm.counts) == {"empty": 0, "unparsed": 0, "implausible": 0, "juche_conflict": 0}
    for _ in range(3):
        norm.parse("lorem ipsum")
    norm.parse("12/31/2024")
    norm.parse(None)
    norm.parse("February 18, Juche 109 (2021)")
    norm.parse("February 18, Juche 109 (2021)")
    norm.parse("December 28, 2024")
    norm.parse_dateline("Beijing (RSTV)", context=date(2023, 7, 25))
    norm.date_from_epoch(10**12)
    counts = norm.counts
    assert dict(counts) == {"empty": 1, "unparsed": 4, "implausible": 2, "juche_conflict": 2}
    counts["unparsed"] = 100  # a copy: the normalizer's own tally is untouched
    assert norm.counts["unparsed"] == 4


def test_default_today_is_the_current_day() -> None:
    assert DateNormalizer().today == date.today()
    assert DateNormalizer().parse(f"{date.today() + timedelta(days=1):%d/%m/%Y}") == DateResult(None, "implausible")


def test_hot_shapes_never_reach_dateparser(monkeypatch: pytest.MonkeyPatch) -> None:
    norm = DateNormalizer(today=TODAY, cache=False)

    def fail(text: str, order: str) -> None:
        raise AssertionError(f"dateparser called on {text!r}")

    monkeypatch.setattr(norm, "_dateparser", fail)
    for raw, order, expected in PARSED:
        assert norm.parse(raw, order=order).value == expected
    for raw, context, _, _, expected in DATELINES:
        assert norm.parse_dateline(raw, context=context).value == expected


FAST = DateNormalizer(today=TODAY, cache=False)
SLOW = DateNormalizer(today=TODAY, fast_path=False, cache=False)
_FORMATS = [
    "{d:%d/%m/%Y}",
    "{d.day}.{d.month}.{d.year}",
    "{d:%B %d, %Y}",
    "{d:%b} {d.day} {d.year}",
    "{d.day} {d:%B %Y}",
    "{d:%a, %d %b %Y %H:%M:%S} +0000",
    "{d:%Y-%m-%d}T08:15:00Z",
    "{d:%Y/%m/%d}",
    "{d.year}年{d.month}月{d.day}日",
    "{d:%B} {d.day}, Juche {juche} ({d.year})",
]


@settings(max_examples=150, deadline=None)
@given(
    st.dates(min_value=date(1900, 1, 1), max_value=TODAY),
    st.sampled_from(_FORMATS),
)
def test_fast_path_matches_dateparser_on_valid_dates(day: date, form: str) -> None:
    assume(day.year >= 1912 or "Juche" not in form)  # Juche 1 is 1912
    raw = form.format(d=day, juche=day.year - 1911)
    assert FAST.parse(raw) == SLOW.parse(raw) == DateResult(day)


@settings(max_examples=150, deadline=None)
@given(
    st.integers(0, 33),
    st.integers(0, 13),
    st.sampled_from([1899, 1999, 2024, 2027]),
    st.sampled_from("/.-"),
    st.sampled_from(["DMY", "MDY", "YMD"]),
    st.booleans(),
)
def test_fast_path_matches_dateparser_on_any_numeric_date(
    first: int, second: int, year: int, sep: str, order: str, year_first: bool
) -> None:
    day_month = f"{first:02d}{sep}{second:02d}"
    raw = f"{year}{sep}{day_month}" if year_first else f"{day_month}{sep}{year}"
    assert FAST.parse(raw, order=order) == SLOW.parse(raw, order=order)


_MONTHS_DE = [
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
]


@settings(max_examples=100, deadline=None)
@given(
    st.dates(min_value=date(1900, 1, 1), max_value=TODAY),
    st.integers(0, 362),  # beyond 362 days, the next year's date falls within DATELINE_GRACE
    st.sampled_from(["{d:%B} {d.day}, Pyongyang", "{d.month}月{d.day}日，北京（RSTV）", "{d.day}. {de}, Peking"]),
)
def test_yearless_dateline_is_the_nearest_date_not_after_the_context(day: date, days_later: int, form: str) -> None:
    raw = form.format(d=day, de=_MONTHS_DE[day.month - 1])
    context = min(day + timedelta(days=days_later), TODAY)  # within a year: day is the nearest
    fast, slow = FAST.parse_dateline(raw, context=context), SLOW.parse_dateline(raw, context=context)
    assert fast == slow
    assert (fast.value, fast.problem) == (day, None)


def test_bench_runs_and_paths_agree() -> None:
    out = io.StringIO()
    figures = run_bench(300, out=out)
    assert figures["identical"] is True
    assert figures["n"] == 300
    assert figures["distinct"] > 250
    assert figures["normalizer_rate"] > 0 and figures["dateparser_rate"] > 0
    assert "dates/s" in out.getvalue()


# KCNA Watch: the site's days are Pyongyang days ------------------------------------------------
@pytest.mark.parametrize(
    ("epoch", "utc_day", "pyongyang_day"),
    [
        (1750885366, date(2025, 6, 25), date(2025, 6, 26)),  # 21:02 UTC: 06:02 in Pyongyang
        (1735347600, date(2024, 12, 28), date(2024, 12, 28)),  # 01:00 UTC: 10:00 in Pyongyang
        (1708300800, date(2024, 2, 19), date(2024, 2, 19)),  # midnight UTC: 09:00 in Pyongyang
        (1708297199, date(2024, 2, 18), date(2024, 2, 19)),  # 22:59:59 UTC: the next morning
        ("1729688400", date(2024, 10, 23), date(2024, 10, 23)),
    ],
)
def test_url_epochs_name_pyongyang_days(norm: DateNormalizer, epoch, utc_day, pyongyang_day) -> None:
    assert norm.date_from_epoch(epoch).value == utc_day
    assert norm.date_from_epoch(epoch, tz="Asia/Pyongyang") == DateResult(pyongyang_day)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Wed, 25 Jun 2025 21:02:46 +0000", date(2025, 6, 26)),  # a feed's GMT pubDate
        ("Mon, 26 Jan 2026 01:01:44 +0000", date(2026, 1, 26)),
        ("Sun, 25 Jan 2026 23:59:00 GMT", date(2026, 1, 26)),
        ("2025-06-25T21:02:46+00:00", date(2025, 6, 26)),  # Atom
        ("2025-06-25T21:02:46Z", date(2025, 6, 26)),
        (" December 28, 2024", date(2024, 12, 28)),  # listing dates, with or without a leading space
        ("December 28, 2024", date(2024, 12, 28)),
        ("Dec 28, 2024", date(2024, 12, 28)),  # the search pages' %b %d, %Y
        ("28/12/2024", date(2024, 12, 28)),  # the meta line's Date:, day first
    ],
)
def test_feed_and_listing_dates_on_pyongyang_days(norm: DateNormalizer, raw: str, expected: date) -> None:
    assert norm.parse(raw, order="DMY", tz="Asia/Pyongyang") == DateResult(expected)


def test_a_zoned_time_without_tz_keeps_its_printed_day(norm: DateNormalizer) -> None:
    assert norm.parse("Wed, 25 Jun 2025 21:02:46 +0000").value == date(2025, 6, 25)
