"""scheduler.py: jobs from configuration, stored in the database, run once when missed,
never overlapping, recorded; one scheduler per database; a graceful stop."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from audit.config import Settings, load_settings
from audit.errors import ConfigError
from audit.ops.schedule import (
    apply_jobs,
    history,
    job_definitions,
    list_jobs,
    opened,
    run_forever,
    run_now,
)
from audit.store import SchedulerLock, Store
from audit.store.locks import DatabaseLock, LockHeld
from tests.conftest import REPO

SHANGHAI = ZoneInfo("Asia/Shanghai")


def settings_for(db_url: str, tmp_path: Path, schedule: str = "") -> Settings:
    config = tmp_path / "beian.toml"
    config.write_text(
        f'database_url = "{db_url}"\ndata_dir = "{tmp_path / "data"}"\n[schedule]\n{schedule}\n',
        "utf-8",
    )
    return load_settings(config)


def applied(settings: Settings) -> list[dict[str, Any]]:
    with opened(settings) as scheduler:
        apply_jobs(scheduler, job_definitions(settings))
    return list_jobs(settings)


def beijing(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


def test_the_default_jobs_fire_at_their_times_in_shanghai(tmp_path: Path) -> None:
    jobs = job_definitions(settings_for("sqlite:///x.db", tmp_path))
    assert list(jobs) == ["crawl", "retest", "bulletin", "housekeeping"]

    def next_fire(job: str, after: dt.datetime) -> dt.datetime:
        return jobs[job]["trigger"].get_next_fire_time(None, after).astimezone(SHANGHAI)

    # 01:30 in Beijing is 17:30 UTC the day before: the crawl is at 02:00 Beijing time
    assert next_fire("crawl", beijing(2026, 12, 1, 1, 30)) == beijing(2026, 12, 1, 2, 0)
    assert next_fire("retest", beijing(2026, 12, 1, 6, 1)) == beijing(2026, 12, 1, 12, 0)
    # the bulletin: the first of the month at 08:00, across the year boundary too
    assert next_fire("bulletin", beijing(2026, 12, 1, 8, 1)) == beijing(2027, 1, 1, 8, 0)
    assert next_fire("housekeeping", beijing(2026, 12, 2, 12)) == beijing(2026, 12, 6, 4, 30)
    # crontab's weekdays: 0 is Sunday (APScheduler 3 alone would take it for Monday)
    assert (
        jobs["housekeeping"]["trigger"].get_next_fire_time(None, beijing(2026, 12, 2)).weekday()
        == 6
    )
    assert jobs["bulletin"]["misfire_grace_time"] == 86400
    assert jobs["crawl"]["misfire_grace_time"] == 3600


def test_jobs_are_stored_once_and_keep_their_next_run_over_a_restart(
    db_url: str, tmp_path: Path
) -> None:
    settings = settings_for(db_url, tmp_path)
    first = {j["id"]: j for j in applied(settings)}
    again = {j["id"]: j for j in applied(settings)}  # a restart: no duplicate, same next runs
    assert sorted(again) == ["bulletin", "crawl", "housekeeping", "retest"]
    assert {k: j["next_run"] for k, j in again.items()} == {
        k: j["next_run"] for k, j in first.items()
    }
    assert all(j["stored"] for j in again.values())
    crawl = again["crawl"]["next_run"].astimezone(SHANGHAI)
    assert (crawl.hour, crawl.minute) == (2, 0)


def test_configuration_changes_are_applied_on_start(db_url: str, tmp_path: Path) -> None:
    applied(settings_for(db_url, tmp_path))
    changed = {
        j["id"]: j["trigger"]
        for j in applied(settings_for(db_url, tmp_path, 'crawl = "30 23 * * 1-5"\nretest = ""'))
    }
    assert sorted(changed) == ["bulletin", "crawl", "housekeeping"]
    assert "hour='23'" in changed["crawl"] and "day_of_week='mon-fri'" in changed["crawl"]
    off = 'crawl = ""\nretest = ""\nbulletin = ""\nhousekeeping = ""'
    assert applied(settings_for(db_url, tmp_path, off)) == []


@pytest.mark.parametrize(
    ("line", "message"),
    [('crawl = "every night"', "schedule.crawl"), ('timezone = "Mars/Olympus"', "time zone"),
     ('bulletin = "0 8 32 * *"', "schedule.bulletin")],
)  # fmt: skip
def test_bad_schedules_are_reported(tmp_path: Path, line: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        settings_for("sqlite:///x.db", tmp_path, line)


# ---- running, with test jobs (tests/support/schedule_jobs.py) ------------------------------


def run_until(
    settings: Settings,
    jobs: dict[str, dict[str, Any]],
    done: Callable[[], bool],
    *,
    timeout: float = 30,
    before: Callable[[], None] | None = None,
) -> None:
    """run_forever in this thread until ``done()``, then SIGTERM, as an operator would."""
    if before is not None:
        before()

    def watch(_: Any) -> None:
        def stop_when_done() -> None:
            deadline = time.monotonic() + timeout
            while not done() and time.monotonic() < deadline:
                time.sleep(0.1)
            os.kill(os.getpid(), signal.SIGTERM)

        threading.Thread(target=stop_when_done, daemon=True).start()

    run_forever(settings, jobs=jobs, on_started=watch)


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def record_job(path: Path, trigger: Any, grace: int = 3600, func: str = "record") -> dict:  # type: ignore[type-arg]
    return {"func": f"tests.support.schedule_jobs:{func}", "kwargs": {"path": str(path)},
            "trigger": trigger, "name": func, "misfire_grace_time": grace}  # fmt: skip


def test_runs_missed_while_down_are_caught_up_exactly_once(db_url: str, tmp_path: Path) -> None:
    settings = settings_for(db_url, tmp_path)
    ran = tmp_path / "ran.txt"
    every_minute = record_job(ran, CronTrigger.from_crontab("* * * * *", timezone=SHANGHAI))
    due = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0) - dt.timedelta(minutes=5)

    def down_for_five_minutes() -> None:  # the job store says the run was due 5 minutes ago
        with opened(settings) as scheduler:
            scheduler.add_job(id="tick", next_run_time=due, **every_minute)

    started = dt.datetime.now(dt.UTC)
    run_until(settings, {"tick": every_minute}, lambda: len(lines(ran)) >= 1,
              before=down_for_five_minutes)  # fmt: skip
    time.sleep(0.5)
    assert len(lines(ran)) == 1  # five missed runs, coalesced into one
    with Store(settings.database_url) as store:
        [run] = history(store, "tick")
    assert run["outcome"] == "succeeded" and run["trigger"] == "schedule"
    assert run["scheduled_at"] > due  # the latest missed time, not the first
    # the next run is the one after the catch-up (not "after now": the scheduler is
    # stopped, and a minute may have turned since)
    [job] = list_jobs(settings)
    assert job["next_run"] > started


def test_a_run_missed_beyond_its_grace_is_recorded_not_run(db_url: str, tmp_path: Path) -> None:
    settings = settings_for(db_url, tmp_path)
    ran = tmp_path / "ran.txt"
    daily = record_job(ran, CronTrigger.from_crontab("0 3 * * *", timezone=SHANGHAI), grace=60)
    due = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)

    def down_for_two_hours() -> None:
        with opened(settings) as scheduler:
            scheduler.add_job(id="daily", next_run_time=due, **daily)

    def recorded() -> bool:
        with Store(settings.database_url) as store:
            return bool(history(store, "daily"))

    run_until(settings, {"daily": daily}, recorded, before=down_for_two_hours)
    assert lines(ran) == []
    with Store(settings.database_url) as store:
        [run] = history(store, "daily")
    assert run["outcome"] == "missed" and "grace" in run["error"]


def test_a_job_never_overlaps_itself(db_url: str, tmp_path: Path) -> None:
    settings = settings_for(db_url, tmp_path)
    ran = tmp_path / "ran.txt"
    job = {"func": "tests.support.schedule_jobs:slow", "kwargs": {"path": str(ran), "seconds": 1.5},
           "trigger": IntervalTrigger(seconds=0.5), "name": "slow",
           "misfire_grace_time": 60}  # fmt: skip

    def two_runs_ended() -> bool:
        return sum(line.startswith("end") for line in lines(ran)) >= 2

    run_until(settings, {"slow": job}, two_runs_ended)
    events = [line.split()[0] for line in lines(ran)]
    assert events[:4] == ["start", "end", "start", "end"]  # one at a time
    with Store(settings.database_url) as store:
        outcomes = {run["outcome"] for run in history(store, "slow", limit=100)}
    assert "skipped" in outcomes  # the runs due meanwhile were skipped, and recorded


def test_a_failing_job_is_recorded_and_the_scheduler_goes_on(db_url: str, tmp_path: Path) -> None:
    settings = settings_for(db_url, tmp_path)
    ran = tmp_path / "ran.txt"
    failing = record_job(ran, IntervalTrigger(seconds=0.5), func="fail")
    run_until(settings, {"fail": failing}, lambda: len(lines(ran)) >= 3)
    with Store(settings.database_url) as store:
        runs = [r for r in history(store, "fail") if r["outcome"] != "running"]
    assert len(runs) >= 2 and {r["outcome"] for r in runs} == {"failed"}
    assert runs[0]["error"] == "RuntimeError: boom"


def test_run_now_runs_a_job_in_the_foreground_and_records_it(db_url: str, tmp_path: Path) -> None:
    settings = settings_for(db_url, tmp_path, 'crawl = ""')
    outcome, _ = run_now(settings, "housekeeping")
    assert outcome == "succeeded"
    with Store(settings.database_url) as store:
        [run] = history(store, "housekeeping")
    assert run["trigger"] == "run-now" and run["outcome"] == "succeeded" and run["finished_at"]


def test_the_bulletin_job_issues_last_months_bulletin(db_url: str, tmp_path: Path) -> None:
    from audit.bulletin import month_before
    from audit.bulletin.numbering import list_issues
    from audit.bulletin.period import parse_month
    from audit.store.crawls import create_run, finish_run

    settings = settings_for(db_url, tmp_path)
    month = month_before(dt.datetime.now(dt.UTC))
    # a month no crawl ran in: nothing to report, the job says so and issues nothing
    outcome, detail = run_now(settings, "bulletin")
    assert outcome == "skipped" and detail is not None
    assert f"no crawl run is dated in {month}" in detail and "--force" in detail
    with Store(settings.database_url) as store, store.session() as session:
        run = create_run(session, started_at=parse_month(month).start + dt.timedelta(days=14))
        finish_run(session, run.id, "finished", {})
    outcome, detail = run_now(settings, "bulletin")
    assert outcome == "succeeded" and detail is not None and month in detail
    with Store(settings.database_url) as store, store.session() as session:
        [issued] = list_issues(session)
        assert issued.period == month and issued.number == 1


# ---- one scheduler per database ----------------------------------------------------------


def test_a_second_scheduler_is_refused_naming_the_first(db_url: str, tmp_path: Path) -> None:
    with Store(db_url) as store:
        first = DatabaseLock(store).acquire()
        with pytest.raises(LockHeld) as refused:
            DatabaseLock(store).acquire()
        assert f"process {os.getpid()} on {socket.gethostname()}" in str(refused.value)
        first.release()
        DatabaseLock(store).acquire().release()  # free again


def test_a_lock_left_by_a_dead_process_is_taken_over(db_url: str, tmp_path: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    now = dt.datetime.now(dt.UTC)
    with Store(db_url) as store:
        with store.session() as session:  # a scheduler killed with kill -9 a second ago
            session.add(SchedulerLock(name="scheduler", token="old", pid=dead.pid,
                                      hostname=socket.gethostname(), acquired_at=now,
                                      heartbeat_at=now))  # fmt: skip
        lock = DatabaseLock(store).acquire()
        assert lock.took_over is not None and lock.took_over.pid == dead.pid
        assert lock.heartbeat()
        lock.release()


def test_a_stale_lock_whose_pid_lives_again_is_taken_over(db_url: str) -> None:
    now = dt.datetime.now(dt.UTC)
    with Store(db_url) as store:
        with store.session() as session:  # after a reboot the old pid is another process's
            session.add(SchedulerLock(name="scheduler", token="old", pid=1,
                                      hostname=socket.gethostname(), acquired_at=now,
                                      heartbeat_at=now - dt.timedelta(hours=1)))  # fmt: skip
        lock = DatabaseLock(store, stale_after=90).acquire()
        assert lock.took_over is not None and lock.took_over.pid == 1


def test_another_machines_lock_is_taken_over_only_once_stale(db_url: str) -> None:
    now = dt.datetime.now(dt.UTC)
    with Store(db_url) as store:
        with store.session() as session:
            session.add(SchedulerLock(name="scheduler", token="far", pid=1,
                                      hostname="other-host", acquired_at=now,
                                      heartbeat_at=now - dt.timedelta(seconds=30)))  # fmt: skip
        with pytest.raises(LockHeld, match="process 1 on other-host"):
            DatabaseLock(store, stale_after=90).acquire()
        lock = DatabaseLock(store, stale_after=90).acquire(now + dt.timedelta(seconds=120))
        assert lock.took_over is not None and lock.took_over.hostname == "other-host"
        # the old holder, back from a pause, finds the lock is no longer its own
        old = DatabaseLock(store)
        old.token = "far"
        assert not old.heartbeat()


# ---- the real thing: python scheduler.py ---------------------------------------------------


def scheduler_process(tmp_path: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(REPO / "scheduler.py")], cwd=tmp_path, env=env,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def wait_for(process: subprocess.Popen[str], text: str, timeout: float = 30) -> list[str]:
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stderr.readline()  # type: ignore[union-attr]
        if not line and process.poll() is not None:
            break
        seen.append(line)
        if text in line:
            return seen
    raise AssertionError(f"{text!r} not seen: {''.join(seen)[-3000:]}")


def clean_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BEIAN_")}
    env["BEIAN_DATABASE_URL"] = f"sqlite:///{tmp_path / 'beian.db'}"
    return env


def test_scheduler_py_survives_kill_9_and_refuses_a_second_instance(tmp_path: Path) -> None:
    env = clean_env(tmp_path)
    first = scheduler_process(tmp_path, env)
    try:
        started = wait_for(first, "Resumed scheduler job processing")
        assert any("job crawl" in line and "+08:00" in line for line in started), started
        jobs = subprocess.run([sys.executable, "-m", "audit", "schedule", "jobs", "--json"],
                              cwd=tmp_path, env=env, capture_output=True, text=True)  # fmt: skip
        before = {j["id"]: j["next_run"] for j in json.loads(jobs.stdout)}
        assert set(before) == {"crawl", "retest", "bulletin", "housekeeping"}

        second = subprocess.run([sys.executable, str(REPO / "scheduler.py")], cwd=tmp_path,
                                env=env, capture_output=True, text=True, timeout=60)  # fmt: skip
        assert second.returncode == 1
        assert f"process {first.pid} on {socket.gethostname()}" in second.stderr

        first.kill()  # kill -9: no clean-up, the lock stays behind
        first.wait()
        again = scheduler_process(tmp_path, env)
        try:
            wait_for(again, "Resumed scheduler job processing")
            jobs = subprocess.run(
                [sys.executable, "-m", "audit", "schedule", "jobs", "--json"],
                cwd=tmp_path, env=env, capture_output=True, text=True,
            )  # fmt: skip
            assert {j["id"]: j["next_run"] for j in json.loads(jobs.stdout)} == before
            again.send_signal(signal.SIGTERM)
            assert again.wait(timeout=30) == 0
        finally:
            again.kill()
    finally:
        first.kill()


@pytest.mark.crawl
def test_sigterm_during_a_scheduled_crawl_stops_it_gracefully(tmp_path: Path) -> None:
    """The crawl runs in a child process; SIGTERM to the scheduler stops it, its run is
    marked interrupted (the next crawl job resumes it), and the history says so."""
    from sqlalchemy import func, select

    from audit.demo.testbed import generate, start_server_process
    from audit.intake.inventory import import_inventory
    from audit.ops.jobs import _interrupted_run
    from audit.store import CrawlRun, JobRun, Snapshot

    testbed = generate(load_settings(None).profile, 30, seed=0)  # one slow site among them
    testbed.write(tmp_path / "testbed")
    server, port = start_server_process(30, seed=0, slow_seconds=120)
    env = clean_env(tmp_path)
    config = tmp_path / "beian.toml"
    config.write_text(
        f'database_url = "{env.pop("BEIAN_DATABASE_URL")}"\n'
        f'[crawl]\nproxy = "http://127.0.0.1:{port}"\ntimeout = 8\nbatch_size = 5\n'
        '[schedule]\nretest = ""\nbulletin = ""\nhousekeeping = ""\n',
        "utf-8",
    )
    env["BEIAN_CONFIG"] = str(config)
    settings = load_settings(config)
    try:
        with Store(settings.database_url) as store:
            import_inventory(store, tmp_path / "testbed" / "inventory.csv")
        with opened(settings) as scheduler:  # the nightly crawl is due: it runs at once
            due = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
            definition = job_definitions(settings)["crawl"]
            scheduler.add_job(id="crawl", next_run_time=due, **definition)
        log = tmp_path / "scheduler.log"
        process = subprocess.Popen(
            [sys.executable, str(REPO / "scheduler.py")], cwd=tmp_path, env=env,
            stderr=log.open("w"), text=True,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 90
            with Store(settings.database_url) as store:
                while time.monotonic() < deadline:  # the crawl is under way: 20 sites done
                    with store.session() as session:
                        done = session.scalar(select(func.count()).select_from(Snapshot)) or 0
                    if done >= 20:
                        break
                    time.sleep(0.3)
            assert done >= 20, log.read_text()[-3000:]
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=90) == 0
        finally:
            process.kill()
        with Store(settings.database_url) as store, store.session() as session:
            run = session.scalars(select(CrawlRun)).one()
            assert run.state == "interrupted" and run.trigger == "scheduled"
            job_run = session.scalars(select(JobRun).where(JobRun.job_id == "crawl")).one()
            assert job_run.outcome == "interrupted" and job_run.finished_at is not None
        assert _interrupted_run(str(config)) == run.id  # the next crawl job resumes it
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_jobs_stored_under_their_old_import_path_still_resolve() -> None:
    """A job store written before the jobs moved to audit.ops.jobs names audit.jobs:crawl;
    the scheduler still finds it, and rewrites it with the new path when it applies the
    configuration (the path differs, so the job is replaced)."""
    from apscheduler.util import ref_to_obj

    from audit.ops import jobs

    for name in ("crawl", "retest", "bulletin", "housekeeping"):
        assert ref_to_obj(f"audit.jobs:{name}") is getattr(jobs, name)
