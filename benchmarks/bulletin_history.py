"""The history a bulletin is compiled from, generated for ``bulletin_speed.py``: N sites
over M months of crawl runs, snapshots with their notices, findings with their lifecycle
events and the analysts' review events, written the way the crawl and the audit write
them (bulk inserts of the store's own tables). See ``bulletin_speed.py`` for what is
measured on it.
"""

from __future__ import annotations

import bisect
import datetime as dt
import random
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import Table, insert, text
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
    NoticeSet,
    Site,
    Snapshot,
)
from audit.store.notice_sets import notice_set_key

LAST_MONTH = (2026, 12)  # the month of the bulletin; the history ends with it
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


def gen_snapshots(
    rng: random.Random, world: World
) -> Iterator[tuple[list[dict], list[dict], list[dict]]]:
    """One snapshot per site and run (full runs: every site crawled then; re-tests: the
    sites re-tested), chronological; readable ones with their ICP and police notices:
    (the notice set first shown by it, or none; the snapshot; that set's notices)."""
    snapshot_id = 0
    sets: dict[str, int] = {}
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
                            "kind": kind, "number": number, "raw": number, "valid": valid,
                            "linked": True, "source": "footer", "details": {},
                        })  # fmt: skip
            # a page's notices are stored once (NoticeSet): the set is new when they changed
            shown = notice_set_key(notices) if notices else None
            new_set: list[dict] = []
            if shown is not None and shown not in sets:
                sets[shown] = len(sets) + 1
                new_set = [{"id": sets[shown], "sha256": shown}]
            else:
                notices = []
            snapshot["notice_set_id"] = sets[shown] if shown else None
            yield new_set, [snapshot], [{**n, "set_id": snapshot["notice_set_id"]} for n in notices]


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
) -> tuple[int, ...]:
    """Parent rows and the rows that refer to them, parents first in each chunk."""
    return insert_groups(session, (parents, children), (([p], kids) for p, kids in pairs))


def insert_groups(
    session: Session, tables: Sequence[Table], groups: Iterable[Sequence[list[dict]]]
) -> tuple[int, ...]:
    """Rows of several tables that refer to each other, one list per table in each group,
    written in the tables' order within each chunk (a table's rows may name the earlier
    tables' rows of the same chunk)."""
    batches: list[list[dict]] = [[] for _ in tables]
    counts = [0 for _ in tables]

    def flush() -> None:
        for index, (table, batch) in enumerate(zip(tables, batches, strict=True)):
            if batch:
                session.execute(insert(table), batch)
            counts[index] += len(batch)
            batch.clear()

    for group in groups:
        for batch, rows in zip(batches, group, strict=True):
            batch.extend(rows)
        if sum(map(len, batches)) >= CHUNK:
            flush()
    flush()
    return tuple(counts)


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
            lambda s: insert_groups(
                s,
                (NoticeSet.__table__, Snapshot.__table__, Notice.__table__),
                gen_snapshots(rng, world),
            ),
        )
        start = time.perf_counter()
        with store.engine.begin() as connection:
            if store.dialect == "postgresql":
                # ids were given explicitly: move the sequences past them, as if the rows
                # had been inserted one by one; and gather the planner's statistics, which
                # autovacuum would have done by itself soon after such inserts
                for table in ("sites", "crawl_runs", "findings", "snapshots", "notice_sets"):
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
