"""`beian snapshots show ID [--html FILE]`: one snapshot, and its stored page exported as
evidence an analyst can open safely (nothing in it can run, load or submit)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import html as lxml_html

from audit.cli import cli
from audit.demo.testbed import generate
from audit.demo.testbed.hostile import HostileServer, hostile_sites
from audit.errors import UserError
from audit.page.evidence import EVIDENCE_CSP
from audit.store import Store
from tests.test_faults import PROFILE, TIMEOUT, add_sites, beian, crawl_args, snapshots


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, int]]]:
    """A page full of active content and a site that never answers, crawled for real."""
    work = tmp_path_factory.mktemp("snapshots")
    testbed = generate(PROFILE, 3, seed=7, page_kb=(8, 12))
    sites = hostile_sites(["active-content", "hang"])
    db_url = f"sqlite:///{work / 'beian.db'}"
    with HostileServer(testbed, sites, slow_seconds=TIMEOUT * 4) as server:
        testbed.write(work)
        with Store(db_url) as store:
            add_sites(store, work, {f"http://{s.host}/": s.kind for s in sites})
            command = beian(work, db_url, *crawl_args(proxy=server.url), BEIAN_CRAWL__RENDER="off")
            assert command.status == 0, command.stderr[-3000:]
            got = snapshots(store, json.loads(command.stdout)["run_id"])
            yield db_url, {s.kind: got[s.host].id for s in sites}


def invoke(db_url: str, *args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, list(args), env={"BEIAN_DATABASE_URL": db_url})


def test_a_snapshot_shows_what_the_crawl_saw(crawled: tuple[str, dict[str, int]]) -> None:
    db_url, ids = crawled
    shown = invoke(db_url, "snapshots", "show", str(ids["active-content"]), "--json")
    assert shown.exit_code == 0, shown.output
    view = json.loads(shown.stdout)
    assert view["outcome"] == "ok" and view["reading"] == "complete" and view["page_stored"]
    assert {n["kind"] for n in view["notices"]} >= {"icp", "police", "site_code"}
    assert "运城市网络安全测试中心" in view["footer_text"]
    text = invoke(db_url, "snapshots", "show", str(ids["active-content"]))
    assert "outcome         ok" in text.output and "icp 晋ICP备2026" in text.output


def test_the_stored_page_is_exported_inert(
    crawled: tuple[str, dict[str, int]], tmp_path: Path
) -> None:
    db_url, ids = crawled
    out = tmp_path / "证据.html"
    done = invoke(db_url, "snapshots", "show", str(ids["active-content"]), "--html", str(out))
    assert done.exit_code == 0, done.output
    assert f"evidence page written: {out}" in done.output

    page = lxml_html.fromstring(out.read_text("utf-8"))
    head = page.find("head")
    assert head is not None
    first = head[0]  # the policy comes before anything it must govern
    assert (first.get("http-equiv"), first.get("content")) == (
        "Content-Security-Policy",
        EVIDENCE_CSP,
    )
    assert "script-src" not in EVIDENCE_CSP and "default-src 'none'" in EVIDENCE_CSP
    # nothing that runs, loads, navigates or submits is left
    assert page.xpath("//script | //iframe | //frame | //object | //embed | //link | //base") == []
    assert page.xpath("//meta[@http-equiv='refresh']") == []
    assert page.xpath("//@*[starts-with(name(), 'on')]") == []
    assert not [h for h in page.xpath("//@href | //@src") if "javascript:" in h.lower()]
    # what the page showed is kept, under a banner that says what the file is
    shown = page.text_content()
    assert "晋ICP备2026" in shown and "正文内容" in shown
    assert page.xpath("//input/@value") == ["查询"]  # a form is shown; the policy stops a submit
    banner = page.get_element_by_id("beian-evidence").text_content()
    assert "证据快照" in banner and "fetched" in banner and "SHA-256" in banner

    again = invoke(db_url, "snapshots", "show", str(ids["active-content"]), "--html", str(out))
    assert isinstance(again.exception, UserError) and "exists" in str(again.exception)
    forced = invoke(db_url, "snapshots", "show", str(ids["active-content"]), "--html", str(out),
                    "--force")  # fmt: skip
    assert forced.exit_code == 0, forced.output


def test_a_snapshot_without_a_page_says_why(
    crawled: tuple[str, dict[str, int]], tmp_path: Path
) -> None:
    db_url, ids = crawled
    out = tmp_path / "none.html"
    timed_out = invoke(db_url, "snapshots", "show", str(ids["hang"]), "--html", str(out))
    assert isinstance(timed_out.exception, UserError)
    assert "no page was stored (outcome timeout)" in str(timed_out.exception)
    assert not out.exists()
    missing = invoke(db_url, "snapshots", "show", "999999")
    assert "no snapshot 999999" in str(missing.exception)
