"""Mirrors rendered from the old, imagined markup of both sites (issue 16's "done when").

The spiders were first written to this markup, which the real sites do not have; `archiver check`
against these mirrors must exit 1 and name the kinds and fields that failed. The data are frozen
copies of the first sample sets (tests/fixtures/imagined/).
"""

from __future__ import annotations

import json
from pathlib import Path

from archiver.mirror.server import Resource
from tests.support.imagined_kcnawatch import KcnaWatchMirror, SampleArticle
from tests.support.imagined_rstv import RstvArticle, RstvMirror

DATA = Path(__file__).resolve().parent.parent / "fixtures" / "imagined"


def imagined_kcnawatch_site() -> dict[str, Resource]:
    data = json.loads((DATA / "kcnawatch.json").read_text(encoding="utf-8"))
    return KcnaWatchMirror([SampleArticle(**entry) for entry in data]).build()


def imagined_rstv_site() -> dict[str, Resource]:
    data = json.loads((DATA / "rstv.json").read_text(encoding="utf-8"))
    return RstvMirror([RstvArticle(**entry) for entry in data]).build()


IMAGINED_SITES = {"kcnawatch": imagined_kcnawatch_site, "rstv": imagined_rstv_site}
