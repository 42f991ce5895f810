"""The versions of edited articles re-derived from their stored pages, at the end of `archiver reparse`.

A reparse re-derives each article from the newest stored page of its address; it is not a fetch,
so it makes no version (ReparseWriter). Here each stored version (article_versions) is parsed again
from the page it came from (`url` and `page_sha256`), with today's spider and pipelines, and takes
what they give: title, body, language, the date and the content hash (what the page does not
print stays as it was). Versions that the parsers now read alike are one (the later ones are dropped and the
rest renumbered); an article left with one version has no rows, like one never edited. A version
whose page is not stored (snapshots were off) stays as it is. Right after a crawl, or twice, this
changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import groupby
from typing import Any

from sqlalchemy import Engine, delete, select, update
from sqlalchemy.orm import Session

from archiver.archive.engine import session_factory
from archiver.archive.models import Article, ArticleVersion, Page
from archiver.archive.revisions import VERSIONED
from archiver.items import ArticleItem

#: The columns of a version that a reparse re-derives.
DERIVED = (*VERSIONED, "date_raw", "content_hash")


def rederive_versions(engine: Engine, site: str, page_parser: Callable[[], Any]) -> int:
    """Re-derive the stored versions of `site` from their pages, parsed by what `page_parser()` makes
    (archiver/research/reparse.py's PageParser); how many versions changed or went."""
    sessions = session_factory(engine)
    parser = None
    changed = 0
    with sessions.begin() as session:
        rows = session.scalars(
            select(ArticleVersion)
            .join(Article, Article.id == ArticleVersion.article_id)
            .where(Article.site == site)
            .order_by(ArticleVersion.article_id, ArticleVersion.version)
        ).all()
        for article_id, group in groupby(rows, key=lambda row: row.article_id):
            versions = list(group)
            for version in versions:
                if version.page_sha256 is None:
                    continue
                parser = parser or page_parser()
                derived = derive(session, parser, version)
                if derived is not None and any(getattr(version, name) != derived[name] for name in DERIVED):
                    for name in DERIVED:
                        setattr(version, name, derived[name])
                    changed += 1
            changed += collapse(session, article_id, versions)
    return changed


def derive(session: Session, parser, version: ArticleVersion) -> dict | None:
    """The version's fields as its stored page gives them today, or None when it gives no article."""
    page = session.scalar(
        select(Page)
        .where(Page.url == version.url, Page.sha256 == version.page_sha256, Page.status == 200)
        .order_by(Page.id)
        .limit(1)
    )
    if page is None:
        return None
    parsed = parser.parse(session, page)
    item = next((i for i in parsed.items if isinstance(i, ArticleItem) and i.body), None)
    if item is None:
        return None
    # What the page does not print stays as the version has it (archiver/archive/revisions.py, fetched_text).
    return {
        "title": item.title if item.title is not None else version.title,
        "body": item.body,
        "published_on": item.published_on if item.published_on is not None else version.published_on,
        "language": item.language if item.language is not None else version.language,
        "date_raw": item.date_raw,
        "content_hash": item.content_hash,
        "dateline": item.dateline,
    }


def collapse(session: Session, article_id: int, versions: list[ArticleVersion]) -> int:
    """Drop each version that now reads like the one before it, renumber the rest; how many went."""
    kept: list[ArticleVersion] = []
    for version in versions:
        if kept and all(getattr(kept[-1], name) == getattr(version, name) for name in VERSIONED):
            continue
        kept.append(version)
    gone = [version for version in versions if version not in kept]
    if not gone:
        return 0
    for version in gone:
        session.delete(version)
    session.flush()
    if len(kept) == 1:
        session.execute(delete(ArticleVersion).where(ArticleVersion.article_id == article_id))
        session.execute(update(Article).where(Article.id == article_id).values(versions=1, changed_at=None))
        return len(gone)
    for number, version in enumerate(kept, start=1):
        version.version = -number  # two steps: (article_id, version) is unique at every statement
    session.flush()
    for version in kept:
        version.version = -version.version
    session.execute(
        update(Article).where(Article.id == article_id).values(versions=len(kept), changed_at=kept[-1].fetched_at)
    )
    return len(gone)
