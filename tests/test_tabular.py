"""Reading analysts' tables: encodings, delimiters, headers, line numbers, workbooks."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from audit.excerpt import excerpt, excerpts
from audit.intake.tabular import (
    ReadLimits,
    Table,
    TableError,
    cell_text,
    normalise_header,
    read_table,
)
from audit.intake.tabular.cells import excel_date, is_date_format
from audit.intake.tabular.zipparts import declared_entries

COLUMNS = {
    "url": ("网址", "域名", "网站地址"),
    "name": ("网站名称",),
    "district": ("所属区县", "区县"),
}

CHINESE_CSV = (
    "网址,网站名称,所属区县\n"
    "www.yuncheng.gov.cn,运城市人民政府,市直\n"
    "www.yanhu.gov.cn,盐湖区人民政府,盐湖区\n"
)


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def values(table: Table) -> list[tuple[int, dict[str, str]]]:
    return table.rows


EXPECTED = [
    (2, {"url": "www.yuncheng.gov.cn", "name": "运城市人民政府", "district": "市直"}),
    (3, {"url": "www.yanhu.gov.cn", "name": "盐湖区人民政府", "district": "盐湖区"}),
]


@pytest.mark.parametrize(
    ("encoded", "encoding"),
    [
        (CHINESE_CSV.encode("utf-8"), "utf-8"),
        (CHINESE_CSV.encode("utf-8-sig"), "utf-8-sig"),
        (CHINESE_CSV.encode("gbk"), "gb18030"),
        (CHINESE_CSV.replace("\n", "\r\n").encode("gb18030"), "gb18030"),
    ],
    ids=["utf-8", "utf-8-bom", "gbk", "gb18030-crlf"],
)
def test_chinese_csv_is_read_in_any_encoding_excel_writes(
    tmp_path: Path, encoded: bytes, encoding: str
) -> None:
    table = read_table(write(tmp_path, "sites.csv", encoded), COLUMNS, required=["url"])
    assert table.rows == EXPECTED
    assert table.encoding == encoding
    assert table.header == {"url": "网址", "name": "网站名称", "district": "所属区县"}
    assert table.header_line == 1


def test_excel_unicode_text_is_utf16_with_tabs(tmp_path: Path) -> None:
    text = CHINESE_CSV.replace(",", "\t").replace("\n", "\r\n")
    path = write(tmp_path, "sites.txt", text.encode("utf-16"))  # with its BOM, as Excel writes
    table = read_table(path, COLUMNS)
    assert table.rows == EXPECTED
    assert (table.encoding, table.delimiter) == ("utf-16", "\t")


@pytest.mark.parametrize("delimiter", [",", "\t", ";"])
def test_the_delimiter_is_detected(tmp_path: Path, delimiter: str) -> None:
    # The names hold the other delimiters, so a wrong guess would split them.
    text = (
        f"网址{delimiter}网站名称{delimiter}所属区县\n"
        f'www.a.gov.cn{delimiter}"甲,乙;丙"{delimiter}盐湖区\n'
    )
    table = read_table(write(tmp_path, "sites.csv", text.encode()), COLUMNS)
    assert table.delimiter == delimiter
    assert table.rows == [(2, {"url": "www.a.gov.cn", "name": "甲,乙;丙", "district": "盐湖区"})]


def test_a_one_column_file_is_not_split_on_semicolons_in_urls(tmp_path: Path) -> None:
    path = write(tmp_path, "urls.csv", b"url\nhttp://a.gov.cn/x;jsessionid=1\nb.gov.cn\n")
    table = read_table(path, COLUMNS)
    assert [v["url"] for _, v in table.rows] == ["http://a.gov.cn/x;jsessionid=1", "b.gov.cn"]


def test_excel_sep_line_names_the_delimiter(tmp_path: Path) -> None:
    path = write(tmp_path, "sites.csv", "sep=;\n网址;区县\nwww.a.gov.cn;盐湖区\n".encode())
    table = read_table(path, COLUMNS)
    assert table.delimiter == ";"
    assert table.header_line == 2
    assert table.rows == [(3, {"url": "www.a.gov.cn", "name": "", "district": "盐湖区"})]


def test_quoted_multiline_fields_keep_line_numbers(tmp_path: Path) -> None:
    text = (
        "网址,网站名称,所属区县\r\n"
        'www.a.gov.cn,"运城市\r\n人民政府\r\n门户网站",市直\r\n'  # lines 2-4
        "www.b.gov.cn,乙,盐湖区\r\n"  # line 5
        'www.c.gov.cn,"丙\n",临猗县\r\n'  # lines 6-7
        "www.d.gov.cn,丁,万荣县\r\n"  # line 8
    )
    table = read_table(write(tmp_path, "sites.csv", text.encode("gbk")), COLUMNS)
    assert [line for line, _ in table.rows] == [2, 5, 6, 8]
    assert table.rows[0][1]["name"] == "运城市\r\n人民政府\r\n门户网站"
    assert table.rows[2][1]["name"] == "丙"  # surrounding spaces (and newlines) are removed


def test_headers_match_aliases_loosely_and_unknown_columns_are_ignored(tmp_path: Path) -> None:
    text = "序号,＊网 址（必填）,　网站名称 *,备注,URL\n1,www.a.gov.cn,甲,旧网站,http://x.gov.cn\n"
    table = read_table(write(tmp_path, "sites.csv", text.encode()), COLUMNS)
    assert table.header == {"url": "＊网 址（必填）", "name": "网站名称 *"}
    # The field name itself is an alias, but 网址 comes first in the aliases: URL loses.
    assert table.ignored == ["序号", "备注", "URL"]
    assert table.rows == [(2, {"url": "www.a.gov.cn", "name": "甲", "district": ""})]


def test_of_two_columns_for_one_field_the_first_is_used(tmp_path: Path) -> None:
    text = "网址,网址,网站名称\nwww.a.gov.cn,www.b.gov.cn,甲\n"
    table = read_table(write(tmp_path, "sites.csv", text.encode()), COLUMNS)
    assert table.rows[0][1]["url"] == "www.a.gov.cn"
    assert table.ignored == ["网址"]


def test_normalise_header() -> None:
    assert normalise_header("  网站 名称（必填） ") == "网站名称"
    assert normalise_header("*Key_Unit") == "keyunit"


def test_a_title_row_above_the_header_is_skipped(tmp_path: Path) -> None:
    text = "运城市网站清单（2026年）,,\n\n网址,网站名称,区县\nwww.a.gov.cn,甲,盐湖区\n"
    table = read_table(write(tmp_path, "sites.csv", text.encode("gbk")), COLUMNS, required=["url"])
    assert table.header_line == 3
    assert table.rows == [(4, {"url": "www.a.gov.cn", "name": "甲", "district": "盐湖区"})]


def test_blank_rows_inside_are_kept_and_trailing_ones_dropped(tmp_path: Path) -> None:
    text = "网址,网站名称\nwww.a.gov.cn,甲\n,\n\nwww.b.gov.cn,乙\n,\n\n , \n"
    table = read_table(write(tmp_path, "sites.csv", text.encode()), COLUMNS)
    assert [(line, v["url"]) for line, v in table.rows] == [
        (2, "www.a.gov.cn"),
        (3, ""),
        (4, ""),
        (5, "www.b.gov.cn"),
    ]


def test_missing_required_column_names_the_file_aliases_and_headers(tmp_path: Path) -> None:
    path = write(tmp_path, "清单.csv", "序号,网站名称,备注\n1,甲,\n".encode("gbk"))
    with pytest.raises(TableError) as caught:
        read_table(path, COLUMNS, required=["url"])
    message = str(caught.value)
    assert str(path) in message
    assert "no url column (looked for 网址, 域名, 网站地址, url)" in message
    assert "headers found on line 1: 序号, 网站名称, 备注" in message


@pytest.mark.parametrize("extension", [".xls", ".XLS", ".et"])
def test_old_workbooks_are_refused_with_advice(tmp_path: Path, extension: str) -> None:
    path = write(tmp_path, f"sites{extension}", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
    with pytest.raises(TableError, match=r"save it as \.xlsx") as caught:
        read_table(path, COLUMNS)
    assert str(path) in str(caught.value)


def test_unknown_extension_lists_the_supported_ones(tmp_path: Path) -> None:
    with pytest.raises(TableError, match=r"supported are \.csv, \.txt, \.tsv, \.xlsx"):
        read_table(write(tmp_path, "sites.json", b"{}"), COLUMNS)


def test_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(TableError, match="file not found") as caught:
        read_table(tmp_path / "nothing.csv", COLUMNS)
    assert "nothing.csv" in str(caught.value)


def test_empty_file_has_no_header(tmp_path: Path) -> None:
    with pytest.raises(TableError, match="no header row"):
        read_table(write(tmp_path, "empty.csv", b"\n\n"), COLUMNS)


@pytest.mark.parametrize(
    "data",
    [
        "網址,網站名稱\nwww.a.gov.cn,運城市人民政府網站\nwww.b.gov.cn,鹽湖區教育局\n".encode(
            "big5"
        ),
        "url,name\nwww.a.de,Müller Straße café résumé\n".encode("cp1252"),
        # UTF-8 with one GBK line: decoding it all as GBK would garble the UTF-8 lines.
        "网址,网站名称\nwww.a.gov.cn,运城市\n".encode() + "www.b.gov.cn,盐湖区\n".encode("gbk"),
    ],
    ids=["big5", "cp1252", "mixed"],
)
def test_undecodable_bytes_are_refused_not_garbled(tmp_path: Path, data: bytes) -> None:
    path = write(tmp_path, "sites.csv", data)
    with pytest.raises(TableError, match="UTF-8") as caught:
        read_table(path, COLUMNS)
    assert str(path) in str(caught.value)


def test_an_unclosed_quote_is_reported_with_its_line(tmp_path: Path) -> None:
    text = '网址,网站名称\nwww.a.gov.cn,甲\nwww.b.gov.cn,"乙\nwww.c.gov.cn,丙\n'
    with pytest.raises(TableError, match=r"line 3: a quoted field .* never closed"):
        read_table(write(tmp_path, "sites.csv", text.encode()), COLUMNS)


def test_a_workbook_named_csv_is_recognised(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    workbook.save(tmp_path / "book.csv")
    with pytest.raises(TableError, match=r"rename it to \.xlsx"):
        read_table(tmp_path / "book.csv", COLUMNS)


# -- workbooks -----------------------------------------------------------------------------------


def make_workbook(path: Path, rows: list[list[object]], title: str = "Sheet") -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = title
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def test_xlsx_numbers_are_text_as_shown_and_trailing_empty_rows_are_not_rows(
    tmp_path: Path,
) -> None:
    path = tmp_path / "sites.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["网址", "网站名称", "所属区县", "备注"])
    sheet.append(["www.a.gov.cn", 12345, 1.0, True])
    sheet.append(["www.b.gov.cn", 2.5, dt.datetime(2026, 3, 1), None])
    # What Excel leaves below the data: formatted but empty cells, and a lone space.
    for row in range(4, 40):
        sheet.cell(row=row, column=1).number_format = "@"
    sheet.cell(row=41, column=2, value="  ")
    workbook.save(path)

    table = read_table(path, COLUMNS, required=["url"])
    assert table.rows == [
        (2, {"url": "www.a.gov.cn", "name": "12345", "district": "1"}),
        (3, {"url": "www.b.gov.cn", "name": "2.5", "district": "2026-03-01"}),
    ]
    assert table.ignored == ["备注"]
    assert table.sheet == "Sheet"


def test_xlsx_line_numbers_are_excel_row_numbers_across_gaps(tmp_path: Path) -> None:
    path = tmp_path / "sites.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet["A1"], sheet["B1"] = "运城市网站清单", None  # a title row
    sheet["A3"], sheet["B3"] = "网址", "网站名称"
    sheet["A4"], sheet["B4"] = "www.a.gov.cn", "甲"
    sheet["A7"], sheet["B7"] = "www.b.gov.cn", "乙"  # rows 5 and 6 were never written
    workbook.save(path)
    table = read_table(path, COLUMNS)
    assert table.header_line == 3
    assert [(line, v["url"]) for line, v in table.rows] == [
        (4, "www.a.gov.cn"),
        (5, ""),
        (6, ""),
        (7, "www.b.gov.cn"),
    ]


def test_xlsx_merged_cells_apply_to_every_row_they_cover(tmp_path: Path) -> None:
    path = tmp_path / "sites.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["所属区县", "网址"])
    sheet.append(["盐湖区", "www.a.gov.cn"])
    sheet.append([None, "www.b.gov.cn"])
    sheet.append([None, "www.c.gov.cn"])
    sheet.append(["临猗县", "www.d.gov.cn"])
    sheet.merge_cells("A2:A4")
    workbook.save(path)
    table = read_table(path, COLUMNS)
    assert [v["district"] for _, v in table.rows] == ["盐湖区", "盐湖区", "盐湖区", "临猗县"]


def test_xlsx_named_sheet(tmp_path: Path) -> None:
    path = tmp_path / "sites.xlsx"
    workbook = openpyxl.Workbook()
    first = workbook.active
    assert first is not None
    first.title = "说明"
    first.append(["请在第二页填写"])
    second = workbook.create_sheet("清单")
    second.append(["网址"])
    second.append(["www.a.gov.cn"])
    workbook.save(path)

    assert read_table(path, COLUMNS, sheet="清单").rows[0][1]["url"] == "www.a.gov.cn"
    with pytest.raises(TableError, match=r"no url column .*other sheets: 清单"):
        read_table(path, COLUMNS, required=["url"])
    with pytest.raises(TableError, match=r"no sheet '名单'; the sheets are '说明', '清单'"):
        read_table(path, COLUMNS, sheet="名单")


def test_a_text_file_named_xlsx_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "sites.xlsx", CHINESE_CSV.encode())
    with pytest.raises(TableError, match=r"is not an \.xlsx workbook") as caught:
        read_table(path, COLUMNS)
    assert str(path) in str(caught.value)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        (1, "1"),
        (1.0, "1"),
        (-3.0, "-3"),
        (0.1, "0.1"),
        (13512345678.0, "13512345678"),
        (True, "TRUE"),
        (dt.datetime(2026, 1, 31), "2026-01-31"),
        (dt.datetime(2026, 1, 31, 8, 30), "2026-01-31 08:30:00"),
        ("\u3000 运城 \u200b", "运城"),
    ],
)
def test_cell_text(value: object, text: str) -> None:
    assert cell_text(value) == text


def test_xlsx_merged_cells_fill_only_rows_that_have_values_of_their_own(tmp_path: Path) -> None:
    path = tmp_path / "sites.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["所属区县", "网址"])
    sheet.append(["盐湖区", "www.a.gov.cn"])
    sheet.append([None, "www.b.gov.cn"])
    sheet.merge_cells("A2:A900")  # merged far below the last row with a value
    workbook.save(path)
    table = read_table(path, COLUMNS)
    assert [(line, v["district"]) for line, v in table.rows] == [(2, "盐湖区"), (3, "盐湖区")]


def test_xlsx_dates_in_chinese_formats_are_dates(tmp_path: Path) -> None:
    path = tmp_path / "sites.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["网址", "网站名称", "所属区县"])
    sheet.append(["www.a.gov.cn", 44621, 0.5])
    sheet["B2"].number_format = 'yyyy"年"m"月"d"日"'
    sheet["C2"].number_format = 'h"时"mm"分"'
    workbook.save(path)
    (row,) = read_table(path, COLUMNS).rows
    assert row[1] == {"url": "www.a.gov.cn", "name": "2022-03-01", "district": "12:00:00"}


@pytest.mark.parametrize(
    ("format_id", "code", "is_date"),
    [
        (14, None, True),  # m/d/yyyy
        (31, None, True),  # the Chinese Excel's yyyy"年"m"月"d"日"
        (58, None, True),
        (0, None, False),  # General
        (49, None, False),  # @ (text)
        (176, "yyyy-mm-dd", True),
        (177, '0.00"m"', False),  # a quoted m is text
        (178, "[Red]0.00", False),  # a colour is not a date part
        (179, "[h]:mm", True),  # elapsed time
        (180, "0.00E+00", False),
    ],
)
def test_date_formats(format_id: int, code: str | None, is_date: bool) -> None:
    assert is_date_format(format_id, code) is is_date


@pytest.mark.parametrize(
    ("serial", "shown"),
    [(1, "1900-01-01"), (59, "1900-02-28"), (61, "1900-03-01"), (45351.75, "2024-02-29 18:00:00")],
)
def test_excel_serials_are_read_as_excel_reads_them(serial: float, shown: str) -> None:
    assert cell_text(excel_date(serial)) == shown


def test_a_cell_longer_than_excel_allows_is_a_problem_of_its_row_only(tmp_path: Path) -> None:
    text = f"网址,网站名称\nwww.a.gov.cn,{'长' * 40_000}\nwww.b.gov.cn,乙\n"
    table = read_table(write(tmp_path, "sites.csv", text.encode()), COLUMNS)
    assert [line for line, _ in table.rows] == [3]
    (problem,) = table.problems
    assert (problem.line, problem.field, problem.length) == (2, "name", 40_000)
    assert problem.value == "长" * 80


def test_reading_stops_after_a_run_of_empty_rows_with_a_note(tmp_path: Path) -> None:
    text = "网址\nwww.a.gov.cn\n\n\n\nwww.b.gov.cn\n"
    path = write(tmp_path, "sites.csv", text.encode())
    table = read_table(path, COLUMNS, limits=ReadLimits(max_empty_rows=3))
    assert [(line, v["url"]) for line, v in table.rows] == [(2, "www.a.gov.cn")]
    assert table.notes == [
        "lines 3-5 are empty (3 in a row): reading stopped there;"
        " rows below them, if any, were not read"
    ]


def test_excerpts_quote_huge_values_briefly() -> None:
    assert excerpt("a" * 1000) == "a" * 80 + "…[+920]"
    assert excerpt("abc", length=5_000_000) == "abc…[+4,999,997]"  # the start of a longer one
    assert excerpts(["网址"] * 12, count=2) == "网址, 网址 … and 10 more"


def test_the_end_record_of_a_zip_gives_its_number_of_parts() -> None:
    assert declared_entries(b"junk" + b"PK\x05\x06" + bytes(4) + (7).to_bytes(2, "little") * 2
                            + bytes(10)) == 7  # fmt: skip
    assert declared_entries(b"not a zip") is None
