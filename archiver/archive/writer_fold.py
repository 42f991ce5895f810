"""The archive writer's careful path for one article page (archiver/archive/writer.py): a repost folded
into its archived story, an edit kept as a version, a moved story given its own article, translation
groups joined, teaser twins tied, insert races settled.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select, true

from archiver.archive import revisions, translations
from archiver.archive.dialect import dialect_insert
from archiver.archive.models import Article, ArticleUrl, ListingEntry, utcnow
from archiver.archive.writer_base import ARTICLE_FIELDS, WriterBase, version_key
from archiver.items import ArticleItem


class ArticleFoldWriter(WriterBase):
    """One article page at a time into the archive (see the module)."""

    def add_article(self, item: ArticleItem) -> Article | None:
        """Store one fetched article page, folding it into an archived story when it is a repost."""
        if not item.body:
            self.counts["articles/skipped_no_body"] += 1
            return None
        self.lock_sites([item.site])
        listed_on = item.published_on or self.session.scalar(
            select(ListingEntry.listed_on).where(ListingEntry.site == item.site, ListingEntry.article_url == item.url)
        )
        address = self.session.scalar(select(ArticleUrl).where(ArticleUrl.url == item.url))
        same_body = self.session.scalar(
            select(Article).where(Article.site == item.site, Article.content_hash == item.content_hash)
        )
        current = self.session.get(Article, address.article_id) if address else None
        old_listed_on = address.listed_on if address is not None else None
        # An address fetched before whose page now says much the same: an edit, kept in its article
        # (archiver/archive/revisions.py) even where another article has the new body.
        edited = (
            current is not None
            and address is not None
            and address.fetched
            and current.content_hash != item.content_hash
            and revisions.is_edit(current.title, current.body, item.title, item.body)
        )
        if edited:
            target = current
        elif current is not None and current.content_hash != item.content_hash and same_body is None:
            # Either the site changed the text of this address (edit the article in place), or the
            # address now serves another story than the one its other addresses still hold, or it
            # was tied to a story by its teaser and its body says otherwise (a new article).
            target = current if current.url == item.url and not self._other_fetched(current, item.url) else None
        else:
            target = same_body or current
        if target is None and current is not None:
            self._release(current, item.url, keep_address=True)  # free articles.url for the new story
        target, created = (target, False) if target is not None else self._create_article(item)

        newly_attached = address is None or address.article_id != target.id
        refetched = address is not None and address.fetched and not newly_attached
        if address is None:
            self._insert_url(item.url, target.id, listed_on, fetched=True)
        else:
            address.article_id = target.id
            address.listed_on = listed_on
            address.fetched = True
        self.session.flush()
        if current is not None and current.id != target.id:
            self._release(current, item.url)

        defines_text = target.url == item.url or version_key(listed_on, item.url) <= version_key(
            self._listed_on(target.url), target.url
        )
        version = None
        if defines_text:
            if refetched and self.record_versions and target.url == item.url:
                version = revisions.new_version(target, item, listed_on, old_listed_on)
            # Another article with this body keeps the (site, content_hash) key: an edit takes no key.
            hash_taken = same_body is not None and same_body.id != target.id
            changed = self._copy_fields(target, item, keep_hash=hash_taken)
            target.url = item.url
            if changed and refetched:  # the site changed what this address serves
                self.counts["articles/updated"] += 1
        if not created and newly_attached:
            self.counts["articles/folded"] += 1
        target.last_seen_at = utcnow()
        article_id = target.id  # read before _refresh_dates expires every object (a reload each)
        if version is not None:
            revisions.record_version(self.session, article_id, *version, item, first_seen_at=target.first_seen_at)
            self.counts["articles/edited"] += 1
        self._join_translations(article_id, item)
        self._refresh_dates(article_id)
        self._tie_teaser_twins(item.site, item.url, article_id)
        self.check_teasers(
            self.session.scalars(
                select(ListingEntry).where(ListingEntry.site == item.site, ListingEntry.article_url == item.url)
            ).all()
        )
        return target

    def _join_translations(self, article_id: int, item: ArticleItem) -> None:
        """One `translation_group` for all archived language versions of the item's story."""
        if not item.translation_urls:
            return  # a site without language versions (a site with them lists at least the page itself)
        self.counts["translation_links/new"] += translations.record_links(
            self.session, item.site, item.url, item.translation_urls
        )
        _, merged = translations.join_group(self.session, article_id)
        if merged:
            self.counts["translation_groups/merged"] += 1
        self.session.expire_all()

    def _tie_teaser_twins(self, site: str, url: str, article_id: int) -> None:
        """Entries not yet fetched whose teaser and source equal this address's entry: the same story."""
        entry = self.session.scalar(
            select(ListingEntry).where(ListingEntry.site == site, ListingEntry.article_url == url)
        )
        if entry is None or not entry.teaser_key:
            return
        twins = self.session.scalars(
            select(ListingEntry).where(
                ListingEntry.site == site,
                ListingEntry.teaser_key == entry.teaser_key,
                ListingEntry.source.is_not_distinct_from(entry.source),
                ListingEntry.article_id.is_(None),
            )
        ).all()
        for twin in twins:
            twin.article_id = article_id
            self._insert_url(twin.article_url, article_id, twin.listed_on, fetched=False)
            self.counts["article_urls/folded_by_teaser"] += 1
        if twins:
            self._refresh_dates(article_id)

    def _create_article(self, item: ArticleItem) -> tuple[Article, bool]:
        """A new article for the item, unless a concurrent writer just stored its body: then that one."""
        self.session.flush()
        now = utcnow()
        stmt = (
            dialect_insert(self.session, Article)
            .values(
                site=item.site,
                url=item.url,
                first_seen_at=now,
                last_seen_at=now,
                **{name: getattr(item, name) for name in ARTICLE_FIELDS},
            )
            .on_conflict_do_nothing()
            .returning(Article.id)
        )
        new_id = self.session.execute(stmt).scalar()
        if new_id is not None:
            self.counts["articles/new"] += 1
            article = self.session.get(Article, new_id)
            assert article is not None  # inserted just above, in this transaction
            return article, True
        existing = self.session.scalar(
            select(Article).where(Article.site == item.site, Article.content_hash == item.content_hash)
        ) or self.session.scalar(select(Article).where(Article.url == item.url))
        if existing is None:
            raise RuntimeError(f"article insert for {item.url} conflicted with a row that is gone")
        self.counts["articles/insert_conflicts"] += 1
        return existing, False

    def _copy_fields(self, article: Article, item: ArticleItem, *, keep_hash: bool = False) -> bool:
        changed = False
        for name in ARTICLE_FIELDS:
            value = getattr(item, name)
            if name == "content_hash" and keep_hash:
                value = None
            if getattr(article, name) != value:
                setattr(article, name, value)
                changed = True
        return changed

    def _listed_on(self, url: str) -> date | None:
        return self.session.scalar(select(ArticleUrl.listed_on).where(ArticleUrl.url == url))

    def _other_fetched(self, article: Article, url: str) -> bool:
        return bool(
            self.session.scalar(
                select(func.count()).where(
                    ArticleUrl.article_id == article.id, ArticleUrl.url != url, ArticleUrl.fetched.is_(True)
                )
            )
        )

    def _release(self, article: Article, url: str, *, keep_address: bool = False) -> None:
        """`url` leaves `article`: drop the article if it has no address left, else let go of `url`."""
        left = self.session.execute(
            select(ArticleUrl.listed_on, ArticleUrl.url).where(
                ArticleUrl.article_id == article.id, ArticleUrl.url != url if keep_address else true()
            )
        ).all()
        if keep_address and not left:
            return
        if not left:
            self.session.delete(article)
            self.session.flush()
            return
        if article.url == url:
            article.url = min(left, key=lambda row: version_key(*row)).url
        self.session.flush()
        if not keep_address:
            self._refresh_dates(article.id)
