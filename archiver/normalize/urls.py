"""URL normalization for the crawler: one canonical form per page (so that a page
linked in several spellings is fetched and stored once), plus the checks used to
decide which links to follow (``is_http_url``, ``same_site``).

``canonical_url`` builds on ``w3lib.url.canonicalize_url`` and
``w3lib.url.url_query_cleaner``.  uCoz sites paginate with a bare query key
(``/news/?page2``), which w3lib rewrites to ``?page2=``; such keys are written back
bare, as the page linked them, so the canonical URL is still one the server
answers.

Non-ASCII paths (KCNA Watch's percent-encoded Korean slugs) have one form too: escapes
in upper or lower case, raw Hangul, a slug encoded twice (``%25EC%25A1…``) and Hangul
in decomposed form (NFD jamo, as macOS writes it) all become the UTF-8 escapes of the
NFC text, upper case.  Escapes of ASCII characters (``%2F``) are left alone.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from functools import lru_cache
from urllib.parse import SplitResult, urljoin, urlsplit

from w3lib.url import canonicalize_url, url_query_cleaner

__all__ = [
    "TRACKING_PARAMS",
    "canonical_url",
    "check_site_url",
    "has_credentials",
    "is_http_url",
    "masked_url",
    "same_site",
]

#: Query parameters that only track the visitor and never select content
#: (matched case-insensitively).  Every ``utm_*`` parameter is dropped as well,
#: by prefix.
TRACKING_PARAMS: frozenset[str] = frozenset(
    {"fbclid", "gclid", "mc_cid", "mc_eid", "yclid", "_ga", "ref_src", "igshid"}
)
TRACKING_PREFIXES: tuple[str, ...] = ("utm_",)

_DEFAULT_PORTS = {"http": 80, "https": 443}
_URL_JUNK_RE = re.compile(r"[\t\n\r]")
_BARE_KEY_PROBE = "http://x/?"


def _is_tracking(key: str) -> bool:
    k = key.lower()
    return k in TRACKING_PARAMS or k.startswith(TRACKING_PREFIXES)


def _query_parts(query: str) -> list[str]:
    return [p for p in query.split("&") if p]


def _bare_keys(url: str) -> set[str]:
    """Canonical spellings of the query keys that *url* writes without "="."""
    query = urlsplit(url).query
    bare = set()
    for part in _query_parts(query):
        if "=" not in part:
            # Canonicalize the key alone exactly as canonicalize_url does inside
            # the whole query, then take off the "=" it appends.
            probe = urlsplit(canonicalize_url(_BARE_KEY_PROBE + part)).query
            bare.add(probe[:-1] if probe.endswith("=") else probe)
    return bare


_NON_ASCII_ESCAPES = re.compile(r"(?:%[89a-fA-F][0-9a-fA-F])+")
_DOUBLE_ESCAPES = re.compile(r"(?:%25[89a-fA-F][0-9a-fA-F])+")


def _utf8_text(escapes: str) -> str | None:
    """The text a run of %XX escapes encodes in UTF-8, None when it is not UTF-8."""
    try:
        return bytes.fromhex(escapes.replace("%", "")).decode("utf-8")
    except ValueError:
        return None


def _unicode_path(path: str) -> str:
    """The path with its non-ASCII parts as NFC text (w3lib encodes them again, one way)."""
    if "%" not in path and path.isascii():
        return path

    def undouble(match: re.Match[str]) -> str:
        once = match.group(0).replace("%25", "%")
        return once if _utf8_text(once) is not None else match.group(0)

    def decode(match: re.Match[str]) -> str:
        text = _utf8_text(match.group(0))
        return text if text is not None else match.group(0)

    path = _NON_ASCII_ESCAPES.sub(decode, _DOUBLE_ESCAPES.sub(undouble, path))
    return unicodedata.normalize("NFC", path)


def _drop_default_port(parts: SplitResult) -> SplitResult:
    try:
        port = parts.port
    except ValueError:
        return parts
    if port is not None and _DEFAULT_PORTS.get(parts.scheme) == port:
        netloc = parts.netloc.rpartition(":")[0]
        return parts._replace(netloc=netloc)
    return parts


def _canonical_once(url: str) -> str:
    bare = _bare_keys(url)
    parts = urlsplit(url)
    if (path := _unicode_path(parts.path)) != parts.path:
        url = parts._replace(path=path).geturl()
    url = canonicalize_url(url)  # lower-case scheme/host, sorted query, no fragment
    query = urlsplit(url).query
    tracking = [p.partition("=")[0] for p in _query_parts(query) if _is_tracking(p.partition("=")[0])]
    if tracking:
        url = url_query_cleaner(url, tracking, remove=True, unique=False)
    parts = urlsplit(url)
    if bare and parts.query:
        query = "&".join(p[:-1] if p.endswith("=") and p[:-1] in bare else p for p in _query_parts(parts.query))
        parts = parts._replace(query=query)
    return _drop_default_port(parts).geturl()


# Pure and called for every link of every page (a crawl sees the same few thousand links again and
# again: listings, "More From" blocks): remembered, so w3lib's parsing is off the hot path. The
# links repeat within a few pages: 4,096 keep the hits, and the cache is full early in a crawl.
@lru_cache(maxsize=4096)
def canonical_url(url: str, base: str | None = None) -> str:
    """Canonical form of *url* (resolved against *base* when given).

    w3lib's canonicalization (query arguments sorted, fragment dropped,
    percent-encoding normalized, dot segments resolved), tracking parameters
    (``TRACKING_PARAMS``, ``utm_*``) dropped, scheme and host lower-cased, the
    default port dropped.  The path is kept as the site serves it (no trailing
    slash added or removed; an empty path becomes "/"), and query keys written
    without "=" stay that way (uCoz ``/news/?page2``).  Idempotent.
    Raises ``ValueError`` for a URL that cannot be parsed (e.g. a broken IPv6 host).
    """
    url = _URL_JUNK_RE.sub("", url).strip()
    if base:
        url = urljoin(base, url)
    # w3lib's canonical form is nearly always a fixpoint already; iterate to make
    # sure canonical_url(canonical_url(u)) == canonical_url(u).
    for _ in range(5):
        new = _canonical_once(url)
        if new == url:
            break
        url = new
    return url


def is_http_url(url: str) -> bool:
    """True for an absolute http/https URL with a host (and a valid port)."""
    if not isinstance(url, str):
        return False
    return _is_http_url(url)


@lru_cache(maxsize=2048)  # every listing line's address is checked, and lines repeat across pages
def _is_http_url(url: str) -> bool:
    try:
        parts = urlsplit(_URL_JUNK_RE.sub("", url).strip())
        parts.port  # noqa: B018 - raises ValueError for an invalid port
    except ValueError:
        return False
    return parts.scheme in _DEFAULT_PORTS and bool(parts.hostname)


@lru_cache(maxsize=1024)
def _site(url: str) -> tuple[str, int | None] | None:
    parts = urlsplit(canonical_url(url))
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    return parts.hostname, parts.port  # default port already dropped → None


def same_site(url: str, base_url: str) -> bool:
    """True when *url* (resolved against *base_url* if relative) has the same host
    as *base_url*: case-insensitive (IDN and punycode spellings agree) and
    port-sensitive (an explicit default port equals no port; http and https on
    their default ports count as the same site)."""
    if not isinstance(url, str) or not isinstance(base_url, str):
        return False
    try:
        here = _site(base_url)
        there = _site(urljoin(base_url, _URL_JUNK_RE.sub("", url).strip()))
    except ValueError:
        return False
    return here is not None and here == there


#: What stands for a password in a URL shown to anyone (stderr, logs, `crawl_runs`).
MASK = "***"
_AUTHORITY_END_RE = re.compile(r"[/?#]")
#: Query parameters that carry a password (`?password=…` in a database URL).
_SECRET_PARAMS_RE = re.compile(r"(?P<key>[?&;](?:password|passwd|pwd|secret|token)=)[^&;#]*", re.IGNORECASE)


def _userinfo(url: str) -> tuple[str, str, str] | None:
    """(scheme and `//`, user info, the rest from the host on) of a URL with user info, else None.
    Read by hand rather than by urlsplit, which fails on some of the URLs to mask (`http://[::1`)."""
    head, sep, rest = url.partition("://")
    if not sep:
        return None
    end = _AUTHORITY_END_RE.search(rest)
    authority = rest[: end.start()] if end else rest
    at = authority.rfind("@")  # a raw "@" in a password: the host follows the last one
    if at < 0:
        return None
    return head + sep, authority[:at], rest[at + 1 :]


def masked_url(url: object) -> str:
    """Any URL (database, Redis, base URL) as it may be printed, logged or stored: its password
    replaced by ``***`` (``postgresql://ann:***@db/archive``, ``redis://:***@host:6379/0``), and
    so is a ``password=`` query parameter. The one way the archiver shows a URL."""
    text = str(url)
    parts = _userinfo(text)
    if parts is not None:
        head, userinfo, rest = parts
        if ":" in userinfo:
            text = f"{head}{userinfo.split(':', 1)[0]}:{MASK}@{rest}"
    return _SECRET_PARAMS_RE.sub(lambda m: f"{m['key']}{MASK}", text)


def has_credentials(url: str) -> bool:
    """Whether a URL names a user or a password (``http://user:pw@host/``)."""
    return _userinfo(url) is not None


def check_site_url(text: str) -> str:
    """`text` as a site's base URL (without the trailing slash); ValueError, one line meant for the
    user, when it is not an http(s) URL, has no valid host name or port, or names a user or password
    (they would go with every request and into the run's records: refused, never shown)."""
    shown = masked_url(text)
    try:
        parts = urlsplit(text)
        hostname = parts.hostname
    except ValueError:
        raise ValueError(f"not an http(s) URL: {shown!r}") from None
    if parts.scheme not in _DEFAULT_PORTS or not hostname:
        raise ValueError(f"not an http(s) URL: {shown!r}")
    if has_credentials(text):
        raise ValueError(f"a site URL with a user name or password is not supported: {shown!r}")
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0 or (port is None and parts.netloc.endswith(":")):
        raise ValueError(f"not a port (1-65535) in {shown!r}")
    if ":" not in hostname:  # an IPv6 address has no labels
        try:
            hostname.encode("idna")
        except UnicodeError:
            raise ValueError(f"not a valid host name (labels of 1-63 characters): {shown[:120]!r}") from None
    return text.rstrip("/")


def is_loopback(url: str) -> bool:
    """Whether `url` points at this machine (localhost, 127.0.0.0/8, ::1): a mirror, never a real site."""
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
