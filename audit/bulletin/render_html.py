"""The monthly bulletin as one self-contained, printable HTML file.

Everything is inline (CSS, charts as ``data:`` PNGs): the file is mailed around and opened
on machines without internet, and a Content-Security-Policy forbids anything else, so that
even a mistake in escaping could neither run a script nor fetch a resource. The look follows
the official document (GB/T 9704): red masthead, red rule, 仿宋 body with a two-character
indent, A4 pages when printed.

Every string may come from a crawled page: it goes through :func:`clean_text` (controls and
bidi overrides dropped) and :func:`html.escape`; nothing is emitted raw. The output is
deterministic (no timestamps, no random ids), so the same document gives the same bytes.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from pathlib import Path

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
from audit.documents.docx_style import chinese_date, clean_text
from audit.files import write_atomic

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
DRAFT_MARK = "草稿"
ATTACHMENTS_LABEL = "附件："

# Defence in depth: no script, no network, only inline styles and data: images.
CSP = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
    "base-uri 'none'; form-action 'none'"
)

RED = "#d40000"
BODY_FONTS = '"FangSong", "仿宋", "STFangsong", "Noto Serif CJK SC", "Source Han Serif SC", serif'
TITLE_FONTS = (
    '"方正小标宋简体", "FZXiaoBiaoSong-B05S", "STZhongsong", "Noto Serif CJK SC", '
    '"Source Han Serif SC", "SimSun", serif'
)
HEADING_FONTS = '"SimHei", "黑体", "STHeiti", "Noto Sans CJK SC", "Source Han Sans SC", sans-serif'
SUBHEADING_FONTS = '"KaiTi", "楷体", "STKaiti", "Noto Serif CJK SC", "Source Han Serif SC", serif'

# Sizes after GB/T 9704: body 三号 (16 pt) on 28 pt lines, title 二号 (22 pt); the A4 page
# margins give its 156 mm x 225 mm text area. Borders rather than backgrounds draw the red
# rule and the table grid, because browsers drop backgrounds when printing.
CSS = f"""
@page {{ size: A4; margin: 37mm 26mm 35mm 28mm; }}
@page {{ @bottom-center {{ content: "— " counter(page) " —"; font-size: 14pt; }} }}
html {{ -webkit-print-color-adjust: exact; print-color-adjust: exact; }}
body {{
  margin: 0; color: #000; background: #fff;
  font-family: {BODY_FONTS}; font-size: 16pt; line-height: 28pt;
}}
.page {{ max-width: 156mm; margin: 0 auto; padding: 12mm 10mm 20mm; }}
.masthead {{ text-align: center; }}
.masthead p {{ margin: 0; text-indent: 0; text-align: center; }}
.masthead-title {{
  color: {RED}; font-family: {TITLE_FONTS}; font-size: 30pt; line-height: 1.3;
  font-weight: bold; letter-spacing: 0.02em;
}}
.masthead .issue {{ margin-top: 10pt; }}
.masthead .issued {{ display: flex; justify-content: space-between; gap: 1em; margin-top: 6pt; }}
.rule {{ border: 0; border-top: 2.5pt solid {RED}; margin: 4pt 0 20pt; height: 0; }}
.masthead p.draft-mark {{
  width: fit-content; margin: 0 0 6pt auto; padding: 0 0.4em;
  border: 1.5pt solid {RED}; color: {RED}; font-family: {HEADING_FONTS}; font-size: 14pt;
  line-height: 1.6;
}}
.draft-watermark {{
  position: fixed; top: 40%; left: 0; right: 0; text-align: center; z-index: 1;
  color: rgba(212, 0, 0, 0.08); font-family: {HEADING_FONTS}; font-size: 120pt;
  transform: rotate(-30deg); pointer-events: none;
}}
h1.subtitle {{
  margin: 0 0 16pt; text-align: center; font-family: {TITLE_FONTS}; font-size: 22pt;
  line-height: 1.5; font-weight: bold;
}}
h2, h3, h4 {{ margin: 0; font-size: 16pt; line-height: 28pt; text-indent: 2em; }}
h2 {{ font-family: {HEADING_FONTS}; font-weight: normal; }}
h3, h4 {{ font-family: {SUBHEADING_FONTS}; font-weight: normal; }}
h1, h2, h3, h4, caption {{ break-after: avoid; page-break-after: avoid; }}
p {{ margin: 0; text-indent: 2em; text-align: justify; overflow-wrap: anywhere; }}
.table-block {{ margin: 10pt 0; }}
table {{
  width: 100%; border-collapse: collapse; font-size: 10.5pt; line-height: 1.45;
  overflow-wrap: anywhere;
}}
table.fixed {{ table-layout: fixed; }}
caption {{ caption-side: top; font-family: {HEADING_FONTS}; font-size: 12pt; padding: 4pt 0; }}
thead {{ display: table-header-group; }}
tr {{ break-inside: avoid; page-break-inside: avoid; }}
th, td {{ border: 0.75pt solid #000; padding: 2pt 4pt; vertical-align: middle; }}
th {{ font-family: {HEADING_FONTS}; font-weight: normal; text-align: center; }}
td {{ text-align: left; }}
td.num {{ text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }}
p.note {{ text-indent: 0; text-align: left; font-size: 12pt; line-height: 1.6; margin-top: 2pt; }}
figure {{ margin: 10pt 0; text-align: center; break-inside: avoid; page-break-inside: avoid; }}
figure img {{ max-width: 100%; height: auto; }}
figcaption {{ font-family: {HEADING_FONTS}; font-size: 12pt; line-height: 1.6; }}
.chart-missing {{
  border: 0.75pt dashed #888; color: #555; padding: 16pt 0; font-size: 12pt; text-indent: 0;
  text-align: center;
}}
.attachments {{ display: flex; margin-top: 28pt; text-indent: 0; }}
.attachments .label {{ padding-left: 2em; white-space: nowrap; }}
.attachments ol {{ margin: 0; padding-left: 1.6em; }}
.signature {{ margin-top: 28pt; text-align: right; padding-right: 2em; break-inside: avoid; }}
.signature p {{ text-indent: 0; text-align: right; }}
.record {{ margin-top: 42pt; border-top: 1.5px solid #000; border-bottom: 1.5px solid #000;
  font-size: 14pt; break-inside: avoid; }}
.record p {{ text-indent: 0; margin: 0; padding: 2pt 1em; }}
.record .copy {{ border-bottom: 1px solid #000; }}
.record .printed {{ display: flex; justify-content: space-between; }}
@media screen {{
  html {{ background: #e8e8e8; }}
  .page {{ background: #fff; margin: 16px auto; padding: 20mm 26mm 24mm 28mm;
    box-shadow: 0 0 6px rgba(0, 0, 0, 0.25); }}
}}
@media print {{ .page {{ max-width: none; padding: 0; }} }}
"""


def render_html(document: BulletinDocument, out: Path) -> Path:
    """Write the bulletin to ``out`` (parents created, replaced atomically); return it."""
    return write_atomic(out, to_html(document).encode("utf-8"))


def to_html(document: BulletinDocument) -> str:
    """The whole HTML file as text."""
    masthead = document.masthead
    title = clean_text(masthead.subtitle) or clean_text(masthead.title)
    if masthead.draft:
        title = f"【{DRAFT_MARK}】{title}"
    lines = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{html.escape(CSP, quote=True)}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta name="numbering" content="{html.escape(NUMBERING_RULE, quote=True)}">',
        f"<title>{html.escape(title, quote=True)}</title>",
        f"<style>{CSS}</style>",
        "</head>",
        "<body>",
        '<main class="page">',
        *_masthead(masthead),
    ]
    for block in document.blocks:
        lines.extend(_block(block))
    lines.extend(_attachments(document.attachments))
    lines.extend(_signature(document.signature))
    lines.extend(_record(document))
    lines += ["</main>", "</body>", "</html>", ""]
    return "\n".join(lines)


def escape(value: object) -> str:
    """One line of hostile text, safe as HTML text or inside a quoted attribute."""
    return html.escape(clean_text(value), quote=True)


def png_data_uri(path: Path | None) -> str | None:
    """The PNG at ``path`` as a ``data:`` URI, or None when it is missing or not a PNG
    (a wrong file would show as a broken image; the caption and ``missing`` say more)."""
    if path is None:
        return None
    try:
        data = Path(path).read_bytes()
    except OSError:
        return None
    if not data.startswith(PNG_SIGNATURE):
        return None
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def _lines(value: object) -> list[str]:
    """The non-empty lines of a text, each cleaned to one line."""
    text = clean_text(value, one_line=False)
    return [line for line in (clean_text(part) for part in text.splitlines()) if line]


def _masthead(masthead: Masthead) -> list[str]:
    lines = ['<header class="masthead">']
    if masthead.draft:
        lines.append(f'<div class="draft-watermark" aria-hidden="true">{DRAFT_MARK}</div>')
        lines.append(f'<p class="draft-mark">{DRAFT_MARK}</p>')
    lines.append(f'<p class="masthead-title">{escape(masthead.title)}</p>')
    if issue := escape(masthead.issue):
        lines.append(f'<p class="issue">{issue}</p>')
    lines += [
        '<p class="issued">'
        f'<span class="unit">{escape(masthead.unit)}</span>'
        f'<span class="date">{chinese_date(masthead.date)}</span>'
        "</p>",
        '<hr class="rule">',
        "</header>",
        f'<h1 class="subtitle">{escape(masthead.subtitle)}</h1>',
    ]
    return lines


def _block(block: Block) -> list[str]:
    match block:
        case Heading():
            return [_heading(block)]
        case Paragraph():
            # a line break starts a new indented paragraph, as in the printed bulletin
            return [f"<p>{escape(line)}</p>" for line in _lines(block.text)]
        case Table():
            return _table(block)
        case Chart():
            return _chart(block)
        case _:
            raise TypeError(f"not a bulletin block: {type(block).__name__}")


def _heading(heading: Heading) -> str:
    # level 1 is h2 (the subtitle is the page's h1); deeper levels stop at h4
    tag = f"h{min(max(heading.level, 1), 3) + 1}"
    return f"<{tag}>{escape(heading.text)}</{tag}>"


def _widths(table: Table, count: int) -> list[str] | None:
    """Column widths in percent, or None to let the browser decide (widths missing,
    not one per column, or not positive)."""
    widths = table.widths
    if len(widths) != count or count == 0 or any(not width > 0 for width in widths):
        return None
    total = sum(widths)
    return [f"{100 * width / total:.2f}%" for width in widths]


def _table(table: Table) -> list[str]:
    count = table.column_count
    numeric = table.numeric_columns()
    widths = _widths(table, count)
    lines = ['<div class="table-block">', f'<table class="{"fixed" if widths else "auto"}">']
    if caption := escape(table.caption):
        lines.append(f"<caption>{caption}</caption>")
    if widths:
        cols = "".join(f'<col style="width: {width}">' for width in widths)
        lines.append(f"<colgroup>{cols}</colgroup>")
    headers = "".join(
        f'<th scope="col">{escape(header)}</th>' for header in table.padded(table.headers)
    )
    lines += ["<thead>", f"<tr>{headers}</tr>", "</thead>", "<tbody>"]
    for row in table.rows:
        cells = "".join(
            f'<td class="num">{escape(cell)}</td>' if is_numeric else f"<td>{escape(cell)}</td>"
            for cell, is_numeric in zip(table.padded(row), numeric, strict=True)
        )
        lines.append(f"<tr>{cells}</tr>")
    lines += ["</tbody>", "</table>"]
    if table.note is not None and (note := escape(table.note)):
        lines.append(f'<p class="note">{note}</p>')
    lines.append("</div>")
    return lines


def _chart(chart: Chart) -> list[str]:
    caption = escape(chart.caption)
    uri = png_data_uri(chart.path)
    if uri is None:
        body = f'<p class="chart-missing">{escape(chart.missing)}</p>'
    else:
        body = f'<img src="{uri}" alt="{caption}">'
    return [
        f'<figure class="chart" data-key="{escape(chart.key)}">',
        body,
        f"<figcaption>{caption}</figcaption>",
        "</figure>",
    ]


def _attachments(attachments: Sequence[str]) -> list[str]:
    """附件：name, or 附件：1. … 2. … for several (GB/T 9704 numbers them then)."""
    names = [name for name in (escape(item) for item in attachments) if name]
    if not names:
        return []
    if len(names) == 1:
        items = f"<span>{names[0]}</span>"
    else:
        items = "<ol>" + "".join(f"<li>{name}</li>" for name in names) + "</ol>"
    return [f'<div class="attachments"><span class="label">{ATTACHMENTS_LABEL}</span>{items}</div>']


def _record(document: BulletinDocument) -> list[str]:
    """版记: 抄送, then the printing unit and the date, between rules."""
    if document.printed is None:
        return []
    units = [escape(unit) for unit in document.copy_to if clean_text(unit)]
    copied = [f'<p class="copy">抄送：{"，".join(units)}。</p>'] if units else []
    printed = (
        f'<p class="printed"><span>{escape(document.printer)}</span>'
        f"<span>{escape(chinese_date(document.printed))}印发</span></p>"
    )
    return ['<div class="record">', *copied, printed, "</div>"]


def _signature(signature: Sequence[str]) -> list[str]:
    lines = [f"<p>{line}</p>" for line in (escape(item) for item in signature) if line]
    return ['<div class="signature">', *lines, "</div>"] if lines else []
