"""Compile a month's figures from the store, as the database stood at the month's end.

Reproducible: every figure is read from records dated before the end of the month, so a
bulletin compiled again after later crawls and reviews says the same thing.

- A crawl run belongs to the month its start falls in (Beijing time). What a site showed
  in a month is its last snapshot of that month.
- A finding's state at an instant is replayed from its events: opened, resolved and
  reopened by the audit of a run (dated by the run's start), resolved when its site was
  taken out of the inventory (dated by the event); its review state and deadline from the
  review events before that instant (an event the audit made for a run is dated by the
  run). The current columns of ``findings`` are never used for a past month.
- A site is monitored at an instant when it was known (first seen, or first crawled)
  before it and not yet taken out of the inventory. A site discovered through links is
  known from its acceptance (beian sites accept): until then it is in no count, not even
  among the sites crawled, whose snapshots it has.
- False positives are left out of every count and list of open findings.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import and_, case, func, literal, or_, select
from sqlalchemy.orm import Session

from audit.bulletin.figures import (
    Changes,
    Count,
    Figures,
    FindingRow,
    GroupRow,
    Overview,
    Period,
    Rate,
    Rectification,
    RectificationRow,
    SiteRow,
    ThreatRow,
    TrendPoint,
    Unfiled,
    Warning,
)
from audit.bulletin.period import local_date, months_ending, previous_period
from audit.config import BulletinSettings, Profile
from audit.findings import review
from audit.findings.states import next_deadline
from audit.rules import UnknownRule, get_rule, rules_of
from audit.rules.availability import UNREACHABLE
from audit.store.models import CrawlRun, Finding, FindingEvent, Notice, Site, Snapshot, utcnow

# 未备案: the site shows no valid filing number of a kind (or one the registry lacks).
UNFILED_RULES = rules_of("unfiled")
ICP_UNFILED = tuple(c for c in UNFILED_RULES if get_rule(c).number_kind == "icp")
POLICE_UNFILED = tuple(c for c in UNFILED_RULES if get_rule(c).number_kind == "police")
# 未能核验: the page's footer is written by scripts or frames the crawl could not read.
UNVERIFIED_RULES = rules_of("unverified")
# 网络安全威胁: availability now, security signals later.
THREAT_RULES = frozenset((*rules_of("availability"), *rules_of("threat")))
LIFECYCLE = ("opened", "resolved", "reopened")
NO_DISTRICT = "未注明区县"
NO_CATEGORY = "未分类"
_CHUNK = 900  # ids per IN (...) list: SQLite's default limit is 999 variables
_BATCH = 10_000  # rows fetched at a time from the large reads, rather than all at once
EXCERPT_LIMIT = 200
NEVER = dt.datetime.max.replace(tzinfo=dt.UTC)  # when a pending discovered site is known


class SiteInfo(NamedTuple):  # a tuple: 100,000s of them are read per compile
    id: int
    host: str
    name: str
    sponsor: str
    district: str
    category: str
    key_unit: bool
    discovered: bool
    known_since: dt.datetime
    retired_at: dt.datetime | None

    def monitored_at(self, moment: dt.datetime) -> bool:
        return self.known_since < moment and (self.retired_at is None or self.retired_at >= moment)


class Monitoring:
    """The sites monitored at an instant (:meth:`SiteInfo.monitored_at`), for many
    instants: the sites in the order they became known, less those retired."""

    def __init__(self, sites: dict[int, SiteInfo]) -> None:
        ordered = sorted(sites.values(), key=lambda info: info.known_since)
        self._known_since = [info.known_since for info in ordered]
        self._ids = [info.id for info in ordered]
        self._retired = [
            (info.retired_at, info.id) for info in ordered if info.retired_at is not None
        ]

    def at(self, moment: dt.datetime) -> set[int]:
        sites = set(self._ids[: bisect_left(self._known_since, moment)])
        sites.difference_update(site_id for at, site_id in self._retired if at < moment)
        return sites


@dataclass(frozen=True)
class SiteStatus:
    """What a site's last snapshot of a month showed."""

    readable: bool
    icp: bool
    police: bool


class FindingInfo(NamedTuple):
    id: int
    site_id: int
    rule: str
    severity: str
    first_seen_run_id: int


@dataclass(frozen=True)
class ReviewState:
    state: str = "new"
    deadline: dt.date | None = None


NOT_REVIEWED = ReviewState()


class ReviewStates(dict[int, ReviewState]):
    """Review states at an instant, by finding; a finding never reviewed is new."""

    def __missing__(self, finding_id: int) -> ReviewState:
        return NOT_REVIEWED


@dataclass(frozen=True)
class Activity:
    """Review events in a window: the sites notified, inspected and verified fixed, and
    the findings fixed (with the date)."""

    notified: set[int]
    inspected: set[int]
    fixed_sites: set[int]
    fixed_findings: dict[int, dt.date]


class Timeline:
    """The runs and the lookups that date events, built once per compile."""

    def __init__(self, session: Session, as_of: dt.datetime) -> None:
        self.session = session
        self.as_of = as_of
        rows = session.execute(
            select(CrawlRun.id, CrawlRun.started_at).where(CrawlRun.started_at < as_of)
        )
        self.run_start: dict[int, dt.datetime] = {run_id: started for run_id, started in rows}

    def runs_between(self, start: dt.datetime, end: dt.datetime) -> list[int]:
        """The runs started in [start, end), oldest first (by date: a run dated with
        ``--dated`` may have been entered after later runs)."""
        end = min(end, self.as_of)
        starts = self.run_start
        return sorted((rid for rid, at in starts.items() if start <= at < end),
                      key=lambda rid: (starts[rid], rid))  # fmt: skip

    def dated_between(self, start: dt.datetime, end: dt.datetime) -> Any:
        """SQL: the event happened in [start, end) (a run's event: its run started then)."""
        end = min(end, self.as_of)
        return or_(
            _in(FindingEvent.run_id, self.runs_between(start, end)),
            and_(FindingEvent.run_id.is_(None), FindingEvent.at >= start, FindingEvent.at < end),
        )

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
    written, the way :func:`audit.findings.review.check` sets them. Per finding, a bit per
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
        weight = case((FindingEvent.kind == "resolved", -1), else_=1)
        lifecycle = FindingEvent.kind.in_(LIFECYCLE)
        # (bucket, weight) of each finding's events. The few without a run (sites taken
        # out of the inventory) first, by finding; then the audit's, finding by finding.
        timed: defaultdict[int, list[tuple[int, int]]] = defaultdict(list)
        statement = select(FindingEvent.finding_id, weight, FindingEvent.at).where(
            lifecycle, FindingEvent.run_id.is_(None)
        )
        for finding_id, change, at in session.execute(statement):
            timed[finding_id].append((self._bucket(None, at), change))
        statement = (
            select(FindingEvent.finding_id, weight, FindingEvent.run_id)
            .where(lifecycle, FindingEvent.run_id.is_not(None))
            .order_by(FindingEvent.finding_id)
        )
        run_bucket, never = self._run_bucket, len(self.instants)
        steps: list[tuple[int, int]] = []
        current = None
        for finding_id, change, run_id in _stream(session, statement):
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
        at = case((FindingEvent.run_id.is_(None), FindingEvent.at))
        statement = (
            select(
                FindingEvent.finding_id,
                FindingEvent.to_state,
                FindingEvent.deadline,
                FindingEvent.run_id,
                at,
            )
            .where(FindingEvent.kind == "review")
            .order_by(FindingEvent.finding_id, FindingEvent.id)
        )
        events: list[tuple[int, str | None, dt.date | None]] = []  # one finding's, in order
        current = None
        for finding_id, to_state, deadline, run_id, when in _stream(session, statement):
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


def compile_figures(
    session: Session,
    profile: Profile,
    period: Period,
    *,
    settings: BulletinSettings | None = None,
    now: dt.datetime | None = None,
) -> Figures:
    """The figures of ``period`` as the database stood at its end (or now, if earlier)."""
    settings = settings or BulletinSettings()
    now = now or utcnow()
    as_of = min(period.end, now)
    previous = previous_period(period)
    timeline = Timeline(session, as_of)
    sites = _sites(session, timeline)
    findings = _findings(session)
    monitoring = Monitoring(sites)
    trend_months = [m for m in months_ending(period, settings.trend_months) if m.start < as_of]
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
    reported_now = _reported(open_now, false_positives, findings, monitored_now)
    false_positives = history.false_positives(previous.end)
    reported_before = _reported(open_before, false_positives, findings, monitored_before)

    status_now = _site_status(session, timeline.runs_between(period.start, period.end), as_of)
    status_before = _site_status(
        session, timeline.runs_between(previous.start, previous.end), previous.end
    )
    activity_now = _activity(session, timeline, period.start, period.end, findings)
    activity_before = _activity(session, timeline, previous.start, previous.end, findings)

    end_day = local_date(as_of - dt.timedelta(microseconds=1)) + dt.timedelta(days=1)
    previous_end_day = local_date(previous.end)

    def unfiled_sites(reported: set[int], rules: Sequence[str] = UNFILED_RULES) -> set[int]:
        return {findings[f].site_id for f in reported if findings[f].rule in rules}

    unfiled_now, unfiled_before = unfiled_sites(reported_now), unfiled_sites(reported_before)
    overdue_now = _overdue(reported_now, reviews_now, end_day)
    overdue_before = _overdue(reported_before, reviews_before, previous_end_day)

    overview = _overview(
        sites,
        monitored_now,
        monitored_before,
        status_now,
        status_before,
        period,
        previous,
        as_of,
        findings,
        reported_now,
        reported_before,
        runs=len(timeline.runs_between(period.start, period.end)),
    )
    unfiled = Unfiled(
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
            reviews_now,
            reviews_before,
            _touched(session, timeline, period),
        ),
    )
    in_progress = {
        findings[f].site_id for f in reported_now if reviews_now[f].state in review.UNIT_FIXING
    }
    overdue_sites = {findings[f].site_id for f in overdue_now}
    rectification = Rectification(
        notified=Count(len(activity_now.notified), len(activity_before.notified)),
        inspected=Count(len(activity_now.inspected), len(activity_before.inspected)),
        fixed=Count(len(activity_now.fixed_sites), len(activity_before.fixed_sites)),
        overdue=Count(len(overdue_sites), len({findings[f].site_id for f in overdue_before})),
        in_progress=len(in_progress),
        by_district=_rectification_rows(activity_now, overdue_sites, sites, profile),
    )
    threats = _threats(session, timeline, period, findings, reported_now, reported_before)
    warnings = _warnings(
        session, timeline, period, settings, sites, findings, reported_now, reviews_now, end_day
    )
    known = {
        period.month: (as_of, StatusCounts.of(status_now), reported_now),
        previous.month: (previous.end, StatusCounts.of(status_before), reported_before),
    }
    trend = _trend(session, timeline, history, trend_months, monitoring, findings, known)
    by_district = Counter(sites[findings[f].site_id].district for f in reported_now)
    ordered = _district_order(profile, by_district)
    figures = Figures(
        period=period,
        previous=previous,
        as_of=as_of,
        complete=now >= period.end,
        overview=overview,
        unfiled=unfiled,
        rectification=rectification,
        threats=threats,
        warnings=warnings,
        trend=trend,
        findings_by_district=[(name, by_district[name]) for name in ordered],
    )
    _lists(
        figures,
        session,
        timeline,
        sites,
        findings,
        reported_now,
        unfiled_now - unfiled_before,
        reviews_now,
        overdue_now,
        activity_now,
        profile,
    )
    return figures


# ---- reading the store -------------------------------------------------------------------


def _in(column: Any, values: Sequence[int]) -> Any:
    return column.in_(list(values)) if values else literal(False)


def _stream(session: Session, statement: Any) -> Any:
    """The rows of a large read, fetched a batch at a time (a server-side cursor on
    PostgreSQL) instead of all into memory first."""
    return session.execute(statement.execution_options(yield_per=_BATCH))


def _chunks(values: Iterable[int]) -> Iterable[list[int]]:
    items = sorted(values)
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _sites(session: Session, timeline: Timeline) -> dict[int, SiteInfo]:
    # A site imported after the crawls that saw it (a back-dated run) was known from its
    # first crawl: known since the earlier of the two. First by date: a run entered
    # later with --dated can be the earliest.
    statement = (
        select(Snapshot.site_id, func.min(CrawlRun.started_at))
        .join(CrawlRun, CrawlRun.id == Snapshot.run_id)
        .where(CrawlRun.started_at < timeline.as_of)
        .group_by(Snapshot.site_id)
    )
    first_crawled = {site_id: started for site_id, started in _stream(session, statement)}
    sites: dict[int, SiteInfo] = {}
    shared: dict[str, str] = {}  # districts and categories: one string each, not per site
    rows = _stream(
        session,
        select(
            Site.id,
            Site.host,
            Site.name,
            Site.sponsor,
            Site.district,
            Site.category,
            Site.key_unit,
            Site.source,
            Site.first_seen,
            Site.retired_at,
            Site.accepted_at,
        ),
    )
    for row in rows:
        known = row.first_seen
        crawled = first_crawled.get(row.id)
        if crawled is not None and crawled < known:
            known = crawled
        if row.source == "discovered":
            # known from its acceptance (never, while it waits for it)
            known = max(known, row.accepted_at) if row.accepted_at is not None else NEVER
        district = (row.district or "").strip() or NO_DISTRICT
        category = (row.category or "").strip() or NO_CATEGORY
        sites[row.id] = SiteInfo(
            id=row.id,
            host=row.host,
            name=row.name or "",
            sponsor=row.sponsor or "",
            district=shared.setdefault(district, district),
            category=shared.setdefault(category, category),
            key_unit=bool(row.key_unit),
            discovered=row.source == "discovered",
            known_since=known,
            retired_at=row.retired_at,
        )
    return sites


def _findings(session: Session) -> dict[int, FindingInfo]:
    statement = select(
        Finding.id, Finding.site_id, Finding.rule, Finding.severity, Finding.first_seen_run_id
    )
    shared: dict[str, str] = {}  # rule codes and severities: one string each, not per finding
    findings: dict[int, FindingInfo] = {}
    for finding_id, site_id, rule, severity, first_run in _stream(session, statement):
        rule, severity = shared.setdefault(rule, rule), shared.setdefault(severity, severity)
        findings[finding_id] = FindingInfo(finding_id, site_id, rule, severity, first_run)
    return findings


def _reported(
    open_ids: set[int],
    false_positives: set[int],
    findings: dict[int, FindingInfo],
    monitored: set[int],
) -> set[int]:
    """The open findings a bulletin reports: not false positives, of monitored sites."""
    return {
        f for f in open_ids - false_positives if f in findings and findings[f].site_id in monitored
    }


def _overdue(reported: set[int], reviews: ReviewStates, on: dt.date) -> set[int]:
    return {
        f
        for f in reported
        if reviews[f].state in review.DEADLINE_STATES
        and (deadline := reviews[f].deadline) is not None
        and deadline < on
    }


def _status_statement(session: Session, run_ids: Sequence[int], as_of: dt.datetime) -> Any:
    """Each site's last snapshot among these runs (oldest first: the last is the one of
    the run dated last): its outcome, whether it was rendered, whether it showed a valid
    ICP number (1 or 0), a valid public-security number. The discovered sites not accepted
    before ``as_of`` are left out (see _sites)."""
    not_accepted = select(Site.id).where(
        Site.source == "discovered", or_(Site.accepted_at.is_(None), Site.accepted_at >= as_of)
    )
    runs = and_(Snapshot.run_id.in_(list(run_ids)), Snapshot.site_id.not_in(not_accepted))
    # the run's place in date order; a month has a few dozen runs
    order = case({run_id: place for place, run_id in enumerate(run_ids)}, value=Snapshot.run_id)
    columns = (Snapshot.id, Snapshot.site_id, Snapshot.outcome, Snapshot.rendered)
    if session.get_bind().dialect.name == "postgresql":
        # ranking the month's snapshots: half the time of joining max() back to them
        rank = func.row_number().over(partition_by=Snapshot.site_id, order_by=order.desc())
        ranked = select(*columns, rank.label("rank")).where(runs).subquery()
        latest = select(*(ranked.c[c.key] for c in columns)).where(ranked.c.rank == 1).subquery()
    else:
        # SQLite takes the bare columns of a max() aggregate from the row holding the max
        last = select(Snapshot.id.label("id"), func.max(order)).where(runs)
        ids = last.group_by(Snapshot.site_id).subquery()
        latest = select(*columns).join(ids, ids.c.id == Snapshot.id).subquery()
    shows = Notice.valid.is_(True)
    return (
        select(
            latest.c.site_id,
            latest.c.outcome,
            latest.c.rendered,
            func.max(case((and_(Notice.kind == "icp", shows), 1), else_=0)).label("icp"),
            func.max(case((and_(Notice.kind == "police", shows), 1), else_=0)).label("police"),
        )
        .select_from(latest)
        .outerjoin(
            Notice, and_(Notice.snapshot_id == latest.c.id, Notice.kind.in_(("icp", "police")))
        )
        .group_by(latest.c.id, latest.c.site_id, latest.c.outcome, latest.c.rendered)
    )


def _site_status(
    session: Session, run_ids: Sequence[int], as_of: dt.datetime
) -> dict[int, SiteStatus]:
    """Each site's last snapshot among these runs: readable, showing a valid ICP number,
    a valid public-security number (the sites known at ``as_of``)."""
    if not run_ids:
        return {}
    statement = _status_statement(session, run_ids, as_of)
    status: dict[int, SiteStatus] = {}
    shared: dict[tuple[bool, bool, bool], SiteStatus] = {}  # a few values for 100,000s of sites
    for site_id, outcome, rendered, icp, police in _stream(session, statement):
        readable = outcome == "ok" or bool(rendered)
        key = (readable, readable and bool(icp), readable and bool(police))
        value = shared.get(key)
        if value is None:
            value = shared[key] = SiteStatus(*key)
        status[site_id] = value
    return status


@dataclass(frozen=True)
class StatusCounts:
    """Sites whose last snapshot of a month was readable, and of those, how many showed a
    valid ICP number, a valid public-security number, both."""

    readable: int = 0
    icp: int = 0
    police: int = 0
    both: int = 0

    @classmethod
    def of(cls, status: dict[int, SiteStatus]) -> StatusCounts:
        readable = [s for s in status.values() if s.readable]
        return cls(
            len(readable),
            sum(1 for s in readable if s.icp),
            sum(1 for s in readable if s.police),
            sum(1 for s in readable if s.icp and s.police),
        )


def _status_counts(session: Session, run_ids: Sequence[int], as_of: dt.datetime) -> StatusCounts:
    """``StatusCounts.of(_site_status(session, run_ids, as_of))``, counted by the database
    (the trend needs no more for its months)."""
    if not run_ids:
        return StatusCounts()
    status = _status_statement(session, run_ids, as_of).subquery()
    readable = or_(status.c.outcome == "ok", status.c.rendered.is_(True))
    icp, police = status.c.icp == 1, status.c.police == 1

    def count(condition: Any) -> Any:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    statement = select(
        count(readable),
        count(and_(readable, icp)),
        count(and_(readable, police)),
        count(and_(readable, icp, police)),
    )
    return StatusCounts(*(int(value) for value in session.execute(statement).one()))


def _activity(
    session: Session,
    timeline: Timeline,
    start: dt.datetime,
    end: dt.datetime,
    findings: dict[int, FindingInfo],
) -> Activity:
    statement = select(
        FindingEvent.finding_id,
        FindingEvent.to_state,
        FindingEvent.actor,
        FindingEvent.run_id,
        FindingEvent.at,
    ).where(
        FindingEvent.kind == "review",
        FindingEvent.to_state.in_(("notified", "inspected", "resolved")),
        timeline.dated_between(start, end),
    )
    activity = Activity(set(), set(), set(), {})
    for finding_id, to_state, actor, run_id, at in session.execute(statement):
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


def _touched(session: Session, timeline: Timeline, period: Period) -> set[int]:
    """Findings with a lifecycle or review event in the month (for "changed")."""
    statement = select(FindingEvent.finding_id).where(
        timeline.dated_between(period.start, period.end)
    )
    return set(session.scalars(statement))


# ---- the sections ----------------------------------------------------------------------


def _overview(
    sites: dict[int, SiteInfo],
    monitored_now: set[int],
    monitored_before: set[int],
    status_now: dict[int, SiteStatus],
    status_before: dict[int, SiteStatus],
    period: Period,
    previous: Period,
    as_of: dt.datetime,
    findings: dict[int, FindingInfo],
    reported_now: set[int],
    reported_before: set[int],
    *,
    runs: int,
) -> Overview:

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
    for target, reported in ((rules_now, reported_now), (rules_before, reported_before)):
        for f in reported:
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
        runs=runs,
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


def _district_order(profile: Profile, names: Iterable[str]) -> list[str]:
    """The profile's districts in its order, then others by name, the unnamed last."""
    known = profile.district_names
    present = set(names)
    ordered = [name for name in known if name in present]
    others = sorted(present - set(known) - {NO_DISTRICT})
    return ordered + others + ([NO_DISTRICT] if NO_DISTRICT in present else [])


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
        names = _district_order(profile, counts)
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
    return _counted_rows(RectificationRow, "district", _district_order(profile, counts), counts)


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


def _rule_message(code: str) -> str:
    try:
        return get_rule(code).message_zh
    except UnknownRule:
        return f"{code}（已停用的规则）"


def _threats(
    session: Session,
    timeline: Timeline,
    period: Period,
    findings: dict[int, FindingInfo],
    reported_now: set[int],
    reported_before: set[int],
) -> list[ThreatRow]:
    def is_threat(f: int) -> bool:
        return findings[f].rule in THREAT_RULES

    opened = select(FindingEvent.finding_id).where(
        FindingEvent.kind.in_(("opened", "reopened")),
        timeline.dated_between(period.start, period.end),
    )
    new = Counter(
        findings[f].rule for f in session.scalars(opened) if f in findings and is_threat(f)
    )
    open_now = Counter(findings[f].rule for f in reported_now if is_threat(f))
    open_before = Counter(findings[f].rule for f in reported_before if is_threat(f))
    sites_now: defaultdict[str, set[int]] = defaultdict(set)
    for f in reported_now:
        if is_threat(f):
            sites_now[findings[f].rule].add(findings[f].site_id)
    return [
        ThreatRow(
            rule=code,
            name=_rule_message(code),
            new=new[code],
            open=Count(open_now[code], open_before[code]),
            sites=len(sites_now[code]),
        )
        for code in sorted(set(new) | set(open_now) | set(open_before))
    ]


def _warnings(
    session: Session,
    timeline: Timeline,
    period: Period,
    settings: BulletinSettings,
    sites: dict[int, SiteInfo],
    findings: dict[int, FindingInfo],
    reported: set[int],
    reviews: ReviewStates,
    end_day: dt.date,
) -> list[Warning]:
    warnings: list[Warning] = []
    horizon = end_day + dt.timedelta(days=settings.warning_days)
    due: dict[int, tuple[dt.date, int]] = {}
    for f in reported:
        state, deadline = reviews[f].state, reviews[f].deadline
        if state in review.DEADLINE_STATES and deadline and end_day <= deadline < horizon:
            site_id = findings[f].site_id
            first, count = due.get(site_id, (deadline, 0))
            due[site_id] = (min(first, deadline), count + 1)
    for site_id, (deadline, count) in due.items():
        info = sites[site_id]
        detail = f"{count}项问题的整改期限为{deadline.month}月{deadline.day}日"
        warnings.append(Warning("deadline", info.host, info.name, info.district, detail, deadline))
    run_ids = timeline.runs_between(period.start, period.end)
    if run_ids:
        failed = func.sum(case((Snapshot.outcome.in_(sorted(UNREACHABLE)), 1), else_=0))
        statement = (
            select(Snapshot.site_id, func.count(), failed)
            .where(Snapshot.run_id.in_(run_ids))
            .group_by(Snapshot.site_id)
            .having(failed >= settings.repeated_failures)
        )
        for site_id, visits, failures in session.execute(statement):
            info = sites[site_id]
            if not info.monitored_at(timeline.as_of):
                continue
            detail = f"本月{visits}次监测中{failures}次无法访问"
            warnings.append(
                Warning("repeated_failure", info.host, info.name, info.district, detail)
            )
    order = {"deadline": 0, "repeated_failure": 1}
    warnings.sort(key=lambda w: (order[w.kind], w.on or dt.date.max, w.district, w.host))
    return warnings


def _trend(
    session: Session,
    timeline: Timeline,
    history: History,
    months: list[Period],
    monitoring: Monitoring,
    findings: dict[int, FindingInfo],
    known: dict[str, tuple[dt.datetime, StatusCounts, set[int]]],
) -> list[TrendPoint]:
    """``months`` oldest first; ``known``: the months compiled already (by month: the
    instant, the sites' status, the findings reported)."""
    points: list[TrendPoint] = []
    for month in months:
        end = min(month.end, timeline.as_of)
        if month.month in known and known[month.month][0] == end:
            _, counts, reported = known[month.month]
        else:
            counts = _status_counts(session, timeline.runs_between(month.start, month.end), end)
            open_ids, false_positives = history.open_at(end), history.false_positives(end)
            reported = _reported(open_ids, false_positives, findings, monitoring.at(end))

        def share(part: int, whole: int = counts.readable) -> float | None:
            return part / whole if whole else None

        points.append(
            TrendPoint(
                month=month.month,
                reachable=counts.readable,
                icp_rate=share(counts.icp),
                police_rate=share(counts.police),
                both_rate=share(counts.both),
                open_findings=len(reported),
                unfiled_sites=len(
                    {findings[f].site_id for f in reported if findings[f].rule in UNFILED_RULES}
                ),
            )
        )
    return points


# ---- the attachment lists --------------------------------------------------------------


def _lists(
    figures: Figures,
    session: Session,
    timeline: Timeline,
    sites: dict[int, SiteInfo],
    findings: dict[int, FindingInfo],
    reported: set[int],
    new_unfiled: set[int],
    reviews: ReviewStates,
    overdue: set[int],
    activity: Activity,
    profile: Profile,
) -> None:
    listed = reported | set(activity.fixed_findings)
    evidence = _evidence(session, listed)
    district_rank = {name: i for i, name in enumerate(profile.district_names)}

    def site_key(info: SiteInfo) -> tuple[Any, ...]:
        return (not info.key_unit, district_rank.get(info.district, 999), info.district, info.host)

    # per run and per rule, not per row: the lists can hold hundreds of thousands
    opened_on = {run_id: local_date(started) for run_id, started in timeline.run_start.items()}
    messages: dict[str, str] = {}
    site_keys: dict[int, tuple[Any, ...]] = {}

    def row(f: int, resolved: dt.date | None = None) -> FindingRow:
        finding = findings[f]
        info = sites[finding.site_id]
        excerpt, url = evidence.get(f, ("", ""))
        state = reviews[f]
        message = messages.get(finding.rule)
        if message is None:
            message = messages[finding.rule] = _rule_message(finding.rule)
        return FindingRow(
            id=f,
            host=info.host,
            name=info.name,
            sponsor=info.sponsor,
            district=info.district,
            category=info.category,
            key_unit=info.key_unit,
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
    figures.overdue = [r for r in figures.open_findings if r.id in overdue]
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
                    host=info.host,
                    name=info.name,
                    sponsor=info.sponsor,
                    district=info.district,
                    category=info.category,
                    key_unit=info.key_unit,
                    problems="；".join(f"{r.rule} {r.message}" for r in found),
                    since=min((r.opened for r in found if r.opened), default=None),
                    review_state=max(states, key=_progress),
                    deadline=min(deadlines, default=None),
                    new=site_id in new_unfiled,
                ),
            )
        )
    figures.unfiled_sites = [site_row for _, site_row in sorted(rows, key=lambda r: r[0])]


_PROGRESS = ("new", "confirmed", "accepted_risk", "notified", "inspected", "rectifying")


def _progress(state: str) -> int:
    """How far the handling of a site has gone: its most advanced finding speaks for it."""
    return _PROGRESS.index(state) if state in _PROGRESS else -1


def _evidence(session: Session, ids: set[int]) -> dict[int, tuple[str, str]]:
    """Excerpt and URL of the listed findings (the latest evidence the audit kept)."""
    found: dict[int, tuple[str, str]] = {}
    for chunk in _chunks(ids):
        for finding_id, evidence in session.execute(
            select(Finding.id, Finding.evidence).where(Finding.id.in_(chunk))
        ):
            data = evidence if isinstance(evidence, dict) else {}
            excerpt = str(data.get("excerpt") or "")[:EXCERPT_LIMIT]
            found[finding_id] = (excerpt, str(data.get("url") or "")[:500])
    return found
