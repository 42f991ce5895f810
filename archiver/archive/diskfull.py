"""Recognizing a full disk in what the database or the file system raised."""

from __future__ import annotations

import errno

#: PostgreSQL's SQLSTATE for "disk full".
PG_DISK_FULL = "53100"


def is_disk_full(exc: BaseException) -> bool:
    """Whether `exc` (or what it wraps) says the disk or the database is full."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        code = getattr(current, "sqlite_errorcode", None)
        if code is not None and code & 0xFF == 13:  # SQLITE_FULL
            return True
        if getattr(current, "sqlstate", None) == PG_DISK_FULL or getattr(current, "pgcode", None) == PG_DISK_FULL:
            return True
        if "database or disk is full" in str(current) or "No space left on device" in str(current):
            return True
        current = getattr(current, "orig", None) or current.__cause__ or current.__context__
    return False
