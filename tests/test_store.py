"""The archive's fold rules: one row per thing, reposts folded, the same result in any order (hypothesis)."""

from __future__ import annotations

import itertools
import tempfile
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archiver.archive.engine import open_archive, session_factory
from archiver.archive.writer import ArchiveWriter
from archiver.items import ArticleItem
from tests.support.archive import query
from tests.support.store_items import BASE, ITEMS, PAGES


def feed(db_url: str, paths: list[str]) -> None:
    """Store the pages' items one page per transaction, the way the store pipeline batches them."""
    engine = open_archive(db_url)
    sessions = session_factory(engine)
    for path in paths:
        with sessions.begin() as session:
            ArchiveWriter(session).add_items(ITEMS[path])
    engine.dispose()


def snapshot(db_url: str) -> dict[str, list[tuple]]:
    """The archive's content by natural keys: no ids, timestamps or sighting counters."""
    return {
        "articles": query(
            db_url,
            "SELECT url, site, source, title, body, language, published_on, date_raw, original_url, content_hash "
            "FROM articles ORDER BY url",
        ),
        "article_urls": query(
            db_url,
            "SELECT u.url, a.url, u.listed_on, u.fetched FROM article_urls u JOIN articles a ON a.id = u.article_id "
            "ORDER BY u.url",
        ),
        "listing_entries": query(
            db_url,
            "SELECT e.site, e.article_url, a.url, e.source, e.title, e.teaser, e.teaser_raw, e.teaser_truncated, "
            "e.teaser_matches, e.listed_on FROM listing_entries e LEFT JOIN articles a ON a.id = e.article_id "
            "ORDER BY e.article_url",
        ),
    }


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> dict:
    db_url = f"sqlite:///{tmp_path_factory.mktemp('ref') / 'ref.sqlite'}"
    feed(db_url, PAGES)
    return snapshot(db_url)


def test_reference_counts(reference):
    assert (len(reference["article_urls"]), len(reference["articles"]), len(reference["listing_entries"])) == (
        44,
        41,
        44,
    )


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(order=st.permutations(PAGES), repeat=st.integers(min_value=1, max_value=2))
def test_any_order_any_number_of_times_gives_the_same_archive(reference, order, repeat):
    with tempfile.TemporaryDirectory() as folder:
        db_url = f"sqlite:///{Path(folder) / 'a.sqlite'}"
        feed(db_url, list(order) * repeat)
        assert snapshot(db_url) == reference


def test_sightings_update_one_row(db_url):
    listing = "/newstream/"
    feed(db_url, [listing])
    assert query(db_url, "SELECT COUNT(*), SUM(times_seen) FROM listing_entries") == [(20, 20)]
    feed(db_url, [listing, listing])
    assert query(db_url, "SELECT COUNT(*), SUM(times_seen) FROM listing_entries") == [(20, 60)]
    assert query(db_url, "SELECT COUNT(*) FROM listing_entries WHERE last_seen_at < first_seen_at") == [(0,)]


REPOST_EARLY = "/newstream/1735002007-800055433/one-september-day-in-2013-the-respected-comrade-kim/"
REPOST_LATE = "/newstream/1735088403-800023757/one-september-day-in-2013-the-respected-comrade-kim-2/"


def test_repost_folded_before_its_page_is_fetched_by_teaser(db_url):
    feed(db_url, [REPOST_EARLY])  # its "More From" block lists the later repost with the same teaser
    rows = query(db_url, "SELECT url, fetched FROM article_urls ORDER BY url")
    # The later repost's listing entry shares the teaser and source: tied to the same article, not yet fetched.
    assert rows == [(BASE + REPOST_EARLY, 1), (BASE + REPOST_LATE, 0)]
    assert query(
        db_url,
        "SELECT COUNT(DISTINCT article_id) FROM listing_entries WHERE article_url IN (:a, :b)",
        a=BASE + REPOST_EARLY,
        b=BASE + REPOST_LATE,
    ) == [(1,)]


def test_repost_keeps_earliest_version_whatever_comes_first(db_url):
    feed(db_url, [REPOST_LATE])
    # Its "More From" block already lists the earlier address with the same teaser: tied, not yet fetched.
    assert query(db_url, "SELECT url, published_on FROM articles") == [(BASE + REPOST_LATE, "2024-12-24")]
    assert query(db_url, "SELECT fetched FROM article_urls WHERE url = :u", u=BASE + REPOST_EARLY) == [(0,)]
    feed(db_url, [REPOST_EARLY])
    assert query(db_url, "SELECT url, published_on FROM articles") == [(BASE + REPOST_EARLY, "2024-12-24")]
    assert query(db_url, "SELECT url, listed_on FROM article_urls ORDER BY url") == [
        (BASE + REPOST_EARLY, "2024-12-24"),
        (BASE + REPOST_LATE, "2024-12-25"),
    ]


def test_teaser_tie_undone_when_the_body_differs(db_url):
    feed(db_url, [REPOST_EARLY])
    late = next(i for i in ITEMS[REPOST_LATE] if isinstance(i, ArticleItem))
    other = ArticleItem(**{**late.__dict__, "body": "A different story altogether.", "content_hash": "f" * 64})
    engine = open_archive(db_url)
    with session_factory(engine).begin() as session:
        ArchiveWriter(session).add_article(other)
    engine.dispose()
    assert query(db_url, "SELECT COUNT(*) FROM articles") == [(2,)]
    assert query(
        db_url,
        "SELECT a.body FROM article_urls u JOIN articles a ON a.id = u.article_id WHERE u.url = :u",
        u=BASE + REPOST_LATE,
    ) == [("A different story altogether.",)]


def test_article_without_body_is_not_stored(db_url):
    engine = open_archive(db_url)
    with session_factory(engine).begin() as session:
        writer = ArchiveWriter(session)
        assert (
            writer.add_article(ArticleItem(site="kcnawatch", url=BASE + "/newstream/1-2/x/", title="Only a title"))
            is None
        )
        assert writer.counts["articles/skipped_no_body"] == 1
    engine.dispose()
    assert query(db_url, "SELECT COUNT(*) FROM articles") == [(0,)]


def test_changed_text_updates_the_article(db_url):
    feed(db_url, [REPOST_EARLY])
    item = next(i for i in ITEMS[REPOST_EARLY] if isinstance(i, ArticleItem))
    edited = ArticleItem(**{**item.__dict__, "body": item.body + "\n\nA correction.", "content_hash": "e" * 64})
    engine = open_archive(db_url)
    with session_factory(engine).begin() as session:
        writer = ArchiveWriter(session)
        writer.add_article(edited)
        assert writer.counts["articles/updated"] == 1
    engine.dispose()
    assert query(db_url, "SELECT COUNT(*), MAX(content_hash) FROM articles") == [(1, "e" * 64)]


def store_articles(db_url: str, *items: ArticleItem) -> None:
    engine = open_archive(db_url)
    for item in items:
        with session_factory(engine).begin() as session:
            ArchiveWriter(session).add_article(item)
    engine.dispose()


def article_item(url: str, body: str, published_on: date) -> ArticleItem:
    from archiver.normalize.text import content_hash

    return ArticleItem(
        site="kcnawatch",
        url=BASE + url,
        title=body[:20],
        body=body,
        content_hash=content_hash(body),
        published_on=published_on,
    )


def test_an_address_that_turns_into_an_earlier_repost_takes_over_the_story(db_url):
    """B had its own story; its page now serves A's body, and B is the earlier address: one article, B's."""
    story = "The delegation arrived in Moscow and was greeted at the airport by officials."
    store_articles(
        db_url,
        article_item("/a/", story, date(2024, 2, 15)),
        article_item("/b/", "A yak festival was held in the hills above the town.", date(2024, 2, 14)),
        article_item("/b/", story, date(2024, 2, 14)),
    )
    assert query(db_url, "SELECT url, published_on, body FROM articles") == [(BASE + "/b/", "2024-02-14", story)]
    assert query(
        db_url, "SELECT u.url, a.url FROM article_urls u JOIN articles a ON a.id = u.article_id ORDER BY u.url"
    ) == [
        (BASE + "/a/", BASE + "/b/"),
        (BASE + "/b/", BASE + "/b/"),
    ]


def test_an_address_leaving_a_story_hands_its_place_to_the_next(db_url):
    story = "The delegation arrived in Moscow and was greeted at the airport by officials."
    store_articles(
        db_url,
        article_item("/a/", story, date(2024, 2, 14)),
        article_item("/b/", story, date(2024, 2, 15)),
        article_item("/a/", "A yak festival was held in the hills above the town.", date(2024, 2, 14)),
    )
    # /a/ now serves another story: the wrong-way fold is undone and the story keeps /b/.
    assert query(db_url, "SELECT url, published_on, substr(body, 1, 5) FROM articles ORDER BY url") == [
        (BASE + "/a/", "2024-02-14", "A yak"),
        (BASE + "/b/", "2024-02-15", "The d"),
    ]


def feed_batches(db_url: str, batches: list[list[str]]) -> None:
    """Store several pages' items per transaction, as the store pipeline does with its batches."""
    engine = open_archive(db_url)
    sessions = session_factory(engine)
    for batch in batches:
        with sessions.begin() as session:
            ArchiveWriter(session).add_items([item for path in batch for item in ITEMS[path]])
    engine.dispose()


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(order=st.permutations(PAGES), cuts=st.sets(st.integers(min_value=1, max_value=len(PAGES) - 1), max_size=4))
def test_any_batching_gives_the_same_archive(reference, order, cuts):
    """The bulk writes take whole batches: pages stored many to a transaction give the same archive."""
    bounds = [0, *sorted(cuts), len(order)]
    batches = [list(order[a:b]) for a, b in itertools.pairwise(bounds)]
    with tempfile.TemporaryDirectory() as folder:
        db_url = f"sqlite:///{Path(folder) / 'a.sqlite'}"
        feed_batches(db_url, batches)
        feed_batches(db_url, batches[::-1])  # every page again: the "fetched again" path
        assert snapshot(db_url) == reference


def fresh_articles(count: int, start: int = 0) -> list:
    from archiver.items import ListingEntryItem
    from archiver.normalize.text import content_hash, teaser_key

    items: list = []
    for n in range(start, start + count):
        body = f"Story number {n}: the delegation visited the plant number {n}."
        url = f"{BASE}/newstream/{1700000000 + n}-{800000000 + n}/story-{n}/"
        teaser = f"Story number {n}"
        items.append(
            ListingEntryItem(
                site="kcnawatch",
                article_url=url,
                found_on=f"{BASE}/newstream/",
                kind="listing",
                teaser=teaser,
                teaser_raw=teaser,
                teaser_key=teaser_key(teaser),
                listed_on=date(2024, 1, 1),
            )
        )
        items.append(
            ArticleItem(site="kcnawatch", url=url, title=f"Story {n}", body=body, content_hash=content_hash(body))
        )
    return items


def statements_for(db_url: str, items: list) -> int:
    from sqlalchemy import event

    engine = open_archive(db_url)
    executed: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: executed.append(args[2]))
    with session_factory(engine).begin() as session:
        ArchiveWriter(session).add_items(items)
    engine.dispose()
    return len(executed)


def test_a_batch_of_new_stories_takes_the_same_statements_whatever_its_size(db_url):
    """Set-based writes: 10 or 150 new articles (with their listing entries) cost the same round trips."""
    small = statements_for(db_url, fresh_articles(10))
    large = statements_for(db_url, fresh_articles(150, start=10))
    assert small == large
    assert large <= 20
    assert query(db_url, "SELECT COUNT(*), COUNT(published_on) FROM articles") == [(160, 160)]
    assert query(db_url, "SELECT COUNT(*) FROM article_urls WHERE fetched = 1") == [(160,)]
    assert query(
        db_url, "SELECT COUNT(*) FROM listing_entries WHERE article_id IS NOT NULL AND teaser_matches = 1"
    ) == [(160,)]
    # The same pages again (a re-fetch or a reparse): still one set of statements, nothing new.
    assert statements_for(db_url, fresh_articles(150, start=10)) <= 20
    assert query(db_url, "SELECT COUNT(*), SUM(times_seen) FROM listing_entries") == [(160, 310)]
    assert query(db_url, "SELECT COUNT(*) FROM articles") == [(160,)]


def store_batches(path: Path, batches: list[list]) -> str:
    """A new archive at `path` holding `batches` of items, each stored in its own transaction; its URL."""
    db_url = f"sqlite:///{path}"
    engine = open_archive(db_url)
    for batch in batches:
        with session_factory(engine).begin() as session:
            ArchiveWriter(session).add_items(batch)
    engine.dispose()
    return db_url


def test_a_teaser_that_arrives_after_its_article_is_checked_like_one_that_came_before(tmp_path):
    """A "More From" line (no teaser) can bring the article in before the listing line that has the
    teaser: the teaser then fills an entry already tied to its article, and must be checked against
    the body all the same, or the archive depends on which response came first."""
    from archiver.items import ListingEntryItem
    from archiver.normalize.text import content_hash

    body = "Pyongyang, December 1 (KCNA) -- A delegation left here.\n\nIt will visit three countries."
    url = f"{BASE}/newstream/1764547200-123456789/delegation-leaves/"
    article = ArticleItem("kcnawatch", url, title="Delegation Leaves", body=body, content_hash=content_hash(body))
    more_from = ListingEntryItem("kcnawatch", url, f"{BASE}/newstream/other/", "more_from", title="Delegation Leaves")
    listed = ListingEntryItem(
        "kcnawatch", url, f"{BASE}/newstream/", "listing", title="Delegation Leaves", teaser="Pyongyang, December 1"
    )
    listed.teaser_truncated = True  # what the text stage guesses; the check against the body decides
    listed.teaser_key = "pyongyang december 1"

    def archive_of(name: str, batches: list[list]) -> list[tuple]:
        db_url = store_batches(tmp_path / name, batches)
        return query(db_url, "SELECT teaser, teaser_truncated, teaser_matches, article_id FROM listing_entries")

    teaser_first = archive_of("a.sqlite", [[listed], [article], [more_from]])
    assert teaser_first == [("Pyongyang, December 1", 1, 1, 1)]
    assert archive_of("b.sqlite", [[more_from], [article], [listed]]) == teaser_first
    assert archive_of("c.sqlite", [[more_from, article], [listed]]) == teaser_first


def test_an_untitled_page_takes_its_listings_title_whichever_came_first(tmp_path):
    """The spider titles an untitled page from the listings it has parsed so far; a listing parsed
    after the page must title it all the same (a reparse found such articles after a crawl)."""
    from archiver.items import ListingEntryItem
    from archiver.normalize.text import content_hash

    body = "Pyongyang, December 2 (KCNA) -- Builders finished the hall."
    url = f"{BASE}/newstream/1764633600-123456790/hall-finished/"
    repost = f"{BASE}/newstream/1764633600-123456791/hall-finished-2/"

    def article(address: str) -> ArticleItem:
        return ArticleItem("kcnawatch", address, title=None, body=body, content_hash=content_hash(body))

    own = ListingEntryItem("kcnawatch", url, f"{BASE}/newstream/", "listing", title="Hall Finished")
    other = ListingEntryItem("kcnawatch", repost, f"{BASE}/newstream/", "listing", title="A Repost's Title")

    def titles(name: str, batches: list[list]) -> list[tuple]:
        return query(store_batches(tmp_path / name, batches), "SELECT url, title FROM articles")

    assert titles("a.sqlite", [[own], [article(url)]]) == [(url, "Hall Finished")]
    assert titles("b.sqlite", [[article(url)], [own]]) == [(url, "Hall Finished")]
    assert titles("c.sqlite", [[article(url), own]]) == [(url, "Hall Finished")]
    # Of the listing lines present, the article's own address wins over a repost's.
    assert titles("d.sqlite", [[other, own], [article(repost), article(url)]]) == [(url, "Hall Finished")]
    assert titles("e.sqlite", [[article(url), article(repost)], [own, other]]) == [(url, "Hall Finished")]
    # A title once given stays: a better line arriving later does not replace it (nothing says
    # whether the title came from the page or a listing).
    assert titles("g.sqlite", [[article(url)], [other], [article(repost)], [own]]) == [(url, "A Repost's Title")]
    assert titles("f.sqlite", [[article(url)]]) == [(url, None)]  # no listing yet: unknown, not made up


def test_the_store_writes_a_batch_at_least_every_flush_seconds(tmp_path) -> None:
    """Items that come in slowly are written when the last write is ARCHIVER_STORE_FLUSH_SECONDS old, not
    only when a batch is full (the progress display's "stored as new", a killed run's losses)."""
    from scrapy.settings import Settings
    from scrapy.signalmanager import SignalManager

    from archiver import settings as archiver_settings
    from archiver.items import ListingEntryItem
    from pipelines.store import StorePipeline

    base = "https://kcnawatch.org"
    settings = Settings()
    settings.setmodule(archiver_settings)
    settings.set("ARCHIVER_DB_URL", f"sqlite:///{tmp_path / 'a.sqlite'}")
    crawler = type("Crawler", (), {"settings": settings, "stats": StatsCollectorStub(), "signals": SignalManager()})()
    store = StorePipeline.from_crawler(crawler)
    assert (store.batch_size, store.flush_seconds) == (1000, 10.0)
    store.open_spider()

    def entry(n: int) -> ListingEntryItem:
        return ListingEntryItem("kcnawatch", f"{base}/newstream/{n}/", f"{base}/newstream/", "listing", title=f"T{n}")

    try:
        store.process_item(entry(1))
        assert len(store.buffer) == 1  # not yet
        store.flushed_at -= 11  # the last write was 11 s ago
        store.process_item(entry(2))
        assert store.buffer == [] and crawler.stats.values["archiver/listing_entries/new"] == 2
    finally:
        store.close_spider()


class StatsCollectorStub:
    def __init__(self) -> None:
        self.values: dict = {}

    def set_value(self, key, value) -> None:
        self.values[key] = value

    def get_value(self, key, default=None):
        return self.values.get(key, default)


def _sqlite_library():
    """The SQLite library Python's sqlite3 module uses, to read its memory counter; None if not loadable."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("sqlite3")
    try:
        lib = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    if lib is not None:
        lib.sqlite3_memory_used.restype = ctypes.c_int64
    return lib


def _memory_held_after_distinct_statements(connection, lib) -> int:
    """SQLite's memory held after 200 statements of different texts (as a writer's batches of every size give)."""
    before = lib.sqlite3_memory_used()
    for n in range(1, 201):
        connection.execute("SELECT 1 WHERE 1 IN (" + ",".join("?" * n) + ")", tuple(range(n))).fetchall()
    return lib.sqlite3_memory_used() - before


def test_an_sqlite_connection_keeps_few_compiled_statements(tmp_path) -> None:
    """Issue 27: with the sqlite3 module's 128 statements kept per connection, every batch size the
    writer gave stayed compiled, and a long crawl's memory grew by ~10 MB; the archive keeps 16."""
    import sqlite3

    from sqlalchemy import event

    from archiver.archive.engine import make_engine

    lib = _sqlite_library()
    path = tmp_path / "a.sqlite"
    plain = sqlite3.connect(path)  # the module's default
    try:
        theirs = _memory_held_after_distinct_statements(plain, lib) if lib is not None else 0
    finally:
        plain.close()
    if theirs <= 0:
        pytest.skip("SQLite's memory counter cannot be read here (a statically linked sqlite3 module)")
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:
            ours = _memory_held_after_distinct_statements(connection.connection.dbapi_connection, lib)
    finally:
        engine.dispose()
    assert 0 < ours * 3 < theirs, (ours, theirs)

    # A URL's own choice stands.
    chosen: list = []
    engine = make_engine(f"sqlite:///{path}?cached_statements=64")
    event.listen(engine, "do_connect", lambda dialect, record, cargs, cparams: chosen.append(cparams))
    try:
        engine.connect().close()
    finally:
        engine.dispose()
    assert chosen[0]["cached_statements"] == 64
