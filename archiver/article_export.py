"""Articles out of the archive as flat records, streamed: one record per article with all its addresses.

Memory stays flat however large the archive: rows come from the database in batches
(`yield_per`; a server-side cursor on PostgreSQL), ordered by article, and each article's rows
(one per address) are folded into one record before the next article is read.

Fields, in this order (EXPORT_FIELDS; the README describes them for researchers):
  id, site, source, language, published_on, title, subtitle, body, url, urls, dateline,
  dateline_place, dateline_on, date_raw, original_url, category, author, views, comments, tags,
  translation_group, content_hash, first_seen_at, last_seen_at
`url` is the address whose page gave the text; `urls` lists every address the article was found
under (reposts), earliest listed first.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from itertools import groupby
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, String, select, type_coerce

from archiver.models import Article, ArticleUrl

ARTICLE_FIELDS = (
    "id", "site", "source", "language", "published_on", "title", "subtitle", "body", "url",
)
MORE_FIELDS = (
    "dateline", "dateline_place", "dateline_on", "date_raw", "original_url", "category", "author",
    "views", "comments", "tags", "translation_group", "content_hash", "first_seen_at", "last_seen_at",
)
EXPORT_FIELDS = (*ARTICLE_FIELDS, "urls", *MORE_FIELDS)
TIME_FIELDS = ("published_on", "dateline_on", "first_seen_at", "last_seen_at")


def iter_rows(
    connection: Connection,
    *,
    site: str | None = None,
    since: date | None = None,
    until: date | None = None,
    batch: int = 2000,
) -> Iterator[tuple]:
    """Every article (of `site`, published between `since` and `until` inclusive), by id, as a
    tuple in the order of EXPORT_FIELDS. Dates and times are ISO 8601 text."""
    names = (*ARTICLE_FIELDS, *MORE_FIELDS)
    # SQLite already holds dates and times as ISO text: reading them as text skips parsing them
    # into objects only to format them again (a third of the export's time); tags (JSON text)
    # are decoded here, without SQLAlchemy's layers around json.loads.
    as_text = connection.dialect.name == "sqlite"
    columns = [
        type_coerce(getattr(Article, name), String).label(name) if as_text and name in (*TIME_FIELDS, "tags")
        else getattr(Article, name)
        for name in names
    ]
    stmt = (
        select(*columns, ArticleUrl.url)
        .outerjoin(ArticleUrl, ArticleUrl.article_id == Article.id)
        .order_by(Article.id, ArticleUrl.listed_on.asc().nulls_last(), ArticleUrl.url)
    )
    if site:
        stmt = stmt.where(Article.site == site)
    if since:
        stmt = stmt.where(Article.published_on >= since)
    if until:
        stmt = stmt.where(Article.published_on <= until)
    result = connection.execution_options(yield_per=batch, stream_results=True).execute(stmt)
    split = len(ARTICLE_FIELDS)
    times = [names.index(name) for name in ("first_seen_at", "last_seen_at")]
    tags = names.index("tags")
    for _, rows in groupby(result, key=itemgetter(0)):
        first = next(rows)
        urls = [first[-1], *(row[-1] for row in rows)] if first[-1] is not None else []
        if as_text:
            first = list(first)
            for i in times:
                if first[i] is not None:  # "2024-01-02 03:04:05.000000" → datetime.isoformat()
                    first[i] = first[i].replace(" ", "T", 1).removesuffix(".000000")
            if first[tags] is not None:
                first[tags] = json.loads(first[tags])
        yield (*first[:split], urls, *first[split:-1])


def iter_records(connection: Connection, **filters) -> Iterator[dict[str, Any]]:
    """The same articles as dicts keyed by EXPORT_FIELDS."""
    for row in iter_rows(connection, **filters):
        yield dict(zip(EXPORT_FIELDS, row))
