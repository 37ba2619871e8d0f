"""rectification_notices: each 整改通知 issued, with its number, findings and file

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05

A notice was a file and nothing else: nobody could list what was sent to whom, numbers
were typed by hand, and the findings it covered stayed as they were. Now issuing a
notice records it here and moves its findings to notified in the same transaction.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from audit.store.models import UTCDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "rectification_notices",
        sa.Column("id", ID, nullable=False),
        sa.Column("number", sa.String(100), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("serial", sa.Integer(), nullable=True),
        sa.Column("addressee", sa.String(200), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("issued_at", UTCDateTime(), nullable=False),
        sa.Column("issued_by", sa.String(100), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("hosts", JSON, nullable=False),
        sa.Column("finding_ids", JSON, nullable=False),
        sa.Column("content", JSON, nullable=False),
        sa.Column("file_path", sa.Text(), nullable=False),
        sa.Column("file_sha256", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_rectification_notices"),
        sa.UniqueConstraint("number", name="uq_rectification_notices_number"),
        sa.UniqueConstraint("year", "serial", name="uq_rectification_notices_year_serial"),
    )


def downgrade() -> None:
    op.drop_table("rectification_notices")
