"""`beian bulletin`: numbered issues, drafts, the files it writes, hostile text kept inert."""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from pathlib import Path

import docx
import openpyxl
import pytest
from click.testing import CliRunner
from lxml import html as lxml_html

from audit.bulletin import make_bulletin, month_before
from audit.bulletin.numbering import list_issues
from audit.cli import cli, cli_message
from audit.config import load_settings
from audit.documents.docx_style import clean_text
from audit.errors import UserError
from audit.store import Site, Store
from tests.support.bulletin_world import World, beijing, footer
from tests.test_display import RAW_CONTROL

HOSTILE_NAME = '<script>alert("x")</script>=HYPERLINK("http://evil.example","点我")'
HOSTILE_SPONSOR = "+cmd|' /C calc'!A0"
# terminal controls and bidi overrides after the name, as a page title could carry them
CONTROLS = "\x1b[2J\x1b]8;;http://evil.example/\x1b\\点我\x07\x08\x7f\x9b\u202egnp.exe\u2066"


def small_world(store: Store) -> World:
    world = World(store)
    world.site("www.x.cn", "盐湖区", key_unit=True, sponsor=HOSTILE_SPONSOR)
    world.site("www.y.cn", "夏县")
    with store.session() as session:  # a name as an inventory file might carry it
        from audit.store import Site

        session.query(Site).filter(Site.host == "www.x.cn").update(
            {"name": HOSTILE_NAME + CONTROLS, "sponsor": HOSTILE_SPONSOR + CONTROLS}
        )
    for month in (10, 11, 12):
        world.crawl(beijing(2026, month, 10, 2), {"www.x.cn": footer(1, icp=False),
                                                  "www.y.cn": footer(2)})  # fmt: skip
    world.crawl(beijing(2027, 1, 10, 2), {"www.x.cn": footer(1), "www.y.cn": footer(2)})
    return world


@pytest.fixture
def settings(tmp_path: Path, db_url: str):  # type: ignore[no-untyped-def]
    return load_settings(None, database_url=db_url, data_dir=str(tmp_path / "data"))


def test_bulletins_are_numbered_per_year_and_keep_their_number(store: Store, settings) -> None:  # type: ignore[no-untyped-def]
    small_world(store)
    later = beijing(2027, 2, 2, 9)

    def issue(month: str) -> str:
        return make_bulletin(store, settings, month, now=later, formats=("md",)).label

    assert issue("2026-11") == "2026年第1期"
    assert issue("2026-12") == "2026年第2期"
    assert issue("2027-01") == "2027年第1期"  # a new year starts again at 1
    assert issue("2026-11") == "2026年第1期"  # issued again: the same number
    with store.session() as session:
        issued = [(b.period, b.year, b.number) for b in list_issues(session)]
        assert issued == [("2026-11", 2026, 1), ("2026-12", 2026, 2), ("2027-01", 2027, 1)]
        record = list_issues(session)[0]
        assert record.figures["unfiled"]["sites"] == {"current": 1, "previous": 1}
        assert any(name.endswith("bulletin-2026-11.md") for name in record.files)


def test_a_draft_takes_no_number_and_a_month_not_over_can_only_be_drafted(
    store: Store,
    settings,  # type: ignore[no-untyped-def]
) -> None:
    small_world(store)
    during = beijing(2027, 1, 20)
    with pytest.raises(UserError, match="not over yet"):
        make_bulletin(store, settings, "2027-01", now=during)
    draft = make_bulletin(store, settings, "2027-01", now=during, draft=True, formats=("md",))
    assert draft.issue is None and draft.label == "草稿（未编号）"
    assert draft.files["md"].name == "bulletin-2027-01-draft.md"
    assert not draft.figures.complete
    with store.session() as session:
        assert list_issues(session) == []


def test_the_files_keep_hostile_text_inert(store: Store, settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    small_world(store)
    made = make_bulletin(store, settings, "2026-12", out_dir=tmp_path / "out",
                         now=beijing(2027, 1, 2))  # fmt: skip

    # the documents sent to units drop control characters and bidi overrides
    shown = clean_text(HOSTILE_NAME + CONTROLS)
    assert shown.endswith("[2J]8;;http://evil.example/\\点我gnp.exe")
    html = made.files["html"].read_text("utf-8")
    assert not RAW_CONTROL.search(html.replace("\n", ""))
    page = lxml_html.fromstring(html)
    assert page.xpath("//script") == []
    assert shown in page.text_content()  # shown as text
    markdown = made.files["md"].read_text("utf-8")
    assert "<script>" not in markdown and not RAW_CONTROL.search(markdown.replace("\n", ""))
    assert "gnp.exe" in markdown
    for kind in ("docx", "xlsx"):
        with zipfile.ZipFile(made.files[kind]) as package:
            for name in package.namelist():
                if name.endswith((".xml", ".rels")):
                    text = package.read(name).decode("utf-8").replace("\n", "")
                    assert not RAW_CONTROL.search(text), (kind, name)

    workbook = openpyxl.load_workbook(made.files["xlsx"])
    cells = [c for ws in workbook.worksheets for row in ws.iter_rows() for c in row]
    assert all(c.data_type != "f" for c in cells)
    texts = [c.value for c in cells if isinstance(c.value, str)]
    assert not any(t.startswith(("=", "+", "-", "@")) for t in texts)
    assert any(HOSTILE_SPONSOR in t for t in texts)  # kept, neutralised

    document = docx.Document(str(made.files["docx"]))
    assert "2026年第1期" in "\n".join(p.text for p in document.paragraphs)
    cells = [c.text for t in document.tables for r in t.rows for c in r.cells]
    assert any(shown in c for c in cells)

    with store.session() as session:  # the database keeps what was stored, raw
        site = session.query(Site).filter(Site.host == "www.x.cn").one()
        assert (site.name, site.sponsor) == (HOSTILE_NAME + CONTROLS, HOSTILE_SPONSOR + CONTROLS)


def test_beian_bulletin_on_the_command_line(store: Store, db_url: str, tmp_path: Path) -> None:
    small_world(store)
    runner = CliRunner()
    env = {"BEIAN_DATABASE_URL": db_url, "BEIAN_DATA_DIR": str(tmp_path / "data")}
    result = runner.invoke(
        cli, ["bulletin", "--month", "2026-11", "--format", "md,xlsx", "--json"], env=env
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["issue"] == "2026年第1期" and set(report["files"]) >= {"md", "xlsx", "rates"}
    assert report["figures"]["overview"]["monitored"] == {"current": 2, "previous": 2}

    listed = runner.invoke(cli, ["bulletin", "list", "--json"], env=env)
    assert [row["issue"] for row in json.loads(listed.stdout)] == ["2026年第1期"]

    wrong = runner.invoke(cli, ["bulletin", "--month", "2026-13"], env=env)
    assert wrong.exit_code != 0 and "YYYY-MM" in str(wrong.exception or wrong.output)

    # a month no crawl ran in would report nothing monitored: refused, unless --force
    empty = runner.invoke(cli, ["bulletin", "--month", "2026-09"], env=env)
    assert isinstance(empty.exception, UserError)
    assert "no crawl run is dated in 2026-09" in str(empty.exception)
    assert "the first month with a crawl is 2026-10" in str(empty.exception)
    forced = runner.invoke(cli, ["bulletin", "--month", "2026-09", "--force", "--format", "md"],
                           env=env)  # fmt: skip
    assert forced.exit_code == 0, forced.output


def test_the_scheduler_issues_last_months_bulletin_on_the_first() -> None:
    assert month_before(dt.datetime(2026, 12, 1, 0, 0, tzinfo=dt.UTC)) == "2026-11"
    # 1 January 00:30 in Beijing is still 31 December in UTC: the month before is December
    assert month_before(beijing(2027, 1, 1, 0, 30)) == "2026-12"


def test_an_issue_sent_in_error_is_withdrawn_and_its_number_never_given_again(
    store: Store, db_url: str, tmp_path: Path
) -> None:
    small_world(store)
    runner = CliRunner()
    env = {"BEIAN_DATABASE_URL": db_url, "BEIAN_DATA_DIR": str(tmp_path / "data")}

    def issue(month: str) -> dict:  # type: ignore[type-arg]
        result = runner.invoke(cli, ["bulletin", "--month", month, "--format", "docx,md",
                                     "--json"], env=env)  # fmt: skip
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)  # type: ignore[no-any-return]

    first = issue("2026-11")
    assert issue("2026-10")["issue"] == "2026年第2期"
    # the documents say how they are numbered
    rule = docx.Document(first["files"]["docx"]).core_properties.comments
    assert "撤回的期号保留，不再使用" in rule

    asked = runner.invoke(cli, ["bulletin", "void", "2026年第1期", "--reason", "数据有误"],
                          env=env, input="n\n")  # fmt: skip
    assert asked.exit_code != 0 and "Withdraw 2026年第1期?" in asked.output
    voided = runner.invoke(cli, ["bulletin", "void", "2026年第1期", "--reason", "区县统计 有误",
                                 "--by", "张三", "--yes", "--json"], env=env)  # fmt: skip
    assert voided.exit_code == 0, voided.output
    report = json.loads(voided.stdout)
    assert (report["issue"], report["month"], report["by"]) == ("2026年第1期", "2026-11", "张三")
    # its files are kept, out of the way of a new issue of the month
    kept = [Path(name) for name in report["files"]]
    assert kept and all(p.parent.name == "withdrawn-2026-01" and p.exists() for p in kept)
    assert not Path(first["files"]["docx"]).exists()

    again = runner.invoke(cli, ["bulletin", "void", "2026-11", "--reason", "x", "--yes"], env=env)
    assert isinstance(again.exception, UserError)
    assert "no issue of 2026-11 is in force" in str(again.exception)
    twice = runner.invoke(cli, ["bulletin", "void", "1", "--year", "2026", "--reason", "x",
                                "--yes"], env=env)  # fmt: skip
    assert "withdrawn already" in str(twice.exception)
    unknown = runner.invoke(cli, ["bulletin", "void", "2026年第9期", "--reason", "x", "--yes"],
                            env=env)  # fmt: skip
    assert "no bulletin 2026年第9期 was issued" in str(unknown.exception)
    no_reason = runner.invoke(cli, ["bulletin", "void", "2", "--reason", " ", "--yes"], env=env)
    assert isinstance(no_reason.exception, UserError)
    assert "say why the issue is withdrawn (--reason)" in cli_message(no_reason.exception)
    garbled = runner.invoke(cli, ["bulletin", "void", "第一期", "--reason", "x", "--yes"], env=env)
    assert "is no issue" in str(garbled.exception)

    # the month is issued anew under the next number, and says whom it replaces
    reissued = issue("2026-11")
    assert reissued["issue"] == "2026年第3期"
    assert any("2026年第1期, withdrawn on" in w and "replaces it" in w
               for w in reissued["warnings"])  # fmt: skip
    assert all(p.exists() for p in kept)  # the withdrawn files were not replaced
    assert issue("2026-11")["issue"] == "2026年第3期"  # issued again: keeps its number

    listed = json.loads(runner.invoke(cli, ["bulletin", "list", "--json"], env=env).stdout)
    assert [(r["issue"], r["month"], r["state"]) for r in listed] == [
        ("2026年第1期", "2026-11", "withdrawn"),
        ("2026年第2期", "2026-10", "in force"),
        ("2026年第3期", "2026-11", "in force"),
    ]
    assert "by 张三: 区县统计 有误" in listed[0]["withdrawn"]
