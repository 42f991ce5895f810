"""End-to-end: two sites of our own archived from their profiles alone (tests/fixtures/profiles/).

Party Weekly (WordPress, /page/N/ by an "Older posts" link, no selectors at all) and Valley Gazette
(Joomla-style, ?start=20 by a URL template, English and German) are served on loopback by
MirrorServer and crawled by the real `archiver` command in a subprocess, as a researcher would.
Asserted: every row exactly (titles, dates, teasers, bodies, languages), reposts folded, what a second
run costs, a backfill by date range, `scrapy list`, and a reparse of the stored pages.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from datetime import date, timedelta

import pytest

from archiver.mirror.server import MirrorServer
from tests.support.archive import query
from tests.support.cli import FAST, PROJECT, run_archiver
from tests.support.profile_sites import (
    Story,
    gazette_path,
    gazette_site,
    gazette_stories,
    wordpress_site,
    wp_path,
    wp_stories,
)

pytestmark = pytest.mark.slow
SITES = ["--sites", "tests/fixtures/profiles"]


def crawl(name: str, server: MirrorServer, db_url: str, *extra: str, command: str = "crawl"):
    done = run_archiver(command, name, *SITES, "--base-url", server.base_url, "--db", db_url, *FAST, *extra)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def path_of(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def articles(db_url: str) -> dict[str, tuple]:
    rows = query(db_url, "SELECT url, title, published_on, body, language, source FROM articles")
    return {path_of(url): tuple(rest) for url, *rest in rows}


def entries(db_url: str) -> dict[str, tuple]:
    rows = query(
        db_url, "SELECT article_url, title, listed_on, teaser, teaser_truncated, times_seen FROM listing_entries"
    )
    return {path_of(url): tuple(rest) for url, *rest in rows}


def article_ids(db_url: str) -> dict[str, int]:
    return {path_of(url): article for url, article in query(db_url, "SELECT url, article_id FROM article_urls")}


def body(story: Story) -> str:
    return "\n\n".join(story.paragraphs)


# Party Weekly ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def party(tmp_path_factory):
    """First crawl, an unchanged second crawl, then one with a new post; hits and the archive."""
    db_url = f"sqlite:///{tmp_path_factory.mktemp('party') / 'archive.sqlite'}"
    stories = wp_stories()
    site = wordpress_site(stories)
    runs = []
    with MirrorServer(site) as server:
        for step in ("first", "unchanged", "new post"):
            if step == "new post":
                fresh = Story(
                    "ashford-parks-meeting-12",
                    date(2024, 3, 14),
                    "Ashford branch elects its committee",
                    "The Ashford branch elected a new committee of nine members on Thursday evening.",
                    [
                        "The Ashford branch elected a new committee of nine members on Thursday evening.",
                        "The outgoing secretary thanked the members for three years of work in the branch.",
                    ],
                )
                stories.append(fresh)
                site.clear()
                site.update(wordpress_site(stories))
            server.hits.clear()
            done = crawl("partyweekly", server, db_url)
            runs.append((Counter(server.hits), done.stdout))
    return db_url, stories, runs


def test_wordpress_posts_are_archived_exactly(party):
    db_url, stories, _ = party
    rows = articles(db_url)
    originals = [s for s in stories if not s.title.endswith("(reposted)")]
    assert set(rows) == {wp_path(s) for s in originals}
    for story in originals:
        assert rows[wp_path(story)] == (story.title, story.day.isoformat(), body(story), "en", "Party Weekly")
    # One row spelled out, as trafilatura found it among the menu, sidebar, tags and comment form.
    assert rows["/2024/03/02/northfield-railway-meeting-1/"] == (
        "Northfield branch meets on the railway (1)",
        "2024-03-02",
        "Members of the Northfield branch met on March 2 to discuss the railway and the spring campaign.\n\n"
        "The meeting heard 4 reports from the wards, and the secretary read letters from residents about the railway.\n\n"
        "A resolution on the railway was adopted by 21 votes to 1, and a delegation will take it to the council.",
        "en",
        "Party Weekly",
    )


def test_wordpress_listing_entries_read_around_the_link(party):
    db_url, stories, _ = party
    found = entries(db_url)
    assert set(found) == {wp_path(s) for s in stories}  # the sidebar's "Recent Posts" add none
    for story in stories:
        title, listed_on, teaser, truncated, _seen = found[wp_path(story)]
        assert (title, listed_on, teaser, truncated) == (
            story.title,
            story.day.isoformat(),
            f"{story.teaser} […]",
            True,
        )
    # A sticky post prints 03/02/2024: month first, as the profile says (DMY would give 3 February).
    assert found["/2024/03/02/northfield-railway-meeting-1/"][1] == "2024-03-02"


def test_wordpress_repost_is_folded(party):
    db_url, _, runs = party
    ids = article_ids(db_url)
    assert ids["/2024/03/13/lakeview-supply-meeting-4-2/"] == ids["/2024/03/05/lakeview-supply-meeting-4/"]
    assert "1 reposts folded" in runs[0][1]


def test_wordpress_runs_cost(party):
    _, stories, runs = party
    first, unchanged, new_post = (hits for hits, _ in runs)
    assert first == Counter(
        {"/robots.txt": 1, "/category/news/": 1, "/category/news/page/2/": 1, "/category/news/page/3/": 1}
        | {wp_path(s): 1 for s in stories[:-1]}
    )
    assert unchanged == Counter({"/robots.txt": 1, "/category/news/": 1})
    # Page 1 shows one new post among archived ones: the walk goes on to page 2, all archived, and ends.
    assert new_post == Counter(
        {
            "/robots.txt": 1,
            "/category/news/": 1,
            "/category/news/page/2/": 1,
            "/2024/03/14/ashford-parks-meeting-12/": 1,
        }
    )
    assert "partyweekly: ok" in runs[1][1] and "articles 0 new" in runs[1][1]


def test_wordpress_backfill_by_date_range(tmp_path):
    db_url = f"sqlite:///{tmp_path / 'archive.sqlite'}"
    site = wordpress_site(wp_stories())
    with MirrorServer(site) as server:
        crawl("partyweekly", server, db_url, "--since", "2024-03-04", "--until", "2024-03-06", "-q", command="backfill")
        articles_hit = {path for path in server.hits if path.startswith("/2024/")}
        listings_hit = {path for path in server.hits if path.startswith("/category/")}
    assert articles_hit == {
        "/2024/03/04/hillcrest-harbour-meeting-3/",
        "/2024/03/05/lakeview-supply-meeting-4/",
        "/2024/03/06/stonebridge-hospital-meeting-5/",
    }
    # Page 3 holds only older posts: the walk ends there.
    assert listings_hit == {"/category/news/", "/category/news/page/2/", "/category/news/page/3/"}
    assert query(db_url, "SELECT published_on FROM articles ORDER BY published_on") == [
        ("2024-03-04",),
        ("2024-03-05",),
        ("2024-03-06",),
    ]


# Valley Gazette ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def gazette(tmp_path_factory):
    folder = tmp_path_factory.mktemp("gazette")
    db_url = f"sqlite:///{folder / 'archive.sqlite'}"
    stories = gazette_stories()
    site = gazette_site(stories)
    runs = []
    with MirrorServer(site) as server:
        for _ in range(2):
            server.hits.clear()
            done = crawl("valleygazette", server, db_url)
            runs.append((Counter(server.hits), done.stdout))
        reparse = run_archiver("reparse", "--site", "valleygazette", *SITES, "--db", db_url)
    return db_url, stories, runs, reparse


def test_gazette_articles_are_archived_exactly(gazette):
    db_url, stories, _, _ = gazette
    rows = articles(db_url)
    originals = stories[:-1]
    assert set(rows) == {gazette_path(s) for s in originals}
    for story in originals:
        assert rows[gazette_path(story)] == (story.title, story.day.isoformat(), body(story), story.language, None)
    assert Counter(language for *_, language, _source in rows.values()) == Counter({"en": 35, "de": 9})
    assert rows["/news/202-eastgate-session-2"] == (
        "Gemeinderat Eastgate: Sitzung Nummer 2",
        "2024-01-03",
        "Der Gemeinderat von Eastgate hat am 3. Januar über die Schulen beraten.\n\n"
        "Die Bürgerinnen und Bürger konnten ihre Fragen stellen, und der Bürgermeister hat 4 Anträge vorgestellt.\n\n"
        "Die nächste Sitzung findet im Rathaus statt, die Tagesordnung wird rechtzeitig veröffentlicht.",
        "de",
        None,
    )


def test_gazette_listing_entries(gazette):
    db_url, stories, _, _ = gazette
    found = entries(db_url)
    assert set(found) == {gazette_path(s) for s in stories}
    for story in stories:
        assert found[gazette_path(story)][:4] == (story.title, story.day.isoformat(), story.teaser, False)
    # A <time datetime> gives its machine value (read in the site's zone by the dates pipeline); a
    # "Published: 14.03.2024" without one is read by the profile's strptime format, day first.
    assert query(db_url, "SELECT date_raw FROM listing_entries WHERE article_url LIKE '%/news/211-%'") == [
        ("2024-01-12T08:00:00+01:00",)
    ]
    assert query(db_url, "SELECT date_raw FROM listing_entries WHERE article_url LIKE '%/news/212-%'") == [
        ("2024-01-13",)
    ]


def test_gazette_repost_is_folded_and_runs_cost(gazette):
    db_url, stories, runs, _ = gazette
    ids = article_ids(db_url)
    assert ids["/news/244-millbrook-session-30-repost"] == ids["/news/230-millbrook-session-30"]
    first, second = (hits for hits, _ in runs)
    # Three pages by ?start=: the last one is short, so ?start=60 is never asked for.
    assert {p for p in first if p.startswith("/news") and "-" not in p} == {"/news", "/news?start=20", "/news?start=40"}
    assert sum(first.values()) == 1 + 3 + len(stories)
    assert second == Counter({"/robots.txt": 1, "/news": 1})
    assert "valleygazette: ok" in runs[0][1] and "articles 44 new" in runs[0][1] and "1 reposts folded" in runs[0][1]


def test_gazette_reparse_goes_through_the_profile(gazette):
    _, _, _, reparse = gazette
    assert reparse.returncode == 0, reparse.stderr
    # Every stored page (3 listings, 45 articles) has the profile's parser, and nothing changes.
    assert reparse.stdout.startswith(
        "valleygazette: 48 pages reparsed (0 without a parser, 0 failed); articles 0 updated, 0 new, 0 folded away;"
    ), reparse.stdout


def test_gazette_backfill_by_date_range(tmp_path):
    db_url = f"sqlite:///{tmp_path / 'archive.sqlite'}"
    stories = gazette_stories()
    with MirrorServer(gazette_site(stories)) as server:
        crawl(
            "valleygazette", server, db_url, "--since", "2024-01-10", "--until", "2024-01-20", "-q", command="backfill"
        )
        hits = Counter(server.hits)
    wanted = [s for s in stories if date(2024, 1, 10) <= s.day <= date(2024, 1, 20)]
    assert hits == Counter(
        {"/robots.txt": 1, "/news": 1, "/news?start=20": 1, "/news?start=40": 1} | {gazette_path(s): 1 for s in wanted}
    )
    days = [day for (day,) in query(db_url, "SELECT published_on FROM articles ORDER BY published_on")]
    assert days == [(date(2024, 1, 10) + timedelta(days=n)).isoformat() for n in range(11)]


# Profiles are spiders for Scrapy's own command line too ------------------------------------------
def test_scrapy_list_includes_profiles():
    done = subprocess.run(
        [sys.executable, "-m", "scrapy", "list"],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "ARCHIVER_SITES": "tests/fixtures/profiles"},
    )
    assert done.returncode == 0, done.stderr
    assert sorted(done.stdout.split()) == ["kcnawatch", "partyweekly", "rstv", "valleygazette"]


def test_gazette_distributed_workers(pg_url, redis_url, crawl_id):
    """`archiver worker NAME` takes a profile's name: a seeded crawl, two workers, every page once."""
    stories = gazette_stories()
    common = [*SITES, "--db", pg_url, "--redis-url", redis_url, "--crawl-id", crawl_id, *FAST]
    with MirrorServer(gazette_site(stories)) as server:
        seeded = run_archiver("crawl", "valleygazette", "--base-url", server.base_url, *common, "--seed-only")
        assert seeded.returncode == 0, seeded.stderr
        workers = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "archiver",
                    "worker",
                    "valleygazette",
                    *common,
                    "-s",
                    "ARCHIVER_IDLE_BEFORE_CLOSE=1",
                ],
                cwd=PROJECT,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        outputs = [worker.communicate(timeout=240) for worker in workers]
        hits = Counter(server.hits)
    for worker, (out, err) in zip(workers, outputs):
        assert worker.returncode == 0, err
        assert out.startswith("valleygazette: ok in "), out
    # robots.txt at most once per worker: one that finds the queue drained requests nothing at all.
    assert 1 <= hits["/robots.txt"] <= 2
    assert {target: n for target, n in hits.items() if n != 1 and target != "/robots.txt"} == {}
    assert sum(n for target, n in hits.items() if target != "/robots.txt") == 3 + len(stories)
    assert query(pg_url, "SELECT COUNT(*), COUNT(DISTINCT language) FROM articles WHERE site = 'valleygazette'") == [
        (44, 2)
    ]
