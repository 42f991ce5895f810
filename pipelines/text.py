"""The text stage: entities, odd whitespace, glued teasers; body paragraphs joined; content hashes."""

from __future__ import annotations

from functools import lru_cache

from archiver.items import ArticleItem, ListingEntryItem
from archiver.normalize.text import (
    clean_text,
    content_hash,
    normalize_body,
    normalize_teaser,
    teaser_is_truncated,
    teaser_key,
)


# Listing lines repeat: each "More From" entry is printed on some twenty article pages, and titles
# and source names on many more. Their normalization is pure, so it is cached (bounded; bodies,
# which never repeat, do not go through these).
@lru_cache(maxsize=2048)
def clean_or_none(raw: str | None) -> str | None:
    return clean_text(raw) or None


@lru_cache(maxsize=2048)
def teaser_fields(raw: str | None) -> tuple[str | None, bool | None, str | None]:
    """(teaser, teaser_truncated, teaser_key) of a listing line's raw teaser."""
    teaser = normalize_teaser(raw)
    return teaser, teaser_is_truncated(teaser), teaser_key(teaser)


class TextPipeline:
    def process_item(self, item, spider=None):
        if isinstance(item, ArticleItem):
            item.title = clean_or_none(item.title)
            item.subtitle = clean_or_none(item.subtitle)
            item.source = clean_or_none(item.source)
            item.signature = clean_or_none(item.signature)
            item.category = clean_or_none(item.category)
            item.author = clean_or_none(item.author)
            item.tags = [tag for tag in (clean_text(t) for t in item.tags) if tag]
            item.body = normalize_body(item.paragraphs) or None
            item.content_hash = content_hash(item.body)
        elif isinstance(item, ListingEntryItem):
            item.title = clean_or_none(item.title)
            item.source = clean_or_none(item.source)
            item.teaser, item.teaser_truncated, item.teaser_key = teaser_fields(item.teaser_raw)
        return item
