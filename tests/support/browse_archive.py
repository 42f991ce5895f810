"""A small archive for the Datasette and picture tests: words with punctuation, phrases, prefixes, a
Korean story, months without articles, a long body; with in-process Datasette on it.

Each search term has articles that must be found (title matches, body matches) and near misses that
must not (the words apart, another form): the expected rows are written out by URL below.
"""

from __future__ import annotations

import asyncio
import json
from datetime import date
from pathlib import Path

from archiver.archive.engine import open_archive
from archiver.research.browse import SETTINGS, metadata_for, prepare
from tests.support.research_archive import BASE, article, entry, write

LONG_BODY = (
    "The anti-DPRK campaign of the United States and its followers was condemned at a meeting in Pyongyang. "
    + "Speakers said the campaign would fail as every such campaign had failed before. " * 8
)

STORIES = {
    # anti-DPRK: the title and the body, then the body once; "anti" and "DPRK" apart must not match.
    "anti-title": article(
        f"{BASE}/2001-1/anti-dprk-title/",
        "Anti-DPRK campaign condemned",
        LONG_BODY,
        published_on=date(2024, 1, 10),
    ),
    "anti-body": article(
        f"{BASE}/2001-2/anti-dprk-body/",
        "Statement of a spokesman",
        "The spokesman called the drill an anti-DPRK provocation.",
        source="Rodong Sinmun",
        published_on=date(2024, 3, 4),
    ),
    "anti-apart": article(
        f"{BASE}/2001-3/anti-apart/",
        "Air defence drill",
        "Anti-aircraft gunners trained near the border of the DPRK.",
        published_on=date(2024, 3, 20),
    ),
    # U.S.: the title and body, then the body; "US" (one word) must not match.
    "us-title": article(
        f"{BASE}/2002-1/us-title/",
        "U.S. warships sail again",
        "The U.S. warships entered the waters; the U.S. side did not comment.",
        published_on=date(2024, 1, 22),
    ),
    "us-body": article(
        f"{BASE}/2002-2/us-body/",
        "Commentary",
        "A commentary on the hostile policy of the U.S. and its allies.",
        source="Rodong Sinmun",
        published_on=date(2024, 4, 2),
    ),
    "us-word": article(
        f"{BASE}/2002-3/us-word/",
        "Join us",
        "Citizens asked us to visit the exhibition in Kaesong.",
        published_on=date(2024, 4, 3),
    ),
    # "Kim Jong Un": the phrase in the title, in the body; the names apart must not match.
    "kju-title": article(
        f"{BASE}/2003-1/kju-title/",
        "Kim Jong Un inspects a farm",
        "The inspection took place on Tuesday.",
        published_on=date(2024, 1, 5),
    ),
    "kju-body": article(
        f"{BASE}/2003-2/kju-body/",
        "Letter of thanks",
        "A letter of thanks was sent to Kim Jong Un by the workers.",
        source="Rodong Sinmun",
        published_on=date(2024, 4, 15),
    ),
    "kju-apart": article(
        f"{BASE}/2003-3/kju-apart/",
        "History lesson",
        "Kim Jong Il spoke about the UN; Un Ha visited.",
        published_on=date(2024, 4, 16),
    ),
    # Pyongyang*: the word and a longer form; undated too.
    "pyongyang-title": article(
        f"{BASE}/2004-1/pyongyang-title/",
        "Pyongyang marathon held",
        "Runners from many countries ran through Pyongyang and Pyongyang again.",
        published_on=date(2024, 4, 7),
    ),
    "pyongyangites": article(
        f"{BASE}/2004-2/pyongyangites/",
        "Spring in the capital",
        "Pyongyangites enjoyed the spring weather.",
        source="Rodong Sinmun",
    ),
    "korean": article(
        "https://rstv.example/news/2024-04-20-1",
        "김정은 동지께서 농장을 현지지도",
        "조선민주주의인민공화국 김정은 동지께서 농장을 현지지도하시였다.",
        site="rstv",
        source="RSTV",
        language="ko",
        published_on=date(2024, 4, 20),
    ),
    "other": article(
        f"{BASE}/2005-1/weather/",
        "Weather forecast",
        "Rain is expected in the north on Friday.",
        published_on=date(2024, 2, 1),
    ),
}

#: For each search term, the stories it must find, best first (title matches first).
EXPECTED = {
    "anti-DPRK": ["anti-title", "anti-body"],
    "U.S.": ["us-title", "us-body"],
    '"Kim Jong Un"': ["kju-title", "kju-body"],
    "Pyongyang*": ["pyongyang-title", "pyongyangites", "anti-title"],
    "김정은": ["korean"],
}


def fill(engine) -> None:
    write(engine, entry(STORIES["other"].url, "Rain in the north", listed_on=date(2024, 2, 1)), *STORIES.values())


def build(folder: Path, name: str = "archive") -> Path:
    """The archive file `folder/name.sqlite`, migrated and filled."""
    path = folder / f"{name}.sqlite"
    engine = open_archive(f"sqlite:///{path}")
    try:
        fill(engine)
    finally:
        engine.dispose()
    return path


def ids_by_story(path: Path) -> dict[str, int]:
    import sqlite3

    connection = sqlite3.connect(path)
    try:
        by_url = dict(connection.execute("SELECT url, article_id FROM article_urls"))
    finally:
        connection.close()
    return {story: by_url[item.url] for story, item in STORIES.items()}


class InProcess:
    """Datasette on an archive in this process, set up as `archiver browse` sets it up (the plugin
    registered, the shipped metadata, the same settings), answering through its ASGI client."""

    def __init__(self, path: Path):
        from datasette.app import Datasette
        from datasette.plugins import pm

        from archiver.research import datasette_plugin

        if not pm.is_registered(datasette_plugin):
            pm.register(datasette_plugin, name=datasette_plugin.NAME)
        served = prepare(path)
        self.name = served.name
        self.loop = asyncio.new_event_loop()
        self.datasette = Datasette(
            immutables=[str(path)] if served.immutable else [],
            files=[] if served.immutable else [str(path)],
            metadata=metadata_for(served.name),
            settings=dict(SETTINGS),
        )

    def get(self, path: str, **options):
        return self.loop.run_until_complete(self.datasette.client.get(path, **options))

    def json(self, path: str):
        response = self.get(path, follow_redirects=True)
        assert response.status_code == 200, (path, response.status_code, response.text[:500])
        return json.loads(response.text)

    def close(self) -> None:
        from datasette.plugins import pm

        from archiver.research import datasette_plugin

        self.datasette.executor.shutdown(wait=True)
        self.loop.close()
        if pm.is_registered(datasette_plugin):
            pm.unregister(datasette_plugin)
