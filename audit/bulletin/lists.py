"""The attachment lists of a month's figures: the open findings, the overdue and the
rectified ones, and the unfiled sites (one row per site)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection
from typing import Any

from audit.bulletin.figures import Figures, FindingRow, SiteRow
from audit.bulletin.month import MonthState
from audit.bulletin.period import local_date
from audit.bulletin.records import SiteInfo
from audit.bulletin.rule_groups import UNFILED_RULES
from audit.page.domains import shown_host
from audit.rules.explain import rule_message
from audit.store import Session
from audit.store import bulletin_history as store

EXCERPT_LIMIT = 200
_PROGRESS = ("new", "confirmed", "accepted_risk", "notified", "inspected", "rectifying")


def add_lists(figures: Figures, month: MonthState) -> None:
    """Fill in the figures' lists from the month's state."""
    sites, findings, reviews = month.sites, month.findings, month.reviews_now
    reported, activity = month.reported_now, month.activity_now
    new_unfiled = month.unfiled_now - month.unfiled_before
    listed = reported | set(activity.fixed_findings)
    evidence = finding_evidence(month.session, listed)
    district_rank = {name: i for i, name in enumerate(month.profile.district_names)}

    def site_key(info: SiteInfo) -> tuple[Any, ...]:
        return (not info.key_unit, district_rank.get(info.district, 999), info.district, info.host)

    # per run and per rule, not per row: the lists can hold hundreds of thousands
    opened_on = {
        run_id: local_date(started) for run_id, started in month.timeline.run_start.items()
    }
    messages: dict[str, str] = {}
    site_keys: dict[int, tuple[Any, ...]] = {}

    def row(f: int, resolved: dt.date | None = None) -> FindingRow:
        finding = findings[f]
        info = sites[finding.site_id]
        excerpt, url = evidence.get(f, ("", ""))
        state = reviews[f]
        message = messages.get(finding.rule)
        if message is None:
            message = messages[finding.rule] = rule_message(finding.rule)
        return FindingRow(
            id=f,
            **_site_columns(info),
            rule=finding.rule,
            message=message,
            severity=finding.severity,
            opened=opened_on.get(finding.first_seen_run_id),
            review_state=state.state,
            deadline=state.deadline,
            resolved=resolved,
            excerpt=excerpt,
            url=url,
        )

    def finding_key(f: int) -> tuple[Any, ...]:
        """The site's key, then the rule and the ID."""
        site_id = findings[f].site_id
        key = site_keys.get(site_id)
        if key is None:
            key = site_keys[site_id] = site_key(sites[site_id])
        return (key, findings[f].rule, f)

    figures.open_findings = [row(f) for f in sorted(reported, key=finding_key)]
    figures.overdue = [r for r in figures.open_findings if r.id in month.overdue_now]
    fixed = [f for f in activity.fixed_findings if f in findings]
    figures.rectified = [row(f, activity.fixed_findings[f]) for f in sorted(fixed, key=finding_key)]
    by_site: defaultdict[int, list[FindingRow]] = defaultdict(list)
    for r in figures.open_findings:
        if r.rule in UNFILED_RULES:
            by_site[findings[r.id].site_id].append(r)
    rows = []
    for site_id, found in by_site.items():
        info = sites[site_id]
        deadlines = [r.deadline for r in found if r.deadline]
        states = [r.review_state for r in found]
        rows.append(
            (
                site_key(info),
                SiteRow(
                    **_site_columns(info),
                    problems="；".join(f"{r.rule} {r.message}" for r in found),
                    since=min((r.opened for r in found if r.opened), default=None),
                    review_state=max(states, key=_progress),
                    deadline=min(deadlines, default=None),
                    new=site_id in new_unfiled,
                ),
            )
        )
    figures.unfiled_sites = [site_row for _, site_row in sorted(rows, key=lambda r: r[0])]


def _progress(state: str) -> int:
    """How far the handling of a site has gone: its most advanced finding speaks for it."""
    return _PROGRESS.index(state) if state in _PROGRESS else -1


def finding_evidence(session: Session, ids: Collection[int]) -> dict[int, tuple[str, str]]:
    """Excerpt and URL of the listed findings (the latest evidence the audit kept)."""
    found: dict[int, tuple[str, str]] = {}
    for finding_id, evidence in store.finding_evidence(session, ids):
        data = evidence if isinstance(evidence, dict) else {}
        excerpt = str(data.get("excerpt") or "")[:EXCERPT_LIMIT]
        found[finding_id] = (excerpt, str(data.get("url") or "")[:500])
    return found


def _site_columns(info: SiteInfo) -> dict[str, Any]:
    """The columns a site brings to every row of the lists."""
    return {
        "host": shown_host(info.host),
        "name": info.name,
        "sponsor": info.sponsor,
        "district": info.district,
        "category": info.category,
        "key_unit": info.key_unit,
    }
