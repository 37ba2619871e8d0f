"""Crawl, then audit: the use case that `beian crawl`, the scheduler's jobs and the demo share.

``crawl_and_audit`` runs in this process and returns a typed ``CrawlOutcome``; Twisted's
reactor cannot restart, so it runs once per process. A caller that lives on (the
scheduler, the demo) uses ``CrawlChild``: the same call in a child process, stoppable
with SIGTERM (the run is then interrupted and can be resumed), its outcome sent back.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import multiprocessing
import multiprocessing.connection
import os
import signal
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from audit.config import Settings
from audit.errors import UserError


class CrawlState(StrEnum):
    FINISHED = "finished"  # every site has its snapshot; audited when asked
    INCOMPLETE = "incomplete"  # the run ended, but some sites' results were not stored
    INTERRUPTED = "interrupted"  # stopped (Ctrl-C, SIGTERM): resume it
    BUSY = "busy"  # another crawl of the database is running: nothing was done
    NOTHING_TO_DO = "nothing_to_do"  # a re-test with no site being fixed


# Exit statuses of `beian crawl` (the scheduler's history and scripts read them).
EXIT_CODES = {
    CrawlState.FINISHED: 0,
    CrawlState.NOTHING_TO_DO: 0,
    CrawlState.INTERRUPTED: 3,
    CrawlState.INCOMPLETE: 4,
    CrawlState.BUSY: 5,
}


@dataclass(frozen=True)
class CrawlRequest:
    """What to crawl and how; None leaves the choice to the settings."""

    resume: bool = False
    run_id: int | None = None  # with resume: the run to continue (default: the latest)
    retest: bool = False  # only the sites whose findings are being fixed
    hosts: tuple[str, ...] = ()
    discover: bool | None = None
    max_pages: int | None = None
    proxy: str | None = None
    trigger: str = "manual"
    started_at: dt.datetime | None = None  # aware; a back-dated run
    progress: bool | None = None
    log_level: str = "WARNING"
    audit: bool = True
    concurrent: bool = False  # crawl even when another crawl of the database runs


@dataclass
class CrawlOutcome:
    state: CrawlState
    run_id: int | None = None
    # The run's figures (audit.services.run_summary.run_summary) with the audit's under "audit".
    summary: dict[str, Any] = field(default_factory=dict)
    audit: Any = None  # audit.findings.audit.AuditSummary, when the run was audited
    close_reason: str | None = None
    stats: dict[str, Any] = field(default_factory=dict)
    message: str = ""  # why nothing was done (busy, nothing to re-test)

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.state]

    @property
    def rows_not_stored(self) -> int:
        return int(self.stats.get("beian/store_errors", 0)) + int(
            self.stats.get("beian/rows_lost", 0)
        )

    @property
    def not_crawled(self) -> int:
        return int(self.stats.get("beian/not_crawled", 0))


def crawl_and_audit(settings: Settings, request: CrawlRequest) -> CrawlOutcome:
    """Crawl every site (or the request's) into a new run, or continue one, then audit it.

    Once per process (see the module's docstring). Raises UserError for what the user can
    fix (no such run to resume, a database that cannot be reached)."""
    from audit.services.crawl_process import run_crawl
    from audit.services.run_summary import run_summary
    from audit.store import Store
    from audit.store.locks import LockHeld

    hosts, discover = request.hosts, request.discover
    with Store(settings.database_url) as store:  # migrate and check before Scrapy starts
        if request.retest:
            from audit.store.findings import retest_hosts

            with store.session() as session:
                hosts = tuple(retest_hosts(session))
            if not hosts:
                return CrawlOutcome(
                    CrawlState.NOTHING_TO_DO,
                    summary={"run_id": None, "sites": 0, "retest": True},
                    message="nothing to re-test: no open finding is notified, inspected or"
                    " rectifying",
                )
            if discover is None:
                discover = False  # a re-test looks at known sites, it does not explore
        elif not request.resume and not hosts:
            from audit.store.crawls import crawlable_site_count

            with store.session() as session:
                if crawlable_site_count(session) == 0:
                    raise UserError(
                        "the inventory is empty: nothing to crawl. Import it first (beian sites"
                        " import 网站清单.xlsx) or add a site (beian sites add URL)"
                    )
        try:
            result = run_crawl(
                settings,
                resume=request.resume,
                run_id=request.run_id,
                trigger=request.trigger,
                discover=discover,
                max_pages=request.max_pages,
                proxy=request.proxy,
                hosts=list(hosts) or None,
                progress=request.progress,
                log_level=request.log_level,
                started_at=request.started_at,
                concurrent=request.concurrent,
            )
        except LockHeld as exc:
            return CrawlOutcome(CrawlState.BUSY, message=str(exc))
        state = CrawlState(result.state) if result.state in _RUN_STATES else CrawlState.INTERRUPTED
        summary = run_summary(store, result.run_id)
        if request.retest:
            summary["retest"] = True
        audited = None
        if request.audit and state in (CrawlState.FINISHED, CrawlState.INCOMPLETE):
            from audit.findings.audit import run_audit

            audited = run_audit(store, settings.profile, run_id=result.run_id)
            summary["audit"] = audited.to_json()
    return CrawlOutcome(
        state,
        run_id=result.run_id,
        summary=summary,
        audit=audited,
        close_reason=result.close_reason,
        stats=result.stats,
    )


_RUN_STATES = {CrawlState.FINISHED, CrawlState.INCOMPLETE, CrawlState.INTERRUPTED}


class CrawlFailed(RuntimeError):
    """The crawl's process ended without an outcome (it crashed, or raised)."""


class CrawlChild:
    """``crawl_and_audit`` in a child process (spawned: a fresh interpreter, a fresh
    reactor). ``stop()`` asks it to stop as Ctrl-C does; ``wait()`` returns its outcome."""

    def __init__(self, settings: Settings, request: CrawlRequest) -> None:
        context = multiprocessing.get_context("spawn")
        self._receive, send = context.Pipe(duplex=False)
        self._process = context.Process(
            target=_child_main, args=(settings, request, send), name="beian-crawl"
        )
        self._process.start()
        send.close()  # the child holds the other end; EOF here when it is gone

    @property
    def pid(self) -> int | None:
        return self._process.pid

    def running(self) -> bool:
        return self._process.is_alive()

    def stop(self) -> None:
        if self._process.pid is not None and self._process.is_alive():
            os.kill(self._process.pid, signal.SIGTERM)

    def wait(self) -> CrawlOutcome:
        reply: Any = None
        with contextlib.suppress(EOFError):  # the child died before it could answer
            reply = self._receive.recv()
        self._process.join()
        self._receive.close()
        if isinstance(reply, CrawlOutcome):
            return reply
        if isinstance(reply, BaseException):
            raise reply
        raise CrawlFailed(f"the crawl's process ended with exit status {self._process.exitcode}")


def _child_main(
    settings: Settings, request: CrawlRequest, send: multiprocessing.connection.Connection
) -> None:
    try:
        outcome: Any = crawl_and_audit(settings, request)
    except UserError as exc:
        outcome = exc
    except Exception as exc:  # sent whole would need its class importable and picklable
        outcome = CrawlFailed(f"{type(exc).__name__}: {exc}")
    send.send(outcome)
    send.close()
