"""sites discovered through links await an analyst's acceptance

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-09

Existing sites are backfilled as accepted, so that nothing changes for an existing
database: inventory sites by "inventory", sites discovered before this revision (which
were crawled regularly) by "migration 0008", so that an analyst can tell they were never
reviewed. Their accepted_at is the moment the bulletins counted them from (the earlier
of first_seen and the start of their first crawl), so that past bulletins keep their
figures.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from audit.store.models import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
COLUMNS = ("accepted_at", "accepted_by", "discovery_run_id")


def upgrade() -> None:
    # Plain ADD COLUMN on both backends (no batch copy of sites: see downgrade).
    op.add_column("sites", sa.Column("accepted_at", UTCDateTime(), nullable=True))
    op.add_column("sites", sa.Column("accepted_by", sa.String(100), nullable=True))
    op.add_column("sites", sa.Column("discovery_run_id", ID, nullable=True))
    sites = sa.table(
        "sites",
        sa.column("id"),
        sa.column("source"),
        sa.column("first_seen"),
        sa.column("accepted_at"),
        sa.column("accepted_by"),
    )
    snapshots = sa.table("snapshots", sa.column("site_id"), sa.column("run_id"))
    runs = sa.table("crawl_runs", sa.column("id"), sa.column("started_at"))
    first_crawl = (
        sa.select(sa.func.min(runs.c.started_at))
        .select_from(snapshots.join(runs, runs.c.id == snapshots.c.run_id))
        .where(snapshots.c.site_id == sites.c.id)
        .scalar_subquery()
    )
    # Both backends compare these timestamps in time order (SQLite keeps them as ISO text).
    known_since = sa.case((first_crawl < sites.c.first_seen, first_crawl), else_=sites.c.first_seen)
    op.execute(
        sites.update().values(
            accepted_at=known_since,
            accepted_by=sa.case(
                (sites.c.source == "inventory", "inventory"), else_="migration 0008"
            ),
        )
    )


def downgrade() -> None:
    # Native DROP COLUMN (SQLite >= 3.35), not a batch copy: SQLite would drop the old
    # sites table, and with foreign keys on, that DROP cascades to every snapshot.
    for column in reversed(COLUMNS):
        op.drop_column("sites", column)
