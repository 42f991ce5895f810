"""version datelines: a changed dateline is an edit, and every version keeps its own

`article_versions` gains `dateline`, the dateline line as the version's page printed it (RSTV's
"September 10, Moscow (RSTV)"; archiver/archive/revisions.py counts a changed dateline as a new
version, as a changed title, body, date or language is). Versions stored before this revision did
not record it: each takes its article's dateline (the one the archive showed); `archiver reparse`
re-derives every version's dateline from its stored page. Added in place (no table rebuild), so
the full-text triggers of 0008 stay as they are.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("article_versions", sa.Column("dateline", sa.Text(), nullable=True))
    op.execute(
        "UPDATE article_versions SET dateline = "
        "(SELECT articles.dateline FROM articles WHERE articles.id = article_versions.article_id)"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":  # a batch rebuild would drop the full-text triggers
        op.execute("ALTER TABLE article_versions DROP COLUMN dateline")
    else:
        op.drop_column("article_versions", "dateline")
