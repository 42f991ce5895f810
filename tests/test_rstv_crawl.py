"""End-to-end: the RSTV spider crawls a mirror of our own articles (archiver.mirror.rstv through
MirrorServer, in a subprocess because Scrapy's reactor cannot restart) into SQLite; then the rows.
Also: translation groups are the same whatever order the versions are stored in, and merge."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from archiver.archive.engine import open_archive, session_factory
from archiver.archive.models import Article
from archiver.archive.writer import ArchiveWriter
from archiver.items import ArticleItem
from archiver.normalize.text import content_hash

ROOT = Path(__file__).resolve().parents[1]

RU_HEADER = "Семинар прошёл в Минске: «солидарность» — главное слово."
RU_META = "Делегация вручила подарки ветеранам войны."
RU_BOTH = "Активисты провели субботник у памятника — ёлки, клёны и берёзы."


def story(entry_id: int, slug: str, category: int, title: str, blocks: list, **extra) -> dict:
    return {"entry_id": entry_id, "slug": slug, "category": category, "title": title, "blocks": blocks, **extra}


# Our own site: a story in four versions (Chinese reachable only through the language links, German
# linked but answering 404), a two-version story, three windows-1251 pages declaring their charset
# three ways, a Juche-dated page without a dateline, a dateline a year before its URL, and enough
# other entries for a second listing page.
SEMINAR = dict(published="2024-03-14", story="seminar", tags=["DPRK ISG", "seminar"])
ARTICLES = [
    story(
        2101,
        "seminar_in_minsk",
        2,
        "Seminar in Minsk",
        [
            "On March 12, a seminar was held in Minsk.",
            {"heading": "Report"},
            {"ol": ["First task;", "Second task."]},
            "The seminar\u00a0ended.",
        ],
        dateline="March 14, Minsk (RSTV)",
        subtitle="Day One",
        photos=True,
        views=1204,
        comments=3,
        **SEMINAR,
    ),
    story(
        2102,
        "seminar_in_minsk_ru",
        3,
        "Семинар в Минске",
        [RU_HEADER],
        dateline="14 марта, Минск (RSTV)",
        encoding="windows-1251",
        charset_in="header",
        views=305,
        **SEMINAR,
    ),
    story(
        2103,
        "seminar_in_minsk_zh",
        4,
        "明斯克研讨会",
        ["3月12日，在明斯克举行了研讨会。"],
        dateline="3月14日，明斯克（RSTV）",
        listed=False,
        views=98,
        **SEMINAR,
    ),
    story(
        2104,
        "seminar_in_minsk_de",
        5,
        "Seminar in Minsk",
        ["Am 12. März fand ein Seminar statt."],
        dateline="14. März, Minsk (RSTV)",
        served=False,
        **SEMINAR,
    ),
    story(
        2110,
        "gifts_for_veterans",
        2,
        "Gifts for Veterans",
        ["The delegation handed gifts to war veterans."],
        published="2024-05-08",
        dateline="May 8, Moscow (RSTV)",
        story="gifts",
        views=50,
        tags=["veterans"],
    ),
    story(
        2111,
        "gifts_for_veterans_ru",
        3,
        "Подарки ветеранам",
        [RU_META],
        published="2024-05-08",
        dateline="8 мая, Москва (RSTV)",
        story="gifts",
        encoding="windows-1251",
        charset_in="meta",
        views=40,
    ),
    story(
        2120,
        "subbotnik",
        3,
        "Субботник у памятника",
        [RU_BOTH],
        published="2024-04-20",
        dateline="20 апреля, Москва (RSTV)",
        encoding="windows-1251",
        charset_in="both",
        views=30,
    ),
    story(
        2130,
        "day_of_the_sun",
        2,
        "Day of the Sun",
        [
            "On April 15, Juche 113\u00a0(2024), flowers were laid.",
            "The speakers recalled April 1, 106, Juche (2017).",
        ],
        published="2024-04-15",
        views=450,
    ),
    story(
        2005,
        "new_year_reception",
        2,
        "New Year Reception",
        ["On December 31, a reception was held."],
        published="2024-01-02",
        dateline="December 31, Pyongyang (RSTV)",
        views=120,
    ),
    *[
        story(
            1900 + n,
            f"filler_{n}",
            2,
            f"Filler {n}",
            [f"Filler story number {n} was published."],
            published=f"2023-06-{n:02d}",
            dateline=f"June {n}, Moscow (RSTV)",
        )
        for n in range(1, 9)
    ],
]

CRAWL = """
import json, sys
from archiver.mirror.rstv import RstvArticle, RstvMirror
from archiver.mirror.sample_sites import rstv_site
from archiver.mirror.server import MirrorServer
from archiver.crawl.runner import run_spiders

spec, db_url = sys.argv[1], sys.argv[2]
if spec == "sample":
    site = rstv_site()
else:
    site = RstvMirror([RstvArticle(**a) for a in json.load(open(spec, encoding="utf-8"))]).build()
with MirrorServer(site) as server:
    summaries = run_spiders(
        {"rstv": {"base_url": server.base_url}}, db_url=db_url,
        settings={"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "LOG_LEVEL": "WARNING"},
    )
    stats = {k: v for k, v in summaries[0].stats.items() if isinstance(v, (int, str))}
    print(json.dumps({"hits": dict(server.hits), "status": summaries[0].status, "stats": stats}))
"""


def run_crawl(folder: Path, spec: str) -> tuple[dict, dict[str, Article]]:
    db_url = f"sqlite:///{folder / 'archive.sqlite'}"
    done = subprocess.run(
        [sys.executable, "-c", CRAWL, spec, db_url], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    engine = create_engine(db_url)
    with Session(engine) as session:
        rows = {a.url.rsplit("-", 1)[1]: a for a in session.scalars(select(Article))}
        session.expunge_all()
    engine.dispose()
    return report, rows


@pytest.fixture(scope="module")
def crawl(tmp_path_factory):
    folder = tmp_path_factory.mktemp("rstv")
    spec = folder / "site.json"
    spec.write_text(json.dumps(ARTICLES, ensure_ascii=False), encoding="utf-8")
    return run_crawl(folder, str(spec))


@pytest.mark.slow
def test_crawl_stores_every_reachable_version(crawl):
    report, rows = crawl
    kinds = ("archiver/http_errors", "log_count/ERROR", "downloader/exception")
    errors = {k: v for k, v in report["stats"].items() if k.startswith(kinds)}
    assert errors == {"archiver/http_errors/404": 1}, errors  # the German page only
    assert sorted(rows) == sorted(str(a["entry_id"]) for a in ARTICLES if a.get("served", True))
    assert report["hits"]["/news/?page2"] == 1  # the second listing page was followed
    assert report["hits"]["/news/seminar_in_minsk_zh/2024-03-14-2103"] == 1  # found only by its language link
    assert report["hits"]["/news/seminar_in_minsk_de/2024-03-14-2104"] == 1  # linked, 404, not stored


@pytest.mark.slow
def test_crawl_fields_and_dates(crawl):
    _, rows = crawl
    en = rows["2101"]
    assert (en.title, en.subtitle, en.language, en.category, en.author, en.views, en.comments, en.tags) == (
        "Seminar in Minsk",
        "Day One",
        "en",
        "English",
        "redstartvkp",
        1204,
        3,
        ["DPRK ISG", "seminar"],
    )
    assert (
        en.body
        == "On March 12, a seminar was held in Minsk.\n\nReport\n\n1. First task;\n\n2. Second task.\n\nThe seminar ended."
    )
    assert (en.published_on, en.dateline, en.dateline_place, en.dateline_on) == (
        date(2024, 3, 14),
        "March 14, Minsk (RSTV)",
        "Minsk",
        date(2024, 3, 14),
    )
    zh = rows["2103"]
    assert (zh.language, zh.title, zh.dateline_place, zh.dateline_on) == (
        "zh",
        "明斯克研讨会",
        "明斯克",
        date(2024, 3, 14),
    )
    juche = rows["2130"]
    assert (juche.published_on, juche.dateline, juche.dateline_on) == (date(2024, 4, 15), None, None)
    assert juche.body.startswith("On April 15, Juche 113 (2024), flowers were laid.")
    late = rows["2005"]
    assert (late.published_on, late.dateline_on) == (date(2024, 1, 2), date(2023, 12, 31))
    assert {a.language for a in rows.values()} == {"en", "ru", "zh"}


@pytest.mark.slow
@pytest.mark.parametrize(
    ("entry", "title", "body"),
    [
        ("2102", "Семинар в Минске", RU_HEADER),  # charset in the HTTP header only
        ("2111", "Подарки ветеранам", RU_META),  # only in <meta http-equiv>
        ("2120", "Субботник у памятника", RU_BOTH),  # both
    ],
)
def test_crawl_windows_1251_text_is_intact(crawl, entry, title, body):
    _, rows = crawl
    assert (rows[entry].language, rows[entry].title, rows[entry].body) == ("ru", title, body)


@pytest.mark.slow
def test_crawl_translation_groups(crawl):
    _, rows = crawl
    groups = Counter(a.translation_group for a in rows.values() if a.translation_group)
    assert sorted(groups.values()) == [2, 3]
    assert rows["2101"].translation_group == rows["2102"].translation_group == rows["2103"].translation_group
    assert rows["2110"].translation_group == rows["2111"].translation_group != rows["2101"].translation_group
    assert rows["2120"].translation_group is None and rows["2130"].translation_group is None


@pytest.mark.slow
def test_bundled_sample_crawl(tmp_path):
    """The demo's sample: 8 articles, groups of 4 and 2, both windows-1251 pages intact."""
    report, rows = run_crawl(tmp_path, "sample")
    assert report["status"] == "ok"
    assert len(rows) == 8
    assert sorted(Counter(a.translation_group for a in rows.values() if a.translation_group).values()) == [2, 4]
    assert [rows[i].language for i in ("1432", "1433", "1434", "1435")] == ["en", "ru", "zh", "de"]
    assert rows["1433"].title == "Крупное онлайн-собрание в Китае"
    assert rows["1469"].body.startswith("7 сентября по приглашению Александра Мостова")
    assert (rows["1015"].dateline, rows["1015"].published_on) == (None, date(2021, 2, 18))
    assert (rows["1390"].published_on, rows["1390"].dateline_on) == (date(2023, 1, 2), date(2022, 12, 31))
    assert rows["1432"].dateline_on == date(2023, 7, 25)


# Translation groups in the store, independent of crawl order ------------------------------------


def version(url: str, links: list[str]) -> ArticleItem:
    body = f"Text of {url}"
    return ArticleItem(
        site="rstv",
        url=url,
        title=url,
        body=body,
        content_hash=content_hash(body),
        published_on=date(2024, 3, 14),
        translation_urls=sorted(links),
    )


def store(tmp_path: Path, name: str, items: list[ArticleItem]) -> dict[str, str | None]:
    engine = open_archive(f"sqlite:///{tmp_path / name}.sqlite")
    sessions = session_factory(engine)
    for item in items:  # one batch per page, as when pages arrive in separate flushes
        with sessions.begin() as session:
            ArchiveWriter(session).add_article(item)
    with sessions() as session:
        groups = {a.url: a.translation_group for a in session.scalars(select(Article))}
    engine.dispose()
    return groups


def partition(groups: dict[str, str | None]) -> set[frozenset[str]]:
    by_group: dict[str, set[str]] = {}
    for url, group in groups.items():
        assert group is not None, url
        by_group.setdefault(group, set()).add(url)
    return {frozenset(urls) for urls in by_group.values()}


def test_translation_group_whatever_version_comes_first(tmp_path):
    urls = [f"http://rstv.test/news/s{n}/2024-03-14-{n}" for n in range(4)]
    # The Russian page links only English and itself; the others link all four; one is never fetched.
    pages = [version(urls[0], urls), version(urls[1], urls[:2]), version(urls[2], urls)]
    for n, order in enumerate(itertools.permutations(pages)):
        groups = store(tmp_path, f"order{n}", list(order))
        assert partition(groups) == {frozenset(urls[:3])}, [p.url for p in order]


def test_translation_groups_merge_when_they_meet(tmp_path):
    a, b, c, d = (f"http://rstv.test/news/m{n}/2024-03-14-{n}" for n in range(4))
    groups = store(
        tmp_path, "merge", [version(a, [a, b]), version(c, [c, d]), version(b, [a, b, c]), version(d, [c, d])]
    )
    assert partition(groups) == {frozenset({a, b, c, d})}


def test_article_without_language_links_has_no_group(tmp_path):
    url = "http://rstv.test/news/alone/2024-03-14-9"
    assert store(tmp_path, "alone", [version(url, [])]) == {url: None}
