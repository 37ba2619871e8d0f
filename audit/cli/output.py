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

# The cell cleaning lives with the workbook writer (audit.spreadsheet); safe_cell and
# FORMULA_START stay importable from here.
from audit.spreadsheet import FORMULA_START as FORMULA_START
from audit.spreadsheet import Sheet, safe_cell, write_workbook


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
    write_workbook(
        path,
        [
            Sheet(
                sheet,
                [(headers or {}).get(c, c) for c in columns],
                ([row.get(c) for c in columns] for row in rows),
            )
        ],
    )


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
