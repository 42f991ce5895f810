"""RSTV's date forms: YY/MM/DD listing dates, every dateline form of the site description (year
nearest the URL date), and Juche years in every form seen (the bracketed Gregorian year wins)."""

from __future__ import annotations

from datetime import date

import pytest

from archiver.normalize.dates import DatelineResult, DateNormalizer, DateResult

TODAY = date(2026, 1, 1)


@pytest.fixture(params=[True, False], ids=["fast", "dateparser"])
def norm(request) -> DateNormalizer:
    return DateNormalizer(today=TODAY, fast_path=request.param, cache=False)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Date: 21/04/01", date(2021, 4, 1)),
        ("21/04/01", date(2021, 4, 1)),  # never 21 April 2001
        ("19/08/25", date(2019, 8, 25)),
        ("19/12/21", date(2019, 12, 21)),
        ("23/09/10", date(2023, 9, 10)),
    ],
)
def test_listing_date_is_yy_mm_dd(norm: DateNormalizer, raw: str, expected: date) -> None:
    assert norm.parse(raw, order="YMD") == DateResult(expected)


def test_an_impossible_yy_mm_dd_is_unknown_not_day_first(norm: DateNormalizer) -> None:
    assert norm.parse("21/13/04", order="YMD").value is None


JUCHE = [
    ("February 18, Juche 110 (2021)", date(2021, 2, 18)),
    ("April 1, 106, Juche (2017)", date(2017, 4, 1)),
    ("November 29, 109 Juche (2020)", date(2020, 11, 29)),
    ("On March 11, 109 in Juche (2020)", date(2020, 3, 11)),
    ("June 19, 113 of Juche (2024)", date(2024, 6, 19)),
    ("On 10.04 Juche 111 (2022)", date(2022, 4, 10)),
    ("May 15th, 108 (2019)", date(2019, 5, 15)),
    ("Am 11. März des Jahres 109 Juche (2020)", date(2020, 3, 11)),
]


@pytest.mark.parametrize(("raw", "expected"), JUCHE)
def test_juche_forms(norm: DateNormalizer, raw: str, expected: date) -> None:
    assert norm.parse(raw) == DateResult(expected)
    assert norm.counts["juche_conflict"] == 0


def test_juche_year_alone_is_no_date(norm: DateNormalizer) -> None:
    assert norm.parse("Новый, 110 год чучхе (2021)") == DateResult(None, "unparsed")


def test_wrong_juche_year_keeps_the_gregorian_and_is_counted(norm: DateNormalizer) -> None:
    assert norm.parse("December 24, Juche 103 (2024)") == DateResult(date(2024, 12, 24), "juche_conflict")
    assert norm.counts["juche_conflict"] == 1


DATELINES = [
    # raw, URL date, place, story date
    ("July 25, Beijing (RSTV)", "2023-07-25", "Beijing", date(2023, 7, 25)),
    ("December 27, Moscow (RSTV)", "2023-12-28", "Moscow", date(2023, 12, 27)),
    ("Moscow, May 29 (RSTV)", "2023-05-30", "Moscow", date(2023, 5, 29)),
    ("Pyongyang, September 24 (RSTV)", "2023-09-24", "Pyongyang", date(2023, 9, 24)),
    ("January 30 (RSTV)", "2024-01-31", None, date(2024, 1, 30)),
    ("April 21 (RSTV)", "2021-04-22", None, date(2021, 4, 21)),
    ("September 22 (DPRK ISG Information Bureau - RSTV)", "2023-09-22", None, date(2023, 9, 22)),
    ("March 3, Minsk (KCNA - RSTV)", "2023-03-04", "Minsk", date(2023, 3, 3)),
    ("Berlin, 2. Mai (Informationsbüro der DVRK ISG – RSTV)", "2023-05-02", "Berlin", date(2023, 5, 2)),
    ("Peking, 25. Juli. /RSTV/", "2023-06-26", "Peking", date(2023, 7, 25)),  # a month after its URL date
    ("Berlin, 25. August. /RSTV/", "2023-08-26", "Berlin", date(2023, 8, 25)),
    ("Pjöngjang, 11. Februar /RSTV/", "2024-02-12", "Pjöngjang", date(2024, 2, 11)),
    ("10. März. /RSTV/", "2022-12-20", None, date(2023, 3, 10)),
    ("Berlin, 20. April /RSTV/", "2022-04-20", "Berlin", date(2022, 4, 20)),
    ("4. April, Budapest (Informationsbüro der DVRK ISG - RSTV)", "2023-04-05", "Budapest", date(2023, 4, 4)),
    ("15. August, Berlin - Moskau (Informationsbüro der DVRK ISG – RSTV)", "2025-10-18", "Berlin - Moskau", date(2025, 8, 15)),
    ("17 апреля, Пекин. /Пульгынбёль ТВ/", "2023-04-18", "Пекин", date(2023, 4, 17)),
    ("15 февраля, Сергиев Посад. /Информбюро МГС КНДР — Пульгынбёль ТВ/", "2024-02-16", "Сергиев Посад", date(2024, 2, 15)),
    ("28 января, Москва. /Информбюро МГС КНДР — Пульгынбёль ТВ/", "2023-01-28", "Москва", date(2023, 1, 28)),
    ("November 20, 2017 (News of Gorny Altai)", "2024-01-31", None, date(2017, 11, 20)),  # its own year
    ("April 14, 2018", "2018-04-20", None, date(2018, 4, 14)),
    ("April 5, Pyongyang", "2022-12-20", "Pyongyang", date(2023, 4, 5)),
    ("Moscow, July 30", "2024-06-29", "Moscow", date(2024, 7, 30)),
    ("15. August", "2025-10-18", None, date(2025, 8, 15)),
    ("\xa0\xa0\xa0July 25, Beijing (RSTV)\xa0\xa0\xa0", "2023-07-25", "Beijing", date(2023, 7, 25)),
    ("     Moscow, May 29 (RSTV)     ", "2023-05-30", "Moscow", date(2023, 5, 29)),
]  # fmt: skip


@pytest.mark.parametrize(("raw", "url_date", "place", "expected"), DATELINES)
def test_rstv_dateline_forms(norm: DateNormalizer, raw: str, url_date: str, place: str | None, expected: date) -> None:
    result = norm.parse_dateline(raw, context=date.fromisoformat(url_date), nearest=True)
    assert (result.place, result.value, result.problem) == (place, expected, None)
    assert result.raw == " ".join(raw.split())


def test_special_announcement_is_no_date(norm: DateNormalizer) -> None:
    assert norm.parse_dateline("special announcement", context=date(2023, 1, 1), nearest=True) == DatelineResult(
        "special announcement", None, None, "unparsed"
    )


def test_nearest_is_only_asked_for(norm: DateNormalizer) -> None:
    """Without `nearest` the year is still the nearest one not after the publication date."""
    assert norm.parse_dateline("10. März. /RSTV/", context=date(2022, 12, 20)).value == date(2022, 3, 10)


def test_juche_years_in_running_text_count_conflicts() -> None:
    norm = DateNormalizer(today=TODAY)
    text = "On June 19, 113 of Juche (2024), and on December 24, Juche 103 (2024), and in Juche 110 alone."
    assert norm.juche_years(text) == [(2024, 2024), (2014, 2024)]
    assert norm.counts["juche_conflict"] == 1
