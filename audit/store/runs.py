"""Crawl runs in time order: by the time they are dated, not by id.

A run's ``started_at`` is when it started, or the time ``beian crawl --dated`` gave it: a
crawl entered today for a day last month has the highest id and one of the earliest
dates. Whatever reasons about "before", "after", "latest" or "first seen" goes by
:data:`RunKey`, (started_at, id): the id only breaks ties between runs dated alike.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from audit.store.models import CrawlRun

# A run's states.
RUNNING, FINISHED, INTERRUPTED, FAILED = "running", "finished", "interrupted", "failed"
# The crawl ended, but what it saw of some sites could not be stored (store_error and
# not_crawled snapshots): audited like a finished run, reported as not all well.
INCOMPLETE = "incomplete"
ENDED = (FINISHED, INCOMPLETE)

RunKey = tuple[dt.datetime, int]

NEWEST_FIRST = (CrawlRun.started_at.desc(), CrawlRun.id.desc())
OLDEST_FIRST = (CrawlRun.started_at, CrawlRun.id)


def run_keys(session: Session, run_ids: Iterable[int] | None = None) -> dict[int, RunKey]:
    """The time-order key of these runs (default: of every run; there are a few a day)."""
    statement = select(CrawlRun.id, CrawlRun.started_at)
    if run_ids is not None:
        statement = statement.where(CrawlRun.id.in_(sorted(set(run_ids))))
    return {run_id: (started, run_id) for run_id, started in session.execute(statement)}


def up_to(key: RunKey) -> ColumnElement[bool]:
    """SQL: the run is dated at or before ``key``'s run (that run included)."""
    started, run_id = key
    return or_(
        CrawlRun.started_at < started, and_(CrawlRun.started_at == started, CrawlRun.id <= run_id)
    )


def latest_ended_run(session: Session) -> CrawlRun | None:
    """The finished (or incomplete) run dated last."""
    statement = select(CrawlRun).where(CrawlRun.state.in_(ENDED)).order_by(*NEWEST_FIRST)
    return session.scalars(statement.limit(1)).first()


def ended_runs_after(session: Session, key: RunKey) -> list[int]:
    """The finished (or incomplete) runs dated after ``key``'s run, oldest first."""
    statement = (
        select(CrawlRun.id).where(CrawlRun.state.in_(ENDED), ~up_to(key)).order_by(*OLDEST_FIRST)
    )
    return list(session.scalars(statement))


def latest_run(session: Session, trigger: str) -> CrawlRun | None:
    """The run started last by ``trigger`` (manual, scheduled)."""
    statement = select(CrawlRun).where(CrawlRun.trigger == trigger).order_by(CrawlRun.id.desc())
    return session.scalars(statement.limit(1)).first()


def listed_runs(session: Session, limit: int | None = None) -> list[CrawlRun]:
    """The crawl runs, the latest-dated first."""
    query = select(CrawlRun).order_by(*NEWEST_FIRST)
    return list(session.scalars(query.limit(limit) if limit else query))


def runs_between(session: Session, start: dt.datetime, end: dt.datetime) -> int:
    """How many crawl runs are dated in [start, end)."""
    query = select(func.count()).where(CrawlRun.started_at >= start, CrawlRun.started_at < end)
    return session.scalar(query) or 0


def first_run_date(session: Session) -> dt.datetime | None:
    """The date of the earliest-dated crawl run."""
    return session.scalar(select(func.min(CrawlRun.started_at)))
