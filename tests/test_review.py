"""Triage (beian review): the state machine, its refusals, the audit trail, and how the
audit meets it (false positives, notified findings fixed, accepted risks that end)."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from audit.cli import cli
from audit.config import load_builtin_profile
from audit.errors import UserError
from audit.findings.audit import run_audit
from audit.findings.review import (
    NOTE_NEEDED,
    STATES,
    TRANSITIONS,
    AlreadyInState,
    allowed_moves,
    check,
    evidence_hash,
    is_overdue,
    review_finding,
    review_site,
    today,
)
from audit.findings.states import next_deadline
from audit.notices import extract_notices
from audit.store import Finding, FindingEvent, Site, Store
from audit.store import crawls as store_crawls
from audit.store.sites import add_site
from tests.conftest import REPO

PROFILE = load_builtin_profile("yuncheng")
FILING = (
    "<a href='https://beian.miit.gov.cn/'>晋ICP备2021001234号-1</a> "
    "<a href='http://www.beian.gov.cn/portal/registerSystemInfo?recordcode=14080202000123'>"
    "晋公网安备14080202000123号</a>"
)
CONAC = "<a href='https://bszs.conac.cn/sitename?method=show&id=1'><img src='red.png'></a>"
COMPLIANT = (
    f"<footer>主办单位：运城市盐湖区人民政府办公室 网站标识码：1408020001 {FILING}{CONAC}</footer>"
)
NO_ICP = COMPLIANT.replace("晋ICP备2021001234号-1", "")
NO_ICP_PHONE = NO_ICP.replace("<footer>", "<footer>联系电话：0359-2022222 ")  # other evidence
BARE = "<footer>版权所有 盐湖区人民政府</footer>"  # BA101, BA111, BA201, BA202, BA203
HOST = "www.yanhu.yuncheng.gov.cn"
DAY = dt.date(2026, 3, 2)


def crawl(store: Store, footer: str | None, outcome: str = "ok", host: str = HOST) -> int:
    """A finished crawl run in which the site showed ``footer`` (or could not be fetched)."""
    url = f"http://{host}/"
    with store.session() as session:
        add_site(session, url, host, name="盐湖区人民政府", sponsor="盐湖区人民政府办公室",
                 category="政府机关", district="盐湖区")  # fmt: skip
        run = store_crawls.create_run(session)
        html = f"<html><body><p>新闻</p>{footer}</body></html>" if footer else ""
        notices = extract_notices(html, url, profile=PROFILE).records() if footer else []
        text = " ".join(re.sub(r"<[^>]+>", " ", footer).split()) if footer else None
        store_crawls.write_batch(session, run.id, snapshots=[{
            "host": host, "outcome": outcome, "fetched_at": run.started_at,
            "http_status": 200 if outcome == "ok" else None, "footer_text": text,
            "final_url": url if outcome == "ok" else None, "notices": notices,
        }])  # fmt: skip
        store_crawls.finish_run(session, run.id, "finished", {})
        return run.id


def audit(store: Store, footer: str | None, **kwargs: Any) -> dict[str, Any]:
    """Crawl, audit, and check that auditing the same run again changes nothing."""
    run_id = crawl(store, footer, **kwargs)
    summary = run_audit(store, PROFILE, run_id=run_id).to_json()
    before = state(store)
    again = run_audit(store, PROFILE, run_id=run_id).to_json()
    assert state(store) == before, "auditing the same run twice changed something"
    assert not again["new"] and not again["resolved"] and not again["reopened"]
    return summary


def state(store: Store) -> tuple[list[tuple[Any, ...]], int]:
    with store.session() as session:
        findings = [
            (f.id, f.state, f.review_state, f.last_seen_run_id, f.resolved_run_id, f.deadline,
             f.accepted_until, f.suppressed_evidence)
            for f in session.scalars(select(Finding).order_by(Finding.id))
        ]  # fmt: skip
        return findings, len(session.scalars(select(FindingEvent)).all())


def finding_of(store: Store, rule: str = "BA101") -> Finding:
    with store.session() as session:
        return session.scalars(select(Finding).where(Finding.rule == rule)).one()


def history(store: Store, finding_id: int) -> list[FindingEvent]:
    with store.session() as session:
        return list(
            session.scalars(
                select(FindingEvent)
                .where(FindingEvent.finding_id == finding_id)
                .order_by(FindingEvent.id)
            )
        )


def review(store: Store, finding_id: int, to_state: str, **kwargs: Any) -> None:
    kwargs.setdefault("actor", "analyst")
    with store.session() as session:
        review_finding(session, finding_id, to_state, **kwargs)


# ---- the state machine, pure -----------------------------------------------------------


def _finding(review_state: str, audit_state: str = "open", **fields: Any) -> Finding:
    return Finding(id=7, rule="BA101", state=audit_state, review_state=review_state,
                   evidence={"excerpt": "版权所有", "snapshot_id": 1}, last_seen_run_id=3,
                   resolved_run_id=4 if audit_state == "resolved" else None,
                   **fields)  # fmt: skip


def _arguments(source: str, target: str) -> dict[str, Any]:
    later = DAY + dt.timedelta(days=30)
    if target == "notified":
        return {"deadline": later}
    if target == "accepted_risk":
        return {"until": later}
    if (source, target) in NOTE_NEEDED:
        return {"note": "the footer is written by the CMS's script: the site is filed"}
    return {}


@pytest.mark.parametrize("target", STATES)
@pytest.mark.parametrize("source", STATES)
def test_every_transition_is_allowed_or_refused_as_the_table_says(source: str, target: str) -> None:
    audit_state = "resolved" if target == "resolved" else "open"
    finding = _finding(source, audit_state)
    if target in TRANSITIONS[source]:
        change = check(finding, target, on=DAY, **_arguments(source, target))
        assert change.to_state == target
        assert (change.suppressed_evidence is not None) == (target == "false_positive")
        assert (change.accepted_until is not None) == (target == "accepted_risk")
        if target == "notified":
            assert change.deadline == DAY + dt.timedelta(days=30)
        if target in ("new", "confirmed", "false_positive", "accepted_risk"):
            assert change.deadline is None
    else:
        with pytest.raises(UserError) as refused:
            check(finding, target, on=DAY, **_arguments(source, target))
        message = str(refused.value)
        assert "finding 7" in message
        if source == target:
            assert isinstance(refused.value, AlreadyInState) and "already" in message
        else:
            assert f"{source} → {target} is not allowed" in message


@pytest.mark.parametrize(
    ("source", "target", "arguments", "audit_state", "message"),
    [
        ("confirmed", "notified", {}, "open", "notified needs deadline"),
        ("new", "accepted_risk", {}, "open", "accepted_risk needs until"),
        ("new", "confirmed", {"deadline": DAY}, "open", "deadline goes with notified"),
        ("confirmed", "notified", {"deadline": DAY, "until": DAY}, "open", "until goes with"),
        ("confirmed", "notified", {"deadline": DAY - dt.timedelta(days=1)}, "open", "in the past"),
        ("new", "accepted_risk", {"until": dt.date(2020, 1, 1)}, "open", "in the past"),
        ("notified", "resolved", {}, "open", "still open: run 3 saw it"),
        ("confirmed", "notified", {"deadline": DAY}, "resolved", "already fixed"),
        ("false_positive", "notified", {"deadline": DAY}, "open", "false_positive → notified"),
        ("notified", "false_positive", {}, "open", "was notified: say with note why"),
        ("notified", "resolved", {}, "open", "(or mark it false_positive / accepted_risk)"),
        ("false_positive", "resolved", {}, "resolved", "false_positive → resolved is not"),
        ("new", "escalated", {}, "open", "unknown review state 'escalated'"),
    ],
)
def test_refusals_say_why(
    source: str, target: str, arguments: dict[str, Any], audit_state: str, message: str
) -> None:
    with pytest.raises(UserError, match=re.escape(message)):
        check(_finding(source, audit_state), target, on=DAY, **arguments)


def test_notifying_again_needs_a_new_deadline_and_extending_a_risk_a_new_date() -> None:
    notified = _finding("notified", deadline=DAY)
    with pytest.raises(AlreadyInState, match="give a new deadline"):
        check(notified, "notified", deadline=DAY, on=DAY)
    assert check(notified, "notified", deadline=DAY + dt.timedelta(7), on=DAY).deadline == (
        DAY + dt.timedelta(7)
    )
    assert check(notified, "rectifying", on=DAY).deadline == DAY  # the deadline carries on
    assert check(_finding("notified", "resolved", deadline=DAY), "resolved").deadline == DAY
    accepted = _finding("accepted_risk", accepted_until=DAY)
    with pytest.raises(AlreadyInState):
        check(accepted, "accepted_risk", until=DAY, on=DAY)
    assert check(accepted, "accepted_risk", until=DAY + dt.timedelta(1), on=DAY).accepted_until


def test_overdue_is_a_passed_deadline_of_an_open_finding_in_rectification() -> None:
    assert is_overdue(_finding("notified", deadline=DAY), DAY + dt.timedelta(1))
    assert not is_overdue(_finding("notified", deadline=DAY), DAY)  # the day itself is in time
    assert is_overdue(_finding("rectifying", deadline=DAY), DAY + dt.timedelta(1))
    assert not is_overdue(_finding("notified", "resolved", deadline=DAY), DAY + dt.timedelta(1))
    assert not is_overdue(_finding("resolved", "resolved", deadline=DAY), DAY + dt.timedelta(1))


def test_the_evidence_hash_ignores_the_snapshot_and_the_url() -> None:
    base = {"excerpt": "版权所有", "details": {"a": 1}, "snapshot_id": 1, "url": "http://x/"}
    assert evidence_hash(base) == evidence_hash({**base, "snapshot_id": 9, "url": "https://x/"})
    assert evidence_hash(base) != evidence_hash({**base, "excerpt": "版权所有 电话"})
    assert evidence_hash(base) != evidence_hash({**base, "details": {"a": 2}})


# ---- over the store ---------------------------------------------------------------------


def test_every_review_is_an_event_and_history_is_never_overwritten(store: Store) -> None:
    audit(store, NO_ICP)
    finding = finding_of(store)
    deadline = today() + dt.timedelta(days=14)
    review(store, finding.id, "confirmed", note="看过了", actor="王工")
    review(store, finding.id, "notified", deadline=deadline, note="整改通知书 2026-17号")
    first = [(e.id, e.kind, e.from_state, e.to_state, e.note) for e in history(store, finding.id)]
    review(store, finding.id, "rectifying", note="单位回复：一周内整改")
    review(store, finding.id, "inspected", actor="李工")
    events = history(store, finding.id)
    assert [(e.id, e.kind, e.from_state, e.to_state, e.note) for e in events[: len(first)]] == first
    assert [(e.kind, e.actor, e.from_state, e.to_state, e.deadline) for e in events] == [
        ("opened", "audit", None, "open", None),
        ("review", "王工", "new", "confirmed", None),
        ("review", "analyst", "confirmed", "notified", deadline),
        ("review", "analyst", "notified", "rectifying", None),
        ("review", "李工", "rectifying", "inspected", None),
    ]
    assert events[1].note == "看过了" and events[2].note == "整改通知书 2026-17号"
    assert all(e.at is not None and e.at.tzinfo is not None for e in events)
    now = finding_of(store)
    assert (now.review_state, now.deadline) == ("inspected", deadline)  # the deadline runs on


def test_a_site_is_reviewed_finding_by_finding_and_says_what_it_left(store: Store) -> None:
    audit(store, BARE)
    with store.session() as session:
        done, left = review_site(session, HOST.upper(), "confirmed", actor="a")
    assert len(done) == 5 and left == []
    review(store, finding_of(store, "BA203").id, "false_positive", note="not a portal")
    review(store, finding_of(store, "BA202").id, "new")  # back to new: cannot be notified
    deadline = today() + dt.timedelta(days=30)
    before = state(store)
    for arguments, message in [
        ({}, "notified needs deadline"),
        ({"deadline": today() - dt.timedelta(days=1)}, "is in the past"),
        ({"deadline": deadline, "until": deadline}, "until goes with accepted_risk"),
    ]:  # wrong dates refuse the whole request
        with store.session() as session, pytest.raises(UserError, match=re.escape(message)):
            review_site(session, HOST, "notified", actor="a", **arguments)
    assert state(store) == before
    with store.session() as session:
        done, left = review_site(session, HOST, "notified", deadline=deadline, actor="a")
    # confirming first is optional: BA202, back to new, is notified in the same step
    assert sorted(r.rule for r in done) == ["BA101", "BA111", "BA201", "BA202"]
    assert {r.deadline for r in done} == {deadline}
    ba203 = finding_of(store, "BA203").id
    assert left == [f"finding {ba203} is false_positive (change it by its ID)"]
    assert finding_of(store, "BA203").review_state == "false_positive"
    assert finding_of(store, "BA202").review_state == "notified"
    with store.session() as session, pytest.raises(UserError, match=r"no site nowhere\.example"):
        review_site(session, "nowhere.example", "confirmed")
    before = state(store)
    with store.session() as session, pytest.raises(UserError, match="no open finding of"):
        review_site(session, HOST, "new")  # notified cannot go back, one is new, one set aside
    assert state(store) == before


def test_a_false_positive_stays_suppressed_until_the_evidence_changes(store: Store) -> None:
    audit(store, NO_ICP)
    finding = finding_of(store)
    review(store, finding.id, "false_positive", note="the number is in an image")
    assert finding_of(store).suppressed_evidence == evidence_hash(finding.evidence)

    again = audit(store, NO_ICP)  # same evidence: not counted, not reopened, still suppressed
    assert again["suppressed"] == {"BA101": 1} and "BA101" not in again["still_open"]
    assert "BA101" not in again["new"] and "BA101" not in again["reopened"]
    assert finding_of(store).review_state == "false_positive"

    audit(store, COMPLIANT)  # the rule no longer fires: resolved, suppression kept
    assert (finding_of(store).state, finding_of(store).review_state) == (
        "resolved", "false_positive",
    )  # fmt: skip
    back = audit(store, NO_ICP)  # it comes back as it was: still suppressed, not reopened
    assert back["suppressed"] == {"BA101": 1} and not back["reopened"]
    assert finding_of(store).state == "resolved"

    changed = audit(store, NO_ICP_PHONE)  # the page changed: the suppression ends
    assert changed["reopened"] == {"BA101": 1} and not changed["suppressed"]
    now = finding_of(store)
    assert (now.state, now.review_state, now.suppressed_evidence) == ("open", "new", None)
    last = history(store, now.id)[-2:]
    assert [(e.kind, e.actor, e.from_state, e.to_state) for e in last] == [
        ("review", "audit", "false_positive", "new"),
        ("reopened", "audit", "resolved", "open"),
    ]
    assert "evidence changed" in (last[0].note or "")


def test_an_open_false_positive_whose_evidence_changes_goes_back_to_review(store: Store) -> None:
    audit(store, NO_ICP)
    finding = finding_of(store)
    review(store, finding.id, "false_positive")
    changed = audit(store, NO_ICP_PHONE)
    assert changed["still_open"] == {"BA101": 1}
    assert finding_of(store).review_state == "new"
    assert history(store, finding.id)[-1].to_state == "new"


def test_a_notified_finding_is_resolved_by_the_crawl_that_sees_the_site_fixed(
    store: Store,
) -> None:
    audit(store, NO_ICP)
    finding = finding_of(store)
    deadline = today() + dt.timedelta(days=10)
    review(store, finding.id, "confirmed")
    review(store, finding.id, "notified", deadline=deadline)
    audit(store, NO_ICP)  # not yet fixed
    assert finding_of(store).review_state == "notified"

    fixed = audit(store, COMPLIANT)
    assert fixed["resolved"] == {"BA101": 1}
    now = finding_of(store)
    assert (now.state, now.review_state, now.deadline) == ("resolved", "resolved", deadline)
    resolved, reviewed = history(store, finding.id)[-2:]
    assert (resolved.kind, resolved.from_state, resolved.to_state) == (
        "resolved",
        "open",
        "resolved",
    )
    assert (reviewed.kind, reviewed.actor, reviewed.from_state, reviewed.to_state) == (
        "review", "audit", "notified", "resolved",
    )  # fmt: skip
    for event in (resolved, reviewed):
        assert event.note and event.note.startswith("the unit fixed it")
        assert f"before the deadline {deadline.isoformat()}" in event.note
        assert event.run_id == now.resolved_run_id


def test_a_confirmed_finding_the_audit_resolves_keeps_its_review_state(store: Store) -> None:
    audit(store, NO_ICP)
    finding = finding_of(store)
    review(store, finding.id, "confirmed")
    audit(store, COMPLIANT)
    assert finding_of(store).review_state == "confirmed"
    assert history(store, finding.id)[-1].note == "no longer seen by the re-test of this run"
    review(store, finding.id, "resolved", note="checked")  # now the analyst may close it
    assert finding_of(store).review_state == "resolved"


def test_an_accepted_risk_past_its_date_goes_back_to_new(store: Store) -> None:
    audit(store, NO_ICP)
    finding = finding_of(store)
    yesterday = today() - dt.timedelta(days=1)
    review(store, finding.id, "accepted_risk", until=yesterday, on=yesterday - dt.timedelta(9))
    accepted = history(store, finding.id)[-1]
    assert (accepted.to_state, accepted.deadline) == ("accepted_risk", yesterday)
    audit(store, NO_ICP)
    now = finding_of(store)
    assert (now.review_state, now.accepted_until) == ("new", None)
    event = history(store, finding.id)[-1]
    assert (event.kind, event.actor, event.from_state, event.to_state) == (
        "review", "audit", "accepted_risk", "new",
    )  # fmt: skip
    assert f"ended on {yesterday.isoformat()}" in (event.note or "")


def test_an_accepted_risk_still_running_is_left_alone(store: Store) -> None:
    audit(store, NO_ICP)
    finding = finding_of(store)
    review(store, finding.id, "accepted_risk", until=today())  # the day itself is covered
    audit(store, NO_ICP)
    assert finding_of(store).review_state == "accepted_risk"


# ---- the command line ---------------------------------------------------------------------


@pytest.fixture
def beian(store: Store, db_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):  # type: ignore[no-untyped-def]
    for name in list(os.environ):
        if name.startswith("BEIAN_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("BEIAN_DATABASE_URL", db_url)
    monkeypatch.chdir(tmp_path)

    def run(*args: str) -> Any:
        result = CliRunner().invoke(cli, list(args), catch_exceptions=True)
        return result

    return run


def test_review_and_findings_show_on_the_command_line(store: Store, beian: Any) -> None:
    audit(store, NO_ICP)
    finding = finding_of(store)
    deadline = (today() + dt.timedelta(days=5)).isoformat()
    result = beian("review", str(finding.id), "--state", "confirmed", "--by", "王工")
    assert result.exit_code == 0, result.output
    assert f"finding {finding.id} BA101 {HOST}: new → confirmed" in result.output
    result = beian("review", str(finding.id), "--state", "notified", "--deadline", deadline,
                   "--note", "整改通知书 [bold]17号[/bold]")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert f"(deadline {deadline})" in result.output
    events = history(store, finding.id)
    assert events[-1].actor  # the OS user by default
    assert events[-2].actor == "王工"

    shown = beian("findings", "show", str(finding.id))
    assert shown.exit_code == 0, shown.output
    for text in (HOST, "BA101", "盐湖区人民政府", "notified", deadline, "opened", "王工",
                 "[bold]17号[/bold]", "主办单位"):  # fmt: skip
        assert text in shown.output, text
    data = json.loads(beian("findings", "show", str(finding.id), "--json").output)
    assert data["site"]["host"] == HOST and data["evidence"]["url"] == f"http://{HOST}/"
    assert [e["to"] for e in data["events"]] == ["open", "confirmed", "notified"]
    assert data["deadline"] == deadline and data["overdue"] is False

    missing = beian("findings", "show", "999")
    assert missing.exit_code != 0 and "no finding 999" in str(missing.exception)
    refused = beian("review", str(finding.id), "--state", "resolved")
    assert isinstance(refused.exception, UserError) and "still open" in str(refused.exception)
    bulk = beian("review", "--site", HOST, "--state", "confirmed")
    assert f"no open finding of {HOST} can become confirmed" in str(bulk.exception)
    assert f"finding {finding.id}: notified → confirmed is not allowed" in str(bulk.exception)
    bulk = beian("review", "--site", HOST, "--state", "inspected", "--note", "现场检查")
    assert bulk.exit_code == 0 and "notified → inspected" in bulk.output
    both = beian("review", str(finding.id), "--site", HOST, "--state", "confirmed")
    assert "either finding IDs or filters (--site" in str(both.exception)


def test_the_listing_marks_overdue_deadlines_and_filters_by_day(store: Store, beian: Any) -> None:
    audit(store, BARE)
    late, in_time = finding_of(store, "BA101"), finding_of(store, "BA111")
    past = today() - dt.timedelta(days=3)
    future = today() + dt.timedelta(days=3)
    for finding, deadline in ((late, past), (in_time, future)):
        review(store, finding.id, "confirmed")
        review(store, finding.id, "notified", deadline=deadline, on=past - dt.timedelta(1))

    rows = {r["rule"]: r for r in json.loads(beian("findings", "--json").output)}
    assert (rows["BA101"]["deadline"], rows["BA101"]["overdue"]) == (past.isoformat(), True)
    assert (rows["BA111"]["deadline"], rows["BA111"]["overdue"]) == (future.isoformat(), False)
    assert (rows["BA201"]["deadline"], rows["BA201"]["overdue"]) == (None, False)
    table = beian("findings").output
    # (overdue) on the line under the date: the deadline column stays as narrow as a date
    flat = " ".join(line.strip("│ ") for line in table.splitlines())
    assert re.search(rf"{past.isoformat()}.*\n.*\(overdue\)", table)
    assert future.isoformat() in table and table.count("(overdue)") == 1, flat
    csv = beian("findings", "--csv").output.splitlines()
    assert "deadline" in csv[0].split(",") and "overdue" in csv[0].split(",")

    tomorrow = (today() + dt.timedelta(days=1)).isoformat()
    assert json.loads(beian("findings", "--json", "--since", tomorrow).output) == []
    since_today = json.loads(beian("findings", "--json", "--since", today().isoformat()).output)
    assert len(since_today) == 5


def test_a_refused_review_is_one_line_without_a_traceback(
    store: Store, db_url: str, tmp_path: Path
) -> None:
    audit(store, NO_ICP)
    finding = finding_of(store)
    env = {k: v for k, v in os.environ.items() if not k.startswith("BEIAN_")}
    result = subprocess.run(
        [sys.executable, "-m", "audit", "review", str(finding.id), "--state", "rectifying"],
        cwd=tmp_path, env={**env, "BEIAN_DATABASE_URL": db_url, "PYTHONPATH": str(REPO)},
        capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"Error: finding {finding.id}: new → rectifying is not allowed "
        "(from new: confirmed, notified, inspected, false_positive, accepted_risk, resolved)"
    )
    assert finding_of(store).review_state == "new"


def test_one_deadline_rule_for_review_audit_and_bulletin() -> None:
    set_on, given = dt.date(2026, 11, 20), dt.date(2026, 12, 5)
    assert next_deadline("notified", given, None) == given
    assert next_deadline("rectifying", None, set_on) == set_on  # progress keeps the date
    assert next_deadline("inspected", given, set_on) == given  # a new date replaces it
    assert next_deadline("resolved", None, set_on) == set_on  # was it fixed in time?
    for state in ("new", "confirmed", "false_positive", "accepted_risk", None):
        assert next_deadline(state, None, set_on) is None


def test_a_notified_finding_found_wrong_becomes_a_false_positive_with_a_note(
    store: Store, beian: Any
) -> None:
    audit(store, NO_ICP)
    finding = finding_of(store)
    deadline = today() + dt.timedelta(days=15)
    # new → notified in one step, the deadline typed as analysts do
    notified = beian("review", str(finding.id), "--state", "notified", "--deadline", "+15d")
    assert notified.exit_code == 0, notified.output
    assert finding_of(store).deadline == deadline
    refused = beian("review", str(finding.id), "--state", "false_positive")
    assert "was notified: say with note why it is a false positive" in str(refused.exception)
    assert finding_of(store).review_state == "notified"
    done = beian("review", str(finding.id), "--state", "false_positive",
                 "--note", "页脚由脚本写出，网站已备案")  # fmt: skip
    assert done.exit_code == 0, done.output
    marked = finding_of(store)
    assert (marked.review_state, marked.deadline) == ("false_positive", None)
    assert marked.suppressed_evidence is not None  # suppressed until the evidence changes
    assert [e.to_state for e in history(store, finding.id)][-2:] == ["notified", "false_positive"]
    assert history(store, finding.id)[-1].note == "页脚由脚本写出，网站已备案"


@pytest.mark.parametrize(("typed", "days"), [("+15d", 15), ("+2w", 14), ("+3天", 3), ("+1周", 7)])
def test_a_deadline_is_typed_as_a_date_or_days_from_today(typed: str, days: int) -> None:
    from audit.cli.dates import parse_day

    assert parse_day(typed, on=DAY) == DAY + dt.timedelta(days=days)
    for written in ("2026-12-20", "2026/12/20", "2026年12月20日", "2026.12.20", "20261220",
                    "２０２６－１２－２０"):  # fmt: skip
        assert parse_day(written) == dt.date(2026, 12, 20), written
    for wrong in ("45000", "2026-02-30", "next week", "+d", ""):
        with pytest.raises(ValueError):
            parse_day(wrong)


def test_several_findings_move_together_or_not_at_all(store: Store, beian: Any) -> None:
    audit(store, BARE)
    ids = [finding_of(store, rule).id for rule in ("BA101", "BA111", "BA201")]
    review(store, ids[2], "false_positive", note="a portal of the province")
    before = state(store)
    refused = beian("review", *map(str, ids), "--state", "notified", "--deadline", "2099年1月1日")
    assert f"finding {ids[2]}: false_positive → notified is not allowed" in str(refused.exception)
    assert state(store) == before  # the first two were not moved either
    moved = beian("review", *map(str, ids[:2]), "--state", "notified", "--deadline", "2099/1/1")
    assert moved.exit_code == 0, moved.output
    assert [line.split(": ")[1] for line in moved.output.splitlines()] == [
        "new → notified (deadline 2099-01-01)"
    ] * 2
    wrong = beian("review", str(ids[0]), "--state", "notified", "--deadline", "someday")
    assert wrong.exit_code == 2 and "'someday' is no date" in wrong.output


def test_the_help_states_the_moves_and_their_conditions_from_the_table(beian: Any) -> None:
    from audit.findings.states import move_conditions

    shown = beian("review", "--help").output
    for state in STATES:
        assert f"{state:<16}→ {', '.join(allowed_moves(state))}" in shown
    for condition in move_conditions():
        assert condition in shown


def test_findings_are_filtered_as_analysts_look_for_them(store: Store, beian: Any) -> None:
    audit(store, BARE)  # five findings of the 盐湖区 government's site
    ids = {rule: finding_of(store, rule).id for rule in ("BA101", "BA111", "BA201", "BA202")}
    review(store, ids["BA101"], "notified", deadline=DAY, on=DAY - dt.timedelta(days=20))
    review(store, ids["BA111"], "notified", deadline=today() + dt.timedelta(days=9))
    review(store, ids["BA202"], "false_positive", note="门户网站另有备案")

    def listed(*options: str) -> list[str]:
        result = beian("findings", "--json", *options)
        assert result.exit_code == 0, result.output
        return sorted(row["rule"] for row in json.loads(result.output))

    # the open list leaves the false positive out, unless asked for by review state
    assert listed() == ["BA101", "BA111", "BA201", "BA203"]
    assert listed("--review", "false_positive") == ["BA202"]
    assert listed("--review", "notified") == ["BA101", "BA111"]
    assert listed("--review", "new", "--review", "notified") == ["BA101", "BA111", "BA201",
                                                                  "BA203"]  # fmt: skip
    assert listed("--overdue") == ["BA101"]
    # a site by its name or its sponsor, in Chinese, or by part of its host
    for text in ("盐湖区人民", "政府办公室", "yanhu.yuncheng"):
        assert listed("--site", text) == ["BA101", "BA111", "BA201", "BA203"], text
    assert listed("--site", "临猗县") == []
    assert listed("--district", "盐湖区", "--rule", "BA101") == ["BA101"]
    # a district no site has is an error that names the known ones, not an empty list
    unknown = beian("findings", "--district", "盐湖")
    assert isinstance(unknown.exception, UserError)
    assert "no site has '盐湖' (盐湖区)" in str(unknown.exception)
    unknown = beian("findings", "--category", "学校")
    assert "no site has '学校' (政府机关)" in str(unknown.exception)


def test_the_findings_filters_select_a_batch_after_a_count_and_a_yes(
    store: Store, beian: Any
) -> None:
    audit(store, BARE)  # 盐湖区's government site: BA101, BA111, BA201, BA202, BA203
    audit(store, BARE, host="www.linyi.gov.cn")  # the same footer on a second site
    review(store, finding_of_site(store, "BA101", "www.linyi.gov.cn"), "false_positive",
           note="页脚由脚本写出")  # fmt: skip
    before = state(store)
    asked = CliRunner().invoke(cli, ["review", "--rule", "BA101", "--rule", "BA111", "--state",
                                     "notified", "--deadline", "+15d"], input="n\n")  # fmt: skip
    assert "notified: 3 open findings of 2 sites. Go on? [y/N]" in asked.output
    assert "nothing was changed" in str(asked.exception) and state(store) == before
    done = CliRunner().invoke(cli, ["review", "--rule", "BA101", "--rule", "BA111", "--state",
                                    "notified", "--deadline", "+15d"], input="y\n")  # fmt: skip
    assert done.exit_code == 0, done.output
    moved = [line for line in done.output.splitlines() if " → notified" in line]
    assert len(moved) == 3  # the false positive was not selected (the default review states)
    # --yes does not ask; what cannot make the move is left alone, with the reason
    done = beian("review", "--district", "盐湖区", "--state", "inspected", "--yes", "--json")
    assert done.exit_code == 0, done.output
    data = json.loads(done.output)
    # both sites are of 盐湖区: nine open findings, the false positive not selected
    assert len(data["changed"]) == 9 and data["left_alone"] == []
    assert {row["from"] for row in data["changed"]} == {"new", "notified"}
    nothing = beian("review", "--site", "临猗县", "--state", "confirmed", "--yes")
    assert "no open finding matches these filters" in str(nothing.exception)
    # one site by its exact host moves without asking, as it always did
    exact = beian("review", "--site", "www.linyi.gov.cn", "--state", "rectifying")
    assert exact.exit_code == 0 and "left alone: finding" in exact.output


def finding_of_site(store: Store, rule: str, host: str) -> int:
    with store.session() as session:
        return session.scalars(
            select(Finding.id).join(Site, Site.id == Finding.site_id)
            .where(Finding.rule == rule, Site.host == host)
        ).one()  # fmt: skip


def test_one_site_in_one_view_by_its_host_name_or_sponsor(store: Store, beian: Any) -> None:
    audit(store, BARE)  # 盐湖区人民政府: five findings
    audit(store, COMPLIANT)  # the next crawl: filed now, its filing findings resolved
    audit(store, BARE, host="www.linyi.gov.cn")  # another site, same name in the helper
    with store.session() as session:
        linyi = session.scalars(select(Site).where(Site.host == "www.linyi.gov.cn")).one()
        linyi.name, linyi.sponsor = "临猗县人民政府", "临猗县人民政府办公室"
    shown = beian("sites", "show", "盐湖区人民", "--json")  # a part of its name
    assert shown.exit_code == 0, shown.output
    view = json.loads(shown.output)
    assert view["site"]["host"] == HOST and view["site"]["district"] == "盐湖区"
    assert [s["run"] for s in view["snapshots"]] == [2, 1]  # the latest first
    assert {n["number"] for n in view["snapshots"][0]["notices"]} >= {"晋ICP备2021001234号-1"}
    assert view["snapshots"][1]["notices"] == []
    states = {f["rule"]: f["state"] for f in view["findings"]}
    assert states["BA101"] == "resolved" and len(states) == 5
    assert view["notices_issued"] == [] and view["links_to"] == []
    by_host = json.loads(beian("sites", "show", f"http://{HOST}/", "--json").output)
    assert by_host["site"] == view["site"]
    table = beian("sites", "show", HOST)
    assert "2 snapshots" in table.output and "5 findings" in table.output
    several = beian("sites", "show", "政府")  # the sponsor of both
    assert "names 2 sites" in str(several.exception) and "www.linyi.gov.cn" in str(
        several.exception
    )
    assert "no site has" in str(beian("sites", "show", "太原").exception)


def test_the_crawl_runs_are_listed_with_their_figures(store: Store, beian: Any) -> None:
    audit(store, BARE)
    audit(store, COMPLIANT)
    listed = json.loads(beian("runs", "--json").output)
    assert [row["run_id"] for row in listed] == [2, 1]  # the latest-dated first
    assert [(row["sites"], row["reachable"], row["with_icp"]) for row in listed] == [
        (1, 1, 1), (1, 1, 0)]  # fmt: skip
    one = json.loads(beian("runs", "show", "1", "--json").output)
    assert one["run_id"] == 1 and one["state"] == "finished" and one["outcomes"] == {"ok": 1}
    assert "no crawl run 99" in str(beian("runs", "show", "99").exception)
