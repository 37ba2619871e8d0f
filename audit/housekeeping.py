"""Housekeeping (`beian db housekeeping`; weekly in the scheduler): keep the database from
growing without end, without changing anything it says about the past.

- **Evidence**: the page HTML (``Snapshot.html_gz``) of the snapshots whose run started more
  than ``[retention] evidence_days`` ago is dropped, except the snapshots a finding points
  at (``Finding.snapshot_id``, open or resolved): the evidence analysts and rectification
  notices refer to. The rest of the snapshot stays (outcome, status, title, footer, hash,
  notices), and ``html_truncated`` says what the crawl kept at the time.
- **Links**: the links recorded by runs started more than ``links_days`` ago are deleted
  (a run's summary counts them; nothing later reads them).
- **Abandoned runs**: a run still ``running`` whose process is gone (it ran on this machine
  and no process has its number any more) is marked ``interrupted``, with a note in its
  stats; ``beian crawl --resume`` can still continue it. A run whose process is alive, or
  that ran on another machine (which cannot be told from here), is left alone.

**Never deleted**: crawl runs, snapshots, notices, findings and finding events. Bulletins
replay them (audit/bulletin/compile.py) to give the same figures for any past month, so
every one of them is kept for good.

The work goes in batches of ids, one transaction each, so that a million old snapshots
never make one giant statement and a crawl writing meanwhile waits for one batch at most.
``dry_run`` counts what would change and changes nothing. Running it twice changes nothing
the second time.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from audit.config import RetentionSettings, Settings
from audit.processes import process_is_gone
from audit.store import CrawlRun, Finding, Link, Snapshot, Store
from audit.store.crawls import INTERRUPTED, RUNNING, snapshot_count
from audit.store.models import utcnow

BATCH_SIZE = 5000  # ids per UPDATE or DELETE, one transaction each


@dataclass(frozen=True)
class HousekeepingReport:
    """What housekeeping did (or, on a dry run, would do)."""

    evidence_removed: int  # snapshots whose page HTML was dropped
    evidence_kept: int  # old snapshots whose HTML stays: findings point at them
    links_deleted: int
    runs_interrupted: int  # abandoned runs marked interrupted
    evidence_days: int
    links_days: int
    dry_run: bool = False

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def lines(self) -> list[str]:
        """The report in words, one line per kind of work."""
        would = self.dry_run
        lines = [
            f"evidence {'would be ' if would else ''}removed from "
            f"{_count(self.evidence_removed, 'snapshot')} (older than {self.evidence_days} "
            f"days, finding evidence kept: {_count(self.evidence_kept, 'snapshot')})",
            f"{_count(self.links_deleted, 'link')} {'would be ' if would else ''}deleted "
            f"(runs older than {self.links_days} days)",
            f"{_count(self.runs_interrupted, 'abandoned run')} "
            f"{'would be ' if would else ''}marked interrupted (their process is gone)",
        ]
        if would:
            lines.append("dry run: nothing was changed")
        return lines


def housekeep(
    store: Store,
    settings: Settings | RetentionSettings,
    *,
    now: dt.datetime | None = None,
    dry_run: bool = False,
    batch_size: int = BATCH_SIZE,
) -> HousekeepingReport:
    """Thin out old evidence and links, and mark abandoned runs interrupted (see above).
    ``settings``: the settings, or only their ``[retention]`` section."""
    retention = settings.retention if isinstance(settings, Settings) else settings
    now = now or utcnow()
    evidence_cutoff = now - dt.timedelta(days=retention.evidence_days)
    links_cutoff = now - dt.timedelta(days=retention.links_days)

    # the snapshots that still hold their page, and those that are no finding's evidence
    holding = Snapshot.html_gz.is_not(None)
    not_evidence = Snapshot.id.not_in(_finding_evidence())
    old = _of_runs_before(Snapshot, evidence_cutoff)
    with store.session() as session:
        kept = _count_rows(session, Snapshot, (old, holding, Snapshot.id.in_(_finding_evidence())))
    if dry_run:
        with store.session() as session:
            removed = _count_rows(session, Snapshot, (old, holding, not_evidence))
            links = _count_rows(session, Link, (_of_runs_before(Link, links_cutoff),))
            runs = len(_abandoned_runs(session))
    else:
        removed = _in_batches(
            store,
            Snapshot,
            _runs_started_before(store, evidence_cutoff),
            (holding, not_evidence),
            lambda where: update(Snapshot).where(*where).values(html_gz=None),
            batch_size,
        )
        links = _in_batches(
            store,
            Link,
            _runs_started_before(store, links_cutoff),
            (),
            lambda where: delete(Link).where(*where),
            batch_size,
        )
        with store.session() as session:
            runs = _interrupt_abandoned(session, now)
    return HousekeepingReport(
        evidence_removed=removed,
        evidence_kept=kept,
        links_deleted=links,
        runs_interrupted=runs,
        evidence_days=retention.evidence_days,
        links_days=retention.links_days,
        dry_run=dry_run,
    )


def _runs_started_before(store: Store, cutoff: dt.datetime) -> list[int]:
    with store.session() as session:
        query = select(CrawlRun.id).where(CrawlRun.started_at < cutoff).order_by(CrawlRun.id)
        return list(session.scalars(query))


def _of_runs_before(model: type[Snapshot] | type[Link], cutoff: dt.datetime) -> Any:
    return model.run_id.in_(select(CrawlRun.id).where(CrawlRun.started_at < cutoff))


def _finding_evidence() -> Any:
    """The snapshots findings point at (NULLs left out: NOT IN with a NULL matches nothing)."""
    return select(Finding.snapshot_id).where(Finding.snapshot_id.is_not(None))


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


def _abandoned_runs(session: Session) -> list[CrawlRun]:
    """Runs still `running` whose process is gone. This process is alive, whatever
    ``process_is_gone`` says of it (for a resume it means "not running that work")."""
    running = session.scalars(select(CrawlRun).where(CrawlRun.state == RUNNING))
    return [
        run for run in running if run.pid != os.getpid() and process_is_gone(run.pid, run.hostname)
    ]


def _interrupt_abandoned(session: Session, now: dt.datetime) -> int:
    """Mark interrupted the runs whose process is gone; the UPDATE checks that the run was
    not resumed meanwhile (a resumed run names its new process)."""
    changed = 0
    for run in _abandoned_runs(session):
        note = (
            f"marked interrupted by housekeeping at {now.isoformat(timespec='seconds')}: "
            f"its process {run.pid} on {run.hostname} was gone"
        )
        stats = {
            **(run.stats or {}),
            "close_reason": "abandoned",
            "snapshots": snapshot_count(session, run.id),
            "note": note,
        }
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
        changed += _rowcount(session.execute(statement))
    return changed


def _rowcount(result: Any) -> int:
    return max(int(getattr(result, "rowcount", 0) or 0), 0)


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"
