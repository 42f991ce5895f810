"""What changed in the archive (`archiver changes`): edits and takedowns in time order, with word-level diffs.

Three kinds of change, each at its time:

- `edited`: a new version of an article (article_versions, version 2 on), at the time it was
  fetched; `fields` names what differs from the version before (title, body, date, language);
- `removed`: a takedown the next run confirmed (404, 410, redirect, not found text), at the time it
  was first seen;
- `restored`: a removed article that answered again, at the time it did.

The diff of an edit is word by word (difflib), `[-words taken out-]` and `{+words put in+}`: the
whole title, and a few words of a body's context around each change; a date or a language is
shown as `old → new`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from difflib import SequenceMatcher
from types import SimpleNamespace

from sqlalchemy import Connection, inspect, select
from sqlalchemy.orm import aliased

from archiver.archive.models import Article, ArticleVersion
from archiver.archive.revisions import VERSIONED

COLUMNS = ("at", "site", "change", "article_id", "version", "url", "title", "fields", "removal")
VERSION_COLUMNS = ("version", "fetched_at", "url", *VERSIONED)
#: Words of unchanged text kept on each side of a change in a diff.
CONTEXT = 4


@dataclass(frozen=True)
class Change:
    at: datetime
    site: str
    change: str  # edited | removed | restored
    article_id: int
    version: int | None
    url: str
    title: str | None
    fields: str | None = None  # edited: what changed, e.g. "title, body"
    removal: str | None = None  # removed: how (404, 410, redirect, not found text)
    diff: str | None = None

    def row(self, with_diff: bool = False) -> tuple:
        """The change as output rows show it (the time to the second)."""
        values = tuple(self.at.replace(microsecond=0) if name == "at" else getattr(self, name) for name in COLUMNS)
        return (*values, self.diff) if with_diff else values


def has_versions(connection: Connection) -> bool:
    """Whether the archive records versions at all (migration 0008)."""
    return inspect(connection).has_table(ArticleVersion.__tablename__)


def word_diff(old: str | None, new: str | None, context: int = CONTEXT) -> str:
    """`new` against `old`, word by word: changes marked, `context` words of what is the same around each."""
    a, b = (old or "").split(), (new or "").split()
    parts: list[str] = []
    opcodes = SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    for n, (tag, i1, i2, j1, j2) in enumerate(opcodes):
        if tag == "equal":
            same = a[i1:i2]
            first, last = n == 0, n == len(opcodes) - 1
            if len(same) > context * (int(not first) + int(not last)):
                head = [] if first else same[:context]
                tail = [] if last else same[-context:]
                parts += [*head, "…", *tail]
            else:
                parts += same
            continue
        if i2 > i1:
            parts.append(f"[-{' '.join(a[i1:i2])}-]")
        if j2 > j1:
            parts.append(f"{{+{' '.join(b[j1:j2])}+}}")
    return " ".join(part for part in parts if part)


def edit_diff(old, new) -> str:
    """The diff of one edit: a line per changed field."""
    lines = []
    for field, name in VERSIONED.items():
        before, after = getattr(old, field), getattr(new, field)
        if before == after:
            continue
        if field == "title":  # short: whole
            lines.append(f"{name}: {word_diff(before, after, context=len((before or '').split()))}")
        elif field == "body":
            lines.append(f"{name}: {word_diff(before, after)}")
        else:
            lines.append(
                f"{name}: {before if before is not None else '(none)'} → {after if after is not None else '(none)'}"
            )
    return "\n".join(lines)


def _bounds(column, since: date | None, until: date | None) -> list:
    conditions = []
    if since:
        conditions.append(column >= datetime.combine(since, time.min))
    if until:
        conditions.append(column < datetime.combine(until + timedelta(days=1), time.min))
    return conditions


def changes(
    connection: Connection,
    *,
    site: str | None = None,
    since: date | None = None,
    until: date | None = None,
    diff: bool = False,
) -> list[Change]:
    """Edits, takedowns and restorations (of `site`, from `since` to `until`, whole days), oldest first."""
    sites = [Article.site == site] if site else []
    found: list[Change] = []
    new, old = ArticleVersion, aliased(ArticleVersion)
    edits = connection.execute(
        select(
            new.article_id,
            Article.site,
            *(getattr(new, name).label(f"new_{name}") for name in VERSION_COLUMNS),
            *(getattr(old, name).label(f"old_{name}") for name in VERSION_COLUMNS),
        )
        .join(old, (old.article_id == new.article_id) & (old.version == new.version - 1))
        .join(Article, Article.id == new.article_id)
        .where(new.version > 1, *sites, *_bounds(new.fetched_at, since, until))
    ).all()
    for row in edits:
        after = SimpleNamespace(**{name: getattr(row, f"new_{name}") for name in VERSION_COLUMNS})
        before = SimpleNamespace(**{name: getattr(row, f"old_{name}") for name in VERSION_COLUMNS})
        fields = [name for field, name in VERSIONED.items() if getattr(before, field) != getattr(after, field)]
        found.append(
            Change(
                at=after.fetched_at,
                site=row.site,
                change="edited",
                article_id=row.article_id,
                version=after.version,
                url=after.url,
                title=after.title,
                fields=", ".join(fields),
                diff=edit_diff(before, after) if diff else None,
            )
        )
    takedowns = connection.execute(
        select(
            Article.id, Article.site, Article.url, Article.title, Article.versions, Article.removed_at, Article.removal
        ).where(Article.removal_confirmed_at.is_not(None), *sites, *_bounds(Article.removed_at, since, until))
    ).all()
    for row in takedowns:
        found.append(
            Change(row.removed_at, row.site, "removed", row.id, row.versions, row.url, row.title, removal=row.removal)
        )
    restorations = connection.execute(
        select(Article.id, Article.site, Article.url, Article.title, Article.versions, Article.restored_at).where(
            Article.restored_at.is_not(None), *sites, *_bounds(Article.restored_at, since, until)
        )
    ).all()
    for row in restorations:
        found.append(Change(row.restored_at, row.site, "restored", row.id, row.versions, row.url, row.title))
    order = {"edited": 0, "removed": 1, "restored": 2}
    return sorted(found, key=lambda c: (c.at, c.site, c.article_id, order[c.change], c.version or 0))
