"""translation links; listing category, views and comments; RSTV rows of the imagined host set apart

- `translation_links`: one row per language link a page printed (`from_url` names `to_url` as a
  version of its story), so a translation group can be rebuilt from both ends of a one-way link
  whatever order the pages were stored in. `to_status` is the HTTP status a linked version answered
  when it could not be archived (404), else NULL.
- `listing_details`: what a listing line says beyond `listing_entries` (RSTV's category, views and
  comment count), one row per (site, article URL). A table of its own, not new columns: SQLite's
  ALTER TABLE on `listing_entries` would disturb the FTS triggers' table and older-revision tests.
- Rows the first RSTV spider stored from the host it was built for by mistake
  (`rstv.ucoz.net`, a uCoz *news* module that is not the real site) move from site `rstv` to site
  `rstv-ucoz`: they stay readable but no longer mix with the real site's rows (docs/sites.md).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

OLD_SITE, LEGACY_SITE = "rstv", "rstv-ucoz"
OLD_HOST_URLS = ("http://rstv.ucoz.net/%", "https://rstv.ucoz.net/%")
# (table, URL column) of every table whose rows name a site.
SITE_TABLES = (
    ("articles", "url"),
    ("listing_entries", "article_url"),
    ("pages", "url"),
)  # before listing_details exists


def upgrade() -> None:
    op.create_table(
        "translation_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site", sa.String(length=64), nullable=False),
        sa.Column("from_url", sa.String(length=2048), nullable=False),
        sa.Column("to_url", sa.String(length=2048), nullable=False),
        sa.Column("to_status", sa.Integer(), nullable=True),
        sa.Column("first_seen_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_translation_links")),
        sa.UniqueConstraint("from_url", "to_url", name=op.f("uq_translation_links_from_url_to_url")),
    )
    op.create_index(op.f("ix_translation_links_to_url"), "translation_links", ["to_url"], unique=False)
    op.create_table(
        "listing_details",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site", sa.String(length=64), nullable=False),
        sa.Column("article_url", sa.String(length=2048), nullable=False),
        sa.Column("category", sa.String(length=200), nullable=True),
        sa.Column("views", sa.Integer(), nullable=True),
        sa.Column("comments", sa.Integer(), nullable=True),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listing_details")),
        sa.UniqueConstraint("site", "article_url", name=op.f("uq_listing_details_site_article_url")),
    )
    for table, column in SITE_TABLES:
        op.execute(
            sa.text(
                f"UPDATE {table} SET site = :legacy WHERE site = :old AND ({column} LIKE :http OR {column} LIKE :https)"
            ).bindparams(legacy=LEGACY_SITE, old=OLD_SITE, http=OLD_HOST_URLS[0], https=OLD_HOST_URLS[1])
        )


def downgrade() -> None:
    for table, _column in SITE_TABLES:
        op.execute(
            sa.text(f"UPDATE {table} SET site = :old WHERE site = :legacy").bindparams(legacy=LEGACY_SITE, old=OLD_SITE)
        )
    op.drop_table("listing_details")
    op.drop_index(op.f("ix_translation_links_to_url"), table_name="translation_links")
    op.drop_table("translation_links")
