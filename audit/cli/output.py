r"""Tables for people, JSON and CSV for programs.

Crawled text is hostile (:mod:`audit.display`). On the terminal, in CSV and in the XLSX
listing, control characters (ESC, BEL, BS, CR, DEL, C1) and bidi overrides are shown as
escapes (``\x1b``, ``\u202e``), never interpreted; rich's console markup in crawled text
(``[bold]``) is printed as it is; CSV and XLSX cells that a spreadsheet would run as a
formula are neutralised. JSON is for programs and keeps the exact values: the characters
JSON leaves raw (DEL, C1, bidi controls) are written as ``\u`` escapes, which a parser
reads back as the same characters."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

import click

from audit.config import LOCAL_TZ
from audit.display import display_text

# The cell cleaning lives with the workbook writer (audit.documents.spreadsheet); safe_cell and
# FORMULA_START stay importable from here.
from audit.documents.spreadsheet import FORMULA_START as FORMULA_START
from audit.documents.spreadsheet import safe_cell
from audit.errors import OutputError
from audit.files import describe


def jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [jsonable(v) for v in value]
    return value


@contextmanager
def to_stdout() -> Iterator[None]:
    """Writing to standard output (flushed at the end): a full disk, a file too large or
    a reader gone is one line (OutputError), not a traceback."""
    try:
        yield
        sys.stdout.flush()
    except OSError as exc:
        _silence_stdout()
        raise OutputError(f"cannot write to standard output: {describe(exc)}") from exc


def _silence_stdout() -> None:
    """Point standard output at /dev/null, so that the interpreter's last flush at exit
    does not fail again ("Exception ignored ...")."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, io.UnsupportedOperation):  # not a real file (a test runner)
        pass


def print_json(data: Any) -> None:
    """Print data as JSON for programs: exact values, nothing a terminal would interpret."""
    text = json.dumps(jsonable(data), ensure_ascii=False, indent=2)
    with to_stdout():
        click.echo(display_text(text, how="json"))


def echo(message: str, *, err: bool = False, fg: str | None = None) -> None:
    """Print one line that may hold crawled text: its control characters (a newline too)
    and bidi overrides shown as escapes."""
    text = display_text(message, keep="")
    with nullcontext() if err else to_stdout():
        if fg:
            click.secho(text, err=err, fg=fg)
        else:  # secho would add a reset code even without a colour
            click.echo(text, err=err)


def emit(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
    fmt: str,
    *,
    title: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> None:
    """Print rows as a table (``table``), JSON (``json``) or CSV (``csv``). JSON keeps the
    exact values; the table and CSV show hosts as people read them (``shown_host``)."""
    if fmt == "json":
        print_json([dict(r) for r in rows])
        return
    rows = [_shown_hosts(row) for row in rows]
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([safe_cell(display_text(_plain(row.get(c)))) for c in columns])
        encoding = _csv_encoding()
        with to_stdout():
            sys.stdout.flush()
            sys.stdout.buffer.write(buffer.getvalue().encode(encoding, errors="replace"))
            sys.stdout.buffer.flush()
    else:
        print_table(rows, columns, title=title, headers=headers)


# Columns that hold a host.
_HOST_COLUMNS = ("host", "site")


def _shown_hosts(row: Mapping[str, Any]) -> Mapping[str, Any]:
    from audit.page.domains import shown_host

    if not any(isinstance(row.get(c), str) and "xn--" in row[c] for c in _HOST_COLUMNS):
        return row
    return {**row, **{c: shown_host(row[c]) for c in _HOST_COLUMNS if isinstance(row.get(c), str)}}


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

    # Text() is printed literally (a str would be read as console markup), and
    # display_text() shows the control characters that Text() would pass to the terminal.
    table = Table(title=Text(display_text(title)) if title else None, show_lines=False,
                  header_style="bold")  # fmt: skip
    for column in columns:
        # (a host column is never narrower than its lines: it breaks after dots only)
        table.add_column((headers or {}).get(column, column), overflow="fold",
                         min_width=HOST_LINE if column in _HOST_COLUMNS else None,
                         max_width=_MAX_WIDTHS.get(column))  # fmt: skip
    for row in rows:
        table.add_row(*(Text(_cell(c, row.get(c))) for c in columns))
    # Off a terminal (a pipe, a log file) rich would wrap at 80 columns: give room, unless
    # BEIAN_TABLE_WIDTH says how wide the reader is (a terminal says so itself).
    width = os.environ.get("BEIAN_TABLE_WIDTH", "")
    console = (
        Console() if sys.stdout.isatty() else Console(width=int(width) if width.isdigit() else 200)
    )
    with to_stdout():
        console.print(table)


HOST_LINE = 24  # a host longer than this is broken after its dots, never inside a label
# Free text folds at this width: a run of Chinese has no space to wrap at, and would
# otherwise widen its column past the terminal's edge.
_MAX_WIDTHS = {"evidence": 30, "site": HOST_LINE}


def _cell(column: str, value: Any) -> str:
    text = display_text(_plain(value), keep="\n")
    if column not in _HOST_COLUMNS:
        return text
    host, _, below = text.partition("\n")  # a site cell may hold its name under the host
    return wrap_host(host) + (f"\n{below}" if below else "")


TABLE_EXCERPT = 40  # characters of a finding's evidence in a table


def table_excerpt(value: Any) -> str:
    """A finding's evidence as a table sums it up: one line, cut (``findings show ID``,
    --csv and --json have it whole)."""
    from audit.excerpt import excerpt

    return excerpt(" ".join(str(value or "").split()), TABLE_EXCERPT)


def wrap_host(host: str, width: int = HOST_LINE) -> str:
    """``host`` in lines of at most ``width`` characters, broken after its dots (a label
    longer than a line keeps a line of its own)."""
    if len(host) <= width or "." not in host:
        return host
    lines: list[str] = []
    line = ""
    for label in host.split("."):
        piece = label if not line else f".{label}"
        if line and len(line) + len(piece) > width:
            lines.append(line + ".")
            line = label
        else:
            line += piece
    return "\n".join([*lines, line])


def _plain(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.datetime):
        return value.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")
    return str(value)


# What --encoding names, as Python calls it: Excel opens UTF-8 CSV right only with a BOM,
# and a Chinese Windows' Excel reads GBK (GB18030, its superset, loses no character).
CSV_ENCODINGS = {"utf-8-bom": "utf-8-sig", "utf-8": "utf-8", "gbk": "gb18030"}


def _csv_encoding() -> str:
    context = click.get_current_context(silent=True)
    chosen = context.find_root().meta.get("csv_encoding") if context else None
    return CSV_ENCODINGS[chosen or "utf-8-bom"]


def _remember_encoding(ctx: click.Context, _param: Any, value: str | None) -> None:
    if value:
        ctx.find_root().meta["csv_encoding"] = value


def format_option(func: Any) -> Any:
    """--json / --csv flags shared by listing commands (and --encoding for the CSV)."""
    func = click.option(
        "--encoding", type=click.Choice(list(CSV_ENCODINGS)), expose_value=False,
        callback=_remember_encoding, is_eager=True,
        help="Of --csv: utf-8-bom (default: Excel opens it right), utf-8, or gbk.",
    )(func)  # fmt: skip
    func = click.option(
        "--csv",
        "fmt",
        flag_value="csv",
        help="Output CSV for spreadsheets (UTF-8 with a BOM; control characters shown as"
        " \\x1b, formulas neutralised).",
    )(func)
    func = click.option(
        "--json", "fmt", flag_value="json", help="Output JSON: the exact values, for programs."
    )(func)
    return click.option("--table", "fmt", flag_value="table", default=True, hidden=True)(func)


# Per-row messages printed on the terminal; the rest are counted (--report writes them all).
SHOWN_PROBLEMS = 50


def report_import(
    file: Any,
    report: Any,
    as_json: bool,
    *,
    report_file: Path | None = None,
    shown: int = SHOWN_PROBLEMS,
) -> None:
    """What an import did (inventory, registry): counts, and each rejected row by line
    (the first ``shown`` of them on the terminal, all of them in ``report_file``), and
    what was not read (notes). Exit status 2 when rows were rejected (the good ones are
    imported all the same). A rejected value is quoted by an excerpt, never whole."""
    messages = [f"{file}: {problem}" for problem in report.problems]
    notes = [f"{file}: {note}" for note in report.notes]
    # rows kept with a doubtful value, and the columns not read (once, not per row)
    warnings = [f"{file}: {w}" for w in getattr(report, "warnings", [])]
    ignored = getattr(report, "ignored_columns", [])
    if ignored:
        notes.append(f"{file}: columns not read (not known): {', '.join(ignored)}")
    moved = getattr(report, "moved", ())
    changes = [
        f"{file}: {host}: start URL changed: {before} → {now}" for host, before, now in moved
    ]
    rejected = len({problem.line for problem in report.problems})
    summary = (
        f"{file}: {report.inserted:,} added, {report.updated:,} updated, "
        f"{report.unchanged:,} unchanged, {rejected:,} rows rejected"
    )
    if as_json:
        print_json(
            {
                "file": str(file),
                "read_as": report.description,
                "columns": report.columns,
                "inserted": report.inserted,
                "updated": report.updated,
                "unchanged": report.unchanged,
                "rejected_rows": rejected,
                "problems": [
                    _problem_json(problem, message)
                    for problem, message in zip(report.problems, messages, strict=True)
                ],
                "notes": report.notes,
                "warnings": [
                    _problem_json(problem, message)
                    for problem, message in zip(
                        getattr(report, "warnings", []), warnings, strict=True
                    )
                ],
                "ignored_columns": ignored,
                "start_url_changes": [
                    {"host": host, "before": before, "now": now} for host, before, now in moved
                ],
            }
        )
    else:
        for message in messages[:shown]:  # a rejected value is shown as the file holds it
            echo(message, fg="yellow", err=True)
        if len(messages) > shown:
            where = f"all in {report_file}" if report_file else "--report FILE lists them all"
            more = len(messages) - shown
            echo(f"{file}: … and {more:,} more problems ({where})", fg="yellow", err=True)
        for warning in warnings[:shown]:
            echo(f"{warning}", fg="yellow", err=True)
        if len(warnings) > shown:
            where = f"all in {report_file}" if report_file else "--report FILE lists them all"
            echo(f"{file}: … and {len(warnings) - shown:,} more warnings ({where})",
                 fg="yellow", err=True)  # fmt: skip
        for change in changes[:shown]:
            echo(change, err=True)
        if len(changes) > shown:
            echo(f"{file}: … and {len(changes) - shown:,} more start URL changes", err=True)
        for note in notes:
            echo(note, fg="yellow", err=True)
        echo(summary)
    if report_file is not None:  # last: the import is done and said so even if this fails
        write_report(report_file, [*messages, *warnings, *changes, *notes, summary])
    if messages:
        raise SystemExit(2)


def _problem_json(problem: Any, message: str) -> dict[str, Any]:
    return {"line": problem.line, "field": problem.field, "value": problem.excerpt,
            "reason": problem.reason, "message": message}  # fmt: skip


def write_report(path: Path, lines: Sequence[str]) -> None:
    """The full report of an import: one line per problem, then the notes and the counts,
    control characters shown as escapes (as on the terminal)."""
    from audit.files import output_errors, write_atomic

    text = "".join(display_text(line, keep="") + "\n" for line in lines)
    with output_errors("the report", path):
        write_atomic(path, text.encode("utf-8"))
