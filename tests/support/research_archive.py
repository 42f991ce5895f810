"""A small archive for the research-access tests, written through the real ArchiveWriter.

Items are given already normalized (as the pipelines would leave them): bodies with their
content hash, teasers with their key, dates parsed.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine, text

from archiver.archive.engine import session_factory
from archiver.archive.writer import ArchiveWriter
from archiver.items import ArticleItem, ListingEntryItem
from archiver.normalize.text import content_hash, teaser_key

BASE = "https://kcnawatch.org/newstream"


def article(
    url: str,
    title: str,
    body: str,
    *,
    site: str = "kcnawatch",
    source: str = "KCNA (EN)",
    language: str = "en",
    published_on: date | None = None,
    tags: list[str] | None = None,
) -> ArticleItem:
    return ArticleItem(
        site=site,
        url=url,
        title=title,
        source=source,
        language=language,
        body=body,
        content_hash=content_hash(body),
        published_on=published_on,
        tags=tags or [],
    )


def entry(
    url: str,
    teaser: str | None,
    *,
    site: str = "kcnawatch",
    source: str = "KCNA (EN)",
    listed_on: date | None = None,
    title: str | None = None,
) -> ListingEntryItem:
    return ListingEntryItem(
        site=site,
        article_url=url,
        found_on=f"{BASE}/",
        kind="listing",
        title=title,
        source=source,
        teaser_raw=teaser,
        teaser=teaser,
        teaser_key=teaser_key(teaser),
        listed_on=listed_on,
    )


def write(engine: Engine, *items) -> None:
    """One batch, as the store pipeline writes it: listing entries first, then articles."""
    with session_factory(engine).begin() as session:
        ArchiveWriter(session).add_items(items)


MISSILE_TITLE = article(
    f"{BASE}/1000-1/missile-launch/",
    "Missile launch reported",
    "A test was carried out on Monday morning.",
    published_on=date(2024, 3, 1),
)
MISSILE_BODY_ONCE = article(
    f"{BASE}/1000-2/harvest/",
    "Harvest season begins",
    "Farmers gathered the harvest while a missile parade was prepared in the capital city square.",
    published_on=date(2024, 3, 5),
)
MISSILE_BODY_MANY = article(
    f"{BASE}/1000-3/defence/",
    "Defence exhibition opens",
    "The defence exhibition opened on Sunday. It showed a missile, another missile and a missile carrier.",
    source="KASS (EN)",
    published_on=date(2024, 6, 10),
)
RUSSIAN = article(
    "https://rstv.example/news/2024-07-25-1",
    "Ракетный запуск",
    "Сообщение о запуске: missile программа.",
    site="rstv",
    source="RSTV",
    language="ru",
    published_on=date(2024, 7, 25),
)
UNDATED = article(
    f"{BASE}/1000-5/undated/",
    "Undated missile note",
    "A short note without any date at all.",
    source="KASS (EN)",
)
OTHERS = [
    article(
        f"{BASE}/1000-6/weather/",
        "Weather forecast",
        "Rain is expected in the north on Friday.",
        published_on=date(2024, 3, 2),
    ),
    article(
        f"{BASE}/1000-7/sports/",
        "Football results",
        "The home team won the final by two goals.",
        published_on=date(2024, 3, 3),
    ),
]
FIXTURE_ARTICLES = [MISSILE_TITLE, MISSILE_BODY_ONCE, MISSILE_BODY_MANY, RUSSIAN, UNDATED, *OTHERS]
MISSILE_ARTICLES = [MISSILE_TITLE, MISSILE_BODY_ONCE, MISSILE_BODY_MANY, RUSSIAN, UNDATED]
FIXTURE_ENTRIES = [
    entry(
        MISSILE_TITLE.url,
        "A test was carried out on Monday morning near the zeppelin hangar, sources said.",
        listed_on=date(2024, 3, 1),
    ),
    entry(
        MISSILE_BODY_MANY.url,
        "The defence exhibition opened on Sunday. It showed a",
        source="KASS (EN)",
        listed_on=date(2024, 6, 10),
    ),
    entry(
        f"{BASE}/1000-9/never-fetched/",
        "An entry whose page was never fetched, about a missile silo.",
        listed_on=date(2024, 8, 1),
    ),
]


def fill(engine: Engine) -> None:
    write(engine, *FIXTURE_ENTRIES, *FIXTURE_ARTICLES)


def id_of(engine: Engine, url: str) -> int:
    with engine.connect() as connection:
        return connection.execute(
            text("SELECT article_id FROM article_urls WHERE url = :url"), {"url": url}
        ).scalar_one()


INDEX_OUT_OF_STEP = """
SELECT COUNT(*) FROM articles a
LEFT JOIN articles_fts f ON f.rowid = a.id
WHERE f.rowid IS NULL OR f.title IS NOT a.title OR f.body IS NOT a.body OR f.teaser IS NOT (
    SELECT teaser FROM listing_entries WHERE article_id = a.id AND teaser IS NOT NULL
    ORDER BY length(teaser) DESC, id LIMIT 1)
"""


def index_out_of_step(engine: Engine) -> tuple[int, int]:
    """(articles whose index row is missing or differs, index rows without an article)."""
    with engine.connect() as connection:
        differing = connection.execute(text(INDEX_OUT_OF_STEP)).scalar_one()
        stray = connection.execute(
            text("SELECT COUNT(*) FROM articles_fts WHERE rowid NOT IN (SELECT id FROM articles)")
        ).scalar_one()
    return differing, stray
