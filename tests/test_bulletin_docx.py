"""月度通报 DOCX: red masthead, headings, tables, charts, attachments, hostile text, PDF."""

from __future__ import annotations

import datetime as dt
import struct
import zipfile
import zlib
from dataclasses import replace
from pathlib import Path

import docx
import pytest
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
from docx.oxml.ns import qn
from docx.shared import RGBColor

from audit.bulletin.blocks import BulletinDocument, Chart, Heading, Masthead, Paragraph, Table
from audit.bulletin.render_docx import render_docx
from tests.support.office import docx_to_pdf, pdf_text, skip_without_office

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
TITLE = "运城市网络与信息安全信息通报"
UNIT = "运城市网络与信息安全信息通报中心"
SUBTITLE = "2026年11月全市网站备案情况通报"
HEADINGS = ("一、总体情况", "二、备案情况", "三、问题网站", "四、整改情况", "五、风险提示",
            "六、工作要求")  # fmt: skip
HOSTILE = "<script>alert(1)</script>\x00\u202e\x1b\x9b\x7f\u2066=1+1\u2069"
FORMULA = "=cmd|' /C calc'!A0"
MASTHEAD = Masthead(
    title=TITLE,
    issue="2026年第11期",
    unit=UNIT,
    date=dt.date(2026, 12, 1),
    period_label="2026年11月",
    subtitle=SUBTITLE,
)
DISTRICTS = Table(
    caption="表1 各县（市、区）网站备案情况",
    headers=("县（市、区）", "网站数", "备案率"),
    rows=(
        ("盐湖区", "120", "98.3%"),
        ("永济市", "45", "95.6%"),
        (f"芮城县{FORMULA}", "38", "100%"),
    ),
    widths=(2, 1, 1),
    numeric=(False, True, True),
    note="注：备案率为已备案网站数占网站总数的比例。",
)


def write_png(path: Path, width: int = 40, height: int = 20) -> Path:
    """A small red PNG written with the standard library (no drawing library needed)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    pixels = (b"\x00" + b"\xc0\x20\x20" * width) * height  # filter byte 0, then RGB
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
                     + chunk(b"IDAT", zlib.compress(pixels)) + chunk(b"IEND", b""))  # fmt: skip
    return path


def bulletin(chart_png: Path | None) -> BulletinDocument:
    """Six numbered sections with a paragraph each, a sub-heading, a table and two charts."""
    blocks = []
    for heading in HEADINGS:
        blocks += [Heading(heading), Paragraph(f"{heading[2:]}的正文。")]
    blocks[2:2] = [
        Paragraph(f"本月监测发现异常页面标题 {HOSTILE}。"),
        Heading("（一）各县（市、区）情况", level=2),
        DISTRICTS,
        Chart("rates", "图1 全市网站备案率", chart_png),
        Chart("districts", "图2 各县（市、区）未备案网站数", None),
    ]
    return BulletinDocument(
        masthead=MASTHEAD,
        blocks=blocks,
        signature=(UNIT, "2026年12月1日"),
        attachments=("2026年11月未备案网站及问题清单",),
        copy_to=("运城市公安局", "运城市委网信办"),
        printer="运城市网络与信息安全信息通报中心办公室",
        printed=dt.date(2026, 12, 1),
    )


@pytest.fixture
def rendered(tmp_path: Path) -> Path:
    return render_docx(bulletin(write_png(tmp_path / "rates.png")), tmp_path / "out" / "b.docx")


def texts(document: docx.document.Document) -> list[str]:
    return [paragraph.text for paragraph in document.paragraphs]


def test_the_bulletin_has_its_masthead_headings_table_charts_and_close(rendered: Path) -> None:
    assert rendered.exists() and rendered.parent.name == "out"  # parents are created
    document = docx.Document(str(rendered))
    paragraphs = texts(document)
    assert paragraphs[:4] == [TITLE, "2026年第11期", f"{UNIT}\t2026年12月1日", SUBTITLE]
    found = [text for text in paragraphs if text in HEADINGS]
    assert found == list(HEADINGS)  # all six, in order
    assert "（一）各县（市、区）情况" in paragraphs

    (table,) = document.tables
    rows = [[cell.text for cell in row.cells] for row in table.rows]
    assert rows[0] == ["县（市、区）", "网站数", "备案率"]
    assert len(rows) == 4 and all(len(row) == 3 for row in rows)
    assert rows[1] == ["盐湖区", "120", "98.3%"]
    assert "表1 各县（市、区）网站备案情况" in paragraphs and DISTRICTS.note in paragraphs

    assert len(document.inline_shapes) == 1  # the chart with a PNG; the other is missing
    assert "图1 全市网站备案率" in paragraphs and "图2 各县（市、区）未备案网站数" in paragraphs
    assert "（图表未生成）" in paragraphs

    assert "附件：2026年11月未备案网站及问题清单" in paragraphs
    assert paragraphs[-4:-2] == [UNIT, "2026年12月1日"]
    # the 版记 closes it (GB/T 9704): 抄送, the printing unit and the date, between rules
    assert paragraphs[-2:] == [
        "抄送：运城市公安局，运城市委网信办。",
        "运城市网络与信息安全信息通报中心办公室\t2026年12月1日印发",
    ]
    copy, printed = document.paragraphs[-2:]
    borders = [{side.tag.split("}")[1] for side in p._p.pPr.find(qn("w:pBdr"))}
               for p in (copy, printed)]  # fmt: skip
    assert borders == [{"top"}, {"top", "bottom"}]
    assert paragraphs.index("附件：2026年11月未备案网站及问题清单") > paragraphs.index(HEADINGS[-1])


def test_the_masthead_is_red_over_a_red_rule(rendered: Path) -> None:
    document = docx.Document(str(rendered))
    head, issue, issued = document.paragraphs[:3]
    assert head.alignment == issue.alignment == WD_ALIGN_PARAGRAPH.CENTER
    (run,) = head.runs
    assert run.font.color.rgb == RGBColor(0xFF, 0x00, 0x00)
    fonts = run._element.find(f"{W}rPr").find(f"{W}rFonts")
    assert fonts.get(f"{W}eastAsia") == "方正小标宋简体"
    assert run.font.size.pt >= 28  # as large as fits the 15.6 cm text width

    rule = issued._p.find(f"{W}pPr").find(f"{W}pBdr").find(f"{W}bottom")
    assert rule.get(f"{W}color") == "FF0000" and rule.get(f"{W}sz") == "12"  # 1.5 pt
    (tab,) = issued.paragraph_format.tab_stops  # the date flush right at the text's edge
    assert tab.alignment == WD_TAB_ALIGNMENT.RIGHT
    assert tab.position.cm == pytest.approx(15.6, abs=0.01)


def test_headings_are_hei_and_kai_and_tables_fit_the_text_width(rendered: Path) -> None:
    document = docx.Document(str(rendered))

    def east_asia(text: str) -> str:
        paragraph = next(p for p in document.paragraphs if p.text == text)
        return paragraph.runs[0]._element.find(f"{W}rPr").find(f"{W}rFonts").get(f"{W}eastAsia")

    assert east_asia("一、总体情况") == "黑体"
    assert east_asia("（一）各县（市、区）情况") == "楷体"

    table = document.tables[0]
    widths = [column.width.cm for column in table.columns]
    assert sum(widths) == pytest.approx(15.6, abs=0.01)
    assert widths[0] == pytest.approx(2 * widths[1], abs=0.01)  # weights 2:1:1
    header = table.rows[0]
    assert header._tr.trPr.find(f"{W}tblHeader") is not None  # repeated on each page
    assert header.cells[0].paragraphs[0].runs[0].font.bold
    number = table.rows[1].cells[1].paragraphs[0]
    assert number.alignment == WD_ALIGN_PARAGRAPH.RIGHT
    assert table.rows[1].cells[0].paragraphs[0].alignment == WD_ALIGN_PARAGRAPH.LEFT


def test_hostile_text_is_cleaned_and_stays_text(tmp_path: Path) -> None:
    hostile = replace(
        bulletin(None),
        masthead=replace(MASTHEAD, title=f"{TITLE}\x0b\u202e", unit=f"{UNIT}\x00"),
        attachments=(f"清单{FORMULA}\x1f",),
    )
    out = render_docx(hostile, tmp_path / "hostile.docx")
    document = docx.Document(str(out))
    paragraphs = texts(document)
    assert "本月监测发现异常页面标题 <script>alert(1)</script>=1+1。" in paragraphs
    assert paragraphs[0] == TITLE and document.core_properties.author == UNIT
    assert f"附件：清单{FORMULA}" in paragraphs
    assert document.tables[0].rows[3].cells[0].text == f"芮城县{FORMULA}"
    with zipfile.ZipFile(out) as package:
        xml = package.read("word/document.xml").decode("utf-8")
    assert "&lt;script&gt;" in xml and "<script>" not in xml  # escaped text, not markup
    assert not any(char in xml for char in "\x00\x0b\x1f\u202e\x1b\x9b\x7f\u2066\u2069")


def test_core_properties_come_from_the_bulletin_so_rerendering_is_stable(
    tmp_path: Path,
) -> None:
    png = write_png(tmp_path / "rates.png")
    first = render_docx(bulletin(png), tmp_path / "first.docx")
    properties = docx.Document(str(first)).core_properties
    assert properties.title == SUBTITLE and properties.author == UNIT
    midnight_in_beijing = dt.datetime(2026, 11, 30, 16, 0, tzinfo=dt.UTC)  # of 2026-12-01
    assert properties.created == properties.modified == midnight_in_beijing

    second = render_docx(bulletin(png), tmp_path / "second.docx")
    with zipfile.ZipFile(first) as one, zipfile.ZipFile(second) as two:
        assert one.namelist() == two.namelist()
        for name in one.namelist():  # the zip's own timestamps differ; the content does not
            assert one.read(name) == two.read(name), name


def test_a_draft_says_so_on_every_page(tmp_path: Path) -> None:
    draft = replace(bulletin(None), masthead=replace(MASTHEAD, issue="征求意见稿", draft=True))
    document = docx.Document(str(render_docx(draft, tmp_path / "draft.docx")))
    assert document.paragraphs[1].text == "征求意见稿"
    assert document.sections[0].header.paragraphs[0].text == "草稿"
    assert document.core_properties.title == f"【草稿】{SUBTITLE}"


def test_an_unreadable_chart_is_reported_in_its_place(tmp_path: Path) -> None:
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not a picture")
    document = BulletinDocument(MASTHEAD, [Chart("rates", "图1 全市网站备案率", broken)])
    rendered = docx.Document(str(render_docx(document, tmp_path / "b.docx")))
    assert len(rendered.inline_shapes) == 0
    assert "（图表未生成）" in texts(rendered)


@skip_without_office
def test_the_bulletin_prints_with_its_chinese_text(rendered: Path, tmp_path: Path) -> None:
    # pdftotext puts a space between Chinese and Latin text (2026 年): compare without spaces
    text = "".join(pdf_text(docx_to_pdf(rendered, tmp_path)).split())
    for expected in (TITLE, SUBTITLE, "一、总体情况", "六、工作要求", "2026年12月1日",
                     "抄送：运城市公安局，运城市委网信办。", "2026年12月1日印发"):  # fmt: skip
        assert expected in text, expected
