"""The bundled sample sites served by `archiver demo` and crawled by the end-to-end tests."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from archiver.mirror.kcnawatch import KcnaWatchMirror, SampleArticle
from archiver.mirror.rstv import RstvArticle, RstvMirror
from archiver.mirror.server import Resource

SAMPLES = Path(__file__).parent / "samples"

# Edge cases the real pages show, in articles of our own: no title, no date line, no original link,
# a percent-encoded Korean slug, a URL epoch whose UTC day is not its Pyongyang day.
EXTRA_KCNAWATCH = [
    SampleArticle(
        epoch=1769475600,
        post_id=800999001,
        slug="untitled-dispatch",
        source_slug="kcna-en",
        source_name="KCNA (EN)",
        title=None,
        show_date=False,
        paragraphs=[
            "Pyongyang, January 27 (KCNA) -- A national meeting was held on Tuesday.",
            "Officials &amp; working people attended it.",
        ],
        signature="KCNA",
    ),
    # A Korean slug (linked raw, in lower-case and upper-case escapes: one address in the archive), no
    # date line, published at 21:02 UTC: the 26th in Pyongyang, the day the site and the archive give it.
    SampleArticle(
        epoch=1750885366,
        post_id=800999002,
        slug="조선중앙통신사-보도",
        source_slug="kcna-en",
        source_name="KCNA (EN)",
        title="조선중앙통신사 보도",
        show_date=False,
        paragraphs=["조선중앙통신사는 다음과 같은 보도를 발표하였다.", "회의가 평양에서 진행되었다."],
        signature="조선중앙통신",
    ),
]


@cache
def kcnawatch_articles() -> tuple[SampleArticle, ...]:
    data = json.loads((SAMPLES / "kcnawatch.json").read_text(encoding="utf-8"))
    return tuple(SampleArticle(**entry) for entry in data) + tuple(EXTRA_KCNAWATCH)


def kcnawatch_site() -> dict[str, Resource]:
    return KcnaWatchMirror(list(kcnawatch_articles())).build()


@cache
def rstv_articles() -> tuple[RstvArticle, ...]:
    """The example entries of the real site (www.redstartv.org) and our own edge cases: a story in
    four languages (uCoz and plain templates alternating), one whose Chinese and German versions
    answer 404, an odd-segment and slug-less URLs, a repost under two URLs, a news-module entry
    without a category, a day archive listing the next day's entry, Tajik, Korean and Japanese
    versions (the Japanese one linking none back), windows-1251 pages declaring their charset in
    the header and <meta> or only in <meta>."""
    data = json.loads((SAMPLES / "rstv.json").read_text(encoding="utf-8"))
    return tuple(RstvArticle(**entry) for entry in data)


def rstv_mirror() -> RstvMirror:
    mirror = RstvMirror(list(rstv_articles()))
    mirror.build()
    return mirror


def rstv_site() -> dict[str, Resource]:
    return rstv_mirror().pages


#: The sites `archiver demo` serves, by spider name.
DEMO_SITES = {"kcnawatch": kcnawatch_site, "rstv": rstv_site}
