"""numbered monthly bulletins; sites taken out of the inventory

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from audit.store.models import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("sites") as batch:
        batch.add_column(sa.Column("retired_at", UTCDateTime(), nullable=True))
    op.create_table(
        "bulletins",
        sa.Column("id", ID, nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("as_of", UTCDateTime(), nullable=False),
        sa.Column("generated_at", UTCDateTime(), nullable=False),
        sa.Column("files", JSON, nullable=False),
        sa.Column("figures", JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bulletins")),
        sa.UniqueConstraint("period", name=op.f("uq_bulletins_period")),
        sa.UniqueConstraint("year", "number", name="uq_bulletins_year_number"),
    )
    # the bulletin looks up a finding's events by run and by time
    op.create_index("ix_finding_events_run_id", "finding_events", ["run_id"])


def downgrade() -> None:
    op.drop_index("ix_finding_events_run_id", table_name="finding_events")
    op.drop_table("bulletins")
    # Native DROP COLUMN (SQLite >= 3.35), not a batch copy: SQLite would drop the old
    # sites table, and with foreign keys on, that DROP cascades to every snapshot.
    op.drop_column("sites", "retired_at")
