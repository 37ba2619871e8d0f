"""What housekeeping deletes and changes (audit/ops/housekeeping.py says what and why): old
page HTML that no finding points at, old links, runs whose process is gone.

The work goes in batches of ids, one transaction each, so that a million old snapshots
never make one giant statement and a crawl writing meanwhile waits for one batch at most.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import delete, exists, func, select, update
from sqlalchemy.orm import Session

from audit.store.db import Store
from audit.store.models import CrawlRun, Finding, Link, Notice, NoticeSet, PageBody, Snapshot
from audit.store.runs import INTERRUPTED, RUNNING


def evidence_counts(session: Session, cutoff: dt.datetime) -> tuple[int, int]:
    """(removable, kept): snapshots of runs started before ``cutoff`` that still hold their
    page, without and with a finding pointing at them."""
    old, holding = _of_runs_before(Snapshot, cutoff), Snapshot.body_sha256.is_not(None)
    removable = _count_rows(session, Snapshot, (old, holding, _not_evidence()))
    kept = _count_rows(session, Snapshot, (old, holding, Snapshot.id.in_(_finding_evidence())))
    return removable, kept


def old_links_count(session: Session, cutoff: dt.datetime) -> int:
    return _count_rows(session, Link, (_of_runs_before(Link, cutoff),))


def drop_old_evidence(store: Store, cutoff: dt.datetime, batch_size: int) -> int:
    """Drop the page HTML of old snapshots that are no finding's evidence; the count."""
    return _in_batches(
        store,
        Snapshot,
        _runs_started_before(store, cutoff),
        (Snapshot.body_sha256.is_not(None), _not_evidence()),
        lambda where: update(Snapshot).where(*where).values(body_sha256=None),
        batch_size,
    )


def unneeded_bodies_count(session: Session, cutoff: dt.datetime) -> int:
    """Page bodies that no snapshot will refer to once the old evidence is dropped."""
    return session.scalar(select(func.count()).select_from(PageBody).where(_unneeded(cutoff))) or 0


def delete_unneeded_bodies(store: Store, cutoff: dt.datetime, batch_size: int) -> int:
    """Delete the page bodies no snapshot needs (a page shown by a newer snapshot or by a
    finding's evidence stays), ``batch_size`` at a time; the count."""
    deleted = 0
    while True:
        with store.session() as session:
            keys = session.scalars(
                select(PageBody.sha256).where(_unneeded(cutoff)).limit(batch_size)
            ).all()
            if not keys:
                return deleted
            dml = delete(PageBody).where(PageBody.sha256.in_(keys), _unneeded(cutoff))
            deleted += _rowcount(session.execute(dml.execution_options(synchronize_session=False)))


def _unneeded(cutoff: dt.datetime) -> Any:
    """A page body no snapshot needs: none refers to it but old ones that are no finding's
    evidence (their evidence is dropped)."""
    needed = (~_of_runs_before(Snapshot, cutoff)) | Snapshot.id.in_(_finding_evidence())
    return ~exists().where(Snapshot.body_sha256 == PageBody.sha256, needed)


def unnamed_notice_sets_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(NoticeSet).where(_unnamed())) or 0


def delete_unnamed_notice_sets(store: Store, batch_size: int) -> int:
    """Delete the notice sets no snapshot names (a snapshot written again may name another
    set), ``batch_size`` at a time, their notices with them; the count."""
    deleted = 0
    while True:
        with store.session() as session:
            ids = session.scalars(select(NoticeSet.id).where(_unnamed()).limit(batch_size)).all()
            if not ids:
                return deleted
            session.execute(delete(Notice).where(Notice.set_id.in_(ids)))
            dml = delete(NoticeSet).where(NoticeSet.id.in_(ids), _unnamed())
            deleted += _rowcount(session.execute(dml.execution_options(synchronize_session=False)))


def _unnamed() -> Any:
    return ~exists().where(Snapshot.notice_set_id == NoticeSet.id)


def delete_old_links(store: Store, cutoff: dt.datetime, batch_size: int) -> int:
    return _in_batches(
        store,
        Link,
        _runs_started_before(store, cutoff),
        (),
        lambda where: delete(Link).where(*where),
        batch_size,
    )


def running_runs(session: Session) -> list[CrawlRun]:
    return list(session.scalars(select(CrawlRun).where(CrawlRun.state == RUNNING)))


def interrupt_run(session: Session, run: CrawlRun, stats: dict[str, Any]) -> bool:
    """Mark ``run`` interrupted with ``stats``, unless it was resumed meanwhile (a resumed
    run names its new process)."""
    statement = (
        update(CrawlRun)
        .where(
            CrawlRun.id == run.id,
            CrawlRun.state == RUNNING,
            CrawlRun.pid == run.pid,
            CrawlRun.hostname == run.hostname,
        )
        .values(state=INTERRUPTED, stats=stats)
        .execution_options(synchronize_session=False)
    )
    return _rowcount(session.execute(statement)) > 0


def _runs_started_before(store: Store, cutoff: dt.datetime) -> list[int]:
    with store.session() as session:
        query = select(CrawlRun.id).where(CrawlRun.started_at < cutoff).order_by(CrawlRun.id)
        return list(session.scalars(query))


def _of_runs_before(model: type[Snapshot] | type[Link], cutoff: dt.datetime) -> Any:
    return model.run_id.in_(select(CrawlRun.id).where(CrawlRun.started_at < cutoff))


def _finding_evidence() -> Any:
    """The snapshots findings point at (NULLs left out: NOT IN with a NULL matches nothing)."""
    return select(Finding.snapshot_id).where(Finding.snapshot_id.is_not(None))


def _not_evidence() -> Any:
    return Snapshot.id.not_in(_finding_evidence())


def _count_rows(
    session: Session, model: type[Snapshot] | type[Link], conditions: Sequence[Any]
) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*conditions)) or 0


def _in_batches(
    store: Store,
    model: type[Snapshot] | type[Link],
    runs: Sequence[int],
    conditions: Sequence[Any],
    statement: Callable[[Sequence[Any]], Any],
    batch_size: int,
) -> int:
    """Change the rows of ``runs`` that meet ``conditions``, run by run and ``batch_size``
    rows at a time, one transaction each. A batch is a range of site ids within a run:
    the order of the (run_id, site_id) index, so that no batch reads the rows of those
    before it. ``statement`` makes the UPDATE or DELETE from its WHERE clause, which checks
    the conditions again (a row may have changed since). Returns the rows changed."""
    changed = 0
    for run_id in runs:
        after = 0
        while True:
            with store.session() as session:
                query = (
                    select(model.site_id)
                    .where(model.run_id == run_id, model.site_id > after, *conditions)
                    .order_by(model.site_id)
                    .limit(batch_size)
                )
                sites = session.scalars(query).all()
                if not sites:
                    break
                where = (
                    model.run_id == run_id,
                    model.site_id.between(sites[0], sites[-1]),
                    *conditions,
                )
                dml = statement(where).execution_options(synchronize_session=False)
                changed += _rowcount(session.execute(dml))
                after = sites[-1]
    return changed


def _rowcount(result: Any) -> int:
    return max(int(getattr(result, "rowcount", 0) or 0), 0)
