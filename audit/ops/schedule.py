"""The scheduler: APScheduler 3's BlockingScheduler with its jobs stored in the project's
database (SQLAlchemyJobStore), in the centre's time zone.

- Jobs come from configuration ([schedule]) and are applied on every start, before any
  runs: added, changed or removed, never duplicated (fixed ids); an unchanged job keeps
  its next run time, so a run that fell due while the scheduler was down is still due.
- Missed runs are coalesced into one and run late within the job's grace time (a day for
  the bulletin); a job never overlaps itself (max_instances=1).
- One scheduler per database (:class:`audit.store.locks.DatabaseLock`): a second one says
  which process holds the lock and exits; the lock of a killed process is taken over.
- Every run is recorded in ``job_runs`` (beian schedule history): due, started, ended,
  outcome, error. A failing job is logged and recorded; the scheduler goes on.
- SIGTERM or Ctrl-C: the running crawl is asked to stop (its run is marked interrupted and
  can be resumed), running jobs are waited for, the lock is released.
"""

from __future__ import annotations

import datetime as dt
import logging
import logging.handlers
import os
import signal
import socket
import threading
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    EVENT_JOB_SUBMITTED,
    EVENT_SCHEDULER_STARTED,
    JobEvent,
    JobExecutionEvent,
    JobSubmissionEvent,
)
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

from audit.config import Settings
from audit.display import DisplayFormatter
from audit.errors import UserError
from audit.ops.cron import cron_trigger
from audit.ops.jobs import JobOutcome, JobResult
from audit.processes import process_is_gone
from audit.store import Store
from audit.store import jobs as store_jobs
from audit.store.locks import DatabaseLock
from audit.store.models import utcnow

JOBS_TABLE = "apscheduler_jobs"
LOG_BYTES = 10 * 1024 * 1024
LOG_BACKUPS = 5

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobSpec:
    id: str
    func: str  # import path: the job store keeps a reference, not the code
    name: str


JOBS = (
    JobSpec("crawl", "audit.ops.jobs:crawl", "crawl and audit every site"),
    JobSpec("retest", "audit.ops.jobs:retest", "re-test the sites being fixed"),
    JobSpec("bulletin", "audit.ops.jobs:bulletin", "issue last month's bulletin"),
    JobSpec("housekeeping", "audit.ops.jobs:housekeeping", "housekeeping"),
)


def job_definitions(settings: Settings) -> dict[str, dict[str, Any]]:
    """Job id -> add_job arguments, from the configuration (jobs turned off left out)."""
    schedule = settings.schedule
    config = str(settings.config_path) if settings.config_path else None
    jobs: dict[str, dict[str, Any]] = {}
    for spec in JOBS:
        cron = getattr(schedule, spec.id)
        if not cron:
            continue
        grace = schedule.misfire_grace_seconds
        if spec.id == "bulletin":
            grace = schedule.bulletin_misfire_grace_seconds
        jobs[spec.id] = {
            "func": spec.func,
            "kwargs": {"config": config},
            "trigger": cron_trigger(cron, schedule.timezone),
            "name": spec.name,
            "misfire_grace_time": grace,
        }
    return jobs


def build_scheduler(settings: Settings) -> BlockingScheduler:
    return BlockingScheduler(
        jobstores={"default": SQLAlchemyJobStore(url=settings.database_url, tablename=JOBS_TABLE)},
        timezone=settings.schedule.timezone,
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": settings.schedule.misfire_grace_seconds,
        },
    )


def apply_jobs(scheduler: BaseScheduler, jobs: dict[str, dict[str, Any]]) -> None:
    """Make the stored jobs those given (the job store must be open: start paused)."""
    for job in scheduler.get_jobs():
        if job.id not in jobs:
            logger.info("job %s: removed (no longer configured)", job.id)
            scheduler.remove_job(job.id)
    for job_id, definition in jobs.items():
        existing = scheduler.get_job(job_id)
        if existing is not None and _same(existing, definition):
            continue  # unchanged: keep its next run time (a missed run stays due)
        scheduler.add_job(id=job_id, replace_existing=True, **definition)


def _same(job: Any, definition: dict[str, Any]) -> bool:
    return (
        str(job.trigger) == str(definition["trigger"])
        and job.func_ref == definition["func"]
        and dict(job.kwargs) == definition["kwargs"]
        and job.misfire_grace_time == definition["misfire_grace_time"]
    )


# ---- the job history ---------------------------------------------------------------------


class History:
    """Records every run in ``job_runs`` from the scheduler's events."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.pid, self.hostname = os.getpid(), socket.gethostname()
        self._rows: dict[tuple[str, dt.datetime | None], int] = {}
        self._ended: dict[tuple[str, dt.datetime | None], tuple[str, str | None]] = {}
        self._lock = threading.Lock()

    def listen(self, scheduler: BaseScheduler) -> None:
        scheduler.add_listener(self._submitted, EVENT_JOB_SUBMITTED)
        scheduler.add_listener(self._finished, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
        scheduler.add_listener(self._not_run, EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES)

    def start(self, job_id: str, scheduled: dt.datetime | None, trigger: str = "schedule") -> int:
        with self.store.session() as session:
            return store_jobs.start_job_run(
                session, job_id, trigger=trigger, scheduled_at=scheduled, pid=self.pid,
                hostname=self.hostname,
            )  # fmt: skip

    def finish(self, row_id: int, outcome: str, error: str | None = None) -> None:
        with self.store.session() as session:
            store_jobs.finish_job_run(session, row_id, outcome, error)

    def close_abandoned(self) -> int:
        """Runs left "running" by a scheduler that was killed: interrupted."""
        with self.store.session() as session:
            rows = store_jobs.running_job_runs(session)
            gone = [row for row in rows if process_is_gone(row.pid, row.hostname)]
            for row in gone:
                row.outcome, row.finished_at = JobOutcome.INTERRUPTED, row.finished_at or utcnow()
                row.error = "the scheduler stopped (killed?) while it ran"
            return len(gone)

    def _submitted(self, event: JobSubmissionEvent) -> None:
        scheduled = event.scheduled_run_times[-1] if event.scheduled_run_times else None
        key = (event.job_id, scheduled)
        with self._lock:  # a quick job can end before its submission is announced
            row_id = self.start(event.job_id, scheduled)
            ended = self._ended.pop(key, None)
            if ended is None:
                self._rows[key] = row_id
        if ended is not None:
            self.finish(row_id, *ended)

    def _finished(self, event: JobExecutionEvent) -> None:
        if event.exception is not None:
            error = "".join(traceback.format_exception_only(event.exception)).strip()
            logger.error("job %s failed: %s", event.job_id, error)
            ended: tuple[str, str | None] = (JobOutcome.FAILED, error)
        else:
            ended = split_outcome(event.retval)
            logger.info("job %s: %s%s", event.job_id, ended[0],
                        f" ({ended[1]})" if ended[1] else "")  # fmt: skip
        self._end(event.job_id, event.scheduled_run_time, ended)

    def _end(self, job_id: str, scheduled: dt.datetime, ended: tuple[str, str | None]) -> None:
        key = (job_id, scheduled)
        with self._lock:
            row_id = self._rows.pop(key, None)
            if row_id is None:
                self._ended[key] = ended
                return
        self.finish(row_id, *ended)

    def _not_run(self, event: JobEvent) -> None:
        if event.code == EVENT_JOB_MISSED:  # announced as submitted, found too late
            scheduled = event.scheduled_run_time
            why = "due while the scheduler was down, past the grace time"
            logger.warning("job %s due at %s: missed (%s)", event.job_id, scheduled, why)
            self._end(event.job_id, scheduled, (JobOutcome.MISSED, why))
            return
        # max instances reached: never submitted
        times = getattr(event, "scheduled_run_times", None) or [None]
        why = "the previous run was still going"
        logger.warning("job %s due at %s: skipped (%s)", event.job_id, times[-1], why)
        self.finish(self.start(event.job_id, times[-1]), JobOutcome.SKIPPED, why)


def split_outcome(value: Any) -> tuple[str, str | None]:
    """A job's outcome and detail for the history: a JobResult as it is; a plain job's
    return value "skipped: why" -> ("skipped", "why"); None -> succeeded."""
    if isinstance(value, JobResult):
        return value.outcome, value.detail
    text = str(value) if value is not None else "succeeded"
    head, _, detail = text.partition(":")
    head = head.strip()
    if head not in set(JobOutcome):
        return JobOutcome.SUCCEEDED, text
    return JobOutcome(head), detail.strip() or None


# ---- running -----------------------------------------------------------------------------


def run_forever(
    settings: Settings,
    *,
    jobs: dict[str, dict[str, Any]] | None = None,
    on_started: Callable[[BaseScheduler], None] | None = None,
) -> None:
    """Hold the lock, apply the configured jobs, run them until Ctrl-C or SIGTERM.

    ``jobs`` replaces the configured jobs (tests); ``on_started`` is called once the jobs
    are applied (tests). Raises LockHeld when another scheduler runs on the database.
    """
    store = Store(settings.database_url)
    lock = DatabaseLock(store, stale_after=settings.schedule.lock_stale_seconds).acquire()
    if lock.took_over is not None:
        logger.warning("took over the lock of a scheduler that is gone: %s",
                       lock.took_over.describe())  # fmt: skip
    scheduler = build_scheduler(settings)
    history = History(store)
    if closed := history.close_abandoned():
        logger.warning("%d job runs of a stopped scheduler are recorded as interrupted", closed)
    history.listen(scheduler)
    wanted = job_definitions(settings) if jobs is None else jobs

    def started(_: Any) -> None:
        # The job store is open and nothing has run yet: apply the configuration.
        apply_jobs(scheduler, wanted)
        for job in scheduler.get_jobs():
            logger.info("job %s (%s): next run %s", job.id, job.trigger, job.next_run_time)
        if on_started is not None:
            on_started(scheduler)
        scheduler.resume()

    scheduler.add_listener(started, EVENT_SCHEDULER_STARTED)
    stopping = threading.Event()

    def stop(signum: int, _frame: Any) -> None:
        if stopping.is_set():
            return
        stopping.set()
        logger.info("%s: stopping (running jobs are stopped gracefully)",
                    signal.Signals(signum).name)  # fmt: skip
        from audit.ops.jobs import stop_children

        stop_children()
        # shutdown(wait=True) waits for the running jobs: not in the signal handler
        threading.Thread(target=_shutdown, args=(scheduler,), daemon=True).start()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    beat = threading.Thread(
        target=_heartbeat, args=(lock, scheduler, stopping, settings), daemon=True
    )
    beat.start()
    try:
        scheduler.start(paused=True)  # blocks until shut down
    finally:
        stopping.set()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        lock.release()
        store.close()
        logger.info("stopped")


def _shutdown(scheduler: BaseScheduler) -> None:
    try:
        scheduler.shutdown(wait=True)
    except Exception:  # already stopped
        logger.debug("shutdown", exc_info=True)


def _heartbeat(
    lock: DatabaseLock, scheduler: BaseScheduler, stopping: threading.Event, settings: Settings
) -> None:
    every = max(1.0, settings.schedule.lock_stale_seconds / 3)
    while not stopping.wait(every):
        try:
            mine = lock.heartbeat()
        except Exception:  # the database is away for a moment: try again
            logger.warning("could not refresh the scheduler lock", exc_info=True)
            continue
        if not mine:
            logger.error("another scheduler took over this database's lock: stopping")
            stopping.set()
            _shutdown(scheduler)
            return


class _Offline(BaseScheduler):
    """A scheduler that never runs anything: the job store, to read or change jobs.

    (A paused BackgroundScheduler is not enough: on shutdown its thread looks for due jobs
    once more and moves their next run times on, so a run that fell due while the
    scheduler was down would be lost by merely listing the jobs.)"""

    def shutdown(self, wait: bool = True) -> None:
        super().shutdown(wait=False)

    def wakeup(self) -> None:
        pass


@contextmanager
def opened(settings: Settings) -> Iterator[BaseScheduler]:
    """The job store, opened without running anything (to list or change jobs)."""
    Store(settings.database_url).close()  # the project's schema first (it upgrades an empty one)
    scheduler = _Offline(
        jobstores={"default": SQLAlchemyJobStore(url=settings.database_url, tablename=JOBS_TABLE)},
        timezone=settings.schedule.timezone,
    )
    scheduler.start(paused=True)
    try:
        yield scheduler
    finally:
        scheduler.shutdown()


def list_jobs(settings: Settings) -> list[dict[str, Any]]:
    """The stored jobs (as the running scheduler has them), else the configured ones."""
    with opened(settings) as scheduler:
        stored = scheduler.get_jobs()
        rows = [
            {"id": job.id, "name": job.name, "trigger": str(job.trigger),
             "next_run": job.next_run_time, "stored": True}
            for job in stored
        ]  # fmt: skip
    if rows:
        return rows
    now = dt.datetime.now(dt.UTC)
    return [
        {"id": job_id, "name": d["name"], "trigger": str(d["trigger"]),
         "next_run": d["trigger"].get_next_fire_time(None, now), "stored": False}
        for job_id, d in job_definitions(settings).items()
    ]  # fmt: skip


def run_now(settings: Settings, job_id: str) -> tuple[str, str | None]:
    """Run a job in this process now, recorded in the history as run-now; refused while
    the same job runs in a live process."""
    from apscheduler.util import ref_to_obj

    spec = next((s for s in JOBS if s.id == job_id), None)
    if spec is None:
        raise UserError(f"no job {job_id!r}: one of {', '.join(s.id for s in JOBS)}")
    store = Store(settings.database_url)
    try:
        busy = running_elsewhere(store, job_id)
        if busy:
            raise UserError(f"{job_id} is running now ({busy}): wait for it to finish")
        history = History(store)
        row_id = history.start(job_id, None, trigger="run-now")
        config = str(settings.config_path) if settings.config_path else None
        try:
            value = ref_to_obj(spec.func)(config=config)
        except BaseException as exc:
            error = "".join(traceback.format_exception_only(exc)).strip()
            history.finish(row_id, JobOutcome.INTERRUPTED if isinstance(exc, KeyboardInterrupt)
                           else JobOutcome.FAILED, error)  # fmt: skip
            raise
        outcome, detail = split_outcome(value)
        history.finish(row_id, outcome, detail)
        return outcome, detail
    finally:
        store.close()


def running_elsewhere(store: Store, job_id: str) -> str | None:
    """Which live process runs this job now, if any (from the history)."""
    with store.session() as session:
        rows = store_jobs.running_job_runs(session, job_id)
        for row in rows:
            if not process_is_gone(row.pid, row.hostname):
                return f"process {row.pid} on {row.hostname}"
    return None


def history(store: Store, job_id: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    with store.session() as session:
        return [
            {
                "id": row.id, "job": row.job_id, "trigger": row.trigger,
                "scheduled_at": row.scheduled_at, "started_at": row.started_at,
                "finished_at": row.finished_at, "outcome": row.outcome, "error": row.error,
            }
            for row in store_jobs.job_runs(session, job_id, limit)
        ]  # fmt: skip


def log_to_file(path: str) -> logging.Handler:
    """Also log to ``path``, rotated at 10 MB with 5 old files kept."""
    handler = logging.handlers.RotatingFileHandler(
        path, maxBytes=LOG_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8"
    )
    handler.setFormatter(DisplayFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.getLogger().addHandler(handler)
    return handler
