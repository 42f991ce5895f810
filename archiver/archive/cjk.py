"""The CJK search index's format: Chinese, Japanese and Korean text as overlapping character bigrams.

FTS5's unicode61 tokenizer takes a run of Hangul syllables or ideographs (a whole Chinese clause,
a Korean word with its particle) for one token, so the full-text index cannot find a word inside
it. The index `articles_fts_cjk` (migration 0010) holds instead, for each run of CJK characters,
one token per character: the character and the next one of the run (a bigram), the run's last
character alone — as Lucene's CJK analyzer does, plus that last unigram. `조선중앙` gives
`조선 선중 중앙 앙`. Then, exactly:

- a term of two or more CJK characters occurs in a text if and only if the phrase of its bigrams
  does (`조선중` → `"조선 선중"`): after a bigram, the next token always starts at its second
  character;
- a one-character term occurs if and only if some token starts with it (`"조"*`, an FTS5 prefix
  query): every character of a run starts exactly one token.

(Migration 0010 leaves out a teaser that is a part of the body: the body's tokens find it.)

`grams(text)` is that tokenization, registered as the SQL function `archiver_cjk_grams` on every
connection the archiver opens (`register`): the index's triggers call it. A program that writes
articles or listing entries on its own connection must register it too (else SQLite says "no such
function: archiver_cjk_grams" and the write fails; nothing is stored half-indexed). The index is
read with plain SQL (`match_runs` builds the MATCH expression), so readers need nothing.
"""

from __future__ import annotations

import functools
import re
import sqlite3
from typing import Any

#: The SQL function the index's triggers call.
FUNCTION = "archiver_cjk_grams"
#: Hiragana and katakana, CJK ideographs (extension A, unified, compatibility), Hangul syllables:
#: the characters matched as substrings rather than words, and indexed as bigrams.
CJK_CLASS = "[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]"
_CJK = re.compile(CJK_CLASS)
_RUN = re.compile(CJK_CLASS + "+")
# At each CJK character: it and the next one if that is CJK too (the lookahead captures without consuming).
_TOKEN = re.compile(f"(?=({CJK_CLASS}{CJK_CLASS}?)){CJK_CLASS}")


def has_cjk(text: str) -> bool:
    return bool(_CJK.search(text))


def runs(text: str) -> list[str]:
    """The runs of CJK characters in `text`, in order."""
    return _RUN.findall(text)


def grams(text: Any) -> str | None:
    """The index's tokens for `text`, space-separated; None when it holds no CJK character."""
    if not isinstance(text, str) or not _CJK.search(text):
        return None
    return _tokens(text)


#: Texts whose tokens are kept: the store inserts a batch of articles (200 by default), then ties
#: their listing entries, whose teasers re-index each article (its old tokens deleted, the new
#: inserted); two texts an article (title, body) must outlast the batch. At most a few MB.
TOKENS_CACHE = 512


@functools.lru_cache(maxsize=TOKENS_CACHE)
def _tokens(text: str) -> str:
    return " ".join(_TOKEN.findall(text))


def run_query(run: str) -> str:
    """The FTS5 expression that finds the CJK run `run` as a substring (see the module)."""
    if len(run) == 1:
        return f'"{run}"*'
    return '"' + " ".join(run[i : i + 2] for i in range(len(run) - 1)) + '"'


def match_runs(words: list[str]) -> tuple[str, list[str]]:
    """For words that must each occur as substrings: the index's MATCH expression for all their
    CJK runs, and the words the index alone cannot decide (those with any other character, such
    as `KCNA조선`), to be checked against the text. ValueError when no word holds a CJK character.
    """
    queries: list[str] = []
    check: list[str] = []
    for word in words:
        found = runs(word)
        if found != [word]:
            check.append(word)
        for run in found:
            query = run_query(run)
            if query not in queries:
                queries.append(query)
    if not queries:
        raise ValueError("no CJK character in the words")
    return " AND ".join(queries), check


def register(dbapi_connection: sqlite3.Connection) -> None:
    """Make `archiver_cjk_grams` available on a sqlite3 connection (the index's triggers call it)."""
    dbapi_connection.create_function(FUNCTION, 1, grams, deterministic=True)
