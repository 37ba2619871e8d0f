"""sites, crawl runs, snapshots, links

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from audit.store.models import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "crawl_runs",
        sa.Column("id", ID, nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("trigger", sa.String(20), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("options", JSON, nullable=False),
        sa.Column("stats", JSON, nullable=False),
        sa.Column("pid", sa.Integer(), nullable=True),
        sa.Column("hostname", sa.String(253), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crawl_runs")),
    )
    op.create_table(
        "sites",
        sa.Column("id", ID, nullable=False),
        sa.Column("host", sa.String(253), nullable=False),
        sa.Column("registrable_domain", sa.String(253), nullable=False),
        sa.Column("start_url", sa.String(2048), nullable=False),
        sa.Column("name", sa.String(500), nullable=True),
        sa.Column("sponsor", sa.String(500), nullable=True),
        sa.Column("district", sa.String(100), nullable=True),
        sa.Column("category", sa.String(100), nullable=True),
        sa.Column("key_unit", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("discovered_from", sa.String(253), nullable=True),
        sa.Column("discovery_depth", sa.Integer(), nullable=False),
        sa.Column("first_seen", UTCDateTime(), nullable=False),
        sa.Column("last_seen", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sites")),
        sa.UniqueConstraint("host", name=op.f("uq_sites_host")),
    )
    for column in ("category", "district", "registrable_domain", "sponsor"):
        op.create_index(op.f(f"ix_sites_{column}"), "sites", [column])

    op.create_table(
        "snapshots",
        sa.Column("id", ID, nullable=False),
        sa.Column("run_id", ID, nullable=False),
        sa.Column("site_id", ID, nullable=False),
        sa.Column("fetched_at", UTCDateTime(), nullable=False),
        sa.Column("outcome", sa.String(30), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("final_url", sa.String(2048), nullable=True),
        sa.Column("redirect_chain", JSON, nullable=False),
        sa.Column("headers", JSON, nullable=False),
        sa.Column("encoding", sa.String(40), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("footer_text", sa.Text(), nullable=True),
        sa.Column("content_hash", sa.String(64), nullable=True),
        sa.Column("content_length", sa.Integer(), nullable=True),
        sa.Column("elapsed_ms", sa.Float(), nullable=True),
        sa.Column("pages_fetched", sa.Integer(), nullable=False),
        sa.Column("html_gz", sa.LargeBinary(), nullable=True),
        sa.Column("html_truncated", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["crawl_runs.id"],
            name=op.f("fk_snapshots_run_id_crawl_runs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_snapshots_site_id_sites"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_snapshots")),
        sa.UniqueConstraint("run_id", "site_id", name="uq_snapshots_run_site"),
    )
    op.create_index(op.f("ix_snapshots_outcome"), "snapshots", ["outcome"])
    op.create_index("ix_snapshots_site_run", "snapshots", ["site_id", "run_id"])

    op.create_table(
        "links",
        sa.Column("id", ID, nullable=False),
        sa.Column("run_id", ID, nullable=False),
        sa.Column("site_id", ID, nullable=False),
        sa.Column("target_host", sa.String(253), nullable=False),
        sa.Column("target_url", sa.String(2048), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["crawl_runs.id"],
            name=op.f("fk_links_run_id_crawl_runs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_links_site_id_sites"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_links")),
        sa.UniqueConstraint("run_id", "site_id", "target_host", name="uq_links_run_site_target"),
    )
    op.create_index(op.f("ix_links_target_host"), "links", ["target_host"])


def downgrade() -> None:
    op.drop_table("links")
    op.drop_table("snapshots")
    op.drop_table("sites")
    op.drop_table("crawl_runs")
