"""The official-document look shared by the DOCX writers (整改通知, 月度通报).

GB/T 9704 page (A4, 37/35/28/26 mm margins, a 156 mm text width), 仿宋 三号 body on fixed
28 pt lines, 黑体 / 楷体 / 小标宋 for headings and titles, ``— 1 —`` page numbers, tables
sized for the text width, and an atomic save.

Texts come from crawled pages: :func:`clean_text` drops what XML 1.0 forbids (python-docx
would refuse it or write a file Word cannot open), the C1 controls and the invisible bidi
controls (:mod:`audit.display`).

A DOCX names one East Asian font per run (``w:eastAsia``); the fallbacks are described in
the font table (``w:altName``, GB2312 charset, family and pitch), which is what Word
substitutes from, while LibreOffice substitutes through fontconfig (Noto Serif CJK SC, ...).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from audit.display import display_text
from audit.files import write_atomic

if TYPE_CHECKING:
    from docx.document import Document as DocxDocument
    from docx.section import Section
    from docx.table import Table, _Cell
    from docx.text.paragraph import Paragraph

# (font named in w:eastAsia, its alternate name, panose, family, pitch): the font table
# tells a reader without the font what to substitute (a GB2312 font of that family).
BODY_FONT = "仿宋"
BODY_FALLBACKS = ("FangSong", "STFangsong", "Noto Serif CJK SC")
HEADING_FONT = "黑体"
HEADING_FALLBACKS = ("SimHei", "STHeiti", "Noto Sans CJK SC")
KAI_FONT = "楷体"
KAI_FALLBACKS = ("KaiTi", "STKaiti", "Noto Serif CJK SC")
TITLE_FONT = "方正小标宋简体"
TITLE_FALLBACKS = ("FZXiaoBiaoSong-B05S", "STSong", "Noto Serif CJK SC")
LATIN_FONT = "Times New Roman"
FONT_TABLE = {
    BODY_FONT: (BODY_FALLBACKS[0], "02010609060101010101", "modern", "fixed"),
    HEADING_FONT: (HEADING_FALLBACKS[0], "02010609060101010101", "modern", "fixed"),
    KAI_FONT: (KAI_FALLBACKS[0], "02010609060101010101", "modern", "fixed"),
    TITLE_FONT: (TITLE_FALLBACKS[0], "02000000000000000000", "roman", "variable"),
}

# GB/T 9704 sizes in points: 二号 title, 三号 body (16 pt: one character), 四号 captions
TITLE_PT = 22
BODY_PT = 16
CAPTION_PT = 14
LINE_PT = 28  # exactly 28 pt: 22 lines on a GB/T 9704 page
TEXT_WIDTH_MM = 156  # 210 - 28 - 26
CELL_MARGIN_TWIPS = 57  # 0.1 cm
CORE_PROPERTY_LIMIT = 255  # python-docx refuses longer core property values

# w:pPr and w:rPr children in schema order (python-docx keeps its lists private): Word
# refuses a document whose properties are out of order.
PPR_ORDER = (
    "w:pStyle", "w:keepNext", "w:keepLines", "w:pageBreakBefore", "w:framePr",
    "w:widowControl", "w:numPr", "w:suppressLineNumbers", "w:pBdr", "w:shd", "w:tabs",
    "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:overflowPunct", "w:topLinePunct",
    "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd", "w:snapToGrid",
    "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap",
    "w:jc", "w:textDirection", "w:textAlignment", "w:textboxTightWrap", "w:outlineLvl",
    "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange",
)  # fmt: skip
RPR_ORDER = (
    "w:rStyle", "w:rFonts", "w:b", "w:bCs", "w:i", "w:iCs", "w:caps", "w:smallCaps",
    "w:strike", "w:dstrike", "w:outline", "w:shadow", "w:emboss", "w:imprint", "w:noProof",
    "w:snapToGrid", "w:vanish", "w:webHidden", "w:color", "w:spacing", "w:w", "w:kern",
    "w:position", "w:sz", "w:szCs", "w:highlight", "w:u", "w:effect", "w:bdr", "w:shd",
    "w:fitText", "w:vertAlign", "w:rtl", "w:cs", "w:em", "w:lang", "w:eastAsianLayout",
    "w:specVanish", "w:oMath",
)  # fmt: skip

_SPACES = re.compile(r"[ \t\r\n\u00a0\u3000]+")


def clean_text(value: Any, limit: int | None = None, *, one_line: bool = True) -> str:
    """Text that is safe in a DOCX: controls, bidi overrides and what else XML forbids
    dropped (:func:`audit.display.display_text`), spaces collapsed
    (``one_line``), cut at ``limit`` characters with an ellipsis."""
    text = "" if value is None else str(value)
    # XML 1.0 forbids most C0 controls; C1 and the bidi overrides have no place in a letter
    text = display_text(unicodedata.normalize("NFC", text), how="drop", keep="\t\n\r")
    text = _SPACES.sub(" ", text).strip() if one_line else text.strip()
    if limit is not None and len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def clean_lines(value: Any) -> list[str]:
    """The non-empty lines of a text that may hold line breaks, each cleaned to one line."""
    text = clean_text(value, one_line=False)
    return [line for line in (clean_text(part) for part in text.splitlines()) if line]


def chinese_date(day: dt.date) -> str:
    """``2026年11月28日`` (Arabic numerals, as GB/T 9704 writes 成文日期)."""
    return f"{day.year}年{day.month}月{day.day}日"


def text_width(text: str) -> float:
    """The width of a text in Chinese characters (ASCII digits and letters are half)."""
    return sum(0.5 if ord(char) < 0x2E80 else 1.0 for char in text)


# --- the document -------------------------------------------------------------------------


def new_document() -> DocxDocument:
    """An empty A4 document: 仿宋 三号 defaults, Chinese fonts described, page numbers."""
    import docx

    document = docx.Document()
    set_default_fonts(document)
    add_font_table_entries(document)
    section = document.sections[0]
    a4_page(section)
    page_number_footer(section)
    return document


def a4_page(section: Section) -> None:
    """The GB/T 9704 page: A4, 版心 156 x 225 mm."""
    from docx.shared import Mm

    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.footer_distance = Mm(20)


def set_core_properties(
    document: DocxDocument,
    *,
    title: str,
    author: str,
    when: dt.datetime,
    subject: str = "",
    keywords: str = "",
    comments: str = "",
) -> None:
    """Title, author and times; ``when`` is converted to UTC (python-docx writes a "Z")."""
    properties = document.core_properties
    properties.title = clean_text(title, CORE_PROPERTY_LIMIT)
    properties.subject = clean_text(subject, CORE_PROPERTY_LIMIT)
    properties.author = properties.last_modified_by = clean_text(author, CORE_PROPERTY_LIMIT)
    properties.comments = clean_text(comments, CORE_PROPERTY_LIMIT)
    properties.keywords = clean_text(keywords, CORE_PROPERTY_LIMIT)
    utc = when.astimezone(dt.UTC) if when.tzinfo else when
    properties.created = properties.modified = utc.replace(microsecond=0)
    properties.revision = 1


def save_document(document: DocxDocument, out: Path) -> Path:
    """Save next to the target and rename, so that a failure leaves no half-written file.

    The package is built in memory first: python-docx leaves its zip file open when a
    write fails, and the zip file's finaliser fails again later, with a traceback."""
    return write_atomic(out, document_bytes(document))


def document_bytes(document: DocxDocument) -> bytes:
    """The DOCX package of a document, built in memory."""
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# --- fonts --------------------------------------------------------------------------------


def set_font(
    run: Any,
    east_asia: str | None,
    size_pt: float,
    *,
    bold: bool | None = None,
    color: str | None = None,
) -> None:
    """Size, East Asian font, bold and colour (hex ``RRGGBB``) of a run."""
    from docx.oxml.ns import qn
    from docx.shared import Pt, RGBColor

    run.font.size = Pt(size_pt)
    if bold is not None:
        run.font.bold = bold
    if color is not None:
        run.font.color.rgb = RGBColor.from_string(color)
    if east_asia:
        fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
        fonts.set(qn("w:eastAsia"), east_asia)
        fonts.set(qn("w:hint"), "eastAsia")


def set_default_fonts(document: DocxDocument) -> None:
    """仿宋 三号 for everything by default, on the document defaults and Normal: the theme
    fonts of python-docx's template are removed, since a theme attribute wins over a name."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt

    styles = document.styles.element
    defaults = styles.find(qn("w:docDefaults"))
    r_pr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    _name_fonts(r_pr.find(qn("w:rFonts")), BODY_FONT)
    for tag, value in (("w:sz", str(BODY_PT * 2)), ("w:szCs", str(BODY_PT * 2))):
        r_pr.find(qn(tag)).set(qn("w:val"), value)
    lang = r_pr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        r_pr.append(lang)
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")

    normal = document.styles["Normal"]
    normal.font.size = Pt(BODY_PT)
    _name_fonts(normal.element.get_or_add_rPr().get_or_add_rFonts(), BODY_FONT)
    fmt = normal.paragraph_format
    fmt.space_before, fmt.space_after = Pt(0), Pt(0)
    fmt.line_spacing = Pt(LINE_PT)
    fmt.widow_control = True


def _name_fonts(r_fonts: Any, east_asia: str) -> None:
    from docx.oxml.ns import qn

    for attribute in ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme"):
        r_fonts.attrib.pop(qn(f"w:{attribute}"), None)
    for attribute in ("ascii", "hAnsi", "cs"):
        r_fonts.set(qn(f"w:{attribute}"), LATIN_FONT)
    r_fonts.set(qn("w:eastAsia"), east_asia)
    r_fonts.set(qn("w:hint"), "eastAsia")


def add_font_table_entries(document: DocxDocument) -> None:
    """Describe the Chinese fonts in word/fontTable.xml (alternate name, GB2312 charset,
    family, pitch), so that a reader without them substitutes a like font."""
    from lxml import etree

    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    part = next(
        (rel.target_part for rel in document.part.rels.values()
         if rel.reltype.endswith("/fontTable")),
        None,
    )  # fmt: skip
    if part is None:
        return
    root = etree.fromstring(part.blob)
    present = {font.get(f"{{{w}}}name") for font in root.findall(f"{{{w}}}font")}
    for name, (alternate, panose, family, pitch) in FONT_TABLE.items():
        if name in present:
            continue
        font = etree.SubElement(root, f"{{{w}}}font", {f"{{{w}}}name": name})
        for tag, value in (("altName", alternate), ("panose1", panose), ("charset", "86"),
                           ("family", family), ("pitch", pitch)):  # fmt: skip
            etree.SubElement(font, f"{{{w}}}{tag}", {f"{{{w}}}val": value})
    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


# --- paragraphs ---------------------------------------------------------------------------


def add_body(document: DocxDocument, text: str) -> Paragraph:
    """A body paragraph: 仿宋 三号, first line indented two characters."""
    from docx.shared import Pt

    paragraph = document.add_paragraph(clean_text(text))
    paragraph.paragraph_format.first_line_indent = Pt(2 * BODY_PT)
    return paragraph


def add_caption(
    document: DocxDocument,
    text: str,
    *,
    before_pt: float = 14,
    after_pt: float = 6,
    keep_with_next: bool = True,
) -> Paragraph:
    """A centred 黑体 四号 caption (kept with the table under it by default)."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    caption = document.add_paragraph()
    caption.alignment = WD_ALIGN_PARAGRAPH.CENTER
    fmt = caption.paragraph_format
    fmt.space_before, fmt.space_after = Pt(before_pt), Pt(after_pt)
    fmt.keep_with_next = keep_with_next
    set_font(caption.add_run(clean_text(text)), HEADING_FONT, CAPTION_PT)
    return caption


def add_signature(document: DocxDocument, lines: Sequence[str], *, gap_pt: float = 56) -> None:
    """The signature block, right-aligned 右空二字 (16 pt a character); the later lines
    (the date) are centred under the first (the unit)."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    texts = [clean_text(line) for line in lines]
    texts = [text for text in texts if text]
    if not texts:
        return
    indent = 2.0
    for index, text in enumerate(texts):
        shift = 0.0 if index == 0 else (text_width(texts[0]) - text_width(text)) / 2
        signed = document.add_paragraph(text)
        signed.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        fmt = signed.paragraph_format
        fmt.space_before = Pt(gap_pt if index == 0 else 0)
        fmt.right_indent = Pt(BODY_PT * max(indent, indent + shift))
        fmt.keep_together = True
        fmt.keep_with_next = index < len(texts) - 1


RECORD_PT = 14  # 版记: 4号仿宋


def add_record(
    document: DocxDocument, *, copy_to: Sequence[str], printer: str, printed: dt.date
) -> None:
    """The 版记 that closes an official document (GB/T 9704-2012, 7.4): 抄送 (when any)
    and the printing unit with the date printed, between a thick rule above and below and a
    thin one between them, 4号仿宋, one character in from each side."""
    from docx.enum.text import WD_TAB_ALIGNMENT
    from docx.shared import Mm, Pt

    units = [text for text in (clean_text(unit, 100) for unit in copy_to) if text]
    lines: list[Paragraph] = []
    if units:
        lines.append(document.add_paragraph(f"抄送：{'，'.join(units)}。"))
    printed_line = document.add_paragraph(
        f"{clean_text(printer, 100)}\t{chinese_date(printed)}印发"
    )
    # the date ends one character in from the right edge of the text
    printed_line.paragraph_format.tab_stops.add_tab_stop(
        Mm(TEXT_WIDTH_MM) - Pt(RECORD_PT), WD_TAB_ALIGNMENT.RIGHT
    )
    lines.append(printed_line)
    for index, line in enumerate(lines):
        fmt = line.paragraph_format
        fmt.space_before = Pt(LINE_PT if index == 0 else 0)
        fmt.space_after = Pt(0)
        fmt.first_line_indent = Pt(0)
        fmt.left_indent = Pt(RECORD_PT)
        fmt.keep_together = True
        fmt.keep_with_next = index < len(lines) - 1  # the lines together, the last free
        for run in line.runs:
            set_font(run, BODY_FONT, RECORD_PT)
        # thick rules (0.75 pt here, as Word draws the standard's 0.35 mm) first and last,
        # thin between
        paragraph_rule(line, color="000000", eighths_pt=6 if index == 0 else 4, side="top")
    paragraph_rule(lines[-1], color="000000", eighths_pt=6, side="bottom")


def set_outline_level(paragraph: Paragraph, level: int) -> None:
    """Show a heading in Word's navigation pane without the template's Heading styles
    (their theme fonts and blue would need undoing); ``level`` 0 is the top."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    p_pr = paragraph._p.get_or_add_pPr()
    outline = OxmlElement("w:outlineLvl")
    outline.set(qn("w:val"), str(level))
    insert_in_order(p_pr, outline, PPR_ORDER)


def paragraph_rule(
    paragraph: Paragraph, *, color: str, eighths_pt: int, side: str = "bottom"
) -> None:
    """A line along one side of a paragraph (the width of the text): the red rule under a
    masthead. ``eighths_pt`` is the thickness in eighths of a point (12 = 1.5 pt)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    p_pr = paragraph._p.get_or_add_pPr()
    borders = p_pr.find(qn("w:pBdr"))
    if borders is None:
        borders = OxmlElement("w:pBdr")
        insert_in_order(p_pr, borders, PPR_ORDER)
    line = OxmlElement(f"w:{side}")
    for key, value in (("val", "single"), ("sz", str(eighths_pt)), ("space", "4"),
                       ("color", color)):  # fmt: skip
        line.set(qn(f"w:{key}"), value)
    borders.append(line)


def insert_in_order(parent: Any, child: Any, sequence: Sequence[str]) -> None:
    """Insert before the children that ``sequence`` (PPR_ORDER, RPR_ORDER) puts after it."""
    from docx.oxml.ns import qn

    tag = child.tag
    names = [qn(name) for name in sequence]
    later = names[names.index(tag) + 1 :] if tag in names else []
    for existing in parent:
        if existing.tag in later:
            existing.addprevious(child)
            return
    parent.append(child)


# --- tables -------------------------------------------------------------------------------


def add_grid_table(document: DocxDocument, columns: int) -> Table:
    """A centred, fixed-layout Table Grid with narrow cell margins and one (header) row."""
    from docx.enum.table import WD_TABLE_ALIGNMENT

    table = document.add_table(rows=1, cols=columns)
    table.style = document.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    table_layout(table)
    row_properties(table.rows[0], header=True)
    return table


def set_column_widths(table: Table, widths_cm: Sequence[float]) -> None:
    """Column widths on the grid (LibreOffice reads it) and on every cell (Word does)."""
    from docx.shared import Cm

    for column, width in zip(table.columns, widths_cm, strict=True):
        column.width = Cm(width)
        for cell in column.cells:
            cell.width = Cm(width)


def fill_cell(
    cell: _Cell,
    lines: Sequence[str],
    *,
    size_pt: float,
    font: str | None = None,
    align: Any = None,
    middle: bool = False,
    bold: bool | None = None,
) -> None:
    """Fill a table cell: one paragraph per line, single spacing (the 28 pt body lines
    would leave tall rows); ``align`` is a WD_ALIGN_PARAGRAPH, ``middle`` centres
    vertically."""
    from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT
    from docx.enum.text import WD_LINE_SPACING

    cell.vertical_alignment = (
        WD_CELL_VERTICAL_ALIGNMENT.CENTER if middle else WD_CELL_VERTICAL_ALIGNMENT.TOP
    )
    paragraphs = [cell.paragraphs[0]] + [cell.add_paragraph() for _ in lines[1:]]
    for paragraph, line in zip(paragraphs, lines or [""], strict=False):
        fmt = paragraph.paragraph_format
        fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE
        fmt.first_line_indent = 0
        if align is not None:
            paragraph.alignment = align
        run = paragraph.add_run(clean_text(line))
        set_font(run, font, size_pt, bold=bold)


def table_layout(table: Any) -> None:
    """Narrow cell margins (``autofit = False`` has set the fixed layout already)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tbl_pr = table._tbl.tblPr
    margins = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        margin = OxmlElement(f"w:{side}")
        margin.set(qn("w:w"), str(CELL_MARGIN_TWIPS))
        margin.set(qn("w:type"), "dxa")
        margins.append(margin)
    look = tbl_pr.find(qn("w:tblLook"))
    if look is not None:  # schema order: ... tblLayout, tblCellMar, tblLook
        look.addprevious(margins)
    else:
        tbl_pr.append(margins)


def row_properties(row: Any, *, header: bool = False) -> None:
    """A row is never split over two pages; the header row repeats on each page."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tr_pr = row._tr.get_or_add_trPr()
    tr_pr.append(OxmlElement("w:cantSplit"))
    if header:
        repeat = OxmlElement("w:tblHeader")
        repeat.set(qn("w:val"), "true")
        tr_pr.append(repeat)


# --- header and footer --------------------------------------------------------------------


def page_number_footer(section: Any) -> None:
    """``— 1 —`` centred at the foot of each page."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    paragraph = section.footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    set_font(paragraph.add_run("— "), None, 14)
    for kind, text in (("begin", None), (None, " PAGE "), ("separate", None), (None, "1"),
                       ("end", None)):  # fmt: skip
        run = paragraph.add_run()
        set_font(run, None, 14)
        if kind:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), kind)
            run._element.append(char)
        elif text == " PAGE ":
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = text
            run._element.append(instr)
        else:
            run.text = text
    set_font(paragraph.add_run(" —"), None, 14)
