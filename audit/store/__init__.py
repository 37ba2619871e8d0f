"""The store: the one place that speaks SQL."""

from audit.store.db import Store
from audit.store.models import CrawlRun, Link, Notice, Site, Snapshot

__all__ = ["CrawlRun", "Link", "Notice", "Site", "Snapshot", "Store"]
