"""The analysts' review states of a finding and the moves between them: data, no I/O.

The store, the audit, the bulletin and the CLI's help all read them from here; the
operations on findings are in audit/findings/review.py.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from enum import StrEnum
from typing import Any


class FindingState(StrEnum):
    """Whether the problem is still there: the audit decides."""

    OPEN = "open"
    RESOLVED = "resolved"


class ReviewState(StrEnum):
    """What is being done about it: the analysts decide (audit/findings/review.py)."""

    NEW = "new"
    CONFIRMED = "confirmed"
    NOTIFIED = "notified"
    INSPECTED = "inspected"
    RECTIFYING = "rectifying"
    FALSE_POSITIVE = "false_positive"
    ACCEPTED_RISK = "accepted_risk"
    RESOLVED = "resolved"


STATES: tuple[str, ...] = tuple(state.value for state in ReviewState)

LABELS = {
    "new": "new, not yet looked at",
    "confirmed": "a real problem",
    "notified": "督促整改: the unit was told to fix it by --deadline",
    "inspected": "现场检查: inspected on site",
    "rectifying": "整改中: the unit is fixing it",
    "false_positive": "误报: suppressed for this site until the evidence changes",
    "accepted_risk": "accepted until --until, then back to new",
    "resolved": "done: the re-test no longer sees it",
}

# Where each state may go. A state listed as its own successor can be given again:
# notified with a new deadline (notified again), inspected (another inspection),
# rectifying (progress, a new deadline), accepted_risk with a later --until.
TRANSITIONS: dict[str, frozenset[str]] = {
    "new": frozenset({"confirmed", "false_positive", "accepted_risk", "resolved"}),
    "confirmed": frozenset(
        {"new", "notified", "inspected", "false_positive", "accepted_risk", "resolved"}
    ),
    "notified": frozenset({"notified", "inspected", "rectifying", "accepted_risk", "resolved"}),
    "inspected": frozenset({"notified", "inspected", "rectifying", "accepted_risk", "resolved"}),
    "rectifying": frozenset({"notified", "inspected", "rectifying", "accepted_risk", "resolved"}),
    "false_positive": frozenset({"new", "confirmed"}),
    "accepted_risk": frozenset({"new", "confirmed", "accepted_risk", "resolved"}),
    "resolved": frozenset({"new", "confirmed"}),
}

# States in which a rectification deadline runs (and can be overdue).
DEADLINE_STATES = frozenset({"notified", "inspected", "rectifying"})
# States the audit closes by itself when the re-test no longer sees the problem.
UNIT_FIXING = frozenset({"notified", "inspected", "rectifying"})


def next_deadline(
    to_state: str | None, given: dt.date | None, current: dt.date | None
) -> dt.date | None:
    """A finding's rectification deadline after a move to ``to_state``: a rectification
    state takes the date given, or keeps the one it had; resolved keeps it (was it fixed
    in time?); any other state has none. The review, the audit and the bulletin's replay
    of the history all follow this."""
    if to_state in DEADLINE_STATES:
        return given or current
    if to_state == "resolved":
        return current
    return None


def evidence_hash(evidence: Mapping[str, Any]) -> str:
    """What a false positive was declared on: the text the rule saw and its reasons.

    The snapshot and the URL are left out: they change from run to run (or http to https)
    while the page says the same thing.
    """
    stable = {"excerpt": evidence.get("excerpt"), "details": evidence.get("details") or {}}
    text = json.dumps(stable, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
