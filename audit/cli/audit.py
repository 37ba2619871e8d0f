"""beian audit and beian findings: rules over the latest crawl, and what they found."""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any

import click

from audit.cli.context import AppContext, pass_app
from audit.cli.output import echo, emit, format_option, print_json, print_table, table_excerpt
from audit.findings.states import STATES

if TYPE_CHECKING:
    from audit.findings.audit import AuditSummary

FINDING_COLUMNS = [
    "id", "site", "name", "sponsor", "rule", "severity", "state", "review_state", "deadline",
    "overdue", "district", "category", "key_unit", "first_seen", "last_seen", "evidence",
]  # fmt: skip
# The table: what fits a 100-column terminal, the site by host and name; --wide: all of it.
TABLE_COLUMNS = ["id", "site", "rule", "review_state", "deadline", "evidence"]
WIDE_COLUMNS = ["id", "site", "name", "sponsor", "rule", "severity", "state", "review_state",
                "deadline", "district", "category", "last_seen", "evidence"]  # fmt: skip
AUDIT_KINDS = ("new", "still_open", "resolved", "reopened", "suppressed")


@click.command("audit")
@click.option("--run", "run_id", type=int, help="Audit this crawl run (default: the latest).")
@click.option(
    "--unreachable-runs",
    type=click.IntRange(1, 30),
    default=2,
    show_default=True,
    help="BA301: consecutive runs a site must fail to be reported unreachable.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@pass_app
def audit(app: AppContext, run_id: int | None, unreachable_runs: int, as_json: bool) -> None:
    """Evaluate the rules over a crawl run's snapshots and update the findings.

    New problems open findings, problems seen again stay open, open findings that the
    run no longer shows are resolved (the re-test), resolved ones that come back are
    reopened. Sites that could not be read are not judged by the filing rules. Running
    it twice on one run changes nothing. `beian crawl` runs it at its end.
    """
    from audit.findings.audit import run_audit

    summary = run_audit(app.store(), app.settings.profile, run_id=run_id,
                        unreachable_runs=unreachable_runs)  # fmt: skip
    if as_json:
        print_json(summary.to_json())
        return
    print_audit_summary(summary)


def print_audit_summary(summary: AuditSummary) -> None:
    data = summary.to_json()
    rules = sorted({r for kind in AUDIT_KINDS for r in data[kind]})
    rows = [{"rule": rule, **{kind: data[kind].get(rule, 0) for kind in AUDIT_KINDS}}
            for rule in rules]  # fmt: skip
    print_table(rows, ["rule", *AUDIT_KINDS],
                title=f"Audit of crawl run {summary.run_id}: {summary.sites} sites")  # fmt: skip


@click.group(invoke_without_command=True)
@click.option("--rule", "rules", multiple=True, help="Only this rule (repeatable): BA101 ...")
@click.option(
    "--severity",
    "severities",
    multiple=True,
    type=click.Choice(["high", "medium", "low", "info"]),
    help="Only this severity.",
)
@click.option(
    "--state", type=click.Choice(["open", "resolved", "all"]), default="open", show_default=True,
    help="Whether the re-test still sees the problem.",
)  # fmt: skip
@click.option(
    "--review", "review_states", multiple=True, type=click.Choice(STATES), metavar="STATE",
    help="Only this review state (repeatable): new, confirmed, notified, inspected, rectifying,"
    " accepted_risk, false_positive, resolved. Default: all but false_positive.",
)  # fmt: skip
@click.option("--overdue", is_flag=True, help="Only open findings whose deadline has passed.")
@click.option("--district", help="Only sites of this district (所属区县; a known one).")
@click.option("--category", help="Only sites of this category (类别; a known one).")
@click.option("--key-unit/--not-key-unit", default=None, help="Only key units (重点单位), or not.")
@click.option(
    "--site",
    "site_text",
    help="Only sites whose host, name or sponsor (主办单位) contains this text.",
)
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Only findings last seen, or resolved by a re-test, on or after this day (YYYY-MM-DD,"
    " Beijing time).",
)
@click.option(
    "--xlsx",
    "xlsx_path",
    type=click.Path(dir_okay=False),
    help="Write the list to this XLSX file instead of the table (Chinese headers as in the "
    "bulletin's attachment, frozen header, autofilter); with --json or --csv, as well.",
)
@click.option("--wide", is_flag=True,
              help="Every column in the table (sponsor, severity, state, district …); by "
              "default what fits a 100-column terminal.")  # fmt: skip
@format_option
@click.pass_context
def findings(ctx: click.Context, rules: tuple[str, ...], severities: tuple[str, ...],
             state: str, review_states: tuple[str, ...], overdue: bool, district: str | None,
             category: str | None, key_unit: bool | None, site_text: str | None,
             since: dt.datetime | None, xlsx_path: str | None, wide: bool,
             fmt: str) -> None:  # fmt: skip
    """List findings with filters; --json / --csv / --xlsx FILE for programs and spreadsheets.

    By default: the open findings, false positives left out (--review false_positive lists
    them). A district or category no site has is an error that lists the known ones.

    Deadlines that have passed on findings still open are marked overdue.
    `beian findings show ID` prints one finding with its evidence and history.

    Control characters and bidi overrides in crawled text are shown as escapes
    (\\x1b[2J, \\u202e), never sent raw to the terminal or a file; --json keeps the
    exact values (JSON-escaped) and the database the raw text.
    """
    if ctx.invoked_subcommand is not None:
        return
    from audit.findings.listing import FindingFilter, find
    from audit.findings.review import LOCAL_TZ, is_overdue, today

    app = ctx.find_object(AppContext)
    assert app is not None
    wanted = FindingFilter(
        rules=rules, severities=severities, state=state, review_states=review_states,
        overdue=overdue, district=district, category=category, key_unit=key_unit,
        site=site_text, since=since.replace(tzinfo=LOCAL_TZ) if since else None,
    )  # fmt: skip
    on = today()
    with app.store().session() as session:
        found = find(session, wanted, on=on)
        rows: list[dict[str, Any]] = [
            {
                "id": f.id, "site": s.host, "name": s.name, "sponsor": s.sponsor,
                "rule": f.rule, "fingerprint": f.fingerprint,
                "severity": f.severity, "state": f.state, "review_state": f.review_state,
                "deadline": f.deadline, "overdue": is_overdue(f, on),
                "district": s.district, "category": s.category, "key_unit": s.key_unit,
                "first_seen": f.first_seen_at, "last_seen": f.last_seen_at,
                "first_seen_run": f.first_seen_run_id, "last_seen_run": f.last_seen_run_id,
                "evidence": f.evidence if fmt == "json" else f.evidence.get("excerpt", ""),
            }
            for f, s in found
        ]  # fmt: skip
        if xlsx_path:
            from audit.documents.spreadsheet import write_workbook
            from audit.files import output_errors
            from audit.findings.export import findings_sheet

            with output_errors("the findings", xlsx_path):
                write_workbook(xlsx_path, [findings_sheet(found, on)])
    if xlsx_path:
        # the file is what was asked for: one line, unless another format was asked too
        echo(f"{xlsx_path}: {len(rows)} findings", err=fmt != "table")
        if fmt == "table":
            return
    if fmt != "table":
        emit(rows, FINDING_COLUMNS, fmt, title=f"{len(rows)} findings")
        return
    for row in rows:
        # (overdue on a line of its own: the column stays as narrow as a date)
        row["deadline"] = deadline_text(row["deadline"], row["overdue"]).replace(" (", "\n(")
        row["evidence"] = table_excerpt(row["evidence"])
        if not wide and row["name"]:
            row["site"] = f"{row['site']}\n{row['name']}"  # the site by host and name
    columns = WIDE_COLUMNS if wide else TABLE_COLUMNS
    emit(rows, columns, fmt, title=f"{len(rows)} findings", headers={"review_state": "review"})


def deadline_text(deadline: dt.date | None, overdue: bool) -> str:
    if deadline is None:
        return ""
    return f"{deadline.isoformat()} (overdue)" if overdue else deadline.isoformat()


@findings.command("show")
@click.argument("finding_id", metavar="ID", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print it as JSON.")
@pass_app
def show(app: AppContext, finding_id: int, as_json: bool) -> None:
    """One finding: its site, its evidence and its whole history (audit and review)."""
    from audit.findings.review import events_of, get_finding, is_overdue

    with app.store().session() as session:
        finding, site = get_finding(session, finding_id)
        history = events_of(session, finding_id)
        overdue = is_overdue(finding)
        data: dict[str, Any] = {
            "id": finding.id, "rule": finding.rule, "fingerprint": finding.fingerprint,
            "severity": finding.severity, "state": finding.state,
            "review_state": finding.review_state, "deadline": finding.deadline,
            "overdue": overdue, "accepted_until": finding.accepted_until,
            "suppressed_evidence": finding.suppressed_evidence,
            "first_seen": finding.first_seen_at, "first_seen_run": finding.first_seen_run_id,
            "last_seen": finding.last_seen_at, "last_seen_run": finding.last_seen_run_id,
            "resolved_at": finding.resolved_at, "resolved_run": finding.resolved_run_id,
            "site": {
                "id": site.id, "host": site.host, "name": site.name, "sponsor": site.sponsor,
                "district": site.district, "category": site.category,
                "key_unit": site.key_unit, "start_url": site.start_url,
            },
            "evidence": finding.evidence,
            "events": [
                {"at": e.at, "run": e.run_id, "kind": e.kind, "actor": e.actor,
                 "from": e.from_state, "to": e.to_state, "deadline": e.deadline,
                 "note": e.note}
                for e in history
            ],
        }  # fmt: skip
    if as_json:
        print_json(data)
        return
    evidence = data["evidence"]
    fields = [
        ("finding", f"{data['id']}  {data['rule']} {data['fingerprint']}".rstrip()),
        ("severity", data["severity"]),
        ("state", _state_text(data)),
        ("review", data["review_state"]),
        ("deadline", deadline_text(data["deadline"], overdue)),
        ("accepted until", data["accepted_until"]),
        ("first seen", f"{_when(data['first_seen'])} (run {data['first_seen_run']})"),
        ("last seen", f"{_when(data['last_seen'])} (run {data['last_seen_run']})"),
        ("site", site_text(data["site"])),
        ("sponsor", data["site"]["sponsor"]),
        ("district", data["site"]["district"]),
        ("category", data["site"]["category"]),
        ("key unit", data["site"]["key_unit"]),
        ("url", evidence.get("url")),
        ("snapshot", evidence.get("snapshot_id")),
        ("excerpt", evidence.get("excerpt")),
        ("details", json.dumps(evidence["details"], ensure_ascii=False, sort_keys=True)
                    if evidence.get("details") else None),
    ]  # fmt: skip
    print_table(
        [{"field": k, "value": v} for k, v in fields if v not in (None, "")],
        ["field", "value"],
        title=f"Finding {data['id']}",
        headers={"field": "", "value": ""},
    )
    print_table(data["events"], ["at", "run", "kind", "actor", "from", "to", "deadline", "note"],
                title="History")  # fmt: skip


def _state_text(data: dict[str, Any]) -> str:
    if data["state"] == "resolved" and data["resolved_run"]:
        return f"resolved by run {data['resolved_run']} ({_when(data['resolved_at'])})"
    return str(data["state"])


def _when(moment: dt.datetime | None) -> str:
    from audit.findings.review import LOCAL_TZ

    return moment.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M") if moment else ""


def site_text(site: dict[str, Any]) -> str:
    return f"{site['host']} {site['name']}" if site["name"] else site["host"]
