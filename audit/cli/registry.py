"""beian registry: the authoritative filing records the centre holds (BA131 / BA132)."""

from __future__ import annotations

from pathlib import Path

import click

from audit.cli.context import AppContext, pass_app
from audit.cli.importing import import_options, read_limits
from audit.cli.output import emit, format_option, report_import

RECORD_COLUMNS = [
    "number", "main_number", "kind", "domains", "sponsor", "approved_on", "source_file",
    "source_line", "imported_at",
]  # fmt: skip
TABLE_COLUMNS = ["number", "kind", "domains", "sponsor", "approved_on"]


@click.group()
def registry() -> None:
    """The filing registry: import the centre's records, list them.

    Once records are imported, `beian audit` checks the numbers sites show against
    them: BA131 (a number the registry does not know) and BA132 (a number filed for
    other domains or another sponsor). Without records these rules judge nothing.
    """


@registry.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--sheet", help="The workbook's sheet to read (default: the first).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@import_options
@pass_app
def import_(
    app: AppContext,
    file: Path,
    sheet: str | None,
    as_json: bool,
    max_rows: int,
    report_file: Path | None,
) -> None:
    """Import filing records from a CSV or XLSX FILE (an export of the filing system).

    \b
    Columns (English or Chinese headers):
      number / 备案号, 网站备案号, 备案编号, 许可证号, 主体备案号 (required)
      domains / 域名, 网站域名, 网站首页网址 (several: separated by ; , 、 space or new line)
      sponsor / 主办单位, 主体名称, 单位名称
      approved / 审核通过日期, 审核时间, 备案日期 (2021-03-04, 2021/3/4, 2021年3月4日)
      type / 类型, 备案类型 (checked against the number: ICP or 公安)
    Numbers are normalised (晋ICP备 2021001234号－1 is 晋ICP备2021001234号-1). Bad rows are
    reported with their line number (the first 50 on the terminal, all with --report
    FILE); every good row is imported. Records are keyed by number: importing the same
    file again changes nothing, a newer export updates them.
    """
    from audit.intake.registry import import_registry

    report = import_registry(
        app.store(create=True), file, sheet=sheet, limits=read_limits(max_rows)
    )
    report_import(file, report, as_json, report_file=report_file)


@registry.command("list")
@click.option(
    "--number",
    help="Only this number (any written form); a main number also lists its site numbers.",
)
@click.option("--limit", type=click.IntRange(min=1), help="At most this many records.")
@format_option
@pass_app
def list_(app: AppContext, number: str | None, limit: int | None, fmt: str) -> None:
    """List the imported filing records; --json or --csv for programs and spreadsheets."""
    from audit.errors import UserError
    from audit.intake.registry import NumberError, normalise_number
    from audit.store.registry import registry_records

    wanted = None
    if number:
        try:
            wanted = normalise_number(number)[0]
        except NumberError as exc:
            raise UserError(f"{number!r}: {exc}") from None
    with app.store().session() as session:
        found = registry_records(session, number=wanted, limit=limit)
        rows = [{c: getattr(record, c) for c in RECORD_COLUMNS} for record in found]
    if fmt != "json":
        for row in rows:
            row["domains"] = " ".join(row["domains"] or ())
    emit(
        rows,
        RECORD_COLUMNS if fmt != "table" else TABLE_COLUMNS,
        fmt,
        title=f"{len(rows)} filing records",
    )
