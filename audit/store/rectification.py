"""The 整改通知 issued (``RectificationNotice``): numbering per year, look-ups, the record."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from audit.store.models import RectificationNotice


def next_serial(session: Session, year: int) -> int:
    """The next automatic serial of ``year`` (1 for the first notice of the year)."""
    query = select(func.max(RectificationNotice.serial)).where(RectificationNotice.year == year)
    return (session.scalar(query) or 0) + 1


def by_number(session: Session, number: str) -> RectificationNotice | None:
    query = select(RectificationNotice).where(RectificationNotice.number == number)
    return session.scalars(query).first()


def same_day(
    session: Session, day: dt.date, finding_ids: Sequence[int]
) -> RectificationNotice | None:
    """A notice issued on ``day`` for exactly these findings, if there is one."""
    wanted = sorted(finding_ids)
    query = select(RectificationNotice).where(RectificationNotice.issued_on == day)
    for notice in session.scalars(query.order_by(RectificationNotice.id)):
        if sorted(notice.finding_ids) == wanted:
            return notice
    return None


def add(session: Session, **fields: Any) -> RectificationNotice:
    notice = RectificationNotice(**fields)
    session.add(notice)
    session.flush()
    return notice


def listed(session: Session, *, year: int | None = None) -> list[RectificationNotice]:
    """The notices issued (of ``year``), the latest first."""
    query = select(RectificationNotice)
    if year is not None:
        query = query.where(RectificationNotice.year == year)
    return list(session.scalars(query.order_by(RectificationNotice.id.desc())))


def get(session: Session, notice_id: int) -> RectificationNotice | None:
    return session.get(RectificationNotice, notice_id)


def of_host(session: Session, host: str) -> list[RectificationNotice]:
    """The notices that covered a site, the latest first."""
    return [notice for notice in listed(session) if host in notice.hosts]
