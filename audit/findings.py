"""The audit: rules over the latest crawl, turned into findings with a lifecycle.

A finding is keyed by (site, rule, fingerprint). An audit of a run opens the findings it
sees, keeps those it sees again, resolves the open findings of the rules it judged that it
no longer sees (the re-test), and reopens resolved ones that come back; each change is an
event. A site whose page could not be read is not judged by the rules that need it, so its
filing findings neither open nor resolve. Auditing the same run twice changes nothing.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from audit.config import Profile
from audit.domains import is_government_host
from audit.errors import UserError
from audit.rules import evaluate
from audit.rules.model import AuditContext, SiteView, SnapshotView
from audit.store import Finding, FindingEvent, Site, Snapshot, Store
from audit.store import findings as store_findings
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
               for kind in ("new", "still_open", "resolved", "reopened")},
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
    )


def run_audit(
    store: Store, profile: Profile, *, run_id: int | None = None, unreachable_runs: int = 2
) -> AuditSummary:
    with store.session() as session:
        if run_id is None:
            run = store_findings.latest_finished_run(session)
            if run is None:
                raise UserError("no finished crawl run to audit: run `beian crawl` first")
            run_id = run.id
        pairs = store_findings.run_snapshots(session, run_id)
        if not pairs:
            raise UserError(f"crawl run {run_id} has no snapshots")
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
                    _event(session, finding, run_id, "opened", None, "open")
                    changes["new"][rule.code] += 1
                elif finding.last_seen_run_id > run_id or (finding.resolved_run_id or 0) > run_id:
                    continue  # a later run already decided about it
                elif finding.state == "resolved":
                    finding.state = "open"
                    finding.resolved_run_id = finding.resolved_at = None
                    _seen(finding, run_id, now, snapshot.id, evidence)
                    _event(session, finding, run_id, "reopened", "resolved", "open")
                    changes["reopened"][rule.code] += 1
                else:
                    if finding.last_seen_run_id != run_id:
                        _seen(finding, run_id, now, snapshot.id, evidence)
                    changes["still_open"][rule.code] += 1
            for key, finding in existing.items():
                if key[0] != site.id or key in seen or finding.state != "open":
                    continue
                if finding.rule not in evaluation.judged or finding.last_seen_run_id >= run_id:
                    continue  # not judged this time (site unreachable), or seen in this run
                finding.state = "resolved"
                finding.resolved_run_id = run_id
                finding.resolved_at = now
                _event(session, finding, run_id, "resolved", "open", "resolved",
                       note="no longer seen by the re-test of this run")  # fmt: skip
                changes["resolved"][finding.rule] += 1
        summary.changes = dict(changes)
        return summary


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
