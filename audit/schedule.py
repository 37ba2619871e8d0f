"""The scheduler: APScheduler 3 with its jobs stored in the project's database.

Jobs are defined in configuration ([schedule]) and applied on every start: added, changed or
removed, never duplicated (fixed ids, replace_existing). Missed runs are coalesced into one
and run late within the grace time; a job never overlaps itself.
"""

from __future__ import annotations

import logging
import signal
import threading
from typing import Any

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.cron import CronTrigger

from audit.config import Settings

JOBS_TABLE = "apscheduler_jobs"


def job_definitions(settings: Settings) -> dict[str, dict[str, Any]]:
    """Job id -> add_job arguments, from the configuration."""
    schedule = settings.schedule
    config = str(settings.config_path) if settings.config_path else None
    jobs: dict[str, dict[str, Any]] = {}
    if schedule.crawl:
        jobs["crawl"] = {
            "func": "audit.jobs:crawl",
            "kwargs": {"config": config},
            "trigger": CronTrigger.from_crontab(schedule.crawl, timezone=schedule.timezone),
            "name": "crawl every site",
        }
    return jobs


logger = logging.getLogger(__name__)


def build_scheduler(settings: Settings) -> BackgroundScheduler:
    return BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(url=settings.database_url, tablename=JOBS_TABLE)},
        timezone=settings.schedule.timezone,
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": settings.schedule.misfire_grace_seconds,
        },
    )


def apply_jobs(scheduler: BaseScheduler, settings: Settings) -> None:
    """Make the stored jobs those of the configuration (call once the scheduler started,
    paused, so that the job store is open)."""
    wanted = job_definitions(settings)
    for job in scheduler.get_jobs():
        if job.id not in wanted:
            scheduler.remove_job(job.id)
    for job_id, definition in wanted.items():
        existing = scheduler.get_job(job_id)
        if existing is not None and str(existing.trigger) == str(definition["trigger"]):
            continue  # unchanged: keep its next run time (a missed run stays due)
        scheduler.add_job(id=job_id, replace_existing=True, **definition)


def run_forever(settings: Settings) -> None:
    """Start, apply the configured jobs, run until Ctrl-C or SIGTERM.

    Started paused, so that the job store is open while the configuration is applied and
    no job runs before; then the main thread waits for a signal (a BackgroundScheduler,
    because a BlockingScheduler would block before the jobs could be applied).
    """
    scheduler = build_scheduler(settings)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    scheduler.start(paused=True)
    try:
        apply_jobs(scheduler, settings)
        for job in scheduler.get_jobs():
            logger.info("job %s (%s): next run %s", job.id, job.trigger, job.next_run_time)
        scheduler.resume()
        stop.wait()
    finally:
        logger.info("stopping")
        scheduler.shutdown(wait=True)


def list_jobs(settings: Settings) -> list[dict[str, Any]]:
    scheduler = build_scheduler(settings)
    scheduler.start(paused=True)
    try:
        return [
            {"id": job.id, "name": job.name, "trigger": str(job.trigger),
             "next_run": job.next_run_time}
            for job in scheduler.get_jobs()
        ]  # fmt: skip
    finally:
        scheduler.shutdown(wait=False)
