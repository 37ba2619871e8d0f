"""The audit: rules over the latest crawl, turned into findings with a lifecycle.

A finding is keyed by (site, rule, fingerprint). An audit of a run opens the findings it
sees, keeps those it sees again, resolves the open findings of the rules it judged that it
no longer sees (the re-test), and reopens resolved ones that come back; each change is an
event. A site whose page could not be read is not judged by the rules that need it, so its
filing findings neither open nor resolve. A discovered site awaiting an analyst's
acceptance is not judged at all: its snapshots are judged from the first audit after it
was accepted. Auditing the same run twice changes nothing (unless a site of the run was
accepted in between: it is judged then).

The analysts' triage (audit/review.py) meets the audit in three places: a notified or
rectifying finding the re-test no longer sees is resolved, and the event says the unit
fixed it; a false positive seen again with the evidence it was declared on stays
suppressed (counted as such, not reopened), while changed evidence ends the suppression;
an accepted risk past its date goes back to new.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from audit import review
from audit.config import Profile
from audit.domains import is_government_host
from audit.errors import UserError
from audit.registry import load_registry
from audit.rules import evaluate
from audit.rules.model import AuditContext, SiteView, SnapshotView
from audit.store import Finding, FindingEvent, Site, Snapshot, Store
from audit.store import crawls as store_crawls
from audit.store import findings as store_findings
from audit.store import runs as store_runs
from audit.store.models import utcnow

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
        notices=tuple(notices),
        reading=snapshot.reading,
        reading_gaps=tuple(snapshot.reading_gaps or ()),
    )


def run_audit(
    store: Store, profile: Profile, *, run_id: int | None = None, unreachable_runs: int = 2
) -> AuditSummary:
    """Audit a run (default: the finished run dated last) and return what changed.

    A run dated before runs already audited (``beian crawl --dated`` for an earlier day)
    adds to the history of its day without undoing what the later runs decided; the
    findings it alone opens are then decided by the runs after it, audited again in
    date order until none is left undecided."""
    summary, opened = _audit(store, profile, run_id, unreachable_runs)
    undecided = dict.fromkeys(opened, summary.run_id)  # finding -> the run that opened it
    if undecided:
        with store.session() as session:
            key = store_runs.run_keys(session, [summary.run_id])[summary.run_id]
            later = store_runs.ended_runs_after(session, key)
        for later_id in later:
            _, opened = _audit(store, profile, later_id, unreachable_runs)
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
    store: Store, profile: Profile, run_id: int | None, unreachable_runs: int
) -> tuple[AuditSummary, set[int]]:
    """Audit one run: its summary, and the findings it opened or reopened (when runs dated
    after it were audited already, they never saw these: they decide them next)."""
    with store.session() as session:
        if run_id is None:
            run = store_findings.latest_finished_run(session)
            if run is None:
                raise UserError("no finished crawl run to audit: run `beian crawl` first")
            run_id = run.id
        pairs = store_findings.run_snapshots(session, run_id)
        # (a run of pending sites only, `beian crawl --site` of one, judges nothing)
        if not pairs and not store_crawls.snapshot_count(session, run_id):
            raise UserError(f"crawl run {run_id} has no snapshots")
        # runs compared by date, not by id: a run dated earlier may have been entered later
        keys = store_runs.run_keys(session)
        this = keys[run_id]

        def after_this(other: int | None) -> bool:
            return other is not None and keys[other] > this

        opened: set[int] = set()
        notices = store_findings.notices_by_snapshot(session, run_id)
        outcomes = store_findings.recent_outcomes(session, run_id, unreachable_runs)
        icp_users: dict[str, set[str]] = defaultdict(set)
        for site, snapshot in pairs:
            shown = notices.get(snapshot.id, ())
            # Who runs the site: the inventory says, else the page's own 主办单位 (a
            # discovered site has no inventory data), else only its host is known.
            page_sponsor = next((n["number"] for n in shown if n["kind"] == "sponsor"), None)
            user = site.sponsor or page_sponsor or site.host
            for notice in shown:
                if notice["kind"] == "icp" and notice["valid"] and notice["number"]:
                    icp_users[notice["number"]].add(user)
        frozen_users = {number: frozenset(users) for number, users in icp_users.items()}
        registry = load_registry(session)  # None when none was imported

        existing = {
            (f.site_id, f.rule, f.fingerprint): f
            for f in store_findings.findings_of_sites(session, [site.id for site, _ in pairs])
        }
        summary = AuditSummary(run_id=run_id, sites=len(pairs), judged_sites=0)
        changes: dict[str, Counter[str]] = defaultdict(Counter)
        now = utcnow()
        for site, snapshot in pairs:
            context = AuditContext(
                site=site_view(site, profile),
                snapshot=snapshot_view(snapshot, site.start_url, notices.get(snapshot.id, [])),
                recent_outcomes=outcomes.get(site.id, (snapshot.outcome,)),
                profile=profile,
                icp_users=frozen_users,
                unreachable_runs=unreachable_runs,
                registry=registry,
            )
            evaluation = evaluate(context)
            summary.judged_sites += bool(evaluation.judged)
            seen: set[tuple[int, str, str]] = set()
            for rule, hit in evaluation.hits:
                key = (site.id, rule.code, hit.fingerprint)
                seen.add(key)
                evidence = {
                    "excerpt": hit.excerpt,
                    "url": snapshot.final_url or site.start_url,
                    "snapshot_id": snapshot.id,
                    **({"details": hit.details} if hit.details else {}),
                }
                finding = existing.get(key)
                if finding is None:
                    finding = Finding(
                        site_id=site.id, rule=rule.code, fingerprint=hit.fingerprint,
                        severity=rule.severity, state="open", review_state="new",
                        first_seen_run_id=run_id, last_seen_run_id=run_id,
                        first_seen_at=now, last_seen_at=now, snapshot_id=snapshot.id,
                        evidence=evidence,
                    )  # fmt: skip
                    session.add(finding)
                    session.flush()
                    existing[key] = finding
                    opened.add(finding.id)
                    _event(session, finding, run_id, "opened", None, "open")
                    changes["new"][rule.code] += 1
                    continue
                if after_this(finding.last_seen_run_id) or after_this(finding.resolved_run_id):
                    # a later run already decided about it; one that first saw it later
                    # missed that it was there already
                    if after_this(finding.first_seen_run_id):
                        _open_earlier(session, finding, run_id)
                        changes["new"][rule.code] += 1
                    continue
                if review.is_suppressed(finding, evidence):
                    # a false positive seen again with the evidence it was declared on
                    if finding.state == "open" and finding.last_seen_run_id != run_id:
                        _seen(finding, run_id, now, snapshot.id, evidence)
                    changes["suppressed"][rule.code] += 1
                    continue
                if finding.review_state == "false_positive":  # the evidence changed
                    note = "the evidence changed: the false-positive suppression ends"
                    session.add(review.by_audit(finding, "new", run_id=run_id, note=note))
                if finding.state == "resolved":
                    finding.state = "open"
                    finding.resolved_run_id = finding.resolved_at = None
                    _seen(finding, run_id, now, snapshot.id, evidence)
                    _event(session, finding, run_id, "reopened", "resolved", "open")
                    opened.add(finding.id)
                    if finding.review_state == "resolved":
                        # It came back: the analysts look at it again.
                        note = "the problem came back after it had been resolved"
                        session.add(review.by_audit(finding, "new", run_id=run_id, note=note))
                    changes["reopened"][rule.code] += 1
                else:
                    if finding.last_seen_run_id != run_id:
                        _seen(finding, run_id, now, snapshot.id, evidence)
                    changes["still_open"][rule.code] += 1
            for key, finding in existing.items():
                if key[0] != site.id or key in seen or finding.state != "open":
                    continue
                if finding.rule not in evaluation.judged:
                    continue  # not judged this time (site unreachable)
                if finding.last_seen_run_id == run_id or after_this(finding.last_seen_run_id):
                    continue  # seen in this run, or by a run dated after it
                finding.state = "resolved"
                finding.resolved_run_id = run_id
                finding.resolved_at = now
                fixed = finding.review_state in review.UNIT_FIXING  # notified: the loop closes
                note = (
                    review.fixed_note(finding, review.local_date(now))
                    if fixed
                    else "no longer seen by the re-test of this run"
                )
                _event(session, finding, run_id, "resolved", "open", "resolved", note=note)
                if fixed:
                    session.add(review.by_audit(finding, "resolved", run_id=run_id, note=note))
                changes["resolved"][finding.rule] += 1
        for finding in existing.values():  # accepted risks past their date: back to review
            if finding.state == "open" and review.is_expired(finding, review.local_date(now)):
                note = f"the accepted risk ended on {finding.accepted_until}: back to review"
                session.add(review.by_audit(finding, "new", run_id=run_id, note=note))
        summary.changes = dict(changes)
        return summary, opened


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
) -> None:
    session.add(
        FindingEvent(
            finding_id=finding.id, run_id=run_id, kind=kind, actor="audit",
            from_state=from_state, to_state=to_state, note=note,
        )
    )  # fmt: skip
