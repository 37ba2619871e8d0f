"""The audit: rules over the latest crawl, turned into findings with a lifecycle.

A finding is keyed by (site, rule, fingerprint). An audit of a run opens the findings it
sees, keeps those it sees again, resolves the open findings of the rules it judged that it
no longer sees (the re-test), and reopens resolved ones that come back; each change is an
event. A site whose page could not be read is not judged by the rules that need it, so its
filing findings neither open nor resolve. A discovered site awaiting an analyst's
acceptance is not judged at all: its snapshots are judged from the first audit after it
was accepted. Auditing the same run twice changes nothing (unless a site of the run was
accepted in between: it is judged then).

The analysts' triage (audit/findings/review.py) meets the audit in three places: a notified or
rectifying finding the re-test no longer sees is resolved, and the event says the unit
fixed it; a false positive seen again with the evidence it was declared on stays
suppressed (counted as such, not reopened), while changed evidence ends the suppression;
an accepted risk past its date goes back to new.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from itertools import groupby
from operator import itemgetter
from typing import Any

from audit.config import Profile
from audit.errors import UserError
from audit.findings import review
from audit.findings.reconcile import (
    COUNTED_AS,
    Audit,
    Key,
    Known,
    Move,
    Seen,
    Transition,
    acceptances_ended,
    reconcile_site,
)
from audit.intake.registry import load_registry
from audit.page.domains import is_government_host
from audit.rules import evaluate
from audit.rules.model import AuditContext, Hit, NoticeRow, SiteView, SnapshotView
from audit.store import Finding, FindingEvent, Session, Site, Snapshot, Store
from audit.store import crawls as store_crawls
from audit.store import findings as store_findings
from audit.store import runs as store_runs
from audit.store.findings import FindingState

GOVERNMENT_CATEGORY_WORDS = ("政府", "党政", "机关")


@dataclass
class AuditSummary:
    run_id: int
    sites: int
    judged_sites: int
    changes: dict[str, Counter[str]] = field(default_factory=dict)  # kind -> rule -> count

    def count(self, kind: str) -> int:
        return sum(self.changes.get(kind, Counter()).values())

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "sites": self.sites,
            "judged_sites": self.judged_sites,
            **{kind: dict(sorted(self.changes.get(kind, Counter()).items()))
               for kind in ("new", "still_open", "resolved", "reopened", "suppressed")},
        }  # fmt: skip


def site_view(site: Site, profile: Profile) -> SiteView:
    category = site.category or ""
    government = is_government_host(site.host, profile) or any(
        word in category for word in GOVERNMENT_CATEGORY_WORDS
    )
    return SiteView(
        id=site.id,
        host=site.host,
        registrable_domain=site.registrable_domain,
        name=site.name,
        sponsor=site.sponsor,
        district=site.district,
        category=site.category,
        key_unit=site.key_unit,
        government=government,
    )


def snapshot_view(snapshot: Snapshot, url: str, notices: list[dict[str, Any]]) -> SnapshotView:
    return SnapshotView(
        id=snapshot.id,
        run_id=snapshot.run_id,
        outcome=snapshot.outcome,
        http_status=snapshot.http_status,
        url=url,
        final_url=snapshot.final_url,
        redirect_chain=tuple(hop["url"] for hop in snapshot.redirect_chain),
        title=snapshot.title,
        footer_text=snapshot.footer_text,
        rendered=snapshot.rendered,
        notices=tuple(NoticeRow.of(row) for row in notices),
        reading=snapshot.reading,
        reading_gaps=tuple(snapshot.reading_gaps or ()),
    )


BATCH_SITES = 900  # sites audited at a time: memory stays bounded at any jurisdiction's size


def run_audit(
    store: Store,
    profile: Profile,
    *,
    run_id: int | None = None,
    unreachable_runs: int = 2,
    batch_sites: int = BATCH_SITES,
) -> AuditSummary:
    """Audit a run (default: the finished run dated last) and return what changed.

    A run dated before runs already audited (``beian crawl --dated`` for an earlier day)
    adds to the history of its day without undoing what the later runs decided; the
    findings it alone opens are then decided by the runs after it, audited again in
    date order until none is left undecided.

    The sites are audited ``batch_sites`` at a time, in one transaction: what a batch
    changed is written before the next is read, and nothing of it is kept in memory."""
    audit_one = partial(_audit, store, profile, unreachable_runs=unreachable_runs,
                        batch_sites=batch_sites)  # fmt: skip
    summary, opened = audit_one(run_id)
    undecided = dict.fromkeys(opened, summary.run_id)  # finding -> the run that opened it
    if undecided:
        with store.session() as session:
            key = store_runs.run_keys(session, [summary.run_id])[summary.run_id]
            later = store_runs.ended_runs_after(session, key)
        for later_id in later:
            _, opened = audit_one(later_id)
            undecided = _still_undecided(store, undecided) | dict.fromkeys(opened, later_id)
            if not undecided:
                break
    return summary


def _still_undecided(store: Store, opened_by: dict[int, int]) -> dict[int, int]:
    """Of these findings (each with the run that opened it), those still open and seen by
    no run after it."""
    with store.session() as session:
        last_seen = store_findings.open_last_seen(session, sorted(opened_by))
    undecided: dict[int, int] = {}
    for finding_id, run_id in last_seen.items():
        if run_id == opened_by[finding_id]:
            undecided[finding_id] = run_id
    return undecided


def _audit(
    store: Store,
    profile: Profile,
    run_id: int | None,
    *,
    unreachable_runs: int,
    batch_sites: int,
) -> tuple[AuditSummary, set[int]]:
    """Audit one run: its summary, and the findings it opened or reopened (when runs dated
    after it were audited already, they never saw these: they decide them next)."""
    with store.session() as session:
        if run_id is None:
            run = store_findings.latest_finished_run(session)
            if run is None:
                raise UserError("no finished crawl run to audit: run `beian crawl` first")
            run_id = run.id
        site_ids = store_findings.run_site_ids(session, run_id)
        # (a run of pending sites only, `beian crawl --site` of one, judges nothing)
        if not site_ids and not store_crawls.snapshot_count(session, run_id):
            raise UserError(f"crawl run {run_id} has no snapshots")
        # runs compared by date, not by id: a run dated earlier may have been entered later
        keys = store_runs.run_keys(session)
        this = keys[run_id]

        def after_this(other: int | None) -> bool:
            return other is not None and keys[other] > this

        # what the run causes is dated when the run saw it (a back-dated run: its date)
        now = store_crawls.run_moment(session, run_id)
        batch = _Batch(
            audit=Audit(run_id, after_this, review.local_date(now)),
            profile=profile,
            unreachable_runs=unreachable_runs,
            icp_users=_icp_users(store_findings.icp_notices(session, run_id)),
            registry=load_registry(session),  # None when none was imported
        )
        summary = AuditSummary(run_id=run_id, sites=len(site_ids), judged_sites=0)
        persist = _Persist(session, run_id, now)
        for start in range(0, len(site_ids), batch_sites):
            summary.judged_sites += batch.audit_sites(
                persist, site_ids[start : start + batch_sites]
            )
        summary.changes = dict(persist.changes)
        return summary, persist.opened


@dataclass
class _Batch:
    """What every batch of a run's sites is audited with."""

    audit: Audit
    profile: Profile
    unreachable_runs: int
    icp_users: dict[str, frozenset[str]]
    registry: Any

    def audit_sites(self, persist: _Persist, site_ids: list[int]) -> int:
        """The rules over these sites' snapshots, the transitions of their findings carried
        out; returns how many sites were judged. Leaves the session empty."""
        session, run_id = persist.session, self.audit.run_id
        pairs = store_findings.run_snapshots(session, run_id, site_ids)
        notices = store_findings.notices_by_snapshot(session, run_id, [s.id for _, s in pairs])
        outcomes = store_findings.recent_outcomes(session, run_id, self.unreachable_runs, site_ids)
        known_by_site: dict[int, list[Known]] = defaultdict(list)
        for row in store_findings.finding_states(session, site_ids):
            known_by_site[row.site_id].append(_known(row))
        judged = 0
        transitions: list[Transition] = []
        for site, snapshot in pairs:
            context = AuditContext(
                site=site_view(site, self.profile),
                snapshot=snapshot_view(snapshot, site.start_url, notices.get(snapshot.id, [])),
                recent_outcomes=outcomes.get(site.id, (snapshot.outcome,)),
                profile=self.profile,
                icp_users=self.icp_users,
                unreachable_runs=self.unreachable_runs,
                registry=self.registry,
            )
            evaluation = evaluate(context)
            judged += bool(evaluation.judged)
            url = snapshot.final_url or site.start_url
            hits = [
                Seen((site.id, rule.code, hit.fingerprint), rule.severity,
                     _evidence(hit, url, snapshot.id), snapshot.id)
                for rule, hit in evaluation.hits
            ]  # fmt: skip
            transitions += reconcile_site(
                self.audit, known_by_site.get(site.id, ()), hits, evaluation.judged
            )
        known = [k for found in known_by_site.values() for k in found]
        persist.apply_all(transitions, known)
        # accepted risks past their date, as the findings stand now: back to review
        persist.apply_all(acceptances_ended(self.audit, persist.as_they_stand(known)), known)
        persist.end_batch()
        return judged


def _icp_users(rows: Iterable[Sequence[Any]]) -> dict[str, frozenset[str]]:
    """Who shows each valid ICP number: the inventory's sponsor, else the page's own
    主办单位 (a discovered site has no inventory data), else only its host is known.
    ``rows``: (snapshot id, inventory sponsor, host, kind, number, valid) in page order."""
    users: dict[str, set[str]] = defaultdict(set)
    for _, page in groupby(rows, key=itemgetter(0)):
        shown = list(page)
        page_sponsor = next((row[4] for row in shown if row[3] == "sponsor"), None)
        for _, sponsor, host, kind, number, valid in shown:
            if kind == "icp" and valid and number:
                users[number].add(sponsor or page_sponsor or host)
    return {number: frozenset(names) for number, names in users.items()}


def _evidence(hit: Hit, url: str, snapshot_id: int) -> dict[str, Any]:
    return {
        "excerpt": hit.excerpt,
        "url": url,
        "snapshot_id": snapshot_id,
        **({"details": hit.details} if hit.details else {}),
    }


def _known(finding: Finding | FindingState) -> Known:
    """A finding as the audit sees it (loaded, or as the store's plain row)."""
    return Known(
        id=finding.id,
        key=(finding.site_id, finding.rule, finding.fingerprint),
        state=finding.state,
        review_state=finding.review_state,
        first_seen_run_id=finding.first_seen_run_id,
        last_seen_run_id=finding.last_seen_run_id,
        resolved_run_id=finding.resolved_run_id,
        suppressed_evidence=finding.suppressed_evidence,
        accepted_until=finding.accepted_until,
        deadline=finding.deadline,
    )


class _Persist:
    """Carry out the transitions on the findings of the session, with their events, and
    count them for the summary. Only the findings that change are loaded."""

    def __init__(self, session: Session, run_id: int, now: dt.datetime) -> None:
        self.session = session
        self.run_id = run_id
        self.now = now
        self.changes: dict[str, Counter[str]] = defaultdict(Counter)
        self.opened: set[int] = set()  # opened or reopened by this run
        self.findings: dict[Key, Finding] = {}  # of this batch: loaded or opened
        self.new: list[Finding] = []  # opened in this batch, not yet written

    def apply_all(self, transitions: Iterable[Transition], known: Iterable[Known]) -> None:
        transitions = list(transitions)
        ids = {k.key: k.id for k in known if k.id is not None}
        wanted = [ids[t.key] for t in transitions if t.key in ids and t.key not in self.findings]
        for finding in store_findings.findings_by_id(self.session, wanted).values():
            self.findings[(finding.site_id, finding.rule, finding.fingerprint)] = finding
        for transition in transitions:
            self.apply(transition)

    def as_they_stand(self, known: Iterable[Known]) -> list[Known]:
        """These findings after the transitions carried out so far."""
        return [_known(self.findings[k.key]) if k.key in self.findings else k for k in known]

    def end_batch(self) -> None:
        """Write the batch: the findings it opened get their ids, then their events; the
        session is emptied for the next batch."""
        self.session.flush()
        for finding in self.new:
            self.opened.add(finding.id)
            _event(self.session, finding, self.run_id, "opened", None, "open", at=self.now)
        self.session.flush()
        self.session.expunge_all()
        self.findings.clear()
        self.new.clear()

    def apply(self, transition: Transition) -> None:
        move, seen = transition.move, transition.seen
        if move is Move.OPENED:
            assert seen is not None
            finding = self._open(seen)
        else:
            finding = self.findings[transition.key]
        if transition.touch and seen is not None:
            _seen(finding, self.run_id, self.now, seen.snapshot_id, seen.evidence)
        if move is Move.OPENED_EARLIER:
            _open_earlier(self.session, finding, self.run_id)
        elif move is Move.SUPPRESSION_ENDED:
            self._back_to_review(
                finding, "the evidence changed: the false-positive suppression ends"
            )
        elif move is Move.REOPENED:
            finding.state = "open"
            finding.resolved_run_id = finding.resolved_at = None
            _event(self.session, finding, self.run_id, "reopened", "resolved", "open", at=self.now)
            self.opened.add(finding.id)
            if transition.back_to_review:
                self._back_to_review(finding, "the problem came back after it had been resolved")
        elif move is Move.RESOLVED:
            self._resolve(finding, transition.fixed)
        elif move is Move.ACCEPTANCE_ENDED:
            self._back_to_review(
                finding, f"the accepted risk ended on {finding.accepted_until}: back to review"
            )
        counted = COUNTED_AS.get(move)
        if counted is not None:
            self.changes[counted][finding.rule] += 1

    def _open(self, seen: Seen) -> Finding:
        site_id, rule, fingerprint = seen.key
        finding = Finding(
            site_id=site_id, rule=rule, fingerprint=fingerprint, severity=seen.severity,
            state="open", review_state="new", first_seen_run_id=self.run_id,
            last_seen_run_id=self.run_id, first_seen_at=self.now, last_seen_at=self.now,
            snapshot_id=seen.snapshot_id, evidence=seen.evidence,
        )  # fmt: skip
        self.session.add(finding)
        self.findings[seen.key] = finding
        self.new.append(finding)  # its "opened" event once it has an id (end_batch)
        return finding

    def _resolve(self, finding: Finding, fixed: bool) -> None:
        finding.state = "resolved"
        finding.resolved_run_id = self.run_id
        finding.resolved_at = self.now
        note = (
            review.fixed_note(finding, review.local_date(self.now))
            if fixed  # notified: the loop closes
            else "no longer seen by the re-test of this run"
        )
        _event(
            self.session,
            finding,
            self.run_id,
            "resolved",
            "open",
            "resolved",
            note=note,
            at=self.now,
        )
        if fixed:
            self.session.add(
                review.by_audit(finding, "resolved", run_id=self.run_id, note=note, at=self.now)
            )

    def _back_to_review(self, finding: Finding, note: str) -> None:
        self.session.add(
            review.by_audit(finding, "new", run_id=self.run_id, note=note, at=self.now)
        )


def _open_earlier(session: Any, finding: Finding, run_id: int) -> None:
    """A run dated before the run that opened ``finding`` shows it too: the finding was
    there already, and its opening moves back to this run (the lifecycle events keep
    alternating in date order: opened, resolved, reopened, ...)."""
    first = finding.first_seen_run_id
    finding.first_seen_run_id = run_id
    store_findings.date_opening(
        session, finding.id, run_id, f"seen by run {run_id}, dated before run {first}"
    )


def _seen(
    finding: Finding, run_id: int, now: Any, snapshot_id: int, evidence: dict[str, Any]
) -> None:
    finding.last_seen_run_id = run_id
    finding.last_seen_at = now
    finding.snapshot_id = snapshot_id
    finding.evidence = evidence


def _event(
    session: Any,
    finding: Finding,
    run_id: int,
    kind: str,
    from_state: str | None,
    to_state: str | None,
    note: str | None = None,
    *,
    at: dt.datetime,
) -> None:
    session.add(
        FindingEvent(
            finding_id=finding.id, run_id=run_id, kind=kind, actor="audit",
            from_state=from_state, to_state=to_state, note=note, at=at,
        )
    )  # fmt: skip
