"""The pipeline that hands the spider's items to the store, in batches."""

from __future__ import annotations

import logging
from dataclasses import asdict, fields
from typing import Any

from scrapy.crawler import Crawler

from audit.store import crawls as store_crawls
from crawler.items import DiscoveredSiteItem, LinkItem, SnapshotItem

logger = logging.getLogger(__name__)


class StorePipeline:
    """Buffer snapshots, discovered sites and links; write them in one transaction per batch.

    Discovered sites are written before the snapshots and links that refer to them,
    and every write is an upsert, so a batch written twice changes nothing.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.snapshots: list[dict[str, Any]] = []
        self.discovered: list[dict[str, Any]] = []
        self.links: list[dict[str, Any]] = []
        self.written = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        return cls(crawler)

    def open_spider(self) -> None:
        spider = self.crawler.spider
        self.store = spider.store  # type: ignore[union-attr]
        self.run_id = spider.run_id  # type: ignore[union-attr]
        self.batch_size = spider.beian.crawl.batch_size  # type: ignore[union-attr]

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

    def flush(self) -> None:
        if not (self.snapshots or self.discovered or self.links):
            return
        with self.store.session() as session:
            store_crawls.write_batch(
                session,
                self.run_id,
                snapshots=self.snapshots,
                discovered=self.discovered,
                links=self.links,
            )
        self.written += len(self.snapshots)
        self.crawler.stats.inc_value("beian/snapshots_written", len(self.snapshots))  # type: ignore[union-attr]
        self.snapshots, self.discovered, self.links = [], [], []

    def close_spider(self) -> None:
        self.flush()
