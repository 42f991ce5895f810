"""The regular expressions of site profiles (`article_url`, `pagination.text`), run by RE2 in linear time.

A profile's patterns are matched against every link of every listing a crawl reads, and a profile
is written by hand: with a backtracking engine (Python's `re`) a pattern such as
`^/news/(\\w+|a+)*\\d*$` and a link `/news/aaaa…a!` take exponential time, and the crawl hangs
with 100% CPU. Google's RE2 (the `google-re2` package) matches in time linear in the text, whatever
the pattern: nothing a profile says or a site links can hang a crawl. RE2 has no look-around and
no back-references (they cannot run in linear time); a profile using them is refused in one line.
`\\d`, `\\w`, `\\s` and `\\b` mean ASCII characters only, as in URL paths (percent-encoded).
"""

from __future__ import annotations

import functools
from typing import Any, Protocol

import re2

#: The longest pattern taken; RE2 also refuses a pattern whose program would pass RE2_MEMORY.
MAX_PATTERN = 2_000
RE2_MEMORY = 8 << 20


class Match(Protocol):
    def group(self, *groups: int | str) -> str | None: ...
    def groupdict(self) -> dict[str, Any]: ...


class Pattern(Protocol):
    """What the profile spider uses of a compiled pattern (RE2's and Python's both have it)."""

    @property
    def pattern(self) -> str: ...
    def search(self, text: str) -> Match | None: ...
    def match(self, text: str) -> Match | None: ...


class PatternError(ValueError):
    """A pattern RE2 cannot run; `str()` says why in one line."""


@functools.lru_cache(maxsize=256)
def compile_pattern(text: str, *, ignore_case: bool = False) -> Pattern:
    """`text` compiled by RE2 (PatternError, one line, when it cannot be); compiled once per text."""
    if len(text) > MAX_PATTERN:
        raise PatternError(f"longer than {MAX_PATTERN} characters ({len(text)})")
    options = re2.Options()
    options.log_errors = False  # RE2 would print its own copy of the error on stderr
    options.case_sensitive = not ignore_case
    options.max_mem = RE2_MEMORY
    try:
        return re2.compile(text, options)
    except re2.error as exc:
        reason = exc.args[0] if exc.args else exc
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        raise PatternError(f"{reason}{_hint(str(reason))}") from None


def _hint(reason: str) -> str:
    if reason.startswith("invalid perl operator: (?") and reason[len("invalid perl operator: (?") :][:1] in "=!<":
        return " (patterns run on RE2, in linear time: no look-ahead or look-behind)"
    if reason.startswith("invalid escape sequence: \\") and reason[-1:].isdigit():
        return " (patterns run on RE2, in linear time: no back-references)"
    return ""
