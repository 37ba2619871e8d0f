"""notices found on each snapshot, indexed by normalised number

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "notices",
        sa.Column("id", ID, nullable=False),
        sa.Column("snapshot_id", ID, nullable=False),
        sa.Column("run_id", ID, nullable=False),
        sa.Column("site_id", ID, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("number", sa.String(200), nullable=True),
        sa.Column("raw", sa.Text(), nullable=True),
        sa.Column("valid", sa.Boolean(), nullable=True),
        sa.Column("linked", sa.Boolean(), nullable=True),
        sa.Column("source", sa.String(40), nullable=True),
        sa.Column("details", JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["snapshot_id"],
            ["snapshots.id"],
            name=op.f("fk_notices_snapshot_id_snapshots"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["crawl_runs.id"],
            name=op.f("fk_notices_run_id_crawl_runs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_notices_site_id_sites"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notices")),
    )
    op.create_index(op.f("ix_notices_number"), "notices", ["number"])
    op.create_index(op.f("ix_notices_snapshot_id"), "notices", ["snapshot_id"])
    op.create_index("ix_notices_site_run", "notices", ["site_id", "run_id"])


def downgrade() -> None:
    op.drop_table("notices")
