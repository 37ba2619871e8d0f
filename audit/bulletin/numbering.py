"""Issue numbers: 2026年第11期. Bulletins are numbered per year, in the order they are first
issued; the year is the year of the month reported on (December's bulletin, issued in
January, is the last of its year). Issuing a month again keeps its number."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from audit.bulletin.figures import Figures, Period
from audit.store.models import Bulletin, utcnow


@dataclass(frozen=True)
class Issue:
    period: str
    year: int
    number: int
    previous_figures: dict[str, Any] | None  # what an earlier issue of this month recorded

    @property
    def label(self) -> str:
        return f"{self.year}年第{self.number}期"


def reserve_issue(session: Session, period: Period, *, attempts: int = 5) -> Issue:
    """The issue of ``period``: its recorded number, else the next of its year, claimed at
    once (a unique year + number means two schedulers can never issue the same number)."""
    for _ in range(attempts):
        existing = session.scalars(select(Bulletin).where(Bulletin.period == period.month)).first()
        if existing is not None:
            figures = existing.figures or None
            return Issue(period.month, existing.year, existing.number, figures)
        last = session.scalar(select(func.max(Bulletin.number)).where(Bulletin.year == period.year))
        claim = Bulletin(
            period=period.month, year=period.year, number=(last or 0) + 1, title="",
            as_of=period.end, generated_at=utcnow(), files=[], figures={},
        )  # fmt: skip
        try:
            with session.begin_nested():  # a savepoint: a clash undoes only the claim
                session.add(claim)
        except IntegrityError:  # another process took this number or month: look again
            continue
        return Issue(period.month, claim.year, claim.number, None)
    raise RuntimeError(f"could not number the bulletin of {period.month}")


def record_issue(
    session: Session,
    issue: Issue,
    title: str,
    figures: Figures,
    files: list[str],
    generated_at: dt.datetime,
) -> bool:
    """Record what was issued; True when an earlier issue of the month had other figures."""
    record = session.scalars(select(Bulletin).where(Bulletin.period == issue.period)).one()
    data = figures.to_json()
    record.title = title
    record.as_of = figures.as_of
    record.generated_at = generated_at
    record.files = files
    record.figures = data
    return issue.previous_figures is not None and issue.previous_figures != data


def list_issues(session: Session) -> list[Bulletin]:
    return list(session.scalars(select(Bulletin).order_by(Bulletin.year, Bulletin.number)))
