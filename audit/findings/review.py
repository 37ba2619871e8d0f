"""Triage of findings (beian review): the analysts' states and the transitions between them.

The audit decides whether a problem is still there (``Finding.state``: open | resolved);
the analysts decide what is being done about it (``Finding.review_state``):

    new             nobody has looked at it yet
    confirmed       an analyst agrees it is a real problem
    notified        the unit was told to fix it (督促整改), by a deadline
    inspected       an on-site inspection took place (现场检查)
    rectifying      the unit is fixing it (整改中)
    false_positive  the rule is wrong here: suppressed until the evidence changes
    accepted_risk   known and tolerated until a date, then back to new
    resolved        done: the re-test no longer sees it

Every change is a ``FindingEvent`` of kind ``review`` (who, when, note, deadline); the
history is only ever appended to. The audit moves review states by itself in three
cases (audit/findings/audit.py): a notified or rectifying finding the re-test no longer sees
becomes resolved (the unit fixed it), a false positive whose evidence changed goes back
to new, an accepted risk past its date goes back to new.

The checks are pure functions (``check``, ``is_overdue``, ``evidence_hash``); the rest
works on a session.
"""

from __future__ import annotations

import datetime as dt
import getpass
from dataclasses import dataclass

from audit.config import LOCAL_TZ
from audit.errors import ArgumentError, UserError
from audit.findings.states import (  # noqa: F401 (the states are part of this module's API)
    DEADLINE_STATES,
    LABELS,
    NOTE_NEEDED,
    ONLY_ONCE_FIXED,
    ONLY_WHILE_OPEN,
    STATES,
    TRANSITIONS,
    UNIT_FIXING,
    allowed_moves,
    evidence_hash,
    next_deadline,
)
from audit.store import Session
from audit.store import findings as store_findings
from audit.store.models import Finding, FindingEvent, Site, utcnow
from audit.store.sites import site_by_host

# The centre's calendar (Asia/Shanghai has no daylight saving time).


class AlreadyInState(ArgumentError):
    """The finding is already in the asked state, and giving it again means nothing; the
    argument is what would make it mean something (a new deadline), if any."""


def today() -> dt.date:
    return dt.datetime.now(LOCAL_TZ).date()


def local_date(moment: dt.datetime) -> dt.date:
    return moment.astimezone(LOCAL_TZ).date()


def default_actor() -> str:
    try:
        return getpass.getuser() or "unknown"
    except Exception:  # no user name in the environment (containers)
        return "unknown"


def is_overdue(finding: Finding, on: dt.date | None = None) -> bool:
    """Still open, in rectification, and its deadline has passed."""
    return (
        finding.deadline is not None
        and finding.state == "open"
        and finding.review_state in DEADLINE_STATES
        and finding.deadline < (on or today())
    )


@dataclass(frozen=True)
class Change:
    """The review fields a finding gets from a transition."""

    to_state: str
    deadline: dt.date | None
    accepted_until: dt.date | None
    suppressed_evidence: str | None
    event_date: dt.date | None  # the date the event records: a deadline, or the acceptance end


def check_arguments(
    to_state: str, *, deadline: dt.date | None, until: dt.date | None, on: dt.date
) -> None:
    """The dates a state needs (whichever the finding): UserError when wrong or missing."""
    if to_state not in STATES:
        raise UserError(f"unknown review state {to_state!r}: one of {', '.join(STATES)}")
    if deadline is not None and to_state not in DEADLINE_STATES:
        raise ArgumentError(
            "deadline", f"{{argument}} goes with notified, inspected or rectifying, not {to_state}"
        )
    if until is not None and to_state != "accepted_risk":
        raise ArgumentError("until", f"{{argument}} goes with accepted_risk, not {to_state}")
    if to_state == "notified" and deadline is None:
        raise ArgumentError("deadline", "notified needs {argument} (the date to fix it by)")
    if to_state == "accepted_risk" and until is None:
        raise ArgumentError(
            "until", "accepted_risk needs {argument} (the date the acceptance ends)"
        )
    if deadline is not None and deadline < on:
        raise ArgumentError("deadline", f"{{argument}} {deadline.isoformat()} is in the past")
    if until is not None and until < on:
        raise ArgumentError("until", f"{{argument}} {until.isoformat()} is in the past")


def check(
    finding: Finding,
    to_state: str,
    *,
    deadline: dt.date | None = None,
    until: dt.date | None = None,
    note: str | None = None,
    on: dt.date | None = None,
) -> Change:
    """The change an analyst asks for, or a UserError saying why it is refused."""
    on = on or today()
    name = f"finding {finding.id}"
    current = finding.review_state
    if to_state not in STATES:
        raise UserError(f"unknown review state {to_state!r}: one of {', '.join(STATES)}")
    if current not in TRANSITIONS:
        raise UserError(f"{name} has an unknown review state {current!r}")
    if to_state not in TRANSITIONS[current]:
        if to_state == current:
            raise AlreadyInState("state", f"{name} is already {current}")
        allowed = ", ".join(allowed_moves(current))
        raise UserError(
            f"{name}: {current} → {to_state} is not allowed (from {current}: {allowed})"
        )
    check_arguments(to_state, deadline=deadline, until=until, on=on)
    if to_state in ONLY_WHILE_OPEN and finding.state != "open":
        raise UserError(
            f"{name} is already fixed: the re-test of run {finding.resolved_run_id} no longer "
            f"sees it (mark it resolved)"
        )
    if to_state in ONLY_ONCE_FIXED and finding.state != "resolved":
        others = [s for s in ("false_positive", "accepted_risk") if s in TRANSITIONS[current]]
        instead = f" (or mark it {' / '.join(others)})" if others else ""
        raise UserError(
            f"{name} is still open: run {finding.last_seen_run_id} saw it; the next crawl "
            f"resolves it once the site is fixed{instead}"
        )
    if (current, to_state) in NOTE_NEEDED and not (note or "").strip():
        raise ArgumentError(
            "note", f"{name} was {current}: say with {{argument}} why it is a false positive"
        )
    if to_state == current == "notified" and deadline == finding.deadline:
        raise AlreadyInState(
            "deadline", f"{name} is already notified: give a new {{argument}} to notify again"
        )
    if to_state == current == "accepted_risk" and until == finding.accepted_until:
        raise AlreadyInState(
            "until", f"{name} is already accepted until {until}: give another {{argument}}"
        )

    return Change(
        to_state=to_state,
        deadline=next_deadline(to_state, deadline, finding.deadline),
        accepted_until=until if to_state == "accepted_risk" else None,
        suppressed_evidence=evidence_hash(finding.evidence)
        if to_state == "false_positive"
        else None,
        event_date=until if to_state == "accepted_risk" else deadline,
    )


def apply(
    finding: Finding,
    change: Change,
    *,
    actor: str,
    note: str | None = None,
    run_id: int | None = None,
    at: dt.datetime | None = None,
) -> FindingEvent:
    """Set the finding's review fields; return the event that records it (to be added)."""
    event = FindingEvent(
        finding_id=finding.id, at=at or utcnow(), run_id=run_id, kind="review", actor=actor,
        from_state=finding.review_state, to_state=change.to_state, note=note,
        deadline=change.event_date,
    )  # fmt: skip
    finding.review_state = change.to_state
    finding.deadline = change.deadline
    finding.accepted_until = change.accepted_until
    finding.suppressed_evidence = change.suppressed_evidence
    return event


def by_audit(
    finding: Finding, to_state: str, *, run_id: int, note: str, at: dt.datetime | None = None
) -> FindingEvent:
    """A review state the audit sets by itself (fixed, evidence changed, acceptance ended),
    dated ``at`` (the audited run's time)."""
    change = Change(to_state, next_deadline(to_state, None, finding.deadline), None, None, None)
    return apply(finding, change, actor="audit", note=note, run_id=run_id, at=at)


def fixed_note(finding: Finding, on: dt.date) -> str:
    """What the audit says when a notified or rectifying finding is no longer seen."""
    when = ""
    if finding.deadline is not None:
        met = "before" if on <= finding.deadline else "after"
        when = f", {met} the deadline {finding.deadline.isoformat()}"
    return (
        f"the unit fixed it ({finding.review_state}{when}): "
        "no longer seen by the re-test of this run"
    )


# ---- over a session -----------------------------------------------------------------


@dataclass(frozen=True)
class Reviewed:
    finding_id: int
    host: str
    rule: str
    from_state: str
    to_state: str
    deadline: dt.date | None


def get_finding(session: Session, finding_id: int) -> tuple[Finding, Site]:
    found = store_findings.finding_with_site(session, finding_id)
    if found is None:
        raise UserError(f"no finding {finding_id} (beian findings lists them)")
    return found


def events_of(session: Session, finding_id: int) -> list[FindingEvent]:
    return store_findings.finding_events(session, finding_id)


def review_finding(
    session: Session,
    finding_id: int,
    to_state: str,
    *,
    note: str | None = None,
    deadline: dt.date | None = None,
    until: dt.date | None = None,
    actor: str | None = None,
    on: dt.date | None = None,
    at: dt.datetime | None = None,
) -> Reviewed:
    """Move one finding to ``to_state`` and record it; UserError if not allowed.
    ``at`` dates the event (default now): for records of what happened earlier."""
    finding, site = get_finding(session, finding_id)
    change = check(finding, to_state, deadline=deadline, until=until, note=note, on=on)
    return _record(session, finding, site, change, actor=actor, note=note, at=at)


def review_site(
    session: Session,
    host: str,
    to_state: str,
    *,
    note: str | None = None,
    deadline: dt.date | None = None,
    until: dt.date | None = None,
    actor: str | None = None,
    on: dt.date | None = None,
    at: dt.datetime | None = None,
) -> tuple[list[Reviewed], list[str]]:
    """Move every open finding of a site that can make the move (see ``review_findings``);
    a site with nothing to move is refused."""
    on = on or today()
    check_arguments(to_state, deadline=deadline, until=until, on=on)
    site = site_by_host(session, host)
    if site is None:
        raise UserError(f"no site {host} (beian sites list shows the hosts)")
    found = [(f, site) for f in store_findings.open_findings_of_site(session, site.id)]
    return review_findings(
        session, found, to_state, note=note, deadline=deadline, until=until, actor=actor,
        on=on, at=at, nothing=f"no open finding of {site.host} can become {to_state}",
    )  # fmt: skip


def review_findings(
    session: Session,
    found: list[tuple[Finding, Site]],
    to_state: str,
    *,
    note: str | None = None,
    deadline: dt.date | None = None,
    until: dt.date | None = None,
    actor: str | None = None,
    on: dt.date | None = None,
    at: dt.datetime | None = None,
    nothing: str | None = None,
) -> tuple[list[Reviewed], list[str]]:
    """Move each of these findings that can make the move; return what changed and why
    the others were left alone: false positives and accepted risks (set aside one by one,
    they change by ID), findings already there, moves the table does not allow. Wrong or
    missing dates refuse the whole request; so does a request that moves nothing
    (``nothing`` says so, with the reasons)."""
    on = on or today()
    check_arguments(to_state, deadline=deadline, until=until, on=on)
    planned: list[tuple[Finding, Site, Change]] = []
    left: list[str] = []
    for finding, site in found:
        set_aside = finding.review_state in ("false_positive", "accepted_risk")
        if set_aside and to_state != finding.review_state:
            left.append(f"finding {finding.id} is {finding.review_state} (change it by its ID)")
            continue
        try:
            change = check(finding, to_state, deadline=deadline, until=until, note=note, on=on)
        except UserError as exc:
            left.append(str(exc))
            continue
        planned.append((finding, site, change))
    if not planned:
        why = f": {'; '.join(left)}" if left else ""
        raise UserError(f"{nothing or f'no finding can become {to_state}'}{why}")
    done = [_record(session, f, s, c, actor=actor, note=note, at=at) for f, s, c in planned]
    return done, left


def _record(
    session: Session,
    finding: Finding,
    site: Site,
    change: Change,
    *,
    actor: str | None,
    note: str | None,
    at: dt.datetime | None = None,
) -> Reviewed:
    from_state = finding.review_state
    event = apply(finding, change, actor=actor or default_actor(), note=note or None, at=at)
    session.add(event)
    session.flush()
    return Reviewed(
        finding.id, site.host, finding.rule, from_state, change.to_state, change.deadline
    )
