"""Footers kept in other files, and pages that need a browser, crawled without one.

A frameset, an iframe footer, a footer script (document.write) and a jQuery .load() footer,
in UTF-8 and GBK, are read through their includes; a footer assembled by a script that only
a browser could run is *unverified* (BA100), never "no ICP number" (BA101).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from audit.demo.testbed import generate
from audit.demo.testbed.hostile import HostileServer, hostile_sites
from audit.intake.inventory import import_inventory
from audit.store import Finding, Notice, Site, Snapshot, Store
from tests.test_faults import PROFILE, TIMEOUT, add_sites, beian, crawl_args, snapshots

INCLUDED = ["frameset", "iframe-footer", "script-footer", "script-footer-gbk", "load-footer",
            "load-footer-gbk"]  # fmt: skip


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, int, dict]]:
    """The include kinds and 60 ordinary testbed sites (some with footers written by
    scripts), crawled with rendering off: a machine without Chromium."""
    work = tmp_path_factory.mktemp("reading")
    testbed = generate(PROFILE, 60, seed=5, page_kb=(8, 20))
    sites = hostile_sites(INCLUDED)
    db_url = f"sqlite:///{work / 'beian.db'}"
    with HostileServer(testbed, sites, slow_seconds=TIMEOUT * 4) as server:
        manifest, inventory = testbed.write(work)
        with Store(db_url) as store:
            import_inventory(store, inventory)
            add_sites(store, work, {f"http://{s.host}/": s.kind for s in sites})
            command = beian(work, db_url, *crawl_args(proxy=server.url), BEIAN_CRAWL__RENDER="off")
            assert command.status == 0, command.stderr[-3000:]
            run_id = json.loads(command.stdout)["run_id"]
            yield (
                store,
                run_id,
                {
                    "kinds": {s.host: s.kind for s in sites},
                    "manifest": json.loads(Path(manifest).read_text("utf-8")),
                },
            )


def test_footers_in_frames_scripts_and_fragments_are_read_without_a_browser(
    crawled: tuple[Store, int, dict],
) -> None:
    store, run_id, world = crawled
    got = snapshots(store, run_id)
    with store.session() as session:
        shown = {
            (host, kind): details.get("included_from")
            for host, kind, details in session.execute(
                select(Site.host, Notice.kind, Notice.details)
                .join(Snapshot, Snapshot.site_id == Site.id)
                .join(Notice, Notice.set_id == Snapshot.notice_set_id)
                .where(Snapshot.run_id == run_id)
            )
        }
        findings = set(session.scalars(select(Finding.site_id)))
        ids = {s.host: s.id for s in session.scalars(select(Site))}
    for host, kind in world["kinds"].items():
        snapshot = got[host]
        assert snapshot.outcome == "ok", (kind, snapshot.error)
        assert snapshot.reading == "complete", (kind, snapshot.reading_gaps)
        assert not snapshot.rendered
        read = [i for i in snapshot.includes if i["outcome"] == "ok"]
        assert read, kind
        # The numbers were found in the included file, and say so.
        for notice in ("icp", "police", "site_code"):
            assert shown[(host, notice)] == read[-1]["url"], (kind, notice)
        assert ids[host] not in findings, kind  # compliant, as a browser shows it


def test_a_footer_only_a_browser_could_read_is_unverified_not_unfiled(
    crawled: tuple[Store, int, dict],
) -> None:
    store, run_id, world = crawled
    got = snapshots(store, run_id)
    js_only = [s["host"] for s in world["manifest"]["sites"] if s["expected"]["js_only"]
               and s["host"] in got and got[s["host"]].outcome == "ok"]  # fmt: skip
    assert js_only, "the testbed has footers written by scripts"
    with store.session() as session:
        rules = {
            (host, rule)
            for host, rule in session.execute(
                select(Site.host, Finding.rule).join(Finding, Finding.site_id == Site.id)
            )
        }
    for host in js_only:
        assert got[host].reading == "partial"
        assert (host, "BA100") in rules
        assert not {(host, code) for code in ("BA101", "BA111", "BA201", "BA202")} & rules
