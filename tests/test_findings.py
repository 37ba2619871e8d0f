"""Findings over runs: appear, persist, resolve by re-test, reappear; idempotent audits."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import select

from audit.config import load_builtin_profile
from audit.findings.audit import run_audit
from audit.notices import extract_notices
from audit.rules import get_rule
from audit.store import Finding, FindingEvent, Site, Store
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


def test_findings_export_to_xlsx_for_people(store: Store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import openpyxl
    from click.testing import CliRunner

    from audit.cli import cli

    run_audit(store, PROFILE, run_id=crawl(store, NO_ICP))
    with store.session() as session:  # crawled or imported text is hostile
        session.query(Site).update(
            {"name": '=HYPERLINK("http://x")', "sponsor": "\x1b[2J主办\u202e-2+3"}
        )
    url = store.engine.url.render_as_string(hide_password=False)
    out = tmp_path / "问题清单.xlsx"
    result = CliRunner().invoke(cli, ["findings", "--xlsx", str(out)],
                                env={"BEIAN_DATABASE_URL": url})  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.output == f"{out}: 1 findings\n"  # the file, not the table too

    sheet = openpyxl.load_workbook(out).active
    assert sheet.title == "问题清单" and sheet.freeze_panes == "A2" and sheet.auto_filter.ref
    header = [cell.value for cell in sheet[1]]
    assert header[:8] == ["编号", "网站/域名", "网站名称", "主办单位", "区县", "类别", "重点单位",
                          "规则"]  # fmt: skip
    (row,) = [dict(zip(header, (c.value for c in r), strict=True)) for r in sheet.iter_rows(2)]
    assert (row["规则"], row["处置状态"], row["复测结果"], row["是否逾期"]) == (
        "BA101", "待核实", "未消除", "否",
    )  # fmt: skip
    assert row["问题描述"] == get_rule("BA101").message_zh
    # a cell a spreadsheet would run as a formula is defused; controls shown as escapes
    assert row["网站名称"] == '\'=HYPERLINK("http://x")'
    assert row["主办单位"] == "\\x1b[2J主办\\u202e-2+3"

    # with --json as well: the JSON on stdout, the line on stderr
    both = CliRunner().invoke(cli, ["findings", "--xlsx", str(out), "--json"],
                              env={"BEIAN_DATABASE_URL": url})  # fmt: skip
    assert [f["rule"] for f in json.loads(both.stdout)] == ["BA101"]
    assert both.stderr == f"{out}: 1 findings\n"


def crawl_sites(store: Store, footers: dict[str, tuple[str, str | None]]) -> int:
    """A finished run over several sites: host -> (sponsor, footer, or None when down)."""
    with store.session() as session:
        for host, (sponsor, _) in footers.items():
            add_site(session, f"http://{host}/", host, name=sponsor, sponsor=sponsor)
        run = store_crawls.create_run(session)
        snapshots = []
        for host, (_, footer) in footers.items():
            url = f"http://{host}/"
            html = f"<html><body>{footer}</body></html>" if footer else ""
            snapshots.append({
                "host": host, "outcome": "ok" if footer else "timeout",
                "fetched_at": run.started_at, "http_status": 200 if footer else None,
                "final_url": url if footer else None,
                "notices": extract_notices(html, url, profile=PROFILE).records() if footer else [],
            })  # fmt: skip
        store_crawls.write_batch(session, run.id, snapshots=snapshots)
        store_crawls.finish_run(session, run.id, "finished", {})
        return run.id


def audited_history(store: Store, batch_sites: int) -> tuple[list[tuple], list[tuple]]:  # type: ignore[type-arg]
    """Two runs over four sites, audited ``batch_sites`` at a time: the findings and events."""
    shared = COMPLIANT  # the same ICP number, shown by two units
    first = {
        "a.yuncheng.gov.cn": ("运城市教育局", shared),
        "b.yuncheng.gov.cn": ("运城市卫生健康委员会", shared),
        "c.yuncheng.gov.cn": ("运城市文化和旅游局", NO_ICP),
        "d.yuncheng.gov.cn": ("运城市体育局", None),
    }
    run_audit(store, PROFILE, run_id=crawl_sites(store, first), batch_sites=batch_sites)
    with store.session() as session:  # an analyst had accepted c's risk until a past day
        accepted = session.scalars(select(Finding).where(Finding.rule == "BA101")).one()
        accepted.review_state, accepted.accepted_until = "accepted_risk", dt.date(2020, 1, 1)
    second = {**first, "b.yuncheng.gov.cn": ("运城市卫生健康委员会", NO_ICP)}
    run_audit(store, PROFILE, run_id=crawl_sites(store, second), batch_sites=batch_sites)
    with store.session() as session:
        hosts = {site.id: site.host for site in session.scalars(select(Site))}
        by_id = {f.id: f for f in session.scalars(select(Finding))}
        findings = sorted(
            (hosts[f.site_id], f.rule, f.fingerprint, f.state, f.review_state,
             f.first_seen_run_id, f.last_seen_run_id, f.resolved_run_id)
            for f in by_id.values()
        )  # fmt: skip
        events = sorted(
            (hosts[by_id[e.finding_id].site_id], by_id[e.finding_id].rule, e.run_id, e.kind,
             e.from_state or "", e.to_state or "", e.note or "")
            for e in session.scalars(select(FindingEvent))
        )  # fmt: skip
    return findings, events


def test_an_audit_in_batches_of_one_site_decides_as_one_batch(store: Store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    # The run-wide facts (who shows each ICP number) and the accepted risk's end cross the
    # batches: site a's BA121 needs site b, in another batch of one.
    with Store(f"sqlite:///{tmp_path / 'one-batch.db'}") as whole:
        expected = audited_history(whole, batch_sites=900)
    findings, events = audited_history(store, batch_sites=1)
    assert (findings, events) == expected
    rules = {(host, rule, state) for host, rule, _, state, *_ in findings}
    assert {("a.yuncheng.gov.cn", "BA121", "resolved"), ("c.yuncheng.gov.cn", "BA101", "open"),
            ("b.yuncheng.gov.cn", "BA101", "open")} <= rules  # fmt: skip
    assert any("accepted risk ended" in note for *_, note in events)


def test_the_findings_table_fits_a_100_column_terminal_and_names_the_site(
    store: Store,
) -> None:
    from click.testing import CliRunner
    from rich.cells import cell_len

    from audit.cli import cli

    long_host = "www.xinjiangrenmin.hospital-branch.department.yuncheng.gov.cn"
    sites = {long_host: ("新绛县人民医院分院信息中心办公室", NO_ICP)}
    run_audit(store, PROFILE, run_id=crawl_sites(store, sites))
    env = {
        "BEIAN_DATABASE_URL": store.engine.url.render_as_string(hide_password=False),
        "BEIAN_TABLE_WIDTH": "100",
    }  # a 100-column terminal
    table = CliRunner().invoke(cli, ["findings"], env=env)
    assert table.exit_code == 0, table.output
    lines = table.stdout.splitlines()
    assert max(cell_len(line) for line in lines) <= 100
    header = next(line for line in lines if "rule" in line)
    assert "sponsor" not in header
    assert "新绛县人民医院" in table.stdout  # the site by its name too, under its host
    # the host breaks after its dots, never inside a label
    pieces = [line.split("│")[2].strip() for line in lines if line.startswith("│")]
    pieces = [
        piece for piece in pieces if piece and "新绛县" not in piece and "办公室" not in piece
    ]
    assert "".join(pieces) == long_host and len(pieces) > 1
    assert all(piece.endswith(".") for piece in pieces[:-1])

    wide = CliRunner().invoke(cli, ["findings", "--wide"], env={**env, "BEIAN_TABLE_WIDTH": "200"})
    assert all(word in wide.stdout for word in ("sponsor", "severity", "district", "last_seen"))


def test_since_lists_the_findings_a_re_test_resolved_that_day(store: Store) -> None:
    from click.testing import CliRunner

    from audit.cli import cli
    from audit.findings.review import today

    run_audit(store, PROFILE, run_id=crawl(store, NO_ICP))
    with store.session() as session:  # last seen long ago
        session.query(Finding).update({"last_seen_at": dt.datetime(2026, 1, 5, tzinfo=dt.UTC)})
    run_audit(store, PROFILE, run_id=crawl(store, COMPLIANT))  # the re-test: fixed
    env = {"BEIAN_DATABASE_URL": store.engine.url.render_as_string(hide_password=False)}
    day = today().isoformat()
    listed = CliRunner().invoke(cli, ["findings", "--state", "resolved", "--since", day,
                                      "--json"], env=env)  # fmt: skip
    assert [f["rule"] for f in json.loads(listed.stdout)] == ["BA101"]
