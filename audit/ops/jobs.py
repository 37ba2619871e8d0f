"""Jobs that the scheduler runs. APScheduler stores them by import path ("audit.ops.jobs:crawl")
with plain arguments, so these functions must stay importable under these names.

A job returns a ``JobResult`` (succeeded, skipped, interrupted, with a detail) for the job
history, and raises when it failed. Crawls run in a child process (Twisted's reactor
cannot restart inside the scheduler's process: ``audit.services.CrawlChild``); the crawl
and the re-test never run at once (one crawl at a time per scheduler); stopping the
scheduler stops the running crawl gracefully (its run is marked interrupted, and the next
crawl job resumes it).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import TYPE_CHECKING

from audit.config import load_settings

if TYPE_CHECKING:
    from audit.services import CrawlChild, CrawlRequest

logger = logging.getLogger(__name__)

RESUME_WITHIN = dt.timedelta(days=1)


class JobOutcome(StrEnum):
    """How a run of a job ended, in the job history (``beian schedule history``)."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"
    INTERRUPTED = "interrupted"
    MISSED = "missed"
    RUNNING = "running"


@dataclass(frozen=True)
class JobResult:
    outcome: JobOutcome
    detail: str | None = None

    def __str__(self) -> str:
        return f"{self.outcome}: {self.detail}" if self.detail else str(self.outcome)


_crawling = threading.Lock()  # one crawl at a time in this process
_children: set[CrawlChild] = set()
_children_lock = threading.Lock()
_stopping = threading.Event()


def crawl(config: str | None = None) -> JobResult:
    """Crawl and audit every site; an interrupted scheduled run of the last day is resumed
    instead of starting over."""
    from audit.services import CrawlRequest

    resume = _interrupted_run(config)
    request = CrawlRequest(resume=resume is not None, run_id=resume, trigger="scheduled")
    return _crawl(config, request, "crawl")


def retest(config: str | None = None) -> JobResult:
    """Re-test the sites whose findings are notified, inspected or rectifying."""
    from audit.services import CrawlRequest

    return _crawl(config, CrawlRequest(retest=True, trigger="scheduled"), "re-test")


def bulletin(config: str | None = None) -> JobResult:
    """Issue the previous month's bulletin (in this process: no reactor involved)."""
    from audit.bulletin import NoRunsInMonth, make_bulletin, month_before
    from audit.store import Store
    from audit.store.models import utcnow

    settings = load_settings(config)
    month = month_before(utcnow())
    with Store(settings.database_url) as store:
        try:
            result = make_bulletin(store, settings, month)
        except NoRunsInMonth as exc:
            return JobResult(JobOutcome.SKIPPED, exc.worded("--force"))
    for warning in result.warnings:
        logger.warning("bulletin %s: %s", month, warning)
    return JobResult(JobOutcome.SUCCEEDED, f"{month} {result.label}")


def housekeeping(config: str | None = None) -> JobResult:
    """Drop old evidence HTML and links, close abandoned runs."""
    from audit.ops.housekeeping import housekeep
    from audit.store import Store

    settings = load_settings(config)
    with Store(settings.database_url) as store:
        report = housekeep(store, settings)
    return JobResult(JobOutcome.SUCCEEDED, str(report.to_json()))


def stop_children() -> int:
    """Ask the running crawls to stop (SIGTERM: they keep what they fetched and mark their
    run interrupted); return how many were asked. Called when the scheduler stops."""
    _stopping.set()
    with _children_lock:
        running = [child for child in _children if child.running()]
    for child in running:
        logger.info("stopping the crawl in process %s", child.pid)
        child.stop()
    return len(running)


def _crawl(config: str | None, request: CrawlRequest, what: str) -> JobResult:
    from audit.services import CrawlChild, CrawlState

    if not _crawling.acquire(blocking=False):
        return JobResult(
            JobOutcome.SKIPPED, f"another crawl of this scheduler is running; the {what} waits"
        )
    try:
        if _stopping.is_set():
            return JobResult(JobOutcome.SKIPPED, "the scheduler is stopping")
        settings = load_settings(config)
        logger.info("starting the %s in a child process", what)
        child = CrawlChild(settings, replace(request, progress=False, log_level="INFO"))
        with _children_lock:
            _children.add(child)
        try:
            outcome = child.wait()
        finally:
            with _children_lock:
                _children.discard(child)
    finally:
        _crawling.release()
    if outcome.state is CrawlState.INTERRUPTED:
        return JobResult(JobOutcome.INTERRUPTED, f"the {what} was stopped; its run can be resumed")
    if outcome.state is CrawlState.BUSY:
        return JobResult(
            JobOutcome.SKIPPED, f"another crawl of this database is running; the {what} waits"
        )
    if outcome.state is CrawlState.NOTHING_TO_DO:
        return JobResult(JobOutcome.SKIPPED, outcome.message)
    if outcome.state is CrawlState.INCOMPLETE:
        raise RuntimeError(
            f"the {what} is incomplete: the results of {outcome.rows_not_stored} sites could"
            f" not be stored and {outcome.not_crawled} sites were not answered (run"
            f" {outcome.run_id})"
        )
    return JobResult(JobOutcome.SUCCEEDED, f"run {outcome.run_id}")


def _interrupted_run(config: str | None) -> int | None:
    """The latest scheduled run, if it was interrupted in the last day."""
    from audit.store import Store
    from audit.store.models import utcnow
    from audit.store.runs import latest_run

    settings = load_settings(config)
    with Store(settings.database_url) as store, store.session() as session:
        run = latest_run(session, "scheduled")
        if run is None or run.state != "interrupted":
            return None
        if utcnow() - run.started_at > RESUME_WITHIN:
            return None
        return int(run.id)
