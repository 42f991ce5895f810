"""Korean in the research benchmark: synthetic Korean articles, and Korean search timed against the scan.

`KoreanTextMaker` writes Korean-looking text: words of one to four Hangul syllables drawn with
Zipf-like frequencies (common syllables and words far more common than rare ones), particles
glued to them, sentence endings, now and then a number or a Latin name, and topic words given to
known shares of the articles (`조선` to most of them, `신식민주의` to a few), so queries have
known selectivity. `time_korean_searches` times `search` on Korean terms of two or more syllables
(the target: median < 200 ms at 1,000,000 articles), and for each term runs the substring scan that
found CJK terms before the bigram index (the "before" figure) and checks that the index gives
exactly the scan's hits. `index_sizes` gives the size of each full-text index.
"""

from __future__ import annotations

import random
import statistics
import time
from datetime import date

from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

from archiver.archive.readonly import open_readonly
from archiver.research.search import (
    CJK_INDEX,
    FILTERS,
    TEXT_INDEX,
    match_condition,
    search,
    substring_condition,
    substring_words,
)

SOURCES = ("KCNA (KO)", "Rodong Sinmun (KO)", "Uriminzokkiri (KO)")
#: The share of the archive's articles that are Korean.
SHARE = 0.1
# Korean topic words and the share of Korean articles each is given to.
TOPICS = {
    "조선": 0.6,
    "대표단": 0.15,
    "주체사상": 0.10,
    "수확": 0.08,
    "미사일": 0.05,
    "제재": 0.04,
    "축하문": 0.03,
    "위성": 0.02,
    "태풍": 0.01,
    "축구": 0.01,
    "신식민주의": 0.002,
}
# (kind, terms, filters): Korean terms of two or more syllables, the figure the target is about.
QUERIES: list[tuple[str, str, dict]] = [
    ("two syllables", "조선", {}),
    ("two syllables", "수확", {}),
    ("two syllables", "태풍", {}),
    ("three or more", "미사일", {}),
    ("three or more", "주체사상", {}),
    ("three or more", "신식민주의", {}),
    ("two words", "위성 발사", {}),
    ("filtered", "대표단", {"source": "Rodong Sinmun (KO)"}),
    ("filtered", "제재", {"since": date(2020, 1, 1), "until": date(2020, 12, 31)}),
    ("filtered", "축구", {"site": "kcnawatch", "language": "ko"}),
]
# Timed and checked too, but apart from the target: one syllable (an FTS5 prefix query on the
# bigrams) and a word with Latin letters in it (the index finds the Korean, the text decides).
OTHER_QUERIES: list[tuple[str, str, dict]] = [
    ("one syllable", "조", {}),
    ("Korean and Latin", "조선KCNA", {}),
]
TARGET_MEDIAN_MS = 200

_INITIALS = "ㄱㄴㄷㄹㅁㅂㅅㅇㅈㅊㅋㅌㅍㅎ"
_INITIAL_WEIGHTS = (12, 8, 8, 6, 6, 5, 10, 16, 10, 4, 1, 2, 2, 8)
_VOWELS = "ㅏㅐㅑㅒㅓㅔㅕㅖㅗㅘㅙㅚㅛㅜㅝㅞㅟㅠㅡㅢㅣ"
_VOWEL_WEIGHTS = (16, 5, 2, 0.2, 12, 5, 5, 1, 10, 3, 0.5, 2, 2, 10, 2, 0.3, 1, 2, 8, 2, 12)
_FINALS = " ㄱㄲㄳㄴㄵㄶㄷㄹㄺㄻㄼㄽㄾㄿㅀㅁㅂㅄㅅㅆㅇㅈㅊㅋㅌㅍㅎ"
_FINAL_COMMON = {" ": 40, "ㄱ": 6, "ㄴ": 14, "ㄹ": 10, "ㅁ": 5, "ㅂ": 2, "ㅅ": 2, "ㅇ": 12}
_PARTICLES = ("은", "는", "이", "가", "을", "를", "의", "에", "에서", "과", "와", "로", "으로", "도", "들이")
_ENDINGS = ("하였다.", "되였다.", "있다.", "한다.", "하였다고 한다.", "강조하였다.", "지적하였다.")
_LATIN = ("KCNA", "UN", "DPRK", "Juche", "2025", "6.15")


_INITIALS_ALL = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ"


def syllable(initial: str, vowel: str, final: str) -> str:
    """The Hangul syllable of three jamo (the final a space for none)."""
    code = (_INITIALS_ALL.index(initial) * 21 + _VOWELS.index(vowel)) * 28 + _FINALS.index(final)
    return chr(0xAC00 + code)


def zipf_weights(size: int) -> list[float]:
    cumulative, total = [], 0.0
    for rank in range(1, size + 1):
        total += 1.0 / rank
        cumulative.append(total)
    return cumulative


class KoreanTextMaker:
    """Deterministic Korean-looking text with topic words (see the module); bodies from a pool of
    sentences, as the English maker of archiver.bench.access does, a numbered one keeping each distinct."""

    def __init__(self, rng: random.Random, pool: int = 20_000, words: int = 8000) -> None:
        self.rng = rng
        finals = list(_FINAL_COMMON)
        seen: dict[str, None] = {}
        while len(seen) < 1500:
            seen[
                syllable(
                    rng.choices(_INITIALS, _INITIAL_WEIGHTS)[0],
                    rng.choices(_VOWELS, _VOWEL_WEIGHTS)[0],
                    rng.choices(finals, list(_FINAL_COMMON.values()))[0],
                )
            ] = None
        syllables = list(seen)
        syllable_weights = zipf_weights(len(syllables))
        vocabulary: dict[str, None] = {}
        while len(vocabulary) < words:
            size = rng.choices((1, 2, 3, 4), (1, 6, 4, 1))[0]
            vocabulary["".join(rng.choices(syllables, cum_weights=syllable_weights, k=size))] = None
        self.words = list(vocabulary)
        word_weights = zipf_weights(len(self.words))
        self.sentences = [
            self._sentence(rng.choices(self.words, cum_weights=word_weights, k=rng.randint(6, 14))) for _ in range(pool)
        ]
        self.number = 0

    def _sentence(self, words: list[str]) -> str:
        rng = self.rng
        shown = [w + rng.choice(_PARTICLES) if rng.random() < 0.6 else w for w in words]
        if rng.random() < 0.1:
            shown.insert(rng.randrange(len(shown)), rng.choice(_LATIN))
        return " ".join(shown) + " " + rng.choice(_ENDINGS)

    def sentence(self, topics: list[str]) -> str:
        words = self.rng.choice(self.sentences).split(" ")
        for topic in topics:
            particle = self.rng.choice(_PARTICLES) if self.rng.random() < 0.7 else ""
            words.insert(self.rng.randrange(len(words)), topic + particle)
        return " ".join(words)

    def article(self) -> tuple[str, str]:
        self.number += 1
        topics = [t for t, share in TOPICS.items() if self.rng.random() < share]
        title = " ".join(self.sentence(topics[:1]).split(" ")[:6])
        paragraphs = [
            " ".join([self.sentence(topics), *self.rng.choices(self.sentences, k=3)])
            for _ in range(self.rng.randint(5, 8))
        ]
        if "위성" in topics and self.rng.random() < 0.3:
            paragraphs[-1] += " 위성 발사가 보도되였다."
        if "조선" in topics and self.rng.random() < 0.05:
            paragraphs[0] = "조선KCNA " + paragraphs[0]
        paragraphs[-1] += f" 보도 번호 {self.number}."
        return title, "\n\n".join(paragraphs)


def _ids(connection: Connection, condition: str, params: dict, filters: dict) -> tuple[set[int], float]:
    """The ids of the articles meeting `condition` and the filters, and the seconds it took."""
    values = {name: v.isoformat() if isinstance(v, date) else v for name, v in filters.items()}
    where = " AND ".join([condition, *(FILTERS[name] for name in filters)])
    started = time.perf_counter()
    ids = set(connection.execute(text(f"SELECT a.id FROM articles a WHERE {where}"), {**params, **values}).scalars())
    return ids, time.perf_counter() - started


def time_korean_searches(url: str, repeat: int) -> dict[str, dict]:
    """Per query (QUERIES, then OTHER_QUERIES): its kind, `search`'s latencies over `repeat` runs
    (after one warm-up), the articles the index and the substring scan find (equal, or the figure
    is wrong), and how long the scan took (once)."""
    engine = open_readonly(url)
    figures: dict[str, dict] = {}
    with engine.connect() as connection:
        for kind, terms, filters in QUERIES + OTHER_QUERIES:
            search(connection, terms, **filters)
            indexed, _ = _ids(connection, *match_condition(terms), filters)
            scanned, scan_seconds = _ids(connection, *substring_condition(substring_words(terms)), filters)
            figures[terms] = {
                "kind": kind,
                "filters": filters,
                "hits": len(indexed),
                "scan_hits": len(scanned),
                "same_hits": indexed == scanned,
                "scan_seconds": scan_seconds,
                "latencies": [],
            }
        for _ in range(repeat):
            for _kind, terms, filters in QUERIES + OTHER_QUERIES:
                started = time.perf_counter()
                search(connection, terms, **filters)
                figures[terms]["latencies"].append(time.perf_counter() - started)
    engine.dispose()
    return figures


def index_sizes(url: str) -> dict[str, int] | None:
    """Bytes of each full-text index (its FTS5 tables) and of the whole file; None without dbstat."""
    engine = open_readonly(url)
    try:
        with engine.connect() as connection:
            sizes = {}
            for index in (TEXT_INDEX, CJK_INDEX):
                sizes[index] = connection.execute(
                    text(
                        "SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE aggregate = 1 AND name IN "
                        "(:i || '_data', :i || '_idx', :i || '_docsize', :i || '_config', :i || '_content')"
                    ),
                    {"i": index},
                ).scalar_one()
            page_size = connection.exec_driver_sql("PRAGMA page_size").scalar_one()
            sizes["file"] = connection.exec_driver_sql("PRAGMA page_count").scalar_one() * page_size
            return sizes
    except DBAPIError:  # a SQLite built without the dbstat table
        return None
    finally:
        engine.dispose()


def median_ms(times: list[float]) -> float:
    return statistics.median(times) * 1000
