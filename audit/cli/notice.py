"""beian notice: issue a 整改通知 (recorded, numbered, its findings notified); beian notices:
the notices issued (the operations: audit/services/notices.py)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import click

from audit.cli.context import AppContext, pass_app
from audit.cli.dates import DAY
from audit.cli.output import echo, emit, format_option, print_json


@click.command()
@click.argument("target", metavar="SITE-or-SPONSOR")
@click.option(
    "--deadline",
    type=DAY,
    help="The deadline for everything it lists: 2026-12-20, 2026/12/20, 2026年12月20日 or "
    "+15d (default: [notice] deadline_days from today; never a day already past).",
)
@click.option("--number", help="The document number (文号) instead of the next one of the year.")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The DOCX to write (default: <data_dir>/notices/<文号>-<sponsor>.docx); never over a "
    "file that exists.",
)
@click.option("--by", "actor", help="Who issues it (default: your user name).")
@click.option(
    "--yes", "-y", is_flag=True,
    help="Issue again without asking when these findings were notified today.",
)  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print the record as JSON.")
@pass_app
def notice(
    app: AppContext, target: str, deadline: dt.date | None, number: str | None,
    out: Path | None, actor: str | None, yes: bool, as_json: bool,
) -> None:  # fmt: skip
    """Issue the 整改通知 of a site (its host) or of all the sites of a sponsor (主办单位,
    exact name), addressed to the sponsor.

    It lists the open findings meant for the unit (not false positives, accepted risks or
    the info-level checks for the centre), each with the site, the rule and its basis,
    the evidence and the advice (整改建议), and one deadline for them all. Issuing it
    numbers it (文号, per year: [notice] number_format, or --number), writes the DOCX,
    records it (beian notices list) and moves its findings to notified with that deadline,
    all in one transaction. The issuing unit is the profile's 网络与信息安全信息通报中心.
    """
    from audit.errors import UserError
    from audit.services.notices import AlreadyIssued, issue_notice

    options: dict[str, Any] = {"deadline": deadline, "number": number, "out": out,
                               "issued_by": actor}  # fmt: skip
    store, settings = app.store(), app.settings
    try:
        issued = issue_notice(store, settings, target, again=yes, **options)
    except AlreadyIssued as exc:
        if not click.confirm(f"{exc}. Issue a second notice?", err=True):
            raise UserError("nothing was issued") from None
        issued = issue_notice(store, settings, target, again=True, **options)
    if as_json:
        print_json({"id": issued.id, "number": issued.number, "addressee": issued.addressee,
                    "deadline": issued.deadline, "file": str(issued.path),
                    "findings": issued.findings, "sites": issued.sites,
                    "notified": issued.moved})  # fmt: skip
        return
    echo(f"{issued.number} to {issued.addressee}: {issued.findings} findings of "
         f"{issued.sites} sites, deadline {issued.deadline.isoformat()}; {issued.moved} "
         f"moved to notified")  # fmt: skip
    echo(str(issued.path))


@click.group(invoke_without_command=True)
@click.option("--year", type=int, help="Only the notices of this year.")
@format_option
@click.pass_context
def notices(ctx: click.Context, year: int | None, fmt: str) -> None:
    """The 整改通知 issued, the latest first: `beian notices`, `beian notices show ID`,
    `beian notices print ID --out FILE` (the letter again, as it was issued)."""
    if ctx.invoked_subcommand is not None:
        return
    from audit.store.rectification import listed

    app = ctx.find_object(AppContext)
    assert app is not None
    with app.store().session() as session:
        rows = [
            {"id": n.id, "number": n.number, "addressee": n.addressee, "issued_on": n.issued_on,
             "issued_by": n.issued_by, "deadline": n.deadline, "sites": len(n.hosts),
             "findings": len(n.finding_ids), "file": n.file_path}
            for n in listed(session, year=year)
        ]  # fmt: skip
    columns = ["id", "number", "addressee", "issued_on", "deadline", "sites", "findings",
               "issued_by", "file"]  # fmt: skip
    if fmt == "table":  # the file is in `notices show N`, --json and --csv
        columns = columns[:-1]
    emit(rows, columns, fmt, title=f"{len(rows)} notices")


@notices.command("show")
@click.argument("notice_id", metavar="ID", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print it as JSON.")
@pass_app
def show(app: AppContext, notice_id: int, as_json: bool) -> None:
    """One notice as recorded: number, addressee, sites, findings, deadline, file."""
    from audit.errors import UserError
    from audit.store.rectification import get

    with app.store().session() as session:
        record = get(session, notice_id)
        if record is None:
            raise UserError(f"no notice {notice_id} (beian notices lists them)")
        data = {"id": record.id, "number": record.number, "addressee": record.addressee,
                "issued_on": record.issued_on, "issued_at": record.issued_at,
                "issued_by": record.issued_by, "deadline": record.deadline,
                "sites": record.hosts, "findings": record.finding_ids,
                "file": record.file_path, "sha256": record.file_sha256}  # fmt: skip
    if as_json:
        print_json(data)
        return
    for key, value in data.items():
        shown = ", ".join(map(str, value)) if isinstance(value, list) else value
        echo(f"{key:<10} {shown}")


@notices.command("print")
@click.argument("notice_id", metavar="ID", type=int)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The DOCX to write (never over a file that exists).")  # fmt: skip
@pass_app
def print_(app: AppContext, notice_id: int, out: Path) -> None:
    """Write a notice again from its record, as it was issued."""
    from audit.services.notices import reprint

    echo(str(reprint(app.store(), notice_id, out)))
