"""Bulletin HTML: one self-contained file, official look, hostile text inert, deterministic."""

from __future__ import annotations

import base64
import datetime as dt
import struct
import zlib
from pathlib import Path

import lxml.html
import pytest

from audit.bulletin.blocks import BulletinDocument, Chart, Heading, Masthead, Paragraph, Table
from audit.bulletin.render_html import escape, png_data_uri, render_html, to_html
from tests.test_display import RAW_CONTROL

HOSTILE = (
    '<script>alert(1)</script> "><img src=x onerror=alert(1)> '
    "[x](javascript:alert(1)) a|b|c \x00nul \u202egnp.exe \x1b[2J\x9b\x7f\u2066清屏\u2069"
)
# what a reader should see: the markup as text, the controls and the bidi overrides gone
HOSTILE_SHOWN = (
    '<script>alert(1)</script> "><img src=x onerror=alert(1)> '
    "[x](javascript:alert(1)) a|b|c nul gnp.exe [2J清屏"
)
HEADINGS = (
    "一、总体情况",
    "二、备案情况",
    "三、问题网站",
    "四、整改情况",
    "五、下一步工作",
    "六、工作要求",
)
TABLE_HEADERS = ("序号", "网站名称", "主办单位", "问题数")
TABLE_ROWS = (
    ("1", "运城市人民政府", "运城市人民政府办公室", "0"),
    ("2", HOSTILE, "盐湖区|教育局", "12"),
    ("3", "永济市人民政府", "永济市人民政府办公室", "3"),
)


def write_png(path: Path, width: int = 2, height: int = 2) -> bytes:
    """A tiny real PNG (red RGB pixels), written with the standard library only."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + b"\xd4\x00\x00" * width for _ in range(height))
    data = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return data


def sample_document(png: Path, *, draft: bool = False) -> BulletinDocument:
    """A small bulletin with every kind of block and hostile text in a paragraph, a table
    cell, a caption and a note."""
    return BulletinDocument(
        masthead=Masthead(
            title="运城市网络与信息安全信息通报",
            issue="2026年第11期",
            unit="运城市网络与信息安全信息通报中心",
            date=dt.date(2026, 12, 1),
            period_label="2026年11月",
            subtitle="2026年11月全市网站备案情况通报",
            draft=draft,
        ),
        blocks=[
            Heading(HEADINGS[0]),
            Paragraph("11月，全市共监测网站128个。\n其中政府网站46个。"),
            Paragraph(f"网站标题摘录：{HOSTILE}"),
            Heading(HEADINGS[1]),
            Heading("（一）ICP备案", level=2),
            Table(
                caption="表1 问题网站清单",
                headers=TABLE_HEADERS,
                rows=TABLE_ROWS,
                widths=(1, 4, 4, 1.5),
                numeric=(True, False, False, True),
                note=f"注：全部名单见附件。{HOSTILE}",
            ),
            Heading(HEADINGS[2]),
            Chart(key="trend", caption="图1 备案率变化趋势", path=png),
            Heading(HEADINGS[3]),
            Chart(key="threats", caption="图2 威胁类型分布", path=None, missing="（无数据）"),
            Heading(HEADINGS[4]),
            Table(caption="表2 空表", headers=("区县", "网站数"), rows=(), numeric=(False, True)),
            Heading(HEADINGS[5]),
            Paragraph("请各单位于12月15日前完成整改。"),
        ],
        signature=("运城市网络与信息安全信息通报中心", "2026年12月1日"),
        attachments=("问题网站清单.xlsx", "整改情况统计表.xlsx"),
    )


@pytest.fixture
def png(tmp_path: Path) -> Path:
    path = tmp_path / "charts" / "trend.png"
    write_png(path)
    return path


def parse(path: Path) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(path.read_bytes())


def test_renders_a_self_contained_file(tmp_path: Path, png: Path) -> None:
    out = render_html(sample_document(png), tmp_path / "out" / "bulletin.html")

    assert out == tmp_path / "out" / "bulletin.html"
    text = out.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    root = parse(out)
    assert root.get("lang") == "zh-CN"
    assert root.xpath("//head/meta[1]/@charset") == ["utf-8"]
    assert root.xpath("//link") == []  # no stylesheet or font to fetch
    assert "@page" in text and "size: A4" in text
    assert "display: table-header-group" in text
    for attribute in ("src", "href", "srcset", "action", "data", "poster"):
        for value in root.xpath(f"//@{attribute}"):
            assert not value.lower().startswith(("http:", "https:", "//", "file:")), value
            if attribute == "src":
                assert value.startswith("data:image/png;base64,")
    assert "http://" not in text and "https://" not in text
    assert "url(" not in text and "@import" not in text
    assert list(tmp_path.joinpath("out").iterdir()) == [out]  # no temporary file left


def test_masthead_subtitle_and_headings(tmp_path: Path, png: Path) -> None:
    root = parse(render_html(sample_document(png), tmp_path / "b.html"))

    header = root.xpath("//header[@class='masthead']")[0]
    assert header.xpath("string(.//p[@class='masthead-title'])") == "运城市网络与信息安全信息通报"
    assert header.xpath("string(.//p[@class='issue'])") == "2026年第11期"
    assert header.xpath("string(.//span[@class='unit'])") == "运城市网络与信息安全信息通报中心"
    assert header.xpath("string(.//span[@class='date'])") == "2026年12月1日"
    assert header.xpath(".//hr[@class='rule']")
    assert root.xpath("string(//h1)") == "2026年11月全市网站备案情况通报"
    assert root.xpath("//title/text()") == ["2026年11月全市网站备案情况通报"]
    assert tuple(root.xpath("//h2/text()")) == HEADINGS
    assert root.xpath("//h3/text()") == ["（一）ICP备案"]
    assert "草稿" not in lxml.html.tostring(root, encoding="unicode")
    # a line break inside a paragraph starts another (indented) paragraph
    paragraphs = root.xpath("//main/p/text()")
    assert paragraphs[:2] == ["11月，全市共监测网站128个。", "其中政府网站46个。"]


def test_draft_is_marked(tmp_path: Path, png: Path) -> None:
    root = parse(render_html(sample_document(png, draft=True), tmp_path / "b.html"))

    assert root.xpath("string(//p[@class='draft-mark'])") == "草稿"
    assert root.xpath("//title/text()")[0].startswith("【草稿】")


def test_hostile_text_is_shown_not_run(tmp_path: Path, png: Path) -> None:
    out = render_html(sample_document(png), tmp_path / "b.html")
    text = out.read_text(encoding="utf-8")
    root = parse(out)

    assert "<script" not in text and "<img src=x" not in text
    assert root.xpath("//script") == []
    assert root.xpath("//*[@onerror]") == []
    assert root.xpath("//a") == []
    assert [img.get("alt") for img in root.xpath("//img")] == ["图1 备案率变化趋势"]
    paragraph = root.xpath("//main/p")[2]
    assert paragraph.text_content() == f"网站标题摘录：{HOSTILE_SHOWN}"
    cell = root.xpath("//table[1]/tbody/tr[2]/td[2]")[0]
    assert cell.text_content() == HOSTILE_SHOWN
    assert not RAW_CONTROL.search(text.replace("\n", ""))
    assert root.xpath("string(//p[@class='note'])") == f"注：全部名单见附件。{HOSTILE_SHOWN}"


def test_tables(tmp_path: Path, png: Path) -> None:
    root = parse(render_html(sample_document(png), tmp_path / "b.html"))

    first, empty = root.xpath("//table")
    assert first.xpath("string(caption)") == "表1 问题网站清单"
    assert tuple(first.xpath("thead/tr/th/text()")) == TABLE_HEADERS
    rows = first.xpath("tbody/tr")
    assert len(rows) == len(TABLE_ROWS)
    assert [len(row.xpath("td")) for row in rows] == [4, 4, 4]
    assert rows[1].xpath("string(td[3])") == "盐湖区|教育局"
    # numeric columns are right-aligned, text columns are not
    assert [td.get("class") for td in rows[0].xpath("td")] == ["num", None, None, "num"]
    # widths are shares of the text width
    assert first.xpath("colgroup/col/@style") == [
        "width: 9.52%",
        "width: 38.10%",
        "width: 38.10%",
        "width: 14.29%",
    ]
    assert empty.xpath("tbody/tr") == []
    assert empty.xpath("thead/tr/th/text()") == ["区县", "网站数"]
    assert empty.xpath("colgroup") == []


def test_ragged_rows_keep_every_cell() -> None:
    table = Table(caption="t", headers=("a", "b"), rows=(("1",), ("1", "2", "3")))
    document = BulletinDocument(masthead=sample_document(Path("x")).masthead, blocks=[table])
    root = lxml.html.fromstring(to_html(document))

    assert len(root.xpath("//thead/tr/th")) == 3
    assert [len(row.xpath("td")) for row in root.xpath("//tbody/tr")] == [3, 3]


def test_charts_embedded_or_missing(tmp_path: Path, png: Path) -> None:
    root = parse(render_html(sample_document(png), tmp_path / "b.html"))

    drawn, missing = root.xpath("//figure")
    (img,) = drawn.xpath("img")
    assert img.get("src") == "data:image/png;base64," + base64.b64encode(png.read_bytes()).decode()
    assert img.get("alt") == "图1 备案率变化趋势"
    assert drawn.xpath("string(figcaption)") == "图1 备案率变化趋势"
    assert missing.xpath("img") == []
    assert missing.xpath("string(figcaption)") == "图2 威胁类型分布"
    assert missing.xpath("string(p[@class='chart-missing'])") == "（无数据）"


def test_png_data_uri_refuses_what_is_not_a_png(tmp_path: Path) -> None:
    fake = tmp_path / "fake.png"
    fake.write_text("<svg onload=alert(1)>", encoding="utf-8")

    assert png_data_uri(None) is None
    assert png_data_uri(tmp_path / "absent.png") is None
    assert png_data_uri(fake) is None


def test_attachments_and_signature(tmp_path: Path, png: Path) -> None:
    root = parse(render_html(sample_document(png), tmp_path / "b.html"))

    attachments = root.xpath("//div[@class='attachments']")[0]
    assert attachments.xpath("string(span[@class='label'])") == "附件："
    assert attachments.xpath("ol/li/text()") == ["问题网站清单.xlsx", "整改情况统计表.xlsx"]
    signature = root.xpath("//div[@class='signature']/p/text()")
    assert signature == ["运城市网络与信息安全信息通报中心", "2026年12月1日"]
    # they close the document, attachments first
    main = root.xpath("//main")[0]
    assert [child.get("class") for child in main[-2:]] == ["attachments", "signature"]


def test_same_document_same_bytes(tmp_path: Path, png: Path) -> None:
    document = sample_document(png)
    first = render_html(document, tmp_path / "a.html").read_bytes()
    second = render_html(document, tmp_path / "b.html").read_bytes()

    assert first == second
    render_html(document, tmp_path / "a.html")  # replacing an existing file works
    assert (tmp_path / "a.html").read_bytes() == first


def test_escape() -> None:
    assert escape('<a href="x">&\'</a>') == "&lt;a href=&quot;x&quot;&gt;&amp;&#x27;&lt;/a&gt;"
    assert escape("a\x00b\u202ec\n d") == "abc d"
    assert escape("\x1b[2J\x9b\x7f\u2066x\u2069\x85") == "[2Jx"
    assert escape(None) == ""
