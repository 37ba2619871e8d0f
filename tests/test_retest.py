"""The loop on real crawls: notify → the unit fixes its site → the next crawl re-tests and
resolves; a false positive does not come back. The testbed's epoch 1 is "a month later"."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from audit.config import load_builtin_profile
from audit.inventory import import_inventory
from audit.review import events_of, review_finding
from audit.store import Finding, Site, Store
from audit.testbed import TestbedServer, generate
from tests.conftest import REPO

pytestmark = pytest.mark.crawl


def crawl(proxy: str, db_url: str) -> dict:  # type: ignore[type-arg]
    env = {k: v for k, v in os.environ.items() if not k.startswith("BEIAN_")}
    result = subprocess.run(
        [sys.executable, "-m", "audit", "crawl", "--proxy", proxy, "--timeout", "2",
         "--max-pages", "1", "--no-progress", "--json"],
        env={**env, "BEIAN_DATABASE_URL": db_url}, cwd=REPO,
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)


def test_a_notified_site_that_fixes_its_footer_is_resolved_by_the_next_crawl(
    tmp_path: Path,
) -> None:
    testbed = generate(load_builtin_profile("yuncheng"), 120, seed=11, page_kb=(8, 20))
    fixed_hosts = [
        host for host in testbed.at_epoch(1).changed_since(0)
        if testbed.at_epoch(1).site(host).expected["icp"] and not testbed.site(host).expected["icp"]
        and testbed.site(host).in_inventory and testbed.site(host).expected["outcome"] == "ok"
    ]  # fmt: skip
    assert fixed_hosts, "the testbed fixes some footers at epoch 1"
    _, inventory = testbed.write(tmp_path)
    db_url = f"sqlite:///{tmp_path / 'beian.db'}"
    with Store(db_url) as store, TestbedServer(testbed, slow_seconds=8) as server:
        import_inventory(store, inventory)
        crawl(server.url, db_url)
        deadline = dt.date.today() + dt.timedelta(days=15)
        with store.session() as session:
            notified = session.scalars(
                select(Finding).join(Site, Site.id == Finding.site_id)
                .where(Site.host == fixed_hosts[0], Finding.rule == "BA101")
            ).one()  # fmt: skip
            review_finding(session, notified.id, "confirmed", actor="analyst")
            review_finding(session, notified.id, "notified", deadline=deadline, actor="analyst",
                           note="督促整改")  # fmt: skip
            unchanged = set(testbed.hosts()) - set(testbed.at_epoch(1).changed_since(0))
            dismissed = session.scalars(
                select(Finding).join(Site, Site.id == Finding.site_id)
                .where(Site.host.in_(unchanged), Finding.rule == "BA111")
                .limit(1)
            ).one()  # fmt: skip
            review_finding(session, dismissed.id, "false_positive", actor="analyst",
                           note="filed under the parent unit's number")  # fmt: skip
            notified_id, dismissed_id = notified.id, dismissed.id

        server.set_epoch(1)  # a month later: some units fixed their footers
        second = crawl(server.url, db_url)

        with store.session() as session:
            notified = session.get_one(Finding, notified_id)
            assert notified.state == "resolved"
            assert notified.review_state == "resolved"
            last = events_of(session, notified_id)[-1]
            assert last.actor == "audit" and "the unit fixed it" in (last.note or "")
            assert last.run_id == second["run_id"]
            dismissed = session.get_one(Finding, dismissed_id)
            assert dismissed.review_state == "false_positive"  # not back as new
            assert [e.kind for e in events_of(session, dismissed_id)] == ["opened", "review"]
        assert second["audit"]["suppressed"].get("BA111", 0) >= 1
