"""The monthly bulletin (月度通报) as a DOCX in the style of an official document (GB/T 9704).

A red masthead (版头: the red 小标宋 title, the issue, the unit and the date over a red
rule), the subtitle, then the blocks: 黑体 and 楷体 headings, 仿宋 三号 paragraphs on fixed
28 pt lines, tables sized for the A4 text width with their header repeated on each page,
charts at the text width; the attachment list (附件说明) and the signature close it.

Every string may come from a crawled page and goes through :func:`clean_text`. The output is
deterministic in its content: the core properties are dated from the bulletin's date, not
from the clock, so rendering the same document twice gives the same XML.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from audit.bulletin.blocks import (
    Block,
    BulletinDocument,
    Chart,
    Heading,
    Masthead,
    Paragraph,
    Table,
)
from audit.bulletin.numbering import NUMBERING_RULE
from audit.config import LOCAL_TZ
from audit.documents.docx_style import (
    BODY_FONT,
    BODY_PT,
    HEADING_FONT,
    KAI_FONT,
    LINE_PT,
    RPR_ORDER,
    TEXT_WIDTH_MM,
    TITLE_FONT,
    TITLE_PT,
    add_caption,
    add_grid_table,
    add_record,
    add_signature,
    chinese_date,
    clean_lines,
    clean_text,
    fill_cell,
    insert_in_order,
    new_document,
    paragraph_rule,
    row_properties,
    save_document,
    set_column_widths,
    set_core_properties,
    set_font,
    set_outline_level,
    text_width,
)

if TYPE_CHECKING:
    from docx.document import Document as DocxDocument

RED = "FF0000"  # the official red of a 红头文件's masthead and rule
RULE_EIGHTHS_PT = 12  # 1.5 pt
DRAFT_MARK = "草稿"
ATTACHMENTS_LABEL = "附件："
# The masthead title is as large as 初号 (42 pt) allows in the text width, its characters
# narrowed to 80 % as printed mastheads are; a long unit name gets a smaller size instead,
# down to 二号, below which it rather wraps.
MASTHEAD_MAX_PT = 42
MASTHEAD_MIN_PT = 22
MASTHEAD_SCALE = 80
TABLE_PT = 10.5  # 五号: seven or eight columns still fit the 15.6 cm
NOTE_PT = 12  # 小四
CHART_WIDTH_CM = 15.0
CHART_MAX_HEIGHT_CM = 19.0  # the text area is 22.5 cm high; leave room for the caption

KEEP_TOGETHER_ROWS = 16


def render_docx(document: BulletinDocument, out: Path) -> Path:
    """Write the bulletin to ``out`` (parents created, replaced atomically); return it."""
    return save_document(build_docx(document), Path(out))


def build_docx(bulletin: BulletinDocument) -> DocxDocument:
    """The DOCX document of a bulletin (not saved)."""
    document = new_document()
    masthead = bulletin.masthead
    _core_properties(document, masthead)
    if masthead.draft:
        _draft_mark(document)
    _masthead(document, masthead)
    _subtitle(document, masthead.subtitle)
    for block in bulletin.blocks:
        _block(document, block)
    _attachments(document, bulletin.attachments)
    # 署名 under the body or the 附件说明, with room above for the seal
    add_signature(document, bulletin.signature, gap_pt=2 * LINE_PT)
    if bulletin.printed is not None:
        add_record(document, copy_to=bulletin.copy_to, printer=bulletin.printer,
                   printed=bulletin.printed)  # fmt: skip
    return document


def _core_properties(document: DocxDocument, masthead: Masthead) -> None:
    title = clean_text(masthead.subtitle) or clean_text(masthead.title)
    if masthead.draft:
        title = f"【{DRAFT_MARK}】{title}"
    # midnight of the issue date in Beijing: the same time whenever it is rendered
    issued = dt.datetime.combine(masthead.date, dt.time(), tzinfo=LOCAL_TZ)
    set_core_properties(
        document, title=title, author=masthead.unit, when=issued,
        subject=f"{clean_text(masthead.title)} {clean_text(masthead.issue)}",
        keywords="月度通报", comments=NUMBERING_RULE,
    )  # fmt: skip


# --- the masthead -------------------------------------------------------------------------


def _draft_mark(document: DocxDocument) -> None:
    """草稿 boxed in red at the top right of every page (in the header, so that a page
    printed alone still says it)."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    paragraph = document.sections[0].header.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    run = paragraph.add_run(DRAFT_MARK)
    set_font(run, HEADING_FONT, 14, color=RED)
    border = OxmlElement("w:bdr")
    for key, value in (("val", "single"), ("sz", "12"), ("space", "2"), ("color", RED)):
        border.set(qn(f"w:{key}"), value)
    insert_in_order(run._element.get_or_add_rPr(), border, RPR_ORDER)


def _masthead(document: DocxDocument, masthead: Masthead) -> None:
    """The red title, the issue, then the unit (left) and the date (right) over the rule."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
    from docx.shared import Mm, Pt

    title = clean_text(masthead.title)
    size = _masthead_size(title)
    head = document.add_paragraph()
    head.alignment = WD_ALIGN_PARAGRAPH.CENTER
    head.paragraph_format.line_spacing = Pt(round(size * 1.3))  # room for the tall glyphs
    head.paragraph_format.space_after = Pt(6)
    run = head.add_run(title)
    set_font(run, TITLE_FONT, size, color=RED)
    _scale_characters(run, MASTHEAD_SCALE)

    if issue := clean_text(masthead.issue):
        issue_line = document.add_paragraph(issue)
        issue_line.alignment = WD_ALIGN_PARAGRAPH.CENTER

    issued = document.add_paragraph()
    issued.paragraph_format.space_before = Pt(6)
    # a right tab at the text's edge puts the date flush right whatever the unit's length
    issued.paragraph_format.tab_stops.add_tab_stop(Mm(TEXT_WIDTH_MM), WD_TAB_ALIGNMENT.RIGHT)
    issued.add_run(f"{clean_text(masthead.unit)}\t{chinese_date(masthead.date)}")
    paragraph_rule(issued, color=RED, eighths_pt=RULE_EIGHTHS_PT)


def _masthead_size(title: str) -> float:
    """The largest size up to 初号 at which the narrowed title fits on one line (not less
    than 二号)."""
    width_pt = TEXT_WIDTH_MM / 25.4 * 72 * 0.95  # a little slack for the font's side bearings
    characters = max(text_width(title), 1.0) * MASTHEAD_SCALE / 100
    return max(MASTHEAD_MIN_PT, min(MASTHEAD_MAX_PT, int(width_pt / characters)))


def _scale_characters(run: Any, percent: int) -> None:
    """Narrow the characters of a run (w:w, a horizontal scale in percent)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    scale = OxmlElement("w:w")
    scale.set(qn("w:val"), str(percent))
    insert_in_order(run._element.get_or_add_rPr(), scale, RPR_ORDER)


def _subtitle(document: DocxDocument, subtitle: str) -> None:
    """The bulletin's own title: 小标宋 二号, centred, a blank line under it."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    text = clean_text(subtitle)
    if not text:
        return
    paragraph = document.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    fmt = paragraph.paragraph_format
    fmt.line_spacing = Pt(36)  # 22 pt characters overflow the body's 28 pt lines
    fmt.space_before, fmt.space_after = Pt(LINE_PT), Pt(LINE_PT)
    fmt.keep_with_next = True
    set_font(paragraph.add_run(text), TITLE_FONT, TITLE_PT)
    set_outline_level(paragraph, 0)


# --- the blocks ---------------------------------------------------------------------------


def _block(document: DocxDocument, block: Block) -> None:
    match block:
        case Heading():
            _heading(document, block)
        case Paragraph():
            _paragraph(document, block)
        case Table():
            _table(document, block)
        case Chart():
            _chart(document, block)
        case _:
            raise TypeError(f"not a bulletin block: {type(block).__name__}")


def _heading(document: DocxDocument, heading: Heading) -> None:
    """一、 in 黑体, （一） and deeper in 楷体; both 三号, indented like the body."""
    from docx.shared import Pt

    level = max(heading.level, 1)
    paragraph = document.add_paragraph()
    paragraph.paragraph_format.first_line_indent = Pt(2 * BODY_PT)
    paragraph.paragraph_format.keep_with_next = True
    font = HEADING_FONT if level == 1 else KAI_FONT
    set_font(paragraph.add_run(clean_text(heading.text)), font, BODY_PT)
    set_outline_level(paragraph, min(level, 8))


def _paragraph(document: DocxDocument, block: Paragraph) -> None:
    """仿宋 三号, justified, first line indented two characters; a line break in the text
    stays a line break."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    paragraph = document.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    paragraph.paragraph_format.first_line_indent = Pt(2 * BODY_PT)
    for index, line in enumerate(clean_lines(block.text)):
        run = paragraph.add_run()
        if index:
            run.add_break()
        run.add_text(line)


def _table(document: DocxDocument, block: Table) -> None:
    """Caption, header row (bold, repeated on each page), rows, and the note under it."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    count = block.column_count
    numeric = block.numeric_columns()
    if caption := clean_text(block.caption):
        add_caption(document, caption)
    table = add_grid_table(document, count)
    for cell, text in zip(table.rows[0].cells, block.padded(block.headers), strict=True):
        fill_cell(cell, [text], size_pt=TABLE_PT, font=HEADING_FONT, bold=True,
                  align=WD_ALIGN_PARAGRAPH.CENTER, middle=True)  # fmt: skip
    for values in block.rows:
        row = table.add_row()
        row_properties(row)
        for cell, text, right in zip(row.cells, block.padded(values), numeric, strict=True):
            align = WD_ALIGN_PARAGRAPH.RIGHT if right else WD_ALIGN_PARAGRAPH.LEFT
            fill_cell(cell, [text], size_pt=TABLE_PT, align=align, middle=True)
    set_column_widths(table, _widths_cm(block, count))
    if len(table.rows) <= KEEP_TOGETHER_ROWS:
        # A short table is not split over two pages: each row keeps with the next.
        for row in table.rows[:-1]:
            for cell in row.cells:
                for paragraph in cell.paragraphs:
                    paragraph.paragraph_format.keep_with_next = True
    _after_table(document, clean_text(block.note))


def _after_table(document: DocxDocument, note: str) -> None:
    """The note in small type, or an empty spacer: a paragraph right under a table would
    touch its bottom border."""
    from docx.enum.text import WD_LINE_SPACING
    from docx.shared import Pt

    paragraph = document.add_paragraph()
    fmt = paragraph.paragraph_format
    if note:
        fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE
        fmt.space_before, fmt.space_after = Pt(3), Pt(8)
        set_font(paragraph.add_run(note), BODY_FONT, NOTE_PT)
    else:
        fmt.line_spacing = Pt(10)


def _widths_cm(table: Table, count: int) -> list[float]:
    """The text width shared by the weights; equal shares when the weights are missing,
    not one per column, or not positive (a fixed-layout table needs widths)."""
    weights = list(table.widths)
    if len(weights) != count or any(not weight > 0 for weight in weights):
        weights = [1.0] * count
    total = sum(weights)
    return [TEXT_WIDTH_MM / 10 * weight / total for weight in weights]


def _chart(document: DocxDocument, chart: Chart) -> None:
    """The picture centred at the text width, its caption under it; without a picture, the
    ``missing`` text in its place."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
    from docx.shared import Cm, Pt

    size = _picture_size_cm(chart.path)
    paragraph = document.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    fmt = paragraph.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE  # a fixed 28 pt line would crop it
    fmt.space_before = Pt(6)
    fmt.keep_with_next = True
    if chart.path is not None and size is not None:
        width, height = size
        paragraph.add_run().add_picture(str(chart.path), width=Cm(width), height=Cm(height))
    else:
        set_font(paragraph.add_run(clean_text(chart.missing)), BODY_FONT, NOTE_PT)
    add_caption(document, chart.caption, before_pt=4, after_pt=10, keep_with_next=False)


def _picture_size_cm(path: Path | None) -> tuple[float, float] | None:
    """The picture's size on the page, or None when it is missing or not an image python-docx
    reads (a broken chart is reported in place; it must not cost the whole bulletin)."""
    from docx.image.image import Image

    if path is None:
        return None
    try:
        image = Image.from_file(str(path))
    except Exception:
        return None
    if not image.px_width or not image.px_height:
        return None
    width = CHART_WIDTH_CM
    height = width * image.px_height / image.px_width
    if height > CHART_MAX_HEIGHT_CM:  # a tall chart: fit the height, narrow the width
        width, height = width * CHART_MAX_HEIGHT_CM / height, CHART_MAX_HEIGHT_CM
    return width, height


# --- the close ----------------------------------------------------------------------------


def _attachments(document: DocxDocument, attachments: Sequence[str]) -> None:
    """附件说明 (GB/T 9704 7.3.4): a blank line under the body, 左空二字 附件：name; several
    are numbered 1. 2. …, each name aligned under the first."""
    from docx.shared import Pt

    names = [name for name in (clean_text(item) for item in attachments) if name]
    numbered = len(names) > 1
    label = text_width(ATTACHMENTS_LABEL)
    for index, name in enumerate(names, start=1):
        text = f"{index}. {name}" if numbered else name
        paragraph = document.add_paragraph()
        fmt = paragraph.paragraph_format
        # wrapped lines align after 附件：, which stands out in the first line's indent
        fmt.left_indent = Pt(BODY_PT * (2 + label))
        if index == 1:
            fmt.first_line_indent = Pt(-BODY_PT * label)
            fmt.space_before = Pt(LINE_PT)
            paragraph.add_run(ATTACHMENTS_LABEL)
        paragraph.add_run(text)
