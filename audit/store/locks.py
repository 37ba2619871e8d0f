"""A lock held by one process per database: only one scheduler may run the jobs.

The holder refreshes a heartbeat; every change is a compare-and-set on a random token, so
two processes racing for a lock cannot both win, on SQLite or PostgreSQL. A lock whose
holder is gone is taken over: at once when the holder was a process of this machine that
no longer exists (kill -9, then a restart), after ``stale_after`` seconds without a
heartbeat otherwise (another machine, whose processes we cannot see, or a pid reused since).
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import uuid
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from audit.config import LOCAL_TZ
from audit.errors import UserError
from audit.processes import process_is_gone
from audit.store.db import Store, rows_matched
from audit.store.models import SchedulerLock, utcnow


@dataclass(frozen=True)
class Holder:
    pid: int
    hostname: str
    acquired_at: dt.datetime
    heartbeat_at: dt.datetime

    def describe(self, now: dt.datetime | None = None) -> str:
        age = ((now or utcnow()) - self.heartbeat_at).total_seconds()
        since = self.acquired_at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M:%S")
        return (
            f"process {self.pid} on {self.hostname}, running since {since} (Beijing time), "
            f"last heartbeat {max(0, round(age))} s ago"
        )


class LockHeld(UserError):
    def __init__(self, name: str, holder: Holder) -> None:
        self.holder = holder
        super().__init__(f"another {name} is running against this database: {holder.describe()}")


def _holder(row: SchedulerLock) -> Holder:
    return Holder(row.pid, row.hostname, row.acquired_at, row.heartbeat_at)


def _gone(row: SchedulerLock, now: dt.datetime, stale_after: float) -> bool:
    # A process of this machine we can see is gone at once; any holder whose heartbeat
    # stopped is gone too (another machine, or its pid reused by another process since).
    seen_gone = row.pid != os.getpid() and process_is_gone(row.pid, row.hostname)
    return seen_gone or (now - row.heartbeat_at).total_seconds() > stale_after


class DatabaseLock:
    """``with DatabaseLock(store).acquire():`` or ``acquire()`` / ``release()``."""

    def __init__(self, store: Store, name: str = "scheduler", *, stale_after: float = 90) -> None:
        self.store = store
        self.name = name
        self.stale_after = stale_after
        self.token = uuid.uuid4().hex
        self.took_over: Holder | None = None  # the dead holder it replaced, if any

    def acquire(self, now: dt.datetime | None = None) -> DatabaseLock:
        now = now or utcnow()
        mine = {
            "token": self.token, "pid": os.getpid(), "hostname": socket.gethostname(),
            "acquired_at": now, "heartbeat_at": now,
        }  # fmt: skip
        with self.store.session() as session:
            row = session.get(SchedulerLock, self.name)
            if row is None:
                try:
                    with session.begin_nested():
                        session.add(SchedulerLock(name=self.name, **mine))
                    return self
                except IntegrityError:  # another process inserted it first
                    row = session.get(SchedulerLock, self.name, populate_existing=True)
                    assert row is not None
                    raise LockHeld(self.name, _holder(row)) from None
            if not _gone(row, now, self.stale_after):
                raise LockHeld(self.name, _holder(row))
            previous = _holder(row)
            taken = session.execute(
                update(SchedulerLock)
                .where(SchedulerLock.name == self.name, SchedulerLock.token == row.token)
                .values(**mine)
                .execution_options(synchronize_session=False)
            )
            if rows_matched(taken) != 1:  # someone else took it over in between
                raise LockHeld(self.name, previous)
            self.took_over = previous
        return self

    def heartbeat(self, now: dt.datetime | None = None) -> bool:
        """Refresh the heartbeat; False when the lock is no longer ours."""
        with self.store.session() as session:
            result = session.execute(
                update(SchedulerLock)
                .where(SchedulerLock.name == self.name, SchedulerLock.token == self.token)
                .values(heartbeat_at=now or utcnow())
                .execution_options(synchronize_session=False)
            )
            return rows_matched(result) == 1

    def release(self) -> None:
        with self.store.session() as session:
            session.execute(
                delete(SchedulerLock).where(
                    SchedulerLock.name == self.name, SchedulerLock.token == self.token
                )
            )

    def holder(self) -> Holder | None:
        with self.store.session() as session:
            row = session.scalars(
                select(SchedulerLock).where(SchedulerLock.name == self.name)
            ).first()
            return _holder(row) if row else None
