"""The sections of a month's figures, each built from the month's state
(:class:`audit.bulletin.month.MonthState`): the overview, the unfiled sites, the
rectification, the threats, the warnings, the trend and the findings by district."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any, TypeVar

from audit.bulletin.figures import (
    Changes,
    Count,
    GroupRow,
    Overview,
    Rate,
    Rectification,
    RectificationRow,
    ThreatRow,
    TrendPoint,
    Unfiled,
    Warning,
)
from audit.bulletin.history import ReviewStates
from audit.bulletin.month import Activity, MonthState, reported
from audit.bulletin.records import NO_CATEGORY, NO_DISTRICT, SiteInfo, SiteStatus, StatusCounts
from audit.bulletin.records import status_counts as read_status_counts
from audit.bulletin.rule_groups import (
    ICP_UNFILED,
    POLICE_UNFILED,
    THREAT_RULES,
    UNFILED_RULES,
    UNVERIFIED_RULES,
)
from audit.config import Profile
from audit.findings import review
from audit.page.domains import shown_host
from audit.rules.availability import UNREACHABLE, UNREACHABLE_RULE
from audit.rules.explain import rule_message
from audit.store import bulletin_history as store


def overview(month: MonthState) -> Overview:
    sites, period, as_of = month.sites, month.period, month.as_of
    findings = month.findings
    status_now, status_before = month.status_now, month.status_before
    monitored_now, monitored_before = month.monitored_now, month.monitored_before

    def readable(status: dict[int, SiteStatus]) -> list[SiteStatus]:
        return [s for s in status.values() if s.readable]

    now_ok, before_ok = readable(status_now), readable(status_before)

    def rate(test: Any) -> Rate:
        return Rate(
            sum(1 for s in now_ok if test(s)),
            len(now_ok),
            sum(1 for s in before_ok if test(s)),
            len(before_ok),
        )

    rules_now: defaultdict[int, set[str]] = defaultdict(set)
    rules_before: defaultdict[int, set[str]] = defaultdict(set)
    for target, reported_ids in (
        (rules_now, month.reported_now),
        (rules_before, month.reported_before),
    ):
        for f in reported_ids:
            target[findings[f].site_id].add(findings[f].rule)
    changes = Counter[str]()
    for site_id in monitored_now | monitored_before:
        if site_id not in monitored_before:
            changes["new"] += 1
        elif site_id not in monitored_now:
            changes["gone"] += 1
        elif (status_now.get(site_id), rules_now[site_id]) != (
            status_before.get(site_id),
            rules_before[site_id],
        ):
            changes["changed"] += 1
        else:
            changes["same"] += 1
    new_sites = [
        info for info in sites.values() if period.start <= info.known_since < min(as_of, period.end)
    ]
    return Overview(
        runs=len(month.timeline.runs_between(period.start, period.end)),
        monitored=Count(len(monitored_now), len(monitored_before)),
        crawled=Count(len(status_now), len(status_before)),
        reachable=Count(len(now_ok), len(before_ok)),
        icp=rate(lambda s: s.icp),
        police=rate(lambda s: s.police),
        both=rate(lambda s: s.icp and s.police),
        new_sites=len(new_sites),
        new_discovered=sum(1 for info in new_sites if info.discovered),
        retired_sites=sum(
            1
            for info in sites.values()
            if info.retired_at is not None and period.start <= info.retired_at < as_of
        ),
        sites=Changes(**changes),
    )


def unfiled(month: MonthState) -> Unfiled:
    findings, sites, profile = month.findings, month.sites, month.profile
    reported_now, reported_before = month.reported_now, month.reported_before
    unfiled_now, unfiled_before = month.unfiled_now, month.unfiled_before
    unfiled_sites = month.unfiled_sites
    return Unfiled(
        sites=Count(len(unfiled_now), len(unfiled_before)),
        new=len(unfiled_now - unfiled_before),
        carried=len(unfiled_now & unfiled_before),
        fixed=len(unfiled_before - unfiled_now),
        missing_icp=Count(
            len(unfiled_sites(reported_now, ICP_UNFILED)),
            len(unfiled_sites(reported_before, ICP_UNFILED)),
        ),
        missing_police=Count(
            len(unfiled_sites(reported_now, POLICE_UNFILED)),
            len(unfiled_sites(reported_before, POLICE_UNFILED)),
        ),
        by_district=_groups(unfiled_now, unfiled_before, sites, "district", profile),
        by_category=_groups(unfiled_now, unfiled_before, sites, "category", profile),
        unverified=len(unfiled_sites(reported_now, UNVERIFIED_RULES) - unfiled_now),
        findings=_finding_changes(
            {f for f in reported_now if findings[f].rule in UNFILED_RULES},
            {f for f in reported_before if findings[f].rule in UNFILED_RULES},
            month.reviews_now,
            month.reviews_before,
            _touched(month),
        ),
    )


def rectification(month: MonthState) -> Rectification:
    findings, reviews_now = month.findings, month.reviews_now
    activity_now, activity_before = month.activity_now, month.activity_before
    in_progress = {
        findings[f].site_id
        for f in month.reported_now
        if reviews_now[f].state in review.UNIT_FIXING
    }
    overdue_sites = {findings[f].site_id for f in month.overdue_now}
    return Rectification(
        notified=Count(len(activity_now.notified), len(activity_before.notified)),
        inspected=Count(len(activity_now.inspected), len(activity_before.inspected)),
        fixed=Count(len(activity_now.fixed_sites), len(activity_before.fixed_sites)),
        overdue=Count(len(overdue_sites), len({findings[f].site_id for f in month.overdue_before})),
        in_progress=len(in_progress),
        by_district=_rectification_rows(activity_now, overdue_sites, month.sites, month.profile),
    )


def threats(month: MonthState) -> list[ThreatRow]:
    findings, period = month.findings, month.period

    def is_threat(f: int) -> bool:
        return findings[f].rule in THREAT_RULES

    opened = store.findings_opened(month.session, month.timeline.window(period.start, period.end))
    new = Counter(findings[f].rule for f in opened if f in findings and is_threat(f))
    open_now = Counter(findings[f].rule for f in month.reported_now if is_threat(f))
    open_before = Counter(findings[f].rule for f in month.reported_before if is_threat(f))
    sites_now: defaultdict[str, set[int]] = defaultdict(set)
    for f in month.reported_now:
        if is_threat(f):
            sites_now[findings[f].rule].add(findings[f].site_id)
    return [
        ThreatRow(
            rule=code,
            name=rule_message(code),
            new=new[code],
            open=Count(open_now[code], open_before[code]),
            sites=len(sites_now[code]),
        )
        for code in sorted(set(new) | set(open_now) | set(open_before))
    ]


def warnings(month: MonthState) -> list[Warning]:
    settings, sites, findings = month.settings, month.sites, month.findings
    reviews, end_day, timeline = month.reviews_now, month.end_day, month.timeline
    found: list[Warning] = []
    horizon = end_day + dt.timedelta(days=settings.warning_days)
    due: dict[int, tuple[dt.date, int]] = {}
    for f in month.reported_now:
        state, deadline = reviews[f].state, reviews[f].deadline
        if state in review.DEADLINE_STATES and deadline and end_day <= deadline < horizon:
            site_id = findings[f].site_id
            first, count = due.get(site_id, (deadline, 0))
            due[site_id] = (min(first, deadline), count + 1)
    for site_id, (deadline, count) in due.items():
        info = sites[site_id]
        detail = f"{count}项问题的整改期限为{deadline.month}月{deadline.day}日"
        found.append(
            Warning("deadline", shown_host(info.host), info.name, info.district, detail, deadline)
        )
    # The sites whose unreachable finding is open at the month's end (counted in 四 as well),
    # and those that failed often in the month but came back.
    run_ids = timeline.runs_between(month.period.start, month.period.end)
    counts = {
        site_id: (visits, failures)
        for site_id, visits, failures in store.failure_counts(
            month.session, run_ids, UNREACHABLE, 1
        )
    }
    still_down = {
        findings[f].site_id for f in month.reported_now if findings[f].rule == UNREACHABLE_RULE
    }
    often = {site_id for site_id, (_, failures) in counts.items()
             if failures >= settings.repeated_failures}  # fmt: skip
    for site_id in still_down | often:
        info = sites[site_id]
        if not info.monitored_at(timeline.as_of):
            continue
        visits, failures = counts.get(site_id, (0, 0))
        parts = [f"本月{visits}次监测中{failures}次无法访问"] if failures else []
        parts.append("月末仍无法访问" if site_id in still_down else "月末已恢复访问")
        detail = "，".join(parts)
        found.append(
            Warning("repeated_failure", shown_host(info.host), info.name, info.district, detail)
        )
    order = {"deadline": 0, "repeated_failure": 1}
    found.sort(key=lambda w: (order[w.kind], w.on or dt.date.max, w.district, w.host))
    return found


def trend(month: MonthState) -> list[TrendPoint]:
    """The months of ``month.trend_months``, oldest first; the month and the one before it
    from what the state holds already, the others read."""
    timeline, history, findings = month.timeline, month.history, month.findings
    known: dict[str, tuple[dt.datetime, StatusCounts, set[int]]] = {
        month.period.month: (month.as_of, StatusCounts.of(month.status_now), month.reported_now),
        month.previous.month: (
            month.previous.end,
            StatusCounts.of(month.status_before),
            month.reported_before,
        ),
    }
    points: list[TrendPoint] = []
    for period in month.trend_months:
        end = min(period.end, timeline.as_of)
        if period.month in known and known[period.month][0] == end:
            _, counts, reported_ids = known[period.month]
        else:
            counts = read_status_counts(
                month.session, timeline.runs_between(period.start, period.end), end
            )
            open_ids, false_positives = history.open_at(end), history.false_positives(end)
            reported_ids = reported(open_ids, false_positives, findings, month.monitoring.at(end))

        def share(part: int, whole: int = counts.readable) -> float | None:
            return part / whole if whole else None

        points.append(
            TrendPoint(
                month=period.month,
                reachable=counts.readable,
                icp_rate=share(counts.icp),
                police_rate=share(counts.police),
                both_rate=share(counts.both),
                open_findings=len(reported_ids),
                unfiled_sites=len(
                    {findings[f].site_id for f in reported_ids if findings[f].rule in UNFILED_RULES}
                ),
            )
        )
    return points


def findings_by_district(month: MonthState) -> list[tuple[str, int]]:
    """The findings reported, counted by their site's district (in the profile's order)."""
    sites, findings = month.sites, month.findings
    by_district = Counter(sites[findings[f].site_id].district for f in month.reported_now)
    return [(name, by_district[name]) for name in district_order(month.profile, by_district)]


# ---- helpers -----------------------------------------------------------------------------


def district_order(profile: Profile, names: Iterable[str]) -> list[str]:
    """The profile's districts in its order, then others by name, the unnamed last."""
    known = profile.district_names
    present = set(names)
    ordered = [name for name in known if name in present]
    others = sorted(present - set(known) - {NO_DISTRICT})
    return ordered + others + ([NO_DISTRICT] if NO_DISTRICT in present else [])


def _touched(month: MonthState) -> set[int]:
    """Findings with a lifecycle or review event in the month (for "changed")."""
    period = month.period
    return store.findings_with_events(
        month.session, month.timeline.window(period.start, period.end)
    )


def _groups(
    now: set[int], before: set[int], sites: dict[int, SiteInfo], field: str, profile: Profile
) -> list[GroupRow]:
    counts: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for site_id in now:
        info = sites[site_id]
        group = counts[getattr(info, field)]
        group["unfiled"] += 1
        group["new"] += site_id not in before
        group["key_units"] += info.key_unit
    for site_id in before:
        counts[getattr(sites[site_id], field)]["previous"] += 1
    if field == "district":
        names = district_order(profile, counts)
    else:  # categories: most unfiled first
        names = sorted(counts, key=lambda n: (-counts[n]["unfiled"], n == NO_CATEGORY, n))
    return _counted_rows(GroupRow, "name", names, counts)


def _finding_changes(
    now: set[int],
    before: set[int],
    reviews_now: ReviewStates,
    reviews_before: ReviewStates,
    touched: set[int],
) -> Changes:
    both = now & before
    changed = {
        f
        for f in both
        if f in touched
        or (reviews_now[f].state, reviews_now[f].deadline)
        != (reviews_before[f].state, reviews_before[f].deadline)
    }
    return Changes(
        new=len(now - before),
        gone=len(before - now),
        changed=len(changed),
        same=len(both - changed),
    )


def _rectification_rows(
    activity: Activity, overdue: set[int], sites: dict[int, SiteInfo], profile: Profile
) -> list[RectificationRow]:
    counts: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for name, members in (
        ("notified", activity.notified),
        ("inspected", activity.inspected),
        ("fixed", activity.fixed_sites),
        ("overdue", overdue),
    ):
        for site_id in members:
            counts[sites[site_id].district][name] += 1
    return _counted_rows(RectificationRow, "district", district_order(profile, counts), counts)


Counted = TypeVar("Counted", GroupRow, RectificationRow)


def _counted_rows(
    row: type[Counted], key: str, names: Iterable[str], counts: dict[str, Counter[str]]
) -> list[Counted]:
    """One row per name, its other fields the counts of the same names (0 when absent)."""
    fields = [f.name for f in dataclasses.fields(row) if f.name != key]
    rows: list[Counted] = []
    for name in names:
        values: dict[str, Any] = {key: name, **{f: counts[name][f] for f in fields}}
        rows.append(row(**values))  # the field names are known at run time only
    return rows
