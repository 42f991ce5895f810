"""End-to-end: the RSTV spider crawls the bundled sample site (archiver.mirror.rstv: the real site's
URLs and text, its pages in the uCoz, plain and flat templates) through the `archiver` command line,
then the rows; exact request counts for a crawl, a second crawl, a backfill by day archives and by
the sitemap. Also: translation groups come out the same in any order, one-way links included, and
the old spider's rows are set apart by migration 0003."""

from __future__ import annotations

import itertools
import json
from collections import Counter
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from alembic import command
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from archiver.archive.engine import alembic_config, make_engine, open_archive, session_factory
from archiver.archive.models import Article, ArticleUrl, ListingDetails, ListingEntry, TranslationLink
from archiver.archive.writer import ArchiveWriter
from archiver.items import ArticleItem
from archiver.mirror.rstv import RstvMirror
from archiver.mirror.sample_sites import SAMPLES, rstv_articles
from archiver.mirror.server import MirrorServer, Resource
from archiver.normalize.text import content_hash
from tests.support.cli import FAST, run_archiver
from tests.support.progress import progress_figures, summary_figures

SAMPLE = json.loads((SAMPLES / "rstv.json").read_text(encoding="utf-8"))
SERVED = [a for a in rstv_articles() if a.served]
LISTED = [a for a in SERVED if a.listed]
GONE = [a for a in rstv_articles() if not a.served]


def key(path: str) -> str:
    """A row's key: the entry's path (the two addresses of the repost differ)."""
    return urlsplit(path).path


def archive_rows(db_url: str) -> tuple[dict[str, Article], dict[str, ListingEntry]]:
    """Articles and listing entries by path; each entry carries its `details` (listing_details)."""
    engine = make_engine(db_url)
    with Session(engine) as session:
        articles = {key(a.url): a for a in session.scalars(select(Article))}
        entries = {key(e.article_url): e for e in session.scalars(select(ListingEntry))}
        details = {key(d.article_url): d for d in session.scalars(select(ListingDetails))}
        session.expunge_all()
    engine.dispose()
    for path, entry in entries.items():
        entry.details = details.get(path)
    return articles, entries


def crawl(server: MirrorServer, db_url: str, *extra: str, command_name: str = "crawl"):
    result = run_archiver(command_name, "rstv", "--base-url", server.base_url, "--db", db_url, *FAST, *extra)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


@pytest.fixture(scope="module")
def sample_crawl(tmp_path_factory):
    """Crawl the sample site, then crawl it again unchanged; the hits of each."""
    db_url = f"sqlite:///{tmp_path_factory.mktemp('rstv') / 'archive.sqlite'}"
    mirror = RstvMirror(list(rstv_articles()))
    with MirrorServer(mirror.lookup) as server:
        first = crawl(server, db_url)
        first_hits = Counter(server.hits)
        server.hits.clear()
        second = crawl(server, db_url)
        second_hits = Counter(server.hits)
    return db_url, first, first_hits, second, second_hits


@pytest.mark.slow
def test_crawl_stores_exactly_what_the_site_holds(sample_crawl):
    db_url, first, hits, _, _ = sample_crawl
    articles, entries = archive_rows(db_url)
    # One row per story: the repost (two addresses, one text) is one article.
    repost = "/blog/2024-01-31-850"
    assert sorted(articles) == sorted({a.path for a in SERVED} - {repost})
    addresses = {key(u.url) for u in _all(db_url, ArticleUrl)}
    assert addresses == {a.path for a in SERVED}
    assert sorted(entries) == sorted(a.path for a in LISTED)
    # Exactly one request per page: robots.txt, four home pages, the blog's four and the news module's
    # one (each module's listing is walked: whether the home page lists them all is not known),
    # every entry, the two 404 versions.
    listings = {
        "/",
        "/?page2",
        "/?page3",
        "/?page4",
        "/blog/",
        "/blog/?page2",
        "/blog/?page3",
        "/blog/?page4",
        "/news/",
    }
    expected = {"/robots.txt", *listings, *(a.path for a in SERVED), *(a.path for a in GONE)}
    assert set(hits) == expected and set(hits.values()) == {1}
    assert "rstv: ok in" in first.stdout and f"{len(expected)} requests" in first.stdout
    assert "0 dates left empty; 0 errors" in first.stdout


@pytest.mark.slow
def test_second_crawl_of_an_unchanged_site_costs_one_request_per_listing(sample_crawl):
    _, _, _, second, hits = sample_crawl
    assert hits == {"/robots.txt": 1, "/": 1, "/blog/": 1, "/news/": 1}
    assert "4 requests" in second.stdout and "articles 0 new" in second.stdout


@pytest.mark.slow
def test_listing_entries_fields(sample_crawl):
    _, entries = archive_rows(sample_crawl[0])
    for article in LISTED:
        entry = entries[article.path]
        assert (entry.title, entry.listed_on, entry.details.category, entry.details.views, entry.details.comments) == (
            article.title,
            article.day,
            article.category,
            article.views,
            len(article.comments),
        ), article.path
        assert "Read more" not in entry.teaser and entry.teaser_matches, article.path
    assert entries[
        "/blog/jojack_movement_is_officially_recognized_as_a_friendly_organization/2023-09-10-729"
    ].teaser == (
        "On September 7, at the invitation of Alexander Mostov, Chairman of the Coordination Committee of the DPRK ISG, "
        'the founder of the "JoJack" movement attended a gala event at the DPRK Embassy with the a'
    )
    assert entries["/news/dprk_embassy_in_moscow_hosts_reception/2019-04-14-31"].details.category is None


@pytest.mark.slow
def test_entry_fields(sample_crawl):
    articles, _ = archive_rows(sample_crawl[0])
    en = articles["/blog/large_online_meeting_in_china_held/2023-07-25-683"]
    assert (en.title, en.subtitle, en.language, en.category, en.author, en.views, en.comments, en.tags) == (
        "Large Online Meeting in China Held",
        "Second Day of the 2nd International Congress of Solidarity",
        "en",
        "English",
        "redstartvkp",
        966,
        0,
        ["DPRK ISG", "2nd ICS"],
    )
    assert (en.published_on, en.dateline, en.dateline_place, en.dateline_on) == (
        date(2023, 7, 25),
        "July 25, Beijing (RSTV)",
        "Beijing",
        date(2023, 7, 25),
    )
    assert en.body.startswith("On July 23, on the occasion of the 70th anniversary")
    assert en.body.endswith("main activities of the DPRK International Solidarity Group.")
    for noise in ("09:14", "[all photos]", "[English]", "Category:", "Total comments", "Second Day of"):
        assert noise not in en.body
    conference = articles["/blog/2nd_organizing_conference_of_the_dprk_isg/2021-02-24-201"]
    assert (conference.dateline, conference.published_on) == (None, date(2021, 2, 24))
    assert "\n\n• Highest priority of Kimilsungism-kimjongilism" in conference.body
    assert "\n\n1. Publication of news articles" in conference.body
    liked = articles["/blog/jojack_movement_is_officially_recognized_as_a_friendly_organization/2023-09-10-729"]
    assert liked.comments == 1 and "qwerty" not in liked.body and "avatar" not in liked.body
    empty_fields = articles["/blog/2023_3/2023-03-16-640"]  # odd segment, no author, "| | |"
    assert (empty_fields.author, empty_fields.views, empty_fields.category) == (None, 12, "Deutsches Regionalkomitee")
    announcement = articles["/blog/2019-12-21-1101"]
    assert announcement.dateline is None and announcement.body.startswith("special announcement\n\n")
    news = articles["/news/dprk_embassy_in_moscow_hosts_reception/2019-04-14-31"]
    assert (news.dateline_place, news.dateline_on, news.category) == ("Moscow", date(2019, 4, 14), None)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("path", "published", "dateline_on", "place"),
    [
        ("/blog/2023-07-27-688", date(2023, 7, 27), date(2023, 7, 25), "Peking"),  # German, before its URL date
        ("/blog/2023_3/2023-03-16-640", date(2023, 3, 16), date(2023, 3, 10), None),  # "10. März. /RSTV/"
        ("/blog/2022-12-20-623", date(2022, 12, 20), date(2023, 4, 5), "Pyongyang"),  # the year nearest the URL
        ("/blog/krupnoe_onlajn_sobranie_proshlo_v_kitae/2023-07-25-684", date(2023, 7, 25), date(2023, 7, 25), "Пекин"),
        ("/blog/2023-07-25-685", date(2023, 7, 25), date(2023, 7, 25), "北京"),
        # the repost: the earliest address's date; the dateline's own year
        (
            "/blog/circle_of_friends_of_korea_in_gorno_altaisk/2017-11-20-850",
            date(2017, 11, 20),
            date(2017, 11, 20),
            None,
        ),
    ],
)
def test_dates(sample_crawl, path, published, dateline_on, place):
    articles, _ = archive_rows(sample_crawl[0])
    assert (articles[path].published_on, articles[path].dateline_on, articles[path].dateline_place) == (
        published,
        dateline_on,
        place,
    )


@pytest.mark.slow
def test_language_from_the_text(sample_crawl):
    articles, _ = archive_rows(sample_crawl[0])
    by_path = {a.path: a.language for a in SERVED}
    assert {path: a.language for path, a in articles.items()} == {p: by_path[p] for p in articles}
    assert {a.language for a in articles.values()} == {"en", "ru", "zh", "de", "tg", "ko", "ja"}


@pytest.mark.slow
@pytest.mark.parametrize(
    ("path", "title"),
    [
        ("/blog/dvizhenie_jojack_priznano_druzhestvennoj_organizaciej/2023-09-10-730", "Движение «JoJack» признано дружественной организацией"),
        ("/blog/seminar_on_the_juche_idea_held_in_dushanbe/2024-06-19-1211", "Семинар по идеям чучхе прошёл в Душанбе"),
    ],
)  # fmt: skip
def test_windows_1251_pages_are_intact(sample_crawl, path, title):
    articles, _ = archive_rows(sample_crawl[0])
    assert (articles[path].language, articles[path].title) == ("ru", title)
    assert articles[path].body.startswith(next(a for a in SERVED if a.path == path).blocks[0])


@pytest.mark.slow
def test_translation_groups_and_missing_versions(sample_crawl):
    db_url = sample_crawl[0]
    articles, _ = archive_rows(db_url)
    groups: dict[str, set[str]] = {}
    for path, article in articles.items():
        if article.translation_group:
            groups.setdefault(article.translation_group, set()).add(path)
    stories: dict[str, set[str]] = {}
    for a in SERVED:
        if a.story:
            stories.setdefault(a.story, set()).add(a.path)
    assert sorted(map(sorted, groups.values())) == sorted(map(sorted, stories.values()))
    # The Japanese version links none back; it joined through the others' links.
    assert articles["/blog/2024-09-09-1302"].translation_group == articles["/blog/2024-09-09-1300"].translation_group
    missing = {(key(link.to_url), link.to_status) for link in _all(db_url, TranslationLink) if link.to_status}
    assert missing == {(a.path, 404) for a in GONE}


@pytest.mark.slow
@pytest.mark.parametrize("empty_days", ["answer_200", "answer_404"])
def test_backfill_by_day_archives(tmp_path, empty_days):
    """One request per day of the range and module (the blog's, the news module's), one per entry (the
    unlisted Tajik version included); a day without entries may answer an empty page or 404, neither
    is an error."""
    db_url = f"sqlite:///{tmp_path / 'archive.sqlite'}"
    mirror = RstvMirror(list(rstv_articles()))
    with MirrorServer(mirror.lookup if empty_days == "answer_200" else mirror.build()) as server:
        result = crawl(
            server, db_url, "--since", "2024-06-18", "--until", "2024-06-20", "-s", "ARCHIVER_PROGRESS_INTERVAL=0.1",
            command_name="backfill",
        )  # fmt: skip
        hits = Counter(server.hits)
    days = {f"/{module}/2024-6-{day}" for module in ("blog", "news") for day in (18, 19, 20)}
    dushanbe = {a.path for a in SERVED if a.story == "dushanbe"}
    assert hits == Counter({"/robots.txt": 1, **dict.fromkeys(days | dushanbe, 1)})
    assert "rstv: ok in " in result.stdout and "10 requests" in result.stdout and "0 errors" in result.stdout
    articles, entries = archive_rows(db_url)
    assert set(articles) == dushanbe and set(entries) == {a.path for a in LISTED if a.story == "dushanbe"}
    # The last progress line (stderr is a pipe, a line every 0.1 s) gives the summary's figures; every day's walk ended,
    # the 404 of a day without entries included.
    final, summary = progress_figures(result.stderr)[-1], summary_figures(result.stdout)
    assert (final["spider"], final["done"], final["total"], final["unit"]) == (
        "rstv",
        6,
        6,
        "day archives",
    )  # 3 days × 2 modules
    assert final["pages"] == summary["pages"] and final["new"] == summary["new"] == len(dushanbe)
    assert final["entries"] == summary["entries_new"] + summary["entries_again"]


@pytest.mark.slow
def test_backfill_day_archive_holding_the_next_day(tmp_path):
    """`/blog/2019-12-20` lists an entry dated 19/12/21: inside the range it is fetched once."""
    db_url = f"sqlite:///{tmp_path / 'archive.sqlite'}"
    with MirrorServer(RstvMirror(list(rstv_articles())).lookup) as server:
        crawl(server, db_url, "--since", "2019-12-20", "--until", "2019-12-21", command_name="backfill")
        hits = Counter(server.hits)
    assert hits == {
        "/robots.txt": 1,
        "/blog/2019-12-21": 1,
        "/blog/2019-12-20": 1,
        "/news/2019-12-21": 1,
        "/news/2019-12-20": 1,
        "/blog/2019-12-21-1101": 1,
    }
    _, entries = archive_rows(db_url)
    assert entries["/blog/2019-12-21-1101"].listed_on == date(2019, 12, 21)


@pytest.mark.slow
def test_backfill_by_sitemap(tmp_path):
    db_url = f"sqlite:///{tmp_path / 'archive.sqlite'}"
    with MirrorServer(RstvMirror(list(rstv_articles())).lookup) as server:
        crawl(
            server, db_url, "--since", "2023-07-25", "--until", "2023-07-27", "-s", "ARCHIVER_RSTV_VIA=sitemap",
            command_name="backfill",
        )  # fmt: skip
        hits = Counter(server.hits)
    china = {a.path for a in SERVED if a.story == "china"}
    assert hits == Counter({"/robots.txt": 1, "/sitemap.xml": 1, **dict.fromkeys(china, 1)})
    articles, _ = archive_rows(db_url)
    assert set(articles) == china


@pytest.mark.slow
def test_feed_start_and_fallback_to_listings(tmp_path):
    """Each module's feed names its entries (the news module's too); a site without a sitemap is
    walked through its listings."""
    mirror = RstvMirror(list(rstv_articles()))
    pages = mirror.build()
    db_url = f"sqlite:///{tmp_path / 'feed.sqlite'}"
    with MirrorServer(mirror.lookup) as server:
        crawl(server, db_url, "-s", "ARCHIVER_RSTV_VIA=feed")
        assert server.hits["/blog/rss/"] == 1 and server.hits["/news/rss/"] == 1 and server.hits["/"] == 0
    articles, entries = archive_rows(db_url)
    assert {a.path for a in LISTED} <= set(entries)
    assert set(articles) == {a.path for a in SERVED} - {"/blog/2024-01-31-850"}

    without = {path: page for path, page in pages.items() if path not in ("/blog/rss/", "/sitemap.xml")}
    db_url = f"sqlite:///{tmp_path / 'fallback.sqlite'}"
    with MirrorServer(without) as server:
        result = crawl(server, db_url, "-s", "ARCHIVER_RSTV_VIA=sitemap")
        assert server.hits["/sitemap.xml"] == 1 and server.hits["/"] == 1
    articles, _ = archive_rows(db_url)
    assert len(articles) == len(SERVED) - 1
    assert "0 errors" in result.stdout  # a sitemap that does not answer is no error: the listings are walked


def test_both_host_names_are_stored_under_the_base_url():
    from scrapy.http import HtmlResponse, Request

    from spiders.rstv import RstvSpider

    spider = RstvSpider(base_url="http://127.0.0.1:8002")
    page = HtmlResponse("http://127.0.0.1:8002/", body=b"<html></html>", request=Request("http://127.0.0.1:8002/"))
    for href in ("http://redstartv.org/blog/2023-06-26-686", "http://www.redstartv.org/blog/2023-06-26-686"):
        assert spider.link(page, href) == "http://127.0.0.1:8002/blog/2023-06-26-686"
    assert spider.link(page, "http://example.org/blog/2023-06-26-686") is None
    real = RstvSpider()
    home = HtmlResponse("http://www.redstartv.org/", body=b"", request=Request("http://www.redstartv.org/"))
    assert real.link(home, "http://redstartv.org/?page66") == "http://www.redstartv.org/?page66"


# Translation groups in the store, independent of order --------------------------------------------


def _all(db_url: str, model) -> list:
    engine = make_engine(db_url)
    with Session(engine) as session:
        rows = list(session.scalars(select(model)))
        session.expunge_all()
    engine.dispose()
    return rows


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


BLOG = "http://www.redstartv.org/blog"


def test_translation_group_whatever_version_comes_first(tmp_path):
    urls = [f"{BLOG}/s{n}/2024-03-14-{n}" for n in range(4)]
    # The Russian page links only English and itself; the others link all four; one is never fetched.
    pages = [version(urls[0], urls), version(urls[1], urls[:2]), version(urls[2], urls)]
    names = set()
    for n, order in enumerate(itertools.permutations(pages)):
        groups = store(tmp_path, f"order{n}", list(order))
        assert partition(groups) == {frozenset(urls[:3])}, [p.url for p in order]
        names |= set(groups.values())
    assert len(names) == 1  # the same group name in every order


def test_one_way_link_joins_whichever_end_is_stored_first(tmp_path):
    """A links B, B prints no language line (the spider lists B alone): A-then-B or B-then-A, one group."""
    a, b = f"{BLOG}/a/2024-03-14-1", f"{BLOG}/2024-03-14-2"
    for n, order in enumerate(([version(a, [a, b]), version(b, [b])], [version(b, [b]), version(a, [a, b])])):
        assert partition(store(tmp_path, f"oneway{n}", order)) == {frozenset({a, b})}


def test_translation_groups_merge_when_they_meet(tmp_path):
    a, b, c, d = (f"{BLOG}/m{n}/2024-03-14-{n}" for n in range(4))
    groups = store(
        tmp_path, "merge", [version(a, [a, b]), version(c, [c, d]), version(b, [a, b, c]), version(d, [c, d])]
    )
    assert partition(groups) == {frozenset({a, b, c, d})}


@pytest.mark.parametrize("links", [[], ["self"]])
def test_article_without_language_links_has_no_group(tmp_path, links):
    url = f"{BLOG}/alone/2024-03-14-9"
    assert store(tmp_path, "alone", [version(url, [url] if links else [])]) == {url: None}


# Rows of the old spider --------------------------------------------------------------------------


def test_migration_sets_the_old_hosts_rows_apart(tmp_path):
    """Rows the first spider stored from rstv.ucoz.net move to site `rstv-ucoz`; the real site's stay."""
    db_url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    engine = make_engine(db_url)
    config = alembic_config(db_url)
    command.upgrade(config, "0002")
    rows = [
        (1, "https://rstv.ucoz.net/news/seminar/2024-03-14-2101"),
        (2, "http://www.redstartv.org/blog/2023-06-26-686"),
        (3, "http://127.0.0.1:8002/blog/2023-07-25-683"),
    ]
    with engine.begin() as connection:
        for number, url in rows:
            connection.execute(
                text("INSERT INTO articles (id, site, url, first_seen_at, last_seen_at) VALUES (:i, 'rstv', :u, 0, 0)"),
                {"i": number, "u": url},
            )
            connection.execute(
                text(
                    "INSERT INTO listing_entries (site, article_url, times_seen, first_seen_at, last_seen_at)"
                    " VALUES ('rstv', :u, 1, 0, 0)"
                ),
                {"u": url},
            )
    command.upgrade(config, "head")
    with engine.connect() as connection:
        for table, column in (("articles", "url"), ("listing_entries", "article_url")):
            sites = dict(connection.execute(text(f"SELECT {column}, site FROM {table}")).all())
            assert sites == {rows[0][1]: "rstv-ucoz", rows[1][1]: "rstv", rows[2][1]: "rstv"}, table
    engine.dispose()


def test_resource_types_of_the_sample_site():
    pages = RstvMirror(list(rstv_articles())).build()
    assert pages["/sitemap.xml"].content_type.startswith("application/xml")
    assert pages["/blog/2021-2-24"] is pages["/blog/2021-02-24"]  # day archives padded and not
    assert isinstance(pages["/robots.txt"], Resource) and len(SAMPLE) == len(rstv_articles())


@pytest.mark.slow
def test_scrapy_contracts_hold_on_the_sample_site(tmp_path):
    """`scrapy check rstv` names www.redstartv.org; served here through a proxy that answers with the sample."""
    import os
    import subprocess
    import sys

    mirror = RstvMirror(list(rstv_articles()))

    def as_proxy(target: str) -> Resource | None:
        parts = urlsplit(target)
        return mirror.lookup(parts.path + (f"?{parts.query}" if parts.query else ""))

    with MirrorServer(as_proxy) as server:
        done = subprocess.run(
            [sys.executable, "-m", "scrapy", "check", "rstv", "-s", "DOWNLOAD_DELAY=0"],
            env={
                **os.environ,
                "http_proxy": server.base_url,
                "no_proxy": "",
                "ARCHIVER_DB_URL": f"sqlite:///{tmp_path / 'check.sqlite'}",
            },
            capture_output=True,
            text=True,
            timeout=120,
            cwd=Path(__file__).resolve().parents[1],
        )
        hits = set(server.hits)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Ran 6 contracts" in done.stderr
    assert {
        "http://www.redstartv.org/blog/",
        "http://www.redstartv.org/blog/large_online_meeting_in_china_held/2023-07-25-683",
    } <= hits
