"""Listing cards read by a profile with no selectors (issue 24): the title is the heading's text,
the teaser the excerpt element, never the whole card's text.

The fixtures (tests/fixtures/cards/) are listing pages in the shapes of the common themes: WordPress
classic (heading link, `entry-summary` with a "Continue reading" link) and block (query loop), Ghost
(Casper's `post-card-content-link` around tag, heading and excerpt; Source's `gh-card-link` around
the whole card), Drupal (views rows without a heading, node teasers), Hugo PaperMod (an `entry-link`
overlay without text beside the heading) and a simple Hugo list, Jekyll minima, a news CMS teaser
list (a link around kicker and headline, a standfirst outside it) and a Bootstrap card.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from scrapy.http import HtmlResponse, Request

from archiver.sites.profiles import parse_profile
from pipelines.dates import DatesPipeline
from pipelines.text import TextPipeline
from spiders.profile import ProfileSpider
from tests.support.archive import Stats

CARDS = Path(__file__).resolve().parent / "fixtures" / "cards"

EXPECTED = {
    "wp-classic.html": (
        "https://eastriverdaily.com/category/city-hall/",
        r"^/\d{4}/\d{2}/\d{2}/[^/]+/$",
        [
            (
                "/2023/11/08/council-approves-budget/",
                "Council approves next year’s budget after late session",
                "The city council approved next year’s budget shortly before ten on Wednesday night, after a session "
                "that ran more than six hours. …",
                date(2023, 11, 8),  # 22:28 in -05:00, the publication (not the update of the 10th)
            ),
            (
                "/2023/10/30/finance-committee-cuts-roads/",
                "Finance committee cuts road program",
                "Four million dollars come out of next year’s road program, and the east bank loses three of its "
                "five projects.",
                date(2023, 10, 30),
            ),
        ],
    ),
    "wp-block.html": (
        "https://lenafield.blog/",
        r"^/[a-z0-9-]+/$",
        [
            (
                "/notes-on-sourdough/",
                "Notes on sourdough in a cold kitchen",
                "My kitchen sits at about fifteen degrees from November to March, which is too cold for most "
                "sourdough schedules.",
                date(2023, 3, 2),
            ),
            (
                "/rye-crackers/",
                "Rye crackers from starter discard",
                "Nobody likes throwing starter away, and these crackers use a whole cup of it at once.",
                date(2023, 1, 19),
            ),
        ],
    ),
    "ghost.html": (
        "https://tidewatch.com/",
        r"^/[a-z0-9-]+/$",
        [
            (
                "/school-wins-regional-robotics-final/",
                "School Wins Regional Robotics Final",
                "A team of six pupils from Harbour Primary beat twenty schools with a robot that sorts recycling.",
                date(2023, 11, 7),
            ),
            (
                "/winter-ferry-schedule/",
                "Winter ferry schedule",
                "Fewer sailings from November, and a new late boat on Fridays for people working in town.",
                date(2023, 10, 30),
            ),
            (
                "/lantern-festival-volunteers/",
                "Lantern festival needs volunteers",
                "Forty helpers are wanted to hang lanterns along the east quay on the last weekend of November.",
                date(2023, 10, 21),
            ),
        ],
    ),
    "drupal-views.html": (
        "https://www.riverbend-county.gov/news",
        r"^/news/[a-z0-9-]+$",
        [
            (
                "/news/road-closure-main-street",
                "Road closure on Main Street for bridge inspection",
                "Main Street will be closed between First and Third Avenue from Monday while engineers inspect the "
                "river bridge.",
                date(2023, 11, 8),  # 15:00 UTC may be the 9th east of UTC+8; "11/08/2023" says the 8th
            ),
            (
                "/news/leaf-collection-starts",
                "Leaf collection starts",
                "Crews will collect leaves left at the curb in paper bags, one ward a week, until the first snow.",
                date(2023, 10, 30),
            ),
            (
                "/news/polling-places",
                "Polling places for the November election",
                "Three polling places have moved since the spring primary; check yours before you go.",
                date(2023, 10, 23),
            ),
        ],
    ),
    "hugo.html": (
        "https://kvist.dev/posts/",
        r"^/posts/[a-z0-9-]+/$",
        [
            (
                "/posts/zero-downtime-migrations/",
                "Zero-downtime migrations with two deploys",
                "Every schema change we ship now goes out in two deploys: one that expands the schema and one, a "
                "week later, that contracts it.",
                date(2023, 11, 8),
            ),
            (
                "/posts/connection-pool-sizing/",
                "Sizing a connection pool",
                "Most services we run need far fewer database connections than they open, and fewer is faster.",
                date(2023, 10, 2),
            ),
            ("/posts/feature-flags-that-expire/", "Feature flags that expire", None, date(2022, 6, 14)),
        ],
    ),
    "jekyll.html": (
        "https://ottiliewrites.github.io/",
        r"^/\d{4}/\d{2}/\d{2}/[^/]+\.html$",
        [
            (
                "/2021/02/14/valentines-market.html",
                "The Valentine’s market",
                "The square filled with stalls for the first time in a year, and by noon you could not get near the "
                "flower sellers.",
                date(2021, 2, 14),
            ),
            (
                "/2021/01/30/snow-on-the-canal.html",
                "Snow on the canal",
                "Eight centimetres overnight, and the narrowboats wore white hats until lunchtime on Saturday.",
                date(2021, 1, 30),
            ),
        ],
    ),
    "newscms.html": (
        "https://www.northstarherald.com/politics",
        r"^/politics/[a-z0-9-]+-\d+$",
        [
            (
                "/politics/mayor-race-tightens-4821",
                "Mayor's race tightens in final week",
                "A new poll shows the two candidates within three points of each other with a week to go.",
                date(2022, 10, 4),
            ),
            (
                "/politics/debate-takeaways-4802",
                "Five takeaways from the debate",
                "Housing dominated the only televised debate, and neither candidate had a plan for the bus network.",
                date(2022, 9, 28),
            ),
            (
                "/politics/early-voting-record-4790",
                "Early voting sets a record",
                "More than forty thousand ballots were cast in the first week of early voting, twice the last record.",
                date(2022, 9, 12),
            ),
        ],
    ),
}


@pytest.mark.parametrize("fixture", sorted(EXPECTED))
def test_cards_read_exactly(fixture):
    url, article_url, expected = EXPECTED[fixture]
    parts = urlsplit(url)
    host = f"{parts.scheme}://{parts.netloc}"
    document = {"name": "cards", "base_url": host, "start": [parts.path or "/"], "article_url": article_url}
    spider = ProfileSpider.for_profile(parse_profile(document, CARDS / fixture))()
    page = HtmlResponse(url, body=(CARDS / fixture).read_bytes(), encoding="utf-8", request=Request(url))
    dates, text = DatesPipeline(Stats(), today=date(2025, 1, 31)), TextPipeline()
    entries = [text.process_item(dates.process_item(e)) for e in spider.listing_entries(page, "listing")]
    assert [(e.article_url, e.title, e.teaser_raw, e.listed_on) for e in entries] == [
        (host + path, title, teaser, listed) for path, title, teaser, listed in expected
    ]
