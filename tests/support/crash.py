"""Checks of a test archive's soundness after crashes and concurrent runs, and the slow site they run on."""

from __future__ import annotations

from tests.support.archive import query, scalar
from tests.support.faultserver import Fault, mirror_routes, sample_article

ARTICLES = 45  # one source: its listing page and four "load more" fragments; the feed holds 20
DELAY = 0.05  # seconds per response
SLOW = ["-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2", "-s", "ARCHIVER_STORE_BATCH=25"]

#: Natural keys: no table may hold two rows for one of these.
NATURAL_KEYS = {
    "articles": ["site, content_hash", "url"],
    "article_urls": ["url"],
    "listing_entries": ["site, article_url"],
    "page_bodies": ["sha256"],
    "pages": ["url, fetched_at, crawl_run_id"],
}


def archive_problems(db_url: str) -> list[str]:
    """Everything wrong with an archive's integrity (an empty list when it is sound)."""
    problems = []
    checks = [row[0] for row in query(db_url, "PRAGMA integrity_check")]
    if checks != ["ok"]:
        problems.append(f"integrity_check: {checks}")
    if fk := query(db_url, "PRAGMA foreign_key_check"):
        problems.append(f"foreign_key_check: {fk[:5]}")
    tables = {name for (name,) in query(db_url, "SELECT name FROM sqlite_master WHERE type = 'table'")}
    for table, keys in NATURAL_KEYS.items():
        if table not in tables:
            continue
        for key in keys:
            dupes = query(db_url, f"SELECT {key}, COUNT(*) FROM {table} GROUP BY {key} HAVING COUNT(*) > 1")
            if dupes:
                problems.append(f"{table} ({key}) duplicated: {dupes[:3]}")
    if "articles_fts" in tables:
        indexed = scalar(db_url, "SELECT COUNT(*) FROM articles_fts")
        articles = scalar(db_url, "SELECT COUNT(*) FROM articles")
        if indexed != articles:
            problems.append(f"articles_fts holds {indexed} rows for {articles} articles")
    orphans = scalar(
        db_url,
        "SELECT COUNT(*) FROM articles a WHERE NOT EXISTS (SELECT 1 FROM article_urls u WHERE u.article_id = a.id)",
    )
    if orphans:
        problems.append(f"{orphans} articles without an address")
    empty = scalar(db_url, "SELECT COUNT(*) FROM articles WHERE body IS NULL OR trim(body) = ''")
    if empty:
        problems.append(f"{empty} articles without a body")
    return problems


def snapshots_missing(db_url: str) -> int:
    """Archived addresses without a stored page (issue 25: a kill must not lose snapshots for good)."""
    return scalar(
        db_url,
        "SELECT COUNT(*) FROM article_urls u WHERE u.fetched AND NOT EXISTS (SELECT 1 FROM pages p WHERE p.url = u.url)",
    )


def archived_exactly_once(db_url: str, base_url: str, articles) -> list[str]:
    """What is missing or doubled, compared with the site's articles (an empty list when all is well)."""
    problems = []
    stored = query(
        db_url, "SELECT u.url, COUNT(DISTINCT u.article_id) FROM article_urls u WHERE u.fetched GROUP BY u.url"
    )
    stored = dict(stored)
    for article in articles:
        url = base_url + article.path
        if stored.get(url) != 1:
            problems.append(f"{article.slug}: {stored.get(url, 0)} articles")
    if (count := scalar(db_url, "SELECT COUNT(*) FROM articles")) != len(articles):
        problems.append(f"{count} articles for {len(articles)} on the site")
    if (count := scalar(db_url, "SELECT COUNT(*) FROM listing_entries WHERE article_id IS NOT NULL")) != len(articles):
        problems.append(f"{count} listing entries tied to an article, for {len(articles)}")
    return problems


def slow_site():
    articles = [sample_article(n) for n in range(ARTICLES)]
    routes = {
        path: Fault(page.body, page.content_type, page.status, page.headers, delay=DELAY)
        for path, page in mirror_routes(articles).items()
    }
    return routes, articles
