"""What the audit reads (the sites and snapshots of a run) and writes (findings, events)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from sqlalchemy import not_, or_, select, update
from sqlalchemy.orm import Session

from audit.findings.states import DEADLINE_STATES, UNIT_FIXING
from audit.outcomes import NOT_OBSERVED
from audit.store import runs
from audit.store.models import CrawlRun, Finding, FindingEvent, Notice, Site, Snapshot
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


def run_site_ids(session: Session, run_id: int) -> list[int]:
    """The sites whose snapshots of a run the audit judges (those of accepted sites: a
    discovered site awaiting acceptance is not the centre's to judge yet), in id order:
    the audit works through them in batches."""
    return list(
        session.scalars(
            select(Snapshot.site_id)
            .join(Site, Site.id == Snapshot.site_id)
            .where(Snapshot.run_id == run_id, not_(PENDING))
            .order_by(Snapshot.site_id)
        )
    )


def run_snapshots(
    session: Session, run_id: int, site_ids: Sequence[int] | None = None
) -> list[tuple[Site, Snapshot]]:
    """The snapshots of a run that the audit judges (see ``run_site_ids``), of these sites
    when given, in site order."""
    query = (
        select(Site, Snapshot)
        .join(Snapshot, Snapshot.site_id == Site.id)
        .where(Snapshot.run_id == run_id, not_(PENDING))
        .order_by(Site.id)
    )
    if site_ids is not None:
        query = query.where(Site.id.in_(list(site_ids)))
    return [(site, snapshot) for site, snapshot in session.execute(query).all()]


def notices_by_snapshot(
    session: Session, run_id: int, snapshot_ids: Sequence[int] | None = None
) -> dict[int, list[dict[str, Any]]]:
    """The notices of a run's snapshots (of these snapshots when given), as each page
    shows them, in order."""
    query = (
        select(Snapshot.id, Notice)
        .join(Notice, Notice.set_id == Snapshot.notice_set_id)
        .where(Snapshot.run_id == run_id)
        .order_by(Snapshot.id, Notice.id)
    )
    if snapshot_ids is not None:
        query = query.where(Snapshot.id.in_(list(snapshot_ids)))
    found: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for snapshot_id, notice in session.execute(query):
        found[snapshot_id].append(
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


def icp_notices(session: Session, run_id: int) -> list[tuple[Any, ...]]:
    """The ICP numbers and the sponsors shown by the judged snapshots of a run, with each
    site's inventory sponsor and host, in page order: (snapshot id, sponsor, host, kind,
    number, valid). Who shows each ICP number is known only from the whole run."""
    query = (
        select(
            Snapshot.id, Site.sponsor, Site.host, Notice.kind, Notice.number, Notice.valid,
        )
        .join(Notice, Notice.set_id == Snapshot.notice_set_id)
        .join(Site, Site.id == Snapshot.site_id)
        .where(Snapshot.run_id == run_id, Notice.kind.in_(("icp", "sponsor")), not_(PENDING))
        .order_by(Snapshot.id, Notice.id)
    )  # fmt: skip
    return [tuple(row) for row in session.execute(query)]


def recent_outcomes(
    session: Session, run_id: int, depth: int, site_ids: Sequence[int] | None = None
) -> dict[int, tuple[str, ...]]:
    """Each site's outcomes (of these sites when given) in its latest ``depth`` snapshots
    up to this run, newest first by the runs' dates, leaving out the runs in which the
    crawler did not look at it (NOT_OBSERVED)."""
    outcomes: dict[int, list[str]] = defaultdict(list)
    query = (
        select(Snapshot.site_id, Snapshot.outcome)
        .join(CrawlRun, CrawlRun.id == Snapshot.run_id)
        .where(runs.up_to(runs.run_keys(session, [run_id])[run_id]))
        .where(Snapshot.outcome.not_in(NOT_OBSERVED))
        .order_by(Snapshot.site_id, *runs.NEWEST_FIRST)
    )
    if site_ids is not None:
        query = query.where(Snapshot.site_id.in_(list(site_ids)))
    for site_id, outcome in session.execute(query):
        if len(outcomes[site_id]) < depth:
            outcomes[site_id].append(outcome)
    return {site_id: tuple(found) for site_id, found in outcomes.items()}


class FindingState(NamedTuple):
    """What the audit needs to know of a finding to decide its transitions: read as plain
    rows, not as ORM objects (a run's sites have hundreds of thousands of findings, and
    few of them change)."""

    id: int
    site_id: int
    rule: str
    fingerprint: str
    state: str
    review_state: str
    first_seen_run_id: int
    last_seen_run_id: int
    resolved_run_id: int | None
    suppressed_evidence: str | None
    accepted_until: dt.date | None
    deadline: dt.date | None


_FINDING_STATE = [getattr(Finding, name) for name in FindingState._fields]


def finding_states(session: Session, site_ids: Sequence[int]) -> list[FindingState]:
    """The findings of these sites."""
    query = select(*_FINDING_STATE).where(Finding.site_id.in_(list(site_ids)))
    return [FindingState(*row) for row in session.execute(query)]


def findings_by_id(session: Session, finding_ids: Sequence[int]) -> dict[int, Finding]:
    found: dict[int, Finding] = {}
    for start in range(0, len(finding_ids), _CHUNK):
        chunk = finding_ids[start : start + _CHUNK]
        found.update(
            (f.id, f) for f in session.scalars(select(Finding).where(Finding.id.in_(chunk)))
        )
    return found


def list_findings(
    session: Session,
    *,
    rules: Sequence[str] = (),
    severities: Sequence[str] = (),
    state: str | None = "open",
    review_states: Sequence[str] = (),
    overdue_on: dt.date | None = None,
    district: str | None = None,
    category: str | None = None,
    key_unit: bool | None = None,
    host: str | None = None,
    text: str | None = None,
    since: dt.datetime | None = None,
) -> list[tuple[Finding, Site]]:
    """Findings with their sites, by rule, host and fingerprint. ``review_states``: only
    these (all when empty); ``overdue_on``: only open findings in a rectification state
    whose deadline passed before that day; ``host``: hosts containing it; ``text``: hosts,
    site names or sponsors containing it."""
    query = select(Finding, Site).join(Site, Site.id == Finding.site_id)
    if rules:
        query = query.where(Finding.rule.in_([r.upper() for r in rules]))
    if severities:
        query = query.where(Finding.severity.in_(list(severities)))
    if state and state != "all":
        query = query.where(Finding.state == state)
    if review_states:
        query = query.where(Finding.review_state.in_(list(review_states)))
    if overdue_on is not None:
        query = query.where(
            Finding.state == "open",
            Finding.review_state.in_(sorted(DEADLINE_STATES)),
            Finding.deadline < overdue_on,
        )
    if district:
        query = query.where(Site.district == district)
    if category:
        query = query.where(Site.category == category)
    if key_unit is not None:
        query = query.where(Site.key_unit.is_(key_unit))
    if host:
        query = query.where(Site.host.contains(host.lower(), autoescape=True))
    if text:
        query = query.where(
            or_(
                Site.host.contains(text.lower(), autoescape=True),
                Site.name.contains(text, autoescape=True),
                Site.sponsor.contains(text, autoescape=True),
            )
        )
    if since is not None:  # last seen, or resolved by a re-test, at or after
        query = query.where(or_(Finding.last_seen_at >= since, Finding.resolved_at >= since))
    query = query.order_by(Finding.rule, Site.host, Finding.fingerprint)
    return [(finding, site) for finding, site in session.execute(query).all()]


def finding_with_site(session: Session, finding_id: int) -> tuple[Finding, Site] | None:
    row = session.execute(
        select(Finding, Site).join(Site, Site.id == Finding.site_id).where(Finding.id == finding_id)
    ).first()
    return None if row is None else (row[0], row[1])


def finding_events(session: Session, finding_id: int) -> list[FindingEvent]:
    """A finding's history, oldest first."""
    return list(
        session.scalars(
            select(FindingEvent)
            .where(FindingEvent.finding_id == finding_id)
            .order_by(FindingEvent.id)
        )
    )


def findings_of_site(session: Session, site_id: int) -> list[Finding]:
    """Every finding of a site, open and past, the latest seen first."""
    query = select(Finding).where(Finding.site_id == site_id)
    return list(session.scalars(query.order_by(Finding.last_seen_at.desc(), Finding.id)))


def open_findings_of_site(session: Session, site_id: int) -> list[Finding]:
    return list(
        session.scalars(
            select(Finding)
            .where(Finding.site_id == site_id, Finding.state == "open")
            .order_by(Finding.id)
        )
    )


def hosts_with_open_findings(session: Session, rules: Iterable[str]) -> list[str]:
    """The hosts with an open finding of one of ``rules``, sorted."""
    return list(
        session.scalars(
            select(Site.host)
            .join(Finding, Finding.site_id == Site.id)
            .where(Finding.state == "open", Finding.rule.in_(sorted(rules)))
            .distinct()
            .order_by(Site.host)
        )
    )


def open_last_seen(session: Session, finding_ids: Sequence[int]) -> dict[int, int | None]:
    """Of these findings, the open ones and the run that saw each last."""
    found: dict[int, int | None] = {}
    for start in range(0, len(finding_ids), _CHUNK):
        rows = session.execute(
            select(Finding.id, Finding.last_seen_run_id).where(
                Finding.id.in_(finding_ids[start : start + _CHUNK]), Finding.state == "open"
            )
        )
        found.update({finding_id: last_seen for finding_id, last_seen in rows})
    return found


def date_opening(session: Session, finding_id: int, run_id: int, note: str) -> None:
    """Move the "opened" event of a finding to an earlier run (a back-dated crawl saw it)."""
    session.execute(
        update(FindingEvent)
        .where(FindingEvent.finding_id == finding_id, FindingEvent.kind == "opened")
        .values(run_id=run_id, note=note)
    )


_CHUNK = 900  # ids per IN (...) list: SQLite's default limit is 999 variables


def findings_for_units(
    session: Session,
    site_ids: Sequence[int],
    *,
    excluded_review: Iterable[str],
    severities: Iterable[str],
) -> list[Finding]:
    """The open findings of these sites that a unit is told about: not set aside by the
    analysts (``excluded_review``), of the severities letters carry."""
    return list(
        session.scalars(
            select(Finding).where(
                Finding.site_id.in_(list(site_ids)),
                Finding.state == "open",
                Finding.review_state.not_in(sorted(excluded_review)),
                Finding.severity.in_(sorted(severities)),
            )
        )
    )
