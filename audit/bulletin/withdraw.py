"""Withdrawing an issue (撤回): ``beian bulletin void``.

A bulletin sent in error is withdrawn, not deleted: its record stays with when, by whom and
why, its number is never given again (the next issue takes the next number, the gap shows),
and its files move into a folder of their own beside the month's, so that issuing the month
anew cannot replace them. Nothing is freed silently.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from audit.errors import ArgumentError, UserError
from audit.files import output_errors
from audit.findings.review import default_actor
from audit.store import Session, Store
from audit.store import bulletins as store_bulletins
from audit.store.models import Bulletin, utcnow

_LABEL = re.compile(r"^\s*(?:(\d{4})\s*年\s*第\s*(\d+)\s*期|(\d{4})[-/](\d{1,2})|(\d+))\s*$")


@dataclass(frozen=True)
class Withdrawn:
    label: str
    month: str
    reason: str
    by: str
    at: dt.datetime
    files: list[str]  # where the issue's files are now
    missing: list[str]  # files of the record that were no longer on disk


def parse_issue(text: str, year: int | None) -> tuple[int | None, int | None, str | None]:
    """``2026年第11期`` → (2026, 11, None); ``2026-11`` → (None, None, "2026-11");
    ``11`` → (year, 11, None). ArgumentError naming the forms otherwise."""
    match = _LABEL.match(text)
    if not match:
        raise ArgumentError(
            "issue",
            f"{text!r} is no issue: give its number (11, with --year), its label (2026年第11期)"
            " or its month (2026-11)",
        )
    label_year, label_number, month_year, month, number = match.groups()
    if label_year:
        return int(label_year), int(label_number), None
    if month_year:
        return None, None, f"{month_year}-{int(month):02d}"
    return year, int(number), None


def void_issue(
    store: Store,
    issue: str,
    *,
    reason: str,
    year: int | None = None,
    by: str | None = None,
    now: dt.datetime | None = None,
) -> Withdrawn:
    """Withdraw the issue named by ``issue`` (see :func:`parse_issue`; a bare number is of
    ``year``, by default the latest year with an issue)."""
    reason = " ".join(reason.split())
    if not reason:
        raise ArgumentError("reason", "say why the issue is withdrawn ({argument})")
    at, actor = now or utcnow(), (by or "").strip() or default_actor()
    moved: list[tuple[Path, Path]] = []
    try:
        with store.session() as session:  # committed at the end of the block
            record = _find(session, issue, year)
            label = f"{record.year}年第{record.number}期"
            if record.voided_at is not None:
                raise UserError(
                    f"{label} was withdrawn already, on {record.voided_at:%Y-%m-%d} "
                    f"({record.void_reason})"
                )
            folder = f"withdrawn-{record.year}-{record.number:02d}"
            moved, missing, files = _move_aside(record.files or [], folder)
            store_bulletins.void_bulletin(
                session, record, reason=reason, by=actor, at=at, files=files
            )
            withdrawn = Withdrawn(label, record.period, reason, actor, at, files, missing)
    except BaseException:
        _move_back(moved)  # the record, rolled back, names them where they were
        raise
    return withdrawn


def _find(session: Session, issue: str, year: int | None) -> Bulletin:
    wanted_year, number, month = parse_issue(issue, year)
    if month is not None:
        record = store_bulletins.bulletin_of_month(session, month)
        where = f"no issue of {month} is in force"
    else:
        wanted_year = wanted_year or store_bulletins.last_year(session)
        record = (
            store_bulletins.bulletin_numbered(session, wanted_year, number or 0)
            if wanted_year
            else None
        )
        where = f"no bulletin {wanted_year or ''}年第{number}期 was issued"
    if record is None:
        raise UserError(f"{where}: `beian bulletin list` shows the issues")
    return record


def _move_aside(
    files: list[str], folder_name: str
) -> tuple[list[tuple[Path, Path]], list[str], list[str]]:
    """Move each file into ``folder_name`` beside it: (moves made, files missing, the
    record's new list)."""
    moved: list[tuple[Path, Path]] = []
    missing: list[str] = []
    kept: list[str] = []
    try:
        for name in files:
            source = Path(name)
            if not source.exists():
                missing.append(name)
                kept.append(name)
                continue
            target = source.parent / folder_name / source.name
            with output_errors("the withdrawn issue's files", target.parent):
                target.parent.mkdir(exist_ok=True)
                source.rename(target)
            moved.append((source, target))
            kept.append(str(target))
    except BaseException:
        _move_back(moved)
        raise
    return moved, missing, kept


def _move_back(moved: list[tuple[Path, Path]]) -> None:
    for source, target in reversed(moved):
        if target.exists() and not source.exists():
            target.rename(source)
