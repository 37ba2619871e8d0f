"""The imported filing registry: upserting its records, reading them back."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from audit.store.models import RegistryRecord, utcnow
from audit.store.sites import ImportCounts
from audit.store.upsert import upsert

# Always written: what the number itself says, and where the record was read from.
KEY_FIELDS = ("main_number", "kind", "source_file", "source_line")
# Written only when the file has the column, so that an export without one leaves
# what an earlier import stored alone (as the inventory import does).
OPTIONAL_FIELDS = ("domains", "sponsor", "approved_on")


def import_registry_records(
    session: Session,
    records: Sequence[Mapping[str, Any]],
    *,
    fields: Collection[str] = OPTIONAL_FIELDS,
    now: dt.datetime | None = None,
) -> ImportCounts:
    """Upsert records on their normalised number; count inserted, updated and unchanged.

    Each mapping has number and the KEY_FIELDS and OPTIONAL_FIELDS. Unchanged records
    are not written (their imported_at stays), so importing a file twice leaves the
    table identical.
    """
    unknown = set(fields) - set(OPTIONAL_FIELDS)
    if unknown:
        raise ValueError(f"not optional registry fields: {sorted(unknown)}")
    numbers = [record["number"] for record in records]
    if len(set(numbers)) != len(numbers):
        raise ValueError("duplicate numbers in one import")  # ON CONFLICT cannot update twice
    compared = [*KEY_FIELDS, *(name for name in OPTIONAL_FIELDS if name in fields)]
    columns = RegistryRecord.__table__.c
    existing = {
        row.number: row
        for row in session.execute(select(columns.number, *(columns[c] for c in compared)))
    }
    now = now or utcnow()
    inserted = updated = unchanged = 0
    writes: list[dict[str, Any]] = []
    for record in records:
        old = existing.get(record["number"])
        if old is None:
            inserted += 1
        elif all(getattr(old, c) == record[c] for c in compared):
            unchanged += 1
            continue
        else:
            updated += 1
        writes.append(
            {
                "number": record["number"],
                **{name: record[name] for name in (*KEY_FIELDS, *OPTIONAL_FIELDS)},
                "imported_at": now,
            }
        )
    upsert(
        session,
        RegistryRecord.__table__,
        writes,
        key=["number"],
        update=[*compared, "imported_at"],
    )
    return ImportCounts(inserted=inserted, updated=updated, unchanged=unchanged)


def registry_records(
    session: Session, *, number: str | None = None, limit: int | None = None
) -> list[RegistryRecord]:
    """Records by number; ``number`` (normalised) also finds the site numbers of a main one."""
    statement = select(RegistryRecord)
    if number:
        statement = statement.where(
            or_(RegistryRecord.number == number, RegistryRecord.main_number == number)
        )
    order: Any = RegistryRecord.number
    if session.get_bind().dialect.name == "postgresql":
        order = RegistryRecord.number.collate("C")  # code-point order, as SQLite sorts
    statement = statement.order_by(order)
    if limit is not None:
        statement = statement.limit(limit)
    return list(session.scalars(statement))


def count_registry_records(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(RegistryRecord)) or 0
