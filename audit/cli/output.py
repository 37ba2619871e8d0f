"""Tables for people, JSON and CSV for programs. Crawled text is hostile: CSV cells that a
spreadsheet would run as a formula are neutralised, terminal output is escaped."""

from __future__ import annotations

import csv
import datetime as dt
import json
import sys
from collections.abc import Mapping, Sequence
from typing import Any

import click

from audit.config import LOCAL_TZ

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """A spreadsheet cell that cannot be a formula (OWASP CSV injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [jsonable(v) for v in value]
    return value


def emit(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
    fmt: str,
    *,
    title: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> None:
    """Print rows as a table (``table``), JSON (``json``) or CSV (``csv``)."""
    if fmt == "json":
        click.echo(json.dumps([jsonable(dict(r)) for r in rows], ensure_ascii=False, indent=2))
    elif fmt == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([safe_cell(_plain(row.get(c))) for c in columns])
    else:
        print_table(rows, columns, title=title, headers=headers)


def print_table(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
    *,
    title: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(title=title, show_lines=False, header_style="bold")
    for column in columns:
        table.add_column((headers or {}).get(column, column), overflow="fold")
    for row in rows:
        # Text() renders crawled strings literally: no console markup injection.
        table.add_row(*(Text(_plain(row.get(c))) for c in columns))
    # Off a terminal (a pipe, a log file) rich would wrap at 80 columns: give room.
    console = Console() if sys.stdout.isatty() else Console(width=200)
    console.print(table)


def _plain(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.datetime):
        return value.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")
    return str(value)


def format_option(func: Any) -> Any:
    """--json / --csv flags shared by listing commands."""
    func = click.option("--csv", "fmt", flag_value="csv", help="Output CSV.")(func)
    func = click.option("--json", "fmt", flag_value="json", help="Output JSON.")(func)
    return click.option("--table", "fmt", flag_value="table", default=True, hidden=True)(func)


def write_xlsx(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
    path: str,
    *,
    sheet: str = "Sheet1",
    headers: Mapping[str, str] | None = None,
) -> None:
    """An XLSX workbook of the rows: bold frozen header, autofilter, formulas neutralised."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    worksheet = workbook.active
    worksheet.title = sheet[:31]
    worksheet.append([(headers or {}).get(c, c) for c in columns])
    for cell in worksheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        worksheet.append([_xlsx_value(row.get(c)) for c in columns])
    worksheet.freeze_panes = "A2"
    worksheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{len(rows) + 1}"
    for index, column in enumerate(columns, start=1):
        width = max([len(str(column)), *(len(_plain(r.get(column))) for r in rows[:200])])
        worksheet.column_dimensions[get_column_letter(index)].width = min(60, width + 2)
    workbook.save(path)


_XML_ILLEGAL = dict.fromkeys([*range(0, 9), 11, 12, *range(14, 32)])


def _xlsx_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        # Excel has no time zones: show the centre's local time.
        return value.astimezone(LOCAL_TZ).replace(tzinfo=None)
    if isinstance(value, Mapping | list | tuple):
        value = json.dumps(jsonable(value), ensure_ascii=False)
    if isinstance(value, str):
        # Crawled text: no control characters (they corrupt the file), no formulas.
        return safe_cell(value.translate(_XML_ILLEGAL))
    return value


def report_import(file: Any, report: Any, as_json: bool) -> None:
    """What an import did (inventory, registry): counts, and each rejected row by line.
    Exit status 2 when rows were rejected (the good ones are imported all the same)."""
    problems = [
        {"line": p.line, "field": p.field, "value": p.value, "reason": p.reason,
         "message": f"{file}: {p}"}
        for p in report.problems
    ]  # fmt: skip
    if as_json:
        summary = {
            "file": str(file),
            "read_as": report.description,
            "columns": report.columns,
            "inserted": report.inserted,
            "updated": report.updated,
            "unchanged": report.unchanged,
            "problems": problems,
        }
        click.echo(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        for problem in problems:
            click.secho(problem["message"], fg="yellow", err=True)
        click.echo(
            f"{file}: {report.inserted} added, {report.updated} updated, "
            f"{report.unchanged} unchanged, {len(problems)} rows rejected"
        )
    if problems:
        raise SystemExit(2)
