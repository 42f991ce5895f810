"""Full-text search: ranking, filters, query syntax, the CLI, and the index staying in step with the store."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import create_engine, text

from archiver.archive.readonly import open_readonly
from archiver.cli import main
from archiver.research.search import SearchSyntaxError, match_expression, search
from tests.support.research_archive import (
    BASE,
    MISSILE_ARTICLES,
    MISSILE_BODY_MANY,
    MISSILE_BODY_ONCE,
    MISSILE_TITLE,
    RUSSIAN,
    UNDATED,
    article,
    entry,
    fill,
    id_of,
    index_out_of_step,
    write,
)


@pytest.fixture
def archive(engine, db_url):
    fill(engine)
    return db_url


def hits(db_url: str, terms: str, **filters) -> list[str]:
    engine = open_readonly(db_url)
    try:
        with engine.connect() as connection:
            return [hit.url for hit in search(connection, terms, **filters)]
    finally:
        engine.dispose()


# Ranking and filters ------------------------------------------------------------------------------


def test_title_match_ranks_first_then_more_frequent_body_matches(archive):
    found = hits(archive, "missile")
    assert set(found[:2]) == {MISSILE_TITLE.url, UNDATED.url}
    assert found[2] == MISSILE_BODY_MANY.url
    assert set(found) == {a.url for a in MISSILE_ARTICLES}  # the never-fetched entry is no article
    assert found.index(MISSILE_BODY_MANY.url) < found.index(MISSILE_BODY_ONCE.url)


def test_teasers_are_searched(archive):
    assert hits(archive, "zeppelin") == [MISSILE_TITLE.url]
    assert hits(archive, "teaser: zeppelin") == [MISSILE_TITLE.url]
    assert hits(archive, "body: zeppelin") == []


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"site": "rstv"}, [RUSSIAN.url]),
        ({"source": "KASS (EN)"}, [UNDATED.url, MISSILE_BODY_MANY.url]),
        ({"language": "ru"}, [RUSSIAN.url]),
        ({"since": date(2024, 3, 5)}, [MISSILE_BODY_MANY.url, MISSILE_BODY_ONCE.url, RUSSIAN.url]),
        ({"until": date(2024, 3, 5)}, [MISSILE_TITLE.url, MISSILE_BODY_ONCE.url]),
        ({"since": date(2024, 3, 5), "until": date(2024, 3, 5)}, [MISSILE_BODY_ONCE.url]),
        ({"site": "kcnawatch", "limit": 2}, [UNDATED.url, MISSILE_TITLE.url]),  # the shorter title first
    ],
)
def test_filters(archive, filters, expected):
    found = hits(archive, "missile", **filters)
    if "limit" in filters:
        assert found == expected
    else:
        assert sorted(found) == sorted(expected)


def test_query_syntax_phrases_or_not_prefix_and_stemming(archive):
    assert hits(archive, '"missile parade"') == [MISSILE_BODY_ONCE.url]
    assert sorted(hits(archive, "harvest OR exhibition")) == sorted([MISSILE_BODY_ONCE.url, MISSILE_BODY_MANY.url])
    assert MISSILE_BODY_ONCE.url not in hits(archive, "missile NOT harvest")
    assert hits(archive, "harv*") == [MISSILE_BODY_ONCE.url]
    assert hits(archive, "farmer") == [MISSILE_BODY_ONCE.url]  # porter stemming: "Farmers"
    assert hits(archive, "ракетный") == [RUSSIAN.url]  # unicode case folding


def test_snippet_highlights_the_terms(archive):
    engine = open_readonly(archive)
    with engine.connect() as connection:
        (hit,) = search(connection, "parade", mark=("<b>", "</b>"))
    engine.dispose()
    assert hit.title == "Harvest season begins"
    assert hit.published_on == "2024-03-05"
    assert hit.source == "KCNA (EN)"
    assert "a missile <b>parade</b> was prepared" in hit.snippet


def test_words_with_punctuation_become_phrases():
    assert match_expression("anti-aircraft U.S. Kim's") == '"anti-aircraft" "U.S." "Kim\'s"'
    assert match_expression('title:missile OR "a b" NOT c*') == 'title:missile OR "a b" NOT c*'
    assert match_expression("NEAR(kim party, 5)") == "NEAR ( kim party , 5 )"
    # A column filter stays a filter when the word after it needs quoting.
    assert match_expression("title:anti-DPRK -body:U.S. Body:x") == 'title:"anti-DPRK" -body:"U.S." Body:x'
    with pytest.raises(SearchSyntaxError):
        match_expression("   ")


@pytest.mark.parametrize("terms", ['"unclosed', "missile AND", "(missile", "nosuchcolumn: missile"])
def test_syntax_errors_raise_one_line(archive, terms):
    engine = open_readonly(archive)
    with engine.connect() as connection, pytest.raises(SearchSyntaxError) as error:
        search(connection, terms)
    engine.dispose()
    assert "\n" not in str(error.value) and terms in str(error.value)


# Ranking in slices of the ids (large archives, several CPUs) ---------------------------------------
SLICED_QUERIES = [
    ("missile", {}),
    ("missile", {"limit": 2}),
    ("missile", {"site": "kcnawatch", "limit": 2}),
    ("missile", {"since": date(2024, 3, 5)}),
    ('"missile parade"', {}),
    ("harvest OR exhibition", {}),
    ("missile NOT harvest", {"source": "KASS (EN)"}),
    ("ракетный", {}),
    ("nosuchword", {}),
]


@pytest.mark.parametrize("shards", [2, 3, 7])
def test_ranking_in_slices_finds_the_same_hits_in_the_same_order(archive, shards):
    engine = open_readonly(archive)
    with engine.connect() as connection:
        for terms, filters in SLICED_QUERIES:
            whole = search(connection, terms, shards=1, **filters)
            assert search(connection, terms, shards=shards, **filters) == whole, (terms, filters)
        assert len(search(connection, "missile", shards=1)) == len(MISSILE_ARTICLES)
        with pytest.raises(SearchSyntaxError) as error:
            search(connection, "missile AND", shards=shards)
        assert "\n" not in str(error.value)
    engine.dispose()


def test_slices_are_used_on_a_large_file_archive_only(archive, monkeypatch):
    import archiver.research.search as module

    engine = open_readonly(archive)
    with engine.connect() as connection:
        monkeypatch.setattr(module.os, "cpu_count", lambda: 8)
        assert module.ranking_shards(connection) == 1  # a handful of ids
        monkeypatch.setattr(module, "SHARD_FROM_IDS", 2)
        assert module.ranking_shards(connection) == module.MAX_SHARDS == 4
        monkeypatch.setattr(module.os, "cpu_count", lambda: 2)
        assert module.ranking_shards(connection) == 2
        low, high = module.id_range(connection)
        bounds = module.id_slices(connection, 2)
        assert bounds[0] == low and bounds[-1] == high + 1 and len(bounds) == 3
    engine.dispose()
    memory = create_engine("sqlite://")
    with memory.connect() as connection:
        connection.exec_driver_sql("CREATE TABLE articles (id INTEGER PRIMARY KEY)")
        connection.exec_driver_sql("INSERT INTO articles VALUES (1), (100)")
        assert module.ranking_shards(connection) == 1  # other connections would open an empty database


# The command line ---------------------------------------------------------------------------------


def test_cli_jsonl_hits(archive, capsys):
    assert main(["search", "missile", "--source", "KASS (EN)", "--format", "jsonl", "--db", archive]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["url"] for r in rows] == [UNDATED.url, MISSILE_BODY_MANY.url]
    assert rows[1]["published_on"] == "2024-06-10" and rows[1]["title"] == "Defence exhibition opens"
    assert "It showed a **missile**, another **missile**" in rows[1]["snippet"]
    assert rows[0]["published_on"] is None


def test_cli_human_output(archive, capsys):
    assert main(["search", "zeppelin", "--db", archive]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[:2] == [
        "1. 2024-03-01  KCNA (EN)  Missile launch reported",
        f"   {MISSILE_TITLE.url}",
    ]


def test_cli_syntax_error_is_one_line_exit_2(archive, capsys):
    assert main(["search", '"unclosed', "--db", archive]) == 2
    err = capsys.readouterr().err
    assert err.startswith("archiver: error: cannot search for '\"unclosed'") and err.count("\n") == 1


def test_cli_missing_archive(tmp_path, capsys):
    assert main(["search", "x", "--db", f"sqlite:///{tmp_path / 'none.sqlite'}"]) == 2
    assert "no archive at" in capsys.readouterr().err


# The index stays in step with the store -------------------------------------------------------------


def test_index_follows_text_updates(engine, db_url):
    fill(engine)
    write(
        engine,
        article(
            MISSILE_BODY_ONCE.url,
            "Harvest season ends",
            "Farmers stored the grain in silos.",
            published_on=date(2024, 3, 5),
        ),
    )
    assert index_out_of_step(engine) == (0, 0)
    assert hits(db_url, "parade") == []
    assert hits(db_url, "grain") == [MISSILE_BODY_ONCE.url]
    assert hits(db_url, "title: ends") == [MISSILE_BODY_ONCE.url]


def test_index_takes_the_longest_teaser_of_the_articles_entries(engine, db_url):
    url = f"{BASE}/2000-1/story/"
    body = "The delegation arrived in Moscow on Tuesday and met the hosts at the airport."
    write(
        engine,
        entry(url, "The delegation arrived in Moscow", listed_on=date(2024, 1, 2)),
        article(url, "Delegation in Moscow", body, published_on=date(2024, 1, 2)),
    )
    with engine.connect() as connection:
        assert (
            connection.execute(text("SELECT teaser FROM articles_fts")).scalar_one()
            == "The delegation arrived in Moscow"
        )
    # A repost of it under another address, listed later with a longer teaser, is folded into it.
    repost = f"{BASE}/2000-2/story-2/"
    write(engine, entry(repost, body[:60] + " blimp", listed_on=date(2024, 1, 3)))
    write(engine, article(repost, "Delegation in Moscow", body, published_on=date(2024, 1, 3)))
    assert id_of(engine, repost) == id_of(engine, url)
    assert index_out_of_step(engine) == (0, 0)
    assert hits(db_url, "blimp") == [url]
    with engine.begin() as connection:  # the entry goes away: the index falls back to the other teaser
        connection.execute(text("DELETE FROM listing_entries WHERE article_url LIKE '%story-2/'"))
    assert index_out_of_step(engine) == (0, 0)
    assert hits(db_url, "blimp") == []


def test_index_follows_a_repost_that_defines_the_text(engine, db_url):
    first, repost = f"{BASE}/3000-1/a/", f"{BASE}/3000-2/b/"
    body = "Kim Su Gil led the delegation to the forum on neocolonialism in Moscow."
    write(
        engine,
        entry(first, body[:50], listed_on=date(2024, 2, 15)),
        article(first, "Forum held", body, published_on=date(2024, 2, 15)),
    )
    # The same story under a second address listed a day earlier: its page now defines the text.
    write(
        engine,
        entry(repost, body[:50], listed_on=date(2024, 2, 14)),
        article(repost, "Forum held in Moscow", body, published_on=date(2024, 2, 14)),
    )
    assert id_of(engine, first) == id_of(engine, repost)
    assert index_out_of_step(engine) == (0, 0)
    assert hits(db_url, 'title: "in Moscow"') == [repost]


def test_index_follows_an_address_that_turns_out_to_be_a_repost(engine, db_url):
    first, other = f"{BASE}/3000-1/a/", f"{BASE}/3000-2/b/"
    body = "Kim Su Gil led the delegation to the forum on neocolonialism in Moscow."
    write(
        engine,
        entry(first, "Kim Su Gil led the delegation to the forum", listed_on=date(2024, 2, 15)),
        entry(other, "Placeholder story about a yak festival in the hills", listed_on=date(2024, 2, 16)),
        article(first, "Forum held", body, published_on=date(2024, 2, 15)),
        article(other, "Yak festival", "A yak festival was held in the hills.", published_on=date(2024, 2, 16)),
    )
    assert hits(db_url, "yak") == [other]
    assert index_out_of_step(engine) == (0, 0)
    # The second address now serves the first story: it joins that article, and the article it
    # defined alone, left without addresses, is deleted, and with it its index row.
    write(engine, article(other, "Forum held", body.replace("forum", "Forum"), published_on=date(2024, 2, 16)))
    with engine.connect() as connection:
        assert connection.execute(text("SELECT COUNT(*) FROM articles")).scalar_one() == 1
        assert connection.execute(text("SELECT COUNT(*) FROM articles_fts")).scalar_one() == 1
    assert index_out_of_step(engine) == (0, 0)
    assert hits(db_url, "body: yak OR title: yak") == []
    assert hits(db_url, "teaser: yak") == [first]  # the listing entry of the address now belongs to it
    assert hits(db_url, "neocolonialism") == [first]
    assert id_of(engine, first) == id_of(engine, other)


def test_upgrading_an_older_archive_indexes_what_it_holds(db_url):
    from alembic import command

    from archiver.archive.engine import alembic_config, make_engine, upgrade

    engine = make_engine(db_url)
    config = alembic_config(db_url)
    upgrade(engine)
    fill(engine)
    with engine.begin() as connection:  # the archive as it was before any index (the rows stay)
        config.attributes["connection"] = connection
        command.downgrade(config, "0001")
    upgrade(engine)
    assert index_out_of_step(engine) == (0, 0)
    assert hits(db_url, "zeppelin") == [MISSILE_TITLE.url]
    with engine.begin() as connection:  # the 0002 index (a copy of the text) holds it too
        config.attributes["connection"] = connection
        command.downgrade(config, "0002")
        assert connection.execute(text("SELECT rowid FROM articles_fts WHERE articles_fts MATCH 'zeppelin'")).all()
    upgrade(engine)
    assert hits(db_url, "zeppelin") == [MISSILE_TITLE.url]
    with engine.begin() as connection:  # and back: the index, its triggers and the views go
        config.attributes["connection"] = connection
        command.downgrade(config, "0001")
    with engine.connect() as connection:
        left = (
            connection.execute(
                text("SELECT name FROM sqlite_master WHERE type IN ('trigger', 'view') OR name LIKE 'articles_fts%'")
            )
            .scalars()
            .all()
        )
    assert left == []
    engine.dispose()
