"""From records (rows of cells, as a file holds them) to a table of fields.

The header is looked for among the first rows; then each row becomes the fields asked
for. Rows are read one at a time and counted: past ``max_rows`` the file is refused, and
after ``max_empty_rows`` empty rows in a row reading stops (with a note), so that a sheet
with a stray cell at row 1,048,576 costs a thousand rows, not a million.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence
from itertools import chain
from typing import Any

from audit.excerpt import excerpts
from audit.intake.tabular.headers import HeaderMap, Matcher
from audit.intake.tabular.model import (
    Cell,
    CellProblem,
    ReadLimits,
    Table,
    TableError,
    TableLimitError,
    TooLong,
)

Record = tuple[int, list[Cell]]
Range = tuple[int, int, int, int]  # min_row, min_col, max_row, max_col; 1-based

# The header is looked for among the first rows that have anything in them:
# Chinese workbooks often open with a title row ("运城市网站清单") above it.
HEADER_SCAN = 10


def _counted(records: Iterable[Record], where: str, limit: int) -> Iterator[Record]:
    for count, record in enumerate(records, start=1):
        if count > limit:
            raise TableLimitError(
                "max_rows",
                f"{where}: more than {limit:,} rows, the limit of rows read"
                " ({argument} raises it)",
            )
        yield record


class _MergeFill:
    """Merged cells of the field columns: a merged 所属区县 spanning ten rows holds its
    value in its top-left cell only, and the analyst means it for every row it covers.

    A range is four numbers and is never expanded: each row asks, for each field, whether
    a range covers it. Only rows with something of their own are filled.
    """

    def __init__(self, merged: Sequence[Range], positions: dict[str, int]) -> None:
        self._starts: dict[int, list[tuple[str, int, int]]] = {}  # row -> (field, last, col)
        for name, index in positions.items():
            column = index + 1
            covering = sorted(r for r in merged if r[1] <= column <= r[3])
            end = 0
            for first, first_column, last, _ in covering:
                if first <= end:
                    continue  # overlaps the one before: Excel never writes that
                self._starts.setdefault(first, []).append((name, last, first_column - 1))
                end = last
        self._active: dict[str, tuple[int, Cell]] = {}  # field -> (last row, value)

    def see(self, line: int, cells: Sequence[Cell]) -> None:
        """Every record, in order: ranges whose top-left cell is on this row start."""
        for name, last, column in self._starts.pop(line, ()):
            self._active[name] = (last, cells[column] if column < len(cells) else "")

    def value(self, name: str, line: int) -> Cell:
        active = self._active.get(name)
        if active is None or active[0] < line:
            return ""
        return active[1]


def _header(
    stream: Iterator[Record],
    where: str,
    matcher: Matcher,
    required: Collection[str],
    limits: ReadLimits,
    hint: str,
) -> tuple[list[Record], int, HeaderMap]:
    """The rows read to find the header, the header's index among them, and its columns:
    the first row that names the most known columns (the first non-blank row if none does).
    TableError when there is none, or it lacks a required column."""
    buffered: list[Record] = []
    non_blank = run = 0
    for record in stream:
        buffered.append(record)
        if any(record[1]):
            non_blank, run = non_blank + 1, 0
            if non_blank == HEADER_SCAN:
                break
        else:
            run += 1
            if run >= limits.max_empty_rows:
                break  # the header is among the rows read, if anywhere
    candidates = [(i, cells) for i, (_, cells) in enumerate(buffered) if any(cells)]
    if not candidates:
        raise TableError(f"{where}: no header row: the file is empty")
    best = max(candidates, key=lambda c: matcher.recognised(c[1]))
    if matcher.recognised(best[1]) == 0:
        best = candidates[0]
    header_index, header_cells = best
    header = matcher.map(header_cells)
    missing = [name for name in required if name not in header.positions]
    if missing:
        found = excerpts(str(c) for c in header_cells if c) or "none"
        looked = "; ".join(
            f"no {name} column (looked for {', '.join([*matcher.columns[name], name])})"
            for name in missing
        )
        raise TableError(
            f"{where}: {looked}; headers found on line {buffered[header_index][0]}: {found}{hint}"
        )
    return buffered, header_index, header


def assemble(
    where: str,
    records: Iterable[Record],
    matcher: Matcher,
    required: Collection[str],
    limits: ReadLimits,
    *,
    hint: str = "",
    merged: Sequence[Range] = (),
    notes: Sequence[str] = (),
    **meta: Any,
) -> Table:
    """Find the header among the first rows, then turn records into rows of fields."""
    stream = _counted(records, where, limits.max_rows)
    buffered, header_index, header = _header(stream, where, matcher, required, limits, hint)

    fill = _MergeFill(merged, header.positions) if merged else None
    if fill:
        for line, cells in buffered[: header_index + 1]:
            fill.see(line, cells)
    rows: list[tuple[int, dict[str, str]]] = []
    problems: list[CellProblem] = []
    blanks: list[tuple[int, dict[str, str]]] = []  # kept back until a non-blank row follows
    positions = list(header.positions.items())
    empty = dict.fromkeys(matcher.fields, "")
    stopped: str | None = None
    for line, cells in chain(buffered[header_index + 1 :], stream):
        if fill:
            fill.see(line, cells)
        width = len(cells)
        own: dict[str, Cell] = {name: cells[i] for name, i in positions if i < width and cells[i]}
        if not own:
            blanks.append((line, dict(empty)))
            if len(blanks) >= limits.max_empty_rows:
                stopped = (
                    f"lines {blanks[0][0]}-{line} are empty ({len(blanks):,} in a row):"
                    " reading stopped there; rows below them, if any, were not read"
                )
                blanks.clear()
                break
            continue
        if fill:
            for name, _ in positions:
                if name not in own and (value := fill.value(name, line)):
                    own[name] = value
        rows.extend(blanks)
        blanks.clear()
        too_long = [(name, cell) for name, cell in own.items() if isinstance(cell, TooLong)]
        if too_long:
            problems.extend(
                CellProblem(
                    line,
                    name,
                    cell.head,
                    f"{cell.length:,} characters, more than the {limits.max_cell_chars:,}"
                    " a cell may hold (the limit)",
                    cell.length,
                )
                for name, cell in too_long
            )
            continue
        values = dict(empty)
        values.update(own)  # type: ignore[arg-type]  # no TooLong left
        rows.append((line, values))
    return Table(
        header=header.names,
        header_line=buffered[header_index][0],
        rows=rows,
        ignored=header.ignored,
        problems=problems,
        notes=[*notes, *([stopped] if stopped else [])],
        **meta,
    )
