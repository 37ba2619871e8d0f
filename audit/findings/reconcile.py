"""What an audit does to the findings of one site: the rules' hits against the findings
already known, turned into transitions. Pure: no database here (audit/findings/audit.py loads
the findings, calls this, and persists the transitions).

One small function per case: a problem seen for the first time opens a finding; seen
again it stays open (or was there already, before a run dated later saw it first); a
false positive seen with the evidence it was declared on stays suppressed, with changed
evidence its suppression ends; a resolved one seen again reopens; an open one the rules
judged and no longer see is resolved (fixed by the unit when it was being fixed); an
accepted risk past its date goes back to review.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from audit.findings.states import UNIT_FIXING, evidence_hash

Key = tuple[int, str, str]  # site id, rule code, fingerprint


class Move(StrEnum):
    OPENED = "opened"  # a new finding
    OPENED_EARLIER = "opened_earlier"  # its opening moves back to this (earlier-dated) run
    SUPPRESSED = "suppressed"  # a false positive seen with the evidence it was declared on
    SUPPRESSION_ENDED = "suppression_ended"  # ... with other evidence: back to review
    REOPENED = "reopened"
    STILL_OPEN = "still_open"
    RESOLVED = "resolved"  # no longer seen by the rules that judged the site
    ACCEPTANCE_ENDED = "acceptance_ended"  # an accepted risk past its date: back to review


# What the audit summary counts each move as.
COUNTED_AS = {
    Move.OPENED: "new",
    Move.OPENED_EARLIER: "new",
    Move.SUPPRESSED: "suppressed",
    Move.REOPENED: "reopened",
    Move.STILL_OPEN: "still_open",
    Move.RESOLVED: "resolved",
}


@dataclass(frozen=True)
class Known:
    """A finding as the audit sees it before this run's changes."""

    id: int | None  # None for one opened by this very audit
    key: Key
    state: str  # open | resolved
    review_state: str
    first_seen_run_id: int | None
    last_seen_run_id: int | None
    resolved_run_id: int | None
    suppressed_evidence: str | None = None
    accepted_until: dt.date | None = None
    deadline: dt.date | None = None

    @property
    def rule(self) -> str:
        return self.key[1]


@dataclass(frozen=True)
class Seen:
    """A rule's hit on the site in this run, with the evidence a finding keeps."""

    key: Key
    severity: str
    evidence: dict[str, Any]
    snapshot_id: int


@dataclass(frozen=True)
class Transition:
    move: Move
    key: Key
    seen: Seen | None = None  # the hit, for the moves that come from one
    touch: bool = False  # the finding was seen by this run: last seen, evidence, snapshot
    fixed: bool = False  # resolved while the unit was fixing it: the loop closes
    back_to_review: bool = False  # its review state goes back to new


@dataclass(frozen=True)
class Audit:
    """The run being audited, and how other runs compare with it in time."""

    run_id: int
    after_this: Callable[[int | None], bool]  # a run dated after this one
    today: dt.date  # the centre's date, for accepted risks


def reconcile_site(
    audit: Audit, known: Iterable[Known], hits: Iterable[Seen], judged: frozenset[str]
) -> list[Transition]:
    """The transitions of one site's findings: each hit against what is known of it, then
    the open findings of the judged rules that the hits no longer show."""
    findings = {k.key: k for k in known}
    transitions: list[Transition] = []
    for seen in hits:
        moves = list(_hit(audit, findings.get(seen.key), seen))
        transitions += moves
        if moves and moves[0].move is Move.OPENED:  # a second hit of the key finds it open
            findings[seen.key] = Known(
                None, seen.key, "open", "new", audit.run_id, audit.run_id, None
            )
    shown = {seen.key for seen in hits}
    for finding in findings.values():
        if finding.key not in shown and _resolvable(audit, finding, judged):
            transitions.append(_resolved(finding))
    return transitions


def acceptances_ended(audit: Audit, known: Iterable[Known]) -> list[Transition]:
    """Accepted risks past their date (the date itself is still covered): back to review."""
    return [
        Transition(Move.ACCEPTANCE_ENDED, k.key, back_to_review=True)
        for k in known
        if k.state == "open"
        and k.review_state == "accepted_risk"
        and k.accepted_until is not None
        and k.accepted_until < audit.today
    ]


def _hit(audit: Audit, finding: Known | None, seen: Seen) -> Iterator[Transition]:
    if finding is None:
        yield Transition(Move.OPENED, seen.key, seen)
        return
    if audit.after_this(finding.last_seen_run_id) or audit.after_this(finding.resolved_run_id):
        # a later run already decided about it; one that first saw it later missed that
        # it was there already
        if audit.after_this(finding.first_seen_run_id):
            yield Transition(Move.OPENED_EARLIER, seen.key, seen)
        return
    if _suppressed(finding, seen):
        touch = finding.state == "open" and finding.last_seen_run_id != audit.run_id
        yield Transition(Move.SUPPRESSED, seen.key, seen, touch=touch)
        return
    if finding.review_state == "false_positive":  # the evidence changed
        yield Transition(Move.SUPPRESSION_ENDED, seen.key, seen, back_to_review=True)
        finding = replace(finding, review_state="new")
    if finding.state == "resolved":
        # It came back: a finding marked resolved by the analysts is looked at again.
        back = finding.review_state == "resolved"
        yield Transition(Move.REOPENED, seen.key, seen, touch=True, back_to_review=back)
        return
    touch = finding.last_seen_run_id != audit.run_id
    yield Transition(Move.STILL_OPEN, seen.key, seen, touch=touch)


def _suppressed(finding: Known, seen: Seen) -> bool:
    """A false positive seen again with the very evidence it was declared on."""
    return (
        finding.review_state == "false_positive"
        and finding.suppressed_evidence is not None
        and finding.suppressed_evidence == evidence_hash(seen.evidence)
    )


def _resolvable(audit: Audit, finding: Known, judged: frozenset[str]) -> bool:
    """Open, judged by this run's rules (not when the site could not be read), and seen
    neither by this run nor by a run dated after it."""
    return (
        finding.state == "open"
        and finding.rule in judged
        and finding.last_seen_run_id != audit.run_id
        and not audit.after_this(finding.last_seen_run_id)
    )


def _resolved(finding: Known) -> Transition:
    return Transition(Move.RESOLVED, finding.key, fixed=finding.review_state in UNIT_FIXING)
