"""Pictures: counts over time without holes (series), drawn to PNG, SVG and HTML files (plot), and
`archiver search … --count-by month --plot FILE`; the coverage picture from plain rows."""

from __future__ import annotations

import re

import pytest

from archiver.cli import main
from archiver.research import plot
from archiver.research.series import Series, fill, periods_between
from tests.support.browse_archive import fill as fill_archive
from tests.support.pictures import png_size

needs_matplotlib = pytest.mark.skipif(not plot.plot_available(), reason="the plot extra (matplotlib) is missing")


# Series: every period between the first and the last ---------------------------------------------
def test_periods_run_across_years_both_kinds():
    assert periods_between("2023-11", "2024-02") == ["2023-11", "2023-12", "2024-01", "2024-02"]
    assert periods_between("1999", "2001") == ["1999", "2000", "2001"]
    assert periods_between("2024-03", "2024-02") == []


def test_fill_puts_zero_where_nothing_was_and_keeps_undated_apart():
    rows = [
        ("2024-01", "KCNA (EN)", 2),
        ("2024-04", "KCNA (EN)", 1),
        ("2024-03", "Rodong Sinmun", 3),
        (None, "Rodong Sinmun", 4),
        (None, None, 1),
        ("2024-02", None, 5),
    ]
    series = fill(rows)
    assert series.periods == ["2024-01", "2024-02", "2024-03", "2024-04"]
    assert series.values == {
        "KCNA (EN)": [2, 0, 0, 1],
        "Rodong Sinmun": [0, 0, 3, 0],
        "(none)": [0, 5, 0, 0],
    }
    assert series.undated == {"Rodong Sinmun": 4, "(none)": 1}
    assert series.rows()[:3] == [("2024-01", "KCNA (EN)", 2), ("2024-01", "Rodong Sinmun", 0), ("2024-01", "(none)", 0)]


def test_fill_within_bounds_and_by_year():
    rows = [("2024-01", "A", 2), ("2024-06", "B", 1)]
    assert fill(rows, first="2023-12", last="2024-02").values == {"A": [0, 2, 0]}
    assert fill([("2021", "A", 1), ("2023", "A", 2)]).values == {"A": [1, 0, 2]}
    assert fill([(None, "A", 3)]) == Series([], {}, {"A": 3})


# Files --------------------------------------------------------------------------------------------
SERIES = fill([("2023-12", "KCNA (EN)", 3), ("2024-03", "KCNA (EN)", 1), ("2024-02", "Rodong Sinmun", 2)])


@needs_matplotlib
def test_a_series_as_png_svg_and_html(tmp_path):
    png, svg, page = tmp_path / "mentions.png", tmp_path / "mentions.svg", tmp_path / "mentions.html"
    for target in (png, svg, page):
        plot.plot_series(SERIES, str(target), title="U.S.: articles per month per source")
    assert png_size(png) == (plot.WIDTH * plot.DPI, plot.SERIES_HEIGHT * plot.DPI) == (1000, 500)
    assert png.stat().st_size > 20_000
    assert svg.read_text(encoding="utf-8").lstrip().startswith("<?xml") and "<svg" in svg.read_text(encoding="utf-8")
    text = page.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and "<svg" in text and text.rstrip().endswith("</html>")
    assert "<script" not in text and not re.search(r'(src|href)="(?!#)', text)  # stands alone: nothing fetched
    assert "<th>period</th><th>KCNA (EN)</th><th>Rodong Sinmun</th>" in text
    # Every month drawn, the empty one as a zero.
    assert re.findall(r"<tr><td>([\d-]+)</td><td>(\d+)</td><td>(\d+)</td></tr>", text) == [
        ("2023-12", "3", "0"),
        ("2024-01", "0", "0"),
        ("2024-02", "0", "2"),
        ("2024-03", "1", "0"),
    ]
    assert not list(tmp_path.glob("*.part"))


@needs_matplotlib
def test_the_coverage_picture_from_plain_rows(tmp_path):
    rows = [
        ("kcnawatch / KCNA (EN)", "2023-11", 40, False),
        ("kcnawatch / KCNA (EN)", "2023-12", 0, True),
        ("kcnawatch / KCNA (EN)", "2024-02", 35, False),
        ("kcnawatch / Rodong Sinmun", "2023-11", 12, False),
        ("kcnawatch / Rodong Sinmun", "2024-01", 3, True),
        ("rstv / news", "2024-02", 7, False),
    ]
    png, page = tmp_path / "coverage.png", tmp_path / "coverage.html"
    for target in (png, page):
        plot.plot_coverage(rows, str(target), title="Articles per source per month")
    assert png_size(png) == (1000, int(plot.coverage_height(3) * plot.DPI)) == (1000, 300)
    assert png.stat().st_size > 15_000
    text = page.read_text(encoding="utf-8")
    assert text.count("<td>gap</td>") == 2 and "<svg" in text and "gap: not archived or not walked (2)" in text
    # Nothing to draw is said, not an error.
    plot.plot_coverage([], str(tmp_path / "empty.png"), title="Nothing yet")
    assert png_size(tmp_path / "empty.png") == (1000, 300)


def test_an_unknown_format_is_refused(tmp_path):
    with pytest.raises(plot.PlotError, match=r"--plot takes a \.png, \.svg or \.html file, got '.*out\.jpg'"):
        plot.plot_series(SERIES, str(tmp_path / "out.jpg"), title="x")


# The command --------------------------------------------------------------------------------------
@pytest.fixture
def archive(engine, db_url):
    fill_archive(engine)
    return db_url


@needs_matplotlib
def test_search_count_by_month_plot(archive, tmp_path, capsys):
    target = tmp_path / "mentions.png"
    code = main(["search", "Pyongyang* OR U.S.", "--count-by", "month", "--plot", str(target), "--db", archive])
    out, err = capsys.readouterr()
    assert code == 0
    # The table asked for (undated last), then the picture's line on stderr.
    assert out.splitlines() == [
        "month    articles",
        "-------  --------",
        "2024-01  2",
        "2024-04  2",
        "(none)   1",
        "5 matching articles",
    ]
    assert err == f"archiver: plot written to {target}\n"
    assert png_size(target) == (1000, 500)
    page = tmp_path / "mentions.html"
    assert main(["search", "Pyongyang* OR U.S.", "--count-by", "month", "--plot", str(page), "--db", archive]) == 0
    text = page.read_text(encoding="utf-8")
    rows = re.findall(r"<tr><td>([\d-]+)</td><td>(\d+)</td><td>(\d+)</td></tr>", text)
    # A line per source: every month from the first match to the last, zero in between.
    assert "<th>period</th><th>KCNA (EN)</th><th>Rodong Sinmun</th>" in text
    assert rows == [("2024-01", "2", "0"), ("2024-02", "0", "0"), ("2024-03", "0", "0"), ("2024-04", "1", "1")]
    assert "1 undated article not drawn" in text


def test_search_count_by_year(archive, capsys):
    assert main(["search", "Pyongyang*", "--count-by", "year,source", "--format", "csv", "--db", archive]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "year,source,articles",
        "2024,KCNA (EN),2",
        ",Rodong Sinmun,1",
    ]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--plot", "x.png"], "--plot draws counts over time: give --count-by month (or year), e.g. --count-by month"),
        (["--count-by", "month", "--plot", "x.gif"], "--plot takes a .png, .svg or .html file, got 'x.gif'"),
        (
            ["--count-by", "month,source,language", "--plot", "x.png"],
            "--plot draws one line per source or per language: count by one of them, not both",
        ),
    ],
)
def test_plot_usage_errors_are_one_line(archive, capsys, monkeypatch, extra, message):
    monkeypatch.setattr(plot, "plot_available", lambda: True)
    assert main(["search", "U.S.", *extra, "--db", archive]) == 2
    assert capsys.readouterr().err == f"archiver: error: {message}\n"


def test_plot_without_the_extra_names_it(archive, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(plot, "plot_available", lambda: False)  # as on a plain `pip install .`
    target = tmp_path / "x.png"
    assert main(["search", "U.S.", "--count-by", "month", "--plot", str(target), "--db", archive]) == 2
    out, err = capsys.readouterr()
    assert (out, err) == ("", "archiver: error: --plot needs the plot extra: pip install 'newsarchiver[plot]'\n")
    assert not target.exists()
