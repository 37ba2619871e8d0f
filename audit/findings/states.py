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
# As documents for people outside the centre name them (bulletins, spreadsheets).
REVIEW_STATES_ZH = {
    "new": "待核实",
    "confirmed": "已核实",
    "notified": "已督促整改",
    "inspected": "已现场检查",
    "rectifying": "整改中",
    "accepted_risk": "暂缓处置",
    "false_positive": "误报",
    "resolved": "已整改",
}

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
# rectifying (progress, a new deadline), accepted_risk with a later --until. Confirming
# first is optional (new → notified in one step); a finding found wrong after the unit
# was told can still be marked a false positive (with a note: see NOTE_NEEDED).
TRANSITIONS: dict[str, frozenset[str]] = {
    "new": frozenset(
        {"confirmed", "notified", "inspected", "false_positive", "accepted_risk", "resolved"}
    ),
    "confirmed": frozenset(
        {"new", "notified", "inspected", "false_positive", "accepted_risk", "resolved"}
    ),
    "notified": frozenset(
        {"notified", "inspected", "rectifying", "false_positive", "accepted_risk", "resolved"}
    ),
    "inspected": frozenset(
        {"notified", "inspected", "rectifying", "false_positive", "accepted_risk", "resolved"}
    ),
    "rectifying": frozenset(
        {"notified", "inspected", "rectifying", "false_positive", "accepted_risk", "resolved"}
    ),
    "false_positive": frozenset({"new", "confirmed"}),
    "accepted_risk": frozenset({"new", "confirmed", "false_positive", "accepted_risk", "resolved"}),
    "resolved": frozenset({"new", "confirmed"}),
}

# States in which a rectification deadline runs (and can be overdue).
DEADLINE_STATES = frozenset({"notified", "inspected", "rectifying"})
# States the audit closes by itself when the re-test no longer sees the problem.
UNIT_FIXING = frozenset({"notified", "inspected", "rectifying"})
# Beside the table, what the finding itself must be: the rectification states only while
# the re-test still sees the problem; resolved only once it no longer does.
ONLY_WHILE_OPEN = DEADLINE_STATES
ONLY_ONCE_FIXED = frozenset({"resolved"})
# Moves that need a note: a finding the unit was told about, declared a false positive
# (the record must say why the letter was wrong).
NOTE_NEEDED = frozenset((state, "false_positive") for state in UNIT_FIXING)


def allowed_moves(state: str) -> list[str]:
    """The states ``state`` may move to, in the order of ``STATES``."""
    return [target for target in STATES if target in TRANSITIONS.get(state, ())]


def move_conditions() -> list[str]:
    """The conditions beside the table, in words (for help texts), from the data above."""
    open_states = ", ".join(s for s in STATES if s in ONLY_WHILE_OPEN)
    fixed_states = ", ".join(s for s in STATES if s in ONLY_ONCE_FIXED)
    noted = ", ".join(s for s in STATES if (s, "false_positive") in NOTE_NEEDED)
    return [
        f"{open_states}: only while the re-test still sees the problem",
        f"{fixed_states}: only once the re-test no longer sees it",
        f"false_positive from {noted}: with --note (why the unit was told wrongly)",
    ]


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
