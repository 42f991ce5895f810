"""Values as JSON can hold them: the one conversion behind output rows and stored run stats.

Dates and times become ISO 8601 text, bytes base64, decimals numbers, tuples lists, mapping keys
text. Anything else is returned as it is, or passed to `fallback` (e.g. `str`) when one is given.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

_PLAIN = (str, int, float, bool, type(None))


def jsonable(value: Any, fallback: Callable[[Any], Any] | None = None) -> Any:
    """`value` as JSON can hold it (recursively through lists, tuples and dicts)."""
    if type(value) in _PLAIN:  # the common case first: one lookup
        return value
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (list, tuple)):
        return [jsonable(v, fallback) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v, fallback) for k, v in value.items()}
    if isinstance(value, (str, int, float)):  # subclasses (an IntEnum, a str subclass)
        return value
    return fallback(value) if fallback is not None else value
