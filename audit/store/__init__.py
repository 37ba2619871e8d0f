"""The store: the one place that speaks SQL."""

from audit.store.db import Store
from audit.store.models import (
    Bulletin,
    CrawlRun,
    Finding,
    FindingEvent,
    JobRun,
    Link,
    Notice,
    RegistryRecord,
    SchedulerLock,
    Site,
    Snapshot,
)

__all__ = [
    "Bulletin",
    "CrawlRun",
    "Finding",
    "FindingEvent",
    "JobRun",
    "Link",
    "Notice",
    "RegistryRecord",
    "SchedulerLock",
    "Site",
    "Snapshot",
    "Store",
]
