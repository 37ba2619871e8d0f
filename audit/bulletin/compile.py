"""Compile a month's figures from the store, as the database stood at the month's end.

Reproducible: every figure is read from records dated before the end of the month, so a
bulletin compiled again after later crawls and reviews says the same thing.

- A crawl run belongs to the month its start falls in (Beijing time). What a site showed
  in a month is its last snapshot of that month.
- A finding's state at an instant is replayed from its events: opened, resolved and
  reopened by the audit of a run (dated by the run's start), resolved when its site was
  taken out of the inventory (dated by the event); its review state and deadline from the
  review events before that instant (an event the audit made for a run is dated by the
  run). The current columns of ``findings`` are never used for a past month.
- A site is monitored at an instant when it was known (first seen, or first crawled)
  before it and not yet taken out of the inventory. A site discovered through links is
  known from its acceptance (beian sites accept): until then it is in no count, not even
  among the sites crawled, whose snapshots it has.
- False positives are left out of every count and list of open findings.

The parts: the store's dated history (:mod:`audit.store.bulletin_history`); its replay
(:mod:`audit.bulletin.history`); the sites, findings and snapshots shaped for the compile
(:mod:`audit.bulletin.records`); the month's state every section is built from
(:mod:`audit.bulletin.month`); the sections (:mod:`audit.bulletin.sections`) and the
attachment lists (:mod:`audit.bulletin.lists`); the rule groups counted by
(:mod:`audit.bulletin.rule_groups`). Here: the compile, and the names callers import.
"""

from __future__ import annotations

import datetime as dt

from audit.bulletin import sections
from audit.bulletin.figures import Figures, Period
from audit.bulletin.history import NOT_REVIEWED, History, ReviewState, ReviewStates, Timeline
from audit.bulletin.lists import EXCERPT_LIMIT, add_lists
from audit.bulletin.month import Activity, MonthState, read_month
from audit.bulletin.records import (
    NEVER,
    NO_CATEGORY,
    NO_DISTRICT,
    FindingInfo,
    Monitoring,
    SiteInfo,
    SiteStatus,
    StatusCounts,
)
from audit.bulletin.rule_groups import (
    ICP_UNFILED,
    POLICE_UNFILED,
    THREAT_RULES,
    UNFILED_RULES,
    UNVERIFIED_RULES,
)
from audit.config import BulletinSettings, Profile
from audit.store import Session
from audit.store.bulletin_history import LIFECYCLE
from audit.store.models import utcnow

__all__ = [
    "EXCERPT_LIMIT",
    "ICP_UNFILED",
    "LIFECYCLE",
    "NEVER",
    "NOT_REVIEWED",
    "NO_CATEGORY",
    "NO_DISTRICT",
    "POLICE_UNFILED",
    "THREAT_RULES",
    "UNFILED_RULES",
    "UNVERIFIED_RULES",
    "Activity",
    "FindingInfo",
    "History",
    "Monitoring",
    "MonthState",
    "ReviewState",
    "ReviewStates",
    "SiteInfo",
    "SiteStatus",
    "StatusCounts",
    "Timeline",
    "compile_figures",
]


def compile_figures(
    session: Session,
    profile: Profile,
    period: Period,
    *,
    settings: BulletinSettings | None = None,
    now: dt.datetime | None = None,
) -> Figures:
    """The figures of ``period`` as the database stood at its end (or now, if earlier)."""
    settings = settings or BulletinSettings()
    now = now or utcnow()
    month = read_month(session, profile, period, settings=settings, now=now)
    figures = Figures(
        period=period,
        previous=month.previous,
        as_of=month.as_of,
        complete=now >= period.end,
        compared=month.compared,
        overview=sections.overview(month),
        unfiled=sections.unfiled(month),
        rectification=sections.rectification(month),
        threats=sections.threats(month),
        warnings=sections.warnings(month),
        trend=sections.trend(month),
        findings_by_district=sections.findings_by_district(month),
    )
    add_lists(figures, month)
    return figures
