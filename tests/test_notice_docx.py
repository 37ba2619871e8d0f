"""整改通知 DOCX: addressee, one table row per open finding, deadlines, hostile text, CLI."""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from audit.cli import cli
from audit.documents.notice import (
    HEADERS,
    TITLE,
    NoticeContent,
    NoticeRow,
    chinese_date,
    clean_text,
    render_notice,
    safe_filename,
    save_document,
    write_notice,
)
from audit.errors import UserError
from audit.findings.audit import run_audit
from audit.findings.review import today as beijing_today
from audit.notices import extract_notices
from audit.rules import get_rule
from audit.store import Finding, FindingEvent, Site, Store
from audit.store import crawls as store_crawls
from audit.store.sites import add_site
from tests.support.office import docx_to_pdf, pdf_text, skip_without_office
from tests.test_display import RAW_CONTROL
from tests.test_findings import COMPLIANT, NO_ICP, PROFILE

TODAY = dt.date(2026, 11, 28)
SPONSOR = "盐湖区人民政府办公室"
YANHU = "www.yanhu.yuncheng.gov.cn"
JYJ = "jyj.yanhu.yuncheng.gov.cn"
RUICHENG = "www.ruicheng.gov.cn"
NO_POLICE = COMPLIANT.replace("晋公网安备14080202000123号", "")
SITES = {  # host: (name, sponsor, footer)
    YANHU: ("盐湖区人民政府", SPONSOR, NO_ICP),  # BA101
    JYJ: ("盐湖区教育局", SPONSOR, NO_POLICE),  # BA111
    RUICHENG: ("芮城县人民政府", "芮城县人民政府办公室", NO_ICP),  # another sponsor
}
HOSTILE = "晋ICP备\x00\x0b<w:t>注入</w:t>&amp;\x1f\u202e\x1b\x9b\x7f\u2066备案\u2069"
CONTROLS = "\x00\x0b\x1f\u202e\x1b\x9b\x7f\u2066\u2069"  # none may reach the document


@pytest.fixture
def audited(store: Store) -> Store:
    """Three sites, one crawl run, audited: BA101 on two sites, BA111 on one."""
    with store.session() as session:
        run = store_crawls.create_run(session)
        snapshots = []
        for host, (name, sponsor, footer) in SITES.items():
            url = f"http://{host}/"
            add_site(session, url, host, name=name, sponsor=sponsor, category="政府机关")
            html = f"<html><body><p>新闻</p>{footer}</body></html>"
            snapshots.append({
                "host": host, "outcome": "ok", "fetched_at": run.started_at, "http_status": 200,
                "final_url": url, "notices": extract_notices(html, url, profile=PROFILE).records(),
            })  # fmt: skip
        store_crawls.write_batch(session, run.id, snapshots=snapshots)
        store_crawls.finish_run(session, run.id, "finished", {})
        run_id = run.id
    summary = run_audit(store, PROFILE, run_id=run_id)
    assert summary.changes["new"] == {"BA101": 2, "BA111": 1}
    return store


def finding(store: Store, host: str, rule: str, **changes: object) -> None:
    with store.session() as session:
        found = session.scalars(
            select(Finding).join(Site, Site.id == Finding.site_id)
            .where(Site.host == host, Finding.rule == rule)
        ).one()  # fmt: skip
        for key, value in changes.items():
            setattr(found, key, value)


def read(path: Path) -> tuple[list[str], list[list[str]]]:
    """The paragraphs of a DOCX and the rows of its (one) table."""
    document = docx.Document(str(path))
    assert len(document.tables) == 1
    # as a reader sees them: without the zero-width spaces that let hosts wrap at dots
    rows = [[cell.text.replace("\u200b", "") for cell in row.cells]
            for row in document.tables[0].rows]  # fmt: skip
    return [p.text for p in document.paragraphs], rows


def test_a_sponsor_notice_lists_each_open_finding_of_its_sites(
    audited: Store, tmp_path: Path
) -> None:
    out = write_notice(audited, SPONSOR, tmp_path / "n.docx", profile=PROFILE, today=TODAY,
                       number="运网信通〔2026〕12号")  # fmt: skip
    assert out == tmp_path / "n.docx"
    paragraphs, rows = read(out)
    assert paragraphs[0] == TITLE
    assert "运网信通〔2026〕12号" in paragraphs
    assert f"{SPONSOR}：" in paragraphs
    deadline = chinese_date(TODAY + dt.timedelta(days=15))
    assert deadline == "2026年12月13日"
    body = "\n".join(paragraphs)
    assert "2个网站存在2项" in body and f"于{deadline}前完成整改" in body
    # signed, then the 版记 (GB/T 9704): the printing unit and the date printed
    assert paragraphs[-3:] == [
        "运城市网络与信息安全信息通报中心", "2026年11月28日",
        "运城市网络与信息安全信息通报中心\t2026年11月28日印发",
    ]  # fmt: skip

    assert tuple(rows[0]) == HEADERS
    assert len(rows) == 3  # one row per finding; 芮城 is another sponsor's
    by_rule = {row[2].split("\n")[0]: row for row in rows[1:]}
    assert set(by_rule) == {"BA101", "BA111"}
    for code, row in by_rule.items():
        rule = get_rule(code)
        assert rule.message_zh in row[2]
        assert row[3] == rule.basis
        assert row[5] == rule.advice_zh
    assert body.count(deadline) == 1  # one deadline, stated once
    assert YANHU in by_rule["BA101"][1] and "盐湖区人民政府" in by_rule["BA101"][1]
    cells = [row.cells[1].text for row in docx.Document(str(out)).tables[0].rows]
    assert any(YANHU.replace(".", ".\u200b") in c for c in cells)  # wrapped at its dots
    assert f"http://{JYJ}/" in by_rule["BA111"][4]
    assert [row[0] for row in rows[1:]] == ["1", "2"]


def test_a_site_notice_is_addressed_to_its_sponsor_with_one_deadline(
    audited: Store, tmp_path: Path
) -> None:
    finding(audited, YANHU, "BA101", deadline=dt.date(2026, 12, 1))
    with audited.session() as session:  # a session works as well as a store
        out = write_notice(session, YANHU.upper(), tmp_path / "n.docx", profile=PROFILE,
                           deadline=dt.date(2027, 1, 5), today=TODAY)  # fmt: skip
    paragraphs, rows = read(out)
    assert f"{SPONSOR}：" in paragraphs
    assert len(rows) == 2 and rows[1][2].startswith("BA101")
    # the notice's deadline, not an earlier one of the finding: one date, stated once
    assert "于2027年1月5日前完成整改" in "".join(paragraphs)
    assert "2026年12月1日" not in "".join(paragraphs)

    with audited.session() as session:
        out = write_notice(session, f"http://{JYJ}/index.html", tmp_path / "j.docx",
                           profile=PROFILE, deadline=dt.date(2027, 1, 5), today=TODAY)  # fmt: skip
    paragraphs, rows = read(out)
    assert "于2027年1月5日前完成整改" in "".join(paragraphs)
    with audited.session() as session, pytest.raises(UserError, match="is in the past"):
        write_notice(session, YANHU, tmp_path / "p.docx", profile=PROFILE,
                     deadline=TODAY - dt.timedelta(days=1), today=TODAY)  # fmt: skip


def test_reviewed_and_resolved_findings_are_left_out(audited: Store, tmp_path: Path) -> None:
    finding(audited, JYJ, "BA111", review_state="false_positive")
    _, rows = read(write_notice(audited, SPONSOR, tmp_path / "a.docx", today=TODAY))
    assert [row[2].split("\n")[0] for row in rows[1:]] == ["BA101"]

    finding(audited, YANHU, "BA101", review_state="accepted_risk")
    with pytest.raises(UserError, match="no open findings"):
        write_notice(audited, SPONSOR, tmp_path / "b.docx", today=TODAY)
    finding(audited, RUICHENG, "BA101", state="resolved")
    with pytest.raises(UserError, match="no open findings"):
        write_notice(audited, RUICHENG, tmp_path / "c.docx", today=TODAY)
    assert not (tmp_path / "b.docx").exists() and not (tmp_path / "c.docx").exists()


def test_info_level_checks_are_for_the_centre_not_in_the_letter(
    store: Store, tmp_path: Path
) -> None:
    # A filed site whose police number was issued in Beijing: BA114 (info, 供核实) is
    # for the centre to check; the unit gets no letter over it.
    beijing = COMPLIANT.replace("14080202000123", "11010502000001").replace(
        "晋公网安备", "京公网安备"
    )
    with store.session() as session:
        run = store_crawls.create_run(session)
        url = f"http://{YANHU}/"
        add_site(session, url, YANHU, name="盐湖区人民政府", sponsor=SPONSOR)
        html = f"<html><body>{beijing}</body></html>"
        notices = extract_notices(html, url, profile=PROFILE).records()
        store_crawls.write_batch(session, run.id, snapshots=[{
            "host": YANHU, "outcome": "ok", "fetched_at": run.started_at, "http_status": 200,
            "final_url": url, "notices": notices,
        }])  # fmt: skip
        store_crawls.finish_run(session, run.id, "finished", {})
        run_id = run.id
    assert run_audit(store, PROFILE, run_id=run_id).changes["new"] == {"BA114": 1}
    with pytest.raises(UserError, match="info-level checks for the centre are left out"):
        write_notice(store, SPONSOR, tmp_path / "n.docx", today=TODAY)
    assert not (tmp_path / "n.docx").exists()


def test_an_unknown_target_is_a_clear_error(audited: Store, tmp_path: Path) -> None:
    with pytest.raises(UserError, match="no site with this host and no sponsor"):
        write_notice(audited, "盐湖区人民政府", tmp_path / "x.docx")  # a name, not a sponsor
    with pytest.raises(UserError, match="host or a sponsor"):
        write_notice(audited, "  ", tmp_path / "x.docx")


def test_hostile_crawled_text_does_not_break_the_document(audited: Store, tmp_path: Path) -> None:
    # PostgreSQL refuses NUL in JSON and text: there the crawl cannot have stored one
    excerpt = HOSTILE.replace("\x00", "") if audited.dialect == "postgresql" else HOSTILE
    finding(audited, YANHU, "BA101", evidence={"excerpt": excerpt, "url": f"http://{YANHU}/"})
    with audited.session() as session:
        site = session.scalars(select(Site).where(Site.host == YANHU)).one()
        site.name = "盐湖区\x0c人民政府</w:t></w:r><w:r><w:t>\x85"
        site.sponsor = "盐湖/区\x01政府:办公室?\u202e"
    out = write_notice(audited, YANHU, None, profile=PROFILE, today=TODAY,
                       data_dir=tmp_path / "data")  # fmt: skip
    assert out == tmp_path / "data" / "notices" / "盐湖_区政府_办公室-2026-11-28.docx"
    paragraphs, rows = read(out)
    assert "盐湖/区政府:办公室?：" in paragraphs
    evidence = rows[1][4]
    assert "晋ICP备<w:t>注入</w:t>&amp;备案" in evidence
    assert not any(char in evidence for char in CONTROLS)
    assert "盐湖区人民政府</w:t></w:r><w:r><w:t>" in rows[1][1]
    with zipfile.ZipFile(out) as package:  # nowhere in the package, core properties too
        for name in package.namelist():
            text = package.read(name).decode("utf-8", "replace").replace("\n", "")
            if name.endswith((".xml", ".rels")):
                assert not RAW_CONTROL.search(text), name
    with audited.session() as session:  # what was stored stays raw
        site = session.scalars(select(Site).where(Site.host == YANHU)).one()
        assert site.sponsor == "盐湖/区\x01政府:办公室?\u202e"


def test_hostile_text_given_directly_to_the_renderer_is_cleaned_too(tmp_path: Path) -> None:
    row = NoticeRow(
        finding_id=1, site_name="站\x00名", host="a.example.cn", rule="BA101", severity="high",
        message="网站首页未标明有效的ICP备案编号", basis="依据\x0b", advice="建议\ud800",
        excerpt=HOSTILE, url="http://a.example.cn/\x00", seen=None,
    )  # fmt: skip
    content = NoticeContent(addressee="单位\x00<w:t>", issuer="中心\x0b", date=TODAY,
                            number="文号\x1f", rows=[row], deadline=TODAY)  # fmt: skip
    out = save_document(render_notice(content), tmp_path / "direct.docx")
    paragraphs, rows = read(out)
    assert "单位<w:t>：" in paragraphs and "中心" in paragraphs and "文号" in paragraphs
    assert rows[1][4].startswith("晋ICP备<w:t>注入</w:t>&amp;备案")
    assert rows[1][1] == "站名\na.example.cn"


def test_clean_text_and_file_names() -> None:
    assert clean_text("a\x00b\x0bc\ud800d\ufffe\n  e") == "abcd e"
    assert clean_text("\x1b[2J标题\x9b\x7f\u202e\u2066x\u2069") == "[2J标题x"
    assert clean_text("x" * 10, 5) == "xxxx…"
    assert clean_text(None) == ""
    assert safe_filename("../..\\etc/passwd") == "etc_passwd"
    assert safe_filename("  ..  ") == "notice"
    assert safe_filename("运城市 教育局") == "运城市_教育局"
    assert chinese_date(dt.date(2026, 1, 5)) == "2026年1月5日"


def test_the_docx_names_the_chinese_fonts_through_east_asia(audited: Store, tmp_path: Path) -> None:
    document = docx.Document(str(write_notice(audited, SPONSOR, tmp_path / "n.docx")))
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    fonts = document.styles["Normal"].element.find(f"{w}rPr").find(f"{w}rFonts")
    assert fonts.get(f"{w}eastAsia") == "仿宋" and fonts.get(f"{w}eastAsiaTheme") is None
    title = document.paragraphs[0].runs[0]._element.find(f"{w}rPr").find(f"{w}rFonts")
    assert title.get(f"{w}eastAsia") == "方正小标宋简体"


def test_the_cli_issues_numbered_notices_on_record_and_notifies_their_findings(
    audited: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    url = audited.engine.url.render_as_string(hide_password=False)
    env = {"BEIAN_DATABASE_URL": url, "BEIAN_DATA_DIR": str(tmp_path / "data")}
    runner = CliRunner()
    year = beijing_today().year
    issued = runner.invoke(cli, ["notice", SPONSOR, "--deadline", "2099-01-02", "--by", "王工",
                                 "--json"], env=env)  # fmt: skip
    assert issued.exit_code == 0, issued.output
    record = json.loads(issued.output)
    assert record["number"] == f"运网安通〔{year}〕1号"  # [notice] number_format, per year
    assert (record["findings"], record["sites"], record["notified"]) == (2, 2, 2)
    written = Path(record["file"])
    assert written.parent == tmp_path / "data" / "notices" and written.exists()
    paragraphs, _ = read(written)
    assert record["number"] in paragraphs and "于2099年1月2日前完成整改" in "".join(paragraphs)
    # its findings were notified, with its deadline, in the same transaction
    with audited.session() as session:
        for finding_id in json.loads(
            runner.invoke(cli, ["notices", "show", str(record["id"]), "--json"], env=env).output
        )["findings"]:
            found = session.get_one(Finding, finding_id)
            assert (found.review_state, found.deadline) == ("notified", dt.date(2099, 1, 2))
            events = session.scalars(select(FindingEvent).where(
                FindingEvent.finding_id == finding_id)).all()  # fmt: skip
            assert events[-1].note == f"整改通知 {record['number']}"
            assert events[-1].actor == "王工"
    # the same findings again on the same day: asked first; "no" issues nothing
    again = runner.invoke(cli, ["notice", SPONSOR, "--deadline", "2099-02-01"], env=env,
                          input="n\n")  # fmt: skip
    assert "already notified these findings today. Issue a second notice?" in again.output
    assert "nothing was issued" in str(again.exception)
    listed = json.loads(runner.invoke(cli, ["notices", "--json"], env=env).output)
    assert [row["number"] for row in listed] == [record["number"]]
    again = runner.invoke(cli, ["notice", SPONSOR, "--deadline", "2099-02-01", "--yes"], env=env)
    assert again.exit_code == 0 and f"运网安通〔{year}〕2号" in again.output
    # a number given by hand, once; a file is never written over
    taken = runner.invoke(cli, ["notice", YANHU, "--number", record["number"], "--yes"], env=env)
    assert "was issued before" in str(taken.exception)
    over = runner.invoke(cli, ["notice", YANHU, "--out", str(written), "--yes"], env=env)
    assert "exists: a notice is never written over" in str(over.exception)
    assert len(json.loads(runner.invoke(cli, ["notices", "--json"], env=env).output)) == 2
    # printed again from its record, as it was issued
    copy = tmp_path / "copy.docx"
    printed = runner.invoke(cli, ["notices", "print", str(record["id"]), "--out", str(copy)],
                            env=env)  # fmt: skip
    assert printed.exit_code == 0, printed.output
    assert read(copy) == read(written)

    result = runner.invoke(cli, ["notice", SPONSOR, "--deadline", "2001-01-01"], env=env)
    assert isinstance(result.exception, UserError) and "in the past" in str(result.exception)
    result = runner.invoke(cli, ["notice", "--help"])
    assert result.exit_code == 0 and "SITE-or-SPONSOR" in result.output


@skip_without_office
def test_the_notice_converts_to_a_pdf_with_its_chinese_title(
    audited: Store, tmp_path: Path
) -> None:
    out = write_notice(audited, SPONSOR, tmp_path / "notice.docx", profile=PROFILE, today=TODAY)
    text = pdf_text(docx_to_pdf(out, tmp_path))
    assert TITLE in text
    assert SPONSOR in text and "运城市网络与信息安全信息通报中心" in text


def test_a_site_without_a_known_sponsor_is_addressed_by_its_name_and_host(
    audited: Store, tmp_path: Path
) -> None:
    from audit.config import load_settings
    from audit.services.notices import issue_notice

    with audited.session() as session:
        session.scalars(select(Site).where(Site.host == RUICHENG)).one().sponsor = None
    notice = {"contact": "张三，联系电话：0359-2000000",
              "copy_to": ["运城市公安局网安支队", "芮城县委网信办"]}  # fmt: skip
    settings = load_settings(None, data_dir=str(tmp_path), notice=notice)

    issued = issue_notice(audited, settings, RUICHENG, on=TODAY)
    assert issued.addressee == f"芮城县人民政府（{RUICHENG}）网站主办单位"
    paragraphs, rows = read(issued.path)
    assert f"芮城县人民政府（{RUICHENG}）网站主办单位：" in paragraphs
    assert "联系人：张三，联系电话：0359-2000000。" in paragraphs
    assert paragraphs[-2] == "抄送：运城市公安局网安支队，芮城县委网信办。"  # 版记
    assert len(rows) == 2
