"""Language of a text, from the text itself (never from a site's category).

``detect_language`` returns an ISO 639-1 code, or ``None`` when the text is too
short or the identifier is unsure. It wraps py3langid, whose naive-Bayes model
ships inside the package (nothing is downloaded at run time).

Tajik (``tg``) is not in py3langid's model, so it is detected by a script rule
first: Tajik Cyrillic has letters no other language of the archived sites uses
(``ҷ ғ қ ҳ ӣ ӯ``). A text written in Cyrillic that carries them is Tajik; without
them the model decides (Russian, Belarusian, ...).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from functools import lru_cache

from py3langid.langid import MODEL_FILE, LanguageIdentifier

__all__ = ["MIN_CONFIDENCE", "MIN_LETTERS", "detect_language"]

# Below this many letters a guess is noise: headings like "Photo" or "Фото".
MIN_LETTERS = 12
# py3langid's normalized probability under which we answer "unsure".
MIN_CONFIDENCE = 0.5

TAJIK_LETTERS = frozenset("ҷғқҳӣӯҶҒҚҲӢӮ")
# ҷ, ӣ and ӯ are Tajik-only; ғ, қ, ҳ are shared with Kazakh/Uzbek/Kyrgyz, so
# alone they need company before the rule fires.
TAJIK_ONLY_LETTERS = frozenset("ҷӣӯҶӢӮ")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LETTER = re.compile(r"[^\W\d_]")


@lru_cache(maxsize=1)
def _model() -> LanguageIdentifier:
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


@lru_cache(maxsize=32)
def _identifier(candidates: frozenset[str] | None) -> LanguageIdentifier:
    """A model restricted to ``candidates`` (one per distinct set, cached)."""
    base = _model()
    if candidates is None:
        return base
    # The base model's arrays, shared (not a second load of the ~50 MB model file): restricting to a
    # few languages copies only their columns.
    ptc, pc, classes = base._full_model
    identifier = LanguageIdentifier(ptc, pc, classes, base.tk_nextmove, base.tk_output, True, tk_row=base.tk_row)
    known = sorted(candidates & set(base.labels))
    identifier.set_languages(known)
    return identifier


def _is_tajik(text: str) -> bool:
    cyrillic = len(_CYRILLIC.findall(text))
    if not cyrillic:
        return False
    tajik = sum(1 for ch in text if ch in TAJIK_LETTERS)
    if any(ch in TAJIK_ONLY_LETTERS for ch in text):
        return True
    # Shared letters only: demand they be a real share of the text.
    return tajik >= 3 and tajik / cyrillic >= 0.01


def detect_language(text: str, candidates: Collection[str] | None = None) -> str | None:
    """ISO 639-1 code of ``text``'s language, or ``None`` when unsure.

    ``candidates`` restricts the answer to those codes (e.g. the languages a
    site publishes in); codes the model does not know are ignored, except
    ``tg`` which the script rule handles.
    """
    if not text:
        return None
    if len(_LETTER.findall(text)) < MIN_LETTERS:
        return None
    wanted = frozenset(code.lower() for code in candidates) if candidates is not None else None
    if (wanted is None or "tg" in wanted) and _is_tajik(text):
        return "tg"
    if wanted is not None:
        wanted = wanted - {"tg"}
        if not wanted & set(_model().labels):
            return None
    language, confidence = _identifier(wanted).classify(text)
    if confidence < MIN_CONFIDENCE:
        return None
    return language
