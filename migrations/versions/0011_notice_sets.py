"""notice_sets: each page's notices stored once, however many snapshots showed them

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05

Each snapshot had its own notice rows (``notices.snapshot_id``, with its run and site),
written again on every crawl although most footers do not change: after the page bodies
(0010), the largest part of what a repeat crawl added. A snapshot now names a set of
notices (``snapshots.notice_set_id``), stored once per content and keyed by the SHA-256 of
its notices in page order; a notice belongs to its set (``notices.set_id``). The upgrade
groups the existing notices by snapshot, keeps one copy of each distinct set and deletes
the others, in batches; the downgrade gives every snapshot its own rows again.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

BATCH = 2000  # snapshots per round trip
FIELDS = ("kind", "number", "raw", "valid", "linked", "source", "details")
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

snapshots = sa.table(
    "snapshots",
    sa.column("id", sa.BigInteger),
    sa.column("run_id", sa.BigInteger),
    sa.column("site_id", sa.BigInteger),
    sa.column("notice_set_id", sa.BigInteger),
)
notice_sets = sa.table(
    "notice_sets", sa.column("id", sa.BigInteger), sa.column("sha256", sa.String)
)
notices = sa.table(
    "notices",
    sa.column("id", sa.BigInteger),
    sa.column("set_id", sa.BigInteger),
    sa.column("snapshot_id", sa.BigInteger),
    sa.column("run_id", sa.BigInteger),
    sa.column("site_id", sa.BigInteger),
    sa.column("kind", sa.String),
    sa.column("number", sa.String),
    sa.column("raw", sa.Text),
    sa.column("valid", sa.Boolean),
    sa.column("linked", sa.Boolean),
    sa.column("source", sa.String),
    sa.column("details", JSON),
)


def set_key(rows: list[dict[str, Any]]) -> str:
    """As audit/store/notice_sets.py's notice_set_key (frozen here: a later change of that
    key only stops old and new sets from being shared, it breaks nothing)."""
    content = [[row.get(field) for field in FIELDS] for row in rows]
    text = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                      default=str)  # fmt: skip
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def upgrade() -> None:
    op.create_table(
        "notice_sets",
        sa.Column("id", ID, primary_key=True),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_notice_sets"),
        sa.UniqueConstraint("sha256", name="uq_notice_sets_sha256"),
    )
    # Plain ADD COLUMN on snapshots (no batch rebuild: findings point at it), no foreign key.
    op.add_column("snapshots", sa.Column("notice_set_id", sa.BigInteger(), nullable=True))
    op.create_index("ix_snapshots_notice_set_id", "snapshots", ["notice_set_id"])
    op.add_column("notices", sa.Column("set_id", ID, nullable=True))
    connection = op.get_bind()
    known: dict[str, int] = {}
    after = 0
    while True:
        ids = connection.execute(
            sa.select(notices.c.snapshot_id)
            .distinct()
            .where(notices.c.snapshot_id > after)
            .order_by(notices.c.snapshot_id)
            .limit(BATCH)
        ).scalars().all()  # fmt: skip
        if not ids:
            break
        by_snapshot: dict[int, list[dict[str, Any]]] = {}
        query = (
            sa.select(notices.c.snapshot_id, *(notices.c[name] for name in FIELDS))
            .where(notices.c.snapshot_id.in_(ids))
            .order_by(notices.c.snapshot_id, notices.c.id)
        )
        for row in connection.execute(query).mappings():
            by_snapshot.setdefault(row["snapshot_id"], []).append(dict(row))
        for snapshot_id, rows in by_snapshot.items():
            key = set_key(rows)
            of_snapshot = notices.c.snapshot_id == snapshot_id
            if key in known:  # shown before: this snapshot's copy goes
                connection.execute(notices.delete().where(of_snapshot))
            else:
                known[key] = connection.execute(
                    notice_sets.insert().values(sha256=key).returning(notice_sets.c.id)
                ).scalar_one()
                connection.execute(notices.update().where(of_snapshot).values(set_id=known[key]))
            connection.execute(
                snapshots.update()
                .where(snapshots.c.id == snapshot_id)
                .values(notice_set_id=known[key])
            )
        after = ids[-1]
    with op.batch_alter_table("notices") as batch:
        batch.drop_index("ix_notices_site_run")
        batch.drop_index("ix_notices_snapshot_id")
        batch.drop_constraint("fk_notices_snapshot_id_snapshots", type_="foreignkey")
        batch.drop_constraint("fk_notices_run_id_crawl_runs", type_="foreignkey")
        batch.drop_constraint("fk_notices_site_id_sites", type_="foreignkey")
        batch.drop_column("snapshot_id")
        batch.drop_column("run_id")
        batch.drop_column("site_id")
        batch.alter_column("set_id", existing_type=ID, nullable=False)
        batch.create_foreign_key(
            "fk_notices_set_id_notice_sets", "notice_sets", ["set_id"], ["id"], ondelete="CASCADE"
        )
        batch.create_index("ix_notices_set_id", ["set_id"])


def downgrade() -> None:
    with op.batch_alter_table("notices") as batch:
        batch.add_column(sa.Column("snapshot_id", ID, nullable=True))
        batch.add_column(sa.Column("run_id", ID, nullable=True))
        batch.add_column(sa.Column("site_id", ID, nullable=True))
        batch.alter_column("set_id", existing_type=ID, nullable=True)
    connection = op.get_bind()
    # every snapshot gets its own copy of its set's notices; then the sets' rows go
    named = (
        sa.select(
            snapshots.c.id, snapshots.c.run_id, snapshots.c.site_id,
            *(notices.c[name] for name in FIELDS),
        )
        .join(notices, notices.c.set_id == snapshots.c.notice_set_id)
        .order_by(snapshots.c.id, notices.c.id)
    )  # fmt: skip
    after = 0
    while True:
        rows = connection.execute(named.where(snapshots.c.id > after).limit(BATCH * 4)).all()
        if not rows:
            break
        last = rows[-1][0]
        if len(rows) == BATCH * 4:  # a snapshot cut by the limit is read whole next time
            rows = [row for row in rows if row[0] != last] or rows
            last = rows[-1][0]
        copies = [
            {"snapshot_id": row[0], "run_id": row[1], "site_id": row[2], "set_id": None}
            | dict(zip(FIELDS, row[3:], strict=True))
            for row in rows
        ]
        connection.execute(notices.insert(), copies)
        after = last
    connection.execute(notices.delete().where(notices.c.snapshot_id.is_(None)))
    with op.batch_alter_table("notices") as batch:
        batch.drop_index("ix_notices_set_id")
        batch.drop_constraint("fk_notices_set_id_notice_sets", type_="foreignkey")
        batch.drop_column("set_id")
        for name in ("snapshot_id", "run_id", "site_id"):
            batch.alter_column(name, existing_type=ID, nullable=False)
        batch.create_foreign_key(
            "fk_notices_snapshot_id_snapshots", "snapshots", ["snapshot_id"], ["id"],
            ondelete="CASCADE",
        )  # fmt: skip
        batch.create_foreign_key(
            "fk_notices_run_id_crawl_runs", "crawl_runs", ["run_id"], ["id"], ondelete="CASCADE"
        )
        batch.create_foreign_key(
            "fk_notices_site_id_sites", "sites", ["site_id"], ["id"], ondelete="CASCADE"
        )
        batch.create_index("ix_notices_snapshot_id", ["snapshot_id"])
        batch.create_index("ix_notices_site_run", ["site_id", "run_id"])
    op.drop_index("ix_snapshots_notice_set_id", table_name="snapshots")
    op.drop_column("snapshots", "notice_set_id")
    op.drop_table("notice_sets")
