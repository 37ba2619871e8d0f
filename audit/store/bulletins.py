"""The bulletins issued (table bulletins): numbered per year, one issue in force per month;
a withdrawn issue keeps its row and its number."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from audit.store.models import Bulletin, utcnow


def bulletin_of_month(session: Session, month: str) -> Bulletin | None:
    """The issue of ``month`` in force (not withdrawn), if any."""
    return session.scalars(
        select(Bulletin).where(Bulletin.period == month, Bulletin.voided_at.is_(None))
    ).first()


def bulletin_numbered(session: Session, year: int, number: int) -> Bulletin | None:
    return session.scalars(
        select(Bulletin).where(Bulletin.year == year, Bulletin.number == number)
    ).first()


def withdrawn_of_month(session: Session, month: str) -> list[Bulletin]:
    """The withdrawn issues of ``month``, in number order."""
    return list(
        session.scalars(
            select(Bulletin)
            .where(Bulletin.period == month, Bulletin.voided_at.is_not(None))
            .order_by(Bulletin.year, Bulletin.number)
        )
    )


def last_year(session: Session) -> int | None:
    """The latest year with an issue."""
    return session.scalar(select(func.max(Bulletin.year)))


def void_bulletin(
    session: Session, record: Bulletin, *, reason: str, by: str, at: dt.datetime, files: list[str]
) -> None:
    record.voided_at, record.voided_by, record.void_reason = at, by, reason
    record.files = files


def last_number(session: Session, year: int) -> int:
    """The highest issue number of ``year`` (0 before the first)."""
    return session.scalar(select(func.max(Bulletin.number)).where(Bulletin.year == year)) or 0


def claim_number(session: Session, month: str, year: int, number: int, as_of: dt.datetime) -> bool:
    """Claim (year, number) for ``month`` in the session's transaction; False when another
    process took this number or this month first (a unique key says so)."""
    claim = Bulletin(
        period=month, year=year, number=number, title="", as_of=as_of,
        generated_at=utcnow(), files=[], figures={},
    )  # fmt: skip
    try:
        with session.begin_nested():  # a savepoint: a clash undoes only the claim
            session.add(claim)
    except IntegrityError:
        return False
    return True


def record_bulletin(
    session: Session,
    month: str,
    *,
    title: str,
    as_of: dt.datetime,
    generated_at: dt.datetime,
    files: list[str],
    figures: dict[str, Any],
) -> None:
    record = bulletin_of_month(session, month)
    assert record is not None  # claimed in this transaction
    record.title = title
    record.as_of = as_of
    record.generated_at = generated_at
    record.files = files
    record.figures = figures


def list_bulletins(session: Session) -> list[Bulletin]:
    return list(session.scalars(select(Bulletin).order_by(Bulletin.year, Bulletin.number)))
