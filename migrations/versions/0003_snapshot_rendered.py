"""snapshots.rendered: the page was rendered in a browser

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("snapshots") as batch:
        batch.add_column(
            sa.Column("rendered", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    # Native DROP COLUMN (SQLite >= 3.35), not a batch copy: dropping the old snapshots
    # table would cascade to what points at it (see 0006).
    op.drop_column("snapshots", "rendered")
