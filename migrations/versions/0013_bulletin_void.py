"""bulletins can be withdrawn: voided_at, voided_by, void_reason

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05

An issue sent in error could not be withdrawn: its month could only be issued again under
the same number, and its first files were replaced without a trace. A withdrawn issue now
keeps its row and its number (never given again); the month may be issued anew, under the
next number, so a month has at most one issue in force.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from audit.store.models import UTCDateTime

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

IN_FORCE = sa.text("voided_at IS NULL")


def upgrade() -> None:
    with op.batch_alter_table("bulletins") as batch:
        batch.add_column(sa.Column("voided_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("voided_by", sa.String(100), nullable=True))
        batch.add_column(sa.Column("void_reason", sa.Text(), nullable=True))
        batch.drop_constraint("uq_bulletins_period", type_="unique")
    op.create_index(
        "uq_bulletins_period_in_force", "bulletins", ["period"], unique=True,
        sqlite_where=IN_FORCE, postgresql_where=IN_FORCE,
    )  # fmt: skip


def downgrade() -> None:
    # One row per month cannot hold withdrawn issues beside the ones in force: refuse
    # rather than drop their record.
    withdrawn = op.get_bind().scalar(
        sa.text("SELECT count(*) FROM bulletins WHERE voided_at IS NOT NULL")
    )
    if withdrawn:
        raise RuntimeError(
            f"{withdrawn} withdrawn bulletin(s) are recorded; the schema before 0013 cannot "
            "hold them (one row per month): export them before going back"
        )
    op.drop_index("uq_bulletins_period_in_force", table_name="bulletins")
    with op.batch_alter_table("bulletins") as batch:
        batch.create_unique_constraint("uq_bulletins_period", ["period"])
        batch.drop_column("void_reason")
        batch.drop_column("voided_by")
        batch.drop_column("voided_at")
