"""Reading a response's headers the way the middlewares need them (one home for these helpers)."""

from __future__ import annotations

from scrapy.http import Response


def media_type(response: Response) -> str | None:
    """The media type of the Content-Type header, lower case and without parameters; None without one."""
    value = response.headers.get(b"Content-Type")
    if not value:
        return None
    return value.decode("latin-1").split(";", 1)[0].strip().lower() or None


def header(response: Response, name: str) -> str | None:
    """One header's value as text (latin-1, as HTTP sends it); None when absent or empty."""
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None
