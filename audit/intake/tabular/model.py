"""What the table reader gives and refuses: the table, its limits, its errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from audit.errors import ArgumentError, UserError
from audit.excerpt import excerpt

MiB = 1 << 20
DELIMITERS = {",": "comma", "\t": "tab", ";": "semicolon"}


class TableError(UserError):
    """A file that cannot be read as a table: the message names the file and says why."""


class TableLimitError(TableError, ArgumentError):
    """A table with more rows than the limit of rows read (which its argument raises)."""


@dataclass(frozen=True)
class ReadLimits:
    """How much of a file is read. A file beyond a limit is refused with one line naming
    the file, the limit and where it was reached; nothing of it is imported.

    The defaults are far above any inventory or registry export (a city's is a few
    thousand rows) and far below what would exhaust the machine: a 2 KB workbook can
    declare a million rows, a merge to the last cell, or a string that inflates to 1 GiB.
    """

    max_rows: int = 200_000  # rows read, title and header included (--max-rows)
    max_columns: int = 1_000  # a value further right is refused; empty cells are not
    # Excel's own limit: a longer cell does not come from Excel. Its row is rejected.
    max_cell_chars: int = 32_767
    max_empty_rows: int = 1_000  # consecutive empty rows after which reading stops
    max_text_bytes: int = 128 * MiB  # a CSV or text file
    max_line_chars: int = 131_072  # one CSV record (with its quoted line breaks)
    max_part_bytes: int = 128 * MiB  # a workbook's sheet or shared strings, decompressed
    max_meta_bytes: int = 16 * MiB  # its workbook, relationships and styles parts
    max_zip_entries: int = 10_000  # parts in the workbook's zip
    max_shared_strings: int = 2_000_000
    max_merged_ranges: int = 10_000  # more: merged cells are not filled in (a note)

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if value < 1:
                raise ValueError(f"{name} must be at least 1, not {value}")


DEFAULT_LIMITS = ReadLimits()


@dataclass(frozen=True)
class TooLong:
    """A cell longer than ``max_cell_chars``: its first characters and its true length.
    Its row is rejected (a problem naming line and field); the others are read."""

    head: str
    length: int

    def __str__(self) -> str:
        return excerpt(self.head, length=self.length)


Cell = str | TooLong


@dataclass(frozen=True)
class CellProblem:
    """A row the reader rejected, and why (a cell longer than a cell can be)."""

    line: int
    field: str
    value: str  # the cell's first characters
    reason: str
    length: int  # the cell's


@dataclass(frozen=True)
class Table:
    """A table read by :func:`audit.intake.tabular.read_table`.

    ``rows`` holds one ``(line, values)`` pair per data row, ``values`` mapping every
    field of the ``columns`` asked for to its text with surrounding spaces removed
    ("" when empty or when the file has no such column: see ``header``). Blank rows
    (nothing in any of the fields asked for) inside the table are kept, so that
    callers can report them; those at the end (which Excel leaves behind, sometimes
    pre-numbered) are not rows. Rows above the header (a title) are skipped. Rows the
    reader rejected are in ``problems``, not in ``rows``; ``notes`` says what was not
    read and why (reading stops after ``max_empty_rows`` empty rows in a row).
    """

    path: Path
    header: dict[str, str]  # field -> the header it was found under, as written
    header_line: int
    rows: list[tuple[int, dict[str, str]]]
    ignored: list[str] = field(default_factory=list)  # headers of the columns not used
    problems: list[CellProblem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    encoding: str | None = None  # text files
    delimiter: str | None = None  # text files
    sheet: str | None = None  # workbooks

    @property
    def description(self) -> str:
        """How the file was read, for a report: 'CSV, GB18030, comma-separated'."""
        if self.sheet is not None:
            return f"workbook, sheet {excerpt(self.sheet)!r}"
        delimiter = DELIMITERS.get(self.delimiter or ",", repr(self.delimiter))
        return f"text, {(self.encoding or '?').upper()}, {delimiter}-separated"
