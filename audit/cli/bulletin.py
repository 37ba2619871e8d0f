"""beian bulletin: the numbered monthly bulletin (通报) and its attachments."""

from __future__ import annotations

from pathlib import Path

import click

from audit.cli.context import AppContext, pass_app
from audit.cli.output import echo, emit, format_option, print_json


@click.group(invoke_without_command=True)
@click.option("--month", help="The month, YYYY-MM (default: last month, Beijing time).")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory for the files (default: <data_dir>/bulletins/<month>/).",
)
@click.option("--draft", is_flag=True, help="Render without taking a number or recording it.")
@click.option(
    "--format",
    "formats",
    default="docx,html,md,xlsx",
    show_default=True,
    help="Which files to write, comma-separated (charts are always drawn).",
)
@click.option(
    "--force", is_flag=True,
    help="Issue it although no crawl run is dated in the month (refused otherwise).",
)  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print the figures and files as JSON.")
@click.pass_context
def bulletin(
    ctx: click.Context,
    month: str | None,
    out_dir: Path | None,
    draft: bool,
    formats: str,
    force: bool,
    as_json: bool,
) -> None:
    """Compile the monthly bulletin of a month as the database stood at its end.

    \b
    Sections: 一、总体情况 二、未备案网站情况 三、整改情况 四、网络安全威胁情况
    五、预警信息 六、工作要求, each with the change from the month before.
    Writes bulletin-YYYY-MM.docx (official style), .html (self-contained, printable),
    .md, -attachment.xlsx (unfiled sites, open findings, rectified, overdue) and the
    charts (PNG). Bulletins are numbered per year (2026年第11期) and recorded with
    their figures; issuing a month again keeps its number and gives the same figures.
    A month not yet over can only be drafted (--draft). An issue sent in error is
    withdrawn with `beian bulletin void`: its number is never given again.

    \b
    Examples:
      beian bulletin                      last month's bulletin
      beian bulletin --month 2026-11 --out 通报/
      beian bulletin --month 2026-12 --draft
      beian bulletin list                 the bulletins issued
      beian bulletin void 2026年第11期 --reason "数据有误"
    """
    if ctx.invoked_subcommand is not None:
        return
    from audit.bulletin import check_request, make_bulletin, month_before
    from audit.store.models import utcnow

    app = ctx.find_object(AppContext)
    assert app is not None
    chosen = tuple(f.strip() for f in formats.split(",") if f.strip())
    month = month or month_before(utcnow())
    check_request(month, draft=draft, formats=chosen)  # the arguments before the database
    result = make_bulletin(
        app.store(), app.settings, month, out_dir=out_dir, draft=draft, formats=chosen,
        force=force,
    )  # fmt: skip
    for warning in result.warnings:
        echo(f"warning: {warning}", fg="yellow", err=True)
    files = {kind: str(path) for kind, path in result.files.items()}
    if as_json:
        report = {
            "month": month,
            "issue": result.label,
            "number": result.issue.number if result.issue else None,
            "files": files,
            "figures": result.figures.to_json(),
            "warnings": result.warnings,
        }
        print_json(report)
        return
    echo(f"{app.settings.bulletin.title_for(app.settings.profile)} {result.label}")
    echo(f"{result.sentence}。")
    for kind, path in files.items():
        echo(f"  {kind:14} {path}")


@bulletin.command("list")
@format_option
@pass_app
def list_(app: AppContext, fmt: str) -> None:
    """The bulletins issued, withdrawn ones included: number, month, when, files."""
    from audit.bulletin.numbering import list_issues

    with app.store().session() as session:
        rows = [
            {
                "issue": f"{b.year}年第{b.number}期",
                "month": b.period,
                "generated_at": b.generated_at,
                "files": len(b.files or []),
                "unfiled_sites": ((b.figures or {}).get("unfiled") or {})
                .get("sites", {})
                .get("current"),
                "state": "withdrawn" if b.voided_at else "in force",
                "withdrawn": (
                    f"{b.voided_at:%Y-%m-%d} by {b.voided_by}: {b.void_reason}"
                    if b.voided_at
                    else ""
                ),
            }
            for b in list_issues(session)
        ]
    emit(rows, ["issue", "month", "generated_at", "files", "unfiled_sites", "state", "withdrawn"],
         fmt, title=f"{len(rows)} bulletins")  # fmt: skip


@bulletin.command("void")
@click.argument("issue")
@click.option("--reason", required=True, help="Why it is withdrawn (kept in the record).")
@click.option("--year", type=int, help="The year of a bare issue number (default: the latest).")
@click.option("--by", "actor", help="Who withdraws it (default: the system user).")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--json", "as_json", is_flag=True, help="Print what was withdrawn as JSON.")
@pass_app
def void(
    app: AppContext,
    issue: str,
    reason: str,
    year: int | None,
    actor: str | None,
    yes: bool,
    as_json: bool,
) -> None:
    """Withdraw an issue (撤回): ISSUE is its label (2026年第11期), its number (11, of
    --year) or its month (2026-11).

    \b
    The record stays, with when, by whom and why; its number is never given again (the
    next issue takes the next one); its files move into withdrawn-YEAR-NN/ beside them.
    The month can then be issued anew, under a new number.
    """
    from audit.bulletin.withdraw import parse_issue, void_issue

    parse_issue(issue, year)  # the argument before the database
    if not yes:
        click.confirm(f"Withdraw {issue}? Its number will not be given again", abort=True)
    done = void_issue(app.store(), issue, reason=reason, year=year, by=actor)
    if as_json:
        print_json(
            {"issue": done.label, "month": done.month, "reason": done.reason, "by": done.by,
             "at": done.at, "files": done.files, "missing_files": done.missing}
        )  # fmt: skip
        return
    echo(f"{done.label} ({done.month}) withdrawn: {done.reason}")
    for path in done.files:
        echo(f"  {path}")
    for path in done.missing:
        echo(f"warning: {path} was no longer there", fg="yellow", err=True)
    echo(f"Its number stays taken; `beian bulletin --month {done.month}` issues the month anew.")
