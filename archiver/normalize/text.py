"""Text normalization for archived news: cleaning scraped text, repairing listing
teasers, building the plain-text article body, and the comparison keys
(``squash``, ``content_hash``, ``teaser_key``) used to match teasers to bodies and
to fold reposts of one story.

Listing pages of the archived sites (KCNA Watch, RSTV) show a *teaser*: the
article's paragraphs glued together without a separator and cut at about 130
characters, often mid-word ("... Typhoon No. 8.The time w").  ``normalize_teaser``
puts back the space the site dropped between paragraphs; ``teaser_matches_body``
and ``teaser_is_truncated`` compare a teaser with a fetched body through
``squash``, which ignores whitespace, punctuation and case.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

from w3lib.html import replace_entities

__all__ = [
    "clean_text",
    "content_hash",
    "normalize_body",
    "normalize_teaser",
    "squash",
    "teaser_is_truncated",
    "teaser_key",
    "teaser_matches_body",
]

# Invisible characters that carry no text: zero-width space/joiners, word joiner,
# BOM / zero-width no-break space, soft hyphen, and C0/C1 control characters other
# than whitespace.  (U+00A0, U+2009, U+202F and the other Unicode spaces are
# whitespace for ``\s`` and become plain spaces when whitespace is collapsed.)
_INVISIBLE_RE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad\x00-\x08\x0b\x0e-\x1b\x7f-\x84\x86-\x9f]")
_WS_RE = re.compile(r"\s+")
_NON_WORD_RE = re.compile(r"[\W_]+")
_BLANK_LINE_RE = re.compile(r"\n[ \t\r\f\v\u00a0]*\n\s*")

# Characters a complete sentence (or quotation) can end with.  The CJK closing
# brackets 」』） are included for the same reason as the ASCII ")".
_SENTENCE_END = (".", "!", "?", "…", "”", '"', "»", ")", "。", "！", "？", "」", "』", "）")

# Teaser repair -------------------------------------------------------------------

# Sentence-final punctuation run, optional closing quotes/brackets, then (looked
# ahead) an optional opening quote and a letter: a candidate for a glued paragraph
# boundary.  Whether the letter is upper-case and what precedes the run is
# checked in ``_unglue``.
_GLUE_RE = re.compile(r"[.!?…]+[”\"’»)\]]*(?=([“\"‘«]?)([^\W\d_]))")
_CLOSERS = '”"’»)]'
_APOSTROPHES = "'’"

# A stray space before punctuation.  For , ; ) always; for . : ! ? only when the
# mark ends a word (followed by whitespace, the end, or a closing quote/bracket),
# so that " .NET", " :30" or " ..." are left alone.
_SPACE_BEFORE_PUNCT_RE = re.compile(r" +(?=[,;)])|(?<=\S) +(?=[.:!?](?:\s|$|[”\"’»)\]]))")
_SPACE_AFTER_PAREN_RE = re.compile(r"\( +")

# A teaser printed twice is recognised only when the repeated part is at least
# this many squashed characters long (the same threshold as ``teaser_key``).
_MIN_REPEAT = 40
_MIN_TEASER_KEY = 40


def clean_text(raw: str | None) -> str:
    """Return *raw* as clean single-line text.

    HTML entities are decoded (repeatedly, so double-encoded ``&amp;nbsp;`` ends up
    as a space too); unknown entities are kept as written.  Zero-width characters,
    soft hyphens and control characters are removed; every run of whitespace
    (including U+00A0, U+2009, U+202F, newlines and tabs) becomes one space; the
    result is stripped.  ``None`` gives ``""``.
    """
    if not raw:
        return ""
    text = str(raw)
    # Decode and drop invisibles until nothing changes: each pass that changes
    # anything shortens the text, so this ends, and the result is a fixpoint
    # (clean_text(clean_text(x)) == clean_text(x)).
    while True:
        new = _INVISIBLE_RE.sub("", replace_entities(text, remove_illegal=False))
        if new == text:
            break
        text = new
    return _WS_RE.sub(" ", text).strip()


def _prev_allows_break(text: str, pos: int) -> bool:
    """Whether the character(s) before *pos* (start of a ``.!?`` run) can end a
    sentence, i.e. this is not an initialism such as "U.S." or "e.g."."""
    if pos == 0:
        return False
    prev = text[pos - 1]
    if prev.isdigit() or prev in _CLOSERS or prev == "%":
        return True
    if prev.isalpha():
        # A single letter standing alone ("U.S.", "e.g.", "p.m.") is an
        # initialism; a word of two or more letters ("ISG", "training",
        # "Sung's") can end a sentence.
        before = text[pos - 2] if pos >= 2 else ""
        return bool(before) and (before.isalnum() or before in _APOSTROPHES)
    return False


def _in_url_token(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] lies inside a URL, domain-with-scheme or e-mail."""
    left = text.rfind(" ", 0, start) + 1
    right = text.find(" ", end)
    token = text[left : right if right != -1 else len(text)]
    return "://" in token or token.lower().startswith("www.") or "@" in token


def _unglue(text: str) -> str:
    """Insert the space the site dropped between glued paragraphs."""
    out: list[str] = []
    last = 0
    for m in _GLUE_RE.finditer(text):
        letter = m.group(2)
        if not (letter.isupper() or letter.istitle()):
            continue
        letter_pos = m.end() + len(m.group(1))
        # "Ph.D." style: the capital is itself an initial followed by a period.
        if text[letter_pos + 1 : letter_pos + 2] == ".":
            continue
        if not _prev_allows_break(text, m.start()):
            continue
        if _in_url_token(text, m.start(), m.end()):
            continue
        out.append(text[last : m.end()])
        out.append(" ")
        last = m.end()
    if not out:
        return text
    out.append(text[last:])
    return "".join(out)


def _fix_punct_spacing(text: str) -> str:
    text = _SPACE_BEFORE_PUNCT_RE.sub("", text)
    return _SPACE_AFTER_PAREN_RE.sub("(", text)


@lru_cache(maxsize=4096)
def _char_key(ch: str) -> str:
    return squash(ch)


def _undouble(text: str) -> str:
    """If *text* is one teaser printed twice in a row (the second copy possibly
    longer or shorter, e.g. teaser + excerpt), return the longer copy (the first
    one when they are equally long); otherwise return *text* unchanged."""
    keys = [_char_key(c) for c in text]
    key = "".join(keys)
    n = len(key)
    if n < 2 * _MIN_REPEAT:
        return text
    # key offset -> index in text of the character whose key starts there
    starts: dict[int, int] = {}
    off = 0
    for idx, k in enumerate(keys):
        if k:
            starts[off] = idx
            off += len(k)
    head = key[:_MIN_REPEAT]
    i = key.find(head, _MIN_REPEAT)
    while i != -1 and n - i >= _MIN_REPEAT:
        length = min(i, n - i)
        if i in starts and key[i : i + length] == key[:length]:
            second = starts[i]
            first_end = max(j for j in range(second) if keys[j]) + 1
            gap = text[first_end:second]
            ws = re.search(r"\s", gap)
            cut = first_end + ws.start() if ws else second
            part1, part2 = text[:cut].strip(), text[cut:].strip()
            return part2 if n - i > i else part1
        i = key.find(head, i + 1)
    return text


# Pure, and a listing teaser is seen many times (every "More From" block repeats its source's
# latest 20): remembered. teaser_key() calls it again on the normalized teaser, a hit too. The
# repeats come within a few pages: 2,048 teasers (about 1 MB) keep the hits.
@lru_cache(maxsize=2048)
def normalize_teaser(raw: str | None) -> str | None:
    """Clean a listing teaser and repair what the site's gluing broke.

    ``clean_text`` plus: the space restored where paragraphs were glued
    ("No. 8.The time w" → "No. 8. The time w", "ISG.Th" → "ISG. Th") but not inside
    initialisms ("U.S.A.", "e.g.", "p.m."), numbers ("No.8", "3.5"), lower-case
    domains ("kcnawatch.org") or URLs; a stray space before , ; ) . : ! ? and after
    ( removed ("Kim Jong Un , general" → "Kim Jong Un, general"); a teaser printed
    twice in a row kept once.  CJK text and punctuation are left as they are.
    Returns ``None`` for empty text.  Idempotent.
    """
    text = clean_text(raw)
    # Every step only removes characters or inserts a space at a glued boundary,
    # which no other step undoes: iterate to the fixpoint so the result is stable.
    for _ in range(50):
        new = _undouble(_unglue(_fix_punct_spacing(clean_text(text))))
        if new == text:
            break
        text = new
    return text or None


def normalize_body(paragraphs: Iterable[str]) -> str:
    """Join article paragraphs into the archive's body format.

    Each paragraph is ``clean_text``-ed, empty ones are dropped, and the rest are
    joined with a blank line ("\\n\\n").  A single string is accepted too and is
    split into paragraphs at blank lines, so ``normalize_body(normalize_body(ps))``
    equals ``normalize_body(ps)``.
    """
    if paragraphs is None:
        return ""
    if isinstance(paragraphs, str):
        paragraphs = _BLANK_LINE_RE.split(paragraphs)
    cleaned = (clean_text(p) for p in paragraphs)
    return "\n\n".join(p for p in cleaned if p)


def squash(text: str) -> str:
    """Comparison key: entities decoded, NFKC-normalized, case-folded, and every
    character that is not a letter or digit (whitespace, punctuation, symbols,
    underscore) removed.  "No. 8.The" and "No. 8.\\n\\nThe" squash alike."""
    if not text:
        return ""
    t = unicodedata.normalize("NFKC", clean_text(text))
    t = unicodedata.normalize("NFKC", t.casefold())
    return _NON_WORD_RE.sub("", t)


def _match_end(teaser: str | None, body: str | None) -> tuple[int, int] | None:
    """(end of the teaser's first match in squash(body), len(squash(body)))."""
    st = squash(teaser or "")
    sb = squash(body or "")
    if not st or not sb:
        return None
    idx = sb.find(st)
    if idx < 0:
        return None
    return idx + len(st), len(sb)


def teaser_matches_body(teaser: str, body: str) -> bool:
    """Whether the teaser is a prefix or a substring of the body once both are
    squashed.  A teaser cut mid-word still matches (its last partial word is the
    start of one of the body's words); an empty teaser never matches."""
    return _match_end(teaser, body) is not None


def teaser_is_truncated(teaser: str | None, body: str | None = None) -> bool | None:
    """Whether *teaser* is only the beginning of the story.

    With a *body* that the teaser matches: ``True`` when the body goes on past the
    matched part, ``False`` when the teaser covers it to the end.  Without a body,
    or when they do not match: ``True`` when the teaser does not end like a
    sentence (with . ! ? … ” " » ) 。 ！ ？ 」 』 ）).  ``None`` for an empty teaser.
    """
    text = clean_text(teaser)
    if not text:
        return None
    if body:
        match = _match_end(text, body)
        if match is not None:
            end, total = match
            return total > end
    return not text.endswith(_SENTENCE_END)


def _sha256(s: str) -> str:
    return hashlib.sha256(s.encode("utf-8")).hexdigest()


def content_hash(body: str | None) -> str | None:
    """sha256 hex digest of ``squash(body)``; ``None`` when nothing is left.
    Reposts of one story that differ only in whitespace, entities, punctuation
    spacing or case share it."""
    s = squash(body or "")
    return _sha256(s) if s else None


def teaser_key(teaser: str | None) -> str | None:
    """sha256 hex digest of the squashed, normalized teaser (a teaser printed
    twice counts once); ``None`` when it is empty or shorter than 40 squashed
    characters, too short to identify a story."""
    s = squash(normalize_teaser(teaser) or "")
    return _sha256(s) if len(s) >= _MIN_TEASER_KEY else None
