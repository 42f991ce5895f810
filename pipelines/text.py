"""The text stage: entities, odd whitespace, glued teasers; body paragraphs joined; content hashes."""

from __future__ import annotations

from archiver.items import ArticleItem, ListingEntryItem
from archiver.normalize.text import (
    clean_text,
    content_hash,
    normalize_body,
    normalize_teaser,
    teaser_is_truncated,
    teaser_key,
)


def clean_or_none(raw: str | None) -> str | None:
    return clean_text(raw) or None


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
            item.teaser = normalize_teaser(item.teaser_raw)
            item.teaser_truncated = teaser_is_truncated(item.teaser)
            item.teaser_key = teaser_key(item.teaser)
        return item
