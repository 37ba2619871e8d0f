"""Jobs that the scheduler runs. APScheduler stores them by import path ("audit.jobs:crawl")
with plain arguments, so these functions must stay importable under these names.

A job returns its outcome ("succeeded", "skipped: ...", "interrupted: ...") for the job
history, and raises when it failed. Crawls run in a child process (Twisted's reactor
cannot restart inside the scheduler's process); the crawl and the re-test never run at
once (one crawl at a time per scheduler); stopping the scheduler stops the running crawl
gracefully (its run is marked interrupted, and the next crawl job resumes it).
"""

from __future__ import annotations

import datetime as dt
import logging
import signal
import subprocess
import sys
import threading
from typing import Any

from audit.config import load_settings

logger = logging.getLogger(__name__)

INTERRUPTED_EXIT = 3  # beian crawl: the run was stopped and can be resumed
INCOMPLETE_EXIT = 4  # beian crawl: the run ended, but some sites' results were not stored
BUSY_EXIT = 5  # beian crawl: another crawl of the database is running
RESUME_WITHIN = dt.timedelta(days=1)

_crawling = threading.Lock()  # one crawl at a time in this process
_children: set[subprocess.Popen[bytes]] = set()
_children_lock = threading.Lock()
_stopping = threading.Event()


def crawl(config: str | None = None) -> str:
    """Crawl and audit every site (`beian crawl --trigger scheduled`); an interrupted
    scheduled run of the last day is resumed instead of starting over."""
    resume = _interrupted_run(config)
    args = ["--resume", "--run", str(resume)] if resume else []
    return _crawl(config, args, "crawl")


def retest(config: str | None = None) -> str:
    """Re-test the sites whose findings are notified, inspected or rectifying."""
    return _crawl(config, ["--retest"], "re-test")


def bulletin(config: str | None = None) -> str:
    """Issue the previous month's bulletin (in this process: no reactor involved)."""
    from audit.bulletin import make_bulletin, month_before
    from audit.store import Store
    from audit.store.models import utcnow

    settings = load_settings(config)
    month = month_before(utcnow())
    with Store(settings.database_url) as store:
        result = make_bulletin(store, settings, month)
    for warning in result.warnings:
        logger.warning("bulletin %s: %s", month, warning)
    return f"succeeded: {month} {result.label}"


def housekeeping(config: str | None = None) -> str:
    """Drop old evidence HTML and links, close abandoned runs."""
    from audit.housekeeping import housekeep
    from audit.store import Store

    settings = load_settings(config)
    with Store(settings.database_url) as store:
        report = housekeep(store, settings)
    return f"succeeded: {report.to_json()}"


def stop_children() -> int:
    """Ask the running crawls to stop (SIGTERM: they keep what they fetched and mark their
    run interrupted); return how many were asked. Called when the scheduler stops."""
    _stopping.set()
    with _children_lock:
        running = [child for child in _children if child.poll() is None]
    for child in running:
        logger.info("stopping the crawl in process %s", child.pid)
        child.send_signal(signal.SIGTERM)
    return len(running)


def _crawl(config: str | None, args: list[str], what: str) -> str:
    if not _crawling.acquire(blocking=False):
        return f"skipped: another crawl of this scheduler is running; the {what} waits"
    try:
        if _stopping.is_set():
            return "skipped: the scheduler is stopping"
        command = [sys.executable, "-m", "audit"]
        if config:
            command += ["--config", config]
        command += ["crawl", "--trigger", "scheduled", "--no-progress", *args]
        logger.info("starting the %s: %s", what, " ".join(command))
        child = subprocess.Popen(command)
        with _children_lock:
            _children.add(child)
        try:
            status = child.wait()
        finally:
            with _children_lock:
                _children.discard(child)
    finally:
        _crawling.release()
    if status == INTERRUPTED_EXIT:
        return f"interrupted: the {what} was stopped; its run can be resumed"
    if status == BUSY_EXIT:
        return f"skipped: another crawl of this database is running; the {what} waits"
    if status == INCOMPLETE_EXIT:
        raise RuntimeError(
            f"the {what} is incomplete: some sites' results could not be stored (see the log)"
        )
    if status != 0:
        raise RuntimeError(f"the {what} ended with exit status {status}")
    return "succeeded"


def _interrupted_run(config: str | None) -> int | None:
    """The latest scheduled run, if it was interrupted in the last day."""
    from sqlalchemy import select

    from audit.store import CrawlRun, Store
    from audit.store.models import utcnow

    settings = load_settings(config)
    with Store(settings.database_url) as store, store.session() as session:
        run: Any = session.scalars(
            select(CrawlRun).where(CrawlRun.trigger == "scheduled").order_by(CrawlRun.id.desc())
        ).first()
        if run is None or run.state != "interrupted":
            return None
        if utcnow() - run.started_at > RESUME_WITHIN:
            return None
        return int(run.id)
