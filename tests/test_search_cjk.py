"""Chinese, Japanese and Korean search through the bigram index: exactly the substring scan's hits,
the index kept in step by its triggers, and `archiver search` on it (ranking, snippets, counts)."""

from __future__ import annotations

import importlib
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from archiver.archive import cjk
from archiver.archive.readonly import open_readonly
from archiver.cli import main
from archiver.research.search import (
    count,
    count_by,
    match_condition,
    search,
    substring_condition,
    substring_words,
)
from tests.support.research_archive import BASE, article, entry, id_of, write

MIGRATION = importlib.import_module("migrations.versions.0010_cjk_search")

# The index's format -------------------------------------------------------------------------------


def test_grams_are_the_bigrams_of_each_run_and_its_last_character():
    assert cjk.grams("조선중앙통신 (KCNA) 평양 3월 1일발") == "조선 선중 중앙 앙통 통신 신 평양 양 월 일발 발"
    assert cjk.grams("主体思想とは") == "主体 体思 思想 想と とは は"
    assert cjk.grams("Juche idea") is None
    assert cjk.grams(None) is None and cjk.grams("") is None


def test_the_tokens_cache_is_bounded_and_holds_cjk_texts_only():
    cjk._tokens.cache_clear()
    for number in range(cjk.TOKENS_CACHE + 50):
        cjk.grams(f"조선 {number}")
        cjk.grams(f"English text {number}")
    assert cjk._tokens.cache_info().currsize == cjk.TOKENS_CACHE
    assert cjk.grams(f"조선 {cjk.TOKENS_CACHE + 49}") == "조선 선"
    assert cjk._tokens.cache_info().hits == 1


def test_a_word_becomes_the_phrase_of_its_bigrams_and_a_character_a_prefix():
    assert cjk.run_query("조선중") == '"조선 선중"'
    assert cjk.run_query("조") == '"조"*'
    assert cjk.match_runs(["조선", "중앙"]) == ('"조선" AND "중앙"', [])
    # Other characters in a word: its runs narrow the search, the text decides.
    assert cjk.match_runs(["KCNA조선", "조선"]) == ('"조선"', ["KCNA조선"])
    assert cjk.match_runs(["조-선", "Juche"]) == ('"조"* AND "선"*', ["조-선", "Juche"])
    assert cjk.match_runs(["조・선"]) == ('"조・ ・선"', [])  # the katakana middle dot is CJK
    with pytest.raises(ValueError):
        cjk.match_runs(["Juche"])


def test_match_condition_is_the_query_builder_for_any_table_name():
    condition, params = match_condition("조선 KCNA", table="articles")
    assert condition == (
        "articles.id IN (SELECT rowid FROM articles_fts_cjk WHERE articles_fts_cjk MATCH :match_q) AND "
        "instr(coalesce(articles.title, '') || ' ' || coalesce(articles.body, '') || ' ' || "
        "coalesce(articles.teaser, ''), :match_w0) > 0"
    )
    assert params == {"match_q": '"조선"', "match_w0": "KCNA"}
    assert match_condition("juche idea") == (
        "a.id IN (SELECT rowid FROM articles_fts WHERE articles_fts MATCH :match_q)",
        {"match_q": "juche idea"},
    )
    condition, params = match_condition('"조선" AND 중앙', dialect="postgresql")
    assert condition.count("strpos(") == 2 and params == {"match_w0": "조선", "match_w1": "중앙"}


# Exactly the substring scan's hits ----------------------------------------------------------------

# Few characters, so that terms often occur, and a character from each script the index treats
# (Hangul, hiragana, katakana with its middle dot, ideographs) beside Latin, digits and punctuation.
ALPHABET = "조선중앙가나あいアイ・中国人 KkCNA1 .,-\n"
texts = st.one_of(st.none(), st.text(alphabet=ALPHABET, max_size=40))
MARKS = ["", "…", "...", " [...]", "x", "조", " "]
words = st.text(alphabet=ALPHABET.replace(" ", "").replace("\n", ""), min_size=1, max_size=4)


def scan_ids(connection, terms: str) -> set[int]:
    condition, params = substring_condition(substring_words(terms))
    return set(connection.execute(text(f"SELECT a.id FROM articles a WHERE {condition}"), params).scalars())


def index_ids(connection, terms: str) -> set[int]:
    condition, params = match_condition(terms)
    return set(connection.execute(text(f"SELECT a.id FROM articles a WHERE {condition}"), params).scalars())


def insert_article(connection, number: int, title, body, teaser) -> None:
    connection.execute(
        text(
            "INSERT INTO articles (id, site, url, title, body, teaser, first_seen_at, last_seen_at) "
            "VALUES (:id, 'kcnawatch', :url, :title, :body, :teaser, '2024-01-01', '2024-01-01')"
        ),
        {"id": number, "url": f"{BASE}/{number}/", "title": title, "body": body, "teaser": teaser},
    )


def cjk_index_out_of_step(connection) -> int:
    """Postings (term, article, column, offset) and rows that differ between articles_fts_cjk and
    the same index built afresh from the articles as they are now."""
    tokens = ", ".join(
        f"{sql} AS {column}" for sql, column in zip(MIGRATION.token_columns("articles"), MIGRATION.COLUMNS)
    )
    statements = [
        "CREATE VIRTUAL TABLE temp.fresh USING fts5(title, body, teaser, content='', tokenize='ascii')",
        f"INSERT INTO temp.fresh (rowid, title, body, teaser) SELECT * FROM (SELECT id, {tokens} FROM articles) "
        "WHERE coalesce(title, body, teaser) IS NOT NULL",
        "CREATE VIRTUAL TABLE temp.live_postings USING fts5vocab(main, articles_fts_cjk, instance)",
        "CREATE VIRTUAL TABLE temp.fresh_postings USING fts5vocab(temp, fresh, instance)",
    ]
    for statement in statements:
        connection.exec_driver_sql(statement)
    differing = connection.exec_driver_sql(
        "SELECT (SELECT COUNT(*) FROM (SELECT * FROM temp.live_postings EXCEPT SELECT * FROM temp.fresh_postings))"
        " + (SELECT COUNT(*) FROM (SELECT * FROM temp.fresh_postings EXCEPT SELECT * FROM temp.live_postings))"
        " + (SELECT COUNT(*) FROM (SELECT id FROM main.articles_fts_cjk_docsize"
        "    EXCEPT SELECT id FROM temp.fresh_docsize))"
        " + (SELECT COUNT(*) FROM (SELECT id FROM temp.fresh_docsize"
        "    EXCEPT SELECT id FROM main.articles_fts_cjk_docsize))"
    ).scalar_one()
    for table in ("fresh_postings", "live_postings", "fresh"):
        connection.exec_driver_sql(f"DROP TABLE temp.{table}")
    return differing


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(st.tuples(texts, texts, texts), min_size=1, max_size=8),
    cuts=st.lists(st.tuples(st.integers(0, 7), st.integers(1, 30), st.integers(0, 30), st.sampled_from(MARKS))),
    changes=st.lists(st.tuples(st.integers(0, 7), st.sampled_from(["title", "body", "teaser", None]), texts)),
    picks=st.lists(st.tuples(st.integers(0, 23), st.integers(0, 40), st.integers(1, 4)), max_size=8),
    made_up=st.lists(st.lists(words, min_size=1, max_size=2), max_size=4),
)
def test_the_index_finds_exactly_what_the_substring_scan_finds(engine, rows, cuts, changes, picks, made_up):
    with engine.connect() as connection, connection.begin() as transaction:
        for number, row in enumerate(rows, 1):
            insert_article(connection, number, *row)
        # Teasers cut out of the body, as listings print them (the index leaves those out).
        for target, start, size, mark in cuts:
            connection.execute(
                text("UPDATE articles SET teaser = substr(coalesce(body, ''), :start, :size) || :mark WHERE id = :id"),
                {"start": start, "size": size, "mark": mark, "id": target % len(rows) + 1},
            )
        # Updates of any column (the teaser as the triggers on listing entries set it) and deletes.
        for target, column, value in changes:
            number = target % len(rows) + 1
            if column is None:
                connection.execute(text("DELETE FROM articles WHERE id = :id"), {"id": number})
            else:
                connection.execute(
                    text(f"UPDATE articles SET {column} = :v WHERE id = :id"), {"v": value, "id": number}
                )
        assert cjk_index_out_of_step(connection) == 0
        # Terms cut out of the texts as they are now (across script boundaries too), and made-up ones.
        now = connection.execute(text("SELECT title, body, teaser FROM articles")).all()
        stored = [t for row in now for t in row if t] or [""]
        terms = [stored[i % len(stored)][start : start + size] for i, start, size in picks]
        terms += [" ".join(w) for w in made_up]
        for term in terms:
            if term.strip() and cjk.has_cjk(term):
                assert index_ids(connection, term) == scan_ids(connection, term), term
        transaction.rollback()


# The index follows the store, and the search command uses it ----------------------------------------

KOREAN = article(
    f"{BASE}/4000-1/korean/",
    "조선중앙통신 보도",
    "평양 3월 1일발 조선중앙통신(KCNA) 주체사상연구소조 대표단이 도착하였다. 대표단은 미사일 발사를 보았다.",
    source="KCNA (KO)",
    language="ko",
    published_on=date(2024, 3, 1),
)
KOREAN_BODY = article(
    f"{BASE}/4000-2/korean-body/",
    "농업 소식",
    "올해 수확이 좋았다. 조선 농민들은 기뻐하였다.",
    source="Rodong Sinmun (KO)",
    language="ko",
    published_on=date(2024, 4, 2),
)
JAPANESE = article(
    f"{BASE}/4000-3/japanese/",
    "朝鮮中央通信",
    "チュチェ思想の研究会が平壌で開かれた。조선 side note.",
    source="KCNA (JA)",
    language="ja",
    published_on=date(2024, 5, 3),
)
ENGLISH = article(f"{BASE}/4000-4/english/", "Juche idea", "Juche idea seminar held.", published_on=date(2024, 5, 4))


@pytest.fixture
def archive(engine, db_url):
    write(
        engine,
        entry(KOREAN_BODY.url, "올해 수확이 좋았다 — 태풍 피해 없이", listed_on=date(2024, 4, 2)),
        KOREAN,
        KOREAN_BODY,
        JAPANESE,
        ENGLISH,
    )
    return db_url


def hits(db_url: str, terms: str, **filters) -> list[str]:
    engine = open_readonly(db_url)
    try:
        with engine.connect() as connection:
            return [hit.url for hit in search(connection, terms, **filters)]
    finally:
        engine.dispose()


def hit_ids(db_url: str, terms: str) -> list[int]:
    engine = open_readonly(db_url)
    try:
        with engine.connect() as connection:
            return [hit.article_id for hit in search(connection, terms)]
    finally:
        engine.dispose()


def test_search_ranks_a_title_match_first_and_marks_the_snippet(archive):
    found = hits(archive, "조선")  # in the title of the first, the bodies of the others
    assert found[0] == KOREAN.url and sorted(found[1:]) == sorted([KOREAN_BODY.url, JAPANESE.url])
    engine = open_readonly(archive)
    with engine.connect() as connection:
        first = search(connection, "대표단", limit=1)[0]
        assert first.url == KOREAN.url and first.score > 0
        assert "**대표단**이 도착하였다. **대표단**은" in first.snippet
        assert [h.url for h in search(connection, "조선", limit=2)] == found[:2]
    engine.dispose()
    assert hits(archive, "태풍") == [KOREAN_BODY.url]  # in the teaser only
    assert hits(archive, "思想 研究") == [JAPANESE.url]
    assert hits(archive, "조선 side") == [JAPANESE.url]  # a Latin word beside: checked in the text
    assert hits(archive, "통신(KCNA)") == [KOREAN.url]
    assert hits(archive, "조선", language="ko", since=date(2024, 4, 1)) == [KOREAN_BODY.url]
    assert hits(archive, "수") == [KOREAN_BODY.url]


@pytest.mark.parametrize("terms", ["조선", "조선 side", "수", "통신(KCNA)"])
def test_ranking_in_slices_finds_the_same_hits_in_the_same_order(archive, terms):
    engine = open_readonly(archive)
    with engine.connect() as connection:
        whole = search(connection, terms, shards=1)
        assert whole and [h.row() for h in search(connection, terms, shards=3)] == [h.row() for h in whole]
    engine.dispose()


def test_counts_and_n_of_m_for_cjk_terms(archive, capsys):
    engine = open_readonly(archive)
    with engine.connect() as connection:
        assert count(connection, "조선") == 3
        assert count_by(connection, "조선", ["language", "month"]) == [
            ("ja", "2024-05", 1),
            ("ko", "2024-03", 1),
            ("ko", "2024-04", 1),
        ]
    engine.dispose()
    assert main(["search", "조선", "--limit", "2", "--db", archive]) == 0
    assert capsys.readouterr().out.rstrip().endswith("2 of 3 matching articles shown (--limit 3 shows all)")
    assert main(["search", "조선", "--count-by", "source", "--format", "csv", "--db", archive]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "source,articles",
        "KCNA (JA),1",
        "KCNA (KO),1",
        "Rodong Sinmun (KO),1",
    ]


def test_the_index_follows_teasers_reposts_and_deletes(engine, db_url, archive):
    # A longer teaser of another entry of the article replaces the indexed one.
    write(
        engine,
        entry(
            f"{BASE}/4000-2/korean-body-2/", "올해 수확이 좋았다 — 우박 피해 없이 끝났다", listed_on=date(2024, 4, 3)
        ),
    )
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE listing_entries SET article_id = :id WHERE article_url LIKE '%korean-body-2/'"),
            {"id": id_of(engine, KOREAN_BODY.url)},
        )
    assert hits(db_url, "우박") == [KOREAN_BODY.url] and hits(db_url, "태풍") == []
    # A repost of the Korean story under a second address listed a day earlier defines its text.
    repost = f"{BASE}/4000-5/korean-repost/"
    write(engine, article(repost, "조선중앙통신 보도 (재)", KOREAN.body, language="ko", published_on=date(2024, 2, 29)))
    story = id_of(engine, KOREAN.url)
    assert id_of(engine, repost) == story
    assert hit_ids(db_url, "보도 (재)") == [story]  # the title the earlier address gave
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM articles WHERE url = :url"), {"url": JAPANESE.url})
    with engine.connect() as connection:
        assert cjk_index_out_of_step(connection) == 0
    assert hits(db_url, "思想") == []


def test_an_archive_without_the_cjk_index_says_to_upgrade(engine, db_url, capsys):
    from alembic import command

    from archiver.archive.engine import alembic_config

    write(engine, KOREAN)
    config = alembic_config(db_url)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0005")
        assert not connection.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE name LIKE '%cjk%'").all()
    assert main(["search", "조선", "--db", db_url]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "archiver: error: this archive has no index for Chinese, Japanese and Korean yet: "
        "run `archiver db upgrade` on it first"
    ]
    with engine.begin() as connection:  # the upgrade indexes what the archive holds
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    with engine.connect() as connection:
        assert cjk_index_out_of_step(connection) == 0
    assert hits(db_url, "주체사상") == [KOREAN.url]


def test_postgresql_scans_for_the_same_hits(pg_url, archive):
    from archiver.archive.engine import open_archive

    terms = ["조선", "수", "통신(KCNA)", "조선 side", "思想 研究", "대표단 미사일", "태풍"]
    engine = open_archive(pg_url)
    sqlite = open_readonly(archive)
    try:
        write(
            engine,
            entry(KOREAN_BODY.url, "올해 수확이 좋았다 — 태풍 피해 없이", listed_on=date(2024, 4, 2)),
            KOREAN,
            KOREAN_BODY,
            JAPANESE,
            ENGLISH,
        )
        with engine.connect() as postgresql, sqlite.connect() as indexed:
            for term in terms:
                assert {h.url for h in search(postgresql, term)} == {h.url for h in search(indexed, term)}, term
                assert count_by(postgresql, term, ["source"]) == count_by(indexed, term, ["source"]), term
    finally:
        engine.dispose()
        sqlite.dispose()
