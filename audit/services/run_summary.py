"""Figures of one crawl run, for the end of `beian crawl` and `beian demo`."""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any

from audit.store import CrawlRun, Store
from audit.store import crawls as store_crawls
from crawler.discovery import discovery_figures


def run_summary(store: Store, run_id: int) -> dict[str, Any]:
    with store.session() as session:
        run = session.get_one(CrawlRun, run_id)
        figures = store_crawls.run_figures(session, run_id)
        outcomes = figures.outcomes
        duration = _duration(run)
        stats = run.stats if isinstance(run.stats, dict) else {}
        discovery = {
            **discovery_figures(stats),
            "discover": bool((run.options or {}).get("discover")),
            "pending": store_crawls.discovered_in_run(session, run_id, pending=True),
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
            "with_icp": figures.sites_showing["icp"],
            "with_police": figures.sites_showing["police"],
            "unverified": figures.unverified,
            "render": stats.get("render"),  # JavaScript rendering: fallback, always or off
            "discovered_links": figures.linked_hosts,
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
