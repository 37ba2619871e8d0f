"""The store: the one place that speaks SQL.

Callers get a ``Session`` from ``Store.session()`` and hand it to the store's functions;
they name its type from here, not from SQLAlchemy.
"""

from sqlalchemy.orm import Session

from audit.store.db import Store
from audit.store.models import (
    Bulletin,
    CrawlRun,
    Finding,
    FindingEvent,
    JobRun,
    Link,
    Notice,
    NoticeSet,
    PageBody,
    RectificationNotice,
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
    "NoticeSet",
    "PageBody",
    "RectificationNotice",
    "RegistryRecord",
    "SchedulerLock",
    "Session",
    "Site",
    "Snapshot",
    "Store",
]
