"""Bulletin speed: one monthly bulletin over a year of history of a large jurisdiction.

    python benchmarks/bulletin_speed.py [--backend sqlite|postgresql|both]
                                        [--sites 100000] [--findings 500000] [--months 12]

Generates a database of N sites (default 100,000) with M months (default 12) of history
written the way the crawl and the audit write it: two full crawl runs a month (the 1st
and the 15th, Beijing time) and a small re-test run (the 25th), one snapshot per site and
run with its ICP / public-security notices, F findings (default 500,000) over ten rules
with their lifecycle events (opened, resolved, reopened; resolved when a site is taken
out of the inventory) and the analysts' review events (confirmed, notified with a
deadline, inspected, rectifying, false positive; resolved by the re-test). Then, in a
fresh process, it times one bulletin, that of the last month, compiled just after the
month's end: ``make_bulletin(store, settings, month, out_dir=..., now=...)``, i.e. the
figures (``compile_figures``), the charts, DOCX, HTML, Markdown and the XLSX attachment.

It prints the generation time (not part of the target), the bulletin's time split into
compiling and each renderer, the peak RSS of the bulletin's process (``ru_maxrss`` of a
process that does nothing else; a PostgreSQL server's own memory is not in it), the
sizes of the files written and the row counts of the database.

Target on the 2-core machine, defaults: the bulletin in < 60 s and < 1 GB peak RSS, on
SQLite and on PostgreSQL.

PostgreSQL: the database lives in a schema of its own (created, and dropped at the end
unless --keep) in the database of --postgres-url (default $BEIAN_BENCH_POSTGRES_URL, else
postgresql+psycopg://postgres@127.0.0.1:5432/test).
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import Table, create_engine, func, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from audit.bulletin.period import month_period
from audit.config import LOCAL_TZ, load_builtin_profile
from audit.findings.review import UNIT_FIXING, evidence_hash
from audit.store import Store
from audit.store.models import (
    CrawlRun,
    Finding,
    FindingEvent,
    Notice,
    Site,
    Snapshot,
)

LAST_MONTH = (2026, 12)  # the month of the bulletin; the history ends with it
TARGET_SECONDS = 60
TARGET_RSS_MB = 1024
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
CHUNK = 20_000  # rows per executemany

CATEGORIES = ("政府机关", "学校", "企业", "医院", "新闻媒体", None)
CATEGORY_WEIGHTS = (15, 12, 55, 6, 7, 5)
FAILURES = ("timeout", "refused", "dns_error")
# BA101 / BA102 and BA111 / BA112 follow the notices the snapshots show (none, or an
# invalid number); the other rules fall on sites at random, by weight.
NOTICE_RULES = {"BA101": "icp", "BA102": "icp", "BA111": "police", "BA112": "police"}
OTHER_RULES = ("BA103", "BA113", "BA201", "BA202", "BA203", "BA301")
OTHER_WEIGHTS = (30, 30, 8, 8, 10, 14)
SEVERITY = {
    "BA101": "high", "BA102": "medium", "BA103": "medium", "BA111": "medium",
    "BA112": "medium", "BA113": "low", "BA201": "medium", "BA202": "medium",
    "BA203": "low", "BA301": "medium",
}  # fmt: skip
EXCERPTS = {
    "BA101": "版权所有 © {host} 联系我们 网站地图",
    "BA102": "晋ICP备XXXXXXXX号",
    "BA103": "<a href='http://www.miitbeian.gov.cn/'>晋ICP备2021{n:06d}号-1</a>",
    "BA111": "版权所有 © {host} 技术支持：某某科技",
    "BA112": "晋公网安备 000000000号",
    "BA113": "晋公网安备14080202{n:06d}号",
    "BA201": "主办单位：{host}主办单位 联系电话",
    "BA202": "主办单位：{host}主办单位 网站标识码缺失",
    "BA203": "版权所有 {host}",
    "BA301": "timeout after 15 s",
}
NUMBERS = {  # kind -> valid -> number shown
    "icp": {True: "晋ICP备2021{:06d}号-1", False: "晋ICP备XXXXXXXX号"},
    "police": {True: "14080202{:06d}", False: "000000000"},
}
P_SHOWS_ICP = (0.70, 0.12)  # (always, from a run within the year); the rest never
P_SHOWS_POLICE = (0.60, 0.12)
P_RESOLVE, P_REOPEN, P_RESOLVE_AGAIN = 0.45, 0.15, 0.5
P_REVIEWED = 0.20
NEVER = 10**9


# ---- the plan: runs and sites --------------------------------------------------------------


@dataclass(frozen=True)
class RunPlan:
    id: int
    started_at: dt.datetime  # UTC
    full: bool  # a full crawl; else a re-test of a few sites

    @property
    def finished_at(self) -> dt.datetime:
        return self.started_at + (dt.timedelta(hours=4) if self.full else dt.timedelta(minutes=20))


@dataclass
class World:
    """What the generators share: the runs, and per site (index = id - 1) when it was
    crawled and what it showed."""

    runs: list[RunPlan]
    full: list[int]  # indexes into runs of the full runs
    starts: list[dt.datetime]  # started_at of every run, chronological
    first_seen: list[dt.datetime] = field(default_factory=list)
    retired_at: list[dt.datetime | None] = field(default_factory=list)
    window: list[tuple[int, int]] = field(default_factory=list)  # [lo, hi) positions in full
    flaky: list[bool] = field(default_factory=list)
    icp_from: list[int] = field(default_factory=list)  # run index it shows a valid ICP from
    police_from: list[int] = field(default_factory=list)
    bad_icp: list[bool] = field(default_factory=list)  # shows an invalid number meanwhile
    bad_police: list[bool] = field(default_factory=list)
    host: list[str] = field(default_factory=list)
    government: list[bool] = field(default_factory=list)
    # outcomes the findings need: run index * SCALE + site index
    must_read: set[int] = field(default_factory=set)
    must_fail: set[int] = field(default_factory=set)
    retest_sites: dict[int, set[int]] = field(default_factory=dict)  # run index -> sites

    @property
    def end(self) -> dt.datetime:
        return month_period(*LAST_MONTH).end

    def shown_from(self, rule: str) -> list[int]:
        return self.icp_from if NOTICE_RULES[rule] == "icp" else self.police_from

    def monitored(self, site: int, run_index: int) -> bool:
        start, retired = self.starts[run_index], self.retired_at[site]
        return self.first_seen[site] < start and (retired is None or retired > start)


SCALE = 10_000_000


def beijing(year: int, month: int, day: int, hour: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=LOCAL_TZ).astimezone(dt.UTC)


def months_back(count: int) -> list[tuple[int, int]]:
    year, month = LAST_MONTH
    months = []
    for _ in range(count):
        months.append((year, month))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return months[::-1]


def plan_runs(months: int) -> list[RunPlan]:
    """Full crawls on the 1st and the 15th at 02:00, a re-test on the 25th, every month."""
    runs: list[RunPlan] = []
    for year, month in months_back(months):
        for day, full in ((1, True), (15, True), (25, False)):
            runs.append(RunPlan(len(runs) + 1, beijing(year, month, day, 2), full))
    return runs


# ---- generators, one per table -------------------------------------------------------------


def gen_sites(rng: random.Random, world: World, count: int, districts: list[str]) -> Iterator[dict]:
    """Sites: 85% known before the first month, the others first seen during the year;
    ~1% taken out of the inventory during the year; ~3% discovered through links."""
    period_start = world.starts[0] - dt.timedelta(days=1)
    span = (world.end - period_start).total_seconds()
    full_starts = [world.starts[i] for i in world.full]
    for index in range(count):
        n = index + 1
        host = f"s{n}.example{n % 500}.cn"
        if rng.random() < 0.85:
            first_seen = period_start - dt.timedelta(seconds=rng.uniform(0, 2 * 365 * 86400))
        else:
            first_seen = period_start + dt.timedelta(seconds=rng.uniform(0, span * 0.97))
        retired_at = None
        if rng.random() < 0.01:
            left = (world.end - first_seen).total_seconds()
            retired_at = max(first_seen, period_start) + dt.timedelta(
                seconds=rng.uniform(0.05, 0.95) * min(left, span)
            )
        lo = bisect.bisect_right(full_starts, first_seen)
        hi = len(full_starts) if retired_at is None else bisect.bisect_left(full_starts, retired_at)
        category = rng.choices(CATEGORIES, CATEGORY_WEIGHTS)[0]
        discovered = rng.random() < 0.03
        world.host.append(host)
        world.first_seen.append(first_seen)
        world.retired_at.append(retired_at)
        world.window.append((lo, max(lo, hi)))
        world.flaky.append(rng.random() < 0.08)
        world.government.append(category == "政府机关")
        for shows, from_list, bad in (
            (P_SHOWS_ICP, world.icp_from, world.bad_icp),
            (P_SHOWS_POLICE, world.police_from, world.bad_police),
        ):
            draw = rng.random()
            if draw < shows[0] or lo >= hi:
                from_list.append(-1)
            elif draw < shows[0] + shows[1] and hi - lo >= 2:
                from_list.append(world.full[rng.randint(lo + 1, hi - 1)])
            else:
                from_list.append(NEVER)
            bad.append(rng.random() < 0.3)
        last_crawl = full_starts[hi - 1] if hi > lo else first_seen
        yield {
            "id": n,
            "host": host,
            "registrable_domain": f"example{n % 500}.cn",
            "start_url": f"http://{host}/",
            "name": f"示例网站{n}",
            "sponsor": f"示例单位{n // 3}",
            "district": rng.choice(districts) if rng.random() < 0.95 else None,
            "category": category,
            "key_unit": rng.random() < 0.05,
            "source": "discovered" if discovered else "inventory",
            "discovered_from": f"s{max(1, n - 1)}.example{max(1, n - 1) % 500}.cn"
            if discovered
            else None,
            "discovery_depth": 1 if discovered else 0,
            "first_seen": first_seen,
            "last_seen": max(first_seen, last_crawl),
            "retired_at": retired_at,
            # accepted when first seen (a discovered site awaiting acceptance is not counted)
            "accepted_at": first_seen,
            "accepted_by": "benchmark",
        }


def gen_runs(world: World) -> Iterator[dict]:
    for run in world.runs:
        yield {
            "id": run.id,
            "started_at": run.started_at,
            "finished_at": run.finished_at,
            "trigger": "scheduled",
            "state": "finished",
            "options": {"max_pages": 1} if run.full else {"retest": True},
            "stats": {},
            "pid": None,
            "hostname": "bench",
        }


@dataclass
class Lifecycle:
    """One finding's history: audit events at runs, review events at times."""

    site: int  # index
    rule: str
    fingerprint: str
    audit: list[tuple[str, int]]  # (opened|resolved|reopened, run index), alternating
    reviews: list[tuple[dt.datetime, str, dt.date | None]] = field(default_factory=list)


def plan_lifecycle(rng: random.Random, world: World, site: int, rule: str) -> list[tuple[str, int]]:
    """Opened at a full run the site was crawled in; maybe resolved, reopened, resolved."""
    lo, hi = world.window[site]
    full = world.full
    if rule in NOTICE_RULES:  # follows the notices the site shows
        shown_from = world.shown_from(rule)[site]
        events = [("opened", full[lo])]
        if shown_from != NEVER:
            events.append(("resolved", shown_from))
        return events
    start = lo if rng.random() < 0.4 else rng.randint(lo, hi - 1)
    events = [("opened", full[start])]
    if rng.random() < P_RESOLVE and start + 1 < hi:
        resolved = rng.randint(start + 1, hi - 1)
        events.append(("resolved", full[resolved]))
        if rng.random() < P_REOPEN and resolved + 1 < hi:
            reopened = rng.randint(resolved + 1, hi - 1)
            events.append(("reopened", full[reopened]))
            if rng.random() < P_RESOLVE_AGAIN and reopened + 1 < hi:
                events.append(("resolved", full[rng.randint(reopened + 1, hi - 1)]))
    return events


def plan_reviews(rng: random.Random, world: World, life: Lifecycle) -> None:
    """The analysts' steps within the finding's first open spell (audit/findings/review.py
    TRANSITIONS); a finding notified and then fixed is often fixed at a re-test run."""
    opened_at = world.runs[life.audit[0][1]].finished_at
    resolved_run = life.audit[1][1] if len(life.audit) > 1 else None
    retired = world.retired_at[life.site]
    limit = world.starts[resolved_run] if resolved_run is not None else world.end
    if retired is not None:
        limit = min(limit, retired)

    at = opened_at
    steps: list[tuple[str, int | None]] = []  # (state, deadline days)
    if rng.random() < 0.05:
        steps.append(("false_positive", None))
    else:
        steps.append(("confirmed", None))
        if rng.random() < 0.7:
            steps.append(("notified", rng.choice((10, 15, 30))))
            draw = rng.random()
            if draw < 0.25:
                steps.append(("inspected", None))
            elif draw < 0.45:
                steps.append(("rectifying", rng.choice((None, 15))))
            if rng.random() < 0.1:
                steps.append(("notified", 30))
    for state, days in steps:
        at = at + dt.timedelta(days=rng.uniform(0.5, 12), hours=rng.uniform(0, 8))
        if at >= limit:
            break
        deadline = at.astimezone(LOCAL_TZ).date() + dt.timedelta(days=days) if days else None
        life.reviews.append((at, state, deadline))
    if (
        resolved_run is not None
        and life.rule not in ("BA102", "BA112")  # they follow BA101 / BA111 of the site
        and life.reviews
        and life.reviews[-1][1] in UNIT_FIXING
        and rng.random() < 0.6
    ):
        # the re-test of notified sites saw it fixed before the next full crawl would have
        last = life.reviews[-1][0]
        for index in range(life.audit[0][1] + 1, resolved_run):
            if not world.runs[index].full and world.starts[index] > last:
                life.audit[1] = ("resolved", index)
                if life.rule in NOTICE_RULES:
                    world.shown_from(life.rule)[life.site] = index
                world.retest_sites.setdefault(index, set()).add(life.site)
                break


def plan_findings(rng: random.Random, world: World, count: int) -> Iterator[Lifecycle]:
    """BA101 / BA111 for the sites that do not show a valid number at first (and BA102 /
    BA112 when they show an invalid one), then other rules at random sites up to
    ``count`` (a second finding of a site and rule gets a fingerprint of its own, as a
    different link would)."""
    sites = len(world.host)
    crawled = [s for s in range(sites) if world.window[s][0] < world.window[s][1]]
    flaky = [s for s in crawled if world.flaky[s]] or crawled
    government = [s for s in crawled if world.government[s]] or crawled
    made = 0
    for site in crawled:
        for rule, kind in NOTICE_RULES.items():
            shown_from = world.shown_from(rule)[site]
            bad = (world.bad_icp if kind == "icp" else world.bad_police)[site]
            missing = shown_from > world.full[world.window[site][0]]
            if missing and (rule in ("BA101", "BA111") or bad) and made < count:
                made += 1
                yield Lifecycle(site, rule, "", plan_lifecycle(rng, world, site, rule))
    taken: set[tuple[int, str]] = set()
    while made < count:
        rule = rng.choices(OTHER_RULES, OTHER_WEIGHTS)[0]
        if rule == "BA301" and rng.random() < 0.7:
            site = rng.choice(flaky)
        elif rule.startswith("BA2") and rng.random() < 0.5:
            site = rng.choice(government)
        else:
            site = rng.choice(crawled)
        fingerprint = ""
        if (site, rule) in taken:
            fingerprint = f"v{made}"
        taken.add((site, rule))
        made += 1
        yield Lifecycle(site, rule, fingerprint, plan_lifecycle(rng, world, site, rule))


def finding_rows(rng: random.Random, world: World, count: int) -> Iterator[tuple[dict, list[dict]]]:
    """Each finding's row (its state at the end) and its events."""
    for finding_id, life in enumerate(plan_findings(rng, world, count), start=1):
        if rng.random() < P_REVIEWED:
            plan_reviews(rng, world, life)
        yield finding_history(world, finding_id, life)


AUDIT_FROM = {"opened": None, "resolved": "open", "reopened": "resolved"}
FIXED_NOTE = "the unit fixed it ({}): no longer seen by the re-test of this run"


def finding_history(world: World, finding_id: int, life: Lifecycle) -> tuple[dict, list[dict]]:
    """The events in the order the audit and the analysts would have written them, and
    the finding's row as they leave it."""
    runs, site = world.runs, life.site
    events: list[dict] = []
    review_state, deadline = "new", None

    def event(
        at: dt.datetime,
        run: int | None,
        kind: str,
        actor: str,
        from_state: str | None,
        to_state: str,
        note: str | None = None,
        day: dt.date | None = None,
    ) -> None:
        events.append({
            "finding_id": finding_id, "at": at, "run_id": run, "kind": kind, "actor": actor,
            "from_state": from_state, "to_state": to_state, "note": note, "deadline": day,
        })  # fmt: skip

    def review(
        at: dt.datetime,
        to_state: str,
        day: dt.date | None,
        actor: str,
        run: int | None = None,
        note: str | None = None,
    ) -> None:
        nonlocal review_state, deadline
        event(at, run, "review", actor, review_state, to_state, note, day)
        if to_state in UNIT_FIXING:
            deadline = day or deadline
        elif to_state != "resolved":
            deadline = None
        review_state = to_state

    pending = list(life.reviews)
    for kind, run_index in life.audit:
        run = runs[run_index]
        while pending and pending[0][0] < run.started_at:
            at, state, day = pending.pop(0)
            review(at, state, day, "analyst")
        note = "no longer seen by the re-test of this run" if kind == "resolved" else None
        to_state = "resolved" if kind == "resolved" else "open"
        event(run.finished_at, run.id, kind, "audit", AUDIT_FROM[kind], to_state, note)
        key = run_index * SCALE + site
        if life.rule == "BA301" and kind != "resolved":
            world.must_fail.add(key)
        else:
            world.must_read.add(key)
        if not run.full:
            world.retest_sites.setdefault(run_index, set()).add(site)
        if kind == "resolved" and review_state in UNIT_FIXING:
            review(run.finished_at, "resolved", None, "audit", run.id,
                   FIXED_NOTE.format(review_state))  # fmt: skip
        elif kind == "reopened" and review_state == "resolved":
            review(run.finished_at, "new", None, "audit", run.id,
                   "the problem came back after it had been resolved")  # fmt: skip
    for at, state, day in pending:
        review(at, state, day, "analyst")

    last_kind, last_run = life.audit[-1]
    open_at_end = last_kind != "resolved"
    retired = world.retired_at[site]
    resolved_at = runs[last_run].finished_at if not open_at_end else None
    if open_at_end and retired is not None:
        event(retired, None, "resolved", "inventory", "open", "resolved",
              "the site was taken out of the inventory")  # fmt: skip
        resolved_at = retired
    lo, hi = world.window[site]
    first = life.audit[0][1]
    if open_at_end:
        last_seen = world.full[hi - 1]
    else:  # the last full run before the one that resolved it
        last_seen = max((i for i in world.full[lo:hi] if i < last_run), default=first)
    host = world.host[site]
    evidence = {
        "excerpt": EXCERPTS[life.rule].format(host=host, n=site),
        "url": f"http://{host}/",
    }
    row = {
        "id": finding_id,
        "site_id": site + 1,
        "rule": life.rule,
        "fingerprint": life.fingerprint,
        "severity": SEVERITY[life.rule],
        "state": "open" if open_at_end and retired is None else "resolved",
        "review_state": review_state,
        "first_seen_run_id": runs[first].id,
        "last_seen_run_id": runs[last_seen].id,
        "resolved_run_id": None if open_at_end else runs[last_run].id,
        "first_seen_at": runs[first].finished_at,
        "last_seen_at": runs[last_seen].finished_at,
        "resolved_at": resolved_at,
        "snapshot_id": None,
        "evidence": evidence,
        "deadline": deadline,
        "accepted_until": None,
        "suppressed_evidence": evidence_hash(evidence)
        if review_state == "false_positive"
        else None,
    }
    return row, events


def gen_snapshots(rng: random.Random, world: World) -> Iterator[tuple[dict, list[dict]]]:
    """One snapshot per site and run (full runs: every site crawled then; re-tests: the
    sites re-tested), chronological; readable ones with their ICP and police notices."""
    snapshot_id = 0
    for run_index, run in enumerate(world.runs):
        if run.full:
            position = world.full.index(run_index)
            sites: Iterable[int] = (
                s for s, (lo, hi) in enumerate(world.window) if lo <= position < hi
            )
        else:
            chosen = set(world.retest_sites.get(run_index, ()))
            # the sites whose findings it resolves, and a sample of others it re-checks
            others = [s for s in range(len(world.host)) if world.monitored(s, run_index)]
            chosen.update(rng.sample(others, min(len(others), len(world.host) // 500 + 1)))
            sites = sorted(chosen)
        for site in sites:
            snapshot_id += 1
            key = run_index * SCALE + site
            if key in world.must_fail:
                readable = False
            elif key in world.must_read:
                readable = True
            else:
                readable = rng.random() >= (0.4 if world.flaky[site] else 0.02)
            url = f"http://{world.host[site]}/"
            fetched = run.started_at + dt.timedelta(seconds=rng.uniform(0, 3 * 3600))
            snapshot = {
                "id": snapshot_id, "run_id": run.id, "site_id": site + 1, "fetched_at": fetched,
                "outcome": "ok" if readable else rng.choice(FAILURES),
                "error": None if readable else "no answer",
                "http_status": 200 if readable else None,
                "final_url": url if readable else None, "redirect_chain": [], "headers": {},
                "encoding": "utf-8" if readable else None,
                "title": f"示例网站{site + 1}" if readable else None,
                "content_hash": None,
                "content_length": rng.randint(30_000, 120_000) if readable else None,
                "elapsed_ms": rng.uniform(80, 3000), "pages_fetched": 1 if readable else 0,
                "rendered": False, "html_truncated": False,
            }  # fmt: skip
            notices = []
            if readable:
                for kind, shown_from, bad in (
                    ("icp", world.icp_from, world.bad_icp),
                    ("police", world.police_from, world.bad_police),
                ):
                    valid = shown_from[site] <= run_index
                    if valid or bad[site]:  # a valid number, or a placeholder meanwhile
                        number = NUMBERS[kind][valid].format(site)
                        notices.append({
                            "snapshot_id": snapshot_id, "run_id": run.id, "site_id": site + 1,
                            "kind": kind, "number": number, "raw": number, "valid": valid,
                            "linked": True, "source": "footer", "details": {},
                        })  # fmt: skip
            yield snapshot, notices


# ---- writing the database ------------------------------------------------------------------


def insert_all(session: Session, table: Table, rows: Iterable[dict]) -> int:
    """Bulk insert through SQLAlchemy Core (executemany), CHUNK rows at a time."""
    batch: list[dict] = []
    count = 0
    for row in rows:
        batch.append(row)
        if len(batch) >= CHUNK:
            session.execute(insert(table), batch)
            count += len(batch)
            batch = []
    if batch:
        session.execute(insert(table), batch)
        count += len(batch)
    return count


def insert_pairs(
    session: Session, parents: Table, children: Table, pairs: Iterable[tuple[dict, list[dict]]]
) -> tuple[int, int]:
    """Parent rows and the rows that refer to them, parents first in each chunk."""
    batch: list[dict] = []
    kids: list[dict] = []
    counts = [0, 0]

    def flush() -> None:
        if batch:
            session.execute(insert(parents), batch)
        if kids:
            session.execute(insert(children), kids)
        counts[0] += len(batch)
        counts[1] += len(kids)
        batch.clear()
        kids.clear()

    for parent, children_rows in pairs:
        batch.append(parent)
        kids.extend(children_rows)
        if len(batch) >= CHUNK:
            flush()
    flush()
    return counts[0], counts[1]


def generate(url: str, *, sites: int, findings: int, months: int, seed: int) -> dict[str, Any]:
    """Fill an empty database; return the seconds each table took."""
    rng = random.Random(seed)
    runs = plan_runs(months)
    world = World(
        runs=runs,
        full=[i for i, run in enumerate(runs) if run.full],
        starts=[run.started_at for run in runs],
    )
    districts = load_builtin_profile("yuncheng").district_names
    seconds: dict[str, float] = {}

    def step(name: str, work: Callable[[Session], Any]) -> None:
        start = time.perf_counter()
        with store.session() as session:
            counts = work(session)
        seconds[name] = round(time.perf_counter() - start, 1)
        print(f"  {name:<22} {counts} rows in {seconds[name]:.1f} s", flush=True)

    with Store(url) as store:  # creates the schema (migrations)
        step(
            "sites",
            lambda s: insert_all(s, Site.__table__, gen_sites(rng, world, sites, districts)),
        )
        step("crawl_runs", lambda s: insert_all(s, CrawlRun.__table__, gen_runs(world)))
        step(
            "findings + events",
            lambda s: insert_pairs(
                s, Finding.__table__, FindingEvent.__table__, finding_rows(rng, world, findings)
            ),
        )
        step(
            "snapshots + notices",
            lambda s: insert_pairs(
                s, Snapshot.__table__, Notice.__table__, gen_snapshots(rng, world)
            ),
        )
        start = time.perf_counter()
        with store.engine.begin() as connection:
            if store.dialect == "postgresql":
                # ids were given explicitly: move the sequences past them, as if the rows
                # had been inserted one by one; and gather the planner's statistics, which
                # autovacuum would have done by itself soon after such inserts
                for table in ("sites", "crawl_runs", "findings", "snapshots"):
                    connection.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                            f" (SELECT max(id) FROM {table}))"
                        )
                    )
                connection.execute(text("ANALYZE"))
            else:
                connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        seconds["finish"] = round(time.perf_counter() - start, 1)
    return seconds


def row_counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return {
                model.__tablename__: connection.scalar(select(func.count()).select_from(model))
                for model in (Site, CrawlRun, Snapshot, Notice, Finding, FindingEvent)
            }
    finally:
        engine.dispose()


def database_bytes(url: str, schema: str | None) -> int:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database or "")
        return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return int(
                connection.scalar(
                    text(
                        "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c"
                        " JOIN pg_namespace n ON n.oid = c.relnamespace"
                        " WHERE n.nspname = :schema AND c.relkind = 'r'"
                    ),
                    {"schema": schema},
                )
                or 0
            )
    finally:
        engine.dispose()


# ---- the measured bulletin, in a process of its own ----------------------------------------


def measure(url: str, month: str, now: dt.datetime, out_dir: Path) -> dict[str, Any]:
    """One ``make_bulletin`` with each stage timed (the stages are wrapped, not changed)."""
    import resource

    started = time.perf_counter()
    import audit.bulletin as bulletin
    import audit.bulletin.charts as charts
    import audit.bulletin.compile as compile_module
    import audit.bulletin.document as document
    import audit.bulletin.render_docx as render_docx
    import audit.bulletin.render_html as render_html
    import audit.bulletin.render_markdown as render_markdown
    import audit.bulletin.render_xlsx as render_xlsx
    from audit.config import Settings

    imports = time.perf_counter() - started
    stages: dict[str, float] = {}
    marks: dict[str, int] = {}

    def timed(module: Any, name: str, stage: str) -> None:
        original = getattr(module, name)

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                stages[stage] = stages.get(stage, 0.0) + time.perf_counter() - start
                marks[stage] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

        setattr(module, name, wrapper)

    timed(compile_module, "compile_figures", "compile")
    timed(charts, "draw_charts", "charts")
    timed(document, "build_document", "document")
    timed(render_docx, "render_docx", "docx")
    timed(render_html, "render_html", "html")
    timed(render_markdown, "render_markdown", "md")
    timed(render_xlsx, "render_xlsx", "xlsx")
    timed(bulletin, "record_issue", "record")

    profile = load_builtin_profile("yuncheng")
    settings = Settings(database_url=url, data_dir=out_dir, profile=profile)
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with Store(url, migrate=False) as store:
        start = time.perf_counter()
        result = bulletin.make_bulletin(store, settings, month, out_dir=out_dir, now=now)
        total = time.perf_counter() - start
    figures = result.figures
    return {
        "bulletin_seconds": round(total, 2),
        "stages": {k: round(v, 2) for k, v in stages.items()},
        "other_seconds": round(total - sum(stages.values()), 2),
        "import_seconds": round(imports, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "rss_after_imports_mb": round(baseline / 1024, 1),
        "peak_rss_after_compile_mb": round(marks.get("compile", 0) / 1024, 1),
        "issue": result.label,
        "warnings": result.warnings,
        "files": {
            path.name: path.stat().st_size for path in sorted(out_dir.iterdir()) if path.is_file()
        },
        "figures": {
            "monitored": figures.overview.monitored.current,
            "reachable": figures.overview.reachable.current,
            "icp_rate": figures.overview.icp.current,
            "police_rate": figures.overview.police.current,
            "unfiled_sites": figures.unfiled.sites.current,
            "open_findings": len(figures.open_findings),
            "rectified": len(figures.rectified),
            "overdue": len(figures.overdue),
            "warnings": len(figures.warnings),
            "notified_sites": figures.rectification.notified.current,
        },
    }


def run_measured(url: str, month: str, now: dt.datetime, out_dir: Path) -> dict[str, Any]:
    """``measure`` in a fresh interpreter, so that its ru_maxrss is the bulletin's alone."""
    result_file = out_dir.parent / f"{out_dir.name}.json"
    command = [
        sys.executable, __file__, "--measure", url, "--month", month,
        "--now", now.isoformat(), "--out", str(out_dir), "--result", str(result_file),
    ]  # fmt: skip
    status = subprocess.run(command, env={**os.environ, "PYTHONUNBUFFERED": "1"}).returncode
    if status != 0:
        raise SystemExit(f"the measured bulletin failed (exit status {status})")
    return json.loads(result_file.read_text())


# ---- the backends --------------------------------------------------------------------------


def _search_path(url: str) -> str | None:
    """The schema of a URL made by :func:`postgres_schema`."""
    options = make_url(url).query.get("options", "")
    text = options if isinstance(options, str) else " ".join(options)
    return text.split("search_path=", 1)[1].split()[0] if "search_path=" in text else None


def postgres_reachable(url: str) -> bool:
    try:
        engine = create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
        return True
    except Exception:
        return False


def postgres_schema(base_url: str, name: str, *, create: bool) -> str:
    """Create (or drop) a schema; return the URL whose search_path is that schema."""
    base = make_url(base_url)
    if base.drivername == "postgresql":
        base = base.set(drivername="postgresql+psycopg")
    admin = create_engine(base)
    try:
        with admin.begin() as connection:
            if create:
                connection.execute(text(f'CREATE SCHEMA "{name}"'))
            else:
                connection.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
    finally:
        admin.dispose()
    url = base.update_query_dict({"options": f"-csearch_path={name}"})
    return url.render_as_string(hide_password=False)


def run_backend(backend: str, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    schema = None
    if args.reuse:
        url = args.reuse
    elif backend == "sqlite":
        url = f"sqlite:///{work / 'bulletin-bench.db'}"
    else:
        schema = f"bench_bulletin_{os.getpid()}"
        url = postgres_schema(args.postgres_url, schema, create=True)
    period = month_period(*LAST_MONTH)
    month = period.month
    now = period.end + dt.timedelta(hours=9)  # the morning of the 1st, Beijing time
    try:
        if args.reuse:
            print(f"\n== {backend}: the database of an earlier run")
            generation, generation_seconds = {}, None
        else:
            print(
                f"\n== {backend}: {args.sites:,} sites, {args.findings:,} findings,"
                f" {args.months} months"
            )
            start = time.perf_counter()
            generation = generate(
                url, sites=args.sites, findings=args.findings, months=args.months, seed=args.seed
            )
            generation_seconds = time.perf_counter() - start
            print(f"  generated in {generation_seconds:.0f} s")
        counts = row_counts(url)
        size = database_bytes(url, schema or _search_path(url))
        print(f"  database {size / 2**20:,.0f} MB")
        print("  rows: " + ", ".join(f"{name} {count:,}" for name, count in counts.items()))
        runs = []
        for attempt in range(args.repeat):
            out_dir = work / f"{backend}-bulletin-{attempt + 1}"
            out_dir.mkdir()
            measured = run_measured(url, month, now, out_dir)
            runs.append(measured)
            print_measure(measured)
    finally:
        if schema is not None and not args.keep:
            postgres_schema(args.postgres_url, schema, create=False)
    return {
        "backend": backend,
        "url": url if args.keep or args.reuse else None,
        "month": month,
        "now": now.isoformat(),
        "generation_seconds": None if generation_seconds is None else round(generation_seconds, 1),
        "generation": generation,
        "database_mb": round(size / 2**20, 1),
        "rows": counts,
        "bulletins": runs,
    }


def print_measure(measured: dict[str, Any]) -> None:
    stages = measured["stages"]
    total = measured["bulletin_seconds"]
    rss = measured["peak_rss_mb"]
    render = total - stages.get("compile", 0.0)
    print(
        f"  bulletin {measured['issue']}: {total:.1f} s   target < {TARGET_SECONDS} s"
        f" {'met' if total < TARGET_SECONDS else 'NOT MET'}"
    )
    print(
        f"    compile {stages.get('compile', 0):.1f} s, render and the rest {render:.1f} s ("
        + ", ".join(f"{k} {v:.1f}" for k, v in stages.items() if k != "compile")
        + f", other {measured['other_seconds']:.1f}); imports before it"
        f" {measured['import_seconds']:.1f} s"
    )
    print(
        f"  peak RSS {rss:,.0f} MB   target < {TARGET_RSS_MB} MB"
        f" {'met' if rss < TARGET_RSS_MB else 'NOT MET'}"
        f" (after the imports {measured['rss_after_imports_mb']:,.0f} MB,"
        f" peak up to the end of compile {measured['peak_rss_after_compile_mb']:,.0f} MB)"
    )
    print(
        "  files: "
        + ", ".join(f"{name} {size / 1024:,.0f} KB" for name, size in measured["files"].items())
    )
    print("  figures: " + ", ".join(f"{k} {v}" for k, v in measured["figures"].items()))
    for warning in measured["warnings"]:
        print(f"  warning: {warning}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--backend",
        choices=["sqlite", "postgresql", "both"],
        help="default: both when the PostgreSQL server answers, else sqlite",
    )
    parser.add_argument("--sites", type=int, default=100_000)
    parser.add_argument("--findings", type=int, default=500_000)
    parser.add_argument("--months", type=int, default=12, help="months of history (>= 2)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=1, help="bulletins timed per database")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("BEIAN_BENCH_POSTGRES_URL", DEFAULT_POSTGRES),
        help="a database to create the benchmark's schema in",
    )
    parser.add_argument("--keep", action="store_true", help="keep the generated databases")
    parser.add_argument(
        "--reuse",
        metavar="URL",
        help="time the bulletin again on a database kept by --keep (no generation)",
    )
    parser.add_argument("--json", dest="json_out", help="also write the figures to this file")
    # the measured bulletin, run by this script in a fresh process
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--month", help=argparse.SUPPRESS)
    parser.add_argument("--now", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.measure:
        measured = measure(
            args.measure, args.month, dt.datetime.fromisoformat(args.now), Path(args.out)
        )
        Path(args.result).write_text(json.dumps(measured, indent=2, ensure_ascii=False))
        return 0

    if args.months < 2:
        parser.error("--months: at least 2 (the bulletin compares with the month before)")
    if args.reuse:
        backends = [make_url(args.reuse).get_backend_name()]
    else:
        if args.backend is None:
            args.backend = "both" if postgres_reachable(args.postgres_url) else "sqlite"
        backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    work = Path(tempfile.mkdtemp(prefix="beian-bulletin-bench-"))
    print(f"working directory {work}")
    results = []
    try:
        for backend in backends:
            results.append(run_backend(backend, args, work))
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print("\nsummary (bulletin of the last month; targets < 60 s, < 1,024 MB peak RSS)")
    for result in results:
        for measured in result["bulletins"]:
            generation = result["generation_seconds"]
            print(
                f"  {result['backend']:<10} generation "
                + (f"{generation:>6.0f} s" if generation is not None else "     — ")
                + f"  compile {measured['stages'].get('compile', 0):>5.1f} s"
                f"  bulletin {measured['bulletin_seconds']:>5.1f} s"
                f"  peak RSS {measured['peak_rss_mb']:>6,.0f} MB"
            )
    if args.keep:
        print(f"kept: {work}" + "".join(f"\n  {r['url']}" for r in results if r["url"]))
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(results, indent=2, ensure_ascii=False))
    ok = all(
        m["bulletin_seconds"] < TARGET_SECONDS and m["peak_rss_mb"] < TARGET_RSS_MB
        for r in results
        for m in r["bulletins"]
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
