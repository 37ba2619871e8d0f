"""What the audit reads (the sites and snapshots of a run) and writes (findings, events)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import not_, select
from sqlalchemy.orm import Session

from audit.outcomes import NOT_OBSERVED
from audit.review_states import UNIT_FIXING
from audit.store import runs
from audit.store.models import CrawlRun, Finding, Notice, Site, Snapshot
from audit.store.sites import PENDING


def latest_finished_run(session: Session) -> CrawlRun | None:
    """The finished (or incomplete) run dated last (:mod:`audit.store.runs`)."""
    return runs.latest_ended_run(session)


def retest_hosts(session: Session) -> list[str]:
    """The sites whose units are fixing something, sorted: an open finding notified,
    inspected or rectifying, and the site still in the inventory. `beian crawl --retest`
    crawls them; its audit resolves what they fixed (and closes the loop)."""
    return list(
        session.scalars(
            select(Site.host)
            .join(Finding, Finding.site_id == Site.id)
            .where(
                Finding.state == "open",
                Finding.review_state.in_(sorted(UNIT_FIXING)),
                Site.retired_at.is_(None),
            )
            .distinct()
            .order_by(Site.host)
        )
    )


def run_snapshots(session: Session, run_id: int) -> list[tuple[Site, Snapshot]]:
    """The snapshots of a run that the audit judges: those of accepted sites (a discovered
    site awaiting acceptance is not the centre's to judge yet)."""
    rows = session.execute(
        select(Site, Snapshot)
        .join(Snapshot, Snapshot.site_id == Site.id)
        .where(Snapshot.run_id == run_id, not_(PENDING))
    ).all()
    return [(site, snapshot) for site, snapshot in rows]


def notices_by_snapshot(session: Session, run_id: int) -> dict[int, list[dict[str, Any]]]:
    found: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for notice in session.scalars(select(Notice).where(Notice.run_id == run_id)):
        found[notice.snapshot_id].append(
            {
                "kind": notice.kind,
                "number": notice.number,
                "raw": notice.raw,
                "valid": notice.valid,
                "linked": notice.linked,
                "source": notice.source,
                "details": notice.details,
            }
        )
    return found


def recent_outcomes(session: Session, run_id: int, depth: int) -> dict[int, tuple[str, ...]]:
    """Each site's outcomes in its latest ``depth`` snapshots up to this run, newest first
    by the runs' dates, leaving out the runs in which the crawler did not look at it
    (NOT_OBSERVED)."""
    outcomes: dict[int, list[str]] = defaultdict(list)
    rows = session.execute(
        select(Snapshot.site_id, Snapshot.outcome)
        .join(CrawlRun, CrawlRun.id == Snapshot.run_id)
        .where(runs.up_to(runs.run_keys(session, [run_id])[run_id]))
        .where(Snapshot.outcome.not_in(NOT_OBSERVED))
        .order_by(Snapshot.site_id, *runs.NEWEST_FIRST)
    )
    for site_id, outcome in rows:
        if len(outcomes[site_id]) < depth:
            outcomes[site_id].append(outcome)
    return {site_id: tuple(found) for site_id, found in outcomes.items()}


def findings_of_sites(session: Session, site_ids: Iterable[int]) -> list[Finding]:
    ids = list(site_ids)
    found: list[Finding] = []
    for start in range(0, len(ids), 5000):
        chunk = ids[start : start + 5000]
        found.extend(session.scalars(select(Finding).where(Finding.site_id.in_(chunk))))
    return found


def list_findings(
    session: Session,
    *,
    rules: Sequence[str] = (),
    severities: Sequence[str] = (),
    state: str | None = "open",
    district: str | None = None,
    category: str | None = None,
    key_unit: bool | None = None,
    host: str | None = None,
    since: dt.datetime | None = None,
) -> list[tuple[Finding, Site]]:
    query = select(Finding, Site).join(Site, Site.id == Finding.site_id)
    if rules:
        query = query.where(Finding.rule.in_([r.upper() for r in rules]))
    if severities:
        query = query.where(Finding.severity.in_(list(severities)))
    if state and state != "all":
        query = query.where(Finding.state == state)
    if district:
        query = query.where(Site.district == district)
    if category:
        query = query.where(Site.category == category)
    if key_unit is not None:
        query = query.where(Site.key_unit.is_(key_unit))
    if host:
        query = query.where(Site.host.contains(host.lower(), autoescape=True))
    if since is not None:  # last seen at or after
        query = query.where(Finding.last_seen_at >= since)
    query = query.order_by(Finding.rule, Site.host, Finding.fingerprint)
    return [(finding, site) for finding, site in session.execute(query).all()]
