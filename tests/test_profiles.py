"""Site profiles without a crawl: validation (one line naming file, key and problem), the spider
loader, and what the profile spider reads from pages: defaults around the link, selectors, dates,
languages, and the three pagination kinds (next link by text or selector, URL template, load more).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse, Request
from scrapy.settings import Settings
from scrapy.spiderloader import get_spider_loader

from archiver import settings as archiver_settings
from archiver.cli import main
from archiver.items import ArticleItem, ListingEntryItem
from archiver.sites.profiles import ProfileError, load_profile
from spiders.loader import SiteLoader
from spiders.profile import ProfileSpider
from tests.support.profile_sites import wordpress_site, wp_stories

PROFILES = Path(__file__).resolve().parent / "fixtures" / "profiles"
BASE = "https://news.example"
MINIMAL = """name = "minimal"
base_url = "https://news.example"
start = ["/news/"]
article_url = '^/news/\\d+/$'
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def spider_for(text: str, tmp_path: Path, **arguments) -> ProfileSpider:
    cls = ProfileSpider.for_profile(load_profile(write(tmp_path, "site", text)))
    return cls(**arguments)


def response(url: str, body: str | bytes, page_kind: str = "listing") -> HtmlResponse:
    request = Request(url, meta={"page_kind": page_kind})
    data = body.encode() if isinstance(body, str) else body
    return HtmlResponse(url, body=data, encoding="utf-8", request=request)


def split(results) -> tuple[list, list[Request]]:
    results = list(results)
    return [r for r in results if not isinstance(r, Request)], [r for r in results if isinstance(r, Request)]


# Validation ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "key", "problem"),
    [
        (MINIMAL.replace("article_url = '^/news/\\d+/$'\n", ""), "article_url", "missing (required"),
        (MINIMAL.replace("'^/news/\\d+/$'", "'^/news/(\\d+/$'"), "article_url", "not a valid regular expression"),
        (MINIMAL + '[pagination]\nkind = "infinite"\n', "pagination.kind", "unknown pagination kind 'infinite'"),
        (MINIMAL + '[pagination]\nkind = "template"\n', "pagination.url", "missing (required by kind"),
        (MINIMAL + '[pagination]\nkind = "template"\nurl = "/news/2/"\n', "pagination.url", "must hold {page}"),
        (MINIMAL + '[pagination]\nkind = "next_link"\n', "pagination", 'kind = "next_link" needs'),
        (MINIMAL + '[listing]\ntitle = "h2 >> a"\n', "listing.title", "not a valid CSS selector"),
        (MINIMAL + '[listing]\nheadline = "h2"\n', "listing.headline", "unknown key"),
        (MINIMAL + '[dates]\nlisting = "DDMMYY"\n', "dates.listing", "must be a date order"),
        (MINIMAL + 'language = "English"\n', "language", "must be an ISO 639-1 code"),
        (MINIMAL.replace('"minimal"', '"My Site"'), "name", "must be lowercase"),
        (MINIMAL.replace('"https://news.example"', '"news.example"'), "base_url", "not an http(s) URL"),
        (MINIMAL.replace('["/news/"]', '["news/"]'), "start[0]", "must start with '/'"),
        (MINIMAL + "colour = 1\n", "colour", "unknown key"),
    ],
)
def test_bad_profile_is_one_line_naming_file_key_and_problem(tmp_path, text, key, problem):
    path = write(tmp_path, "bad", text)
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: {key}: {problem}"), message


def test_invalid_toml_is_one_line(tmp_path):
    path = write(tmp_path, "broken", 'name = "x\n')
    with pytest.raises(ProfileError, match=r"^.*broken\.toml: not valid TOML: .*line 1"):
        load_profile(path)


def test_example_profiles_load_and_are_short():
    docs = Path(__file__).resolve().parents[1] / "docs" / "profiles"
    for path in [*PROFILES.glob("*.toml"), *docs.glob("*.toml")]:
        profile = load_profile(path)
        assert profile.name == path.stem
        assert len(path.read_text(encoding="utf-8").splitlines()) <= 30, path


# The loader: profiles are spider names ------------------------------------------------------------
def loader_for(folder: Path) -> SiteLoader:
    settings = Settings()
    settings.setmodule(archiver_settings)
    settings.set("ARCHIVER_SITES", str(folder))
    loader = get_spider_loader(settings)
    assert isinstance(loader, SiteLoader)
    return loader


def test_loader_lists_builtin_spiders_and_valid_profiles(tmp_path):
    write(tmp_path, "minimal", MINIMAL)
    write(tmp_path, "broken", MINIMAL.replace('"minimal"', '"broken"') + '[pagination]\nkind = "scroll"\n')
    write(tmp_path, "clash", MINIMAL.replace('"minimal"', '"rstv"'))
    loader = loader_for(tmp_path)
    assert sorted(loader.list()) == ["kcnawatch", "minimal", "rstv"]
    cls = loader.load("minimal")
    assert issubclass(cls, ProfileSpider) and cls.name == "minimal" and cls.default_base_url == BASE
    assert loader.load("rstv").__module__ == "spiders.rstv"
    assert sorted(loader.errors) == ["broken", "clash"]
    assert str(loader.errors["clash"]).endswith("clash.toml: name: 'rstv' is a built-in spider's name")
    with pytest.raises(KeyError, match=r"broken\.toml: pagination\.kind: unknown pagination kind 'scroll'"):
        loader.load("broken")


def test_sites_command_lists_and_reports_bad_profiles(tmp_path, capsys):
    write(tmp_path, "minimal", MINIMAL)
    assert main(["sites", "--sites", str(tmp_path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split()[:2] for line in out] == [
        ["kcnawatch", "built-in"],
        ["rstv", "built-in"],
        ["minimal", "profile"],
    ]
    write(tmp_path, "bad", MINIMAL.replace('"minimal"', '"bad"').replace("article_url", "article_path"))
    assert main(["sites", "--sites", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"archiver: error: site profile {tmp_path / 'bad.toml'}: article_path: unknown key (known: "
        + err[0].split("(known: ", 1)[1]
    ]


def test_crawl_of_a_bad_profile_is_one_line_exit_2(tmp_path, capsys):
    write(tmp_path, "bad", MINIMAL.replace('"minimal"', '"bad"') + '[pagination]\nkind = "endless"\n')
    status = main(["crawl", "bad", "--sites", str(tmp_path), "--db", f"sqlite:///{tmp_path / 'a.sqlite'}"])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 2
    assert err == [
        f"archiver: error: site profile {tmp_path / 'bad.toml'}: pagination.kind: unknown pagination kind "
        "'endless' (one of next_link, template, load_more)"
    ]


def test_sites_option_must_be_a_folder(tmp_path, capsys):
    with pytest.raises(SystemExit) as caught:
        main(["sites", "--sites", str(tmp_path / "missing")])
    assert caught.value.code == 2
    assert capsys.readouterr().err.count("\n") == 1


# Defaults around the link -------------------------------------------------------------------------
def test_wordpress_listing_defaults(tmp_path):
    profile = (PROFILES / "partyweekly.toml").read_text(encoding="utf-8")
    spider = spider_for(profile, tmp_path, base_url="http://127.0.0.1:8000")
    stories = wp_stories()
    page = wordpress_site(stories)["/category/news/page/2/"]
    items, requests = split(spider.parse_listing(response("http://127.0.0.1:8000/category/news/page/2/", page.body)))
    assert [(e.title, e.date_raw, e.date_order) for e in items] == [
        ("Ashford branch meets on parks (7)", "03/08/2024", "MDY"),  # sticky posts: text, month first
        ("Millbrook branch meets on tram lines (6)", "2024-03-07T09:30:00+00:00", "YMD"),
        ("Stonebridge branch meets on the hospital (5)", "2024-03-06T09:30:00+00:00", "YMD"),
        ("Lakeview branch meets on water supply (4)", "03/05/2024", "MDY"),
        ("Hillcrest branch meets on the harbour (3)", "2024-03-04T09:30:00+00:00", "YMD"),
    ]
    assert items[3].teaser_raw == stories[4].teaser + " […]"
    assert {e.source for e in items} == {"Party Weekly"}
    assert [(r.url.rsplit("/", 3)[-3], r.meta["page_kind"]) for r in requests] == [
        *[(day, "article") for day in ("08", "07", "06", "05", "04")],
        ("page", "listing"),
    ]
    assert requests[-1].url == "http://127.0.0.1:8000/category/news/page/3/"


def test_article_defaults_title_body_and_dates(tmp_path):
    profile = MINIMAL.replace("'^/news/\\d+/$'", "'^/(?P<year>\\d{4})/(?P<month>\\d\\d)/(?P<day>\\d\\d)/'")
    spider = spider_for(profile + 'language = "detect"\n', tmp_path)
    html = """<html><head><title>Site</title><meta property="article:published_time" content="2024-05-02T23:10:00+03:00">
    </head><body><nav><a href="/">Home</a> <a href="/news/">News</a></nav>
    <article><h1>Flood defences finished</h1><p>The new flood wall along the river was finished on Thursday after two years of work.</p>
    <p>Engineers say it will hold back a flood twice as high as the one of 2019, which damaged four hundred homes.</p></article>
    <footer>Copyright 2024 News Example. All rights reserved.</footer></body></html>"""
    (item,) = spider.parse_article(response(f"{BASE}/2024/05/03/flood-wall/", html, "article"))
    assert isinstance(item, ArticleItem)
    assert item.title == "Flood defences finished"
    assert item.paragraphs == [
        "The new flood wall along the river was finished on Thursday after two years of work.",
        "Engineers say it will hold back a flood twice as high as the one of 2019, which damaged four hundred homes.",
    ]
    # The page's own date as it states it, and every date the page gives for the pipeline to choose
    # from: 23:10 in +03:00 is 2 May where the page is, and the URL says 3 May (archiver/normalize/datechoice.py).
    assert (item.date_raw, item.date_order, item.url_date_raw) == ("2024-05-02T23:10:00+03:00", "YMD", "2024-05-03")
    assert item.date_candidates == [
        {"source": "meta", "role": "published", "raw": "2024-05-02T23:10:00+03:00"},
        {"source": "url", "role": "published", "raw": "2024-05-03"},
    ]
    assert item.language == "en"


LISTING = """<html><body><main>
<div class="row"><h3><a href="/news/101/">Harbour reopens</a></h3><span>Date: 02.04.2024</span>
<p>The harbour reopened for passenger ferries after the winter repairs were finished early.</p></div>
<div class="row"><a href="/news/102/"><img src="a.jpg"></a><h3><a href="/news/102/">Bridge vote</a></h3>
<div class="meta">5 April 2024</div><div>Councillors will vote on the new bridge design at their next session in May.</div></div>
<div class="row"><a href="/news/103/">No date here</a><p>Short.</p></div>
{more}</main></body></html>"""


def test_listing_defaults_dates_by_order_and_teasers(tmp_path):
    spider = spider_for(MINIMAL + '[dates]\nlisting = "MDY"\n', tmp_path)
    items, _ = split(spider.parse_listing(response(f"{BASE}/news/", LISTING.format(more=""))))
    assert [(e.article_url, e.title, e.date_raw, e.date_order, e.teaser_raw) for e in items] == [
        (
            f"{BASE}/news/101/",
            "Harbour reopens",
            "Date: 02.04.2024",
            "MDY",
            "The harbour reopened for passenger ferries after the winter repairs were finished early.",
        ),
        (
            f"{BASE}/news/102/",
            "Bridge vote",
            "5 April 2024",
            "MDY",
            "Councillors will vote on the new bridge design at their next session in May.",
        ),
        (f"{BASE}/news/103/", "No date here", None, "MDY", None),  # "Short." is no teaser
    ]


def test_strptime_format_gives_iso_dates(tmp_path):
    spider = spider_for(MINIMAL + '[dates]\nlisting = "%d.%m.%Y"\n', tmp_path)
    items, _ = split(spider.parse_listing(response(f"{BASE}/news/", LISTING.format(more=""))))
    assert [(e.date_raw, e.date_order) for e in items] == [
        ("2024-04-02", "YMD"),
        ("5 April 2024", "DMY"),
        (None, "DMY"),
    ]


def test_listing_and_article_selectors(tmp_path):
    profile = MINIMAL + (
        '[listing]\nentry = "div.row"\ntitle = "h3"\ndate = "span, div.meta"\nteaser = "p"\n'
        '[article]\ntitle = "h2.headline"\nbody = "div.text"\nauthor = ".by"\ntags = "a.tag"\n'
    )
    spider = spider_for(profile.replace("[listing]", 'language = ["en", "de"]\n[listing]'), tmp_path)
    items, _ = split(spider.parse_listing(response(f"{BASE}/news/", LISTING.format(more=""))))
    assert [(e.title, e.date_raw, e.teaser_raw) for e in items] == [
        (
            "Harbour reopens",
            "Date: 02.04.2024",
            "The harbour reopened for passenger ferries after the winter repairs were finished early.",
        ),
        # A selector that finds nothing is a hint, not the only way in: the default reads the teaser.
        ("Bridge vote", "5 April 2024", "Councillors will vote on the new bridge design at their next session in May."),
        ("No date here", None, "Short."),
    ]
    html = """<html><body><h1>News Example</h1><h2 class="headline">Brücke</h2><p class="by">Anna Weber</p>
    <div class="text"><p>Der Stadtrat hat heute über die neue Brücke abgestimmt und den Entwurf angenommen.</p>
    <p>Die Bauarbeiten beginnen im Herbst und dauern voraussichtlich zwei Jahre.</p></div>
    <a class="tag" href="/tag/a">Verkehr</a><a class="tag" href="/tag/b">Stadtrat</a></body></html>"""
    (item,) = spider.parse_article(response(f"{BASE}/news/102/", html, "article"))
    assert (item.title, item.author, item.tags, item.language) == (
        "Brücke",
        "Anna Weber",
        ["Verkehr", "Stadtrat"],
        "de",
    )
    assert item.paragraphs == [
        "Der Stadtrat hat heute über die neue Brücke abgestimmt und den Entwurf angenommen.",
        "Die Bauarbeiten beginnen im Herbst und dauern voraussichtlich zwei Jahre.",
    ]


# Pagination kinds ---------------------------------------------------------------------------------
def next_request(spider: ProfileSpider, url: str, html: str) -> Request | None:
    _, requests = split(spider.parse_listing(response(url, html)))
    listings = [r for r in requests if r.meta["page_kind"] != "article"]
    assert len(listings) <= 1
    return listings[0] if listings else None


def test_next_link_by_selector(tmp_path):
    spider = spider_for(MINIMAL + '[pagination]\nkind = "next_link"\nselector = "a.next::attr(href)"\n', tmp_path)
    html = LISTING.format(
        more='<nav class="pages"><a class="prev" href="/news/">1</a><a class="next" href="/news/?p=3">›</a></nav>'
    )
    request = next_request(spider, f"{BASE}/news/?p=2", html)
    assert (request.url, request.meta["page_kind"]) == (f"{BASE}/news/?p=3", "listing")
    assert next_request(spider, f"{BASE}/news/?p=3", LISTING.format(more="")) is None


def test_page_template(tmp_path):
    spider = spider_for(MINIMAL + '[pagination]\nkind = "template"\nurl = "/news/page/{page}/"\n', tmp_path)
    html = LISTING.format(more="")
    assert next_request(spider, f"{BASE}/news/", html).url == f"{BASE}/news/page/2/"
    request = next_request(spider, f"{BASE}/news/page/7/", html)
    assert request.url == f"{BASE}/news/page/8/"
    assert request.meta["handle_httpstatus_list"] == [404, 410]  # the page past the last ends the walk
    # A page with fewer entries than the fullest one seen is the last; so is a "not found".
    assert (
        next_request(spider, f"{BASE}/news/page/8/", LISTING.format(more="").replace("/news/103/", "/about/")) is None
    )
    gone = HtmlResponse(
        f"{BASE}/news/page/9/", status=404, body=b"<html></html>", request=Request(f"{BASE}/news/page/9/")
    )
    assert list(spider.parse_listing(gone)) == []


def test_offset_template_counts_entries_when_no_step(tmp_path):
    spider = spider_for(MINIMAL + '[pagination]\nkind = "template"\nurl = "/news/?start={offset}"\n', tmp_path)
    html = LISTING.format(more="")
    assert next_request(spider, f"{BASE}/news/", html).url == f"{BASE}/news/?start=3"
    assert next_request(spider, f"{BASE}/news/?start=3", html).url == f"{BASE}/news/?start=6"


def test_load_more_fragments(tmp_path):
    spider = spider_for(MINIMAL + '[pagination]\nkind = "load_more"\ntext = "load more"\n', tmp_path)
    button = '<button class="btn" data-url="/news/more?after=103">Load more stories</button>'
    request = next_request(spider, f"{BASE}/news/", LISTING.format(more=button))
    assert (request.url, request.meta["page_kind"]) == (f"{BASE}/news/more?after=103", "fragment")
    fragment = '<div class="row"><a href="/news/104/">Older story</a><time datetime="2024-03-30">30 March</time></div>'
    items, requests = split(spider.parse_listing(response(request.url, fragment, "fragment")))
    assert [(e.title, e.date_raw) for e in items] == [("Older story", "2024-03-30")]
    assert [r.meta["page_kind"] for r in requests] == ["article"]  # no button: the last fragment
    assert isinstance(items[0], ListingEntryItem)


def test_start_requests_and_callbacks(tmp_path):
    spider = spider_for(MINIMAL.replace('["/news/"]', '["/news/", "/world/"]'), tmp_path, base_url="http://127.0.0.1:9")

    async def collect():
        return [r async for r in spider.start()]

    requests = asyncio.run(collect())
    assert [(r.url, r.meta["page_kind"]) for r in requests] == [
        ("http://127.0.0.1:9/news/", "listing"),
        ("http://127.0.0.1:9/world/", "listing"),
    ]
    assert spider.callback_for("http://127.0.0.1:9/news/12/") == spider.parse_article
    assert spider.callback_for("http://127.0.0.1:9/news/?page=2") == spider.parse_listing


def test_missed_entry_and_body_selectors_fall_back_to_the_defaults(tmp_path):
    profile = MINIMAL + '[listing]\nentry = "li.story"\n[article]\nbody = "div.story-text"\n'
    spider = spider_for(profile, tmp_path)
    items, _ = split(spider.parse_listing(response(f"{BASE}/news/", LISTING.format(more=""))))
    assert [e.title for e in items] == ["Harbour reopens", "Bridge vote", "No date here"]
    html = """<html><body><article><h1>Harbour reopens</h1>
    <p>The harbour reopened for passenger ferries after the winter repairs were finished early this year.</p>
    <p>The first ferry left at seven in the morning with more than two hundred passengers on board.</p></article></body></html>"""
    (item,) = spider.parse_article(response(f"{BASE}/news/101/", html, "article"))
    assert item.paragraphs == [
        "The harbour reopened for passenger ferries after the winter repairs were finished early this year.",
        "The first ferry left at seven in the morning with more than two hundred passengers on board.",
    ]


def test_crawl_all_says_which_profiles_it_skips(tmp_path, capsys, monkeypatch):
    import archiver.crawl.launch as crawl_command

    write(tmp_path, "bad", MINIMAL.replace('"minimal"', '"bad"').replace("'^/news/\\d+/$'", "'(['"))
    chosen = []

    def no_crawl(spiders, **kwargs):
        chosen.extend(spiders)
        return []

    monkeypatch.setattr(crawl_command, "run_spiders", no_crawl)
    status = main(["crawl", "--all", "-q", "--sites", str(tmp_path), "--db", f"sqlite:///{tmp_path / 'a.sqlite'}"])
    assert status == 0 and chosen == ["kcnawatch", "rstv"]
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(
        f"archiver: warning: site profile {tmp_path / 'bad.toml'}: article_url: "
    )
    assert err[0].endswith("(skipped)")


def test_a_date_far_from_the_urls_is_dropped_not_stored(tmp_path):
    """`23/09/10` read day-first is 2010; the URL says 2023-09-10: the order is wrong, so no date."""
    profile = MINIMAL.replace("'^/news/\\d+/$'", "'^/blog/(?P<year>\\d{4})-(?P<month>\\d\\d)-(?P<day>\\d\\d)-\\d+$'")
    spider = spider_for(profile, tmp_path)
    html = """<html><body><div class="entry"><a href="/blog/2023-09-10-729">Movement recognized</a>
    <span>23/09/10</span></div><div class="entry"><a href="/blog/2023-09-12-731">Second entry</a>
    <span>12.09.2023</span></div></body></html>"""
    items, _ = split(spider.parse_listing(response(f"{BASE}/blog/", html)))
    assert [(e.title, e.date_raw) for e in items] == [("Movement recognized", None), ("Second entry", "12.09.2023")]
    # The walk still dates the first entry, by its URL.
    assert spider.entry_date(items[0]).isoformat() == "2023-09-10"


TABLE_LAYOUT = """<html><head><title>Harbour reopens for ferries - 2 April 2024 - Blog - Town Site</title></head>
<body><table><tr><td><a href="/">Home</a> | <a href="/blog/">Blog</a> | <a href="/guestbook/">Guestbook</a></td></tr>
<tr><td><table class="eBlock"><tr><td class="eTitle"><div style="float:right">09:14</div>Harbour reopens for ferries</td></tr>
<tr><td class="eMessage">The harbour reopened for passenger ferries after the winter repairs were finished early.<br />
The first ferry left at seven in the morning with more than two hundred passengers on board.<br />
The harbour master thanked the workers who finished the repairs two weeks ahead of the plan.</td></tr>
</table></td></tr></table></body></html>"""


def test_table_layout_without_selectors_still_gives_title_and_body(tmp_path):
    spider = spider_for(MINIMAL, tmp_path)
    (item,) = spider.parse_article(response(f"{BASE}/news/5/", TABLE_LAYOUT, "article"))
    assert item.title == "Harbour reopens for ferries"  # of <title>, the part the page shows
    assert item.paragraphs[-3:] == [
        "The harbour reopened for passenger ferries after the winter repairs were finished early.",
        "The first ferry left at seven in the morning with more than two hundred passengers on board.",
        "The harbour master thanked the workers who finished the repairs two weeks ahead of the plan.",
    ]
    assert not any(line in ("Home", "Blog", "|") for line in item.paragraphs)


def test_table_layout_with_a_body_selector(tmp_path):
    spider = spider_for(MINIMAL + '[article]\nbody = "td.eMessage"\n', tmp_path)
    (item,) = spider.parse_article(response(f"{BASE}/news/5/", TABLE_LAYOUT, "article"))
    assert item.paragraphs == [  # one paragraph per <br>-separated line
        "The harbour reopened for passenger ferries after the winter repairs were finished early.",
        "The first ferry left at seven in the morning with more than two hundred passengers on board.",
        "The harbour master thanked the workers who finished the repairs two weeks ahead of the plan.",
    ]


def test_a_page_with_one_entry_keeps_the_entry_to_its_own_block(tmp_path):
    spider = spider_for(MINIMAL, tmp_path)
    html = """<html><body><main><h1>News</h1><p>Welcome to the news page of the town, with all the latest reports.</p>
    <ul><li><a href="/news/9/">Last story</a> <span>01.02.2024</span></li></ul></main></body></html>"""
    items, _ = split(spider.parse_listing(response(f"{BASE}/news/?page=9", html)))
    assert [(e.title, e.date_raw, e.teaser_raw) for e in items] == [("Last story", "01.02.2024", None)]
