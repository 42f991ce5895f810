"""Takedowns: archived articles whose page is gone, marked from the failure counts of `gone_urls`.

One mechanism counts the runs in which an article address failed (archiver/archive/gone.py):
404/410 on any article request, and on a revisit (archiver/archive/revisits.py) also a redirect to
a listing or the home page, or a page that says "not found". This module makes the article at that
address follow the counts, in the same transaction:

- the first failing run marks it `removed_at` (with `removal`: 404, 410, redirect, not found text);
- the next failing run confirms it (`removal_confirmed_at`): from then on it counts as removed;
- an answer with the page (the count's row is deleted) before the confirmation forgets the takedown
  (a passing fault); after it, marks the article `restored_at`.

Every stored version of a removed article stays. An article removed again after a restoration
keeps that restoration's time and the new takedown's (the latest of each).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from archiver.archive.models import Article, GoneUrl


def reason_of(status: int) -> str:
    """How a failing answer took the page down, as `articles.removal` says it."""
    if status in (404, 410):
        return str(status)
    if 300 <= status < 400:
        return "redirect"
    return "not found text"


def removed(article) -> bool:
    """Counts as removed: confirmed, and not restored since (an article or a row with its takedown columns)."""
    return (
        article.removed_at is not None
        and article.removal_confirmed_at is not None
        and (article.restored_at is None or article.restored_at < article.removed_at)
    )


def pending(article) -> bool:
    """Seen taken down once, waiting for the next run to confirm it."""
    return (
        article.removed_at is not None
        and article.removal_confirmed_at is None
        and (article.restored_at is None or article.restored_at < article.removed_at)
    )


def follow(
    session: Session, site: str, failures: Mapping[str, GoneUrl], answered: Iterable[str], now: datetime
) -> Counter[str]:
    """Mark the site's articles at the failing addresses (their `gone_urls` rows as counted for this
    run) and at the addresses that answered; what changed: pending, confirmed, restored, cleared."""
    counts: Counter[str] = Counter()
    answered = sorted(set(answered))
    urls = sorted(failures)
    if not urls and not answered:
        return counts
    conditions: list[ColumnElement[bool]] = []
    if urls:
        conditions.append(Article.url.in_(urls))
    if answered:
        conditions.append(Article.url.in_(answered) & Article.removed_at.is_not(None))
    articles = session.scalars(select(Article).where(Article.site == site, or_(*conditions))).all()
    for article in articles:
        row = failures.get(article.url)
        if row is not None:
            if removed(article):
                continue  # still gone
            if not pending(article):
                first = row.failed_runs <= 1
                article.removed_at = now if first else row.first_failed_at
                article.removal = reason_of(row.status)
                article.removal_confirmed_at = None
                if first:
                    counts["pending"] += 1
                    continue
            if row.failed_runs >= 2:
                article.removal_confirmed_at = now
                counts["confirmed"] += 1
        elif removed(article):
            article.restored_at = now
            counts["restored"] += 1
        elif pending(article):
            article.removed_at = article.removal = None
            counts["cleared"] += 1
    return +counts
