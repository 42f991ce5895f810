"""Checking `-s NAME=VALUE` overrides before a run starts, against the type of the setting's default.

Scrapy reads a setting only when a component first asks for it, deep inside the run: a bad value
(`DOWNLOAD_DELAY=abc`, `ROBOTSTXT_OBEY=maybe`) then ends as a traceback. Checked here, it is one line
before anything starts. The type is the default's (the archiver's settings, else Scrapy's); names
with no default, or a default of None, take any value.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from scrapy.settings import default_settings

from archiver import settings as archiver_settings
from archiver.archive.pages import check_compression
from archiver.archive.revisits import check_ages, check_count

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


class BadSetting(ValueError):
    """A `-s` value of the wrong type; the message is meant for the user."""


def default_of(name: str) -> Any:
    if hasattr(archiver_settings, name):
        return getattr(archiver_settings, name)
    return getattr(default_settings, name, None)


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def check_override(name: str, value: str) -> None:
    """BadSetting when `value` (text from the command line) cannot be what setting `name` holds."""
    if name in CHOICES:
        try:
            CHOICES[name](value)
        except (ValueError, RuntimeError, ImportError) as exc:
            raise BadSetting(f"-s {name}={value}: {exc}") from None
        return
    if name == "LOG_LEVEL":
        if not isinstance(logging.getLevelName(value.upper()), int):
            raise BadSetting(f"-s LOG_LEVEL={value}: not a log level (DEBUG, INFO, WARNING, ERROR, CRITICAL)")
        return
    default = default_of(name)
    text = value.strip()
    if isinstance(default, bool):
        if text.lower() not in BOOLEANS:
            raise BadSetting(f"-s {name}={value}: expected true/false or 1/0")
    elif isinstance(default, int):
        wants_float = any(part in name for part in FLOAT_NAMES)
        if not (text.lstrip("-").isdigit() or (wants_float and _is_float(text))):
            raise BadSetting(f"-s {name}={value}: expected a whole number")
    elif isinstance(default, float):
        if not _is_float(text):
            raise BadSetting(f"-s {name}={value}: expected a number")
    elif isinstance(default, dict):
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        if not isinstance(parsed, dict):
            raise BadSetting(f'-s {name}={value}: expected a JSON object, e.g. {{"name": 100}}')
