"""Findings over runs: appear, persist, resolve by re-test, reappear; idempotent audits."""

from __future__ import annotations

import json

from sqlalchemy import select

from audit.config import load_builtin_profile
from audit.findings.audit import run_audit
from audit.notices import extract_notices
from audit.store import Finding, FindingEvent, Store
from audit.store import crawls as store_crawls
from audit.store.sites import add_site

PROFILE = load_builtin_profile("yuncheng")
COMPLIANT = (
    "<footer>主办单位：运城市盐湖区人民政府办公室 网站标识码：1408020001 "
    "<a href='https://beian.miit.gov.cn/'>晋ICP备2021001234号-1</a> "
    "<a href='http://www.beian.gov.cn/portal/registerSystemInfo?recordcode=14080202000123'>"
    "晋公网安备14080202000123号</a>"
    "<a href='https://bszs.conac.cn/sitename?method=show&id=1'><img src='red.png'></a></footer>"
)
NO_ICP = COMPLIANT.replace("晋ICP备2021001234号-1", "")
HOST = "www.yanhu.yuncheng.gov.cn"


def crawl(store: Store, footer: str | None, outcome: str = "ok") -> int:
    """A finished crawl run in which the site showed ``footer`` (or could not be fetched)."""
    url = f"http://{HOST}/"
    with store.session() as session:
        add_site(session, url, HOST, name="盐湖区人民政府", sponsor="盐湖区人民政府办公室",
                 category="政府机关", district="盐湖区")  # fmt: skip
        run = store_crawls.create_run(session)
        html = f"<html><body><p>新闻</p>{footer}</body></html>" if footer else ""
        notices = extract_notices(html, url, profile=PROFILE).records() if footer else []
        store_crawls.write_batch(session, run.id, snapshots=[{
            "host": HOST, "outcome": outcome, "fetched_at": run.started_at,
            "http_status": 200 if outcome == "ok" else None,
            "final_url": url if outcome == "ok" else None, "notices": notices,
        }])  # fmt: skip
        store_crawls.finish_run(session, run.id, "finished", {})
        return run.id


def open_findings(store: Store) -> dict[str, str]:
    with store.session() as session:
        return {f.rule: f.state for f in session.scalars(select(Finding)) if f.state == "open"}


def events(store: Store, rule: str) -> list[str]:
    with store.session() as session:
        finding = session.scalars(select(Finding).where(Finding.rule == rule)).one()
        return [
            e.kind
            for e in session.scalars(
                select(FindingEvent).where(FindingEvent.finding_id == finding.id)
                .order_by(FindingEvent.id)
            )
        ]  # fmt: skip


def test_a_finding_appears_persists_resolves_and_reappears(store: Store) -> None:
    first = run_audit(store, PROFILE, run_id=crawl(store, NO_ICP))
    assert first.changes["new"] == {"BA101": 1}
    assert open_findings(store) == {"BA101": "open"}

    second = run_audit(store, PROFILE, run_id=crawl(store, NO_ICP))
    assert second.changes["still_open"] == {"BA101": 1} and "new" not in second.changes

    third = run_audit(store, PROFILE, run_id=crawl(store, COMPLIANT))  # the unit fixed it
    assert third.changes["resolved"] == {"BA101": 1}
    assert open_findings(store) == {}

    fourth = run_audit(store, PROFILE, run_id=crawl(store, NO_ICP))  # and broke it again
    assert fourth.changes["reopened"] == {"BA101": 1}
    assert events(store, "BA101") == ["opened", "resolved", "reopened"]
    with store.session() as session:
        finding = session.scalars(select(Finding).where(Finding.rule == "BA101")).one()
        assert finding.first_seen_run_id < finding.last_seen_run_id
        assert finding.evidence["url"] == f"http://{HOST}/"


def test_auditing_the_same_run_twice_changes_nothing(store: Store) -> None:
    run_id = crawl(store, NO_ICP)
    run_audit(store, PROFILE, run_id=run_id)
    with store.session() as session:
        before = [(f.id, f.state, f.last_seen_run_id) for f in session.scalars(select(Finding))]
        events_before = len(session.scalars(select(FindingEvent)).all())
    again = run_audit(store, PROFILE, run_id=run_id)
    assert "new" not in again.changes and "resolved" not in again.changes
    with store.session() as session:
        after = [(f.id, f.state, f.last_seen_run_id) for f in session.scalars(select(Finding))]
        assert after == before
        assert len(session.scalars(select(FindingEvent)).all()) == events_before


def test_a_site_that_could_not_be_fetched_neither_resolves_nor_opens_filing_findings(
    store: Store,
) -> None:
    run_audit(store, PROFILE, run_id=crawl(store, NO_ICP))
    down = run_audit(store, PROFILE, run_id=crawl(store, None, outcome="timeout"))
    assert "resolved" not in down.changes
    assert open_findings(store) == {"BA101": "open"}
    # a second failure in a row: now it is reported unreachable (K = 2)
    run_audit(store, PROFILE, run_id=crawl(store, None, outcome="dns_error"))
    assert open_findings(store) == {"BA101": "open", "BA301": "open"}
    # back with the number shown: the filing finding is resolved, and so is BA301
    back = run_audit(store, PROFILE, run_id=crawl(store, COMPLIANT))
    assert back.changes["resolved"] == {"BA101": 1, "BA301": 1}


def test_findings_export_to_xlsx_with_formulas_neutralised(store: Store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import openpyxl
    from click.testing import CliRunner

    from audit.cli import cli

    hostile = COMPLIANT.replace("晋ICP备2021001234号-1", '=HYPERLINK("http://x")')
    run_audit(store, PROFILE, run_id=crawl(store, hostile))
    url = store.engine.url.render_as_string(hide_password=False)
    out = tmp_path / "findings.xlsx"
    result = CliRunner().invoke(
        cli, ["findings", "--xlsx", str(out), "--json"], env={"BEIAN_DATABASE_URL": url}
    )
    assert result.exit_code == 0, result.output
    listed = json.loads(result.stdout)
    sheet = openpyxl.load_workbook(out).active
    header = [cell.value for cell in sheet[1]]
    rows = [dict(zip(header, (c.value for c in row), strict=True)) for row in sheet.iter_rows(2)]
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref
    assert {r["rule"] for r in rows} == {f["rule"] for f in listed} == {"BA101"}
    # crawled text is hostile: a cell that a spreadsheet would run as a formula is defused,
    # control characters and bidi overrides are shown as escapes (tests/test_display.py)
    from audit.cli.output import write_xlsx

    write_xlsx([{"evidence": '=HYPERLINK("http://x")', "note": "-2+3\x00",
                 "title": "\x1b[2J标题\u202e"}], ["evidence", "note", "title"],
               str(tmp_path / "hostile.xlsx"))  # fmt: skip
    cells = [c.value for c in openpyxl.load_workbook(tmp_path / "hostile.xlsx").active[2]]
    assert cells == ['\'=HYPERLINK("http://x")', "'-2+3\\x00", "\\x1b[2J标题\\u202e"]
