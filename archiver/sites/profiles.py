"""Site profiles: a listing-based news site described in a short TOML file instead of a Python spider.

This module reads and validates profiles; `spiders/profile.py` is the spider that crawls by one, and
`spiders/loader.py` makes every profile in the sites folder a spider name. A profile that cannot be
used raises `ProfileError` with one line naming the file, the key and what is wrong.

A profile (see docs/profiles.md for the whole format)::

    name = "partyweekly"                      # the spider's name and the items' `site`
    base_url = "https://partyweekly.example"
    start = ["/category/news/"]               # listing pages to start from (site paths)
    article_url = '^/\\d{4}/\\d{2}/\\d{2}/[^/]+/$' # regex (RE2) searched in an article's path (and query)
    language = "en"                           # an ISO 639-1 code, "detect", or a list to detect among
    timezone = "America/New_York"             # the zone whose days the site names (IANA)

    [pagination]
    kind = "next_link"                        # next_link | template | load_more
    text = "Older posts"                      # next_link / load_more: the link's text, or `selector`
    # url = "/news/?start={offset}"           # template (and load_more): {page} or {offset}

    [dates]
    listing = "MDY"                           # per page kind: an order (DMY, MDY, YMD) or a strptime format
    article = "%d %B %Y"

    [listing]                                 # optional CSS selectors; defaults read around the link
    entry = "article.post"
    [article]
    body = "div.entry-content > p"            # default: the main text found by trafilatura
"""

from __future__ import annotations

import re
import stat
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cssselect import SelectorError
from parsel import css2xpath

from archiver.normalize.dates import ORDERS, site_zone
from archiver.normalize.urls import check_site_url
from archiver.sites.patterns import Pattern, PatternError, compile_pattern

PAGINATION_KINDS = ("next_link", "template", "load_more")
#: The page kind of the pages each pagination kind leads to.
PAGINATION_PAGE_KINDS = {"next_link": "listing", "template": "listing", "load_more": "fragment"}
PAGE_KINDS = ("listing", "article", "feed", "fragment", "sitemap", "day_archive", "search")
LISTING_FIELDS = ("entry", "link", "title", "teaser", "date", "source")
ARTICLE_FIELDS = ("title", "subtitle", "body", "date", "author", "source", "category", "tags")
NAME = re.compile(r"[a-z][a-z0-9_-]{0,63}")
LANGUAGE = re.compile(r"[a-z]{2}")
TOP_KEYS = {
    "name": "the site's name",
    "base_url": "the site's address",
    "start": "the listing pages to start from",
    "article_url": "the article URL pattern",
    "language": "the language",
    "timezone": "the time zone whose days the site names",
    "source": "the source",
    "description": "a description",
    "download_delay": "the delay between requests",
    "pagination": "how listings page on",
    "dates": "date orders or formats",
    "listing": "listing selectors",
    "article": "article selectors",
    "check_urls": "pages for `archiver check`",
}
REQUIRED = ("name", "base_url", "start", "article_url")
#: A profile is a short file: anything larger is not one (and is not read whole).
MAX_PROFILE_BYTES = 256 * 1024
#: The longest delay between two requests a profile may ask for (as `-s DOWNLOAD_DELAY` allows).
MAX_DELAY = 3600.0
#: The longest CSS selector taken (one of 20,000 steps is no hint, but a hang).
MAX_SELECTOR_LENGTH = 2000


class ProfileError(ValueError):
    """A profile that cannot be used: `str()` is one line naming the file, the key and the problem."""

    def __init__(self, path: Path | str, key: str | None, problem: str) -> None:
        self.path = str(path)
        self.key = key
        self.problem = problem
        super().__init__(f"{self.path}: {key}: {problem}" if key else f"{self.path}: {problem}")


@dataclass(frozen=True)
class Pagination:
    """How a listing leads to its next page (or "load more" fragment)."""

    kind: str | None = None  # None: listings do not page on
    text: str | None = None  # the link's visible text (a case-insensitive regex, run by RE2)
    selector: str | None = None  # CSS for the link element or its URL (`::attr(href)`)
    url: str | None = None  # a template with {page} or {offset}
    step: int | None = None  # {offset}: added per page (default: the entries of the page)
    first_page: int = 1  # {page}: the number of the start page

    @property
    def page_kind(self) -> str:
        return PAGINATION_PAGE_KINDS.get(self.kind or "", "listing")


@dataclass(frozen=True)
class DateRule:
    """How one page kind prints dates: a numeric order, and optionally an exact strptime format."""

    order: str = "DMY"
    format: str | None = None


@dataclass(frozen=True)
class Profile:
    path: Path
    name: str
    base_url: str
    start: tuple[str, ...]
    article_url: Pattern
    language: str | tuple[str, ...] | None = None  # a code, candidates to detect among, or None: detect
    timezone: str | None = None  # an IANA zone name; None: unknown (docs/profiles.md, "Dates")
    source: str | None = None
    description: str | None = None
    download_delay: float | None = None
    pagination: Pagination = field(default_factory=Pagination)
    dates: Mapping[str, DateRule] = field(default_factory=dict)
    listing: Mapping[str, str] = field(default_factory=dict)
    article: Mapping[str, str] = field(default_factory=dict)
    check_urls: Mapping[str, list[str]] = field(default_factory=dict)

    def date_order(self, page_kind: str) -> str | None:
        """The numeric date order the profile names for a page kind, None when it names none."""
        if page_kind in self.dates or (page_kind == "fragment" and "listing" in self.dates):
            return self.date_rule(page_kind).order
        return None

    def date_rule(self, page_kind: str) -> DateRule:
        """The page kind's rule; a fragment prints dates like its listing; else the article's or DMY."""
        if page_kind in self.dates:
            return self.dates[page_kind]
        if page_kind == "fragment" and "listing" in self.dates:
            return self.dates["listing"]
        return DateRule()


class _Reader:
    """Checks one parsed TOML document key by key, raising ProfileError at the first problem."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, key: str | None, problem: str) -> ProfileError:
        return ProfileError(self.path, key, problem)

    def string(self, table: Mapping[str, Any], key: str, prefix: str = "", *, required: bool = False) -> str | None:
        value = table.get(key)
        if value is None:
            if required:
                raise self.fail(prefix + key, "missing (required)")
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.fail(prefix + key, f"must be a non-empty string, got {value!r}")
        return value.strip()

    def required(self, table: Mapping[str, Any], key: str, prefix: str = "") -> str:
        value = self.string(table, key, prefix, required=True)
        assert value is not None  # string() raised otherwise
        return value

    def table(self, document: Mapping[str, Any], key: str) -> Mapping[str, Any]:
        value = document.get(key, {})
        if not isinstance(value, dict):
            raise self.fail(key, f"must be a table ([{key}]), got {value!r}")
        return value

    def known_keys(self, table: Mapping[str, Any], allowed, prefix: str = "") -> None:
        for key in table:
            if key not in allowed:
                raise self.fail(prefix + key, f"unknown key (known: {', '.join(allowed)})")

    def regex(self, value: str, key: str, *, ignore_case: bool = False) -> Pattern:
        """The pattern compiled by RE2 (archiver/sites/patterns.py: it cannot hang a crawl)."""
        try:
            return compile_pattern(value, ignore_case=ignore_case)
        except PatternError as exc:
            raise self.fail(key, f"not a valid regular expression: {exc}") from None

    def selector(self, value: str, key: str) -> str:
        if len(value) > MAX_SELECTOR_LENGTH:
            raise self.fail(key, f"too long ({len(value)} characters; at most {MAX_SELECTOR_LENGTH})")
        try:
            css2xpath(value)
        except (SelectorError, ValueError) as exc:
            raise self.fail(key, f"not a valid CSS selector: {value!r} ({exc})") from None
        except RecursionError:
            raise self.fail(key, "not a valid CSS selector: nested too deep") from None
        return value

    def site_path(self, value: object, key: str, base_url: str) -> str:
        """A page of the site as a root-relative path (an absolute URL on the site's host is allowed)."""
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, f"must be a site path such as '/news/', got {value!r}")
        value = value.strip()
        try:
            parts = urlsplit(value)
        except ValueError:
            raise self.fail(key, f"must be a site path such as '/news/', got {value!r}") from None
        if parts.scheme or parts.netloc:  # "//host/x" (protocol-relative) names a host too
            if parts.scheme not in ("", "http", "https") or parts.netloc != urlsplit(base_url).netloc:
                raise self.fail(key, f"{value!r} is not on {base_url}")
            value = parts.path + (f"?{parts.query}" if parts.query else "")
        if not value.startswith("/"):
            raise self.fail(key, f"must start with '/', got {value!r}")
        return value


def parse_profile(document: Mapping[str, Any], path: Path) -> Profile:
    """A validated Profile from a parsed TOML document (ProfileError at the first problem)."""
    reader = _Reader(path)
    reader.known_keys(document, TOP_KEYS)
    for key in REQUIRED:
        if key not in document:
            raise reader.fail(key, f"missing (required: {TOP_KEYS[key]})")
    name = reader.required(document, "name")
    if not NAME.fullmatch(name):
        raise reader.fail("name", f"must be lowercase letters, digits, '-' or '_' (a spider name), got {name!r}")
    try:
        base_url = check_site_url(reader.required(document, "base_url"))
    except ValueError as exc:
        raise reader.fail("base_url", str(exc)) from None
    start = document["start"]
    if isinstance(start, str):
        start = [start]
    if not isinstance(start, list) or not start:
        raise reader.fail("start", "must be a list of site paths, e.g. ['/news/']")
    paths = tuple(reader.site_path(value, f"start[{n}]", base_url) for n, value in enumerate(start))
    article_url = reader.regex(reader.required(document, "article_url"), "article_url")
    return Profile(
        path=path,
        name=name,
        base_url=base_url,
        start=paths,
        article_url=article_url,
        language=_language(reader, document.get("language")),
        timezone=_timezone(reader, reader.string(document, "timezone")),
        source=reader.string(document, "source"),
        description=reader.string(document, "description"),
        download_delay=_delay(reader, document.get("download_delay")),
        pagination=_pagination(reader, reader.table(document, "pagination")),
        dates=_dates(reader, reader.table(document, "dates")),
        listing=_selectors(reader, reader.table(document, "listing"), "listing", LISTING_FIELDS),
        article=_selectors(reader, reader.table(document, "article"), "article", ARTICLE_FIELDS),
        check_urls=_check_urls(reader, reader.table(document, "check_urls"), base_url),
    )


def _language(reader: _Reader, value: object) -> str | tuple[str, ...] | None:
    if isinstance(value, str):
        value = value.strip()  # "en\n" is "en" (a language code never holds spaces)
    if isinstance(value, list):
        value = [v.strip() if isinstance(v, str) else v for v in value]
    if value is None or value == "detect":
        return None
    if isinstance(value, str) and LANGUAGE.fullmatch(value):
        return value
    if isinstance(value, list) and value and all(isinstance(v, str) and LANGUAGE.fullmatch(v) for v in value):
        return tuple(value)
    raise reader.fail(
        "language", f"must be an ISO 639-1 code ('en'), \"detect\" or a list of codes to detect among, got {value!r}"
    )


def _timezone(reader: _Reader, name: str | None) -> str | None:
    if name is None:
        return None
    try:
        site_zone(name)
    except Exception:
        raise reader.fail(
            "timezone", f"unknown time zone {name!r} (an IANA name such as 'America/New_York' or 'Asia/Seoul')"
        ) from None
    return name


def _delay(reader: _Reader, value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= MAX_DELAY:
        raise reader.fail("download_delay", f"must be a number of seconds from 0 to {MAX_DELAY:g}, got {value!r}")
    return float(value)


def _pagination(reader: _Reader, table: Mapping[str, Any]) -> Pagination:
    if not table:
        return Pagination()
    reader.known_keys(table, ("kind", "text", "selector", "url", "step", "first_page"), "pagination.")
    kind = reader.string(table, "kind", "pagination.", required=True)
    if kind not in PAGINATION_KINDS:
        raise reader.fail("pagination.kind", f"unknown pagination kind {kind!r} (one of {', '.join(PAGINATION_KINDS)})")
    text = reader.string(table, "text", "pagination.")
    if text is not None:
        reader.regex(text, "pagination.text", ignore_case=True)
    selector = reader.string(table, "selector", "pagination.")
    if selector is not None:
        reader.selector(selector, "pagination.selector")
    url = reader.string(table, "url", "pagination.")
    if url is not None and not ("{page}" in url or "{offset}" in url):
        raise reader.fail("pagination.url", f"must hold {{page}} or {{offset}}, got {url!r}")
    if url is not None and not url.startswith("/"):
        raise reader.fail("pagination.url", f"must be a site path starting with '/', got {url!r}")
    if kind == "template" and url is None:
        raise reader.fail("pagination.url", "missing (required by kind = \"template\"), e.g. '/news/page/{page}/'")
    if kind == "next_link" and text is None and selector is None:
        raise reader.fail("pagination", 'kind = "next_link" needs `text` (the link\'s text) or `selector`')
    if kind == "load_more" and text is None and selector is None and url is None:
        raise reader.fail("pagination", 'kind = "load_more" needs `text`, `selector` or a `url` template')
    numbers = {}
    for key in ("step", "first_page"):
        value = table.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            raise reader.fail(f"pagination.{key}", f"must be a whole number, got {value!r}")
        numbers[key] = value
    if numbers["step"] == 0:
        raise reader.fail("pagination.step", "must be at least 1")
    return Pagination(kind, text, selector, url, numbers["step"], numbers["first_page"] or 1)


def _dates(reader: _Reader, table: Mapping[str, Any]) -> dict[str, DateRule]:
    rules = {}
    for kind, value in table.items():
        key = f"dates.{kind}"
        if kind not in PAGE_KINDS:
            raise reader.fail(key, f"unknown page kind (one of {', '.join(PAGE_KINDS)})")
        if not isinstance(value, str) or not value.strip():
            raise reader.fail(key, f"must be a date order ({', '.join(ORDERS)}) or a strptime format, got {value!r}")
        value = value.strip()
        if value.upper() in ORDERS:
            rules[kind] = DateRule(order=value.upper())
        elif "%" in value:
            rules[kind] = DateRule(order=_order_of_format(value), format=value)
        else:
            raise reader.fail(key, f"must be a date order ({', '.join(ORDERS)}) or a strptime format, got {value!r}")
    return rules


def _order_of_format(fmt: str) -> str:
    """The numeric order a strptime format implies (for the normalizer when a date misses the format)."""
    spots = {part: fmt.find(code) for part, code in (("D", "%d"), ("M", "%m"), ("Y", "%Y"))}
    placed = sorted((spot, part) for part, spot in spots.items() if spot >= 0)
    order = "".join(part for _, part in placed)
    return order if order in ORDERS else "DMY"


def _selectors(reader: _Reader, table: Mapping[str, Any], section: str, fields) -> dict[str, str]:
    reader.known_keys(table, fields, f"{section}.")
    return {key: reader.selector(reader.required(table, key, f"{section}."), f"{section}.{key}") for key in table}


def _check_urls(reader: _Reader, table: Mapping[str, Any], base_url: str) -> dict[str, list[str]]:
    urls = {}
    for kind, value in table.items():
        key = f"check_urls.{kind}"
        if kind not in PAGE_KINDS:
            raise reader.fail(key, f"unknown page kind (one of {', '.join(PAGE_KINDS)})")
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, list):
            raise reader.fail(key, f"must be a list of site paths, got {value!r}")
        urls[kind] = [reader.site_path(v, f"{key}[{n}]", base_url) for n, v in enumerate(values)]
    return urls


def read_profile_text(path: Path) -> str:
    """The text of a profile file: a regular file (a FIFO or a device named `*.toml` would block the
    reading), at most MAX_PROFILE_BYTES, in UTF-8 (as TOML must be)."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise ProfileError(path, None, "not a regular file (a FIFO, a device or a socket)")
        if info.st_size > MAX_PROFILE_BYTES:
            raise ProfileError(
                path, None, f"too large ({info.st_size} bytes; a profile is at most {MAX_PROFILE_BYTES})"
            )
        with path.open("rb") as handle:
            data = handle.read(MAX_PROFILE_BYTES + 1)
    except OSError as exc:
        raise ProfileError(path, None, f"cannot read: {exc.strerror or exc}") from None
    if len(data) > MAX_PROFILE_BYTES:
        raise ProfileError(path, None, f"too large (a profile is at most {MAX_PROFILE_BYTES} bytes)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProfileError(path, None, f"not UTF-8 text (byte 0x{data[exc.start]:02X} at offset {exc.start})") from None


def load_profile(path: Path | str) -> Profile:
    """Read and validate one profile file."""
    path = Path(path)
    text = read_profile_text(path)
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(path, None, f"not valid TOML: {exc}") from None
    except RecursionError:
        raise ProfileError(path, None, "not valid TOML: nested too deep") from None
    return parse_profile(document, path)


@dataclass
class SitesFolder:
    """The profiles of one folder: those that load, and one error line for each that does not."""

    folder: Path
    profiles: dict[str, Profile] = field(default_factory=dict)
    errors: dict[str, ProfileError] = field(default_factory=dict)  # keyed by the file's stem

    @classmethod
    def scan(cls, folder: Path | str | None, reserved: frozenset[str] = frozenset()) -> SitesFolder:
        """Every `*.toml` in `folder` (none when it does not exist); `reserved`: built-in spider names."""
        found = cls(Path(folder or "sites"))
        if not found.folder.is_dir():
            return found
        for path in sorted(found.folder.glob("*.toml")):
            try:
                profile = load_profile(path)
                if profile.name in reserved:
                    raise ProfileError(path, "name", f"{profile.name!r} is a built-in spider's name")
                if profile.name in found.profiles:
                    raise ProfileError(
                        path, "name", f"{profile.name!r} is taken by {found.profiles[profile.name].path}"
                    )
            except ProfileError as exc:
                found.errors[path.stem] = exc
                continue
            found.profiles[profile.name] = profile
        return found

    def error_for(self, name: str) -> ProfileError | None:
        """The error of the file a name most likely refers to (its stem, or the name it declares)."""
        if name in self.errors:
            return self.errors[name]
        return None
