"""What a compile reads of the sites, the findings and the snapshots, shaped for it: the
sites with the instant each became known, the findings, and what a site's last snapshot
of a month showed."""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from audit.store import Session
from audit.store import bulletin_history as store

NO_DISTRICT = "未注明区县"
NO_CATEGORY = "未分类"
NEVER = dt.datetime.max.replace(tzinfo=dt.UTC)  # when a pending discovered site is known


class SiteInfo(NamedTuple):  # a tuple: 100,000s of them are read per compile
    id: int
    host: str
    name: str
    sponsor: str
    district: str
    category: str
    key_unit: bool
    discovered: bool
    known_since: dt.datetime
    retired_at: dt.datetime | None

    def monitored_at(self, moment: dt.datetime) -> bool:
        return self.known_since < moment and (self.retired_at is None or self.retired_at >= moment)


class Monitoring:
    """The sites monitored at an instant (:meth:`SiteInfo.monitored_at`), for many
    instants: the sites in the order they became known, less those retired."""

    def __init__(self, sites: dict[int, SiteInfo]) -> None:
        ordered = sorted(sites.values(), key=lambda info: info.known_since)
        self._known_since = [info.known_since for info in ordered]
        self._ids = [info.id for info in ordered]
        self._retired = [
            (info.retired_at, info.id) for info in ordered if info.retired_at is not None
        ]

    def at(self, moment: dt.datetime) -> set[int]:
        sites = set(self._ids[: bisect_left(self._known_since, moment)])
        sites.difference_update(site_id for at, site_id in self._retired if at < moment)
        return sites


@dataclass(frozen=True)
class SiteStatus:
    """What a site's last snapshot of a month showed."""

    readable: bool
    icp: bool
    police: bool


class FindingInfo(NamedTuple):
    id: int
    site_id: int
    rule: str
    severity: str
    first_seen_run_id: int


@dataclass(frozen=True)
class StatusCounts:
    """Sites whose last snapshot of a month was readable, and of those, how many showed a
    valid ICP number, a valid public-security number, both."""

    readable: int = 0
    icp: int = 0
    police: int = 0
    both: int = 0

    @classmethod
    def of(cls, status: dict[int, SiteStatus]) -> StatusCounts:
        readable = [s for s in status.values() if s.readable]
        return cls(
            len(readable),
            sum(1 for s in readable if s.icp),
            sum(1 for s in readable if s.police),
            sum(1 for s in readable if s.icp and s.police),
        )


def read_sites(session: Session, as_of: dt.datetime) -> dict[int, SiteInfo]:
    # A site imported after the crawls that saw it (a back-dated run) was known from its
    # first crawl: known since the earlier of the two. First by date: a run entered
    # later with --dated can be the earliest.
    first_crawled = store.first_crawls(session, as_of)
    sites: dict[int, SiteInfo] = {}
    shared: dict[str, str] = {}  # districts and categories: one string each, not per site
    for row in store.site_records(session):
        (site_id, host, name, sponsor, district, category, key_unit, source, first_seen,
         retired_at, accepted_at) = row  # fmt: skip
        known = first_seen
        crawled = first_crawled.get(site_id)
        if crawled is not None and crawled < known:
            known = crawled
        if source == "discovered":
            # known from its acceptance (never, while it waits for it)
            known = max(known, accepted_at) if accepted_at is not None else NEVER
        district = (district or "").strip() or NO_DISTRICT
        category = (category or "").strip() or NO_CATEGORY
        sites[site_id] = SiteInfo(
            id=site_id,
            host=host,
            name=name or "",
            sponsor=sponsor or "",
            district=shared.setdefault(district, district),
            category=shared.setdefault(category, category),
            key_unit=bool(key_unit),
            discovered=source == "discovered",
            known_since=known,
            retired_at=retired_at,
        )
    return sites


def read_findings(session: Session) -> dict[int, FindingInfo]:
    shared: dict[str, str] = {}  # rule codes and severities: one string each, not per finding
    findings: dict[int, FindingInfo] = {}
    for finding_id, site_id, rule, severity, first_run in store.finding_records(session):
        rule, severity = shared.setdefault(rule, rule), shared.setdefault(severity, severity)
        findings[finding_id] = FindingInfo(finding_id, site_id, rule, severity, first_run)
    return findings


def site_status(
    session: Session, run_ids: Sequence[int], as_of: dt.datetime
) -> dict[int, SiteStatus]:
    """Each site's last snapshot among these runs: readable, showing a valid ICP number,
    a valid public-security number (the sites known at ``as_of``)."""
    status: dict[int, SiteStatus] = {}
    shared: dict[tuple[bool, bool, bool], SiteStatus] = {}  # a few values for 100,000s of sites
    for site_id, outcome, rendered, icp, police in store.snapshot_statuses(session, run_ids, as_of):
        readable = outcome == "ok" or bool(rendered)
        key = (readable, readable and bool(icp), readable and bool(police))
        value = shared.get(key)
        if value is None:
            value = shared[key] = SiteStatus(*key)
        status[site_id] = value
    return status


def status_counts(session: Session, run_ids: Sequence[int], as_of: dt.datetime) -> StatusCounts:
    """``StatusCounts.of(site_status(session, run_ids, as_of))``, counted by the database
    (the trend needs no more for its months)."""
    return StatusCounts(*store.status_counts(session, run_ids, as_of))
