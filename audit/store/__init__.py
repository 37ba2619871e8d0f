"""The store: the one place that speaks SQL."""

from audit.store.db import Store
from audit.store.models import (
    CrawlRun,
    Finding,
    FindingEvent,
    Link,
    Notice,
    RegistryRecord,
    Site,
    Snapshot,
)

__all__ = [
    "CrawlRun",
    "Finding",
    "FindingEvent",
    "Link",
    "Notice",
    "RegistryRecord",
    "Site",
    "Snapshot",
    "Store",
]
