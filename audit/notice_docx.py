"""整改通知: a DOCX rectification notice to the sponsor (主办单位) of one site, or of all the
sites of one sponsor, listing their open findings with the rule's basis, the evidence, the
remediation advice and a deadline.

Official-document style after GB/T 9704 (A4, 仿宋 body in 三号, 小标宋 title in 二号, fixed
28 pt lines), kept sober. Site names, sponsors and excerpts come from crawled pages: every
string goes through :func:`clean_text`, which drops what XML 1.0 forbids (python-docx would
refuse it or write a file Word cannot open) and the invisible bidi controls.

A DOCX names one East Asian font per run (``w:eastAsia``); the fallbacks are described in
the font table (``w:altName``, GB2312 charset, family and pitch), which is what Word
substitutes from, while LibreOffice substitutes through fontconfig (Noto Serif CJK SC, ...).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tempfile
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from audit.errors import UserError
from audit.review import today as beijing_today
from audit.rules import UnknownRule, get_rule
from audit.store import Finding, Site, Store

if TYPE_CHECKING:
    from docx.document import Document as DocxDocument
    from docx.table import _Cell

    from audit.config import Profile

TITLE = "网站备案信息整改通知"
TABLE_CAPTION = "网站备案信息问题清单"
HEADERS = ("序号", "网站", "问题", "依据", "证据", "整改建议", "整改期限")
# column widths in cm; they add up to the A4 text width (21 - 2.8 - 2.6 = 15.6 cm)
WIDTHS_CM = (0.8, 2.2, 2.3, 2.6, 2.7, 3.5, 1.5)
TABLE_PT = 9  # 小五
CELL_MARGIN_TWIPS = 57  # 0.1 cm
DEFAULT_DAYS = 15
EXCLUDED_REVIEW_STATES = ("false_positive", "accepted_risk")
SEVERITY_ZH = {"high": "高", "medium": "中", "low": "低", "info": "提示"}
SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2, "info": 3}
EXCERPT_LIMIT = 300
URL_LIMIT = 300

# (font named in w:eastAsia, its alternate name, panose, family, pitch): the font table
# tells a reader without the font what to substitute (a GB2312 font of that family).
BODY_FONT = "仿宋"
BODY_FALLBACKS = ("FangSong", "STFangsong", "Noto Serif CJK SC")
HEADING_FONT = "黑体"
HEADING_FALLBACKS = ("SimHei", "STHeiti", "Noto Sans CJK SC")
TITLE_FONT = "方正小标宋简体"
TITLE_FALLBACKS = ("FZXiaoBiaoSong-B05S", "STSong", "Noto Serif CJK SC")
LATIN_FONT = "Times New Roman"
FONT_TABLE = {
    BODY_FONT: (BODY_FALLBACKS[0], "02010609060101010101", "modern", "fixed"),
    HEADING_FONT: (HEADING_FALLBACKS[0], "02010609060101010101", "modern", "fixed"),
    TITLE_FONT: (TITLE_FALLBACKS[0], "02000000000000000000", "roman", "variable"),
}

# XML 1.0 forbids C0 controls but tab, newline and carriage return; lone surrogates;
# U+FFFE and U+FFFF. Bidi embeddings and overrides would let a page reorder the text.
_FORBIDDEN = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff\u202a-\u202e\u2066-\u2069]"
)
_SPACES = re.compile(r"[ \t\r\n\u00a0\u3000]+")
_FILENAME_BAD = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*\s]+')


def clean_text(value: Any, limit: int | None = None, *, one_line: bool = True) -> str:
    """Text that is safe in a DOCX: forbidden characters dropped, spaces collapsed
    (``one_line``), cut at ``limit`` characters with an ellipsis."""
    text = "" if value is None else str(value)
    text = _FORBIDDEN.sub("", unicodedata.normalize("NFC", text))
    text = _SPACES.sub(" ", text).strip() if one_line else text.strip()
    if limit is not None and len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def chinese_date(day: dt.date) -> str:
    """``2026年11月28日`` (Arabic numerals, as GB/T 9704 writes 成文日期)."""
    return f"{day.year}年{day.month}月{day.day}日"


def safe_filename(name: str, limit: int = 80) -> str:
    """A file-name part from a sponsor name: no separators, controls, reserved characters
    or leading dots; Chinese kept."""
    text = _FILENAME_BAD.sub("_", clean_text(name)).strip("._ ")
    return text[:limit].rstrip("._ ") or "notice"


@dataclass(frozen=True)
class NoticeRow:
    site_name: str
    host: str
    rule: str
    severity: str
    message: str
    basis: str
    advice: str
    excerpt: str
    url: str
    seen: dt.date | None
    deadline: dt.date


@dataclass(frozen=True)
class NoticeContent:
    addressee: str
    issuer: str
    date: dt.date
    number: str | None
    rows: list[NoticeRow]

    @property
    def sites(self) -> int:
        return len({row.host for row in self.rows})

    @property
    def deadlines(self) -> list[dt.date]:
        return sorted({row.deadline for row in self.rows})


def write_notice(
    session_or_store: Session | Store,
    target: str,
    out: str | Path | None = None,
    *,
    profile: Profile | None = None,
    deadline: dt.date | None = None,
    number: str | None = None,
    issuer: str | None = None,
    today: dt.date | None = None,
    data_dir: str | Path = "beian-data",
) -> Path:
    """Write the 整改通知 of ``target`` (a host, or an exact sponsor name) and return its path.

    Lists the target's open findings (not false positives, not accepted risks), each with
    its deadline: the finding's own, else ``deadline``, else ``today`` + 15 days. ``out``
    defaults to ``<data_dir>/notices/<sponsor>-<date>.docx``. The issuing unit defaults to
    the profile's ``<name>网络与信息安全信息通报中心``. Raises UserError when the target is
    unknown or has nothing open.
    """
    if isinstance(session_or_store, Store):
        with session_or_store.session() as session:
            content = collect_notice(session, target, profile=profile, deadline=deadline,
                                     number=number, issuer=issuer, today=today)  # fmt: skip
    else:
        content = collect_notice(session_or_store, target, profile=profile, deadline=deadline,
                                 number=number, issuer=issuer, today=today)  # fmt: skip
    if out is None:
        name = f"{safe_filename(content.addressee)}-{content.date.isoformat()}.docx"
        out = Path(data_dir) / "notices" / name
    return save_document(render_notice(content), Path(out))


def collect_notice(
    session: Session,
    target: str,
    *,
    profile: Profile | None = None,
    deadline: dt.date | None = None,
    number: str | None = None,
    issuer: str | None = None,
    today: dt.date | None = None,
) -> NoticeContent:
    """What the notice says: the addressee and the rows, read from the store."""
    # The centre's date (Asia/Shanghai), not the server's: a notice dated yesterday at
    # 01:00 in Yuncheng would be wrong.
    today = today or beijing_today()
    default_deadline = deadline or today + dt.timedelta(days=DEFAULT_DAYS)
    sites, addressee = _target_sites(session, target)
    by_id = {site.id: site for site in sites}
    findings = session.scalars(
        select(Finding).where(
            Finding.site_id.in_(list(by_id)),
            Finding.state == "open",
            Finding.review_state.not_in(EXCLUDED_REVIEW_STATES),
        )
    ).all()
    if not findings:
        raise UserError(
            f"{target}: no open findings to notify (resolved findings, false positives and "
            "accepted risks are left out); run `beian audit` after a crawl, or see "
            "`beian findings --site HOST`"
        )
    rows = [_row(by_id[f.site_id], f, default_deadline) for f in findings]
    rows.sort(key=lambda r: (r.host, SEVERITY_ORDER.get(r.severity, 9), r.rule, r.excerpt))
    if issuer is None:
        issuer = f"{profile.name if profile else '运城市'}网络与信息安全信息通报中心"
    return NoticeContent(
        addressee=clean_text(addressee, 200),
        issuer=clean_text(issuer, 200),
        date=today,
        number=clean_text(number, 100) or None,
        rows=rows,
    )


def _target_sites(session: Session, target: str) -> tuple[list[Site], str]:
    """The sites a target names and the addressee: a host (or URL) first, else a sponsor."""
    wanted = target.strip()
    if not wanted:
        raise UserError("give a site's host or a sponsor's exact name (主办单位)")
    host = (urlsplit(wanted).hostname or "") if "://" in wanted else wanted.lower().rstrip(".")
    site = session.scalars(select(Site).where(Site.host == host)).first() if host else None
    if site is not None:
        sponsor = clean_text(site.sponsor)
        return [site], sponsor or f"{clean_text(site.name) or site.host}主办单位"
    sites = list(session.scalars(select(Site).where(Site.sponsor == wanted).order_by(Site.host)))
    if not sites:
        raise UserError(
            f"{target!r}: no site with this host and no sponsor (主办单位) of this exact name; "
            "see `beian sites list`"
        )
    return sites, wanted


def _row(site: Site, finding: Finding, default_deadline: dt.date) -> NoticeRow:
    try:
        rule = get_rule(finding.rule)
        message, basis, advice = rule.message_zh, rule.basis, rule.advice_zh
    except UnknownRule:  # a retired code: say so rather than fail the whole notice
        message, basis, advice = "（该规则已停用）", "", ""
    evidence = finding.evidence if isinstance(finding.evidence, dict) else {}
    seen = finding.last_seen_at.date() if finding.last_seen_at else None
    return NoticeRow(
        site_name=clean_text(site.name, 100),
        host=clean_text(site.host),
        rule=finding.rule,
        severity=finding.severity,
        message=message,
        basis=basis,
        advice=advice,
        excerpt=clean_text(evidence.get("excerpt"), EXCERPT_LIMIT),
        url=clean_text(evidence.get("url"), URL_LIMIT),
        seen=seen,
        deadline=finding.deadline or default_deadline,
    )


# --- rendering ----------------------------------------------------------------------------


def render_notice(content: NoticeContent) -> DocxDocument:
    """The DOCX document of a notice (not saved)."""
    import docx
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Mm, Pt

    document = docx.Document()
    _set_fonts(document)
    _add_font_table_entries(document)
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.footer_distance = Mm(20)
    _page_number_footer(section)

    properties = document.core_properties
    properties.title = TITLE
    properties.subject = clean_text(content.addressee)
    properties.author = properties.last_modified_by = clean_text(content.issuer)
    properties.comments = ""
    properties.keywords = "整改通知"
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    properties.created = properties.modified = now
    properties.revision = 1

    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.line_spacing = Pt(36)
    title.paragraph_format.space_before = Pt(0)
    title.paragraph_format.space_after = Pt(14 if content.number else 28)
    _font(title.add_run(TITLE), TITLE_FONT, 22)
    if content.number:
        numbered = document.add_paragraph()
        numbered.alignment = WD_ALIGN_PARAGRAPH.CENTER
        numbered.paragraph_format.space_after = Pt(14)
        numbered.add_run(clean_text(content.number))

    document.add_paragraph(f"{clean_text(content.addressee)}：")
    deadlines = content.deadlines
    when = (
        f"于{chinese_date(deadlines[0])}前完成整改"
        if len(deadlines) == 1
        else "按下表所列整改期限完成整改"
    )
    count = f"{content.sites}个网站" if content.sites > 1 else "网站"
    _body(document, (
        f"我中心在网站备案信息监测中发现，你单位主办的{count}存在{len(content.rows)}项"
        "备案信息问题，具体情况见下表。"
    ))  # fmt: skip
    _body(document, (
        f"请你单位对照表中所列依据和整改建议，逐项核实、整改，{when}，并将整改情况书面"
        "反馈我中心。整改期限届满后，我中心将对相关网站进行复查；逾期未整改的，将按有关"
        "规定予以通报。"
    ))  # fmt: skip

    caption = document.add_paragraph()
    caption.alignment = WD_ALIGN_PARAGRAPH.CENTER
    caption.paragraph_format.space_before = Pt(14)
    caption.paragraph_format.space_after = Pt(6)
    caption.paragraph_format.keep_with_next = True
    _font(caption.add_run(TABLE_CAPTION), HEADING_FONT, 14)

    table = document.add_table(rows=1, cols=len(HEADERS))
    table.style = document.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    _table_layout(table)
    header = table.rows[0]
    _row_properties(header, header=True)
    for cell, text in zip(header.cells, HEADERS, strict=True):
        _cell(cell, [text], font=HEADING_FONT, center=True)
    for index, row in enumerate(content.rows, start=1):
        added = table.add_row()
        _row_properties(added)
        cells = added.cells
        _cell(cells[0], [str(index)], center=True)
        _cell(cells[1], [row.site_name, row.host] if row.site_name else [row.host])
        level = SEVERITY_ZH.get(row.severity, row.severity)
        _cell(cells[2], [row.rule, row.message, f"（风险等级：{level}）"])
        _cell(cells[3], [row.basis])
        evidence = [row.excerpt] if row.excerpt else []
        evidence += [f"页面：{row.url}"] if row.url else []
        evidence += [f"检测日期：{chinese_date(row.seen)}"] if row.seen else []
        _cell(cells[4], evidence)
        _cell(cells[5], [row.advice])
        _cell(cells[6], [chinese_date(row.deadline)], center=True)
    for column, width in zip(table.columns, WIDTHS_CM, strict=True):
        for cell in column.cells:
            cell.width = Cm(width)

    # the signature block: the unit, and the date centred under it, 右空二字 (16 pt a character)
    issuer, date = clean_text(content.issuer), chinese_date(content.date)
    unit_indent = 2.0
    date_indent = max(unit_indent, unit_indent + (_width(issuer) - _width(date)) / 2)
    for text, gap, indent in ((issuer, 56, unit_indent), (date, 0, date_indent)):
        signed = document.add_paragraph(text)
        signed.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        signed.paragraph_format.space_before = Pt(gap)
        signed.paragraph_format.right_indent = Pt(16 * indent)
        signed.paragraph_format.keep_together = True
    return document


def _width(text: str) -> float:
    """The width of a text in Chinese characters (ASCII digits and letters are half)."""
    return sum(0.5 if ord(char) < 0x2E80 else 1.0 for char in text)


def save_document(document: DocxDocument, out: Path) -> Path:
    """Save next to the target and rename, so that a failure leaves no half-written file."""
    out = out.expanduser()
    out.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".notice-", suffix=".docx", dir=out.parent)
    os.close(handle)
    try:
        document.save(temporary)
        os.replace(temporary, out)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return out


def _body(document: DocxDocument, text: str) -> None:
    from docx.shared import Pt

    paragraph = document.add_paragraph(text)
    paragraph.paragraph_format.first_line_indent = Pt(32)  # two characters of 三号


def _cell(cell: _Cell, lines: Sequence[str], *, font: str | None = None,
          center: bool = False) -> None:  # fmt: skip
    """Fill a table cell: one paragraph per line, 小五, single spacing; short cells centred."""
    from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING

    cell.vertical_alignment = (
        WD_CELL_VERTICAL_ALIGNMENT.CENTER if center else WD_CELL_VERTICAL_ALIGNMENT.TOP
    )
    paragraphs = [cell.paragraphs[0]] + [cell.add_paragraph() for _ in lines[1:]]
    for paragraph, line in zip(paragraphs, lines or [""], strict=False):
        fmt = paragraph.paragraph_format
        fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE
        fmt.first_line_indent = 0
        if center:
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = paragraph.add_run(clean_text(line))
        _font(run, font, TABLE_PT)


def _font(run: Any, east_asia: str | None, size_pt: float) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt

    run.font.size = Pt(size_pt)
    if east_asia:
        fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
        fonts.set(qn("w:eastAsia"), east_asia)
        fonts.set(qn("w:hint"), "eastAsia")


def _set_fonts(document: DocxDocument) -> None:
    """仿宋 三号 for everything by default, on the document defaults and Normal: the theme
    fonts of python-docx's template are removed, since a theme attribute wins over a name."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt

    styles = document.styles.element
    defaults = styles.find(qn("w:docDefaults"))
    r_pr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    _name_fonts(r_pr.find(qn("w:rFonts")), BODY_FONT)
    for tag, value in (("w:sz", "32"), ("w:szCs", "32")):
        r_pr.find(qn(tag)).set(qn("w:val"), value)
    lang = r_pr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        r_pr.append(lang)
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")

    normal = document.styles["Normal"]
    normal.font.size = Pt(16)
    _name_fonts(normal.element.get_or_add_rPr().get_or_add_rFonts(), BODY_FONT)
    fmt = normal.paragraph_format
    fmt.space_before, fmt.space_after = Pt(0), Pt(0)
    fmt.line_spacing = Pt(28)  # exactly 28 pt: 22 lines on a GB/T 9704 page
    fmt.widow_control = True


def _name_fonts(r_fonts: Any, east_asia: str) -> None:
    from docx.oxml.ns import qn

    for attribute in ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme"):
        r_fonts.attrib.pop(qn(f"w:{attribute}"), None)
    for attribute in ("ascii", "hAnsi", "cs"):
        r_fonts.set(qn(f"w:{attribute}"), LATIN_FONT)
    r_fonts.set(qn("w:eastAsia"), east_asia)
    r_fonts.set(qn("w:hint"), "eastAsia")


def _add_font_table_entries(document: DocxDocument) -> None:
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


def _table_layout(table: Any) -> None:
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


def _row_properties(row: Any, *, header: bool = False) -> None:
    """A row is never split over two pages; the header row repeats on each page."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tr_pr = row._tr.get_or_add_trPr()
    tr_pr.append(OxmlElement("w:cantSplit"))
    if header:
        repeat = OxmlElement("w:tblHeader")
        repeat.set(qn("w:val"), "true")
        tr_pr.append(repeat)


def _page_number_footer(section: Any) -> None:
    """``— 1 —`` centred at the foot of each page."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    paragraph = section.footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(paragraph.add_run("— "), None, 14)
    for kind, text in (("begin", None), (None, " PAGE "), ("separate", None), (None, "1"),
                       ("end", None)):  # fmt: skip
        run = paragraph.add_run()
        _font(run, None, 14)
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
    _font(paragraph.add_run(" —"), None, 14)
