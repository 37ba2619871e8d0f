"""The bulletins issued (table bulletins): one row per month, numbered per year."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from audit.store.models import Bulletin, utcnow


def bulletin_of_month(session: Session, month: str) -> Bulletin | None:
    return session.scalars(select(Bulletin).where(Bulletin.period == month)).first()


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
    record = session.scalars(select(Bulletin).where(Bulletin.period == month)).one()
    record.title = title
    record.as_of = as_of
    record.generated_at = generated_at
    record.files = files
    record.figures = figures


def list_bulletins(session: Session) -> list[Bulletin]:
    return list(session.scalars(select(Bulletin).order_by(Bulletin.year, Bulletin.number)))
