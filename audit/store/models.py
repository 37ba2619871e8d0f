"""SQLAlchemy 2.0 typed models: the one description of the schema.

Alembic revisions in ``migrations/versions`` create it; keep them in step.
Times are stored in UTC (aware on the way out, whatever the backend keeps).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Stable constraint names, so that migrations can refer to them on every backend.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timestamp stored as UTC and returned timezone-aware on SQLite and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: store aware UTC times")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


JSONType = JSON().with_variant(JSONB(), "postgresql")
BigID = BigInteger().with_variant(Integer(), "sqlite")  # SQLite autoincrements INTEGER only


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {  # noqa: RUF012
        dt.datetime: UTCDateTime(),
        dict[str, Any]: JSONType,
        list[Any]: JSONType,
    }
    if TYPE_CHECKING:
        # SQLAlchemy types it as any FromClause; every model here declares __tablename__.
        __table__: ClassVar[Table]


class Site(Base):
    """A website of the jurisdiction: from the inventory, or discovered through links."""

    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    host: Mapped[str] = mapped_column(String(253), unique=True)
    registrable_domain: Mapped[str] = mapped_column(String(253), index=True)
    start_url: Mapped[str] = mapped_column(String(2048))
    name: Mapped[str | None] = mapped_column(String(500))
    sponsor: Mapped[str | None] = mapped_column(String(500), index=True)
    district: Mapped[str | None] = mapped_column(String(100), index=True)
    category: Mapped[str | None] = mapped_column(String(100), index=True)
    key_unit: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(String(20), default="inventory")  # inventory|discovered
    discovered_from: Mapped[str | None] = mapped_column(String(253))
    discovery_depth: Mapped[int] = mapped_column(Integer, default=0)
    first_seen: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # taken out of the inventory (beian sites remove): no longer crawled, history kept
    retired_at: Mapped[dt.datetime | None]
    # A site joins the regular crawl, the audit and the bulletin once accepted: inventory
    # sites are accepted when imported; sites discovered through links wait for an analyst
    # (beian sites accept), crawled meanwhile only in the run that found them.
    accepted_at: Mapped[dt.datetime | None]
    accepted_by: Mapped[str | None] = mapped_column(String(100))
    # The run that discovered it. No foreign key: adding one makes SQLite copy the table,
    # and dropping the old sites table would cascade to every snapshot.
    discovery_run_id: Mapped[int | None] = mapped_column(BigID)

    snapshots: Mapped[list[Snapshot]] = relationship(back_populates="site", lazy="raise")


class CrawlRun(Base):
    __tablename__ = "crawl_runs"

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None]
    trigger: Mapped[str] = mapped_column(String(20), default="manual")  # manual|scheduled
    state: Mapped[str] = mapped_column(String(20), default="running")
    # options the run was started with (discover, max pages, ...), so --resume repeats them
    options: Mapped[dict[str, Any]] = mapped_column(default=dict)
    stats: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # which process runs it, for a clear message when two would run at once
    pid: Mapped[int | None] = mapped_column(Integer)
    hostname: Mapped[str | None] = mapped_column(String(253))


class Snapshot(Base):
    """What one site showed in one run: exactly one per (run, site), whatever happened."""

    __tablename__ = "snapshots"
    __table_args__ = (
        UniqueConstraint("run_id", "site_id", name="uq_snapshots_run_site"),
        Index("ix_snapshots_site_run", "site_id", "run_id"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("crawl_runs.id", ondelete="CASCADE"))
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    fetched_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    outcome: Mapped[str] = mapped_column(String(30), index=True)
    error: Mapped[str | None] = mapped_column(Text)
    http_status: Mapped[int | None] = mapped_column(Integer)
    final_url: Mapped[str | None] = mapped_column(String(2048))
    redirect_chain: Mapped[list[Any]] = mapped_column(default=list)
    headers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    encoding: Mapped[str | None] = mapped_column(String(40))
    title: Mapped[str | None] = mapped_column(Text)
    footer_text: Mapped[str | None] = mapped_column(Text)
    content_hash: Mapped[str | None] = mapped_column(String(64))
    content_length: Mapped[int | None] = mapped_column(Integer)
    elapsed_ms: Mapped[float | None] = mapped_column(Float)
    pages_fetched: Mapped[int] = mapped_column(Integer, default=0)
    # the page was rendered in a browser (its footer is written by JavaScript)
    rendered: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The page's evidence, kept for people, never for rules: the gzipped HTML is stored
    # once per content (PageBody), so an unchanged page costs nothing on the next crawl;
    # loaded only when asked for (the audit of a large run never holds pages).
    # (no foreign key: SQLite cannot add one to the existing table; housekeeping deletes
    # only the bodies no snapshot names)
    body_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    html_truncated: Mapped[bool] = mapped_column(Boolean, default=False)
    # The page's notices, as a set stored once (NoticeSet); none when it showed none. No
    # foreign key, as for the body: SQLite cannot add one to the existing table.
    notice_set_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    # How well the homepage was read (audit/page/reading.py): complete, partial or unread; what
    # kept it partial; the same-site files read for its footer ({url, kind, outcome}).
    reading: Mapped[str] = mapped_column(String(10), default="complete", server_default="complete")
    reading_gaps: Mapped[list[Any]] = mapped_column(default=list, server_default="[]")
    includes: Mapped[list[Any]] = mapped_column(default=list, server_default="[]")

    site: Mapped[Site] = relationship(back_populates="snapshots", lazy="raise")
    body: Mapped[PageBody | None] = relationship(
        primaryjoin="foreign(Snapshot.body_sha256) == PageBody.sha256"
    )

    @property
    def html_gz(self) -> bytes | None:
        """The page's HTML as the crawl kept it, gzipped (None when not kept or dropped)."""
        return self.body.html_gz if self.body is not None else None


class PageBody(Base):
    """A page's HTML, gzipped, stored once however many snapshots showed it: keyed by the
    SHA-256 of the gzipped bytes (written with a fixed mtime, so the same page gives the
    same bytes). Housekeeping deletes the bodies no snapshot refers to any more."""

    __tablename__ = "page_bodies"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    html_gz: Mapped[bytes] = mapped_column(LargeBinary)


class Link(Base):
    """A link from a crawled site to a host of the jurisdiction that is not in the inventory."""

    __tablename__ = "links"
    __table_args__ = (
        UniqueConstraint("run_id", "site_id", "target_host", name="uq_links_run_site_target"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("crawl_runs.id", ondelete="CASCADE"))
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    target_host: Mapped[str] = mapped_column(String(253), index=True)
    target_url: Mapped[str] = mapped_column(String(2048))


class NoticeSet(Base):
    """The filing notices one page showed, stored once however many snapshots showed the
    same ones: keyed by the SHA-256 of their content (``notice_set_key``), so a repeat crawl
    of an unchanged footer adds no notice. Housekeeping deletes the sets no snapshot names."""

    __tablename__ = "notice_sets"

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)


class Notice(Base):
    """A filing notice of a set (ICP number, licence, police number, ...), in page order."""

    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    set_id: Mapped[int] = mapped_column(
        ForeignKey("notice_sets.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))  # icp|icp_licence|police|site_code|conac|sponsor
    number: Mapped[str | None] = mapped_column(String(200), index=True)  # normalised
    raw: Mapped[str | None] = mapped_column(Text)
    valid: Mapped[bool | None] = mapped_column(Boolean)
    linked: Mapped[bool | None] = mapped_column(Boolean)
    source: Mapped[str | None] = mapped_column(String(40))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Finding(Base):
    """One problem of one site under one rule: opened by an audit, resolved by a later one
    that no longer sees it (the re-test), reopened if it comes back. Never deleted."""

    __tablename__ = "findings"
    __table_args__ = (
        UniqueConstraint("site_id", "rule", "fingerprint", name="uq_findings_site_rule_print"),
        Index("ix_findings_state_rule", "state", "rule"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    rule: Mapped[str] = mapped_column(String(10))
    fingerprint: Mapped[str] = mapped_column(String(200), default="")
    severity: Mapped[str] = mapped_column(String(10))
    state: Mapped[str] = mapped_column(String(20), default="open")  # open | resolved
    # the analysts' triage state (new, confirmed, notified, ...): see the review issue
    review_state: Mapped[str] = mapped_column(String(20), default="new")
    first_seen_run_id: Mapped[int] = mapped_column(ForeignKey("crawl_runs.id"))
    last_seen_run_id: Mapped[int] = mapped_column(ForeignKey("crawl_runs.id"))
    resolved_run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"))
    first_seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[dt.datetime | None]
    snapshot_id: Mapped[int | None] = mapped_column(ForeignKey("snapshots.id", ondelete="SET NULL"))
    evidence: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # triage (beian review): a rectification deadline (notified), the end of an accepted
    # risk, and the evidence a false positive was declared on (it stays suppressed until
    # the evidence changes)
    deadline: Mapped[dt.date | None] = mapped_column(Date)
    accepted_until: Mapped[dt.date | None] = mapped_column(Date)
    suppressed_evidence: Mapped[str | None] = mapped_column(String(64))


class FindingEvent(Base):
    """What happened to a finding, when, by whom: the audit trail, never overwritten."""

    __tablename__ = "finding_events"

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    finding_id: Mapped[int] = mapped_column(
        ForeignKey("findings.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # opened | resolved | reopened | review
    actor: Mapped[str] = mapped_column(String(100), default="audit")
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    deadline: Mapped[dt.date | None] = mapped_column(Date)


class RegistryRecord(Base):
    """An authoritative filing record the centre holds (beian registry import): a number,
    the domains filed under it, the sponsor. BA131/BA132 compare what sites show with it."""

    __tablename__ = "registry_records"

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    number: Mapped[str] = mapped_column(String(200), unique=True)  # normalised
    main_number: Mapped[str] = mapped_column(String(200), index=True)  # without the site index
    kind: Mapped[str | None] = mapped_column(String(40))  # icp, police, licence ...
    domains: Mapped[list[Any]] = mapped_column(default=list)  # registrable domains or hosts
    sponsor: Mapped[str | None] = mapped_column(String(500))
    approved_on: Mapped[dt.date | None] = mapped_column(Date)
    source_file: Mapped[str | None] = mapped_column(String(500))
    source_line: Mapped[int | None] = mapped_column(Integer)
    imported_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class RectificationNotice(Base):
    """A 整改通知 as issued: its document number (文号), addressee, sites and findings, the
    one deadline it sets, who issued it and when, and the file written (path and SHA-256).
    ``content`` keeps what the letter says, so that it can be printed again as it was."""

    __tablename__ = "rectification_notices"
    __table_args__ = (
        UniqueConstraint("year", "serial", name="uq_rectification_notices_year_serial"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    number: Mapped[str] = mapped_column(String(100), unique=True)
    year: Mapped[int] = mapped_column(Integer)
    serial: Mapped[int | None] = mapped_column(Integer)  # None: a number given by hand
    addressee: Mapped[str] = mapped_column(String(200))
    issued_on: Mapped[dt.date] = mapped_column(Date)
    issued_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    issued_by: Mapped[str] = mapped_column(String(100))
    deadline: Mapped[dt.date] = mapped_column(Date)
    hosts: Mapped[list[Any]] = mapped_column(default=list)
    finding_ids: Mapped[list[Any]] = mapped_column(default=list)
    content: Mapped[dict[str, Any]] = mapped_column(default=dict)
    file_path: Mapped[str] = mapped_column(Text)
    file_sha256: Mapped[str] = mapped_column(String(64))


class Bulletin(Base):
    """A numbered monthly bulletin (通报) as issued: its number in the year, the month it
    covers, the files written and the figures they show (JSON), for the record."""

    __tablename__ = "bulletins"
    __table_args__ = (
        UniqueConstraint("year", "number", name="uq_bulletins_year_number"),
        # One issue in force per month; a withdrawn one keeps its row and its number.
        Index(
            "uq_bulletins_period_in_force", "period", unique=True,
            sqlite_where=text("voided_at IS NULL"), postgresql_where=text("voided_at IS NULL"),
        ),
    )  # fmt: skip

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    period: Mapped[str] = mapped_column(String(7))  # 2026-11
    year: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)  # 第N期 of the year
    title: Mapped[str] = mapped_column(String(500))
    as_of: Mapped[dt.datetime]  # the figures are those of the database at this instant
    generated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    files: Mapped[list[Any]] = mapped_column(default=list)
    figures: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Withdrawn (beian bulletin void): when, by whom, why. Its number is never reused.
    voided_at: Mapped[dt.datetime | None]
    voided_by: Mapped[str | None] = mapped_column(String(100))
    void_reason: Mapped[str | None] = mapped_column(Text)


class JobRun(Base):
    """One run of a scheduled job (beian schedule history): when it was due, when it ran,
    how it ended. A run the scheduler could not start in time is recorded as missed."""

    __tablename__ = "job_runs"
    __table_args__ = (Index("ix_job_runs_job_scheduled", "job_id", "scheduled_at"),)

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    job_id: Mapped[str] = mapped_column(String(50))
    trigger: Mapped[str] = mapped_column(String(20), default="schedule")  # schedule | run-now
    scheduled_at: Mapped[dt.datetime | None]
    started_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]
    # running | succeeded | failed | missed | skipped | interrupted
    outcome: Mapped[str] = mapped_column(String(20), default="running")
    error: Mapped[str | None] = mapped_column(Text)
    pid: Mapped[int | None] = mapped_column(Integer)
    hostname: Mapped[str | None] = mapped_column(String(253))


class SchedulerLock(Base):
    """Who runs the scheduler of this database: one row, held by a live process that
    refreshes its heartbeat; a lock whose heartbeat stopped can be taken over."""

    __tablename__ = "scheduler_locks"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    token: Mapped[str] = mapped_column(String(64))
    pid: Mapped[int] = mapped_column(Integer)
    hostname: Mapped[str] = mapped_column(String(253))
    acquired_at: Mapped[dt.datetime]
    heartbeat_at: Mapped[dt.datetime]
