"""Crawl runs and what they write: snapshots (their pages and notices stored once each),
discovered sites and links.

Every write is an upsert on a natural key ((run, site) for snapshots), so a
batch written twice (a retry, a resumed run, a re-delivered Celery task) changes
nothing the second time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import socket
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, not_, or_, select, update
from sqlalchemy.orm import Session

from audit.errors import UserError
from audit.processes import process_is_gone
from audit.store.db import Store, first_line, is_transient, rows_matched
from audit.store.models import CrawlRun, Link, Notice, PageBody, Site, Snapshot, utcnow
from audit.store.notice_sets import store_notice_sets
from audit.store.runs import FAILED, FINISHED, INTERRUPTED, RUNNING
from audit.store.sites import PENDING, site_ids_by_host
from audit.store.upsert import upsert
from audit.store.values import fit_row


@dataclass(frozen=True)
class SiteTarget:
    id: int
    host: str
    start_url: str
    source: str
    depth: int


def create_run(
    session: Session,
    *,
    trigger: str = "manual",
    options: Mapping[str, Any] | None = None,
    started_at: dt.datetime | None = None,
) -> CrawlRun:
    run = CrawlRun(
        trigger=trigger,
        state=RUNNING,
        options=dict(options or {}),
        stats={},
        started_at=started_at or utcnow(),
        pid=os.getpid(),
        hostname=socket.gethostname(),
    )
    session.add(run)
    session.flush()
    return run


def resume_run(session: Session, run_id: int | None = None) -> CrawlRun:
    """Reopen an interrupted run (the latest one when no id is given)."""
    if run_id is None:
        candidates = session.scalars(
            select(CrawlRun)
            .where(CrawlRun.state.in_([INTERRUPTED, FAILED, RUNNING]))
            .order_by(CrawlRun.id.desc())
        )
        run = next((r for r in candidates if r.state != RUNNING or _abandoned(r)), None)
        if run is None:
            raise UserError("no interrupted crawl run to resume")
    else:
        run = session.get(CrawlRun, run_id)
        if run is None:
            raise UserError(f"no crawl run {run_id}")
        if run.state == FINISHED:
            raise UserError(f"crawl run {run_id} finished already; start a new one")
        if run.state == RUNNING and not _abandoned(run):
            raise UserError(
                f"crawl run {run_id} is still running (process {run.pid} on {run.hostname})"
            )
    # Claimed with a compare-and-set: of two processes resuming the run at once, one wins.
    claimed = session.execute(
        update(CrawlRun)
        .where(CrawlRun.id == run.id, CrawlRun.state == run.state)
        .where(CrawlRun.pid.is_(None) if run.pid is None else CrawlRun.pid == run.pid)
        .values(state=RUNNING, finished_at=None, pid=os.getpid(), hostname=socket.gethostname())
        .execution_options(synchronize_session=False)
    )
    if rows_matched(claimed) != 1:
        raise UserError(f"crawl run {run.id} is being resumed by another process")
    session.refresh(run)
    return run


def _abandoned(run: CrawlRun) -> bool:
    """A run left `running` by a process that died (killed, power cut) can be resumed."""
    return process_is_gone(run.pid, run.hostname)


def finish_run(session: Session, run_id: int, state: str, stats: Mapping[str, Any]) -> None:
    run = session.get_one(CrawlRun, run_id)
    run.state = state
    run.finished_at = utcnow()
    run.stats = _jsonable(stats)


def crawl_targets(
    session: Session, run_id: int, hosts: Sequence[str] | None = None
) -> list[SiteTarget]:
    """Sites to visit in a run, less those it has done: the accepted sites and those this
    run discovered (a resumed run goes on with them); or the given hosts, pending or not
    (an analyst looks at a pending site with ``beian crawl --site HOST``)."""
    done = select(Snapshot.site_id).where(Snapshot.run_id == run_id)
    query = select(Site.id, Site.host, Site.start_url, Site.source, Site.discovery_depth).where(
        Site.id.not_in(done), Site.retired_at.is_(None)
    )
    if hosts is not None:
        query = query.where(Site.host.in_(list(hosts)))
    else:
        query = query.where(or_(not_(PENDING), Site.discovery_run_id == run_id))
    rows = session.execute(query.order_by(Site.id))
    return [SiteTarget(*row) for row in rows]


def run_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(CrawlRun)) or 0


def crawlable_site_count(session: Session) -> int:
    """The sites a full crawl visits: accepted and not retired."""
    query = select(func.count()).select_from(Site).where(not_(PENDING), Site.retired_at.is_(None))
    return session.scalar(query) or 0


def inventory_hosts(session: Session) -> set[str]:
    return set(session.scalars(select(Site.host).where(Site.source == "inventory")))


def retired_hosts(session: Session) -> set[str]:
    """Sites taken out of the inventory: discovery does not bring them back."""
    return set(session.scalars(select(Site.host).where(Site.retired_at.is_not(None))))


def hosts_done(session: Session, run_id: int) -> set[str]:
    """The hosts that have their snapshot in a run (a resumed run does not visit them)."""
    return set(
        session.scalars(
            select(Site.host)
            .join(Snapshot, Snapshot.site_id == Site.id)
            .where(Snapshot.run_id == run_id)
        )
    )


def discovered_in_run(session: Session, run_id: int, *, pending: bool = False) -> int:
    """Sites first discovered by a run (``pending``: those still awaiting acceptance)."""
    statement = select(func.count()).select_from(Site).where(Site.discovery_run_id == run_id)
    if pending:
        statement = statement.where(PENDING, Site.retired_at.is_(None))
    return session.scalar(statement) or 0


def run_moment(session: Session, run_id: int) -> dt.datetime:
    """When a run saw what it saw: its last snapshot's time (a back-dated run's snapshots
    are dated on its own clock), else its start. The audit dates what the run causes so."""
    last = session.scalar(select(func.max(Snapshot.fetched_at)).where(Snapshot.run_id == run_id))
    if last is None:
        last = session.get_one(CrawlRun, run_id).started_at
    return last if last.tzinfo else last.replace(tzinfo=dt.UTC)


def snapshot_count(session: Session, run_id: int) -> int:
    return (
        session.scalar(select(func.count()).select_from(Snapshot).where(Snapshot.run_id == run_id))
        or 0
    )


def write_batch(
    session: Session,
    run_id: int,
    *,
    snapshots: Sequence[Mapping[str, Any]] = (),
    discovered: Sequence[Mapping[str, Any]] = (),
    links: Sequence[Mapping[str, Any]] = (),
) -> dict[str, int]:
    """Write one batch from the crawler; rows name their site by host. Returns host -> id."""
    if discovered:
        now = utcnow()
        from audit.page.domains import registrable_domain

        upsert(
            session,
            Site.__table__,
            [
                fit_row(
                    Site.__table__,
                    {
                        "host": d["host"],
                        "registrable_domain": registrable_domain(d["host"]),
                        "start_url": d["start_url"],
                        "source": "discovered",
                        "discovered_from": d["discovered_from"],
                        "discovery_depth": d["depth"],
                        "district": d.get("district"),
                        "discovery_run_id": run_id,  # pending: accepted_at stays empty
                        "key_unit": False,
                        "first_seen": now,
                        "last_seen": now,
                    },
                )
                for d in discovered
            ],
            key=["host"],
        )
    hosts = {row["host"] for row in (*snapshots, *links)}
    ids = site_ids_by_host(session, hosts)
    if snapshots:
        bodies = _store_bodies(session, snapshots)
        notice_sets = store_notice_sets(session, [row.get("notices") or () for row in snapshots])
        upsert(
            session,
            Snapshot.__table__,
            [
                fit_row(
                    Snapshot.__table__,
                    {
                        **{k: v for k, v in row.items() if k not in SNAPSHOT_EXTRAS},
                        "run_id": run_id,
                        "site_id": ids[row["host"]],
                        "body_sha256": bodies[i],
                        "notice_set_id": notice_sets[i],
                    },
                )
                for i, row in enumerate(snapshots)
            ],
            key=["run_id", "site_id"],
            # the notices of a snapshot written again replace its old ones
            update=["notice_set_id"],
        )
        reached = [ids[row["host"]] for row in snapshots if row["outcome"] == "ok"]
        if reached:
            session.execute(update(Site).where(Site.id.in_(reached)).values(last_seen=utcnow()))
    if links:
        upsert(
            session,
            Link.__table__,
            [
                fit_row(
                    Link.__table__,
                    {
                        "run_id": run_id,
                        "site_id": ids[row["host"]],
                        "target_host": row["target_host"],
                        "target_url": row["target_url"],
                    },
                )
                for row in links
            ],
            key=["run_id", "site_id", "target_host"],
        )
    return ids


# What a crawler's snapshot row carries beside the snapshot's columns.
SNAPSHOT_EXTRAS = ("host", "notices", "html_gz")


def _store_bodies(session: Session, snapshots: Sequence[Mapping[str, Any]]) -> list[str | None]:
    """Store the page bodies of these rows once each (a body already stored, by an earlier
    crawl or another site, is not written again); each row's body key, or None."""
    keys = [
        hashlib.sha256(row["html_gz"]).hexdigest() if row.get("html_gz") else None
        for row in snapshots
    ]
    new = {key: row["html_gz"] for key, row in zip(keys, snapshots, strict=True) if key}
    # the bytes of a known page are not even sent (do-nothing on conflict covers a race)
    stored = session.scalars(select(PageBody.sha256).where(PageBody.sha256.in_(list(new))))
    for key in stored.all():
        del new[key]
    upsert(
        session,
        PageBody.__table__,
        [{"sha256": key, "html_gz": html_gz} for key, html_gz in new.items()],
        key=["sha256"],
    )
    return keys


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, int | float | str | bool) or value is None:
        return value
    return str(value)


class StoreUnavailable(Exception):
    """The database cannot be written now (connection lost, server restarting, locked): the
    rows are kept by the caller and written again later."""


@dataclass
class BatchReport:
    """What became of one batch: snapshots stored as they were, snapshots stored as
    ``store_error`` because their own values could not be written, and rows lost."""

    written: int = 0
    degraded: list[tuple[str, str]] = field(default_factory=list)  # (host, why)
    lost: list[tuple[str, str]] = field(default_factory=list)  # (host or link, why)


def write_isolated(
    store: Store,
    run_id: int,
    *,
    snapshots: Sequence[Mapping[str, Any]] = (),
    discovered: Sequence[Mapping[str, Any]] = (),
    links: Sequence[Mapping[str, Any]] = (),
) -> BatchReport:
    """Write a batch in one transaction; if the database refuses it, find the rows it
    refuses by splitting the batch in halves, write every other row, and store a refused
    snapshot as ``store_error`` with the database's reason, so that no site of a batch is
    lost because of another's values. Raises StoreUnavailable when the database cannot be
    reached (nothing is lost then: every write is an idempotent upsert, write it all again).
    """
    report = BatchReport()
    try:
        with store.session() as session:
            write_batch(session, run_id, snapshots=snapshots, discovered=discovered, links=links)
        report.written = len(snapshots)
        return report
    except Exception as exc:
        _raise_if_unavailable(exc)

    def write(session: Session, rows: Sequence[Mapping[str, Any]], what: str) -> None:
        write_batch(session, run_id, **{what: rows})

    # Sites first: snapshots and links refer to them.
    for row, why in _isolate(store, discovered, lambda s, rows: write(s, rows, "discovered")):
        report.lost.append((str(row["host"]), f"discovered site not stored: {why}"))
    for row, why in _isolate(store, snapshots, lambda s, rows: write(s, rows, "snapshots")):
        degraded = {
            "host": row["host"],
            "outcome": "store_error",
            "fetched_at": row.get("fetched_at") or utcnow(),
            "error": f"what the crawl saw could not be stored: {why}",
        }
        if _isolate(store, [degraded], lambda s, rows: write(s, rows, "snapshots")):
            report.lost.append((str(row["host"]), why))
        else:
            report.degraded.append((str(row["host"]), why))
    for row, why in _isolate(store, links, lambda s, rows: write(s, rows, "links")):
        report.lost.append((f"link {row['host']} -> {row['target_host']}", why))
    report.written = len(snapshots) - len(report.degraded) - len(report.lost)
    return report


def _isolate(
    store: Store,
    rows: Sequence[Mapping[str, Any]],
    write: Callable[[Session, Sequence[Mapping[str, Any]]], None],
) -> list[tuple[Mapping[str, Any], str]]:
    """Write ``rows``, halving on refusal; return the rows refused one by one, with why."""
    if not rows:
        return []
    try:
        with store.session() as session:
            write(session, rows)
        return []
    except Exception as exc:
        _raise_if_unavailable(exc)
        if len(rows) == 1:
            return [(rows[0], f"{type(exc).__name__}: {first_line(exc)}"[:500])]
    middle = len(rows) // 2
    return _isolate(store, rows[:middle], write) + _isolate(store, rows[middle:], write)


def _raise_if_unavailable(exc: Exception) -> None:
    if is_transient(exc):
        raise StoreUnavailable(first_line(exc)) from exc


@dataclass(frozen=True)
class RunFigures:
    """What a run saw, counted: for the summary at the end of a crawl."""

    outcomes: dict[str, int]  # snapshots by outcome, the most frequent first
    sites_showing: dict[str, int]  # kind -> sites showing a valid number of that kind
    unverified: int  # pages read only in part (scripts or frames): BA100, not judged
    linked_hosts: int  # distinct hosts the run's pages link to


def run_figures(session: Session, run_id: int) -> RunFigures:
    outcomes = dict(
        session.execute(
            select(Snapshot.outcome, func.count())
            .where(Snapshot.run_id == run_id)
            .group_by(Snapshot.outcome)
            .order_by(func.count().desc())
        ).all()
    )
    showing = dict(
        session.execute(
            select(Notice.kind, func.count(func.distinct(Snapshot.site_id)))
            .join(Snapshot, Snapshot.notice_set_id == Notice.set_id)
            .where(Snapshot.run_id == run_id, Notice.kind.in_(("icp", "police")))
            .where(Notice.valid.is_(True))
            .group_by(Notice.kind)
        ).all()
    )
    unverified = session.scalar(
        select(func.count()).where(
            Snapshot.run_id == run_id, Snapshot.outcome == "ok", Snapshot.reading == "partial"
        )
    )
    linked = session.scalar(
        select(func.count(func.distinct(Link.target_host))).where(Link.run_id == run_id)
    )
    return RunFigures(
        outcomes=outcomes,
        sites_showing={kind: showing.get(kind, 0) for kind in ("icp", "police")},
        unverified=unverified or 0,
        linked_hosts=linked or 0,
    )
