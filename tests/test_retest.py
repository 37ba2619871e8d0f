"""The re-test: which sites `beian crawl --retest` visits, what the audit of such a partial
run changes (only the findings of its sites), and the loop on real crawls: notify → the
unit fixes its site → the next crawl re-tests and resolves; a false positive does not come
back. The testbed's epoch 1 is "a month later"."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from audit.cli import cli
from audit.config import load_builtin_profile
from audit.demo.testbed import Testbed, TestbedServer, generate
from audit.demo.testbed.expected import expected_rules
from audit.findings.review import events_of, review_finding
from audit.intake.inventory import import_inventory
from audit.store import CrawlRun, Finding, FindingEvent, Site, Store
from audit.store.findings import retest_hosts
from tests.conftest import REPO
from tests.support.bulletin_world import World, beijing, footer

NO_ICP = footer(1, icp=False)
NO_NUMBERS = footer(2, icp=False, police=False)


def findings_by_host(store: Store) -> dict[str, list[dict[str, Any]]]:
    """Every finding of every site, all columns, to see what an audit touched."""
    found: dict[str, list[dict[str, Any]]] = {}
    with store.session() as session:
        rows = session.execute(
            select(Site.host, Finding).join(Site, Site.id == Finding.site_id).order_by(Finding.id)
        )
        for host, finding in rows:
            columns = {c.key: getattr(finding, c.key) for c in Finding.__table__.columns}
            found.setdefault(host, []).append(columns)
    return found


def test_retest_hosts_are_the_sites_whose_units_are_fixing_something(store: Store) -> None:
    world = World(store)
    hosts = ["notified.cn", "inspected.cn", "rectifying.cn", "new.cn", "confirmed.cn",
             "fixed.cn", "dismissed.cn", "accepted.cn", "removed.cn"]  # fmt: skip
    for host in hosts:
        world.site(host, "盐湖区")
    october = beijing(2026, 10, 1)
    world.crawl(october, dict.fromkeys(hosts, NO_ICP) | {"notified.cn": NO_NUMBERS})
    day = october + dt.timedelta(days=1)
    deadline = dt.date(2026, 10, 31)
    for host in ("notified.cn", "inspected.cn", "rectifying.cn", "confirmed.cn", "fixed.cn",
                 "removed.cn"):  # fmt: skip
        world.review(day, host, "confirmed")
    for host in ("notified.cn", "rectifying.cn", "fixed.cn", "removed.cn"):
        world.review(day, host, "notified", deadline=deadline)
    world.review(day, "inspected.cn", "inspected")
    world.review(day, "rectifying.cn", "rectifying")
    world.review(day, "dismissed.cn", "false_positive")
    with store.session() as session:  # accepted until a date: not being fixed
        accepted = session.scalars(
            select(Finding.id).join(Site, Site.id == Finding.site_id)
            .where(Site.host == "accepted.cn")
        ).one()  # fmt: skip
        review_finding(session, accepted, "accepted_risk", until=deadline, actor="analyst",
                       on=day.date(), at=day)  # fmt: skip
    # fixed.cn fixed its footer: the next crawl resolved it (state and review state)
    world.crawl(day, {"fixed.cn": footer(3)})
    # removed.cn was taken out of the inventory; a crawl already under way saw it again
    # and reopened its finding (still notified): removed, it is not re-tested all the same
    world.retire(day + dt.timedelta(hours=1), "removed.cn")
    world.crawl(day + dt.timedelta(hours=2), {"removed.cn": NO_ICP})

    with store.session() as session:
        removed = session.scalars(
            select(Finding).join(Site, Site.id == Finding.site_id).where(Site.host == "removed.cn")
        ).one()  # fmt: skip
        assert (removed.state, removed.review_state) == ("open", "notified")
        # notified.cn has two findings being fixed: listed once
        assert retest_hosts(session) == ["inspected.cn", "notified.cn", "rectifying.cn"]


def test_the_audit_of_a_retest_run_leaves_the_other_sites_alone(store: Store) -> None:
    """A re-test run holds snapshots of the notified sites only: its audit resolves what
    they fixed, and does not touch the findings of the sites it did not visit."""
    world = World(store)
    for host in ("notified.cn", "waiting.cn", "other.cn"):
        world.site(host, "盐湖区")
    first = world.crawl(beijing(2026, 10, 1), {
        "notified.cn": NO_ICP, "waiting.cn": NO_ICP, "other.cn": NO_NUMBERS,
    })  # fmt: skip
    world.review(beijing(2026, 10, 2), "notified.cn", "confirmed")
    world.review(beijing(2026, 10, 2), "notified.cn", "notified", deadline=dt.date(2026, 10, 31))
    with store.session() as session:
        assert retest_hosts(session) == ["notified.cn"]
    before = findings_by_host(store)

    # Both notified.cn and waiting.cn fixed their footers; the re-test visits notified.cn.
    retest = world.crawl(beijing(2026, 10, 10), {"notified.cn": footer(1)})

    after = findings_by_host(store)
    [fixed] = after["notified.cn"]
    assert (fixed["state"], fixed["review_state"]) == ("resolved", "resolved")
    assert fixed["resolved_run_id"] == retest
    with store.session() as session:
        last = events_of(session, fixed["id"])[-1]
        assert last.actor == "audit" and "the unit fixed it" in (last.note or "")
        assert retest_hosts(session) == []
    # the sites the re-test did not visit: every finding as it was, no new event
    assert after["waiting.cn"] == before["waiting.cn"]
    assert after["other.cn"] == before["other.cn"]
    assert {f["last_seen_run_id"] for f in after["waiting.cn"] + after["other.cn"]} == {first}
    with store.session() as session:
        others = [f["id"] for f in after["waiting.cn"] + after["other.cn"]]
        kinds = session.scalars(
            select(FindingEvent.kind).where(FindingEvent.finding_id.in_(others))
        )
        assert set(kinds) == {"opened"}

    # The next full crawl sees that waiting.cn was fixed too.
    world.crawl(beijing(2026, 10, 11), {
        "notified.cn": footer(1), "waiting.cn": footer(2), "other.cn": NO_NUMBERS,
    })  # fmt: skip
    [waiting] = findings_by_host(store)["waiting.cn"]
    assert (waiting["state"], waiting["review_state"]) == ("resolved", "new")


# ---- the command line ---------------------------------------------------------------------


@pytest.fixture
def beian(db_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):  # type: ignore[no-untyped-def]
    for name in list(os.environ):
        if name.startswith("BEIAN_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("BEIAN_DATABASE_URL", db_url)
    monkeypatch.chdir(tmp_path)
    return lambda *args: CliRunner().invoke(cli, list(args))


def test_crawl_retest_with_nothing_being_fixed_starts_no_crawl(store: Store, beian: Any) -> None:
    world = World(store)
    world.site("new.cn", "盐湖区")
    world.crawl(beijing(2026, 10, 1), {"new.cn": NO_ICP})  # an open finding, not notified

    result = beian("crawl", "--retest")
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert result.stderr.strip() == (
        "nothing to re-test: no open finding is notified, inspected or rectifying"
    )
    as_json = beian("crawl", "--retest", "--json")
    assert as_json.exit_code == 0, as_json.output
    assert json.loads(as_json.stdout) == {"run_id": None, "sites": 0, "retest": True}
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(CrawlRun)) == 1  # no new run


@pytest.mark.parametrize("other", [["--site", "a.cn"], ["--resume"]], ids=" ".join)
def test_crawl_retest_chooses_the_sites_itself(beian: Any, other: list[str]) -> None:
    result = beian("crawl", "--retest", *other)
    assert result.exit_code == 2
    assert "--retest chooses the sites itself: it cannot go with --site or --resume" in (
        result.stderr
    )


# ---- real crawls of the testbed -----------------------------------------------------------


def crawl(proxy: str, db_url: str, *args: str) -> dict:  # type: ignore[type-arg]
    env = {k: v for k, v in os.environ.items() if not k.startswith("BEIAN_")}
    result = subprocess.run(
        [sys.executable, "-m", "audit", "crawl", "--proxy", proxy, "--timeout", "4",
         "--max-pages", "1", "--no-progress", "--json", *args],
        env={**env, "BEIAN_DATABASE_URL": db_url}, cwd=REPO,
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)


def fixed_at_epoch_1(testbed: Testbed) -> list[str]:
    """Inventory sites that show no valid ICP number at first and one a month later."""
    later = testbed.at_epoch(1)
    return [
        host for host in later.changed_since(0)
        if later.site(host).expected["icp"] and testbed.site(host).in_inventory
        and icp_rule(testbed, host) is not None
    ]  # fmt: skip


def icp_rule(testbed: Testbed, host: str) -> str | None:
    """The finding of a site without a valid ICP number: BA101 none shown, or BA102 a
    malformed one (one problem, one finding)."""
    rules = expected_rules(asdict(testbed.site(host)))
    return next((code for code in ("BA102", "BA101") if code in rules), None)


def finding_of(session: Any, host: str, rule: str | None) -> Finding:
    return session.scalars(
        select(Finding).join(Site, Site.id == Finding.site_id)
        .where(Site.host == host, Finding.rule == rule)
    ).one()  # fmt: skip


@pytest.mark.crawl
def test_a_notified_site_that_fixes_its_footer_is_resolved_by_the_next_crawl(
    tmp_path: Path,
) -> None:
    testbed = generate(load_builtin_profile("yuncheng"), 120, seed=11, page_kb=(8, 20))
    fixed_hosts = fixed_at_epoch_1(testbed)
    assert fixed_hosts, "the testbed fixes some footers at epoch 1"
    _, inventory = testbed.write(tmp_path)
    db_url = f"sqlite:///{tmp_path / 'beian.db'}"
    with Store(db_url) as store, TestbedServer(testbed, slow_seconds=8) as server:
        import_inventory(store, inventory)
        crawl(server.url, db_url)
        deadline = dt.date.today() + dt.timedelta(days=15)
        with store.session() as session:
            notified = finding_of(session, fixed_hosts[0], icp_rule(testbed, fixed_hosts[0]))
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


@pytest.mark.crawl
def test_crawl_retest_visits_only_the_sites_being_fixed(tmp_path: Path) -> None:
    testbed = generate(load_builtin_profile("yuncheng"), 40, seed=11, page_kb=(8, 20))
    notified_host, unnotified_host = fixed_at_epoch_1(testbed)[:2]
    _, inventory = testbed.write(tmp_path)
    db_url = f"sqlite:///{tmp_path / 'beian.db'}"
    with Store(db_url) as store, TestbedServer(testbed, slow_seconds=8) as server:
        import_inventory(store, inventory)
        first = crawl(server.url, db_url)
        with store.session() as session:
            notified = finding_of(session, notified_host, icp_rule(testbed, notified_host))
            review_finding(session, notified.id, "confirmed", actor="analyst")
            review_finding(session, notified.id, "notified", actor="analyst",
                           deadline=dt.date.today() + dt.timedelta(days=15))  # fmt: skip

        server.set_epoch(1)  # both units fixed their footers; one was notified
        retest = crawl(server.url, db_url, "--retest")

        assert retest["retest"] is True and retest["sites"] == 1
        assert retest["audit"]["resolved"].get(icp_rule(testbed, notified_host)) == 1
        with store.session() as session:
            run = session.get_one(CrawlRun, retest["run_id"])
            assert run.options["hosts"] == [notified_host]
            notified = finding_of(session, notified_host, icp_rule(testbed, notified_host))
            assert (notified.state, notified.review_state) == ("resolved", "resolved")
            assert notified.resolved_run_id == retest["run_id"]
            waiting = finding_of(session, unnotified_host, icp_rule(testbed, unnotified_host))
            assert waiting.state == "open" and waiting.last_seen_run_id == first["run_id"]
