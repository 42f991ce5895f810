"""sources: every source, module and category ever seen; how far each listing walk reached

- `sources`: one row per (site, listing URL): a KCNA Watch source listing `/article/ID/`, an RSTV
  module (`/news/`) or category; its name, its "load more" source id when known and where that was
  found, the page that linked it first, first and last seen. Later runs and backfills start from
  every source ever seen; `archiver coverage` names those never walked.
- `listing_walks` gains the dates the last walk saw (`oldest_on`, `newest_on`), how it ended
  (`ended`), and the dates the walks have covered without a gap (`covered_from`, `covered_to`).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

WALK_COLUMNS = ("oldest_on", "newest_on", "ended", "covered_from", "covered_to")


def upgrade() -> None:
    op.create_table(
        "sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("source_id", sa.String(length=64), nullable=True),
        sa.Column("source_id_from", sa.String(length=32), nullable=True),
        sa.Column("found_on", sa.String(length=2048), nullable=True),
        sa.Column("first_seen_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sources")),
        sa.UniqueConstraint("site", "url", name=op.f("uq_sources_site_url")),
    )
    op.add_column("listing_walks", sa.Column("oldest_on", sa.Date(), nullable=True))
    op.add_column("listing_walks", sa.Column("newest_on", sa.Date(), nullable=True))
    op.add_column("listing_walks", sa.Column("ended", sa.String(length=32), nullable=True))
    op.add_column("listing_walks", sa.Column("covered_from", sa.Date(), nullable=True))
    op.add_column("listing_walks", sa.Column("covered_to", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("listing_walks") as batch:
        for column in WALK_COLUMNS:
            batch.drop_column(column)
    op.drop_table("sources")
