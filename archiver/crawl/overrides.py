"""Checking `-s NAME=VALUE` overrides before a run starts: the name, and the value against its setting.

Scrapy reads a setting only when a component first asks for it, deep inside the run: a bad value
(`DOWNLOAD_DELAY=abc`, `ROBOTSTXT_OBEY=maybe`, `RETRY_HTTP_CODES=abc`) then ends as a traceback,
and a value out of range (`DOWNLOAD_DELAY=inf`, `DOWNLOAD_MAXSIZE=-1`) as a crawl that hangs or
misbehaves. Checked here, each is one line before anything starts. The type is the default's (the
archiver's settings, else Scrapy's); numbers are finite, not negative (but priorities), and delays
and timeouts bounded. A name no component knows is a typo when a known name is close to it
(`DOWNLOAD_DELAYY`: refused, naming `DOWNLOAD_DELAY`), else passed on with a warning.
"""

from __future__ import annotations

import difflib
import json
import logging
import math
import os
from typing import Any

from scrapy.settings import default_settings

from archiver import settings as archiver_settings
from archiver.archive.pages import check_compression
from archiver.archive.revisits import check_ages, check_count
from archiver.exceptions import CompressionUnavailable

BOOLEANS = {"1": True, "0": False, "true": True, "false": False}
#: Integer defaults that Scrapy reads with getfloat (so "0.5" is fine).
FLOAT_NAMES = ("DELAY", "TIMEOUT", "INTERVAL")
#: Settings whose values come from a fixed list, with a check that raises ValueError.
CHOICES = {
    "ARCHIVER_SNAPSHOT_COMPRESSION": check_compression,
    "ARCHIVER_REVISIT_AGES": check_ages,
    "ARCHIVER_REVISIT_BUDGET": check_count,
    "ARCHIVER_REVISIT_SAMPLE": check_count,
    "ARCHIVER_REVISIT_SEED": check_count,
}
#: The largest whole number taken (SQLite integers and C longs are 64-bit).
MAX_WHOLE = 2**63 - 1
#: Upper bounds, in seconds, by a word of the name: a delay of more than an hour between two
#: requests, or a timeout of more than a day, is a mistake (`inf` and `1e308` hang the crawl).
MAX_SECONDS = {"DELAY": 3600.0, "TIMEOUT": 86400.0}
#: Numbers that may be negative: priority adjustments.
SIGNED_NAMES = ("PRIORITY",)
#: Settings the command line sets from its own options: `-s` must not point the run elsewhere.
RESERVED = {
    "ARCHIVER_DB_URL": "give the database with --db",
    "ARCHIVER_MODE": "it is set by the command (crawl, backfill, worker)",
}
#: Settings read by the project's components or by scrapy-redis without a default in either settings module.
OTHER_KNOWN = frozenset(
    {
        "ARCHIVER_IDLE_BEFORE_CLOSE",
        "ARCHIVER_REDIS_CRAWL_ID",
        "ARCHIVER_RSTV_VIA",
        "ARCHIVER_SEED",
        "ARCHIVER_SEED_ONLY",
        "ARCHIVER_WORKER_CHECK_INTERVAL",
        "ARCHIVER_WORKER_ID",
        "ARCHIVER_WORKER_TTL",
        "DUPEFILTER_DEBUG",
        "REDIS_ENCODING",
        "REDIS_HOST",
        "REDIS_ITEMS_KEY",
        "REDIS_ITEMS_SERIALIZER",
        "REDIS_PARAMS",
        "REDIS_PORT",
        "REDIS_START_URLS_AS_SET",
        "REDIS_START_URLS_KEY",
        "REDIS_URL",
        "SCHEDULER_DUPEFILTER_CLASS",
        "SCHEDULER_DUPEFILTER_KEY",
        "SCHEDULER_FLUSH_ON_START",
        "SCHEDULER_IDLE_BEFORE_CLOSE",
        "SCHEDULER_PERSIST",
        "SCHEDULER_QUEUE_CLASS",
        "SCHEDULER_QUEUE_KEY",
        "SCHEDULER_SERIALIZER",
    }
)
#: How close a name must be to a known one to be taken for a typo of it (difflib's ratio).
TYPO_CUTOFF = 0.85


class BadSetting(ValueError):
    """A `-s` name or value that cannot be used; the message is meant for the user."""


def default_of(name: str) -> Any:
    if hasattr(archiver_settings, name):
        return getattr(archiver_settings, name)
    return getattr(default_settings, name, None)


def known_names() -> set[str]:
    """Every setting name Scrapy, scrapy-redis or the archiver reads."""
    names = {n for n in dir(default_settings) if n.isupper()} | {n for n in dir(archiver_settings) if n.isupper()}
    return names | OTHER_KNOWN


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def check_name(name: str) -> str | None:
    """BadSetting for a reserved name or a typo of a known one; a warning line for a name nobody
    knows (a third-party component's, passed on as given); None for a known name."""
    if name in RESERVED:
        raise BadSetting(f"-s {name}: not settable here: {RESERVED[name]}")
    known = known_names()
    if name in known:
        return None
    close = difflib.get_close_matches(name, known, n=1, cutoff=TYPO_CUTOFF)
    if close:
        raise BadSetting(f"-s {name}: no such setting; did you mean {close[0]}?")
    return f"-s {name}: not a setting Scrapy or the archiver knows; passed on as given"


def check_number(name: str, value: str, number: float) -> None:
    """Finite; not negative unless a priority; delays and timeouts within MAX_SECONDS."""
    if not math.isfinite(number):
        raise BadSetting(f"-s {name}={value}: expected a finite number")
    if number < 0 and not any(word in name for word in SIGNED_NAMES):
        raise BadSetting(f"-s {name}={value}: expected 0 or more")
    for word, limit in MAX_SECONDS.items():
        if word in name and number > limit:
            raise BadSetting(f"-s {name}={value}: at most {limit:g} seconds")
    if abs(number) > MAX_WHOLE:
        raise BadSetting(f"-s {name}={value}: at most {MAX_WHOLE}")


def check_folder(name: str, value: str) -> None:
    """A folder the run will write to (JOBDIR): made now, or one line saying why it cannot be."""
    try:
        os.makedirs(value, exist_ok=True)
    except OSError as exc:
        raise BadSetting(f"-s {name}={value}: cannot create the folder: {exc.strerror or exc}") from None
    if not os.access(value, os.W_OK | os.X_OK):
        raise BadSetting(f"-s {name}={value}: the folder is not writable")


def check_override(name: str, value: str) -> str | None:
    """BadSetting when `value` (text from the command line) cannot be what setting `name` holds, or
    the name is a typo; a warning line for a name nobody knows; None when all is well."""
    warning = check_name(name)
    if name in CHOICES:
        try:
            CHOICES[name](value)
        except (ValueError, RuntimeError, ImportError, CompressionUnavailable) as exc:
            raise BadSetting(f"-s {name}={value}: {exc}") from None
        return warning
    if name == "LOG_LEVEL":
        if not isinstance(logging.getLevelName(value.upper()), int):
            raise BadSetting(f"-s LOG_LEVEL={value}: not a log level (DEBUG, INFO, WARNING, ERROR, CRITICAL)")
        return warning
    if name == "JOBDIR":
        check_folder(name, value)
        return warning
    default = default_of(name)
    text = value.strip()
    if isinstance(default, bool):
        if text.lower() not in BOOLEANS:
            raise BadSetting(f"-s {name}={value}: expected true/false or 1/0")
    elif isinstance(default, int):
        wants_float = any(part in name for part in FLOAT_NAMES)
        number = _number(text)
        if not (text.lstrip("-").isdigit() or (wants_float and number is not None)) or number is None:
            raise BadSetting(f"-s {name}={value}: expected a whole number")
        check_number(name, value, number if wants_float else int(text))
    elif isinstance(default, float):
        number = _number(text)
        if number is None:
            raise BadSetting(f"-s {name}={value}: expected a number")
        check_number(name, value, number)
    elif isinstance(default, (list, tuple)):
        check_list(name, value, default)
    elif isinstance(default, dict):
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        if not isinstance(parsed, dict):
            raise BadSetting(f'-s {name}={value}: expected a JSON object, e.g. {{"name": 100}}')
    return warning


def check_list(name: str, value: str, default: list | tuple) -> None:
    """A comma-separated list (Scrapy's getlist); whole numbers when the default holds whole numbers."""
    if not default or not all(isinstance(v, int) and not isinstance(v, bool) for v in default):
        return
    parts = [part.strip() for part in value.split(",")]
    if not all(part.isdigit() for part in parts):
        raise BadSetting(f"-s {name}={value}: expected whole numbers separated by commas, e.g. 500,503")
    for part in parts:
        check_number(name, value, int(part))
