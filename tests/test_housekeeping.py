"""Housekeeping: old page HTML and old links go, finding evidence and history stay, runs
left running by a dead process are marked interrupted; past bulletins do not change."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import delete, func, select, update

from audit.bulletin.compile import compile_figures
from audit.bulletin.period import month_period
from audit.cli import cli
from audit.config import RetentionSettings
from audit.ops.housekeeping import housekeep
from audit.store import (
    CrawlRun,
    Finding,
    FindingEvent,
    Link,
    Notice,
    NoticeSet,
    PageBody,
    Site,
    Snapshot,
    Store,
)
from audit.store import findings as store_findings
from audit.store.crawls import create_run, resume_run, write_batch
from audit.store.models import utcnow
from audit.store.sites import add_site
from tests.support.bulletin_world import PROFILE, World, beijing, footer

NOW = beijing(2026, 12, 20)
RETENTION = RetentionSettings(evidence_days=180, links_days=400)  # the defaults
PAGE = gzip.compress(b"<html><body>...</body></html>")
PAGE_KEY = hashlib.sha256(PAGE).hexdigest()

# Four runs: one older than links_days, two older than evidence_days, one recent.
R0, R1, R2 = beijing(2025, 9, 1), beijing(2026, 3, 10), beijing(2026, 4, 10)
R3 = NOW - dt.timedelta(days=10)


def history(store: Store) -> tuple[World, dict[str, int]]:
    """a: no ICP number, notified, fixed in the recent run (its resolved finding points at
    an old snapshot); b: fine; c: no police number all along (its finding points at the
    recent snapshot); d: no ICP number, unreachable in the recent run (its open finding
    points at an old snapshot). Every snapshot holds its page; site a links out each run."""
    world = World(store)
    for host in ("a.example.cn", "b.example.cn", "c.example.cn", "d.example.cn"):
        world.site(host, "盐湖区")
    runs = {}
    for name, when in (("R0", R0), ("R1", R1), ("R2", R2)):
        runs[name] = world.crawl(when, {
            "a.example.cn": footer(1, icp=False), "b.example.cn": footer(2),
            "c.example.cn": footer(3, police=False), "d.example.cn": footer(4, icp=False),
        })  # fmt: skip
        if name == "R1":
            world.review(R1 + dt.timedelta(days=1), "a.example.cn", "confirmed")
            world.review(R1 + dt.timedelta(days=2), "a.example.cn", "notified",
                         deadline=dt.date(2026, 4, 30))  # fmt: skip
    runs["R3"] = world.crawl(R3, {
        "a.example.cn": footer(1), "b.example.cn": footer(2),
        "c.example.cn": footer(3, police=False), "d.example.cn": "timeout",
    })  # fmt: skip
    with store.session() as session:
        session.add(PageBody(sha256=PAGE_KEY, html_gz=PAGE))  # one page, stored once
        session.flush()
        session.execute(update(Snapshot).values(body_sha256=PAGE_KEY))
        for run_id in runs.values():
            write_batch(session, run_id, links=[{
                "host": "a.example.cn", "target_host": "x.yuncheng.gov.cn",
                "target_url": "http://x.yuncheng.gov.cn/",
            }])  # fmt: skip
    return world, runs


def snapshot_of(store: Store, host: str, run_id: int) -> int:
    with store.session() as session:
        return session.scalars(
            select(Snapshot.id).join(Site, Site.id == Snapshot.site_id)
            .where(Site.host == host, Snapshot.run_id == run_id)
        ).one()  # fmt: skip


def evidence_of(store: Store, host: str) -> int:
    with store.session() as session:
        return session.scalars(
            select(Finding.snapshot_id).join(Site, Site.id == Finding.site_id)
            .where(Site.host == host)
        ).one()  # fmt: skip


def database(store: Store) -> dict[str, Any]:
    """Everything housekeeping may touch, and the counts of what it must never delete."""
    with store.session() as session:

        def count(model: Any) -> int:
            return session.scalar(select(func.count()).select_from(model)) or 0

        def snapshots(condition: Any) -> set[int]:
            return set(session.scalars(select(Snapshot.id).where(condition)))

        return {
            "with_html": snapshots(Snapshot.body_sha256.is_not(None)),
            "bodies": count(PageBody),
            "truncated": snapshots(Snapshot.html_truncated),
            "links": {(link.run_id, link.site_id) for link in session.scalars(select(Link))},
            "runs": {run.id: (run.state, run.stats) for run in session.scalars(select(CrawlRun))},
            "counts": [count(m) for m in (CrawlRun, Snapshot, Notice, Finding, FindingEvent)],
        }


def test_old_pages_and_links_go_while_finding_evidence_and_history_stay(store: Store) -> None:
    _, runs = history(store)
    a_evidence, d_evidence = evidence_of(store, "a.example.cn"), evidence_of(store, "d.example.cn")
    # the premise: a's finding is resolved and d's open, both on old snapshots of R2
    assert a_evidence == snapshot_of(store, "a.example.cn", runs["R2"])
    assert d_evidence == snapshot_of(store, "d.example.cn", runs["R2"])
    with store.session() as session:
        truncated = snapshot_of(store, "b.example.cn", runs["R1"])
        session.get_one(Snapshot, truncated).html_truncated = True
    before = database(store)

    report = housekeep(store, RETENTION, now=NOW, batch_size=3)  # small: cross batches

    after = database(store)
    old = {snapshot_of(store, h, runs[r]) for r in ("R0", "R1", "R2")
           for h in ("a.example.cn", "b.example.cn", "c.example.cn", "d.example.cn")}  # fmt: skip
    assert after["with_html"] == before["with_html"] - old | {a_evidence, d_evidence}
    assert report.evidence_removed == len(old) - 2 == 10
    assert report.evidence_kept == 2
    assert after["truncated"] == {truncated}  # says what the crawl kept at the time
    # the link of R0 (older than links_days) is gone; R1's is 285 days old and stays
    assert report.links_deleted == 1
    assert {run_id for run_id, _ in after["links"]} == {runs[r] for r in ("R1", "R2", "R3")}
    # runs, snapshots, notices, findings and events: all there, unchanged
    assert after["counts"] == before["counts"]
    assert after["runs"] == before["runs"]
    assert report.runs_interrupted == 0


def test_a_dry_run_counts_and_changes_nothing_and_a_second_run_has_nothing_to_do(
    store: Store,
) -> None:
    history(store)
    before = database(store)

    dry = housekeep(store, RETENTION, now=NOW, dry_run=True)
    assert database(store) == before
    assert dry.dry_run and "dry run: nothing was changed" in dry.lines()

    done = housekeep(store, RETENTION, now=NOW)
    assert {**dry.to_json(), "dry_run": False} == done.to_json()
    assert (done.evidence_removed, done.links_deleted) == (10, 1)

    thinned = database(store)
    again = housekeep(store, RETENTION, now=NOW)
    assert (again.evidence_removed, again.links_deleted, again.runs_interrupted) == (0, 0, 0)
    assert again.evidence_kept == done.evidence_kept
    assert database(store) == thinned


def test_the_bulletin_of_an_old_month_says_the_same_after_housekeeping(store: Store) -> None:
    history(store)
    april = month_period(2026, 4)

    def figures() -> dict[str, Any]:
        with store.session() as session:
            return compile_figures(session, PROFILE, april, now=NOW).to_json()

    before = figures()
    report = housekeep(store, RETENTION, now=NOW)
    assert report.evidence_removed and report.links_deleted
    assert figures() == before


def dead_pid() -> int:
    """The number of a process that has ended (and been waited for)."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_a_run_whose_process_is_gone_is_marked_interrupted_and_a_live_one_is_left(
    store: Store,
) -> None:
    with store.session() as session:
        live = create_run(session)  # this test's process: alive
        abandoned = create_run(session)
        abandoned.pid = dead_pid()
        elsewhere = create_run(session)  # another machine's process: cannot tell, left alone
        elsewhere.pid, elsewhere.hostname = dead_pid(), "another-host.example"
        finished = create_run(session)
        finished.pid, finished.state = dead_pid(), "finished"
        ids = {"live": live.id, "abandoned": abandoned.id, "elsewhere": elsewhere.id,
               "finished": finished.id}  # fmt: skip
    assert socket.gethostname() != "another-host.example" and live.pid == os.getpid()

    assert housekeep(store, RETENTION, dry_run=True).runs_interrupted == 1
    with store.session() as session:
        assert session.get_one(CrawlRun, ids["abandoned"]).state == "running"

    report = housekeep(store, RETENTION)
    assert report.runs_interrupted == 1
    assert "1 abandoned run marked interrupted (their process is gone)" in report.lines()
    with store.session() as session:
        states = {name: session.get_one(CrawlRun, i).state for name, i in ids.items()}
        assert states == {"live": "running", "abandoned": "interrupted",
                          "elsewhere": "running", "finished": "finished"}  # fmt: skip
        stats = session.get_one(CrawlRun, ids["abandoned"]).stats
        assert stats["close_reason"] == "abandoned" and stats["snapshots"] == 0
        assert "housekeeping" in stats["note"] and "was gone" in stats["note"]
        # `beian crawl --resume --run N` can still continue it
        assert resume_run(session, ids["abandoned"]).state == "running"

    assert housekeep(store, RETENTION).runs_interrupted == 0


def test_beian_db_housekeeping_prints_what_it_did(
    store: Store, db_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in list(os.environ):
        if name.startswith("BEIAN_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    env = {"BEIAN_DATABASE_URL": db_url}
    with store.session() as session:
        add_site(session, "http://a.example.cn/", "a.example.cn", name="A")
        for days in (200, 1):
            run = create_run(session, started_at=utcnow() - dt.timedelta(days=days))
            write_batch(session, run.id, snapshots=[
                {"host": "a.example.cn", "outcome": "ok", "html_gz": PAGE}
            ])  # fmt: skip
            run.state = "finished"

    dry = CliRunner().invoke(cli, ["db", "housekeeping", "--dry-run"], env=env)
    assert dry.exit_code == 0, dry.output
    assert dry.stdout.splitlines() == [
        "evidence would be removed from 1 snapshot (older than 180 days, "
        "finding evidence kept: 0 snapshots)",
        "0 stored pages would be deleted (no snapshot needs them any more)",
        "0 notice sets would be deleted (no snapshot names them)",
        "0 links would be deleted (runs older than 400 days)",
        "0 abandoned runs would be marked interrupted (their process is gone)",
        "dry run: nothing was changed",
    ]
    done = CliRunner().invoke(cli, ["db", "housekeeping", "--json"], env=env)
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout) == {
        "evidence_removed": 1, "evidence_kept": 0, "bodies_deleted": 0,
        "notice_sets_deleted": 0, "links_deleted": 0, "runs_interrupted": 0,
        "evidence_days": 180, "links_days": 400, "dry_run": False,
    }  # fmt: skip


def test_a_page_is_stored_once_and_deleted_when_no_snapshot_needs_it(store: Store) -> None:
    old_page, new_page = (
        gzip.compress(b"<p>old</p>", mtime=0),
        gzip.compress(b"<p>new</p>", mtime=0),
    )
    with store.session() as session:
        for host in ("a.example.cn", "b.example.cn"):
            add_site(session, f"http://{host}/", host, name=host)
        for days, a_page in ((200, old_page), (100, old_page), (1, new_page)):
            run = create_run(session, started_at=NOW - dt.timedelta(days=days))
            write_batch(session, run.id, snapshots=[
                {"host": "a.example.cn", "outcome": "ok", "html_gz": a_page},
                {"host": "b.example.cn", "outcome": "ok", "html_gz": PAGE},  # never changes
            ])  # fmt: skip
            run.state = "finished"
    assert database(store)["bodies"] == 3  # six snapshots, three pages
    # 90 days: the two old runs lose their evidence; a's old page goes, b's stays (run 3)
    report = housekeep(store, RetentionSettings(evidence_days=90), now=NOW)
    assert (report.evidence_removed, report.bodies_deleted) == (4, 1)
    with store.session() as session:
        kept = {body.html_gz for body in session.scalars(select(PageBody))}
        assert kept == {new_page, PAGE}
        newest = session.scalars(select(Snapshot).order_by(Snapshot.id.desc())).first()
        assert newest is not None and newest.html_gz == PAGE


def test_notices_are_stored_once_and_a_set_no_snapshot_names_goes(store: Store) -> None:
    icp = {"kind": "icp", "number": "晋ICP备05195224号-1", "valid": True, "linked": True}
    police = {"kind": "police", "number": "晋公网安备14082202563647号", "valid": True}
    with store.session() as session:
        for host in ("a.example.cn", "b.example.cn"):
            add_site(session, f"http://{host}/", host, name=host)
        for _ in range(3):  # three crawls of two sites whose footers never change
            run = create_run(session)
            write_batch(session, run.id, snapshots=[
                {"host": "a.example.cn", "outcome": "ok", "notices": [icp, police]},
                {"host": "b.example.cn", "outcome": "ok", "notices": []},
            ])  # fmt: skip
            run.state = "finished"
        # the last batch written again (a retried batch) with a's police number gone
        write_batch(session, run.id, snapshots=[
            {"host": "a.example.cn", "outcome": "ok", "notices": [icp]},
        ])  # fmt: skip
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(NoticeSet)) == 2
        assert session.scalar(select(func.count()).select_from(Notice)) == 3
        last = store_findings.notices_by_snapshot(session, run.id)
        assert [[n["number"] for n in notices] for notices in last.values()] == [[icp["number"]]]
    assert housekeep(store, RETENTION, dry_run=True).notice_sets_deleted == 0  # named by R1, R2
    with store.session() as session:
        session.execute(delete(Snapshot).where(Snapshot.run_id != run.id))
    report = housekeep(store, RETENTION)
    assert report.notice_sets_deleted == 1
    with store.session() as session:
        assert [n.number for n in session.scalars(select(Notice))] == [icp["number"]]
