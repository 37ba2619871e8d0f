"""The bulletin's attachment workbook: four lists, hostile text defused, real dates."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from audit.bulletin.figures import FindingRow, SiteRow
from audit.bulletin.render_xlsx import render_xlsx
from audit.documents.spreadsheet import Sheet, cell_value, safe_cell, write_workbook
from tests.test_bulletin_charts import make_figures
from tests.test_display import RAW_CONTROL

HOSTILE = [
    '=HYPERLINK("http://evil","x")',
    "+1+1",
    "-2",
    "@SUM(A1)",
    "\tX",
    "\rY",
    "\x00\x07=1",
    "\x1b\x9b\x7f\u202e\u2066@SUM(A1)\u2069",  # ESC, C1 CSI, DEL, bidi: dropped, then defused
]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def site(host: str, name: str, **changes: object) -> SiteRow:
    row = SiteRow(host=host, name=name, sponsor="运城市某某局", district="盐湖区",
                  category="政务", key_unit=True, problems="BA101 未展示ICP备案号",
                  since=dt.date(2026, 9, 3), review_state="notified",
                  deadline=dt.date(2026, 12, 5), new=False)  # fmt: skip
    return SiteRow(**{**row.__dict__, **changes})


def finding(id_: int, excerpt: str = "晋ICP备2021001234号-1", **changes: object) -> FindingRow:
    row = FindingRow(id=id_, host=f"site{id_}.yuncheng.gov.cn", name="某某网", sponsor="某某局",
                     district="永济市", category="事业单位", key_unit=False, rule="BA101",
                     message="未展示ICP备案号", severity="high", opened=dt.date(2026, 10, 2),
                     review_state="rectifying", deadline=dt.date(2026, 11, 20), resolved=None,
                     excerpt=excerpt, url=f"https://site{id_}.yuncheng.gov.cn/")  # fmt: skip
    return FindingRow(**{**row.__dict__, **changes})


@pytest.fixture
def workbook(tmp_path: Path) -> openpyxl.Workbook:
    figures = make_figures(
        unfiled_sites=[site(f"h{i}.example.cn", text, sponsor=text) for i, text in
                       enumerate(HOSTILE)] + [site("plain.example.cn", "普通网站", new=True)],
        open_findings=[finding(i, text, name=text) for i, text in enumerate(HOSTILE, start=1)],
        rectified=[finding(100, resolved=dt.date(2026, 11, 18), review_state="resolved")],
        overdue=[],
    )  # fmt: skip
    path = render_xlsx(figures, tmp_path / "attachment.xlsx")
    assert path == tmp_path / "attachment.xlsx"
    return openpyxl.load_workbook(path)


def rows_of(sheet: openpyxl.worksheet.worksheet.Worksheet) -> list[dict[str, object]]:
    header = [c.value for c in sheet[1]]
    return [dict(zip(header, values, strict=True))
            for values in sheet.iter_rows(min_row=2, values_only=True)]  # fmt: skip


def test_four_sheets_with_chinese_headers(workbook: openpyxl.Workbook) -> None:
    assert workbook.sheetnames == ["未备案网站", "未整改问题", "本月完成整改", "逾期未整改"]
    assert [c.value for c in workbook["未备案网站"][1]] == [
        "网站/域名", "网站名称", "主办单位", "区县", "类别", "重点单位", "问题", "首次发现",
        "处置状态", "整改期限", "是否本月新增",
    ]  # fmt: skip
    assert [c.value for c in workbook["本月完成整改"][1]] == [
        "编号", "网站/域名", "网站名称", "主办单位", "区县", "类别", "重点单位", "规则",
        "问题描述", "严重程度", "首次发现", "处置状态", "整改期限", "整改完成日期", "证据摘录",
        "网址",
    ]  # fmt: skip
    # nothing is ever resolved in these two: no empty column for it
    assert "整改完成日期" not in [c.value for c in workbook["未整改问题"][1]]
    assert "整改完成日期" not in [c.value for c in workbook["逾期未整改"][1]]


def test_header_is_bold_and_frozen_and_filtered(workbook: openpyxl.Workbook) -> None:
    expected_rows = {"未备案网站": 9, "未整改问题": 8, "本月完成整改": 1, "逾期未整改": 0}
    for name, count in expected_rows.items():
        sheet = workbook[name]
        assert sheet.freeze_panes == "A2", name
        assert all(cell.font.bold for cell in sheet[1]), name
        assert sheet.max_row == count + 1, name
        last = openpyxl.utils.get_column_letter(sheet.max_column)
        assert sheet.auto_filter.ref == f"A1:{last}{count + 1}", name
        widths = [sheet.column_dimensions[c].width for c in "ABC"]
        assert all(6 <= w <= 60 for w in widths), (name, widths)


def test_formula_like_text_is_stored_as_text(workbook: openpyxl.Workbook) -> None:
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(FORMULA_START), cell.value
                    assert not RAW_CONTROL.search(cell.value.replace("\t", "").replace("\r", ""))
    names = [r["网站名称"] for r in rows_of(workbook["未备案网站"])]
    assert names[:8] == [
        '\'=HYPERLINK("http://evil","x")', "'+1+1", "'-2", "'@SUM(A1)", "'\tX", "'\rY", "'=1",
        "'@SUM(A1)",
    ]  # fmt: skip
    excerpts = [r["证据摘录"] for r in rows_of(workbook["未整改问题"])]
    assert excerpts == names[:8]


def test_dates_are_dates_and_codes_are_chinese(workbook: openpyxl.Workbook) -> None:
    site_row = rows_of(workbook["未备案网站"])[-1]
    assert site_row["首次发现"] == dt.datetime(2026, 9, 3)  # openpyxl reads dates as datetimes
    assert site_row["整改期限"] == dt.datetime(2026, 12, 5)
    assert (site_row["重点单位"], site_row["是否本月新增"]) == ("是", "是")
    assert site_row["处置状态"] == "已督促整改"
    date_cell = workbook["未备案网站"]["H2"]
    assert date_cell.is_date and date_cell.number_format == "yyyy-mm-dd"
    fixed = rows_of(workbook["本月完成整改"])[0]
    assert fixed["编号"] == 100 and fixed["整改完成日期"] == dt.datetime(2026, 11, 18)
    assert (fixed["严重程度"], fixed["处置状态"]) == ("高", "已整改")


def test_cell_cleaning() -> None:
    assert safe_cell("=1+1") == "'=1+1" and safe_cell("1+1") == "1+1" and safe_cell(3) == 3
    assert cell_value("a\x00b\x1fc\td") == "abc\td"
    assert cell_value("a\x1b[2Jb\x9bc\x7f\u202ed\u2066e\u2069") == "a[2Jbcde"
    assert cell_value(dt.datetime(2026, 11, 30, 16, tzinfo=dt.UTC)) == dt.datetime(2026, 12, 1)
    assert cell_value({"k": dt.date(2026, 1, 2)}) == '{"k": "2026-01-02"}'
    assert len(cell_value("x" * 40_000)) == 32_767


def test_a_generator_streams_and_sheet_names_are_made_legal(tmp_path: Path) -> None:
    rows = ([i, f"行{i}"] for i in range(1000))
    path = write_workbook(tmp_path / "w.xlsx", [Sheet("a/b:c", ["n", "text"], rows),
                                                Sheet("A/B:C", ["x"], [])])  # fmt: skip
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["a_b_c", "A_B_C (2)"]
    assert book["a_b_c"].max_row == 1001 and book["a_b_c"].auto_filter.ref == "A1:B1001"
    assert book["A_B_C (2)"].auto_filter.ref == "A1:A1"
