"""Read the tables analysts keep: CSV or text exported from Excel/WPS, or .xlsx workbooks.

One reader for every import (the site inventory, the filing registry, ...): the
caller names its fields and the header aliases each may appear under, and gets
back text values keyed by field, each row with the line number the analyst sees
(the header is line 1 in a text editor, row 1 in Excel).

Encodings are detected, never guessed loosely: a byte-order mark, then strict
UTF-8, then strict GB18030 (a superset of GBK, what Excel writes as "CSV" on a
Chinese Windows), and a file that is neither is refused rather than turned into
mojibake.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import unicodedata
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain, islice
from pathlib import Path
from typing import Any

from audit.errors import UserError

SUPPORTED_EXTENSIONS = (".csv", ".txt", ".tsv", ".xlsx")
_TEXT_EXTENSIONS = (".csv", ".txt", ".tsv")
# Formats an analyst is likely to have, with what to do instead.
_SAVE_AS_XLSX = {
    ".xls": "an Excel 97-2003 workbook",
    ".et": "a WPS spreadsheet",
    ".ods": "an OpenDocument spreadsheet",
    ".numbers": "a Numbers spreadsheet",
}
_DELIMITERS = {",": "comma", "\t": "tab", ";": "semicolon"}
# The header is looked for among the first rows that have anything in them:
# Chinese workbooks often open with a title row ("运城市网站清单") above it.
_HEADER_SCAN = 10
_ZIP_MAGIC = b"PK\x03\x04"
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, and password-protected .xlsx

_EDGE_SPACE = re.compile(r"^[\s\u200b-\u200d\u2060\ufeff]+|[\s\u200b-\u200d\u2060\ufeff]+$")
_HEADER_NOISE = re.compile(r"[\s_\-\u200b-\u200d\u2060\ufeff]+")
# Required/optional markers of Chinese templates (after NFKC): *网址, 网址（必填）, 网址【必填】
_HEADER_MARKS = re.compile(r"^\*+|\*+$|\((?:必填|选填)\)$|【(?:必填|选填)】$")


class TableError(UserError):
    """A file that cannot be read as a table: the message names the file and says why."""


@dataclass(frozen=True)
class Table:
    """A table read by :func:`read_table`.

    ``rows`` holds one ``(line, values)`` pair per data row, ``values`` mapping every
    field of the ``columns`` asked for to its text with surrounding spaces removed
    ("" when empty or when the file has no such column: see ``header``). Blank rows
    (nothing in any of the fields asked for) inside the table are kept, so that
    callers can report them; those at the end (which Excel leaves behind, sometimes
    pre-numbered) are not rows. Rows above the header (a title) are skipped.
    """

    path: Path
    header: dict[str, str]  # field -> the header it was found under, as written
    header_line: int
    rows: list[tuple[int, dict[str, str]]]
    ignored: list[str] = field(default_factory=list)  # headers of the columns not used
    encoding: str | None = None  # text files
    delimiter: str | None = None  # text files
    sheet: str | None = None  # workbooks

    @property
    def description(self) -> str:
        """How the file was read, for a report: 'CSV, GB18030, comma-separated'."""
        if self.sheet is not None:
            return f"workbook, sheet {self.sheet!r}"
        delimiter = _DELIMITERS.get(self.delimiter or ",", repr(self.delimiter))
        return f"text, {(self.encoding or '?').upper()}, {delimiter}-separated"


def read_table(
    path: str | Path,
    columns: Mapping[str, Sequence[str]],
    *,
    required: Collection[str] = (),
    sheet: str | None = None,
) -> Table:
    """Read a .csv/.txt/.tsv or .xlsx file into a :class:`Table`.

    ``columns`` maps each field to the headers it may appear under (compared
    ignoring case, spaces, underscores, hyphens, full-width forms and a ``*`` or
    ``（必填）`` marker; the field name itself is accepted too). When several
    columns match one field, the one matching the earlier alias is used and the
    others are ignored. ``sheet`` picks a workbook's sheet (default: the first).
    Raises :class:`TableError` for a problem with the whole file.
    """
    path = Path(path)
    matcher = _Matcher(columns)
    unknown = [f for f in required if f not in columns]
    if unknown:
        raise ValueError(f"required fields not in columns: {unknown}")
    extension = path.suffix.lower()
    if extension in _SAVE_AS_XLSX:
        raise TableError(
            f"{path}: {_SAVE_AS_XLSX[extension]} ({extension}) cannot be read:"
            " open it in Excel or WPS and save it as .xlsx (Excel 工作簿) or as CSV UTF-8"
        )
    if extension not in SUPPORTED_EXTENSIONS:
        raise TableError(
            f"{path}: unsupported file type {extension or '(no extension)'!r}:"
            f" supported are {', '.join(SUPPORTED_EXTENSIONS)}"
        )
    if not path.exists():
        raise TableError(f"{path}: file not found")
    if path.is_dir():
        raise TableError(f"{path}: is a folder, not a file")
    if extension == ".xlsx":
        return _read_xlsx(path, matcher, required, sheet)
    if sheet is not None:
        raise TableError(f"{path}: a sheet can only be chosen in an .xlsx workbook")
    return _read_text(path, matcher, required)


def normalise_header(text: str) -> str:
    """The form headers and aliases are compared in: '  网站 名称（必填）' -> '网站名称'."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _HEADER_NOISE.sub("", text)
    previous = None
    while previous != text:  # markers may be stacked: *网址(必填)
        previous, text = text, _HEADER_MARKS.sub("", text)
    return text


def clean_cell(text: str) -> str:
    """A value without surrounding spaces, full-width spaces or zero-width characters."""
    return _EDGE_SPACE.sub("", text)


# -- headers -------------------------------------------------------------------------------------


@dataclass
class _HeaderMap:
    positions: dict[str, int]  # field -> column index
    names: dict[str, str]  # field -> header as written
    ignored: list[str]


class _Matcher:
    def __init__(self, columns: Mapping[str, Sequence[str]]) -> None:
        self.columns = columns
        self.fields = list(columns)
        self._index: dict[str, tuple[str, int]] = {}
        for name, aliases in columns.items():
            for priority, alias in enumerate([*aliases, name]):
                key = normalise_header(alias)
                if not key:
                    raise ValueError(f"empty alias for {name!r}")
                owner = self._index.setdefault(key, (name, priority))[0]
                if owner != name:
                    raise ValueError(f"alias {alias!r} given for both {owner!r} and {name!r}")

    def map(self, cells: Sequence[str]) -> _HeaderMap:
        chosen: dict[str, tuple[int, int]] = {}  # field -> (alias priority, column index)
        for index, cell in enumerate(cells):
            match = self._index.get(normalise_header(cell)) if cell else None
            if match is None:
                continue
            name, priority = match
            if name not in chosen or priority < chosen[name][0]:
                chosen[name] = (priority, index)
        positions = {name: index for name, (_, index) in chosen.items()}
        used = set(positions.values())
        return _HeaderMap(
            positions=positions,
            names={name: cells[index] for name, index in positions.items()},
            ignored=[cell for index, cell in enumerate(cells) if cell and index not in used],
        )

    def recognised(self, cells: Sequence[str]) -> int:
        return len({self._index[k][0] for c in cells if (k := normalise_header(c)) in self._index})


def _assemble(
    where: str,
    records: Iterator[tuple[int, list[str]]],
    matcher: _Matcher,
    required: Collection[str],
    hint: str = "",
    **meta: Any,
) -> Table:
    """Find the header among the first rows, then turn records into rows of fields."""
    buffered: list[tuple[int, list[str]]] = []
    non_blank = 0
    for record in records:
        buffered.append(record)
        if any(record[1]):
            non_blank += 1
            if non_blank == _HEADER_SCAN:
                break
    candidates = [(i, cells) for i, (_, cells) in enumerate(buffered) if any(cells)]
    if not candidates:
        raise TableError(f"{where}: no header row: the file is empty")
    # The first row that names the most known columns; the first non-blank row if none does.
    best = max(candidates, key=lambda c: matcher.recognised(c[1]))
    if matcher.recognised(best[1]) == 0:
        best = candidates[0]
    header_index, header_cells = best
    header = matcher.map(header_cells)
    missing = [name for name in required if name not in header.positions]
    if missing:
        found = ", ".join(c for c in header_cells if c) or "none"
        looked = "; ".join(
            f"no {name} column (looked for {', '.join([*matcher.columns[name], name])})"
            for name in missing
        )
        raise TableError(
            f"{where}: {looked}; headers found on line {buffered[best[0]][0]}: {found}{hint}"
        )

    rows: list[tuple[int, dict[str, str]]] = []
    blanks: list[tuple[int, dict[str, str]]] = []  # kept back until a non-blank row follows
    positions = list(header.positions.items())
    empty = dict.fromkeys(matcher.fields, "")
    for line, cells in chain(buffered[header_index + 1 :], records):
        values = dict(empty)
        width = len(cells)
        for name, index in positions:
            if index < width:
                values[name] = cells[index]
        if any(values.values()):
            rows.extend(blanks)
            blanks.clear()
            rows.append((line, values))
        else:
            blanks.append((line, values))
    return Table(
        header=header.names,
        header_line=buffered[header_index][0],
        rows=rows,
        ignored=header.ignored,
        **meta,
    )


# -- text files ----------------------------------------------------------------------------------


def _read_text(path: Path, matcher: _Matcher, required: Collection[str]) -> Table:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise TableError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if data.startswith(_ZIP_MAGIC):
        raise TableError(f"{path}: is an .xlsx workbook, not a text file: rename it to .xlsx")
    if data.startswith(_OLE2_MAGIC):
        raise TableError(
            f"{path}: is an old Excel .xls workbook, not a text file:"
            " open it in Excel or WPS and save it as .xlsx or as CSV UTF-8"
        )
    text, encoding = _decode(path, data)
    offset = 0
    delimiter: str | None = None
    # Excel honours (and some tools write) a first line "sep=;" naming the delimiter.
    first_line, newline, remainder = text.partition("\n")
    hint = re.fullmatch(r"sep=(.)\r?", first_line.lstrip("\ufeff"))
    if hint and newline:
        delimiter, text, offset = hint.group(1), remainder, 1
    if delimiter is None:
        delimiter = _sniff_delimiter(text, matcher, path.suffix.lower())
    return _assemble(
        str(path),
        _csv_records(path, text, delimiter, offset),
        matcher,
        required,
        path=path,
        encoding=encoding,
        delimiter=delimiter,
    )


def _csv_records(
    path: Path, text: str, delimiter: str, offset: int = 0
) -> Iterator[tuple[int, list[str]]]:
    """Records with the physical line they start on (a quoted field may span lines)."""
    # newline="" keeps line endings inside quoted fields and splits lines on \n, \r\n and \r.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    consumed = 0
    try:
        for cells in reader:
            line = consumed + 1 + offset
            consumed = reader.line_num
            yield line, [clean_cell(cell) for cell in cells]
    except csv.Error as exc:
        line = consumed + 1 + offset
        if "unexpected end of data" in str(exc):
            raise TableError(
                f"{path}, line {line}: a quoted field starting on this line is never closed"
                ' (a stray " ?)'
            ) from None
        raise TableError(f"{path}, line {line}: malformed CSV ({exc})") from None


def _sniff_delimiter(text: str, matcher: _Matcher, extension: str) -> str:
    """The delimiter under which the header names the most known columns.

    Ties (a one-column file, or no known header) go to the delimiter that splits the
    first rows into the same number (>1) of columns, then to the usual one for the
    extension (tab for .tsv, comma otherwise).
    """
    order = ["\t", ",", ";"] if extension == ".tsv" else [",", "\t", ";"]
    head = text[:65536]

    def score(delimiter: str) -> tuple[int, int]:
        sample: list[list[str]] = []
        try:
            reader = csv.reader(io.StringIO(head, newline=""), delimiter=delimiter, strict=True)
            for cells in islice(reader, 4 * _HEADER_SCAN):
                if any(cells):
                    sample.append(cells)
                if len(sample) == _HEADER_SCAN:
                    break
        except csv.Error:
            pass  # a wrong delimiter often makes quoting look malformed: judge what was read
        if not sample:
            return (0, 0)
        known = max(matcher.recognised([clean_cell(c) for c in cells]) for cells in sample)
        width = len(sample[0])
        consistent = sum(1 for cells in sample if len(cells) == width) if width > 1 else 0
        return (known, consistent)

    return max(order, key=score)  # max keeps the first of equals


def _decode(path: Path, data: bytes) -> tuple[str, str]:
    """Text and encoding name; TableError rather than a wrong guess."""
    for bom, encoding in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16: its BOM starts the same way
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF16_LE, "utf-16"),  # Excel's "Unicode text"
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            return _strict(path, data, encoding), encoding
    if b"\x00" in data[:4096]:
        # No BOM but NUL bytes: UTF-16 text, or not text at all.
        sample = data[:4096]
        even, odd = sample[0::2].count(0), sample[1::2].count(0)
        if odd > len(sample) // 4 and even == 0:
            return _strict(path, data, "utf-16-le"), "utf-16-le"
        if even > len(sample) // 4 and odd == 0:
            return _strict(path, data, "utf-16-be"), "utf-16-be"
        raise TableError(f"{path}: not a text file (it contains NUL bytes)")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        utf8_error = exc
    utf8_line = _line_at(data, utf8_error.start)
    prefix = data[: utf8_error.start].decode("utf-8")
    if sum(1 for c in prefix if "\u4e00" <= c <= "\u9fff") >= 3:
        # UTF-8 Chinese before the bad bytes: a damaged or mixed file, not a GBK one.
        raise TableError(
            f"{path}: line {utf8_line} is not valid UTF-8 although the lines before it are:"
            " the file is damaged or mixes encodings; save it again as CSV UTF-8"
        )
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise TableError(
            f"{path}: cannot decode: not UTF-8 (line {utf8_line}) nor GBK/GB18030"
            f" (line {_line_at(data, exc.start)}); save it as CSV UTF-8 or as .xlsx"
        ) from None
    if _implausible_gbk(text):
        raise TableError(
            f"{path}: cannot decode: not UTF-8 (line {utf8_line}), and read as GBK it gives"
            " unlikely characters (Big5? Latin-1?); save it as CSV UTF-8 or as .xlsx"
        )
    return text, "gb18030"


def _strict(path: Path, data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise TableError(
            f"{path}: cannot decode as {encoding.upper()} (bad bytes at offset {exc.start})"
        ) from None


def _line_at(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _implausible_gbk(text: str) -> bool:
    """Whether GB18030-decoded text is likely another encoding's bytes.

    Simplified Chinese almost only uses GB2312 characters; Big5 or Latin-1 bytes read
    as GBK give many outside it (rare hanzi, private-use code points).
    """
    distinct = {c for c in set(text) if ord(c) > 0x7F}
    if len(distinct) < 5:
        return False
    unusual = 0
    for char in distinct:
        try:
            char.encode("gb2312")
        except UnicodeEncodeError:
            unusual += 1
    return unusual >= 3 and unusual > len(distinct) // 4


# -- workbooks -----------------------------------------------------------------------------------


def _read_xlsx(
    path: Path, matcher: _Matcher, required: Collection[str], sheet: str | None
) -> Table:
    from openpyxl import load_workbook

    try:
        with path.open("rb") as handle:
            magic = handle.read(8)
    except OSError as exc:
        raise TableError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if magic == _OLE2_MAGIC:
        raise TableError(
            f"{path}: is an old .xls workbook or a password-protected one:"
            " save it in Excel or WPS as .xlsx without a password"
        )
    if not magic.startswith(_ZIP_MAGIC):
        raise TableError(f"{path}: is not an .xlsx workbook (a text file renamed .xlsx?)")
    try:
        # read_only streams rows (100,000-row inventories); data_only gives formulas' values.
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for damaged files
        raise TableError(f"{path}: cannot open the workbook: {_first_line(exc)}") from None
    try:
        names = [ws.title for ws in workbook.worksheets]
        if not names:
            raise TableError(f"{path}: the workbook has no worksheet")
        if sheet is None:
            worksheet = workbook.worksheets[0]
        elif sheet in names:
            worksheet = workbook[sheet]
        else:
            raise TableError(
                f"{path}: no sheet {sheet!r}; the sheets are {', '.join(map(repr, names))}"
            )
        where = f"{path}, sheet {worksheet.title!r}"
        # The stored dimensions can be wrong (files from other tools): read all cells.
        worksheet.reset_dimensions()
        merged = _merged_ranges(workbook, worksheet)
        others = [name for name in names if name != worksheet.title]
        try:
            return _assemble(
                where,
                _xlsx_records(worksheet, merged),
                matcher,
                required,
                hint=f" (other sheets: {', '.join(others)})" if others else "",
                path=path,
                sheet=worksheet.title,
            )
        except TableError:
            raise
        except Exception as exc:
            raise TableError(f"{where}: cannot read the sheet: {_first_line(exc)}") from None
    finally:
        workbook.close()


def _xlsx_records(
    worksheet: Any, merged: list[tuple[int, int, int, int]]
) -> Iterator[tuple[int, list[str]]]:
    """Rows of cell texts, numbered as Excel numbers them, merged cells filled in.

    A merged cell (one 所属区县 spanning ten rows) holds its value in its top-left
    cell only; the analyst means it for every row it covers.
    """
    starts: dict[int, list[tuple[int, int, int, int]]] = {}
    for cell_range in merged:
        starts.setdefault(cell_range[0], []).append(cell_range)
    active: list[tuple[tuple[int, int, int, int], str]] = []
    for number, values in enumerate(worksheet.iter_rows(values_only=True), start=1):
        cells = [cell_text(v) for v in values]
        active = [(r, v) for r, v in active if r[2] >= number]
        for cell_range in starts.get(number, ()):
            col = cell_range[1] - 1
            active.append((cell_range, cells[col] if col < len(cells) else ""))
        for (_, min_col, _, max_col), value in active:
            if len(cells) < max_col:
                cells.extend([""] * (max_col - len(cells)))
            for col in range(min_col - 1, max_col):
                if not cells[col]:
                    cells[col] = value
        yield number, cells


def _merged_ranges(workbook: Any, worksheet: Any) -> list[tuple[int, int, int, int]]:
    """(min_row, min_col, max_row, max_col) of the sheet's merged cells.

    Read-only worksheets do not expose them, so the sheet's XML is scanned for its
    <mergeCell ref="A1:B2"/> elements. Best effort: on any surprise, no ranges.
    """
    from openpyxl.utils.cell import range_boundaries

    pattern = re.compile(rb"<(?:\w+:)?mergeCell\s[^>]*?ref=\"([A-Z]+[0-9]+:[A-Z]+[0-9]+)\"")
    refs: set[bytes] = set()
    try:
        with workbook._archive.open(worksheet._worksheet_path) as part:
            tail = b""
            while chunk := part.read(1 << 20):
                block = tail + chunk
                refs.update(m.group(1) for m in pattern.finditer(block))
                tail = block[-256:]  # an element cut in two; one seen twice is in the set once
        return [_bounds(range_boundaries(ref.decode())) for ref in refs]
    except Exception:
        return []


def _bounds(bounds: tuple[int | None, ...]) -> tuple[int, int, int, int]:
    min_col, min_row, max_col, max_row = (b or 0 for b in bounds)
    return (min_row, min_col, max_row, max_col)


def cell_text(value: object) -> str:
    """A workbook cell as the analyst reads it: 1 not '1.0', dates as 2024-01-31."""
    if value is None:
        return ""
    if isinstance(value, bool):  # before int: bool is an int
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return clean_cell(str(value))


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
