"""The dated history a monthly bulletin is compiled from: the runs and when they started,
the sites and their first crawls, the findings with their lifecycle and review events,
the status each site's snapshots showed, and the findings' evidence.

Plain rows (tuples) only: what the figures make of them is the caller's. An event "dated
in a window" is one the audit made for one of the window's runs, or one without a run
whose ``at`` falls in it (:class:`EventWindow`).

The large reads (sites, findings, events, statuses: 100,000s of rows) are streamed, a
batch at a time; the lists of IDs an ``IN (...)`` takes are cut into chunks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Iterator, Sequence
from typing import Any, NamedTuple

from sqlalchemy import and_, case, func, literal, or_, select
from sqlalchemy.orm import Session

from audit.store.models import CrawlRun, Finding, FindingEvent, Notice, Site, Snapshot

LIFECYCLE = ("opened", "resolved", "reopened")
_CHUNK = 900  # ids per IN (...) list: SQLite's default limit is 999 variables
_BATCH = 10_000  # rows fetched at a time from the large reads, rather than all at once


class EventWindow(NamedTuple):
    """Events dated in [start, end): those of these runs (the runs started then), and
    those without a run whose ``at`` is in it."""

    run_ids: Sequence[int]
    start: dt.datetime
    end: dt.datetime


class SiteRecord(NamedTuple):
    """A site as the inventory holds it (the row as read: fields may be None)."""

    id: int
    host: str
    name: str | None
    sponsor: str | None
    district: str | None
    category: str | None
    key_unit: bool | None
    source: str
    first_seen: dt.datetime
    retired_at: dt.datetime | None
    accepted_at: dt.datetime | None


# ---- runs, sites and findings ----------------------------------------------------------


def run_starts(session: Session, before: dt.datetime) -> dict[int, dt.datetime]:
    """When each run started before ``before``, by run ID."""
    rows = session.execute(
        select(CrawlRun.id, CrawlRun.started_at).where(CrawlRun.started_at < before)
    )
    return {run_id: started for run_id, started in rows}


def first_crawls(session: Session, before: dt.datetime) -> dict[int, dt.datetime]:
    """By site: the start of the earliest run (by date, not by ID: a run entered later
    with ``--dated`` can be the earliest) started before ``before`` with a snapshot of it."""
    statement = (
        select(Snapshot.site_id, func.min(CrawlRun.started_at))
        .join(CrawlRun, CrawlRun.id == Snapshot.run_id)
        .where(CrawlRun.started_at < before)
        .group_by(Snapshot.site_id)
    )
    return {site_id: started for site_id, started in _stream(session, statement)}


def site_records(session: Session) -> Iterable[SiteRecord]:
    """Every site, retired and pending ones too (streamed; tuples in SiteRecord's order)."""
    statement = select(
        Site.id,
        Site.host,
        Site.name,
        Site.sponsor,
        Site.district,
        Site.category,
        Site.key_unit,
        Site.source,
        Site.first_seen,
        Site.retired_at,
        Site.accepted_at,
    )
    return _stream(session, statement)


def finding_records(session: Session) -> Iterable[tuple[int, int, str, str, int]]:
    """Every finding: (id, site_id, rule, severity, first_seen_run_id), streamed."""
    statement = select(
        Finding.id, Finding.site_id, Finding.rule, Finding.severity, Finding.first_seen_run_id
    )
    return _stream(session, statement)


def finding_evidence(session: Session, ids: Collection[int]) -> Iterator[tuple[int, Any]]:
    """(finding ID, evidence) of these findings: the latest evidence the audit kept."""
    for chunk in _chunks(ids):
        yield from _read(session, select(Finding.id, Finding.evidence).where(Finding.id.in_(chunk)))


# ---- the findings' events ----------------------------------------------------------------


def _lifecycle_change() -> Any:
    """+1 for opened and reopened, -1 for resolved."""
    return case((FindingEvent.kind == "resolved", -1), else_=1)


def lifecycle_changes_without_run(
    session: Session,
) -> Iterable[tuple[int, int, dt.datetime]]:
    """The lifecycle events made without a run (sites taken out of the inventory):
    (finding_id, change, at), change +1 (opened, reopened) or -1 (resolved). A few."""
    statement = select(FindingEvent.finding_id, _lifecycle_change(), FindingEvent.at).where(
        FindingEvent.kind.in_(LIFECYCLE), FindingEvent.run_id.is_(None)
    )
    return _read(session, statement)


def lifecycle_changes_of_runs(session: Session) -> Iterable[tuple[int, int, int]]:
    """The lifecycle events the audit made for a run: (finding_id, change, run_id), change
    as above, by finding (streamed)."""
    statement = (
        select(FindingEvent.finding_id, _lifecycle_change(), FindingEvent.run_id)
        .where(FindingEvent.kind.in_(LIFECYCLE), FindingEvent.run_id.is_not(None))
        .order_by(FindingEvent.finding_id)
    )
    return _stream(session, statement)


def review_events(
    session: Session,
) -> Iterable[tuple[int, str | None, dt.date | None, int | None, dt.datetime | None]]:
    """Every review event: (finding_id, to_state, deadline, run_id, at), by finding and
    in the order written; ``at`` only for an event without a run (None otherwise: a run's
    event is dated by its run). Streamed."""
    at = case((FindingEvent.run_id.is_(None), FindingEvent.at))
    statement = (
        select(
            FindingEvent.finding_id,
            FindingEvent.to_state,
            FindingEvent.deadline,
            FindingEvent.run_id,
            at,
        )
        .where(FindingEvent.kind == "review")
        .order_by(FindingEvent.finding_id, FindingEvent.id)
    )
    return _stream(session, statement)


def review_activity(
    session: Session, window: EventWindow, states: Collection[str]
) -> Iterable[tuple[int, str | None, str, int | None, dt.datetime]]:
    """The review events to one of ``states`` dated in the window: (finding_id, to_state,
    actor, run_id, at)."""
    statement = select(
        FindingEvent.finding_id,
        FindingEvent.to_state,
        FindingEvent.actor,
        FindingEvent.run_id,
        FindingEvent.at,
    ).where(
        FindingEvent.kind == "review",
        FindingEvent.to_state.in_(tuple(states)),
        _dated_in(window),
    )
    return _read(session, statement)


def findings_opened(session: Session, window: EventWindow) -> list[int]:
    """The findings opened or reopened in the window, once per event."""
    statement = select(FindingEvent.finding_id).where(
        FindingEvent.kind.in_(("opened", "reopened")), _dated_in(window)
    )
    return list(session.scalars(statement))


def findings_with_events(session: Session, window: EventWindow) -> set[int]:
    """The findings with an event (lifecycle or review) dated in the window."""
    statement = select(FindingEvent.finding_id).where(_dated_in(window))
    return set(session.scalars(statement))


def _dated_in(window: EventWindow) -> Any:
    """SQL: the event is dated in the window."""
    return or_(
        _in(FindingEvent.run_id, window.run_ids),
        and_(
            FindingEvent.run_id.is_(None),
            FindingEvent.at >= window.start,
            FindingEvent.at < window.end,
        ),
    )


# ---- what the snapshots showed -----------------------------------------------------------


def snapshot_statuses(
    session: Session, run_ids: Sequence[int], as_of: dt.datetime
) -> Iterable[tuple[int, str, bool, int, int]]:
    """Each site's last snapshot among these runs (given oldest first: the last is the
    one of the run dated last): (site_id, outcome, rendered, icp, police), icp 1 when it
    showed a valid ICP number (else 0), police the same for a public-security number.
    The discovered sites not accepted before ``as_of`` are left out. Streamed."""
    if not run_ids:
        return ()
    return _stream(session, _status_statement(session, run_ids, as_of))


def status_counts(
    session: Session, run_ids: Sequence[int], as_of: dt.datetime
) -> tuple[int, int, int, int]:
    """Of the last snapshots of :func:`snapshot_statuses`, counted by the database: how
    many were readable (outcome "ok", or rendered), and of those how many showed a valid
    ICP number, a valid public-security number, both."""
    if not run_ids:
        return (0, 0, 0, 0)
    status = _status_statement(session, run_ids, as_of).subquery()
    readable = or_(status.c.outcome == "ok", status.c.rendered.is_(True))
    icp, police = status.c.icp == 1, status.c.police == 1

    def count(condition: Any) -> Any:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    statement = select(
        count(readable),
        count(and_(readable, icp)),
        count(and_(readable, police)),
        count(and_(readable, icp, police)),
    )
    readable_n, icp_n, police_n, both_n = (int(v) for v in session.execute(statement).one())
    return readable_n, icp_n, police_n, both_n


def failure_counts(
    session: Session, run_ids: Sequence[int], failures: Collection[str], at_least: int
) -> Iterable[tuple[int, int, int]]:
    """The sites with at least ``at_least`` snapshots among these runs whose outcome is
    one of ``failures``: (site_id, snapshots, failed snapshots)."""
    if not run_ids:
        return ()
    failed = func.sum(case((Snapshot.outcome.in_(sorted(failures)), 1), else_=0))
    statement = (
        select(Snapshot.site_id, func.count(), failed)
        .where(Snapshot.run_id.in_(run_ids))
        .group_by(Snapshot.site_id)
        .having(failed >= at_least)
    )
    return _read(session, statement)


def _status_statement(session: Session, run_ids: Sequence[int], as_of: dt.datetime) -> Any:
    """Each site's last snapshot among these runs (oldest first: the last is the one of
    the run dated last): its outcome, whether it was rendered, whether it showed a valid
    ICP number (1 or 0), a valid public-security number. The discovered sites not accepted
    before ``as_of`` are left out."""
    not_accepted = select(Site.id).where(
        Site.source == "discovered", or_(Site.accepted_at.is_(None), Site.accepted_at >= as_of)
    )
    runs = and_(Snapshot.run_id.in_(list(run_ids)), Snapshot.site_id.not_in(not_accepted))
    # the run's place in date order; a month has a few dozen runs
    order = case({run_id: place for place, run_id in enumerate(run_ids)}, value=Snapshot.run_id)
    columns = (
        Snapshot.id, Snapshot.site_id, Snapshot.outcome, Snapshot.rendered,
        Snapshot.notice_set_id,
    )  # fmt: skip
    if session.get_bind().dialect.name == "postgresql":
        # ranking the month's snapshots: half the time of joining max() back to them
        rank = func.row_number().over(partition_by=Snapshot.site_id, order_by=order.desc())
        ranked = select(*columns, rank.label("rank")).where(runs).subquery()
        latest = select(*(ranked.c[c.key] for c in columns)).where(ranked.c.rank == 1).subquery()
    else:
        # SQLite takes the bare columns of a max() aggregate from the row holding the max
        last = select(Snapshot.id.label("id"), func.max(order)).where(runs)
        ids = last.group_by(Snapshot.site_id).subquery()
        latest = select(*columns).join(ids, ids.c.id == Snapshot.id).subquery()
    shows = Notice.valid.is_(True)
    return (
        select(
            latest.c.site_id,
            latest.c.outcome,
            latest.c.rendered,
            func.max(case((and_(Notice.kind == "icp", shows), 1), else_=0)).label("icp"),
            func.max(case((and_(Notice.kind == "police", shows), 1), else_=0)).label("police"),
        )
        .select_from(latest)
        .outerjoin(
            Notice,
            and_(Notice.set_id == latest.c.notice_set_id, Notice.kind.in_(("icp", "police"))),
        )
        .group_by(latest.c.id, latest.c.site_id, latest.c.outcome, latest.c.rendered)
    )


# ---- reading in batches and chunks -------------------------------------------------------


def _in(column: Any, values: Sequence[int]) -> Any:
    return column.in_(list(values)) if values else literal(False)


def _read(session: Session, statement: Any) -> Any:
    """The rows of a read, as plain tuples to the callers (a Row unpacks like one)."""
    return session.execute(statement)


def _stream(session: Session, statement: Any) -> Any:
    """The rows of a large read, fetched a batch at a time (a server-side cursor on
    PostgreSQL) instead of all into memory first."""
    return session.execute(statement.execution_options(yield_per=_BATCH))


def _chunks(values: Iterable[int]) -> Iterable[list[int]]:
    items = sorted(values)
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]
