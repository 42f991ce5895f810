"""Language of a text, from the text itself: an ISO 639-1 code, or None when unsure.

A minimal wrapper around py3langid (its model ships inside the package; nothing is downloaded).
`candidates` restricts the answer to the languages a site is known to publish in.
"""

from __future__ import annotations

from collections.abc import Collection
from functools import lru_cache

from py3langid.langid import MODEL_FILE, LanguageIdentifier

__all__ = ["MIN_CONFIDENCE", "MIN_LETTERS", "detect_language"]

# Below this many letters a guess is noise ("Photo", "Фото").
MIN_LETTERS = 12
# py3langid's normalized probability under which the answer is "unsure".
MIN_CONFIDENCE = 0.5


@lru_cache(maxsize=32)
def _identifier(candidates: frozenset[str] | None) -> LanguageIdentifier:
    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    if candidates is not None:
        identifier.set_languages(sorted(candidates & set(identifier.nb_classes)))
    return identifier


def detect_language(text: str, candidates: Collection[str] | None = None) -> str | None:
    """The language `text` is written in, among `candidates` when given; None when unsure."""
    if sum(ch.isalpha() for ch in text or "") < MIN_LETTERS:
        return None
    wanted = frozenset(c.lower() for c in candidates) if candidates is not None else None
    if wanted is not None and len(wanted) == 1:
        return next(iter(wanted))
    language, confidence = _identifier(wanted).classify(text)
    language = str(language)
    # ISO 639-1 only: the model also knows a few languages with three-letter codes only (`wuu`).
    return language if confidence >= MIN_CONFIDENCE and len(language) == 2 else None
