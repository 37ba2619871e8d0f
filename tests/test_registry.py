"""The filing registry: importing the centre's exports, BA131 / BA132, the audit with it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner
from sqlalchemy import delete, select

from audit.cli import cli
from audit.config import load_builtin_profile
from audit.findings.audit import run_audit
from audit.intake.inventory import RowProblem
from audit.intake.registry import (
    FilingRegistry,
    import_registry,
    load_registry,
    normalise_number,
    parse_date,
    parse_registry,
)
from audit.notices import extract_notices
from audit.rules import AuditContext, evaluate
from audit.rules.model import RegistryEntry
from audit.store import Finding, RegistryRecord, Store
from audit.store import crawls as store_crawls
from audit.store.sites import add_site
from tests.test_rules_support import GOOD_FOOTER, MIIT, fingerprints, hits, make_ctx

HEADER = "备案号,网站域名,主办单位,审核通过日期,备案类型\n"


def write_csv(tmp_path: Path, text: str, encoding: str = "utf-8", name: str = "备案.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def all_records(store: Store) -> list[dict[str, Any]]:
    """Every column of every record, by number: what 'the table is identical' compares."""
    with store.session() as session:
        rows = session.execute(select(RegistryRecord.__table__).order_by(RegistryRecord.number))
        return [dict(row) for row in rows.mappings()]


# -- import ------------------------------------------------------------------------------


def test_gbk_csv_with_bad_rows_imports_the_good_rows_and_names_the_bad_ones(
    store: Store, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path,
        HEADER + "晋ICP备2021001234号-1,www.yuncheng.gov.cn；yuncheng.gov.cn,运城市人民政府办公室,"
        "2021/3/4,ICP备案\n"  # 2
        + "晋ICP备xxxxxxxx号,www.a.gov.cn,甲,2021-03-04,\n"  # 3
        + ",,,,\n"  # 4
        + "晋ICP备 2021001234号－1,www.yuncheng.gov.cn,运城市人民政府,2021-03-04,\n"  # 5
        + "晋ICP备2021004567号,www.exa_mple.gov.cn,乙,2021-03-04,\n"  # 6
        + "晋ICP备2021004568号,www.b.gov.cn,丙,2021-02-30,\n"  # 7
        + "晋公网安备 14080202000123号,www.yanhu.gov.cn,盐湖区人民政府办公室,2021年3月4日,"
        "公安联网备案\n"  # 8
        + "晋ICP备2021004569号,www.c.gov.cn,丁,,公安备案\n"  # 9
        + '晋ICP备2021004570号-2,"jyj.yuncheng.gov.cn, http://JYJ.yuncheng.gov.cn/\nwww.ycjy.cn",'
        "运城市教育局,20210304,\n"  # 10-11: a quoted cell over two lines
         + "网站标识码1408000012,www.d.gov.cn,戊,,\n",  # 12
        encoding="gbk",
    )

    report = import_registry(store, path)

    assert (report.inserted, report.updated, report.unchanged) == (3, 0, 0)
    assert [str(p) for p in report.problems] == [
        "line 3: number '晋ICP备xxxxxxxx号': invalid filing number 晋ICP备xxxxxxxx号 (placeholder)",
        "line 4: empty row",
        "line 5: number '晋ICP备 2021001234号－1':"
        " duplicate of line 2 (same number 晋ICP备2021001234号-1)",
        "line 6: domains 'www.exa_mple.gov.cn':"
        " unparseable domain (invalid host name 'www.exa_mple.gov.cn')",
        "line 7: approved_on '2021-02-30': unreadable date"
        " (expected 2021-03-04, 2021/3/4, 2021年3月4日 or an Excel date)",
        "line 9: kind '公安备案': but 晋ICP备2021004569号 is an ICP number",
        "line 12: number '网站标识码1408000012':"
        " a government website identifier (网站标识码), not a filing number",
    ]
    assert report.problems[1] == RowProblem(4, None, None, "empty row")
    records = {r["number"]: r for r in all_records(store)}
    assert sorted(records) == [
        "晋ICP备2021001234号-1",
        "晋ICP备2021004570号-2",
        "晋公网安备14080202000123号",
    ]
    portal = records["晋ICP备2021001234号-1"]
    assert portal["main_number"] == "晋ICP备2021001234号"
    assert portal["kind"] == "icp"
    assert portal["domains"] == ["www.yuncheng.gov.cn", "yuncheng.gov.cn"]
    assert portal["sponsor"] == "运城市人民政府办公室"  # decoded from GBK
    assert portal["approved_on"] == dt.date(2021, 3, 4)
    assert portal["source_file"] == str(path) and portal["source_line"] == 2
    police = records["晋公网安备14080202000123号"]
    assert (police["kind"], police["main_number"]) == ("police", "晋公网安备14080202000123号")
    assert police["approved_on"] == dt.date(2021, 3, 4)
    education = records["晋ICP备2021004570号-2"]
    assert education["domains"] == ["jyj.yuncheng.gov.cn", "www.ycjy.cn"]  # one host once
    assert education["source_line"] == 10


def test_xlsx_with_a_title_row_excel_dates_and_bad_rows(store: Store, tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["运城市网站备案信息（导出）"])  # 1: a title above the header
    sheet.append(["网站备案号", "网站首页网址", "主体名称", "审核时间", "网站类型"])  # 2
    sheet.append(["晋ICP备2021001234号-1", "http://www.yuncheng.gov.cn/", "运城市人民政府办公室",
                  dt.datetime(2021, 3, 4, 10, 30), "政府机关"])  # fmt: skip
    sheet.append(["晋ICP备2021001235号-1", "www.yanhu.gov.cn", "盐湖区人民政府办公室", 44259, None])
    sheet.append(["晋ICP备2021001236号-1", "www.linyi.gov.cn", "临猗县", "2021-13-01", None])  # 5
    sheet.append([None, "www.orphan.gov.cn", "无编号", None, None])  # 6
    sheet.append(["晋ICP备2021001237号", "ftp://files.gov.cn", "某单位", None, None])  # 7
    sheet.append(["晋ICP备2021001238号-3", None, None, dt.date(2020, 1, 2), None])  # 8
    path = tmp_path / "备案.xlsx"
    workbook.save(path)

    report = import_registry(store, path)

    assert (report.inserted, report.updated, report.unchanged) == (3, 0, 0)
    assert [(p.line, p.field, p.reason) for p in report.problems] == [
        (5, "approved_on", "unreadable date"
                           " (expected 2021-03-04, 2021/3/4, 2021年3月4日 or an Excel date)"),
        (6, "number", "missing"),
        (7, "domains", "unparseable domain (unsupported scheme 'ftp')"),
    ]  # fmt: skip
    records = {r["number"]: r for r in all_records(store)}
    assert records["晋ICP备2021001234号-1"]["approved_on"] == dt.date(2021, 3, 4)
    assert records["晋ICP备2021001235号-1"]["approved_on"] == dt.date(2021, 3, 4)  # serial
    # 政府机关 says nothing about the registry: kind is what the number is
    assert records["晋ICP备2021001234号-1"]["kind"] == "icp"
    bare = records["晋ICP备2021001238号-3"]
    assert (bare["domains"], bare["sponsor"], bare["source_line"]) == ([], None, 8)


def test_reimporting_the_same_file_changes_nothing(store: Store, tmp_path: Path) -> None:
    rows = (
        "晋ICP备2021001234号-1,www.yuncheng.gov.cn,运城市人民政府办公室,2021-03-04,\n"
        "晋ICP备2021001235号,yanhu.gov.cn,盐湖区人民政府办公室,,\n"
        "bad,www.a.gov.cn,甲,,\n"
    )
    path = write_csv(tmp_path, HEADER + rows)
    first = import_registry(store, path)
    before = all_records(store)
    again = import_registry(store, path)
    assert (first.inserted, first.updated, first.unchanged) == (2, 0, 0)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)
    assert [p.line for p in again.problems] == [4]
    assert all_records(store) == before  # imported_at included

    # A newer export: one record changed, written in another form; one column missing.
    newer = write_csv(
        tmp_path,
        "备案编号,域名\n"
        "晋ICP备 2021001234号-1,www.yuncheng.gov.cn yuncheng.gov.cn\n"
        "晋ICP备2021001235号,yanhu.gov.cn\n",
        name="备案2.csv",
    )
    report = import_registry(store, newer)
    assert (report.inserted, report.updated, report.unchanged) == (0, 2, 0)  # source_file
    after = {r["number"]: r for r in all_records(store)}
    portal = after["晋ICP备2021001234号-1"]
    assert portal["domains"] == ["www.yuncheng.gov.cn", "yuncheng.gov.cn"]
    assert portal["sponsor"] == "运城市人民政府办公室"  # no sponsor column: kept
    assert portal["approved_on"] == dt.date(2021, 3, 4)
    assert portal["source_file"] == str(newer)


def test_normalise_number_and_parse_date() -> None:
    assert normalise_number("晋ICP备 2021001234号－1") == (
        "晋ICP备2021001234号-1", "晋ICP备2021001234号", "icp"
    )  # fmt: skip
    police = "晋公网安备14080202000123号"
    assert normalise_number("14080202000123") == (police, police, "police")
    assert normalise_number("公网安备14080202000123") == (police, police, "police")
    assert normalise_number("京ICP证030173号") == ("京ICP证030173号", "京ICP证030173号", "licence")
    for text in ("2021-03-04", "2021/3/4", "2021.3.4", "2021年3月4日", "２０２１年３月４日",
                 "2021-03-04 08:00:00", "20210304", "44259"):  # fmt: skip
        assert parse_date(text) == dt.date(2021, 3, 4), text
    for text in ("2021-02-30", "3/4/2021", "2021", "上月"):
        with pytest.raises(ValueError):
            parse_date(text)


def test_a_file_without_a_number_column_is_refused(tmp_path: Path) -> None:
    from audit.intake.tabular import TableError

    path = write_csv(tmp_path, "域名,主办单位\nwww.a.gov.cn,甲\n")
    with pytest.raises(TableError, match="no number column"):
        parse_registry(path)


# -- BA131 / BA132 -----------------------------------------------------------------------

ICP = "晋ICP备2021004567号-1"  # what GOOD_FOOTER shows, with 晋公网安备14080202000123号
ICP_MAIN = "晋ICP备2021004567号"
POLICE = "晋公网安备14080202000123号"


def entry(number: str, *domains: str, sponsor: str | None = None) -> RegistryEntry:
    normalised, main, kind = normalise_number(number)
    return RegistryEntry(normalised, main, kind, tuple(domains), sponsor)


def with_registry(ctx: AuditContext, *entries: RegistryEntry) -> AuditContext:
    return dataclasses.replace(ctx, registry=FilingRegistry(entries))


def test_without_a_registry_the_rules_judge_nothing() -> None:
    evaluation = evaluate(make_ctx())
    assert "BA131" not in evaluation.judged and "BA132" not in evaluation.judged
    assert "BA101" in evaluation.judged
    judged = evaluate(with_registry(make_ctx(), entry(ICP))).judged
    assert {"BA131", "BA132"} <= judged
    # an unreadable page is not judged either, registry or not
    unreadable = with_registry(make_ctx(None, outcome="timeout"), entry(ICP))
    assert "BA131" not in evaluate(unreadable).judged


def test_ba131_a_number_unknown_to_the_registry() -> None:
    ctx = with_registry(make_ctx(), entry("晋ICP备2021009999号-1", "www.other.gov.cn"))
    (hit,) = hits("BA131", ctx)  # the police number is not judged: no police records
    assert hit.fingerprint == ICP
    assert hit.excerpt == ICP
    assert hit.details == {
        "number": ICP, "raw": ICP, "kind": "icp", "main_number": ICP_MAIN, "subject_numbers": [],
    }  # fmt: skip
    assert hits("BA132", ctx) == []
    json.dumps(hit.details, ensure_ascii=False)


def test_ba131_police_numbers_once_the_registry_has_police_records() -> None:
    ctx = with_registry(make_ctx(), entry(ICP), entry("晋公网安备14080202000999号"))
    assert fingerprints("BA131", ctx) == [POLICE]
    assert fingerprints("BA131", with_registry(make_ctx(), entry(ICP), entry(POLICE))) == []


def test_ba131_a_number_the_registry_knows() -> None:
    assert hits("BA131", with_registry(make_ctx(), entry(ICP))) == []
    # written differently in the export: normalised alike
    assert hits("BA131", with_registry(make_ctx(), entry("晋ICP备 2021004567号－1"))) == []


def test_ba131_the_main_number_when_the_registry_lists_only_that() -> None:
    assert hits("BA131", with_registry(make_ctx(), entry(ICP_MAIN))) == []
    # the page shows the main number; the registry lists the subject's site numbers
    main_shown = make_ctx(f'<a href="{MIIT}">{ICP_MAIN}</a>')
    assert hits("BA131", with_registry(main_shown, entry(ICP))) == []


def test_ba131_a_site_index_the_registry_does_not_list() -> None:
    ctx = with_registry(make_ctx(), entry(ICP_MAIN), entry("晋ICP备2021004567号-2"))
    (hit,) = hits("BA131", ctx)
    assert hit.details["subject_numbers"] == ["晋ICP备2021004567号", "晋ICP备2021004567号-2"]


def test_ba131_numbers_of_another_province_or_placeholders_are_not_judged() -> None:
    beijing = with_registry(make_ctx(), entry("京ICP备2021000001号-1"))
    assert hits("BA131", beijing) == []  # a city's export cannot know a 晋 number
    placeholder = make_ctx(f'<a href="{MIIT}">晋ICP备xxxxxxxx号</a>')
    assert hits("BA131", with_registry(placeholder, entry("晋ICP备2021009999号"))) == []


def test_ba132_a_number_filed_for_other_domains() -> None:
    ctx = with_registry(make_ctx(host="www.example.gov.cn"), entry(ICP, "www.other.gov.cn"))
    (hit,) = hits("BA132", ctx)
    assert hit.fingerprint == f"domain:{ICP}"
    assert hit.details["registry_domains"] == ["www.other.gov.cn"]
    assert hit.details["site_hosts"] == ["www.example.gov.cn"]
    assert "www.other.gov.cn" in hit.excerpt
    assert hits("BA131", ctx) == []


@pytest.mark.parametrize(
    ("host", "filed", "final_url"),
    [
        ("www.example.gov.cn", "www.example.gov.cn", None),
        ("www.example.gov.cn", "example.gov.cn", None),  # the registrable domain covers it
        ("example.gov.cn", "www.example.gov.cn", None),
        ("news.example.gov.cn", "example.gov.cn", None),
        ("example.gov.cn", "www.moved.gov.cn", "https://www.moved.gov.cn/index.html"),
    ],
)
def test_ba132_the_site_domain_is_filed(host: str, filed: str, final_url: str | None) -> None:
    overrides = {"final_url": final_url} if final_url else {}
    ctx = with_registry(make_ctx(host=host, **overrides), entry(ICP, filed))
    assert hits("BA132", ctx) == []


def test_ba132_domains_of_the_subject_when_only_the_main_number_is_listed() -> None:
    registry = (entry(ICP_MAIN, "www.other.gov.cn"),)
    assert fingerprints("BA132", with_registry(make_ctx(), *registry)) == [f"domain:{ICP}"]
    assert hits("BA132", with_registry(make_ctx(), entry(ICP_MAIN))) == []  # no domains known


def test_ba132_another_sponsor() -> None:
    record = entry(ICP, "www.example.com", sponsor="运城市教育局")
    ctx = with_registry(make_ctx(sponsor="运城市卫生健康委员会"), record)
    (hit,) = hits("BA132", ctx)
    assert hit.fingerprint == f"sponsor:{ICP}"
    assert hit.details["registry_sponsors"] == ["运城市教育局"]
    assert hit.details["site_sponsor"] == "运城市卫生健康委员会"


@pytest.mark.parametrize(
    ("site_sponsor", "registry_sponsor"),
    [
        ("运城市 教育局", "运城市教育局"),
        ("运城市（教育局）", "运城市[教育局]"),
        (None, "运城市教育局"),  # compared only when both are known
        ("运城市教育局", None),
    ],
)
def test_ba132_the_same_sponsor(site_sponsor: str | None, registry_sponsor: str | None) -> None:
    record = entry(ICP, "www.example.com", sponsor=registry_sponsor)
    assert hits("BA132", with_registry(make_ctx(sponsor=site_sponsor), record)) == []


def test_ba132_the_sponsor_the_page_shows_counts_too() -> None:
    footer = f"主办单位：运城市教育局 {GOOD_FOOTER}"
    record = entry(ICP, "www.example.com", sponsor="运城市教育局")
    ctx = with_registry(make_ctx(footer, sponsor="运城市教育局办公室"), record)
    assert hits("BA132", ctx) == []


def test_ba132_both_problems_at_once_and_the_police_number() -> None:
    registry = (
        entry(ICP, "www.other.gov.cn", sponsor="甲单位"),
        entry(POLICE, "www.example.com", sponsor="乙单位"),
    )
    ctx = with_registry(make_ctx(sponsor="丙单位"), *registry)
    assert fingerprints("BA132", ctx) == [f"domain:{ICP}", f"sponsor:{ICP}", f"sponsor:{POLICE}"]


# -- the audit, with and without a registry -----------------------------------------------

PROFILE = load_builtin_profile("yuncheng")
HOST = "www.yanhu.yuncheng.gov.cn"
FOOTER = (
    "<footer>主办单位：运城市盐湖区人民政府办公室 "
    f"<a href='{MIIT}'>晋ICP备2021001234号-1</a> "
    "<a href='http://www.beian.gov.cn/portal/registerSystemInfo?recordcode=14080202000123'>"
    "晋公网安备14080202000123号</a></footer>"
)


def crawl(store: Store) -> int:
    """A finished crawl run in which the site showed FOOTER."""
    url = f"http://{HOST}/"
    with store.session() as session:
        add_site(session, url, HOST, sponsor="盐湖区人民政府办公室", district="盐湖区")
        run = store_crawls.create_run(session)
        html = f"<html><body><p>新闻</p>{FOOTER}</body></html>"
        notices = extract_notices(html, url, profile=PROFILE).records()
        store_crawls.write_batch(session, run.id, snapshots=[{
            "host": HOST, "outcome": "ok", "fetched_at": run.started_at, "http_status": 200,
            "final_url": url, "notices": notices,
        }])  # fmt: skip
        store_crawls.finish_run(session, run.id, "finished", {})
        return run.id


def registry_findings(store: Store) -> dict[tuple[str, str], str]:
    with store.session() as session:
        found = session.scalars(select(Finding).where(Finding.rule.in_(["BA131", "BA132"])))
        return {(f.rule, f.fingerprint): f.state for f in found}


def test_the_audit_without_and_with_a_registry(store: Store, tmp_path: Path) -> None:
    with store.session() as session:
        assert load_registry(session) is None  # nothing imported: no registry at all
    summary = run_audit(store, PROFILE, run_id=crawl(store))
    assert not any(code in counts for counts in summary.changes.values()
                   for code in ("BA131", "BA132"))  # fmt: skip
    assert registry_findings(store) == {}

    # The centre's export lists another site number of the subject, for another domain.
    export = write_csv(
        tmp_path,
        "备案号,域名,主办单位\n"
        "晋ICP备2021001234号-2,www.other.gov.cn,盐湖区人民政府办公室\n"
        "晋ICP备2021001235号-1,www.yanhu.yuncheng.gov.cn,运城市盐湖区人民政府办公室\n",
    )
    import_registry(store, export)
    summary = run_audit(store, PROFILE, run_id=crawl(store))
    assert summary.changes["new"]["BA131"] == 1
    assert registry_findings(store) == {("BA131", "晋ICP备2021001234号-1"): "open"}

    # Without a registry the rules are not judged: the open finding stays open.
    with store.session() as session:
        session.execute(delete(RegistryRecord))
    run_audit(store, PROFILE, run_id=crawl(store))
    assert registry_findings(store) == {("BA131", "晋ICP备2021001234号-1"): "open"}

    # The number is filed, but for another domain and under the main number only.
    fixed = write_csv(
        tmp_path,
        "备案号,域名,主办单位\n晋ICP备2021001234号,www.other.gov.cn,盐湖区人民政府办公室\n",
        name="备案2.csv",
    )
    import_registry(store, fixed)
    summary = run_audit(store, PROFILE, run_id=crawl(store))
    assert summary.changes["resolved"] == {"BA131": 1}
    assert registry_findings(store) == {
        ("BA131", "晋ICP备2021001234号-1"): "resolved",
        ("BA132", "domain:晋ICP备2021001234号-1"): "open",
    }


# -- the command line --------------------------------------------------------------------


def test_registry_import_and_list_commands(db_url: str, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path,
        HEADER
        + "晋ICP备2021001234号-1,www.yuncheng.gov.cn,运城市人民政府办公室,2021-03-04,\n"
        + "晋ICP备2021001234号-2,www.yc.gov.cn,运城市人民政府办公室,2021-03-05,\n"
        + "not a number,www.a.gov.cn,甲,,\n",
    )
    runner = CliRunner()
    env = {"BEIAN_DATABASE_URL": db_url}
    result = runner.invoke(cli, ["registry", "import", str(path)], env=env)
    assert result.exit_code == 2, result.output  # rows were rejected
    assert "2 added, 0 updated, 0 unchanged, 1 rows rejected" in result.output
    assert "line 4: number 'not a number': not an ICP or public-security filing number" in (
        result.output
    )
    again = runner.invoke(cli, ["registry", "import", "--json", str(path)], env=env)
    report = json.loads(again.stdout)
    assert (report["inserted"], report["unchanged"], len(report["problems"])) == (0, 2, 1)

    listed = runner.invoke(cli, ["registry", "list", "--number", "晋ICP备 2021001234号", "--json"],
                           env=env)  # fmt: skip
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.stdout)
    assert [(r["number"], r["domains"]) for r in rows] == [
        ("晋ICP备2021001234号-1", ["www.yuncheng.gov.cn"]),
        ("晋ICP备2021001234号-2", ["www.yc.gov.cn"]),
    ]
    assert rows[0]["approved_on"] == "2021-03-04"
    table = runner.invoke(cli, ["registry", "list"], env=env)
    assert table.exit_code == 0 and "2 filing records" in table.output
