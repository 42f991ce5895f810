"""Translation groups from stored language links, the same whatever order the versions arrive in.

A page's language-link line names every version of its story (itself included). Each link is
stored (`translation_links`), and an article's group is the connected component of links and
addresses around it: pages it links, pages that link it, the other addresses of every article met.
The group's name is derived from the smallest URL of that component, so once every page is stored
the names are the same in any order, and a one-way link (A names B, B does not name A) joins B
whether A or B was stored first. A linked version that could not be archived (404) keeps its link,
with the status it answered in `to_status`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from archiver.archive.dialect import dialect_insert
from archiver.archive.models import Article, ArticleUrl, TranslationLink, utcnow

#: A component larger than this is not a story's language versions but a linking accident: stop.
MAX_COMPONENT = 200


def record_links(session: Session, site: str, from_url: str, to_urls: Iterable[str]) -> int:
    """Store the links a page printed; returns how many were new."""

    new = 0
    for to_url in sorted(set(to_urls) - {from_url}):
        stmt = dialect_insert(session, TranslationLink).values(
            site=site, from_url=from_url, to_url=to_url, first_seen_at=utcnow()
        )
        result = session.execute(stmt.on_conflict_do_nothing(index_elements=["from_url", "to_url"]))
        new += getattr(result, "rowcount", 0) or 0
    return new


def record_missing(session: Session, url: str, status: int) -> int:
    """A linked version answered `status` (404): note it on every link to it; returns the links noted."""
    result = session.execute(
        update(TranslationLink)
        .where(TranslationLink.to_url == url)
        .values(to_status=status)
        .execution_options(synchronize_session=False)
    )
    return getattr(result, "rowcount", 0) or 0


def component(session: Session, article_id: int) -> tuple[set[str], set[int]]:
    """The URLs and article ids linked to the article, directly or through other versions."""
    urls = set(session.scalars(select(ArticleUrl.url).where(ArticleUrl.article_id == article_id)))
    articles = {article_id}
    frontier = set(urls)
    while frontier and len(urls) < MAX_COMPONENT:
        linked = session.execute(
            select(TranslationLink.from_url, TranslationLink.to_url).where(
                or_(TranslationLink.from_url.in_(frontier), TranslationLink.to_url.in_(frontier))
            )
        ).all()
        found = {url for pair in linked for url in pair} - urls
        urls |= found
        met = set(session.scalars(select(ArticleUrl.article_id).where(ArticleUrl.url.in_(found)))) - articles
        articles |= met
        siblings = set(session.scalars(select(ArticleUrl.url).where(ArticleUrl.article_id.in_(met)))) - urls
        urls |= siblings
        frontier = found | siblings
    return urls, articles


def join_group(session: Session, article_id: int) -> tuple[str | None, bool]:
    """Give the article's whole component one group; returns (group, whether groups merged).

    An article with no link in either direction keeps no group.
    """
    session.flush()
    urls, articles = component(session, article_id)
    if len(articles) == 1 and not session.scalar(
        select(TranslationLink.id).where(or_(TranslationLink.from_url.in_(urls), TranslationLink.to_url.in_(urls)))
    ):
        return None, False
    before = set(
        session.scalars(
            select(Article.translation_group).where(Article.id.in_(articles), Article.translation_group.is_not(None))
        )
    )
    group = hashlib.sha256(min(urls).encode("utf-8")).hexdigest()[:32]
    session.execute(
        update(Article)
        .where(Article.id.in_(articles))
        .values(translation_group=group)
        .execution_options(synchronize_session=False)
    )
    return group, len(before) > 1
