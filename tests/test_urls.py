"""Tests for archiver.normalize.urls: canonical URLs, http check, same-site check."""

from __future__ import annotations

import unicodedata
from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archiver.normalize.urls import (
    TRACKING_PARAMS,
    canonical_url,
    is_http_url,
    same_site,
)


def test_tracking_params():
    assert isinstance(TRACKING_PARAMS, frozenset)
    assert frozenset({"fbclid", "gclid", "mc_cid", "mc_eid", "yclid", "_ga", "ref_src", "igshid"}) == TRACKING_PARAMS


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        # uCoz pagination: the bare key stays bare (w3lib alone would give "?page2=")
        ("http://h/news/?page2", "http://h/news/?page2"),
        ("http://rstv.ucoz.net/news/?page2", "http://rstv.ucoz.net/news/?page2"),
        ("http://rstv.ucoz.net/news/?page2&utm_source=tg#top", "http://rstv.ucoz.net/news/?page2"),
        ("http://h/news/?page2=", "http://h/news/?page2="),
        ("http://h/p?b&a=1", "http://h/p?a=1&b"),
        # sorted query, duplicates and blank values kept
        ("http://h/p?b=2&a=1", "http://h/p?a=1&b=2"),
        ("http://h/?a=2&a=1", "http://h/?a=1&a=2"),
        ("http://h/?a=&b=1", "http://h/?a=&b=1"),
        ("http://h/?a=2&utm_source=x&a=1&a=2", "http://h/?a=1&a=2&a=2"),
        # fragment dropped
        ("https://kcnawatch.org/newstream/123/x/#comments", "https://kcnawatch.org/newstream/123/x/"),
        # percent-encoding normalized
        ("http://h/a%7eb/%e4?q=%e4", "http://h/a~b/%E4?q=%E4"),
        ("http://h/résumé", "http://h/r%C3%A9sum%C3%A9"),
        ("http://h/a b", "http://h/a%20b"),
        # tracking parameters dropped (utm_* by prefix, case-insensitive)
        ("http://h/x?utm_source=a&utm_medium=b&utm_campaign=c&utm_whatever=d", "http://h/x"),
        ("http://h/x?id=5&fbclid=1&gclid=2&mc_cid=3&mc_eid=4&yclid=5&_ga=6&ref_src=7&igshid=8", "http://h/x?id=5"),
        ("http://h/x?UTM_Source=a&FBCLID=b&id=5", "http://h/x?id=5"),
        ("http://h/x?utm=1&ref=2&gclid_x=3", "http://h/x?gclid_x=3&ref=2&utm=1"),
        ("http://h/x?%75tm_source=1&id=5", "http://h/x?id=5"),
        # scheme and host lower-cased, path case kept
        ("HTTPS://KCNAWatch.ORG/Newstream/", "https://kcnawatch.org/Newstream/"),
        # default port dropped, others kept
        ("http://h:80/x", "http://h/x"),
        ("https://h:443/x", "https://h/x"),
        ("http://h:443/x", "http://h:443/x"),
        ("https://h:80/x", "https://h:80/x"),
        ("http://h:8080/x", "http://h:8080/x"),
        # the trailing slash is kept as served, never added or removed
        ("http://h/news", "http://h/news"),
        ("http://h/news/", "http://h/news/"),
        ("http://h", "http://h/"),
        # hrefs with surrounding whitespace / line breaks
        ("  http://h/x\n ", "http://h/x"),
        ("http://h/ne\nws/", "http://h/news/"),
    ],
)
def test_canonical_url(url, expected):
    assert canonical_url(url) == expected


@pytest.mark.parametrize(
    ("url", "base", "expected"),
    [
        ("../b/?page3#x", "http://H/news/a/", "http://h/news/b/?page3"),
        ("/news/?page2", "http://rstv.ucoz.net/news/2023-07-25-1", "http://rstv.ucoz.net/news/?page2"),
        ("?page3", "http://rstv.ucoz.net/news/?page2", "http://rstv.ucoz.net/news/?page3"),
        ("//Other.COM/x", "https://kcnawatch.org/", "https://other.com/x"),
        ("http://abs.example/x", "https://kcnawatch.org/", "http://abs.example/x"),
        ("", "https://kcnawatch.org/a/?utm_source=x", "https://kcnawatch.org/a/"),
    ],
)
def test_canonical_url_with_base(url, base, expected):
    assert canonical_url(url, base) == expected
    assert canonical_url(url, base=base) == expected


@pytest.mark.parametrize(
    "url",
    [
        "http://h/news/?page2",
        "http://h/p?b&a=1&utm_source=x",
        "http://h/%7Efoo/r%C3%A9sum%C3%A9?q=a+b&q=%E4",
        "HTTP://H:80/a/./b/../c?z=1&y#f",
        "https://kcnawatch.org/newstream/1690000000-123456789/title/",
    ],
)
def test_canonical_url_idempotent_examples(url):
    once = canonical_url(url)
    assert canonical_url(once) == once


_PIECE_ALPHABET = st.characters(codec="utf-8", exclude_categories=("Cs",))  # any character a page could put in an href
_pieces = st.one_of(
    st.sampled_from(
        [
            "",
            "a",
            "B",
            "%7e",
            "%7E",
            "%2F",
            "%25",
            "%e4",
            "%",
            " ",
            "+",
            "é",
            "~",
            ";",
            "=",
            "&",
            ".",
            "..",
            "?",
            "#",
            "page2",
        ]
    ),
    st.text(_PIECE_ALPHABET, max_size=4),
)
_keys = st.one_of(
    st.sampled_from(["page2", "a", "B", "utm_source", "UTM_Medium", "fbclid", "_ga", "id", "%75tm_x", "q"]),
    st.lists(_pieces, max_size=3).map("".join),
)


@st.composite
def urls(draw):
    scheme = draw(st.sampled_from(["http", "https", "HTTP", "Https"]))
    host = draw(st.from_regex(r"[A-Za-z0-9]([A-Za-z0-9-]{0,8}[A-Za-z0-9])?(\.[A-Za-z]{2,4}){0,2}", fullmatch=True))
    port = draw(st.sampled_from(["", ":80", ":443", ":8080"]))
    segments = draw(st.lists(st.lists(_pieces, max_size=3).map("".join), max_size=4))
    path = "/" + "/".join(segments) if segments or draw(st.booleans()) else ""
    params = draw(
        st.lists(
            st.tuples(_keys, st.one_of(st.none(), st.lists(_pieces, max_size=3).map("".join))),
            max_size=5,
        )
    )
    query = "&".join(k if v is None else f"{k}={v}" for k, v in params)
    url = f"{scheme}://{host}{port}{path}"
    if params or draw(st.booleans()):
        url += "?" + query
    if draw(st.booleans()):
        url += "#" + draw(st.lists(_pieces, max_size=2).map("".join))
    return url


@settings(max_examples=500, deadline=None)
@given(urls())
def test_canonical_url_idempotent(url):
    once = canonical_url(url)
    assert canonical_url(once) == once
    assert is_http_url(once)


@settings(max_examples=200, deadline=None)
@given(urls(), st.sampled_from(["", "x", "./y/", "../z?page2", "?utm_source=1&p", "#frag"]))
def test_canonical_url_with_base_idempotent(base, url):
    once = canonical_url(url, base)
    assert canonical_url(once) == once
    assert canonical_url(once, base) == once


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://h/", True),
        ("https://kcnawatch.org/newstream/1/x/", True),
        ("HTTPS://H/x", True),
        ("http://h:8080", True),
        ("  http://h/x\n", True),
        ("ftp://h/x", False),
        ("mailto:a@kcnawatch.org", False),
        ("javascript:void(0)", False),
        ("/news/?page2", False),
        ("//h/x", False),
        ("http://", False),
        ("http:///path", False),
        ("http://h:abc/", False),
        ("http://[::1", False),
        ("", False),
        (None, False),
    ],
)
def test_is_http_url(url, expected):
    assert is_http_url(url) is expected


@pytest.mark.parametrize(
    ("url", "base", "expected"),
    [
        ("https://kcnawatch.org/newstream/1/", "https://kcnawatch.org/", True),
        ("http://KCNAWatch.ORG/a", "https://kcnawatch.org/", True),
        ("/news/?page2", "http://rstv.ucoz.net/news/", True),
        ("?page3", "http://rstv.ucoz.net/news/?page2", True),
        ("http://h:80/a", "http://h/", True),
        ("https://h:443/a", "http://h/", True),
        ("http://h:8080/a", "http://h/", False),
        ("http://h/a", "http://h:8080/", False),
        ("http://h:8080/a", "http://h:8080/b", True),
        ("http://www.kcnawatch.org/", "http://kcnawatch.org/", False),
        ("http://kcnawatch.org.evil.com/", "http://kcnawatch.org/", False),
        ("http://evil.com/?u=kcnawatch.org", "http://kcnawatch.org/", False),
        ("http://kcnawatch.org@evil.com/", "http://kcnawatch.org/", False),
        ("//evil.com/x", "http://kcnawatch.org/", False),
        ("http://Bücher.de/x", "http://xn--bcher-kva.de/", True),
        ("mailto:x@kcnawatch.org", "http://kcnawatch.org/", False),
        ("javascript:void(0)", "http://kcnawatch.org/", False),
        ("http://[::1", "http://kcnawatch.org/", False),
        ("/x", "not a url", False),
    ],
)
def test_same_site(url, base, expected):
    assert same_site(url, base) is expected


# KCNA Watch's percent-encoded Korean slugs: one canonical spelling -----------------------------
KOREAN_CANONICAL = "https://kcnawatch.org/newstream/1750885366-802000001/%EC%A1%B0%EC%84%A0-%EB%B3%B4%EB%8F%84/"


@pytest.mark.parametrize(
    "spelling",
    [
        "https://kcnawatch.org/newstream/1750885366-802000001/조선-보도/",  # raw Hangul
        "https://kcnawatch.org/newstream/1750885366-802000001/%ec%a1%b0%ec%84%a0-%eb%b3%b4%eb%8f%84/",  # lower case
        KOREAN_CANONICAL,
        "https://kcnawatch.org/newstream/1750885366-802000001/%25EC%25A1%25B0%25EC%2584%25A0-%25EB%25B3%25B4%25EB%258F%2584/",
        "https://kcnawatch.org/newstream/1750885366-802000001/"
        + quote(unicodedata.normalize("NFD", "조선-보도"))
        + "/",  # decomposed jamo (NFD)
        "https://kcnawatch.org/newstream/1750885366-802000001/조선-%EB%B3%B4%EB%8F%84/?utm_source=rss&utm_medium=feed",
    ],
)
def test_korean_slugs_have_one_canonical_form(spelling: str) -> None:
    assert canonical_url(spelling) == KOREAN_CANONICAL
    assert canonical_url(canonical_url(spelling)) == KOREAN_CANONICAL


def test_ascii_escapes_and_non_utf8_bytes_are_kept() -> None:
    assert canonical_url("https://kcnawatch.org/a%2Fb/100%25/x%FF/") == "https://kcnawatch.org/a%2Fb/100%25/x%FF/"
