"""Run one crawl in this process: the `sites` spider under Scrapy's CrawlerProcess.

Twisted's reactor cannot restart inside one process, so call ``run_crawl`` once per
process (the CLI does; tests and the scheduler start a subprocess).
"""

from __future__ import annotations

import datetime as dt
import logging
import sys
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from audit.config import Settings

if TYPE_CHECKING:
    from scrapy.settings import Settings as ScrapySettings

    from crawler.run import RunRecorder


@dataclass
class CrawlResult:
    run_id: int
    state: str
    close_reason: str
    stats: dict[str, Any] = field(default_factory=dict)


def scrapy_settings(
    beian: Settings, *, log_level: str = "INFO", log_file: str | None = None
) -> ScrapySettings:
    from scrapy.settings import Settings as ScrapySettings

    from crawler.scrapy_settings import apply_beian_settings

    settings = ScrapySettings()
    settings.setmodule("crawler.settings", priority="project")
    apply_beian_settings(settings, beian, priority="cmdline")
    settings.set("LOG_LEVEL", log_level, priority="cmdline")
    if log_file:
        settings.set("LOG_FILE", log_file, priority="cmdline")
    return settings


def run_crawl(
    beian: Settings,
    *,
    resume: bool = False,
    run_id: int | None = None,
    trigger: str = "manual",
    discover: bool | None = None,
    max_pages: int | None = None,
    proxy: str | None = None,
    hosts: list[str] | None = None,
    progress: bool | None = None,
    log_level: str = "WARNING",
    started_at: dt.datetime | None = None,
    concurrent: bool = False,
) -> CrawlResult:
    """Crawl every site (or ``hosts``) into a new run, or continue an interrupted one.

    One crawl at a time per database: another one running (this machine or another) is a
    LockHeld error, unless ``concurrent``. A run to resume is claimed before Scrapy starts,
    so that two processes resuming it cannot both go on (the second is a UserError).
    """
    from audit.store import Store
    from audit.store import crawls as store_crawls
    from audit.store.locks import DatabaseLock

    with Store(beian.database_url, migrate=False) as store:
        lock = None if concurrent else DatabaseLock(store, "crawl", stale_after=LOCK_STALE)
        if lock is not None:
            lock.acquire()
        heartbeat = _Heartbeat(lock)
        try:
            if resume:
                with store.session() as session:
                    run = store_crawls.resume_run(session, run_id)
                    run_id, proxy = run.id, (run.options or {}).get("proxy")
            # The run's proxy (--proxy, or the one a resumed run was started with) is a
            # setting: the crawler's requests and the browser's guard proxy both read it.
            beian = with_proxy(beian, proxy)
            return _run_scrapy(
                beian, resume=resume, run_id=run_id, trigger=trigger, discover=discover,
                max_pages=max_pages, proxy=proxy, hosts=hosts, progress=progress,
                log_level=log_level, started_at=started_at,
            )  # fmt: skip
        finally:
            heartbeat.stop()
            if lock is not None:
                lock.release()


def with_proxy(beian: Settings, proxy: str | None) -> Settings:
    """The settings with ``[crawl] proxy`` set to ``proxy`` (unchanged when None)."""
    if not proxy or proxy == beian.crawl.proxy:
        return beian
    return beian.model_copy(update={"crawl": beian.crawl.model_copy(update={"proxy": proxy})})


LOCK_STALE = 120.0  # seconds without a heartbeat after which another machine's lock is stale


class _Heartbeat:
    """Refresh the crawl lock from a thread while Scrapy runs (its reactor owns the main
    thread), so that another machine sees the crawl is alive."""

    def __init__(self, lock: Any, every: float = LOCK_STALE / 4) -> None:
        self.lock = lock
        self.stopped = threading.Event()
        if lock is not None:
            threading.Thread(target=self._beat, args=(every,), daemon=True).start()

    def _beat(self, every: float) -> None:
        while not self.stopped.wait(every):
            try:
                if not self.lock.heartbeat():
                    logging.getLogger(__name__).warning("the crawl lock was taken over")
                    return
            except Exception as exc:  # the database is away: the pipeline says so too
                logging.getLogger(__name__).debug("crawl lock heartbeat failed: %s", exc)

    def stop(self) -> None:
        self.stopped.set()


def _run_scrapy(
    beian: Settings,
    *,
    resume: bool,
    run_id: int | None,
    trigger: str,
    discover: bool | None,
    max_pages: int | None,
    proxy: str | None,
    hosts: list[str] | None,
    progress: bool | None,
    log_level: str,
    started_at: dt.datetime | None,
) -> CrawlResult:
    from scrapy import signals
    from scrapy.crawler import CrawlerProcess

    from crawler.items import SnapshotItem
    from crawler.spiders.sites import SitesSpider

    show_bar = sys.stderr.isatty() if progress is None else progress
    settings = scrapy_settings(beian, log_level=log_level)
    settings.set("LOG_INSTALL_ROOT_HANDLER", False, priority="cmdline")
    quiet_scrapy_logs(log_level, progress_lines=not show_bar)
    process = CrawlerProcess(settings)
    # Again: CrawlerProcess's logging set-up resets the levels of Scrapy's loggers.
    quiet_scrapy_logs(log_level, progress_lines=not show_bar)
    crawler = process.create_crawler(SitesSpider)
    bar = _ProgressBar() if show_bar else None
    if bar is not None:

        def on_opened(spider: SitesSpider) -> None:
            recorder = _recorder(crawler)
            assert recorder is not None
            plan = recorder.plan
            bar.start(plan.run_id, plan.already_done, len(plan.targets) + plan.already_done)

        def on_item(item: Any, response: Any, spider: SitesSpider) -> None:
            if isinstance(item, SnapshotItem):
                bar.advance(item.outcome, len(spider.scheduled) + spider.already_done)

        crawler.signals.connect(on_opened, signal=signals.spider_opened)
        crawler.signals.connect(on_item, signal=signals.item_scraped)
    failures: list[Any] = []
    started = process.crawl(
        crawler,
        resume=resume,
        run_id=run_id,
        trigger=trigger,
        discover=discover,
        max_pages=max_pages,
        proxy=proxy,
        hosts=hosts,
        started_at=started_at,
    )
    started.addErrback(failures.append)  # said below in one line, not as a traceback
    try:
        process.start()
    finally:
        if bar is not None:
            bar.stop()
    recorder = _recorder(crawler)
    if recorder is None or failures:
        raise _not_started(failures[0].value if failures else None)
    stats = dict(crawler.stats.get_stats()) if crawler.stats else {}
    return CrawlResult(
        run_id=recorder.run_id,
        state=recorder.state or "interrupted",
        close_reason=recorder.close_reason or "unknown",
        stats=stats,
    )


def _recorder(crawler: Any) -> RunRecorder | None:
    """The crawl's run (None when the crawl did not get as far as opening it)."""
    from crawler.run import RunRecorder

    try:
        recorder: RunRecorder | None = crawler.get_extension(RunRecorder)
    except RuntimeError:  # the crawl failed before its extensions were built
        return None
    return recorder


def _not_started(exc: BaseException | None) -> Exception:
    from audit.errors import StoreError, UserError
    from audit.store.db import first_line, is_transient

    if isinstance(exc, UserError):
        return exc
    if exc is not None and is_transient(exc):
        return StoreError(
            f"the crawl did not start: the database is unavailable ({first_line(exc)})"
        )
    what = f": {type(exc).__name__}: {exc}" if exc is not None else "; see the log above"
    return RuntimeError(f"the crawl did not start{what}")


_LEVELS = ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


def quiet_scrapy_logs(level: str, *, progress_lines: bool = False) -> None:
    """Scrapy logs through the caller's root handler at ``level``. Without a progress bar,
    the periodic "Crawled N pages" lines and the spider's own lines are the progress report."""
    if not logging.root.handlers:
        from audit.display import DisplayFormatter

        console = logging.StreamHandler()
        console.setFormatter(DisplayFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logging.basicConfig(handlers=[console])
    for name in ("scrapy", "crawler", "sites", "py.warnings"):
        logging.getLogger(name).setLevel(level)
    if level != "DEBUG":
        for handler in logging.root.handlers:
            if not any(isinstance(f, _NoBanners) for f in handler.filters):
                handler.addFilter(_NoBanners())
    if progress_lines and _LEVELS.index(level) > _LEVELS.index("INFO"):
        for name in ("scrapy.extensions.logstats", "scrapy.core.engine", "sites"):
            logging.getLogger(name).setLevel(logging.INFO)
    if level != "DEBUG":
        # The end-of-crawl stats dump is long; the run summary says what matters.
        logging.getLogger("scrapy.statscollectors").setLevel(logging.WARNING)


class _NoBanners(logging.Filter):
    """Drop Scrapy's start-up banners (versions, enabled components) below WARNING.

    A filter, because Scrapy's logging set-up resets the levels of its child loggers."""

    NAMES = ("scrapy.utils.log", "scrapy.crawler", "scrapy.middleware", "scrapy.addons")

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING or not record.name.startswith(self.NAMES)


class _ProgressBar:
    """A rich progress bar on a terminal: sites done out of sites to visit, outcomes so far."""

    def __init__(self) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.progress = Progress(
            TextColumn("[bold]crawl run {task.fields[run]}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            TextColumn("{task.fields[outcomes]}"),
            transient=False,
        )
        self.counts: dict[str, int] = {}
        self.task: Any = None

    def start(self, run_id: int, done: int, total: int) -> None:
        self.progress.start()
        self.task = self.progress.add_task(
            "crawl", total=total, completed=done, run=run_id, outcomes=""
        )

    def advance(self, outcome: str, total: int) -> None:
        self.counts[outcome] = self.counts.get(outcome, 0) + 1
        summary = " ".join(f"{k}:{v}" for k, v in sorted(self.counts.items()))
        self.progress.update(self.task, advance=1, total=total, outcomes=summary)

    def stop(self) -> None:
        if self.task is not None:
            self.progress.stop()
