"""Every article of every source, and an archive that knows how complete it is (issue 29), end to end.

KCNA Watch: the bundled sample rendered the third way (archiver/mirror/kcnawatch.py, rendering "c"):
`/newstream/` names no source, so KASS (EN) is linked only from its own article pages and "More
From" blocks; the masthead's `h1` is the site's name and articles have no heading of their own;
Naenara's "load more" id is only in an inline script, KCNA's only in a `data-source` attribute,
KASS's nowhere (the date search answers). A backfill with no `-a sources` archives every article of
every source in its range; `archiver coverage` then shows no gap. With KASS's listing unreachable,
the backfill and `archiver coverage` both name it and exit 1.

RSTV: a site whose home page lists only the blog, with a news module (its listing, day archives,
entries under `/news/SEG/…`) and language links to versions that answer 404 (most of the article
pages asked for): the crawl archives the news module and ends `ok`; a backfill by days asks for the
news module's day archives too.
"""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from archiver.archive.readonly import open_readonly
from archiver.cli import main
from archiver.mirror.kcnawatch import KcnaWatchMirror, fragment_target
from archiver.mirror.rstv import RstvArticle, RstvMirror
from archiver.mirror.sample_sites import kcnawatch_articles
from archiver.mirror.server import MirrorServer, Resource
from archiver.research.coverage import coverage_report, picture_rows
from archiver.research.plot import DPI, coverage_height, plot_available
from tests.support.archive import query
from tests.support.cli import FAST, run_archiver
from tests.support.pictures import png_size

pytestmark = pytest.mark.slow

SINCE, UNTIL = date(2024, 10, 1), date(2024, 12, 31)
ARTICLES = list(kcnawatch_articles())
IN_RANGE = {a.path for a in ARTICLES if SINCE <= a.day <= UNTIL}
# The feed names two sources no listing has named yet: the newest article of each is fetched for its
# page's links ("Source:", the "Popular" box that links the oldest articles, KASS's among them).
DISCOVERED = {
    max((a for a in ARTICLES if a.source_slug == slug), key=lambda a: a.epoch).path
    for slug in ("naenara-en", "kcna-en")
}


def search(start: str, end: str) -> str:
    return f"/?end={end}&s=&sort=recent&source=163&start={start}"


def backfill(site, db_url: str, *extra: str):
    with MirrorServer(site) as server:
        result = run_archiver(
            "backfill", "kcnawatch", "--since", SINCE.isoformat(), "--until", UNTIL.isoformat(),
            "--base-url", server.base_url, "--db", db_url, *FAST, *extra,
        )  # fmt: skip
        return result, Counter(server.hits), server.base_url


def coverage(capsys, *args: str) -> tuple[int, str, str]:
    status = main(["coverage", *args])
    out, err = capsys.readouterr()
    return status, out, err


def test_a_backfill_without_sources_archives_every_source_of_its_range(db_url, capsys):
    result, hits, base = backfill(KcnaWatchMirror(ARTICLES, rendering="c"), db_url)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("kcnawatch: ok in ")
    articles = {path for path in hits if path.startswith("/newstream/1")}
    assert articles == IN_RANGE | DISCOVERED and set(hits.values()) == {1}
    assert len(IN_RANGE) == 21  # all KASS (EN), whose listing only its own article pages link
    # robots.txt, the feed, /newstream/, the three listings (each found once), Naenara's fragments
    # (its id in a script) down to --since, and KASS's date search: December (full: split in halves,
    # the newer half full too), then November and October; September is before --since.
    assert {path for path in hits if path not in articles} == {
        "/robots.txt", "/newstream/feed/", "/newstream/", "/article/150/", "/article/163/", "/article/177/",
        fragment_target(190036, 10), fragment_target(190036, 20),
        search("01-12-2024", "31-12-2024"), search("17-12-2024", "31-12-2024"), search("25-12-2024", "31-12-2024"),
        search("17-12-2024", "24-12-2024"), search("01-12-2024", "16-12-2024"),
        search("01-11-2024", "30-11-2024"), search("01-10-2024", "31-10-2024"),
    }  # fmt: skip
    assert sum(hits.values()) == 38 and "38 pages fetched (38 requests)" in result.stdout
    # 21 addresses in range (three reposts: 18 articles) and the two discovered.
    assert "articles 20 new, 0 updated, 3 reposts folded" in result.stdout
    titles = dict(query(db_url, "SELECT url, title FROM articles"))
    assert "KCNA Watch" not in titles.values() and None not in titles.values()
    # From <title> (the site's name after "|") and from a JSON-LD headline: the masthead's h1 is no title.
    assert titles[
        base
        + "/newstream/1729688400-811236574/basic-party-organizations-should-be-strengthened-further-organizationally-and-id/"
    ] == ("Basic Party Organizations Should Be Strengthened Further Organizationally and Ideologically")
    assert titles[base + "/newstream/1732496419-800150461/i-visited-the-dprk-for-the-first-time-in/"] == (
        "I visited the DPRK for the first time in"
    )
    assert sorted(query(db_url, "SELECT key, name, source_id, source_id_from FROM sources")) == [
        ("150", "KCNA (EN)", "189500", "attribute"),
        ("163", "KASS (EN)", None, None),
        ("177", "Naenara (En)", "190036", "script"),
    ]
    status, out, err = coverage(capsys, "kcnawatch", "--db", db_url, "--format", "csv")
    assert (status, err) == (0, "")
    assert "kcnawatch,source,KASS (EN),2024-12,19,19,0,0" in out.splitlines()
    assert "kcnawatch,source,Naenara (En),2026-01,20,1,0,0" in out.splitlines()


def test_an_unreachable_source_is_named_by_the_backfill_and_by_coverage(db_url, capsys, tmp_path):
    mirror = KcnaWatchMirror(ARTICLES)

    def site(target: str) -> Resource | None:
        if target == "/article/163/":
            return Resource(b"<html><body><h1>Not Found</h1></body></html>", status=404)
        return mirror(target)

    result, hits, base = backfill(site, db_url)
    assert result.returncode == 1 and result.stdout.startswith("kcnawatch: degraded in ")
    line = f"kcnawatch: KASS (EN) ({base}/article/163/): never walked — the backfill's range 2024-10-01 … 2024-12-31 is not covered"
    assert line in result.stderr.splitlines()
    assert hits["/article/163/"] == 1
    status, out, err = coverage(capsys, "kcnawatch", "--db", db_url)
    assert status == 1
    assert err.startswith(
        f"kcnawatch: source KASS (EN) ({base}/article/163/): seen but never walked, seen on {base}/newstream/"
    )
    engine = open_readonly(db_url)
    with engine.connect() as connection:
        rows = picture_rows(coverage_report(connection, "kcnawatch"))
    engine.dispose()
    # The source never walked is hatched in every month; elsewhere, the months listing an entry not archived.
    assert {(group, month): gap for group, month, _, gap in rows} == {
        ("kcnawatch / KASS (EN)", "2024-10"): True,
        ("kcnawatch / KASS (EN)", "2024-11"): True,
        ("kcnawatch / KASS (EN)", "2024-12"): True,
        ("kcnawatch / KCNA (EN)", "2025-06"): True,
        ("kcnawatch / KCNA (EN)", "2026-01"): False,
        ("kcnawatch / Naenara (En)", "2024-02"): True,
        ("kcnawatch / Naenara (En)", "2026-01"): True,
    }
    if plot_available():  # the same report drawn: a band per source
        picture = tmp_path / "coverage.png"
        status, out, err = coverage(capsys, "kcnawatch", "--db", db_url, "--plot", str(picture))
        assert status == 1 and err.endswith(f"archiver: plot written to {picture}\n")
        assert png_size(picture) == (1000, int(coverage_height(3) * DPI))


# RSTV ----------------------------------------------------------------------------------------------
def entry(entry_id: int, published: str, title: str, **fields) -> RstvArticle:
    text = f"{title}: the text of entry {entry_id}, published on {published}."
    return RstvArticle(
        entry_id=entry_id, published=published, title=title, blocks=[text, "A second paragraph."], **fields
    )


RSTV = [
    entry(501, "2024-03-02", "Blog report one", slug="blog_report_one"),
    entry(502, "2024-03-05", "Blog report two"),
    entry(
        31, "2024-03-03", "Embassy hosts reception", module="news", slug="dprk_embassy_hosts_reception", category=None
    ),
    entry(1965, "2024-03-04", "New Year address", module="news", segment="2024", category=None),
    # Two stories whose language links mostly point at versions that answer 404.
    *(
        entry(
            600 + 10 * n + k,
            "2024-03-06",
            f"Story {n} in {lang}",
            language=lang,
            story=f"s{n}",
            served=k == 0,
            listed=k == 0,
        )
        for n in range(2)
        for k, lang in enumerate(("en", "ru", "zh", "ja", "de", "hu"))
    ),
]
NEWS = {a.path for a in RSTV if a.module == "news"}
SERVED = {a.path for a in RSTV if a.served}
MISSING = {a.path for a in RSTV if not a.served}


def rstv(site, db_url: str, *extra: str, command: str = "crawl"):
    with MirrorServer(site) as server:
        result = run_archiver(command, "rstv", "--base-url", server.base_url, "--db", db_url, *FAST, *extra)
        return result, Counter(server.hits)


def test_rstv_crawls_the_news_module_and_versions_that_answer_404_leave_it_ok(db_url, capsys):
    result, hits = rstv(RstvMirror(RSTV, home_modules=("blog",)).lookup, db_url)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("rstv: ok in "), result.stdout + result.stderr
    # The home page (the blog only), each module's listing, every entry, each missing version once.
    assert hits == Counter(dict.fromkeys({"/robots.txt", "/", "/blog/", "/news/", *SERVED, *MISSING}, 1))
    assert len(MISSING) == 10 and len(SERVED) == 6  # most article pages asked for answered 404
    stored = {url.split("/", 3)[3] for (url,) in query(db_url, "SELECT url FROM articles")}
    assert {"/" + path for path in stored} == SERVED
    assert sorted(query(db_url, "SELECT kind, key, name FROM sources WHERE kind = 'module'")) == [
        ("module", "blog", "Blog"),
        ("module", "news", "News"),
    ]
    status, out, err = coverage(capsys, "rstv", "--db", db_url, "--format", "csv")
    assert (status, err) == (0, "")
    assert "rstv,module,news,2024-03,2,2,0,0" in out.splitlines()


def test_rstv_backfill_by_days_reads_the_news_modules_day_archives():
    """In process: the days of each module, and a news day archive's entry (the end-to-end day
    backfills are in tests/test_rstv_crawl.py)."""
    from scrapy.http import HtmlResponse, Request
    from scrapy.utils.test import get_crawler

    from spiders.rstv import RstvSpider

    crawler = get_crawler(RstvSpider, {"ARCHIVER_MODE": "backfill"})
    spider = RstvSpider.from_crawler(crawler, base_url="http://rstv.test", since="2024-03-03", until="2024-03-04")
    days = [r.url.removeprefix("http://rstv.test") for r in spider.day_requests()]
    assert days == ["/blog/2024-3-4", "/news/2024-3-4", "/blog/2024-3-3", "/news/2024-3-3"]
    page = RstvMirror(RSTV, home_modules=("blog",)).build()["/news/2024-3-3"]
    url = "http://rstv.test/news/2024-3-3"
    out = list(spider.parse_listing(HtmlResponse(url, body=page.body, request=Request(url))))
    news = "http://rstv.test/news/dprk_embassy_hosts_reception/2024-03-03-31"
    assert [(o.article_url, o.title) for o in out if hasattr(o, "article_url")] == [(news, "Embassy hosts reception")]
    assert [r.url for r in out if isinstance(r, Request)] == [news]
    assert {(s.kind, s.key) for s in spider.source_log.seen.values()} >= {("module", "news")}


# The walk log's cover, the sources log, the starts from known sources (in process) -----------------
def reach(oldest, newest, ended, *, from_top=True, floor=None):
    from archiver.archive.walks import Reach

    return Reach(oldest, newest, from_top, ended, floor)


D = date.fromisoformat
TODAY = D("2026-12-07")


@pytest.mark.parametrize(
    ("before", "walk", "after"),
    [
        # A first walk to the listing's last page covers it all (NULL: from its first entry).
        ((None, None), reach(D("2015-03-01"), D("2026-12-06"), "end"), (None, TODAY)),
        # A backfill's walk past --since covers down to --since, whatever its entries' dates.
        (
            (None, None),
            reach(D("2024-10-23"), D("2024-12-28"), "since", floor=D("2024-10-01")),
            (D("2024-10-01"), TODAY),
        ),
        # A nightly walk that meets archived entries joins the earlier cover.
        (
            (D("2024-10-01"), D("2026-12-01")),
            reach(D("2026-12-05"), D("2026-12-06"), "archive"),
            (D("2024-10-01"), TODAY),
        ),
        # One cut short above the earlier cover leaves a gap: only its own dates are covered now.
        (
            (D("2024-10-01"), D("2026-01-01")),
            reach(D("2026-06-01"), D("2026-12-06"), "bound"),
            (D("2026-06-01"), TODAY),
        ),
        # A walk resumed mid-way (a job folder, the walk log) goes on below the earlier one.
        (
            (D("2025-05-01"), D("2026-12-01")),
            reach(D("2024-12-30"), D("2025-04-30"), "since", from_top=False, floor=D("2025-01-01")),
            (D("2024-12-30"), D("2026-12-01")),
        ),
        # A walk that saw no dates and did not reach an end changes nothing.
        ((D("2024-10-01"), D("2026-12-01")), reach(None, None, None), (D("2024-10-01"), D("2026-12-01"))),
    ],
)
def test_the_dates_walks_have_covered(before, walk, after):
    from archiver.archive.walks import BEGINNING, covered

    low, top = covered(before, walk, TODAY)
    assert (None if low == BEGINNING else low, top) == after


def test_sources_keep_their_name_and_id_once_known_and_a_backfill_starts_from_each(db_url):
    from scrapy.utils.test import get_crawler
    from sqlalchemy import text

    from archiver.archive.engine import open_archive
    from archiver.archive.sources import SourceLog, SourceSighting, known_sources, uncovered
    from spiders.kcnawatch import KcnaWatchSpider

    engine = open_archive(db_url)
    log = SourceLog(engine, "kcnawatch")
    base = "https://kcnawatch.org"
    assert log.saw(
        SourceSighting("source", "163", base + "/article/163/", "KASS (EN)", "189661", "attribute", base + "/x/")
    )
    assert log.saw(SourceSighting("source", "151", base + "/article/151/", None, found_on=base + "/y/"))
    assert not log.saw(SourceSighting("source", "163", base + "/article/163/"))  # nothing new: not again
    log.flush()
    later = SourceLog(engine, "kcnawatch")
    later.saw(SourceSighting("source", "163", base + "/article/163/", None, found_on=base + "/z/"))
    later.saw(SourceSighting("source", "151", base + "/article/151/", "Rodong Sinmun (EN)"))
    later.flush()
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT key, name, source_id, source_id_from, found_on FROM sources ORDER BY key")
        )
        assert [tuple(r) for r in rows] == [
            ("151", "Rodong Sinmun (EN)", None, None, base + "/y/"),
            ("163", "KASS (EN)", "189661", "attribute", base + "/x/"),
        ]
    known = known_sources(engine, "kcnawatch")
    assert [(s.label, why) for s, why in uncovered(engine, "kcnawatch", known, D("2024-10-01"), D("2024-12-31"))] == [
        (f"KASS (EN) ({base}/article/163/)", "never walked"),
        (f"Rodong Sinmun (EN) ({base}/article/151/)", "never walked"),
    ]
    engine.dispose()

    crawler = get_crawler(KcnaWatchSpider, {"ARCHIVER_DB_URL": db_url, "ARCHIVER_MODE": "backfill"})
    spider = KcnaWatchSpider.from_crawler(crawler, since="2024-10-01")
    spider.open_walk()
    try:
        assert [r.url for r in spider.start_requests_for_run()] == [
            base + "/newstream/feed/", base + "/newstream/", base + "/article/163/", base + "/article/151/",
        ]  # fmt: skip
        given = KcnaWatchSpider.from_crawler(
            get_crawler(KcnaWatchSpider, crawler.settings.copy_to_dict()), sources="177"
        )
        assert [r.url for r in given.start_requests_for_run()] == [base + "/article/177/"]
    finally:
        spider.close_walk_log(reason="shutdown")


def test_coverage_names_a_source_whose_last_walk_stopped_early_and_one_never_walked(db_url):
    from sqlalchemy import text

    from archiver.archive.engine import open_archive
    from archiver.research.coverage import coverage_report

    engine = open_archive(db_url)
    with engine.begin() as connection:
        for key, name in (("163", "KASS (EN)"), ("177", None)):
            connection.execute(
                text(
                    "INSERT INTO sources (site, kind, key, name, url, found_on, first_seen_at, last_seen_at) "
                    "VALUES ('kcnawatch', 'source', :key, :name, :url, 'http://k/x/', '2026-12-01', '2026-12-01')"
                ),
                {"key": key, "name": name, "url": f"http://k/article/{key}/"},
            )
        connection.execute(
            text(
                "INSERT INTO listing_walks (site, start_url, pages, finished, updated_at, oldest_on, newest_on, ended, "
                "covered_from, covered_to) VALUES ('kcnawatch', 'http://k/article/163/', 3, 1, '2026-12-01', "
                "'2025-03-01', '2026-11-30', 'bound', '2025-03-01', '2026-12-01')"
            )
        )
        report = coverage_report(connection, "kcnawatch")
    engine.dispose()
    assert [gap.line() for gap in report.gaps] == [
        "kcnawatch: source KASS (EN) (http://k/article/163/): its last walk stopped early (back to 2025-03-01): "
        "the run's listing-page bounds cut it short",
        "kcnawatch: source http://k/article/177/: seen but never walked, seen on http://k/x/",
    ]
    assert report.rows == []
