"""The archive writer's batch path for article pages (archiver/archive/writer.py): new stories at new
addresses and addresses fetched again that alone hold their story, written for the whole batch in a
few set-based statements; every other item goes the careful way (archiver/archive/writer_fold.py).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

from sqlalchemy import BindParameter, Row, Table, bindparam, func, select, update

from archiver.archive import revisions
from archiver.archive.dialect import dialect_insert
from archiver.archive.models import Article, ArticleUrl, ListingEntry, utcnow
from archiver.archive.writer_base import ARTICLE_FIELDS, among, chunks, teaser_verdict
from archiver.archive.writer_fold import ArticleFoldWriter
from archiver.items import ArticleItem


@dataclass
class Planned:
    """An article item of a batch on its way through the bulk writes."""

    n: int  # its place in the batch
    item: ArticleItem
    listed_on: date | None
    entry: Row | None  # its listing entry, as the batch found it
    article_id: int | None = None
    held: Row | None = None  # (again) the stored article, as the batch found it
    refetched: bool = False


class BulkArticleWriter(ArticleFoldWriter):
    """Batches of article pages into the archive (see the module)."""

    def add_articles(self, items: Sequence[ArticleItem]) -> list[int | None]:
        """Store fetched article pages, as `add_article` on each in turn would; the ids of the articles
        they went into, in order (None: not stored).

        The two common cases are written for the whole batch with a few set-based statements: a new
        story at a new address (`fresh`), and an address fetched again that still serves the story it
        alone holds (`again`, every reparse). An item takes that way only when nothing it touches can
        depend on another item: its URL, body and teaser occur once in the batch, its teaser key on
        no other listing entry, its address has no other story. Everything else — reposts, teaser
        twins, moved stories, insert races — goes through `add_article`, after the bulk writes, which
        by the same conditions touch none of its rows.
        """
        results: list[int | None] = [None] * len(items)
        todo = [(n, item) for n, item in enumerate(items) if item.body]
        self.counts["articles/skipped_no_body"] += len(items) - len(todo)
        if not todo:
            return results
        self.lock_sites({item.site for _, item in todo})
        self.session.flush()
        fresh, again, slow = self._plan(todo)
        now = utcnow()
        if fresh:
            slow.extend(self._insert_fresh(fresh, now, results))
        if again:
            self._update_again(again, now, results)
        if fresh or again:
            self._finish_bulk([plan for plan in fresh + again if results[plan.n] is not None], now)
            self.session.expire_all()  # the ORM path below must not see rows as they were before
        for n in sorted(slow):
            article = self.add_article(items[n])
            results[n] = article.id if article is not None else None
        return results

    def _plan(self, todo: list[tuple[int, ArticleItem]]) -> tuple[list[Planned], list[Planned], list[int]]:
        """Sort the batch into (fresh, again, slow) from what the archive holds, in five queries."""
        sites = sorted({item.site for _, item in todo})
        urls = sorted({item.url for _, item in todo})
        hashes = sorted({item.content_hash for _, item in todo if item.content_hash})
        entries: dict[tuple[str, str], Row] = {}
        addresses: dict[str, Row] = {}
        bodies: dict[tuple[str, str | None], int] = {}
        taken_urls: set[str] = set()
        for part in chunks(urls):
            for row in self.session.execute(
                select(
                    ListingEntry.site,
                    ListingEntry.article_url,
                    ListingEntry.listed_on,
                    ListingEntry.teaser,
                    ListingEntry.teaser_key,
                    ListingEntry.teaser_matches,
                ).where(among(ListingEntry.site, sites), among(ListingEntry.article_url, part))
            ):
                entries[(row.site, row.article_url)] = row
            for address_row in self.session.execute(
                select(ArticleUrl.url, ArticleUrl.article_id, ArticleUrl.fetched).where(among(ArticleUrl.url, part))
            ):
                addresses[address_row.url] = address_row
            taken_urls.update(self.session.scalars(select(Article.url).where(among(Article.url, part))))
        for part in chunks(hashes):
            for body_row in self.session.execute(
                select(Article.id, Article.site, Article.content_hash).where(
                    among(Article.site, sites), among(Article.content_hash, part)
                )
            ):
                bodies[(body_row.site, body_row.content_hash)] = body_row.id
        keys = sorted({e.teaser_key for e in entries.values() if e.teaser_key})
        key_counts: Counter[tuple[str, str | None]] = Counter()
        for part in chunks(keys):
            rows = self.session.execute(
                select(ListingEntry.site, ListingEntry.teaser_key, func.count())
                .where(among(ListingEntry.site, sites), among(ListingEntry.teaser_key, part))
                .group_by(ListingEntry.site, ListingEntry.teaser_key)
            )
            key_counts.update({(site, key): count for site, key, count in rows})
        ids = sorted({row.article_id for row in addresses.values()})
        current: dict[int, Row] = {}
        address_counts: Counter[int] = Counter()
        for part in chunks(ids):
            columns = [getattr(Article, name) for name in ("id", "site", "url", "published_on", *ARTICLE_FIELDS)]
            current.update(
                {row.id: row for row in self.session.execute(select(*columns).where(among(Article.id, part)))}
            )
            address_counts.update(
                dict(
                    self.session.execute(
                        select(ArticleUrl.article_id, func.count())
                        .where(among(ArticleUrl.article_id, part))
                        .group_by(ArticleUrl.article_id)
                    ).all()
                )
            )
        url_uses = Counter(item.url for _, item in todo)
        body_uses = Counter((item.site, item.content_hash) for _, item in todo)
        fresh: list[Planned] = []
        again: list[Planned] = []
        slow: list[int] = []
        for n, item in todo:
            entry = entries.get((item.site, item.url))
            key = entry.teaser_key if entry is not None else None
            listed_on = item.published_on or (entry.listed_on if entry is not None else None)
            plan = Planned(n, item, listed_on, entry)
            alone = (
                url_uses[item.url] == 1
                and body_uses[(item.site, item.content_hash)] == 1
                and item.content_hash is not None
                and (key is None or key_counts[(item.site, key)] <= 1)
            )
            address = addresses.get(item.url)
            same_body = bodies.get((item.site, item.content_hash))
            if alone and address is None and same_body is None and item.url not in taken_urls:
                fresh.append(plan)
                continue
            held = current.get(address.article_id) if address is not None else None
            if (
                alone
                and held is not None
                and held.id == same_body
                and held.url == item.url
                and held.site == item.site
                and address_counts[held.id] == 1
                # Its only address: the article's date is that address's.
                and not (
                    self.record_versions
                    and address is not None
                    and address.fetched
                    and revisions.new_version(held, item, listed_on, held.published_on)
                )
            ):
                assert address is not None  # held was found through it
                plan.article_id, plan.held, plan.refetched = held.id, held, bool(address.fetched)
                again.append(plan)
                continue
            slow.append(n)
        return fresh, again, slow

    def _insert_fresh(self, plans: list[Planned], now, results: list[int | None]) -> list[int]:
        """New stories at new addresses: their articles and addresses; the items that lost an insert race."""
        stmt = (
            dialect_insert(self.session, Article.__table__).on_conflict_do_nothing().returning(Article.id, Article.url)
        )
        rows = [
            {
                "site": plan.item.site,
                "url": plan.item.url,
                "published_on": plan.listed_on,  # its one address's date
                "first_seen_at": now,
                "last_seen_at": now,
                **{name: getattr(plan.item, name) for name in ARTICLE_FIELDS},
            }
            for plan in plans
        ]
        created = dict((url, article_id) for article_id, url in self.session.execute(stmt, rows).all())
        lost = []
        for plan in plans:
            article_id = created.get(plan.item.url)
            if article_id is None:
                lost.append(plan.n)  # a concurrent writer stored it first: the careful path sorts it out
                continue
            plan.article_id = results[plan.n] = article_id
        stored = [plan for plan in plans if plan.article_id is not None]
        self.counts["articles/new"] += len(stored)
        if stored:
            stmt = dialect_insert(self.session, ArticleUrl.__table__).on_conflict_do_nothing(index_elements=["url"])
            self.session.execute(
                stmt,
                [
                    {
                        "url": plan.item.url,
                        "article_id": plan.article_id,
                        "listed_on": plan.listed_on,
                        "fetched": True,
                        "first_seen_at": now,
                    }
                    for plan in stored
                ],
            )
        return lost

    def _update_again(self, plans: list[Planned], now, results: list[int | None]) -> None:
        """Addresses fetched again that alone hold their story: its text and date from this fetch."""
        # Core executemany UPDATEs: the tables, typed FromClause on the models, are Tables.
        urls = cast(Table, ArticleUrl.__table__)
        self.session.execute(
            update(urls)
            .where(urls.c.url == bindparam("b_url"))
            .values(listed_on=bindparam("b_listed_on"), fetched=True),
            [{"b_url": plan.item.url, "b_listed_on": plan.listed_on} for plan in plans],
        )
        articles = cast(Table, Article.__table__)
        values: dict[str, BindParameter[Any]] = {name: bindparam(f"b_{name}") for name in ARTICLE_FIELDS}
        self.session.execute(
            update(articles)
            .where(articles.c.id == bindparam("b_id"))
            .values(**values, published_on=bindparam("b_published_on"), last_seen_at=now),
            [
                {
                    "b_id": plan.article_id,
                    "b_published_on": plan.listed_on,
                    **{f"b_{name}": getattr(plan.item, name) for name in ARTICLE_FIELDS},
                }
                for plan in plans
            ],
        )
        for plan in plans:
            results[plan.n] = plan.article_id
            changed = any(getattr(plan.held, name) != getattr(plan.item, name) for name in ARTICLE_FIELDS)
            if changed and plan.refetched:
                self.counts["articles/updated"] += 1

    def _finish_bulk(self, plans: list[Planned], now) -> None:
        """What every stored page does last: translation groups, its listing entry tied, its teaser checked."""
        for plan in plans:
            assert plan.article_id is not None  # only stored pages come here
            if plan.item.translation_urls:
                self._join_translations(plan.article_id, plan.item)
        entries = cast(Table, ListingEntry.__table__)
        tie = update(entries).where(entries.c.site == bindparam("b_site"), entries.c.article_url == bindparam("b_url"))
        plain, checked = [], []
        for plan in plans:
            if plan.entry is None:
                continue
            keys = {"b_site": plan.item.site, "b_url": plan.item.url, "b_article_id": plan.article_id}
            if not plan.entry.teaser:
                plain.append(keys)
                continue
            matches, truncated = teaser_verdict(plan.entry.teaser, plan.item.body or "")
            if not matches and plan.entry.teaser_matches is not False:
                self.counts["teaser_mismatches"] += 1
            checked.append({**keys, "b_matches": matches, "b_truncated": truncated})
        if plain:
            self.session.execute(tie.values(article_id=bindparam("b_article_id")), plain)
        if checked:
            self.session.execute(
                tie.values(
                    article_id=bindparam("b_article_id"),
                    teaser_matches=bindparam("b_matches"),
                    teaser_truncated=bindparam("b_truncated"),
                ),
                checked,
            )
