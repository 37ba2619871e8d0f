"""What an audit does to one site's findings, case by case, without a database: the rules'
hits against the findings already known (audit/findings/reconcile.py)."""

from __future__ import annotations

import datetime as dt

from audit.findings.reconcile import Audit, Known, Move, Seen, acceptances_ended, reconcile_site
from audit.findings.states import evidence_hash

RUN, EARLIER, LATER = 5, 3, 8
DATED = {EARLIER: 1, RUN: 2, LATER: 3}  # the order the runs are dated in
AUDIT = Audit(RUN, lambda other: other is not None and DATED[other] > DATED[RUN],
              dt.date(2026, 12, 4))  # fmt: skip
KEY = (1, "BA101", "")
JUDGED = frozenset({"BA101", "BA111"})
EVIDENCE = {"excerpt": "版权所有 运城市某局", "url": "http://a.gov.cn/", "snapshot_id": 9}


def seen(key: tuple[int, str, str] = KEY, evidence: dict[str, object] = EVIDENCE) -> Seen:
    return Seen(key, "high", evidence, 9)


def known(state: str = "open", review: str = "new", **runs: object) -> Known:
    fields = {"first_seen_run_id": EARLIER, "last_seen_run_id": EARLIER, "resolved_run_id": None}
    return Known(1, KEY, state, review, **{**fields, **runs})  # type: ignore[arg-type]


def moves(known_findings: list[Known], hits: list[Seen]) -> list[Move]:
    return [t.move for t in reconcile_site(AUDIT, known_findings, hits, JUDGED)]


def test_a_problem_seen_for_the_first_time_opens_a_finding() -> None:
    assert moves([], [seen()]) == [Move.OPENED]
    assert moves([], [seen(), seen()]) == [Move.OPENED, Move.STILL_OPEN]  # one finding


def test_a_problem_seen_again_stays_open_and_takes_the_new_evidence() -> None:
    [transition] = reconcile_site(AUDIT, [known()], [seen()], JUDGED)
    assert transition.move is Move.STILL_OPEN and transition.touch


def test_a_problem_no_longer_seen_is_resolved_only_by_the_rules_that_judged() -> None:
    assert moves([known()], []) == [Move.RESOLVED]
    # the site could not be read: its filing rules did not judge it
    assert reconcile_site(AUDIT, [known()], [], frozenset({"BA301"})) == []
    # a run dated after this one saw it already: that run decides
    assert moves([known(last_seen_run_id=LATER)], []) == []


def test_a_finding_being_fixed_that_is_gone_closes_the_loop() -> None:
    [transition] = reconcile_site(AUDIT, [known(review="notified")], [], JUDGED)
    assert transition.move is Move.RESOLVED and transition.fixed


def test_a_resolved_problem_that_comes_back_is_reopened_and_looked_at_again() -> None:
    [transition] = reconcile_site(
        AUDIT, [known("resolved", "resolved", resolved_run_id=EARLIER)], [seen()], JUDGED
    )
    assert transition.move is Move.REOPENED and transition.back_to_review


def test_a_false_positive_stays_suppressed_until_its_evidence_changes() -> None:
    declared = known(review="false_positive", suppressed_evidence=evidence_hash(EVIDENCE))
    assert moves([declared], [seen()]) == [Move.SUPPRESSED]
    other = {**EVIDENCE, "excerpt": "版权所有 运城市某局 晋ICP备2021004567号"}
    assert moves([declared], [seen(evidence=other)]) == [
        Move.SUPPRESSION_ENDED,
        Move.STILL_OPEN,
    ]


def test_a_run_dated_before_the_first_sighting_moves_the_opening_back() -> None:
    first_seen_later = known(first_seen_run_id=LATER, last_seen_run_id=LATER)
    assert moves([first_seen_later], [seen()]) == [Move.OPENED_EARLIER]


def test_an_accepted_risk_past_its_date_goes_back_to_review() -> None:
    ended = known(review="accepted_risk", accepted_until=dt.date(2026, 12, 3))
    running = known(review="accepted_risk", accepted_until=dt.date(2026, 12, 4))
    [transition] = acceptances_ended(AUDIT, [ended, running])
    assert transition.move is Move.ACCEPTANCE_ENDED and transition.back_to_review
