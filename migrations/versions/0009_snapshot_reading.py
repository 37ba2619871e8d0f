"""snapshots.reading: how well the homepage was read; the footer files it pulled in

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04

``reading`` is complete, partial or unread (audit/page/reading.py); ``reading_gaps`` what kept a
reading partial; ``includes`` the same-site files read for the footer (frames, footer
scripts, loaded fragments) with their outcome. Snapshots taken before this revision were
judged as complete readings, and stay so.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    # Plain ADD COLUMN, not a batch copy: on SQLite a batch rebuild of snapshots would
    # drop and recreate the table under the findings that point at it.
    op.add_column(
        "snapshots",
        sa.Column("reading", sa.String(10), nullable=False, server_default="complete"),
    )
    op.add_column("snapshots", sa.Column("reading_gaps", JSON, nullable=False, server_default="[]"))
    op.add_column("snapshots", sa.Column("includes", JSON, nullable=False, server_default="[]"))


def downgrade() -> None:
    for column in ("includes", "reading_gaps", "reading"):
        op.drop_column("snapshots", column)
