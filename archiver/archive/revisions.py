"""Versions of an article's text: what the store keeps when a page it fetched again says something else.

A fetch of the address that defines an article's text (archiver/archive/writer.py) that gives a
different title, body, date, language or dateline than the archive holds — each as the pipelines normalized
it, and only as the page prints it: a title, date or language the page does not give (filled from
a listing, or not found) is no change — is a new version. The article keeps its row (its identity), shows the newest text, and counts
`versions`; `changed_at` is when the newest was fetched. Every version is a row of
`article_versions`, the first included, from the first edit on: an article never edited has no
rows there (its one version is the `articles` row), so the table stays as small as the edits.

Whether a changed page is an edit of the same story or another story now served at that address
matters where the address is not the article's only one, or where another article already has the
new body: an edit keeps the address with its article, another story goes by the fold rules.
`is_edit` says which: the title kept, or most of the words of the body kept in order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from difflib import SequenceMatcher

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from archiver.archive.models import Article, ArticleVersion, Page, utcnow
from archiver.normalize.text import squash

#: The fields whose change makes a version, and how `archiver changes` names them.
VERSIONED = {
    "title": "title",
    "body": "body",
    "published_on": "date",
    "language": "language",
    "dateline": "dateline",
}
#: The share of words (difflib's ratio over the two bodies' words) above which a changed body is an
#: edit of the same story: a paragraph removed from three keeps 0.8, another story about 0.1.
EDIT_SIMILARITY = 0.5


@dataclass(frozen=True)
class Text:
    """One version of an article's text, as `article_versions` keeps it."""

    url: str
    title: str | None
    body: str | None
    language: str | None
    published_on: date | None
    date_raw: str | None
    content_hash: str | None
    dateline: str | None = None  # the page's dateline line (RSTV's "September 10, Moscow (RSTV)")

    def changes_from(self, other: Text) -> list[str]:
        """The names (as VERSIONED gives them) of the versioned fields that differ from `other`."""
        return [name for field, name in VERSIONED.items() if getattr(self, field) != getattr(other, field)]


def text_of(source, url: str, published_on: date | None) -> Text:
    """The text of an item or an article row (anything with the fields), dated `published_on`."""
    return Text(
        url=url,
        title=source.title,
        body=source.body,
        language=source.language,
        published_on=published_on,
        date_raw=source.date_raw,
        content_hash=source.content_hash,
        dateline=source.dateline,
    )


def fetched_text(item, listed_on: date | None, before: Text) -> Text:
    """The text a fetched item gives, where what the page itself does not print (no title, no date,
    no language found: the spider or the listing filled it, or nothing did) stays as it was: only
    what the page says can make a version."""
    return Text(
        url=item.url,
        title=item.title if item.title is not None else before.title,
        body=item.body,
        language=item.language if item.language is not None else before.language,
        published_on=listed_on if item.published_on is not None else before.published_on,
        date_raw=item.date_raw,
        content_hash=item.content_hash,
        dateline=item.dateline,  # only ever the page's own
    )


def new_version(held, item, listed_on: date | None, held_listed_on: date | None) -> tuple[Text, Text] | None:
    """(the stored text, the item's) when the fetched `item` is a new version of the article `held`
    (an article row whose text comes from the item's address, listed under `held_listed_on`), else None."""
    old = text_of(held, held.url, held_listed_on)
    new = fetched_text(item, listed_on, old)
    return (old, new) if new.changes_from(old) else None


def is_edit(old_title: str | None, old_body: str | None, new_title: str | None, new_body: str | None) -> bool:
    """Whether a page's new text is an edit of its old one (the same story) rather than another story."""
    if old_title and new_title and squash(old_title) == squash(new_title):
        return True
    old_words, new_words = (old_body or "").split(), (new_body or "").split()
    if not old_words or not new_words:
        return False
    matcher = SequenceMatcher(None, old_words, new_words, autojunk=False)
    return matcher.quick_ratio() >= EDIT_SIMILARITY and matcher.ratio() >= EDIT_SIMILARITY


def first_page(session: Session, url: str) -> tuple[str | None, datetime | None]:
    """(body digest, fetch time) of the first stored fetch of `url` that had a body: the first version's page."""
    row = session.execute(
        select(Page.sha256, Page.fetched_at)
        .where(Page.url == url, Page.status == 200, Page.sha256.is_not(None))
        .order_by(Page.id)
        .limit(1)
    ).first()
    return (row.sha256, row.fetched_at) if row else (None, None)


def version_row(article_id: int, number: int, text: Text, fetched_at: datetime, page_sha256: str | None) -> dict:
    return {
        "article_id": article_id,
        "version": number,
        "fetched_at": fetched_at,
        "url": text.url,
        "page_sha256": page_sha256,
        "title": text.title,
        "body": text.body,
        "language": text.language,
        "published_on": text.published_on,
        "date_raw": text.date_raw,
        "content_hash": text.content_hash,
        "dateline": text.dateline,
    }


def record_version(session: Session, article_id: int, old: Text, new: Text, item, *, first_seen_at: datetime) -> int:
    """Keep `new`, fetched as `item` (its page and fetch time, when known), as the article's next
    version (and `old` as version 1 when it is the first edit); the new version's number."""
    fetched_at = item.fetched_at or utcnow()
    count = session.scalar(select(func.count()).where(ArticleVersion.article_id == article_id)) or 0
    rows = []
    if count == 0:
        digest, first_fetched = first_page(session, old.url)
        rows.append(version_row(article_id, 1, old, first_fetched or first_seen_at, digest))
        count = 1
    number = count + 1
    rows.append(version_row(article_id, number, new, fetched_at, item.page_sha256))
    session.execute(insert(ArticleVersion), rows)
    session.execute(update(Article).where(Article.id == article_id).values(versions=number, changed_at=fetched_at))
    return number
