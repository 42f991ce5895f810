"""archiver.normalize.jsonvalues: the one conversion of values to what JSON holds."""

from __future__ import annotations

import json
from datetime import date, datetime, time
from decimal import Decimal

from archiver.normalize.jsonvalues import jsonable


def test_values_become_what_json_holds() -> None:
    value = {
        "day": date(2024, 12, 4),
        "at": datetime(2024, 12, 4, 8, 30, 5),
        "time": time(8, 30),
        "bytes": b"\x00\xff",
        "whole": Decimal("3"),
        "part": Decimal("2.5"),
        "pair": (1, "a"),
        3: [None, True, 1.5],
    }
    assert jsonable(value) == {
        "day": "2024-12-04",
        "at": "2024-12-04T08:30:05",
        "time": "08:30:00",
        "bytes": "AP8=",
        "whole": 3,
        "part": 2.5,
        "pair": [1, "a"],
        "3": [None, True, 1.5],
    }


def test_other_values_are_left_alone_unless_a_fallback_is_given() -> None:
    odd = {1, 2}
    assert jsonable({"set": odd})["set"] is odd
    stored = jsonable({"set": odd, "nested": [{"at": datetime(2024, 1, 2)}]}, fallback=str)
    assert stored == {"set": "{1, 2}", "nested": [{"at": "2024-01-02T00:00:00"}]}
    assert json.loads(json.dumps(stored)) == stored
