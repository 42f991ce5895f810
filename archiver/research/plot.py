"""Pictures of the archive, drawn with matplotlib (the optional `plot` extra).

- `plot_series`: a Series (archiver/research/series.py) as one line per name over its periods, a
  period without articles drawn at zero: `archiver search TERMS --count-by month --plot FILE`.
- `plot_coverage`: articles per group per month from plain rows (group, 'YYYY-MM', count, is_gap),
  one band per group, the shade the count, every gap marked (red hatching) whatever its count.

The format follows FILE's suffix: .png, .svg, or .html (a page holding the SVG and the numbers as a
table, readable without the picture). The file is written whole or not at all (outfile.py).
"""

from __future__ import annotations

import html
import importlib.util
import io
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from archiver.research.outfile import open_output
from archiver.research.series import Series, periods_between

FORMATS = (".png", ".svg", ".html")
EXTRA = "plot"
DPI = 100
#: Width of every picture, in inches (at DPI: 1,000 pixels).
WIDTH = 10.0
SERIES_HEIGHT = 5.0
GAP_COLOUR = "#d62728"
LINE_STYLES = ("-", "--", ":", "-.")
MARKERS = ("o", "s", "^", "D", "v", "P")


class PlotError(Exception):
    """A picture that cannot be drawn; the message is meant for the user."""


def plot_available() -> bool:
    return importlib.util.find_spec("matplotlib") is not None


def check_target(target: str) -> str:
    """The format of a picture file (its suffix), or PlotError: an unknown suffix, or no matplotlib."""
    suffix = Path(target).suffix.lower()
    if suffix not in FORMATS:
        raise PlotError(f"--plot takes a .png, .svg or .html file, got {target!r}")
    if not plot_available():
        raise PlotError(f"--plot needs the {EXTRA} extra: pip install 'newsarchiver[{EXTRA}]'")
    return suffix


def coverage_height(groups: int) -> float:
    """Height in inches of a coverage picture of `groups` bands (at DPI: pixels / 100)."""
    return max(3.0, round(1.6 + 0.3 * groups, 2))


def _tick_positions(periods: Sequence[str], most: int = 14) -> list[int]:
    """Which periods to label: every one when few, else every k-th (Januaries first for months)."""
    if len(periods) <= most:
        return list(range(len(periods)))
    monthly = len(periods[0]) == 7
    for step in (1, 2, 3, 6, 12, 24, 60, 120) if monthly else (1, 2, 5, 10, 20, 50):
        if len(periods) / step <= most:
            break
    if monthly and step >= 12:
        return [i for i, p in enumerate(periods) if p.endswith("-01") and int(p[:4]) % (step // 12) == 0]
    offset = next((i for i, p in enumerate(periods) if p.endswith("-01")), 0) % step if monthly else 0
    return list(range(offset, len(periods), step))


def _figure(height: float):
    from matplotlib.figure import Figure  # the extra: imported only to draw

    return Figure(figsize=(WIDTH, height), dpi=DPI, layout="constrained")


def plot_series(
    series: Series, target: str, *, title: str, ylabel: str = "articles", protected: Iterable[Path] = ()
) -> None:
    """Draw `series` to `target` (.png, .svg or .html): a line per name, zeros drawn as zeros."""
    suffix = check_target(target)
    from matplotlib.ticker import MaxNLocator

    figure = _figure(SERIES_HEIGHT)
    axes = figure.add_subplot()
    x = list(range(len(series.periods)))
    for number, (name, values) in enumerate(series.values.items()):
        # Lines that coincide stay told apart: each its own dash and marker.
        axes.plot(
            x,
            values,
            linestyle=LINE_STYLES[number % len(LINE_STYLES)],
            marker=MARKERS[number % len(MARKERS)] if len(x) <= 48 else None,
            markersize=5,
            linewidth=1.6,
            alpha=0.85,
            label=name,
        )
    ticks = _tick_positions(series.periods)
    axes.set_xticks(ticks, [series.periods[i] for i in ticks], rotation=45, ha="right")
    axes.set_ylim(bottom=0, top=max([max(v) for v in series.values.values()] + [1]) * 1.1)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_ylabel(ylabel)
    axes.grid(axis="y", alpha=0.3)
    axes.set_title(title)
    if series.values:
        axes.legend(loc="upper left", fontsize="small", ncols=max(1, min(4, len(series.values) // 8 + 1)))
    else:
        axes.text(0.5, 0.5, "no dated articles", ha="center", va="center", transform=axes.transAxes)
    undated = sum(series.undated.values())
    axes.set_xlabel(f"{undated} undated article{'' if undated == 1 else 's'} not drawn" if undated else "")
    names = list(series.values)
    table = [[period, *(series.values[n][i] for n in names)] for i, period in enumerate(series.periods)]
    _write(figure, target, suffix, title, ["period", *names], table, protected)


def plot_coverage(
    rows: Iterable[tuple[str, str, int, bool]], target: str, *, title: str, protected: Iterable[Path] = ()
) -> None:
    """Draw articles per group per month to `target` from rows (group, 'YYYY-MM', count, is_gap).

    Groups keep the order of their first row; months run from the first to the last of any row, a
    month without a row drawn as nothing archived; gaps are hatched red over their shade.
    """
    suffix = check_target(target)
    import numpy
    from matplotlib.colors import LogNorm
    from matplotlib.patches import Patch, Rectangle

    rows = list(rows)
    groups: list[str] = list(dict.fromkeys(str(row[0]) for row in rows))
    months = periods_between(min(r[1] for r in rows), max(r[1] for r in rows)) if rows else []
    column = {month: i for i, month in enumerate(months)}
    band = {group: i for i, group in enumerate(groups)}
    counts = numpy.zeros((len(groups), len(months)))
    gaps: set[tuple[int, int]] = set()
    for group, month, count, is_gap in rows:
        counts[band[str(group)], column[month]] += count
        if is_gap:
            gaps.add((band[str(group)], column[month]))

    figure = _figure(coverage_height(len(groups)))
    axes = figure.add_subplot()
    if rows:
        shaded = numpy.ma.masked_less_equal(counts, 0)
        colours = axes.pcolormesh(
            numpy.arange(len(months) + 1),
            numpy.arange(len(groups) + 1),
            shaded,
            cmap="Blues",
            norm=LogNorm(vmin=0.5, vmax=max(1.0, float(counts.max()))),  # 1 a light shade, not white
            edgecolors="#eeeeee",
            linewidth=0.2,
        )
        figure.colorbar(colours, ax=axes, label="articles per month", pad=0.01)
        for band_index, month_index in sorted(gaps):
            axes.add_patch(
                Rectangle((month_index, band_index), 1, 1, fill=False, hatch="xxx", edgecolor=GAP_COLOUR, linewidth=0)
            )
        axes.set_xlim(0, len(months))
        axes.set_ylim(len(groups), 0)  # the first group on top
        ticks = _tick_positions(months)
        axes.set_xticks([i + 0.5 for i in ticks], [months[i] for i in ticks], rotation=45, ha="right")
        axes.set_yticks([i + 0.5 for i in range(len(groups))], groups, fontsize="small")
        axes.legend(
            handles=[
                Patch(
                    facecolor="white",
                    edgecolor=GAP_COLOUR,
                    hatch="xxx",
                    label=f"gap: not archived or not walked ({len(gaps)})",
                )
            ],
            loc="upper right",
            bbox_to_anchor=(1.0, 1.0 + 0.6 / coverage_height(len(groups))),
            fontsize="small",
            frameon=False,
        )
    else:
        axes.text(0.5, 0.5, "nothing archived", ha="center", va="center", transform=axes.transAxes)
    axes.set_title(title, loc="left")
    table = [[group, month, count, "gap" if is_gap else ""] for group, month, count, is_gap in rows]
    _write(figure, target, suffix, title, ["group", "month", "articles", "gap"], table, protected)


def _write(
    figure: Any,
    target: str,
    suffix: str,
    title: str,
    header: Sequence[str],
    table: Sequence[Sequence[object]],
    protected: Iterable[Path],
) -> None:
    if suffix == ".html":
        picture = io.BytesIO()
        figure.savefig(picture, format="svg")
        svg = picture.getvalue().decode("utf-8")
        data = html_page(title, svg[svg.index("<svg") :], header, table).encode("utf-8")
    else:
        picture = io.BytesIO()
        figure.savefig(picture, format=suffix[1:])
        data = picture.getvalue()
    with open_output(target, protected, binary=True) as out:
        out.write(data)


def html_page(title: str, svg: str, header: Sequence[str], table: Sequence[Sequence[object]]) -> str:
    """A page standing alone (no script, nothing fetched): the title, the picture, the numbers."""
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "\n".join("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>" for row in table)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{html.escape(title)}</title>
<style>
body {{ font-family: sans-serif; margin: 1.5em; }}
svg {{ max-width: 100%; height: auto; }}
table {{ border-collapse: collapse; margin-top: 1em; font-size: 90%; }}
th, td {{ border: 1px solid #ccc; padding: 2px 8px; text-align: right; }}
th:first-child, td:first-child {{ text-align: left; }}
</style>
</head>
<body>
<h1>{html.escape(title)}</h1>
{svg}
<details><summary>The numbers</summary>
<table>
<thead><tr>{head}</tr></thead>
<tbody>
{body}
</tbody>
</table>
</details>
</body>
</html>
"""
