"""scheduler.py: jobs from configuration, stored in the database, applied without duplicates."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from audit.config import load_settings
from audit.errors import ConfigError
from audit.schedule import apply_jobs, build_scheduler, list_jobs
from tests.conftest import REPO


def settings_for(db_url: str, tmp_path: Path, schedule: str = "") -> object:
    config = tmp_path / "beian.toml"
    config.write_text(f'database_url = "{db_url}"\n[schedule]\n{schedule}\n', "utf-8")
    return load_settings(config)


def applied(settings: object) -> list[dict]:  # type: ignore[type-arg]
    scheduler = build_scheduler(settings)  # type: ignore[arg-type]
    scheduler.start(paused=True)
    try:
        apply_jobs(scheduler, settings)  # type: ignore[arg-type]
    finally:
        scheduler.shutdown(wait=False)
    return list_jobs(settings)  # type: ignore[arg-type]


def test_the_nightly_crawl_is_stored_once_with_its_next_run_in_shanghai(
    db_url: str, tmp_path: Path
) -> None:
    settings = settings_for(db_url, tmp_path)
    first = applied(settings)
    again = applied(settings)  # a restart: no duplicate, same next run
    assert [j["id"] for j in again] == ["crawl"]
    assert again[0]["next_run"] == first[0]["next_run"]
    next_run = again[0]["next_run"]
    local = next_run.astimezone(ZoneInfo("Asia/Shanghai"))
    assert (local.hour, local.minute) == (2, 0)
    assert next_run - dt.datetime.now(dt.UTC) <= dt.timedelta(days=1)


def test_configuration_changes_are_applied_on_start(db_url: str, tmp_path: Path) -> None:
    applied(settings_for(db_url, tmp_path))
    changed = applied(settings_for(db_url, tmp_path, 'crawl = "30 23 * * 1-5"'))
    assert "hour='23'" in changed[0]["trigger"] and "day_of_week='1-5'" in changed[0]["trigger"]
    assert applied(settings_for(db_url, tmp_path, 'crawl = ""')) == []


@pytest.mark.parametrize(
    ("line", "message"),
    [('crawl = "every night"', "schedule.crawl"), ('timezone = "Mars/Olympus"', "time zone")],
)
def test_bad_schedules_are_reported(tmp_path: Path, line: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        settings_for("sqlite:///x.db", tmp_path, line)


def test_python_scheduler_py_starts_and_stops_on_sigterm(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BEIAN_")}
    env["BEIAN_DATABASE_URL"] = f"sqlite:///{tmp_path / 'beian.db'}"
    process = subprocess.Popen(
        [sys.executable, str(REPO / "scheduler.py")], cwd=tmp_path, env=env,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        lines = []
        while time.monotonic() < deadline:
            line = process.stderr.readline()  # type: ignore[union-attr]
            lines.append(line)
            if "Resumed scheduler job processing" in line:
                break
        assert any("job crawl" in line and "+08:00" in line for line in lines), lines
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        process.kill()
