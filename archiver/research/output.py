"""Rows out, in the formats the research commands share: an aligned text table, CSV or JSON Lines.

Values are written the same way everywhere: dates and times in ISO 8601, NULL as an empty CSV
cell or JSON null, lists and mappings as JSON (a JSON array inside a CSV cell), bytes as base64.
CSV and JSONL are streamed row by row; the table, meant for people, is measured before it is
printed, so it may be capped at `max_rows` rows (with a note), and long cells are cut to
`max_width` characters with "…".
"""

from __future__ import annotations

import csv
import json
import os
import re
import sys
from collections.abc import Iterable, Sequence
from itertools import islice
from typing import Any, TextIO

from archiver.normalize.jsonvalues import jsonable

FORMATS = ("table", "csv", "jsonl")
_SPACES = re.compile(r"\s+")


def _json_default(value: Any) -> Any:
    converted = jsonable(value)
    if converted is value:
        raise TypeError(f"cannot write {type(value).__name__} as JSON")
    return converted


# The C encoder does the plain values; only dates, bytes and decimals come back to Python.
dumps = json.JSONEncoder(ensure_ascii=False, default=_json_default).encode


def csv_cell(value: Any) -> str:
    """`value` as one CSV cell: NULL is empty, true/false, lists and mappings as JSON."""
    value = jsonable(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def table_cell(value: Any, max_width: int | None) -> str:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return f"<{len(bytes(value))} bytes>"
    text = _SPACES.sub(" ", csv_cell(value)).strip()
    if max_width and len(text) > max_width:
        text = text[: max_width - 1] + "…"
    return text


def write_rows(
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    fmt: str,
    out: TextIO | None = None,
    *,
    max_width: int | None = 60,
    max_rows: int | None = None,
) -> int:
    """Write `rows` (sequences in the order of `columns`) to `out` in `fmt`; return how many.

    The table, which is measured before it is printed, holds at most `max_rows` rows (None: all)
    and then says, in one line, that more were left out."""
    out = out or sys.stdout
    if fmt == "jsonl":
        count = 0
        for row in rows:
            out.write(dumps(dict(zip(columns, row))) + "\n")
            count += 1
        return count
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        count = 0
        for row in rows:
            writer.writerow([csv_cell(v) for v in row])
            count += 1
        return count
    if fmt == "table":
        shown = rows if max_rows is None else islice(rows, max_rows + 1)
        cells = [[table_cell(v, max_width) for v in row] for row in shown]
        more = max_rows is not None and len(cells) > max_rows
        if more:
            cells.pop()
        widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
        out.write("  ".join(c.ljust(w) for c, w in zip(columns, widths)).rstrip() + "\n")
        out.write("  ".join("-" * w for w in widths) + "\n")
        for row in cells:
            out.write("  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip() + "\n")
        if not cells:
            out.write("(no rows)\n")
        if more:
            out.write(f"(only the first {max_rows} rows are shown; --format csv or jsonl gives every row)\n")
        return len(cells)
    raise ValueError(f"unknown output format: {fmt!r}")


def reader_went_away() -> int:
    """After a BrokenPipeError on stdout (`archiver export | head`): stop quietly, exit status 0.

    Python's recommended handling: point stdout at /dev/null so the interpreter's final flush
    does not fail again.
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return 0
