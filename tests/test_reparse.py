"""`archiver reparse`: today's parser over the stored pages updates exactly what it derives differently."""

from __future__ import annotations

from collections import Counter
from urllib.parse import urlsplit

import pytest
from scrapy.utils.test import get_crawler
from sqlalchemy import select

from archiver.archive.engine import make_engine, open_archive, session_factory
from archiver.archive.models import ListingEntry
from archiver.archive.writer import ArchiveWriter
from archiver.cli import main
from archiver.crawl.runner import base_settings
from archiver.items import ListingEntryItem
from archiver.mirror.sample_sites import kcnawatch_articles
from archiver.research.reparse import reparse
from archiver.research.reparse_report import ReparseReport, compare, entry_states
from archiver.research.reparse_store import ReparseStorePipeline, ReparseWriter
from spiders.kcnawatch import KcnaWatchSpider
from tests.support.archive import query, scalar
from tests.support.snapshots import copy_archive, sample_archive, table

pytestmark = pytest.mark.slow
TABLES = ("articles", "article_urls", "listing_entries")


@pytest.fixture
def archive(tmp_path_factory, tmp_path) -> str:
    return copy_archive(sample_archive(tmp_path_factory)[0], tmp_path)


def run_reparse(db_url: str, **options):
    engine = make_engine(db_url)
    try:
        [report] = reparse(engine, base_settings(db_url, mode="reparse"), sites=["kcnawatch"], **options)
    finally:
        engine.dispose()
    return report


def snapshot(db_url: str) -> dict[str, dict]:
    return {name: table(db_url, name) for name in TABLES}


def changed_rows(before: dict, after: dict) -> dict[int, set[str]]:
    """id → the columns whose values differ (rows must be the same set)."""
    assert before.keys() == after.keys()
    return {
        row_id: {col for col in before[row_id] if before[row_id][col] != after[row_id][col]}
        for row_id in before
        if before[row_id] != after[row_id]
    }


def keep_signature_in_body(monkeypatch) -> None:
    """The deliberate parser change: the signature selector stops matching, so "KCNA" joins the body."""
    original = KcnaWatchSpider.article_item

    def article_item(self, response, page):
        item = original(self, response, page)
        if item is not None and item.signature:
            item.paragraphs = [*item.paragraphs, item.signature]
            item.signature = None
        return item

    monkeypatch.setattr(KcnaWatchSpider, "article_item", article_item)


def test_a_parser_change_updates_exactly_the_affected_rows_and_a_second_run_nothing(archive, monkeypatch):
    before = snapshot(archive)
    signed = {a.path: a.signature for a in kcnawatch_articles() if a.signature}
    articles = before["articles"]
    affected = {i for i, row in articles.items() if urlsplit(row["url"]).path in signed}
    assert 0 < len(affected) < len(articles)

    keep_signature_in_body(monkeypatch)
    report = run_reparse(archive)
    after = snapshot(archive)

    assert changed_rows(before["articles"], after["articles"]) == {i: {"body", "content_hash"} for i in affected}
    for i in affected:
        signature = signed[urlsplit(articles[i]["url"]).path]
        assert after["articles"][i]["body"] == articles[i]["body"] + "\n\n" + signature
    assert after["article_urls"] == before["article_urls"]
    # The two teasers that were whole bodies are no longer whole: their entries now say "truncated".
    short = {
        i
        for i, row in before["listing_entries"].items()
        if row["article_url"].endswith("/untitled-dispatch/") or "-800999002/" in row["article_url"]
    }
    assert len(short) == 2 and {before["listing_entries"][i]["teaser_truncated"] for i in short} == {0}
    assert changed_rows(before["listing_entries"], after["listing_entries"]) == {i: {"teaser_truncated"} for i in short}
    assert {after["listing_entries"][i]["teaser_truncated"] for i in short} == {1}
    assert (report.pages, report.no_parser, report.failed) == (53, 0, 0)
    assert (report.articles_updated, report.articles_new, report.articles_removed) == (len(affected), 0, 0)
    assert (report.entries_new, report.entries_updated, report.dates_filled, report.teasers_renormalized) == (
        0,
        2,
        0,
        0,
    )

    again = run_reparse(archive)
    assert snapshot(archive) == after
    assert again.changed == 0 and again.pages == 53
    assert scalar(archive, "SELECT COUNT(*) FROM crawl_runs WHERE mode = 'reparse' AND status = 'ok'") == 2


def test_reparse_refills_what_an_older_parser_left_empty(archive):
    """The archive as an older parser left it (dates missing, teasers badly normalized) is re-derived
    from the stored pages into exactly what today's parser makes of them."""
    original = snapshot(archive)
    entries = sorted(original["listing_entries"])
    articles = sorted(original["articles"])
    dateless, stale_teasers = articles[:2], entries[:3]
    with make_engine(archive).begin() as connection:
        for article_id in dateless:
            connection.exec_driver_sql("UPDATE articles SET published_on = NULL WHERE id = ?", (article_id,))
            connection.exec_driver_sql("UPDATE article_urls SET listed_on = NULL WHERE article_id = ?", (article_id,))
        for entry_id in stale_teasers:
            connection.exec_driver_sql(
                "UPDATE listing_entries SET teaser = teaser || ' [&hellip;]', teaser_key = 'stale' WHERE id = ?",
                (entry_id,),
            )
        connection.exec_driver_sql("UPDATE listing_entries SET listed_on = NULL WHERE id = ?", (entries[-1],))

    report = run_reparse(archive)

    assert snapshot(archive) == original
    assert (report.articles_updated, report.dates_filled, report.dates_changed) == (2, 3, 0)
    assert (report.teasers_renormalized, report.entries_updated, report.articles_new) == (3, 4, 0)


def test_the_command_filters_by_fetch_day_and_refuses_bad_input(archive, capsys):
    assert main(["reparse", "--db", archive, "--until", "2000-01-01"]) == 0
    assert capsys.readouterr().out.startswith("kcnawatch: 0 pages reparsed")
    assert main(["reparse", "--db", archive, "--site", "kcnawatch", "--since", "2000-01-01"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("kcnawatch: 53 pages reparsed (0 without a parser, 0 failed); articles 0 updated")
    assert main(["reparse", "--db", archive, "--site", "nosuchsite"]) == 2
    assert "unknown spider nosuchsite" in capsys.readouterr().err
    assert main(["reparse", "--db", archive, "--since", "2026-02-01", "--until", "2026-01-01"]) == 2
    assert scalar(archive, "SELECT COUNT(*) FROM crawl_runs WHERE mode = 'reparse'") == 2
    assert (
        query(archive, "SELECT stats FROM crawl_runs WHERE mode = 'reparse' ORDER BY id")[0][0].count(
            '"reparse/pages": 0'
        )
        == 1
    )


def run_reparse_with(db_url: str, workers: int, **options):
    engine = make_engine(db_url)
    settings = base_settings(db_url, mode="reparse")
    settings.set("ARCHIVER_REPARSE_WORKERS", workers)
    try:
        [report] = reparse(engine, settings, sites=["kcnawatch"], **options)
    finally:
        engine.dispose()
    return report


def test_parsing_in_worker_processes_gives_what_one_process_gives(archive, tmp_path_factory, monkeypatch):
    """The pool parses, this process stores in page order: the same rows and report as parsing here."""
    other = copy_archive(sample_archive(tmp_path_factory)[0], tmp_path_factory.mktemp("pooled"))
    keep_signature_in_body(monkeypatch)  # something to change (the workers are forked: they see it)
    monkeypatch.setattr("archiver.research.reparse.PARSE_CHUNK", 4)  # several tasks per worker
    one = run_reparse_with(archive, 1)
    pooled = run_reparse_with(other, 2)
    assert snapshot(other) == snapshot(archive)
    assert pooled == one
    assert (pooled.pages, pooled.articles_updated) == (53, one.articles_updated) and one.articles_updated > 0


def test_an_interrupted_reparse_resumes_after_its_last_checkpoint(archive, monkeypatch, capsys):
    titles = dict(query(archive, "SELECT url, title FROM articles"))
    keep_signature_in_body(monkeypatch)
    monkeypatch.setattr("archiver.research.reparse.CHECKPOINT_PAGES", 5)
    from archiver.research import reparse_store as module

    stored = 0
    original_flush = module.ReparseStorePipeline.flush

    def flush_then_die(self):
        nonlocal stored
        original_flush(self)
        stored += 1
        if stored == 2:  # the second checkpoint's flush: 10 pages stored, the crash before its checkpoint
            raise KeyboardInterrupt

    monkeypatch.setattr(module.ReparseStorePipeline, "flush", flush_then_die)
    with pytest.raises(KeyboardInterrupt):
        run_reparse_with(archive, 1)
    assert query(archive, "SELECT status FROM crawl_runs WHERE mode = 'reparse'") == [("interrupted",)]
    stats = scalar(archive, "SELECT stats FROM crawl_runs WHERE mode = 'reparse'")
    assert '"reparse/last_page_id": ' in stats
    monkeypatch.setattr(module.ReparseStorePipeline, "flush", original_flush)

    assert main(["reparse", "--db", archive, "--resume", "--workers", "1"]) == 0
    captured = capsys.readouterr()
    # Pages 1-5 were checkpointed; the resumed run starts at page 6.
    assert captured.out.startswith("kcnawatch: 48 pages reparsed (0 without a parser, 0 failed)")
    assert "reparse kcnawatch: 48 of 48 pages (100%)" in captured.err
    assert query(archive, "SELECT status FROM crawl_runs WHERE mode = 'reparse'") == [("ok",)]
    # The archive is what one uninterrupted reparse makes of it: every signed article got its signature
    # (the sample's Korean dispatch is signed in Korean, not "KCNA").
    signed = {a.path: a.signature for a in kcnawatch_articles() if a.signature}
    bodies = dict(query(archive, "SELECT url, body FROM articles"))
    assert len({u for u in bodies if urlsplit(u).path in signed}) == len(signed)
    assert all(bodies[u].endswith("\n\n" + signed[urlsplit(u).path]) for u in bodies if urlsplit(u).path in signed)
    # The untitled dispatch keeps the feed's title though the feed (page 1) was not parsed again.
    assert dict(query(archive, "SELECT url, title FROM articles")) == titles
    assert main(["reparse", "--db", archive, "--resume"]) == 2
    assert capsys.readouterr().err.strip().endswith("no unfinished reparse to resume")


def test_an_article_page_without_a_title_keeps_the_title_its_listings_gave(archive):
    """The untitled dispatch's title comes from the feed and listings; a reparse that resumes at its
    page, after the pages that gave it (as a pool worker may never see them), still gives it that title."""
    [(page_id,)] = query(archive, "SELECT id FROM pages WHERE url LIKE '%/untitled-dispatch/'")
    pages_from_it = scalar(archive, f"SELECT COUNT(*) FROM pages WHERE id >= {page_id}")
    before = snapshot(archive)
    assert [r["title"] for r in before["articles"].values() if r["url"].endswith("/untitled-dispatch/")] == [
        "Untitled dispatch"
    ]
    with make_engine(archive).begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO crawl_runs (spider, mode, started_at, status, stats) "
            "VALUES ('kcnawatch', 'reparse', '2026-01-01 00:00:00', 'interrupted', ?)",
            (f'{{"reparse/last_page_id": {page_id - 1}}}',),
        )
    report = run_reparse_with(archive, 1, resume=True)
    assert (report.pages, report.changed) == (pages_from_it, 0)
    assert snapshot(archive) == before


def listed(title: str, page: str, teaser: str) -> ListingEntryItem:
    return ListingEntryItem(
        "kcnawatch", "http://k/story/", page, "listing", title=title, teaser=teaser, teaser_key=teaser.lower()
    )


def rederive(db_url: str, batches: list[list[ListingEntryItem]]) -> tuple[tuple, ReparseReport]:
    """Re-derive the one entry from `batches` of sightings; its (title, teaser) after, and the report."""
    engine = make_engine(db_url)
    sessions = session_factory(engine)
    report = ReparseReport("kcnawatch")
    with sessions() as session:
        before = entry_states(session, "kcnawatch")
    derived: dict = {}
    for batch in batches:
        with sessions.begin() as session:
            ReparseWriter(session, Counter(), derived).rederive_listing_entries(batch)
    with sessions() as session:
        compare(report, ({}, before), ({}, entry_states(session, "kcnawatch")))
        entry = session.scalars(select(ListingEntry)).one()
        after = (entry.title, entry.teaser)
    engine.dispose()
    return after, report


@pytest.mark.parametrize("order", [("newstream", "source"), ("source", "newstream")])
def test_an_entry_listed_differently_on_two_pages_keeps_what_the_crawl_stored_whatever_the_order(tmp_path, order):
    """The crawl keeps the sighting it stored first, which concurrency decides; a reparse that meets
    the same pages in another order must not call that a change."""
    db_url = f"sqlite:///{tmp_path / 'a.sqlite'}"
    engine = open_archive(db_url)
    sightings = {
        "newstream": listed("Kim Jong Un Visits Farm", "http://k/newstream/", "A short teaser."),
        "source": listed("KIM JONG UN VISITS FARM", "http://k/source/", "A longer teaser of the story."),
    }
    with session_factory(engine).begin() as session:
        ArchiveWriter(session).add_listing_entries([sightings["source"]])  # the crawl met this one first
    engine.dispose()

    first, second = (sightings[name] for name in order)
    after, report = rederive(db_url, [[first], [second]])
    assert after == ("KIM JONG UN VISITS FARM", "A longer teaser of the story.")
    assert report.entries_updated == report.teasers_renormalized == 0
    after, report = rederive(db_url, [[second, first]])  # both in one batch
    assert after == ("KIM JONG UN VISITS FARM", "A longer teaser of the story.")
    assert report.entries_updated == 0


def test_a_stored_value_no_page_gives_any_more_takes_the_first_sighting(tmp_path):
    db_url = f"sqlite:///{tmp_path / 'a.sqlite'}"
    engine = open_archive(db_url)
    with session_factory(engine).begin() as session:
        ArchiveWriter(session).add_listing_entries([listed("Old Parser Title", "http://k/newstream/", "Old.")])
    engine.dispose()
    after, report = rederive(
        db_url,
        [[listed("First Title", "http://k/newstream/", "First.")], [listed("Second", "http://k/source/", "Second.")]],
    )
    assert after == ("First Title", "First.")
    assert (report.entries_updated, report.teasers_renormalized) == (1, 1)


def test_the_reparse_store_writes_larger_batches_than_a_crawl(tmp_path):
    from archiver.research.reparse_parse import OfflineCrawler, item_pipelines
    from archiver.research.reparse_store import ReparseStorePipeline

    settings = base_settings(f"sqlite:///{tmp_path / 'a.sqlite'}", mode="reparse")
    [store] = [p for p in item_pipelines(OfflineCrawler(settings)) if isinstance(p, ReparseStorePipeline)]
    assert (store.batch_size, settings.getint("ARCHIVER_STORE_BATCH")) == (2000, 1000)
    settings.set("ARCHIVER_REPARSE_BATCH", 300)
    [store] = [p for p in item_pipelines(OfflineCrawler(settings)) if isinstance(p, ReparseStorePipeline)]
    assert store.batch_size == 300


def test_a_long_reparse_still_stores_in_full_batches(db_url, monkeypatch):
    # The crawl's store flushes after ARCHIVER_STORE_FLUSH_SECONDS; a reparse past that time used to
    # flush after every item (one transaction each: a third of the speed).
    crawler = get_crawler(settings_dict={"ARCHIVER_DB_URL": db_url, "ARCHIVER_STORE_FLUSH_SECONDS": 10.0})
    assert ReparseStorePipeline.from_crawler(crawler).flush_seconds == 0.0
    open_archive(db_url).dispose()
    pipeline = ReparseStorePipeline(db_url, batch_size=1000, stats=None)
    pipeline.flush_seconds = 10.0  # even where a time-based flush is set
    pipeline.flushed_at -= 60  # a minute into the run
    pipeline.open_spider(None)
    batches: list[int] = []
    real_flush = ReparseStorePipeline.flush
    monkeypatch.setattr(
        ReparseStorePipeline, "flush", lambda self: (batches.append(len(self.buffer)), real_flush(self))
    )
    for n in range(30):
        pipeline.process_item(
            ListingEntryItem(
                site="kcnawatch", article_url=f"http://x.test/a/{n}/", found_on="http://x.test/", kind="listing"
            )
        )
    pipeline.close_spider(None)
    assert batches == [1, 29]  # the late one at once, then the rest together at the end
    assert scalar(db_url, "SELECT COUNT(*) FROM listing_entries") == 30
