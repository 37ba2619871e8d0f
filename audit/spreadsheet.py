"""XLSX workbooks of untrusted data: cells that cannot run, sheets that stream.

Crawled text is hostile. A string that starts like a formula (``=``, ``+``, ``-``, ``@``,
tab, CR) would be stored by openpyxl as a formula, and run by whoever opens the file, or
by the spreadsheet a CSV export is pasted into (OWASP "CSV injection"): :func:`safe_cell`
prefixes it with ``'``. Control characters that XML 1.0 forbids would corrupt the file:
:func:`cell_value` drops them, caps text at Excel's 32,767 characters per cell, and
writes datetimes in the centre's local time (Excel has no time zones).

:func:`write_workbook` writes sheets in openpyxl's write-only mode (rows go straight to
the file: 200,000 rows take seconds and little memory). Each sheet gets a bold header
row, frozen below it, an autofilter over the data and column widths from its first rows.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from audit.config import LOCAL_TZ

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# characters XML 1.0 forbids (C0 controls but tab, LF, CR; surrogates; U+FFFE, U+FFFF):
# lxml refuses them, and the whole workbook with them
XML_ILLEGAL = dict.fromkeys([*range(0, 9), 11, 12, *range(14, 32), *range(0xD800, 0xE000),
                             0xFFFE, 0xFFFF])  # fmt: skip
MAX_CELL_TEXT = 32_767  # Excel's limit: a longer cell makes it "repair" the file
WIDTH_SAMPLE = 200  # rows read for the column widths
MAX_WIDTH = 60
MIN_WIDTH = 6
_BAD_TITLE = re.compile(r"[\\/*?:\[\]]")


def safe_cell(value: Any) -> Any:
    """A spreadsheet cell that cannot be a formula (OWASP CSV injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def cell_value(value: Any) -> Any:
    """A value as an XLSX cell takes it: local naive datetimes, JSON for containers, text
    without XML-illegal characters, within Excel's length limit and never a formula."""
    if isinstance(value, str):  # the common case first: this runs for every cell
        # Crawled text: no control characters (they corrupt the file), no formulas.
        value = safe_cell(value.translate(XML_ILLEGAL))
        if len(value) > MAX_CELL_TEXT:
            value = value[: MAX_CELL_TEXT - 1] + "…"
        return value
    if value is None or isinstance(value, int | float):
        return value
    if isinstance(value, dt.datetime):
        # Excel has no time zones: show the centre's local time (naive: the system's).
        return value.astimezone(LOCAL_TZ).replace(tzinfo=None)
    if isinstance(value, Mapping | list | tuple | set):
        return cell_value(json.dumps(value, ensure_ascii=False, default=_json_default))
    return value


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.date):  # and datetime
        return value.isoformat()
    if isinstance(value, set | frozenset):
        return list(value)
    return str(value)


@dataclass
class Sheet:
    """One worksheet: a header row and the data rows (any iterable: it is read once, so a
    generator streams). ``autofilter`` and ``freeze`` apply to the header row."""

    title: str
    headers: Sequence[str]
    rows: Iterable[Sequence[Any]]
    autofilter: bool = True
    freeze: bool = True


def write_workbook(path: str | Path, sheets: Iterable[Sheet]) -> Path:
    """Write the sheets, in order, as one XLSX workbook at ``path``. Every cell goes
    through :func:`cell_value`. Returns the path."""
    from openpyxl import Workbook

    path = Path(path)
    workbook = Workbook(write_only=True)
    used: set[str] = set()
    for sheet in sheets:
        _write_sheet(workbook, _sheet_title(sheet.title, used), sheet)
    if not used:  # a workbook needs a sheet
        _write_sheet(workbook, "Sheet1", Sheet("Sheet1", [], []))
    workbook.save(path)
    return path


def _write_sheet(workbook: Any, title: str, sheet: Sheet) -> None:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    worksheet = workbook.create_sheet(title)
    columns = len(sheet.headers)
    rows = (list(map(cell_value, row)) for row in sheet.rows)
    sample = list(itertools.islice(rows, WIDTH_SAMPLE))
    # In write-only mode the column widths and the frozen pane are written with the first
    # row, the autofilter after the last: set them in that order.
    for index, header in enumerate(sheet.headers):
        width = max([_width(header), *(_width(row[index]) for row in sample if index < len(row))])
        letter = get_column_letter(index + 1)
        worksheet.column_dimensions[letter].width = max(MIN_WIDTH, min(MAX_WIDTH, width + 2))
    if sheet.freeze:
        worksheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header_cells = []
    for header in sheet.headers:
        cell = WriteOnlyCell(worksheet, value=cell_value(header))
        cell.font = bold
        header_cells.append(cell)
    worksheet.append(header_cells)
    count = 0
    for row in itertools.chain(sample, rows):
        worksheet.append(row)
        count += 1
    if sheet.autofilter and columns:
        worksheet.auto_filter.ref = f"A1:{get_column_letter(columns)}{count + 1}"


def _sheet_title(title: str, used: set[str]) -> str:
    """A legal, unique sheet name: no \\ / * ? : [ ], not quoted, at most 31 characters."""
    base = _BAD_TITLE.sub("_", title.translate(XML_ILLEGAL)).strip("'").strip() or "Sheet"
    base = base[:31]
    name, number = base, 1
    while name.casefold() in used:
        number += 1
        suffix = f" ({number})"
        name = base[: 31 - len(suffix)] + suffix
    used.add(name.casefold())
    return name


def _width(value: Any) -> int:
    """About how many character widths the value takes in a cell (CJK characters two)."""
    if value is None:
        return 0
    if isinstance(value, bool):
        return 5  # TRUE / FALSE
    if isinstance(value, dt.datetime):
        return 19  # yyyy-mm-dd h:mm:ss
    if isinstance(value, dt.date):
        return 10
    text = str(value)
    if len(text) > MAX_WIDTH * 2:
        text = text[: MAX_WIDTH * 2]
    return max(_text_width(line) for line in text.splitlines() or [""])


def _text_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
