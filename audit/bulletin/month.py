"""The state of a month a compile works from (:class:`MonthState`): the month and the
one before, the sites monitored and the findings reported at the end of each, their
review states, what the sites' last snapshots showed, the analysts' and the re-tests'
activity. Read once; every section of the figures is built from it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from audit.bulletin.figures import Period
from audit.bulletin.history import History, ReviewStates, Timeline
from audit.bulletin.period import local_date, months_ending, period_of, previous_period
from audit.bulletin.records import (
    FindingInfo,
    Monitoring,
    SiteInfo,
    SiteStatus,
    read_findings,
    read_sites,
    site_status,
)
from audit.bulletin.rule_groups import UNFILED_RULES
from audit.config import BulletinSettings, Profile
from audit.findings import review
from audit.store import Session
from audit.store import bulletin_history as store

# the review states whose events count as the month's rectification work
ACTIVITY_STATES = ("notified", "inspected", "resolved")


@dataclass(frozen=True)
class Activity:
    """Review events in a window: the sites notified, inspected and verified fixed, and
    the findings fixed (with the date)."""

    notified: set[int]
    inspected: set[int]
    fixed_sites: set[int]
    fixed_findings: dict[int, dt.date]


@dataclass
class MonthState:
    """What the sections of a month's figures are built from; "now" is the month
    (at ``as_of``), "before" the month before it (at its end)."""

    session: Session
    profile: Profile
    settings: BulletinSettings
    period: Period
    previous: Period  # the month compared with: the last one before with a crawl run
    compared: bool  # False: no month before had a crawl run (previous is then the month before)
    now: dt.datetime
    as_of: dt.datetime
    timeline: Timeline
    history: History
    sites: dict[int, SiteInfo]
    findings: dict[int, FindingInfo]
    monitoring: Monitoring
    trend_months: list[Period]
    monitored_now: set[int]
    monitored_before: set[int]
    reported_now: set[int]
    reported_before: set[int]
    reviews_now: ReviewStates
    reviews_before: ReviewStates
    status_now: dict[int, SiteStatus]
    status_before: dict[int, SiteStatus]
    activity_now: Activity
    activity_before: Activity
    end_day: dt.date
    previous_end_day: dt.date
    unfiled_now: set[int]
    unfiled_before: set[int]
    overdue_now: set[int]
    overdue_before: set[int]

    def unfiled_sites(self, reported: set[int], rules: Sequence[str] = UNFILED_RULES) -> set[int]:
        """The sites with a finding of one of these rules among ``reported``."""
        return sites_with(self.findings, reported, rules)


def read_month(
    session: Session,
    profile: Profile,
    period: Period,
    *,
    settings: BulletinSettings,
    now: dt.datetime,
) -> MonthState:
    """The state of ``period`` as the database stood at its end (or ``now``, if earlier)."""
    as_of = min(period.end, now)
    timeline = Timeline(session, as_of)
    previous, compared = compared_month(timeline, period)
    sites = read_sites(session, as_of)
    findings = read_findings(session)
    monitoring = Monitoring(sites)
    # A month without a crawl run was not monitored: it is not drawn (as zeros) in the trend.
    trend_months = [
        m
        for m in months_ending(period, settings.trend_months)
        if m == period or (m.start < as_of and timeline.runs_between(m.start, m.end))
    ]
    history = History(
        session,
        timeline,
        [month.end for month in trend_months],
        detailed=(period.end, previous.end),
    )

    open_now = history.open_at(period.end)
    open_before = history.open_at(previous.end)
    reviews_now = history.review_states(period.end)
    reviews_before = history.review_states(previous.end)
    monitored_now, monitored_before = monitoring.at(as_of), monitoring.at(previous.end)
    false_positives = history.false_positives(period.end)
    reported_now = reported(open_now, false_positives, findings, monitored_now)
    false_positives = history.false_positives(previous.end)
    reported_before = reported(open_before, false_positives, findings, monitored_before)

    status_now = site_status(session, timeline.runs_between(period.start, period.end), as_of)
    status_before = site_status(
        session, timeline.runs_between(previous.start, previous.end), previous.end
    )
    activity_now = read_activity(session, timeline, period.start, period.end, findings)
    activity_before = read_activity(session, timeline, previous.start, previous.end, findings)

    end_day = local_date(as_of - dt.timedelta(microseconds=1)) + dt.timedelta(days=1)
    previous_end_day = local_date(previous.end)

    return MonthState(
        session=session,
        profile=profile,
        settings=settings,
        period=period,
        previous=previous,
        compared=compared,
        now=now,
        as_of=as_of,
        timeline=timeline,
        history=history,
        sites=sites,
        findings=findings,
        monitoring=monitoring,
        trend_months=trend_months,
        monitored_now=monitored_now,
        monitored_before=monitored_before,
        reported_now=reported_now,
        reported_before=reported_before,
        reviews_now=reviews_now,
        reviews_before=reviews_before,
        status_now=status_now,
        status_before=status_before,
        activity_now=activity_now,
        activity_before=activity_before,
        end_day=end_day,
        previous_end_day=previous_end_day,
        unfiled_now=sites_with(findings, reported_now, UNFILED_RULES),
        unfiled_before=sites_with(findings, reported_before, UNFILED_RULES),
        overdue_now=overdue(reported_now, reviews_now, end_day),
        overdue_before=overdue(reported_before, reviews_before, previous_end_day),
    )


def compared_month(timeline: Timeline, period: Period) -> tuple[Period, bool]:
    """The month ``period`` is compared with: the last month before it with a crawl run (a
    month nobody monitored compares nothing), and True; else the month before, and False."""
    earlier = [at for at in timeline.run_start.values() if at < period.start]
    if not earlier:
        return previous_period(period), False
    return period_of(max(earlier)), True


def sites_with(
    findings: dict[int, FindingInfo], reported: set[int], rules: Sequence[str]
) -> set[int]:
    """The sites with a finding of one of these rules among ``reported``."""
    return {findings[f].site_id for f in reported if findings[f].rule in rules}


def reported(
    open_ids: set[int],
    false_positives: set[int],
    findings: dict[int, FindingInfo],
    monitored: set[int],
) -> set[int]:
    """The open findings a bulletin reports: not false positives, of monitored sites."""
    return {
        f for f in open_ids - false_positives if f in findings and findings[f].site_id in monitored
    }


def overdue(reported: set[int], reviews: ReviewStates, on: dt.date) -> set[int]:
    return {
        f
        for f in reported
        if reviews[f].state in review.DEADLINE_STATES
        and (deadline := reviews[f].deadline) is not None
        and deadline < on
    }


def read_activity(
    session: Session,
    timeline: Timeline,
    start: dt.datetime,
    end: dt.datetime,
    findings: dict[int, FindingInfo],
) -> Activity:
    activity = Activity(set(), set(), set(), {})
    events = store.review_activity(session, timeline.window(start, end), ACTIVITY_STATES)
    for finding_id, to_state, actor, run_id, at in events:
        info = findings.get(finding_id)
        if info is None:
            continue
        if to_state == "notified":
            activity.notified.add(info.site_id)
        elif to_state == "inspected":
            activity.inspected.add(info.site_id)
        elif actor == "audit" and run_id is not None:
            # the audit closed a notified / inspected / rectifying finding: the re-test
            # verified the unit's fix (an analyst's "resolved" is only bookkeeping)
            activity.fixed_sites.add(info.site_id)
            activity.fixed_findings[finding_id] = local_date(timeline.event_time(run_id, at))
    return activity
