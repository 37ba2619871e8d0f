"""The findings' history replayed: the runs that date events (:class:`Timeline`), and
each finding's lifecycle and review state at the instants a compile asks about
(:class:`History`)."""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from audit.findings.states import next_deadline
from audit.store import Session
from audit.store import bulletin_history as store


@dataclass(frozen=True)
class ReviewState:
    state: str = "new"
    deadline: dt.date | None = None


NOT_REVIEWED = ReviewState()


class ReviewStates(dict[int, ReviewState]):
    """Review states at an instant, by finding; a finding never reviewed is new."""

    def __missing__(self, finding_id: int) -> ReviewState:
        return NOT_REVIEWED


class Timeline:
    """The runs and the lookups that date events, built once per compile."""

    def __init__(self, session: Session, as_of: dt.datetime) -> None:
        self.session = session
        self.as_of = as_of
        self.run_start: dict[int, dt.datetime] = store.run_starts(session, as_of)

    def runs_between(self, start: dt.datetime, end: dt.datetime) -> list[int]:
        """The runs started in [start, end), oldest first (by date: a run dated with
        ``--dated`` may have been entered after later runs)."""
        end = min(end, self.as_of)
        starts = self.run_start
        return sorted((rid for rid, at in starts.items() if start <= at < end),
                      key=lambda rid: (starts[rid], rid))  # fmt: skip

    def window(self, start: dt.datetime, end: dt.datetime) -> store.EventWindow:
        """The events that happened in [start, end) (a run's event: its run started then)."""
        end = min(end, self.as_of)
        return store.EventWindow(self.runs_between(start, end), start, end)

    def event_time(self, run_id: int | None, at: dt.datetime) -> dt.datetime:
        return self.run_start.get(run_id, at) if run_id is not None else at


class History:
    """The findings' lifecycle and review events, read once and replayed at each of the
    instants a compile asks about (the ends of the months it shows, or the compile's
    ``as_of`` if earlier). An event counts at an instant when it happened before it: an
    event the audit made for a run when the run started (a run of the timeline), another
    at its ``at``.

    A finding is open at an instant when its lifecycle events before it add up to more
    than 0 (opened and reopened +1, resolved -1: they alternate). Its review state and
    deadline are its review events before the instant replayed in the order they were
    written, the way :func:`audit.review.check` sets them. Per finding, a bit per
    instant says whether it is open (a false positive); full review states are kept for
    the ``detailed`` instants only.
    """

    def __init__(
        self,
        session: Session,
        timeline: Timeline,
        ends: Iterable[dt.datetime],
        *,
        detailed: Iterable[dt.datetime] = (),
    ) -> None:
        self.as_of = timeline.as_of
        detailed = list(detailed)
        self.instants = sorted({min(end, self.as_of) for end in [*ends, *detailed]})
        # the first instant an event of the run counts at (len(instants): none)
        self._run_bucket = {
            run_id: bisect_right(self.instants, started)
            for run_id, started in timeline.run_start.items()
        }
        self._open: dict[int, int] = {}
        self._masks: dict[int, int] = {}  # one int object per pattern of bits, not per finding
        self._false_positive: dict[int, int] = {}
        self._states = {self._index(end): ReviewStates() for end in detailed}
        self._read_lifecycle(session)
        self._read_reviews(session)

    def open_at(self, end: dt.datetime) -> set[int]:
        bit = 1 << self._index(end)
        return {finding_id for finding_id, bits in self._open.items() if bits & bit}

    def false_positives(self, end: dt.datetime) -> set[int]:
        bit = 1 << self._index(end)
        return {finding_id for finding_id, bits in self._false_positive.items() if bits & bit}

    def review_states(self, end: dt.datetime) -> ReviewStates:
        """The review states at a ``detailed`` instant."""
        return self._states[self._index(end)]

    def _index(self, end: dt.datetime) -> int:
        return self.instants.index(min(end, self.as_of))

    def _bucket(self, run_id: int | None, at: dt.datetime | None) -> int:
        """The first instant an event counts at (len(instants): none)."""
        if run_id is not None:
            return self._run_bucket.get(run_id, len(self.instants))
        assert at is not None
        return bisect_right(self.instants, at)

    def _bits(self, start: int, end: int) -> int:
        """The instants start .. end - 1."""
        return (1 << end) - (1 << start)

    def _read_lifecycle(self, session: Session) -> None:
        # (bucket, weight) of each finding's events. The few without a run (sites taken
        # out of the inventory) first, by finding; then the audit's, finding by finding.
        timed: defaultdict[int, list[tuple[int, int]]] = defaultdict(list)
        for finding_id, change, at in store.lifecycle_changes_without_run(session):
            timed[finding_id].append((self._bucket(None, at), change))
        run_bucket, never = self._run_bucket, len(self.instants)
        steps: list[tuple[int, int]] = []
        current = None
        for finding_id, change, run_id in store.lifecycle_changes_of_runs(session):
            if finding_id != current:
                if current is not None:
                    self._close_lifecycle(current, steps + timed.pop(current, []))
                current, steps = finding_id, []
            steps.append((run_bucket.get(run_id, never), change))
        if current is not None:
            self._close_lifecycle(current, steps + timed.pop(current, []))
        for finding_id, rest in timed.items():
            self._close_lifecycle(finding_id, rest)

    def _close_lifecycle(self, finding_id: int, steps: list[tuple[int, int]]) -> None:
        steps.sort()
        bits = total = 0
        for index, (bucket, change) in enumerate(steps):
            total += change
            following = steps[index + 1][0] if index + 1 < len(steps) else len(self.instants)
            if total > 0:
                bits |= self._bits(bucket, following)
        if bits:
            self._open[finding_id] = self._masks.setdefault(bits, bits)

    def _read_reviews(self, session: Session) -> None:
        events: list[tuple[int, str | None, dt.date | None]] = []  # one finding's, in order
        current = None
        for finding_id, to_state, deadline, run_id, when in store.review_events(session):
            if finding_id != current:
                self._close_reviews(current, events)
                current, events = finding_id, []
            events.append((self._bucket(run_id, when), to_state, deadline))
        self._close_reviews(current, events)

    def _close_reviews(
        self, finding_id: int | None, events: list[tuple[int, str | None, dt.date | None]]
    ) -> None:
        if finding_id is None:
            return
        count = len(self.instants)
        starts = sorted({bucket for bucket, _, _ in events if bucket < count})
        for index, start in enumerate(starts):
            end = starts[index + 1] if index + 1 < len(starts) else count
            # the events before the instants start .. end - 1, in the order written
            state, deadline = "new", None
            for bucket, to_state, day in events:
                if bucket > start:
                    continue
                deadline = next_deadline(to_state, day, deadline)
                state = to_state or state
            if state == "false_positive":
                bits = self._bits(start, end)
                self._false_positive[finding_id] = self._false_positive.get(finding_id, 0) | bits
            for instant, states in self._states.items():
                if start <= instant < end:
                    states[finding_id] = ReviewState(state, deadline)
