"""The figures of one month's bulletin: a plain data object, compiled once from the store
(:mod:`audit.bulletin.compile`) and rendered many times (DOCX, HTML, Markdown, XLSX,
charts). It serialises to JSON, which is what the bulletins table records.

"Current" is the state at the end of the month (Asia/Shanghai), "previous" at the end of
the month before; deltas compare the two.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Period:
    """A calendar month in the centre's time zone, as UTC instants [start, end)."""

    month: str  # 2026-11
    start: dt.datetime
    end: dt.datetime

    @property
    def year(self) -> int:
        return int(self.month[:4])

    @property
    def label(self) -> str:
        return f"{self.year}年{int(self.month[5:])}月"


@dataclass(frozen=True)
class Count:
    current: int
    previous: int

    @property
    def delta(self) -> int:
        return self.current - self.previous


@dataclass(frozen=True)
class Rate:
    """A share of a whole (None when the whole is zero)."""

    part: int
    whole: int
    previous_part: int
    previous_whole: int

    @property
    def current(self) -> float | None:
        return self.part / self.whole if self.whole else None

    @property
    def previous(self) -> float | None:
        return self.previous_part / self.previous_whole if self.previous_whole else None

    @property
    def delta_points(self) -> float | None:
        """Change in percentage points."""
        if self.current is None or self.previous is None:
            return None
        return (self.current - self.previous) * 100


@dataclass(frozen=True)
class Changes:
    """The four states of things compared month over month."""

    new: int = 0
    gone: int = 0
    changed: int = 0
    same: int = 0


@dataclass(frozen=True)
class Overview:
    """一、总体情况."""

    runs: int  # crawl runs started in the month
    monitored: Count  # sites in the inventory (or discovered) at the month's end
    crawled: Count  # sites with a snapshot in the month
    reachable: Count  # sites whose last snapshot of the month read the homepage
    icp: Rate  # reachable sites showing a valid ICP number
    police: Rate  # ... a valid public-security filing number
    both: Rate
    new_sites: int  # sites first seen in the month
    new_discovered: int  # of which found through links
    retired_sites: int  # sites taken out of the inventory in the month
    sites: Changes  # per site: new, gone, changed (what its last snapshot showed), same


@dataclass(frozen=True)
class GroupRow:
    """One district or category in 二: unfiled sites now, new this month, last month."""

    name: str
    unfiled: int
    new: int
    previous: int
    key_units: int

    @property
    def delta(self) -> int:
        return self.unfiled - self.previous


@dataclass(frozen=True)
class Unfiled:
    """二、未备案网站情况: sites with an open finding of a rule in UNFILED_RULES."""

    sites: Count
    new: int  # unfiled at the end, not at the end of the previous month
    carried: int  # unfiled at both ends
    fixed: int  # unfiled at the previous end, not any more
    missing_icp: Count  # sites without a valid ICP number shown
    missing_police: Count  # sites without a valid public-security number shown
    by_district: list[GroupRow]
    by_category: list[GroupRow]
    findings: Changes  # per finding of these rules
    # sites whose footer the crawl could not read (BA100 open, not unfiled otherwise):
    # neither counted as unfiled nor forgotten
    unverified: int = 0


@dataclass(frozen=True)
class RectificationRow:
    district: str
    notified: int
    inspected: int
    fixed: int
    overdue: int


@dataclass(frozen=True)
class Rectification:
    """三、整改情况: what the analysts did in the month and what came of it (sites)."""

    notified: Count  # sites notified (督促整改) in the month
    inspected: Count  # sites inspected on site in the month
    fixed: Count  # sites whose notified findings the re-test verified fixed in the month
    overdue: Count  # sites with a finding past its deadline at the month's end
    in_progress: int  # sites notified / inspected / rectifying at the month's end
    by_district: list[RectificationRow]


@dataclass(frozen=True)
class ThreatRow:
    rule: str
    name: str  # the rule's Chinese message
    new: int  # opened or reopened in the month
    open: Count  # open at the end of the month (and of the previous one)
    sites: int  # sites with it open at the end


@dataclass(frozen=True)
class Warning:
    """One line of 五、预警信息."""

    kind: str  # deadline | repeated_failure
    host: str
    name: str
    district: str
    detail: str  # 整改期限2026-12-05 / 本月5次监测中4次无法访问
    on: dt.date | None = None


@dataclass(frozen=True)
class SiteRow:
    """A site in the attachment lists."""

    host: str
    name: str
    sponsor: str
    district: str
    category: str
    key_unit: bool
    problems: str  # rule codes and messages
    since: dt.date | None  # when the oldest open problem was first seen
    review_state: str
    deadline: dt.date | None
    new: bool  # unfiled this month, not the month before


@dataclass(frozen=True)
class FindingRow:
    id: int
    host: str
    name: str
    sponsor: str
    district: str
    category: str
    key_unit: bool
    rule: str
    message: str
    severity: str
    opened: dt.date | None  # first seen
    review_state: str  # at the month's end
    deadline: dt.date | None
    resolved: dt.date | None
    excerpt: str
    url: str


@dataclass(frozen=True)
class TrendPoint:
    month: str
    reachable: int
    icp_rate: float | None
    police_rate: float | None
    both_rate: float | None
    open_findings: int
    unfiled_sites: int


@dataclass
class Figures:
    period: Period
    previous: Period  # the month compared with: the last one before with a crawl run
    as_of: dt.datetime  # the month's end, or the compile time for a month not yet over
    complete: bool  # the month is over
    compared: bool  # some month before had a crawl run: ``previous`` is that month
    overview: Overview
    unfiled: Unfiled
    rectification: Rectification
    threats: list[ThreatRow]
    warnings: list[Warning]
    trend: list[TrendPoint]  # oldest first, ending with this month
    findings_by_district: list[tuple[str, int]]  # open findings at the end, by district
    # the attachment lists
    unfiled_sites: list[SiteRow] = field(default_factory=list)
    open_findings: list[FindingRow] = field(default_factory=list)
    rectified: list[FindingRow] = field(default_factory=list)
    overdue: list[FindingRow] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready figures (dates as ISO strings); the lists are left to the files."""
        data = {
            f.name: getattr(self, f.name)
            for f in dataclasses.fields(self)
            if f.name not in ("unfiled_sites", "open_findings", "rectified", "overdue")
        }
        plain = _plain(data)
        plain["lists"] = {
            "unfiled_sites": len(self.unfiled_sites),
            "open_findings": len(self.open_findings),
            "rectified": len(self.rectified),
            "overdue": len(self.overdue),
        }
        return plain


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 6)
    return value
