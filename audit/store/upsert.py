"""Idempotent bulk writes: INSERT ... ON CONFLICT on SQLite and PostgreSQL alike.

A retried or resumed batch must change nothing, so every bulk write goes
through here, keyed on a natural unique key.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

_CHUNK = 10_000


def upsert(
    session: Session,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    key: Sequence[str],
    update: Sequence[str] = (),
) -> None:
    """Insert rows; on a key conflict update the ``update`` columns (or do nothing)."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    inserts: dict[str, Callable[[Table], sqlite.Insert | postgresql.Insert]] = {
        "sqlite": sqlite.insert,
        "postgresql": postgresql.insert,
    }
    statement = inserts[dialect](table)
    if update:
        statement = statement.on_conflict_do_update(
            index_elements=list(key),
            set_={column: statement.excluded[column] for column in update},
        )
    else:
        statement = statement.on_conflict_do_nothing(index_elements=list(key))
    # executemany: SQLAlchemy batches the rows itself ("insertmanyvalues"); one huge
    # multi-row VALUES statement would spend most of its time being compiled. It takes the
    # columns from the first row and ignores keys the others have beyond them: rows are
    # written in groups of the same keys, so that no value is silently dropped.
    groups: dict[frozenset[str], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(frozenset(row), []).append(dict(row))
    for group in groups.values():
        for start in range(0, len(group), _CHUNK):
            session.execute(statement, group[start : start + _CHUNK])
