"""Issue numbers: 2026年第11期. Bulletins are numbered per year, in the order they are first
issued; the year is the year of the month reported on (December's bulletin, issued in
January, is the last of its year). Issuing a month again keeps its number. A withdrawn
issue keeps its number: it is never given again (see :mod:`.withdraw`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from audit.bulletin.figures import Figures, Period
from audit.store import Session
from audit.store import bulletins as store_bulletins

# The rule, as the documents state it (their metadata) and the README says it.
NUMBERING_RULE = (
    "期号按所报月份的年度顺序编号，每年从第1期起；同一月份重新印发沿用原期号；"
    "撤回的期号保留，不再使用。"
)


@dataclass(frozen=True)
class Issue:
    period: str
    year: int
    number: int
    previous_figures: dict[str, Any] | None  # what an earlier issue of this month recorded

    @property
    def label(self) -> str:
        return f"{self.year}年第{self.number}期"


def next_issue(session: Session, period: Period) -> Issue:
    """The issue ``period`` would take now, without claiming it: its recorded number,
    else the next of its year. The files are rendered with it before it is claimed."""
    return _lookup(session, period)[0]


def reserve_issue(session: Session, period: Period, *, attempts: int = 5) -> Issue:
    """The issue of ``period``: its recorded number, else the next of its year, claimed in
    the session's transaction (a unique year + number means two schedulers can never
    issue the same number). The claim holds once the transaction commits: commit it
    after the files are in place, so that a bulletin that could not be written takes no
    number."""
    for _ in range(attempts):
        issue, recorded = _lookup(session, period)
        if recorded:
            return issue
        if store_bulletins.claim_number(session, period.month, issue.year, issue.number,
                                        period.end):  # fmt: skip
            return issue
        # another process took this number or month: look again
    raise RuntimeError(f"could not number the bulletin of {period.month}")


def _lookup(session: Session, period: Period) -> tuple[Issue, bool]:
    """The issue of ``period``, and whether it is recorded already."""
    existing = store_bulletins.bulletin_of_month(session, period.month)
    if existing is not None:
        issue = Issue(period.month, existing.year, existing.number, existing.figures or None)
        return issue, True
    last = store_bulletins.last_number(session, period.year)
    return Issue(period.month, period.year, last + 1, None), False


def record_issue(
    session: Session,
    issue: Issue,
    title: str,
    figures: Figures,
    files: list[str],
    generated_at: dt.datetime,
) -> bool:
    """Record what was issued; True when an earlier issue of the month had other figures."""
    data = figures.to_json()
    store_bulletins.record_bulletin(
        session, issue.period, title=title, as_of=figures.as_of, generated_at=generated_at,
        files=files, figures=data,
    )  # fmt: skip
    return issue.previous_figures is not None and issue.previous_figures != data


# The issues recorded, in number order (beian bulletin list).
list_issues = store_bulletins.list_bulletins
