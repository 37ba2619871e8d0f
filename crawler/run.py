"""The crawl run in the database, owned by a Scrapy extension: ``RunRecorder``.

Built in ``from_crawler`` (before the engine opens, so that a run that cannot be resumed
stops the crawl at once), it creates or resumes the run and loads what the spider will
visit (``RunPlan``). On ``spider_opened`` it carries a resumed run's counts on; on
``spider_closed``, which Scrapy sends after the item pipeline has written everything, it
gives every site still without a snapshot one that says so, and marks the run finished,
incomplete (some rows could not be stored) or interrupted (``beian crawl --resume``).

The spider reads its plan from here (``crawler.get_extension(RunRecorder)``), the
pipeline its run; neither opens the run itself.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from audit.config import Settings
from audit.store import CrawlRun, Session, Store
from audit.store import crawls as store_crawls
from audit.store import runs as store_runs
from audit.store.models import utcnow
from crawler.discovery import CARRIED_STATS

logger = logging.getLogger(__name__)

RENDER_STAT = "beian/render"  # the spider's rendering mode: fallback, always or off
# Counts that make a finished run incomplete: rows the store refused or lost, sites the
# crawl never answered.
DAMAGE_STATS = ("beian/store_errors", "beian/rows_lost", "beian/not_crawled")


@dataclass(frozen=True)
class RunArguments:
    """What the crawl was asked for (``scrapy crawl sites -a ...``, or ``beian crawl``)."""

    run_id: int | None = None
    resume: bool = False
    trigger: str = "manual"
    discover: bool | None = None
    max_pages: int | None = None
    proxy: str | None = None
    hosts: list[str] | None = None
    started_at: dt.datetime | None = None  # a back-dated run (beian crawl --dated)

    @property
    def resuming(self) -> bool:
        return self.resume or self.run_id is not None


@dataclass
class RunPlan:
    """The run and what it is to visit, as loaded when the crawl starts."""

    run_id: int
    resumed: bool
    options: dict[str, Any]  # discover, max_pages, proxy, hosts: kept with the run
    targets: list[Any]  # store_crawls.Target: sites without a snapshot in this run
    already_done: int  # snapshots of a resumed run's first part
    done_hosts: set[str] = field(default_factory=set)
    inventory_hosts: set[str] = field(default_factory=set)
    retired_hosts: set[str] = field(default_factory=set)
    previous_stats: dict[str, Any] = field(default_factory=dict)
    discovered_before: int = 0
    # A back-dated run (beian crawl --dated) dates its snapshots on its own clock: its date
    # plus the time since the crawl started; zero for a run of today.
    clock_offset: dt.timedelta = dt.timedelta(0)

    def now(self) -> dt.datetime:
        """The time a snapshot of this run is dated."""
        return utcnow() + self.clock_offset

    @property
    def only_hosts(self) -> list[str] | None:
        hosts = self.options.get("hosts")
        return list(hosts) if hosts else None


class RunRecorder:
    def __init__(self, crawler: Crawler, beian: Settings, arguments: RunArguments) -> None:
        self.crawler = crawler
        self.store = Store(beian.database_url)
        try:
            self.plan = self.store.run(lambda session: _load_plan(session, beian, arguments))
        except BaseException:
            self.store.close()
            raise
        self.state: str | None = None  # set when the spider closes
        self.close_reason: str | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunRecorder:
        arguments = getattr(crawler.spider, "run_arguments", None)
        if not isinstance(arguments, RunArguments):
            raise NotConfigured("the spider crawls no run")
        recorder = cls(crawler, crawler.settings["BEIAN_SETTINGS"], arguments)
        crawler.signals.connect(recorder.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(recorder.spider_closed, signal=signals.spider_closed)
        return recorder

    @property
    def run_id(self) -> int:
        return self.plan.run_id

    def spider_opened(self) -> None:
        """A resumed run goes on with what its first part counted."""
        stats = self.crawler.stats
        assert stats is not None
        for key, value in self.plan.previous_stats.items():
            if key.startswith(CARRIED_STATS) and isinstance(value, int):
                stats.set_value(key, value)

    def spider_closed(self, reason: str) -> None:
        stats = self.crawler.stats
        assert stats is not None
        try:
            self.state = self.store.run(lambda session: self._finish(session, reason, stats))
            self.close_reason = reason
        finally:
            self.store.close()

    def _finish(self, session: Session, reason: str, stats: Any) -> str:
        if reason == "finished":
            # Every site gets its snapshot: one that somehow got no answer says so.
            left = store_crawls.crawl_targets(session, self.run_id, self.plan.only_hosts)
            if left:
                logger.error("%d sites ended without a snapshot", len(left))
                stats.set_value("beian/not_crawled", len(left))
                now = self.plan.now()
                store_crawls.write_batch(
                    session,
                    self.run_id,
                    snapshots=[
                        {
                            "host": target.host,
                            "outcome": "not_crawled",
                            "fetched_at": now,
                            "error": "the crawl ended before this site was answered",
                        }
                        for target in left
                    ],
                )
        summary = dict(stats.get_stats())
        summary["close_reason"] = reason
        summary["render"] = summary.pop(RENDER_STAT, None)
        summary["snapshots"] = store_crawls.snapshot_count(session, self.run_id)
        state = store_runs.INTERRUPTED
        if reason == "finished":
            damaged = any(summary.get(key) for key in DAMAGE_STATS)
            state = store_runs.INCOMPLETE if damaged else store_runs.FINISHED
        store_crawls.finish_run(session, self.run_id, state, summary)
        return state


def _load_plan(session: Session, beian: Settings, arguments: RunArguments) -> RunPlan:
    crawl = beian.crawl
    if arguments.resuming:
        run = store_crawls.resume_run(session, arguments.run_id)
        options = dict(run.options or {})
    else:
        options = {
            "discover": crawl.discover if arguments.discover is None else arguments.discover,
            "max_pages": arguments.max_pages or crawl.max_pages_per_site,
            "proxy": arguments.proxy or crawl.proxy,
            "hosts": arguments.hosts,
            "dated": arguments.started_at is not None,
        }
        run = store_crawls.create_run(
            session, trigger=arguments.trigger, options=options, started_at=arguments.started_at
        )
    run = session.get_one(CrawlRun, run.id)
    return RunPlan(
        run_id=run.id,
        resumed=arguments.resuming,
        options=options,
        targets=store_crawls.crawl_targets(session, run.id, options.get("hosts")),
        already_done=store_crawls.snapshot_count(session, run.id),
        done_hosts=store_crawls.hosts_done(session, run.id) if arguments.resuming else set(),
        inventory_hosts=store_crawls.inventory_hosts(session),
        retired_hosts=store_crawls.retired_hosts(session),
        previous_stats=dict(run.stats or {}) if arguments.resuming else {},
        discovered_before=store_crawls.discovered_in_run(session, run.id),
        # (a resumed dated run goes on from its date)
        clock_offset=run.started_at - utcnow() if options.get("dated") else dt.timedelta(0),
    )
