"""Reading a crawl's progress output (archiver/extensions/progress.py) and its summary line back as numbers."""

from __future__ import annotations

import re

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
PROGRESS = re.compile(
    r"^(?P<spider>[\w-]+):? (?:[━╸╺\s]*)(?:(?P<done>[\d,]+) of (?P<total>[\d,]+) (?P<unit>\w+(?: \w+)?) \(\d+%\))?"
    r".*?(?P<pages>[\d,]+) pages, (?P<entries>[\d,]+) entries, (?P<articles>[\d,]+) articles fetched, "
    r"(?P<new>[\d,]+) stored as new"
)
SUMMARY = re.compile(
    r"^(?P<spider>[\w-]+): \w+ in .*?: (?P<pages>\d+) pages fetched .*?; articles (?P<new>\d+) new, .*?"
    r"listing entries (?P<entries_new>\d+) new, (?P<entries_again>\d+) seen again;"
)


def frames(output: str) -> list[str]:
    """Each line, or each redraw of a terminal's bar, without colours and cursor moves."""
    return [_ANSI.sub("", part).strip() for part in re.split(r"[\r\n]", output) if _ANSI.sub("", part).strip()]


def progress_figures(output: str) -> list[dict]:
    """Every progress line (or bar frame) of `output`, as numbers (None where not shown)."""
    found = []
    for frame in frames(output):
        match = PROGRESS.match(frame)
        if match:
            found.append(
                {
                    key: (int(value.replace(",", "")) if value and value.replace(",", "").isdigit() else value)
                    for key, value in match.groupdict().items()
                }
            )
    return found


def summary_figures(stdout: str) -> dict:
    match = SUMMARY.match(stdout.strip().splitlines()[-1])
    assert match, stdout
    return {key: int(value) if value.isdigit() else value for key, value in match.groupdict().items()}
