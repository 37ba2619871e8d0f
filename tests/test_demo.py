"""`beian demo`: generate, serve, import, crawl twice (dated in consecutive months), audit,
triage and compile last month's bulletin, end to end, as a new user runs it."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import docx
import pytest

from audit.demo.play import javascript_footers
from tests.support.office import docx_to_pdf, pdf_text, skip_without_office

pytestmark = pytest.mark.crawl

UNFILED_RULES = {"BA101", "BA102", "BA111", "BA112", "BA131"}


def beian(
    tmp_path: Path, *args: str, timeout: float = 300, **settings: str
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BEIAN_")}
    env.update(settings)
    return subprocess.run(
        [sys.executable, "-m", "audit", *args],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip


def test_demo_crawls_two_months_and_issues_a_bulletin_that_agrees_with_the_findings(
    tmp_path: Path,
) -> None:
    result = beian(tmp_path, "demo", "--sites", "80", "--timeout", "4", "--json")
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout)
    summary = report["summary"]
    manifest = json.loads(Path(report["manifest"]).read_text("utf-8"))
    reachable = sum(s["expected"]["outcome"] == "ok" for s in manifest["sites"])
    assert summary["state"] == "finished" and summary["first_run"]["state"] == "finished"
    assert summary["sites"] == 80  # the inventory plus every discovered site
    assert summary["reachable"] == reachable
    assert 0 < summary["with_icp"] <= reachable and 0 < summary["with_police"] <= reachable
    assert report["database"] == "sqlite:///beian.db"
    assert (tmp_path / "beian-data/demo/inventory.csv").exists()
    # Both crawls are dated (`--dated`, in consecutive months): each dates its snapshots on
    # its own clock, and the audit dates the findings and events it causes by them.
    with sqlite3.connect(tmp_path / "beian.db") as db:
        for started, first, last in db.execute(
            "SELECT r.started_at, min(s.fetched_at), max(s.fetched_at) FROM crawl_runs r"
            " JOIN snapshots s ON s.run_id = r.id GROUP BY r.id"
        ):
            assert started <= first <= last < started[:10] + "T23:59", (started, first, last)
        events = db.execute(
            "SELECT count(*) FROM finding_events e JOIN findings f ON f.id = e.finding_id"
            " JOIN crawl_runs r ON r.id = f.first_seen_run_id WHERE e.at < r.started_at"
        ).fetchone()[0]
        assert events == 0  # no event before the run that opened its finding

    # The bulletin of last month: every file written, the figures those of `beian findings`.
    files = {kind: tmp_path / path for kind, path in report["bulletin"].items()}
    assert {"docx", "html", "md", "xlsx", "rates", "open_findings", "districts"} <= set(files)
    assert all(path.stat().st_size > 0 for path in files.values())
    month = summary["bulletin"]["month"]
    issued = beian(tmp_path, "bulletin", "--month", month, "--json")
    assert issued.returncode == 0, issued.stderr[-3000:]
    bulletin = json.loads(issued.stdout)
    assert bulletin["issue"] == summary["bulletin"]["issue"]  # issued again: same number
    findings = json.loads(beian(tmp_path, "findings", "--json").stdout)
    open_findings = [f for f in findings if f["review_state"] != "false_positive"]
    figures = bulletin["figures"]
    assert figures["lists"]["open_findings"] == len(open_findings)
    unfiled = {f["site"] for f in open_findings if f["rule"] in UNFILED_RULES}
    assert figures["unfiled"]["sites"]["current"] == len(unfiled)
    overdue = [f for f in open_findings if f["overdue"]]
    assert figures["lists"]["overdue"] == len(overdue) > 0  # the deadline passed last month
    # Month over month: the month before last is there to compare with.
    assert figures["overview"]["monitored"]["previous"] == 80
    assert figures["unfiled"]["sites"]["previous"] > 0
    assert figures["rectification"]["notified"]["current"] > 0
    assert [point["month"] for point in figures["trend"]][-1] == month

    document = docx.Document(str(files["docx"]))
    text = "\n".join(p.text for p in document.paragraphs)
    for heading in ("一、总体情况", "二、未备案网站情况", "三、整改情况", "四、网络安全威胁情况",
                    "五、预警信息", "六、工作要求"):  # fmt: skip
        assert heading in text
    assert summary["bulletin"]["sentence"] in text
    assert len(document.tables) >= 5 and len(document.inline_shapes) == 3


def test_without_a_browser_footers_written_by_scripts_are_unverified_never_unfiled(
    tmp_path: Path,
) -> None:
    """A fresh machine without Chromium (forced here by configuration): the sites whose
    footer a script writes are listed apart (BA100), not accused (BA101, BA111), not
    counted among the unfiled, and the demo says so."""
    result = beian(tmp_path, "demo", "--sites", "80", "--timeout", "4", "--json",
                   BEIAN_CRAWL__RENDER="off")  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout)
    assert report["summary"]["render"] == "off"
    said = javascript_footers(report["summary"])  # the line the demo prints without --json
    assert said.startswith("JavaScript footers: not verified (no Chromium)")
    manifest = json.loads(Path(report["manifest"]).read_text("utf-8"))
    scripted = {s["host"] for s in manifest["sites"]
                if s["expected"]["js_only"] and s["expected"]["outcome"] == "ok"}  # fmt: skip
    assert scripted, "the demo has footers written by scripts"
    findings = json.loads(beian(tmp_path, "findings", "--json").stdout)
    by_site: dict[str, set[str]] = {}
    for finding in findings:
        by_site.setdefault(finding["site"], set()).add(finding["rule"])
    for host in scripted:
        assert "BA100" in by_site.get(host, set()), host
        assert not {"BA101", "BA111", "BA201", "BA202", "BA203"} & by_site.get(host, set())
    assert report["summary"]["unverified"] == len(scripted)
    month = report["summary"]["bulletin"]["month"]
    figures = json.loads(beian(tmp_path, "bulletin", "--month", month, "--json").stdout)["figures"]
    unfiled = {f["site"] for f in findings if f["rule"] in UNFILED_RULES}
    assert not unfiled & scripted
    assert figures["unfiled"]["sites"]["current"] == len(unfiled)
    assert figures["unfiled"]["unverified"] == len(scripted)


@skip_without_office
def test_the_demo_bulletin_converts_to_a_pdf_that_shows_its_chinese_text(tmp_path: Path) -> None:
    result = beian(tmp_path, "demo", "--sites", "30", "--timeout", "4", "--json")
    assert result.returncode == 0, result.stderr[-3000:]
    source = tmp_path / json.loads(result.stdout)["bulletin"]["docx"]
    text = pdf_text(docx_to_pdf(source, tmp_path))
    for words in ("运城市网络与信息安全信息通报", "一、总体情况", "三、整改情况", "六、工作要求"):
        assert words in text


def test_a_second_demo_in_one_directory_is_refused_before_any_work_or_starts_afresh(
    tmp_path: Path,
) -> None:
    from audit.config import load_settings
    from audit.demo.play import EarlierRuns, start_afresh
    from audit.store import Store
    from audit.store.crawls import create_run

    database = tmp_path / "beian.db"
    with Store(f"sqlite:///{database}") as store, store.session() as session:
        create_run(session)  # what an earlier demo left
    (tmp_path / "beian-data" / "demo").mkdir(parents=True)
    refused = beian(tmp_path, "demo", "--sites", "10")
    assert refused.returncode == 1
    assert "beian.db already holds 1 crawl runs (an earlier demo?)" in refused.stderr
    assert "--fresh starts afresh" in refused.stderr
    assert sorted(p.name for p in (tmp_path / "beian-data").iterdir()) == ["demo"]  # no work

    settings = load_settings(None, database_url=f"sqlite:///{database}",
                             data_dir=str(tmp_path / "beian-data"))  # fmt: skip
    with pytest.raises(EarlierRuns):
        start_afresh(settings, tmp_path / "beian-data" / "demo", fresh=False, say=print)
    start_afresh(settings, tmp_path / "beian-data" / "demo", fresh=True, say=print)
    assert not database.exists() and not (tmp_path / "beian-data" / "demo").exists()
