"""The scheduler's job history (table job_runs): one row per run of a job."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from audit.store.models import JobRun, utcnow


def start_job_run(
    session: Session,
    job_id: str,
    *,
    trigger: str,
    scheduled_at: dt.datetime | None,
    pid: int,
    hostname: str,
) -> int:
    row = JobRun(
        job_id=job_id, trigger=trigger, scheduled_at=scheduled_at, started_at=utcnow(),
        outcome="running", pid=pid, hostname=hostname,
    )  # fmt: skip
    session.add(row)
    session.flush()
    return row.id


def finish_job_run(session: Session, row_id: int, outcome: str, error: str | None) -> None:
    session.execute(
        update(JobRun)
        .where(JobRun.id == row_id)
        .values(finished_at=utcnow(), outcome=outcome, error=error)
    )


def running_job_runs(session: Session, job_id: str | None = None) -> list[JobRun]:
    """The runs recorded as still running (of one job, or of all)."""
    statement = select(JobRun).where(JobRun.outcome == "running")
    if job_id is not None:
        statement = statement.where(JobRun.job_id == job_id)
    return list(session.scalars(statement))


def job_runs(session: Session, job_id: str | None = None, limit: int = 50) -> list[JobRun]:
    """The latest runs, newest first."""
    statement = select(JobRun).order_by(JobRun.id.desc()).limit(limit)
    if job_id:
        statement = statement.where(JobRun.job_id == job_id)
    return list(session.scalars(statement))
