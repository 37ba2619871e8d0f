"""Housekeeping (`beian db housekeeping`; weekly in the scheduler): keep the database from
growing without end, without changing anything it says about the past.

- **Evidence**: the page HTML (``Snapshot.body``) of the snapshots whose run started more
  than ``[retention] evidence_days`` ago is dropped, except the snapshots a finding points
  at (``Finding.snapshot_id``, open or resolved): the evidence analysts and rectification
  notices refer to. The rest of the snapshot stays (outcome, status, title, footer, hash,
  notices), and ``html_truncated`` says what the crawl kept at the time. A page is stored
  once however many snapshots showed it (``PageBody``), and deleted when no snapshot needs
  it any more.
- **Notice sets**: a page's notices are stored once per content (``NoticeSet``); a set no
  snapshot names any more (its snapshot was written again with other notices) is deleted.
- **Links**: the links recorded by runs started more than ``links_days`` ago are deleted
  (a run's summary counts them; nothing later reads them).
- **Abandoned runs**: a run still ``running`` whose process is gone (it ran on this machine
  and no process has its number any more) is marked ``interrupted``, with a note in its
  stats; ``beian crawl --resume`` can still continue it. A run whose process is alive, or
  that ran on another machine (which cannot be told from here), is left alone.

**Never deleted**: crawl runs, snapshots, notices, findings and finding events. Bulletins
replay them (audit/bulletin/compile.py) to give the same figures for any past month, so
every one of them is kept for good.

The work goes in batches (audit/store/retention.py). ``dry_run`` counts what would
change and changes nothing. Running it twice changes nothing the second time.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import asdict, dataclass
from typing import Any

from audit.config import RetentionSettings, Settings
from audit.processes import process_is_gone
from audit.store import CrawlRun, Session, Store
from audit.store import retention as retention_store
from audit.store.crawls import snapshot_count
from audit.store.models import utcnow

BATCH_SIZE = 5000  # ids per UPDATE or DELETE, one transaction each


@dataclass(frozen=True)
class HousekeepingReport:
    """What housekeeping did (or, on a dry run, would do)."""

    evidence_removed: int  # snapshots whose page HTML was dropped
    evidence_kept: int  # old snapshots whose HTML stays: findings point at them
    bodies_deleted: int  # stored pages no snapshot needs any more
    notice_sets_deleted: int  # stored notice sets no snapshot names
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
            f"{_count(self.bodies_deleted, 'stored page')} {'would be ' if would else ''}"
            "deleted (no snapshot needs them any more)",
            f"{_count(self.notice_sets_deleted, 'notice set')} "
            f"{'would be ' if would else ''}deleted (no snapshot names them)",
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

    with store.session() as session:
        removable, kept = retention_store.evidence_counts(session, evidence_cutoff)
    if dry_run:
        with store.session() as session:
            removed = removable
            bodies = retention_store.unneeded_bodies_count(session, evidence_cutoff)
            notice_sets = retention_store.unnamed_notice_sets_count(session)
            links = retention_store.old_links_count(session, links_cutoff)
            runs = len(_abandoned_runs(session))
    else:
        removed = retention_store.drop_old_evidence(store, evidence_cutoff, batch_size)
        bodies = retention_store.delete_unneeded_bodies(store, evidence_cutoff, batch_size)
        notice_sets = retention_store.delete_unnamed_notice_sets(store, batch_size)
        links = retention_store.delete_old_links(store, links_cutoff, batch_size)
        with store.session() as session:
            runs = _interrupt_abandoned(session, now)
    return HousekeepingReport(
        evidence_removed=removed,
        evidence_kept=kept,
        bodies_deleted=bodies,
        notice_sets_deleted=notice_sets,
        links_deleted=links,
        runs_interrupted=runs,
        evidence_days=retention.evidence_days,
        links_days=retention.links_days,
        dry_run=dry_run,
    )


def _abandoned_runs(session: Session) -> list[CrawlRun]:
    """Runs still `running` whose process is gone. This process is alive, whatever
    ``process_is_gone`` says of it (for a resume it means "not running that work")."""
    running = retention_store.running_runs(session)
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
        changed += retention_store.interrupt_run(session, run, stats)
    return changed


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"
