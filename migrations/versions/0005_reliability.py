"""listing walks: how far each listing walk got, so that a crawl cut short is resumed

The table `listing_walks` holds one row per (site, start listing): the pages the last run walked,
the URLs of the last listing pages it reached, and whether the walk ended on its own terms.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "listing_walks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site", sa.String(length=64), nullable=False),
        sa.Column("start_url", sa.String(length=2048), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("trail", sa.JSON(), nullable=True),
        sa.Column("finished", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listing_walks")),
        sa.UniqueConstraint("site", "start_url", name=op.f("uq_listing_walks_site_start_url")),
    )


def downgrade() -> None:
    op.drop_table("listing_walks")
