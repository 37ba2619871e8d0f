"""triage fields of findings and events; the imported filing registry

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from audit.store.models import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("findings") as batch:
        batch.add_column(sa.Column("deadline", sa.Date(), nullable=True))
        batch.add_column(sa.Column("accepted_until", sa.Date(), nullable=True))
        batch.add_column(sa.Column("suppressed_evidence", sa.String(64), nullable=True))
    with op.batch_alter_table("finding_events") as batch:
        batch.add_column(sa.Column("deadline", sa.Date(), nullable=True))
    op.create_table(
        "registry_records",
        sa.Column("id", ID, nullable=False),
        sa.Column("number", sa.String(200), nullable=False),
        sa.Column("main_number", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(40), nullable=True),
        sa.Column("domains", JSON, nullable=False),
        sa.Column("sponsor", sa.String(500), nullable=True),
        sa.Column("approved_on", sa.Date(), nullable=True),
        sa.Column("source_file", sa.String(500), nullable=True),
        sa.Column("source_line", sa.Integer(), nullable=True),
        sa.Column("imported_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_records")),
        sa.UniqueConstraint("number", name=op.f("uq_registry_records_number")),
    )
    op.create_index(op.f("ix_registry_records_main_number"), "registry_records", ["main_number"])


def downgrade() -> None:
    op.drop_table("registry_records")
    # Native DROP COLUMN (SQLite >= 3.35), not a batch copy: dropping the old findings
    # table would cascade to every finding event (see 0006).
    op.drop_column("finding_events", "deadline")
    for column in ("suppressed_evidence", "accepted_until", "deadline"):
        op.drop_column("findings", column)
