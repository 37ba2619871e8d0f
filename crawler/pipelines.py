"""The pipeline that hands the spider's items to the store, in batches."""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, fields
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from audit.store import Store
from audit.store import crawls as store_crawls
from audit.store.crawls import StoreUnavailable
from crawler.items import DiscoveredSiteItem, LinkItem, SnapshotItem
from crawler.run import RunRecorder

logger = logging.getLogger(__name__)

# While the database cannot be written, rows wait in memory and the crawl is paused once
# this many batches wait (downloads would only pile up more); writes are tried again after
# a delay that doubles up to the maximum. At the end of the crawl they are tried until
# CLOSE_PATIENCE seconds have passed.
PAUSE_AFTER_BATCHES = 5
RETRY_DELAYS = (1.0, 2.0, 5.0, 10.0, 30.0)
CLOSE_PATIENCE = 120.0


class StorePipeline:
    """Buffer snapshots, discovered sites and links; write them in one transaction per batch.

    Discovered sites are written before the snapshots and links that refer to them,
    and every write is an upsert, so a batch written twice changes nothing. A batch the
    database refuses is split down to the rows it refuses (stored as ``store_error``, see
    ``audit.store.crawls.write_isolated``); a database that cannot be reached keeps the
    rows waiting, with one warning line, until it is back.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.snapshots: list[dict[str, Any]] = []
        self.discovered: list[dict[str, Any]] = []
        self.links: list[dict[str, Any]] = []
        self.written = 0
        self.degraded = 0  # snapshots stored as store_error
        self.lost = 0  # rows that could not be stored at all
        self.unavailable_since: float | None = None
        self.next_try = 0.0
        self.failures = 0
        self.paused = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        if crawler.get_extension(RunRecorder) is None:
            raise NotConfigured("no crawl run to store into (RunRecorder is not enabled)")
        return cls(crawler)

    def open_spider(self) -> None:
        recorder = self.crawler.get_extension(RunRecorder)
        assert recorder is not None
        beian = self.crawler.settings["BEIAN_SETTINGS"]
        self.run_id = recorder.run_id
        self.batch_size = beian.crawl.batch_size
        self.store = Store(beian.database_url, migrate=False)

    def process_item(self, item: Any) -> Any:
        if isinstance(item, SnapshotItem):
            # A shallow row: asdict() would deep-copy the notices for nothing.
            self.snapshots.append({f.name: getattr(item, f.name) for f in fields(item)})
            # The evidence is in the buffer now: the item that goes on to signals needs none.
            item.html_gz = None
        elif isinstance(item, DiscoveredSiteItem):
            self.discovered.append(asdict(item))
        elif isinstance(item, LinkItem):
            self.links.append(asdict(item))
        if len(self.snapshots) >= self.batch_size or len(self.links) >= 5 * self.batch_size:
            self.flush()
        return item

    def flush(self) -> bool:
        """Write what waits; False when the database could not be reached (it all waits)."""
        if not (self.snapshots or self.discovered or self.links):
            return True
        if self.unavailable_since is not None and time.monotonic() < self.next_try:
            return False
        try:
            report = store_crawls.write_isolated(
                self.store,
                self.run_id,
                snapshots=self.snapshots,
                discovered=self.discovered,
                links=self.links,
            )
        except StoreUnavailable as exc:
            self._unavailable(str(exc))
            return False
        self._available()
        stats = self.crawler.stats
        assert stats is not None
        for host, why in report.degraded:
            logger.error("%s: stored as store_error: %s", host, why)
        for what, why in report.lost:
            logger.error("%s: not stored: %s", what, why)
        self.written += report.written
        self.degraded += len(report.degraded)
        self.lost += len(report.lost)
        stats.inc_value("beian/snapshots_written", report.written + len(report.degraded))
        if report.degraded:
            stats.inc_value("beian/store_errors", len(report.degraded))
        if report.lost:
            stats.inc_value("beian/rows_lost", len(report.lost))
        self.snapshots, self.discovered, self.links = [], [], []
        return True

    def close_spider(self) -> None:
        deadline = time.monotonic() + CLOSE_PATIENCE
        while not self.flush():
            if time.monotonic() > deadline:
                waiting = len(self.snapshots)
                logger.error(
                    "the database stayed unreachable: %d snapshots could not be stored", waiting
                )
                self.lost += waiting
                assert self.crawler.stats is not None
                self.crawler.stats.inc_value("beian/rows_lost", waiting)
                break
            time.sleep(max(0.0, min(self.next_try, deadline) - time.monotonic()))
        self.store.close()

    # -- the database is away --------------------------------------------------------

    def _unavailable(self, why: str) -> None:
        now = time.monotonic()
        if self.unavailable_since is None:
            self.unavailable_since = now
            logger.warning(
                "the database cannot be written (%s); %d snapshots wait and are written when"
                " it is back",
                why,
                len(self.snapshots),
            )
        delay = RETRY_DELAYS[min(self.failures, len(RETRY_DELAYS) - 1)]
        self.failures += 1
        self.next_try = now + delay
        if not self.paused and len(self.snapshots) >= PAUSE_AFTER_BATCHES * self.batch_size:
            self._pause(True)
        # Nothing else may come to call flush() while the crawl is paused.
        self._call_later(delay, self._retry)

    def _available(self) -> None:
        if self.unavailable_since is not None:
            logger.warning(
                "the database is back after %.0f s: the waiting snapshots are written",
                time.monotonic() - self.unavailable_since,
            )
        self.unavailable_since, self.failures = None, 0
        if self.paused:
            self._pause(False)

    def _retry(self) -> None:
        if self.unavailable_since is not None:
            self.flush()

    def _pause(self, paused: bool) -> None:
        engine = self.crawler.engine
        if engine is None:
            return
        if paused:
            logger.warning("crawl paused until the database is back")
            engine.pause()
        else:
            engine.unpause()
        self.paused = paused

    @staticmethod
    def _call_later(delay: float, function: Any) -> None:
        from twisted.internet import reactor

        reactor.callLater(delay, function)
