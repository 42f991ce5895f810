"""article dates kept apart: the latest update a page states, and the date candidates behind both

`articles.modified_on` holds the latest update a page states, apart from `published_on` (the first
publication); `articles.date_candidates` (JSON) every date the page stated for itself, as read: what
the two were chosen from, or why they were left empty (docs/research.md).

Revision ID: 0007
Revises: 0005
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (no table rebuild): the full-text triggers on `articles` stay as they are.
    op.add_column("articles", sa.Column("modified_on", sa.Date(), nullable=True))
    op.add_column("articles", sa.Column("date_candidates", sa.JSON(), nullable=True))


def downgrade() -> None:
    for column in ("date_candidates", "modified_on"):
        if op.get_bind().dialect.name == "sqlite":  # a batch rebuild would drop the full-text triggers
            op.execute(f"ALTER TABLE articles DROP COLUMN {column}")
        else:
            op.drop_column("articles", column)
