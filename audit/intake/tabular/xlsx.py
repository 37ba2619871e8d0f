"""Rows of an .xlsx workbook, read as a stream from the zip's XML parts.

Why not openpyxl: it follows what a workbook declares. A 2 KB file can declare a merge
to the last cell (A1:XFD1048576, which openpyxl's merged-cell handling walks), a row at
1,048,576 (read-only mode yields the million empty rows before it), or a shared string
that inflates to 1 GiB (read whole, then printed whole). Here nothing a file declares is
trusted: the parts' sizes are checked in the zip directory and while inflating
(:mod:`audit.intake.tabular.zipparts`), the XML is streamed by expat with no DOCTYPE and no
huge token (:mod:`audit.intake.tabular.xmlstream`), every cell keeps at most
``max_cell_chars`` characters, rows are yielded one at a time (empty ones between them
lazily, so a reader that stops after a run of empty rows never makes the million), and a
merged range is four numbers, never expanded.

Values are what Excel shows, as openpyxl's ``data_only`` gives them: a formula's last
computed value, numbers without a trailing .0, date-formatted numbers as dates
(including the Chinese built-in date formats, ids 27-36 and 50-58).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from audit.excerpt import EXCERPT_LENGTH, excerpt
from audit.intake.tabular.cells import clean_cell, is_date_format, iso_date_text, number_text
from audit.intake.tabular.model import Cell, ReadLimits, TableError, TooLong
from audit.intake.tabular.xmlstream import Handler, LocalNames, stream
from audit.intake.tabular.zipparts import ZipParts

Record = tuple[int, list[Cell]]
Range = tuple[int, int, int, int]  # min_row, min_col, max_row, max_col; 1-based

MAX_ROW = 1_048_576  # Excel's last row and column
MAX_COLUMN = 16_384
_WORKSHEET = "/worksheet"
_OFFICE_DOCUMENT = "/officeDocument"
_REFERENCE = re.compile(r"([A-Za-z]{1,3})([0-9]{1,7})")
_DIGITS = "0123456789"


def _column_letters() -> list[str]:
    letters = [chr(65 + n) for n in range(26)]
    two = [a + b for a in letters for b in letters]
    three = [a + b for a in letters for b in two]
    return (letters + two + three)[:MAX_COLUMN]


_LETTERS = _column_letters()  # column n is _LETTERS[n - 1]
_COLUMNS = {letters: n for n, letters in enumerate(_LETTERS, start=1)}
_MERGE = re.compile(rb"<(?:\w+:)?mergeCell\s[^>]*?ref=[\"']([A-Za-z]+[0-9]+:[A-Za-z]+[0-9]+)[\"']")


@dataclass(frozen=True)
class SheetPart:
    name: str
    part: str  # its path in the zip


def column_number(letters: str) -> int:
    """'A' -> 1, 'XFD' -> 16384."""
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - 64
    return number


def cell_reference(text: str) -> tuple[int, int] | None:
    """'B7' -> (7, 2): row and column; None when it is not a cell of a sheet."""
    match = _REFERENCE.fullmatch(text)
    if match is None:
        return None
    row, column = int(match[2]), column_number(match[1])
    if not (1 <= row <= MAX_ROW and 1 <= column <= MAX_COLUMN):
        return None
    return row, column


def range_bounds(text: str) -> Range | None:
    """'A2:C4' -> (2, 1, 4, 3); None for anything else."""
    first, _, last = text.partition(":")
    start, end = cell_reference(first), cell_reference(last or first)
    if start is None or end is None:
        return None
    return (min(start[0], end[0]), min(start[1], end[1]), max(start[0], end[0]),
            max(start[1], end[1]))  # fmt: skip


def _target(base: str, target: str) -> str:
    """A relationship's target as a path in the zip, relative to the part's folder."""
    if target.startswith("/"):
        return posixpath.normpath(target.lstrip("/"))
    return posixpath.normpath(posixpath.join(posixpath.dirname(base), target))


def _rels_of(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", f"{name}.rels")


# -- small parts: relationships, workbook, styles -------------------------------------------------


class _Relationships:
    def __init__(self) -> None:
        self.names = LocalNames()
        self.found: dict[str, tuple[str, str]] = {}  # id -> (type, target)

    def start(self, name: str, attributes: dict[str, str]) -> None:
        if self.names[name] == "Relationship" and attributes.get("TargetMode") != "External":
            ident, target = attributes.get("Id"), attributes.get("Target")
            if ident and target:
                self.found[ident] = (attributes.get("Type", ""), target)

    def end(self, name: str) -> None:
        pass

    def text(self, data: str) -> None:
        pass


class _WorkbookPart:
    def __init__(self) -> None:
        self.names = LocalNames()
        self.sheets: list[tuple[str, str]] = []  # (name, relationship id)
        self.date1904 = False

    def start(self, name: str, attributes: dict[str, str]) -> None:
        tag = self.names[name]
        if tag == "sheet":
            ident = next((v for k, v in attributes.items() if self.names[k] == "id"), "")
            self.sheets.append((attributes.get("name", ""), ident))
        elif tag == "workbookPr":
            self.date1904 = attributes.get("date1904", "").lower() in ("1", "true")

    def end(self, name: str) -> None:
        pass

    def text(self, data: str) -> None:
        pass


class _Styles:
    """Which cell styles (indexes into cellXfs) show numbers as dates."""

    def __init__(self) -> None:
        self.names = LocalNames()
        self.codes: dict[int, str] = {}  # custom number formats
        self.formats: list[int] = []  # numFmtId of each cellXfs entry
        self._in_cell_xfs = False

    def start(self, name: str, attributes: dict[str, str]) -> None:
        tag = self.names[name]
        if tag == "numFmt":
            ident = _integer(attributes.get("numFmtId"))
            if ident is not None:
                self.codes[ident] = attributes.get("formatCode", "")
        elif tag == "cellXfs":
            self._in_cell_xfs = True
        elif tag == "xf" and self._in_cell_xfs:
            self.formats.append(_integer(attributes.get("numFmtId")) or 0)

    def end(self, name: str) -> None:
        if self.names[name] == "cellXfs":
            self._in_cell_xfs = False

    def text(self, data: str) -> None:
        pass

    def date_styles(self) -> frozenset[int]:
        dated = {i: is_date_format(i, self.codes.get(i)) for i in set(self.formats)}
        return frozenset(style for style, ident in enumerate(self.formats) if dated[ident])


def _integer(text: str | None) -> int | None:
    try:
        return int(text) if text is not None and len(text) < 12 else None
    except ValueError:
        return None


# -- cell text, capped --------------------------------------------------------------------------


class _Text:
    """Text gathered from several expat calls, at most ``cap`` characters of it kept."""

    __slots__ = ("cap", "length", "parts")

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.parts: list[str] = []
        self.length = 0

    def add(self, data: str) -> None:
        if self.length <= self.cap:
            self.parts.append(data)
        self.length += len(data)

    def value(self) -> Cell:
        text = "".join(self.parts)
        if self.length > self.cap:
            return TooLong(text[:EXCERPT_LENGTH], self.length)
        return text


class _SharedStrings:
    def __init__(self, where: str, limits: ReadLimits) -> None:
        self.names = LocalNames()
        self.where = where
        self.limits = limits
        self.strings: list[Cell] = []
        self._item: _Text | None = None  # the <si> being read
        self._in_t = False
        self._phonetic = 0  # inside <rPh>: furigana, not part of the text

    def start(self, name: str, attributes: dict[str, str]) -> None:
        tag = self.names[name]
        if tag == "si":
            self._item = _Text(self.limits.max_cell_chars)
        elif tag == "t":
            self._in_t = True
        elif tag == "rPh":
            self._phonetic += 1

    def end(self, name: str) -> None:
        tag = self.names[name]
        if tag == "t":
            self._in_t = False
        elif tag == "rPh":
            self._phonetic -= 1
        elif tag == "si" and self._item is not None:
            if len(self.strings) >= self.limits.max_shared_strings:
                raise TableError(
                    f"{self.where}: more than {self.limits.max_shared_strings:,} shared"
                    " strings (the limit): not a workbook Excel writes"
                )
            value = self._item.value()
            self.strings.append(clean_cell(value) if isinstance(value, str) else value)
            self._item = None

    def text(self, data: str) -> None:
        if self._in_t and self._item is not None and not self._phonetic:
            self._item.add(data)


# -- the sheet ------------------------------------------------------------------------------------


class _SheetRows:
    """Gathers the rows of a sheet's <sheetData> as expat reads them.

    Called for every element and run of text of the sheet (millions): the common path
    (<c>, <v>, text, </c>) is written inline, without helper calls."""

    def __init__(
        self,
        where: str,
        strings: list[Cell],
        date_styles: frozenset[int],
        date1904: bool,
        limits: ReadLimits,
    ) -> None:
        self.names = LocalNames()
        self.where = where
        self.strings = strings
        self.date_styles = date_styles
        self.date1904 = date1904
        self.limits = limits
        self.cap = limits.max_cell_chars
        self.done: list[Record] = []
        # A row beyond a limit is refused when it is reached, not when it is parsed (the
        # reader may stop before it, after a run of empty rows).
        self.refused: dict[int, TableError] = {}
        self.finished = False  # </sheetData> seen
        self._row = 0
        self._cells: dict[int, Cell] = {}
        # A cell's column is its r="B7", else one more than the cell before it. It is
        # worked out only for cells with a value: a sheet may hold millions of empty ones.
        self._attributes: dict[str, str] = {}  # of the cell being read
        self._last_reference: str | None = None  # the row's last cell that had one
        self._after = 0  # cells since that one
        self._column = 0  # of the cell being finished
        self._parts: list[str] | None = None  # the cell's text, when it has any
        self._length = 0
        self._collecting = False
        self._inline = False
        self._phonetic = 0

    def start(self, name: str, attributes: dict[str, str]) -> None:
        tag = self.names[name]
        if tag == "c":
            self._attributes, self._parts, self._length = attributes, None, 0
            if "r" in attributes:
                self._last_reference, self._after = attributes["r"], 0
            else:
                self._after += 1
        elif tag == "v" or (tag == "t" and self._inline and not self._phonetic):
            if self._parts is None:
                self._parts = []
            self._collecting = True
        elif tag == "row":
            self._start_row(attributes.get("r"))
        elif tag == "is":
            self._inline = True
        elif tag == "rPh":
            self._phonetic += 1

    def text(self, data: str) -> None:
        if self._collecting:
            if self._length <= self.cap:
                self._parts.append(data)  # type: ignore[union-attr]  # set with _collecting
            self._length += len(data)

    def end(self, name: str) -> None:
        tag = self.names[name]
        if tag == "c":
            if self._parts is None:
                return
            self._column = self._column_now()
            value = self._value()
            self._parts = None
            if not value:
                return
            if self._column > self.limits.max_columns:
                self._refuse_column()
            else:
                self._cells[self._column] = value
        elif tag in ("v", "t"):
            self._collecting = False
        elif tag == "row":
            cells: list[Cell] = []
            if self._cells:
                cells = [""] * max(self._cells)
                for column, value in self._cells.items():
                    cells[column - 1] = value
            self.done.append((self._row, cells))
            self._cells = {}
        elif tag == "is":
            self._inline = False
        elif tag == "rPh":
            self._phonetic -= 1
        elif tag == "sheetData":
            self.finished = True

    def _value(self) -> Cell:
        raw = "".join(self._parts or ())
        if self._length > self.cap:
            return TooLong(raw[:EXCERPT_LENGTH], self._length)
        kind = self._attributes.get("t", "n")
        if kind == "s":
            index = _integer(raw.strip())
            if index is None or not 0 <= index < len(self.strings):
                raise TableError(
                    f"{self.where}, cell {self._where_in_row()}: refers to shared string"
                    f" {excerpt(raw)!r}, which the workbook does not have: damaged"
                )
            return self.strings[index]
        if kind in ("inlineStr", "str", "e"):
            return clean_cell(raw)
        if kind == "b":
            return {"1": "TRUE", "0": "FALSE"}.get(raw.strip(), clean_cell(raw))
        if kind == "d":
            return iso_date_text(raw)
        style = _integer(self._attributes.get("s")) or 0
        return number_text(raw, date=style in self.date_styles, date1904=self.date1904)

    def _column_now(self) -> int:
        reference = self._last_reference
        if reference is None:
            return self._after
        column = _COLUMNS.get(reference.rstrip(_DIGITS))
        if column is None:
            found = cell_reference(reference)
            if found is None:
                raise TableError(f"{self.where}: a cell at {excerpt(reference)!r}: damaged")
            column = found[1]
        return column + self._after

    def _start_row(self, number: str | None) -> None:
        row = self._row + 1 if number is None else _integer(number)
        if row is None or not 1 <= row <= MAX_ROW:
            raise TableError(f"{self.where}: a row numbered {excerpt(str(number))!r}: damaged")
        if row <= self._row:
            raise TableError(f"{self.where}: row {row} comes after row {self._row}: damaged")
        self._row, self._last_reference, self._after = row, None, 0

    def _where_in_row(self) -> str:
        reference = self._attributes.get("r")
        return reference or f"{_LETTERS[min(self._column, MAX_COLUMN) - 1]}{self._row}"

    def _refuse_column(self) -> None:
        self.refused.setdefault(
            self._row,
            TableError(
                f"{self.where}, cell {self._where_in_row()}: a value beyond column"
                f" {self.limits.max_columns:,}, the last column read (the limit)"
            ),
        )


# -- the workbook ---------------------------------------------------------------------------------


class Workbook:
    """An open .xlsx: its worksheets, and the rows and merged ranges of one of them."""

    def __init__(self, path: Path, limits: ReadLimits) -> None:
        self.path = path
        self.limits = limits
        self._parts = ZipParts(path, limits.max_zip_entries)
        try:
            self._read_structure()
        except BaseException:
            self._parts.close()
            raise

    def close(self) -> None:
        self._parts.close()

    def __enter__(self) -> Workbook:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _small_part(self, name: str, handler: Handler) -> None:
        chunks = self._parts.chunks(name, self.limits.max_meta_bytes)
        for _ in stream(chunks, handler, f"{self.path}: part {name}"):
            pass

    def _relationships(self, part: str) -> dict[str, tuple[str, str]]:
        rels = _rels_of(part)
        if rels not in self._parts:
            return {}
        handler = _Relationships()
        self._small_part(rels, handler)
        return {ident: (kind, _target(part, target)) for ident, (kind, target) in
                handler.found.items()}  # fmt: skip

    def _read_structure(self) -> None:
        package = self._relationships("")  # _rels/.rels
        book = next(
            (target for kind, target in package.values() if kind.endswith(_OFFICE_DOCUMENT)),
            "xl/workbook.xml",
        )
        if book not in self._parts:
            raise TableError(f"{self.path}: not an .xlsx workbook (no {book} in it)")
        workbook = _WorkbookPart()
        self._small_part(book, workbook)
        relations = self._relationships(book)
        self.date1904 = workbook.date1904
        self.sheets = [
            SheetPart(name, relations[ident][1])
            for name, ident in workbook.sheets
            if ident in relations and relations[ident][0].endswith(_WORKSHEET)
        ]
        self._shared = next(
            (t for k, t in relations.values() if k.endswith("/sharedStrings")), None
        )
        self._styles = next((t for k, t in relations.values() if k.endswith("/styles")), None)

    def _date_styles(self) -> frozenset[int]:
        if self._styles is None or self._styles not in self._parts:
            return frozenset()
        styles = _Styles()
        self._small_part(self._styles, styles)
        return styles.date_styles()

    def _strings(self) -> list[Cell]:
        if self._shared is None or self._shared not in self._parts:
            return []
        where = f"{self.path}: part {self._shared}"
        handler = _SharedStrings(where, self.limits)
        for _ in stream(self._parts.chunks(self._shared, self.limits.max_part_bytes),
                        handler, where):  # fmt: skip
            pass
        return handler.strings

    def rows(self, sheet: SheetPart) -> Iterator[Record]:
        """The sheet's rows in order, numbered as Excel numbers them; the empty rows
        between two rows are yielded too, one at a time."""
        where = f"{self.path}, sheet {excerpt(sheet.name)!r}"
        handler = _SheetRows(where, self._strings(), self._date_styles(), self.date1904,
                             self.limits)  # fmt: skip
        last = 0
        chunks = self._parts.chunks(sheet.part, self.limits.max_part_bytes)
        for _ in stream(chunks, handler, where):
            for number, cells in handler.done:
                yield from ((gap, []) for gap in range(last + 1, number))
                if number in handler.refused:
                    raise handler.refused[number]
                yield number, cells
                last = number
            handler.done.clear()
            if handler.finished:
                return  # what follows <sheetData> is formatting: merges are read apart

    def merged(self, sheet: SheetPart) -> tuple[list[Range], list[str]]:
        """The sheet's merged ranges, and a note when there are too many to use.

        <mergeCells> follows the rows in the sheet's XML, so it is looked for first, in
        the raw bytes (fast; best effort: a range that does not parse is skipped)."""
        limit = self.limits.max_merged_ranges
        found: set[bytes] = set()
        tail = b""
        for chunk in self._parts.chunks(sheet.part, self.limits.max_part_bytes):
            block = tail + chunk
            if b"mergeCell" in block:
                found.update(match[1] for match in _MERGE.finditer(block))
                if len(found) > limit:
                    note = (f"more than {limit:,} merged ranges: merged cells are not filled"
                            " in (each row is read as it is)")  # fmt: skip
                    return [], [note]
            tail = block[-256:]  # a tag cut in two by the chunks; one seen twice is one
        ranges = [bounds for ref in found if (bounds := range_bounds(ref.decode("ascii")))]
        return sorted(ranges), []
