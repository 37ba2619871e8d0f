"""page_bodies: each page's HTML stored once, however many snapshots showed it

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04

A snapshot kept its page's gzipped HTML in ``snapshots.html_gz``, again on every crawl
even when the page had not changed (three quarters of the database). The HTML now lives
in ``page_bodies``, keyed by the SHA-256 of the gzipped bytes, and a snapshot names its
body (``body_sha256``). The upgrade moves the existing HTML over, in batches; the
downgrade copies it back.
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

BATCH = 500  # snapshots per round trip: pages are up to a few MB each

snapshots = sa.table(
    "snapshots",
    sa.column("id", sa.BigInteger),
    sa.column("html_gz", sa.LargeBinary),
    sa.column("body_sha256", sa.String),
)
bodies = sa.table(
    "page_bodies", sa.column("sha256", sa.String), sa.column("html_gz", sa.LargeBinary)
)


def upgrade() -> None:
    op.create_table(
        "page_bodies",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("html_gz", sa.LargeBinary(), nullable=False),
    )
    # Plain ADD COLUMN (no batch rebuild of snapshots on SQLite: findings point at it), so
    # no foreign key: SQLite cannot add one to an existing table.
    op.add_column("snapshots", sa.Column("body_sha256", sa.String(64), nullable=True))
    op.create_index("ix_snapshots_body_sha256", "snapshots", ["body_sha256"])
    connection = op.get_bind()
    known: set[str] = set()
    after = 0
    while True:
        rows = connection.execute(
            sa.select(snapshots.c.id, snapshots.c.html_gz)
            .where(snapshots.c.id > after, snapshots.c.html_gz.is_not(None))
            .order_by(snapshots.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        for snapshot_id, html_gz in rows:
            digest = hashlib.sha256(html_gz).hexdigest()
            if digest not in known:
                exists = connection.execute(
                    sa.select(bodies.c.sha256).where(bodies.c.sha256 == digest)
                ).first()
                if exists is None:
                    connection.execute(bodies.insert().values(sha256=digest, html_gz=html_gz))
                known.add(digest)
            connection.execute(
                snapshots.update().where(snapshots.c.id == snapshot_id).values(body_sha256=digest)
            )
        after = rows[-1][0]
    op.drop_column("snapshots", "html_gz")


def downgrade() -> None:
    op.add_column("snapshots", sa.Column("html_gz", sa.LargeBinary(), nullable=True))
    connection = op.get_bind()
    connection.execute(
        snapshots.update()
        .where(snapshots.c.body_sha256.is_not(None))
        .values(
            html_gz=sa.select(bodies.c.html_gz)
            .where(bodies.c.sha256 == snapshots.c.body_sha256)
            .scalar_subquery()
        )
    )
    op.drop_index("ix_snapshots_body_sha256", table_name="snapshots")
    op.drop_column("snapshots", "body_sha256")
    op.drop_table("page_bodies")
