"""The service layer, as its callers use it: `beian crawl`, the scheduler's jobs and the
demo all crawl and audit through ``audit.services`` and get a typed outcome back."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from audit.config import Settings, load_builtin_profile, load_settings
from audit.demo.testbed import TestbedServer, generate
from audit.findings.audit import AuditSummary
from audit.intake.inventory import import_inventory
from audit.services import CrawlChild, CrawlRequest, CrawlState, crawl_and_audit
from audit.store import CrawlRun, Snapshot, Store
from audit.store.locks import DatabaseLock
from audit.store.sites import add_site
from tests.conftest import REPO


def settings_for(db_url: str, tmp_path: Path) -> Settings:
    return load_settings(None, database_url=db_url, data_dir=str(tmp_path / "data"))


def test_a_retest_with_no_site_being_fixed_does_nothing(store: Store, tmp_path: Path) -> None:
    settings = settings_for(str(store.engine.url.render_as_string(False)), tmp_path)
    outcome = crawl_and_audit(settings, CrawlRequest(retest=True))
    assert outcome.state is CrawlState.NOTHING_TO_DO and outcome.exit_code == 0
    assert "nothing to re-test" in outcome.message
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(CrawlRun)) == 0


def test_a_crawl_while_another_runs_is_busy_and_starts_nothing(
    store: Store, tmp_path: Path
) -> None:
    settings = settings_for(str(store.engine.url.render_as_string(False)), tmp_path)
    with store.session() as session:
        add_site(session, "http://www.example.gov.cn/", "www.example.gov.cn")
    lock = DatabaseLock(store, "crawl").acquire()
    try:
        outcome = crawl_and_audit(settings, CrawlRequest())
    finally:
        lock.release()
    assert outcome.state is CrawlState.BUSY and outcome.exit_code == 5
    assert "another crawl is running against this database" in outcome.message
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(CrawlRun)) == 0


@pytest.mark.crawl
def test_a_crawl_in_a_child_process_returns_its_run_and_audit(tmp_path: Path) -> None:
    testbed = generate(load_builtin_profile("yuncheng"), 30, seed=5, page_kb=(4, 8))
    _, inventory = testbed.write(tmp_path)
    db_url = f"sqlite:///{tmp_path / 'beian.db'}"
    with Store(db_url) as store, TestbedServer(testbed, slow_seconds=8) as server:
        import_inventory(store, inventory)
        request = CrawlRequest(proxy=server.url, max_pages=1, discover=False)
        outcome = CrawlChild(settings_for(db_url, tmp_path), request).wait()
        with store.session() as session:
            snapshots = session.scalar(
                select(func.count()).where(Snapshot.run_id == outcome.run_id)
            )
    assert outcome.state is CrawlState.FINISHED and outcome.exit_code == 0
    assert outcome.summary["sites"] == snapshots == sum(s.in_inventory for s in testbed.sites)
    assert isinstance(outcome.audit, AuditSummary) and outcome.audit.run_id == outcome.run_id
    assert outcome.summary["audit"] == outcome.audit.to_json()


@pytest.mark.crawl
def test_scrapy_crawl_sites_records_a_run_as_beian_crawl_does(tmp_path: Path) -> None:
    """A Scrapy user's way in: the RunRecorder extension opens and finishes the run, the
    pipeline stores the snapshots; the spider only fetches and reads."""
    testbed = generate(load_builtin_profile("yuncheng"), 20, seed=6, page_kb=(4, 8))
    _, inventory = testbed.write(tmp_path)
    db_url = f"sqlite:///{tmp_path / 'beian.db'}"
    with Store(db_url) as store, TestbedServer(testbed, slow_seconds=8) as server:
        import_inventory(store, inventory)
        env = {**os.environ, "BEIAN_DATABASE_URL": db_url, "BEIAN_CRAWL__PROXY": server.url,
               "BEIAN_CRAWL__TIMEOUT": "4", "BEIAN_DATA_DIR": str(tmp_path / "data")}  # fmt: skip
        done = subprocess.run(
            [sys.executable, "-m", "scrapy", "crawl", "sites", "-a", "max_pages=1"],
            cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-3000:]
        with store.session() as session:
            run = session.scalars(select(CrawlRun)).one()
            snapshots = session.scalar(select(func.count()).where(Snapshot.run_id == run.id))
    assert run.state == "finished" and run.options["max_pages"] == 1
    assert snapshots == sum(s.in_inventory for s in testbed.sites)
    assert run.stats["snapshots"] == snapshots and run.stats["close_reason"] == "finished"
