"""Remembering redirects: an address that redirected to an archived article becomes one of its addresses.

Without this, a listing that links an old address (which the site redirects to the article's own)
had the crawler fetch it again on every run: the archive knew the article, not the old address.
`remember_redirects` ties each old address to the article its redirect ended at, marked fetched, so
the next run's ArchiveKnowledge holds it. An address already tied to an article is left as it is.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Engine, select

from archiver.archive.dialect import dialect_insert
from archiver.archive.engine import session_factory
from archiver.archive.models import ArticleUrl, utcnow


def remember_redirects(engine: Engine, redirects: Mapping[str, str]) -> int:
    """Tie each old address (key) to the article whose address its redirect ended at (value).

    Returns how many addresses were added; redirects that did not end at an archived article are
    left out."""
    if not redirects:
        return 0
    added = 0
    with session_factory(engine).begin() as session:
        targets = dict(
            session.execute(
                select(ArticleUrl.url, ArticleUrl.article_id).where(ArticleUrl.url.in_(set(redirects.values())))
            ).all()
        )
        for old, new in sorted(redirects.items()):
            article_id = targets.get(new)
            if article_id is None or old == new:
                continue
            result = session.execute(
                dialect_insert(session, ArticleUrl)
                .values(url=old, article_id=article_id, fetched=True, first_seen_at=utcnow())
                .on_conflict_do_nothing(index_elements=["url"])
            )
            added += getattr(result, "rowcount", 0) or 0  # a CursorResult for an INSERT
    return added
