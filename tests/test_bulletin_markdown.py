"""Bulletin Markdown: structure, pipe tables that hold, relative chart links, inert text."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import lxml.html
import pytest

from audit.bulletin.blocks import BulletinDocument, Chart, Table
from audit.bulletin.render_markdown import (
    escape_markdown,
    link_target,
    render_markdown,
    to_markdown,
)
from audit.documents.notice import clean_text
from tests.test_bulletin_html import (
    HEADINGS,
    HOSTILE,
    HOSTILE_SHOWN,
    TABLE_HEADERS,
    TABLE_ROWS,
    sample_document,
    write_png,
)
from tests.test_display import RAW_CONTROL

markdown_it = pytest.importorskip("markdown_it")  # comes with rich


def to_html(markdown: str) -> lxml.html.HtmlElement:
    """Markdown rendered as GitHub would, raw HTML allowed: if escaping failed, the hostile
    markup would come out as elements."""
    parser = markdown_it.MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    return lxml.html.fromstring(f"<div>{parser.render(markdown)}</div>")


def pipes(line: str) -> int:
    """The table-cell separators of a line: pipes that no backslash escapes."""
    return sum(1 for token in re.findall(r"\\.|\|", line) if token == "|")


@pytest.fixture
def chart_png(tmp_path: Path) -> Path:
    path = tmp_path / "charts" / "trend (11月).png"  # a space, brackets and Chinese
    write_png(path)
    return path


@pytest.fixture
def rendered(tmp_path: Path, chart_png: Path) -> Path:
    return render_markdown(sample_document(chart_png), tmp_path / "out" / "bulletin.md")


def test_writes_the_file(tmp_path: Path, rendered: Path, chart_png: Path) -> None:
    assert rendered == tmp_path / "out" / "bulletin.md"
    assert list(rendered.parent.iterdir()) == [rendered]  # no temporary file left
    again = render_markdown(sample_document(chart_png), tmp_path / "out" / "bulletin.md")
    assert again.read_bytes() == rendered.read_bytes()  # deterministic


def test_masthead_and_headings(rendered: Path) -> None:
    text = rendered.read_text(encoding="utf-8")
    lines = text.splitlines()

    assert lines[0] == "# 运城市网络与信息安全信息通报"
    assert "2026年第11期" in lines
    assert "运城市网络与信息安全信息通报中心　　2026年12月1日" in lines
    assert "**2026年11月全市网站备案情况通报**" in lines
    assert "草稿" not in text
    assert tuple(line[3:] for line in lines if line.startswith("## ")) == HEADINGS
    assert [line for line in lines if line.startswith("### ")] == ["### （一）ICP备案"]
    html = to_html(text)
    assert tuple(html.xpath("//h2/text()")) == HEADINGS
    assert html.xpath("//h1/text()") == ["运城市网络与信息安全信息通报"]


def test_draft_is_marked(tmp_path: Path, chart_png: Path) -> None:
    document = sample_document(chart_png, draft=True)
    text = render_markdown(document, tmp_path / "b.md").read_text(encoding="utf-8")

    assert text.startswith("> **草稿**\n")


def test_table_columns_hold_despite_pipes(rendered: Path) -> None:
    lines = rendered.read_text(encoding="utf-8").splitlines()
    start = lines.index("| " + " | ".join(TABLE_HEADERS) + " |")
    table = lines[start : start + 2 + len(TABLE_ROWS)]

    assert table[1] == "| ---: | --- | --- | ---: |"  # numeric columns right-aligned
    assert [pipes(line) for line in table] == [len(TABLE_HEADERS) + 1] * len(table)
    assert lines[start + 2 + len(TABLE_ROWS)] == ""  # a blank line ends the table

    first = to_html("\n".join(table)).xpath("//table")[0]
    rows = first.xpath("tbody/tr")
    assert [len(row.xpath("td")) for row in rows] == [4, 4, 4]
    assert rows[1].xpath("string(td[2])") == HOSTILE_SHOWN
    assert rows[1].xpath("string(td[3])") == "盐湖区|教育局"
    assert first.xpath("thead/tr/th/@style")[-1] == "text-align:right"


def test_ragged_rows_keep_every_cell(chart_png: Path) -> None:
    table = Table(caption="t", headers=("a", "b"), rows=(("1",), ("1", "2", "3")))
    document = BulletinDocument(masthead=sample_document(chart_png).masthead, blocks=[table])
    lines = [line for line in to_markdown(document, Path(".")).splitlines() if line[:1] == "|"]

    assert [pipes(line) for line in lines] == [4, 4, 4, 4]


def test_chart_link_is_relative(rendered: Path, chart_png: Path) -> None:
    text = rendered.read_text(encoding="utf-8")
    (target,) = re.findall(r"^!\[图1 备案率变化趋势\]\((.+)\)$", text, flags=re.MULTILINE)

    assert target == "../charts/trend%20%2811月%29.png"
    assert not target.startswith("/") and "\\" not in target
    assert (rendered.parent / unquote(target)).resolve() == chart_png.resolve()
    assert "\n**图1 备案率变化趋势**\n" in text
    (img,) = to_html(text).xpath("//img")
    assert unquote(img.get("src")) == "../charts/trend (11月).png"
    assert img.get("alt") == "图1 备案率变化趋势"


def test_missing_chart_shows_caption_and_text(rendered: Path, tmp_path: Path) -> None:
    text = rendered.read_text(encoding="utf-8")
    assert "（无数据）\n\n**图2 威胁类型分布**" in text

    # a path that names no file is missing too, rather than a broken image
    chart = Chart(key="k", caption="图3", path=tmp_path / "gone.png")
    document = BulletinDocument(masthead=sample_document(None).masthead, blocks=[chart])
    assert "![" not in to_markdown(document, tmp_path)


def test_hostile_text_is_inert(rendered: Path) -> None:
    text = rendered.read_text(encoding="utf-8")
    html = to_html(text)

    assert "<script" not in text and "<img" not in text and "javascript:" not in text
    assert html.xpath("//script") == []
    assert html.xpath("//*[@onerror]") == []
    assert html.xpath("//a") == []
    assert len(html.xpath("//img")) == 1  # the chart, nothing else
    assert not RAW_CONTROL.search(text.replace("\n", ""))
    assert f"网站标题摘录：{HOSTILE_SHOWN}" in html.xpath("//p/text()")
    assert html.xpath("string(//table[1]/tbody/tr[2]/td[2])") == HOSTILE_SHOWN


def test_attachments_and_signature(rendered: Path) -> None:
    text = rendered.read_text(encoding="utf-8")

    assert text.endswith(
        "附件：\n\n1. 问题网站清单.xlsx\n2. 整改情况统计表.xlsx\n\n"
        "运城市网络与信息安全信息通报中心\\\n2026年12月1日\n"
    )


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert(1)&gt;"),
        ("[click](javascript:alert(1))", r"\[click\](javascript\:alert(1))"),
        ("![x](http://evil)", r"!\[x\](http\://evil)"),
        ("<https://evil>", r"&lt;https\://evil&gt;"),
        ("# 标题", r"\# 标题"),
        ("- 项", r"\- 项"),
        ("1. 项", r"1\. 项"),
        ("===", r"\==="),
        ("a|b", r"a\|b"),
        ("a\nb\r\n c", "a b c"),
        (r"*_`~$\ ", r"\*\_\`\~\$\\"),
        ("A & B &amp;", "A &amp; B &amp;amp;"),
        ("见 www.evil.com", r"见 www\.evil.com"),
        ("x\x00\u202ey\u2066", "xy"),
        ("2026年11月", "2026年11月"),
    ],
)
def test_escape_markdown(raw: str, escaped: str) -> None:
    assert escape_markdown(raw) == escaped


@pytest.mark.parametrize(
    "raw",
    [HOSTILE, "![x](http://evil)", "<b>x</b> &lt; &#60;", r"\*a\* `b` ~~c~~", "# h", "- 1", "|a|"],
)
def test_escaped_text_renders_as_itself(raw: str) -> None:
    html = to_html(escape_markdown(raw))

    assert [element.tag for element in html] == ["p"]
    assert len(html[0]) == 0  # text only: no link, image, code, emphasis or HTML
    assert html[0].text == clean_text(raw)


def test_link_target(tmp_path: Path) -> None:
    out_dir = tmp_path / "bulletins" / "2026-11"
    assert link_target(out_dir / "charts" / "a.png", out_dir) == "charts/a.png"
    assert link_target(tmp_path / "c" / "a b.png", out_dir) == "../../c/a%20b.png"
    assert link_target(tmp_path / "c" / "x:y[1].png", out_dir) == "../../c/x%3Ay%5B1%5D.png"
