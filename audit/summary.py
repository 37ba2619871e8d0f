"""Figures of one crawl run, for the end of `beian crawl` and `beian demo`."""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any

from sqlalchemy import distinct, func, select

from audit.store import CrawlRun, Link, Notice, Snapshot, Store
from audit.store.crawls import discovered_in_run
from crawler.discovery import discovery_figures


def run_summary(store: Store, run_id: int) -> dict[str, Any]:
    with store.session() as session:
        run = session.get_one(CrawlRun, run_id)
        outcomes = dict(
            session.execute(
                select(Snapshot.outcome, func.count())
                .where(Snapshot.run_id == run_id)
                .group_by(Snapshot.outcome)
                .order_by(func.count().desc())
            ).all()
        )

        def sites_showing(kind: str) -> int:
            return (
                session.scalar(
                    select(func.count(distinct(Notice.site_id))).where(
                        Notice.run_id == run_id, Notice.kind == kind, Notice.valid.is_(True)
                    )
                )
                or 0
            )

        # Pages the crawl could not fully read (scripts or frames it could not run or
        # fetch): not judged for missing notices (BA100).
        unverified = (
            session.scalar(
                select(func.count()).where(
                    Snapshot.run_id == run_id,
                    Snapshot.outcome == "ok",
                    Snapshot.reading == "partial",
                )
            )
            or 0
        )
        linked_hosts = (
            session.scalar(
                select(func.count(distinct(Link.target_host))).where(Link.run_id == run_id)
            )
            or 0
        )
        duration = _duration(run)
        stats = run.stats if isinstance(run.stats, dict) else {}
        discovery = {
            **discovery_figures(stats),
            "discover": bool((run.options or {}).get("discover")),
            "pending": discovered_in_run(session, run_id, pending=True),
        }
        return {
            "run_id": run.id,
            "state": run.state,
            "trigger": run.trigger,
            "started_at": run.started_at,
            "finished_at": run.finished_at,
            "duration_s": round(duration, 1) if duration is not None else None,
            "sites": sum(outcomes.values()),
            "reachable": outcomes.get("ok", 0),
            "with_icp": sites_showing("icp"),
            "with_police": sites_showing("police"),
            "unverified": unverified,
            "render": stats.get("render"),  # JavaScript rendering: fallback, always or off
            "discovered_links": linked_hosts,
            "discovery": discovery,
            "outcomes": outcomes,
        }


def _duration(run: CrawlRun) -> float | None:
    """Seconds the crawl took: from Scrapy's own start time, since a back-dated run
    (beian crawl --dated) started long before it finished."""
    if run.finished_at is None:
        return None
    started = run.started_at
    if isinstance(run.stats, dict) and isinstance(run.stats.get("start_time"), str):
        with contextlib.suppress(ValueError):
            started = dt.datetime.fromisoformat(run.stats["start_time"])
    if started.tzinfo is None:
        started = started.replace(tzinfo=dt.UTC)
    return (run.finished_at - started).total_seconds()
