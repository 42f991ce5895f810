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

from collections.abc import Iterator
from datetime import date
from itertools import groupby
from operator import attrgetter
from typing import Any

from sqlalchemy import Connection, select

from archiver.models import Article, ArticleUrl

ARTICLE_FIELDS = (
    "id", "site", "source", "language", "published_on", "title", "subtitle", "body", "url",
)
MORE_FIELDS = (
    "dateline", "dateline_place", "dateline_on", "date_raw", "original_url", "category", "author",
    "views", "comments", "tags", "translation_group", "content_hash", "first_seen_at", "last_seen_at",
)
EXPORT_FIELDS = (*ARTICLE_FIELDS, "urls", *MORE_FIELDS)


def iter_records(
    connection: Connection,
    *,
    site: str | None = None,
    since: date | None = None,
    until: date | None = None,
    batch: int = 2000,
) -> Iterator[dict[str, Any]]:
    """Every article (of `site`, published between `since` and `until` inclusive) as a dict, by id."""
    columns = [getattr(Article, name) for name in (*ARTICLE_FIELDS, *MORE_FIELDS)]
    stmt = (
        select(*columns, ArticleUrl.url.label("address"))
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
    for _, rows in groupby(result, key=attrgetter("id")):
        first = next(rows)
        record = {name: getattr(first, name) for name in EXPORT_FIELDS if name != "urls"}
        record["urls"] = [first.address, *(row.address for row in rows)] if first.address else []
        yield {name: record[name] for name in EXPORT_FIELDS}


def iter_rows(connection: Connection, **filters) -> Iterator[tuple]:
    """The same records as tuples in the order of EXPORT_FIELDS."""
    for record in iter_records(connection, **filters):
        yield tuple(record.values())
