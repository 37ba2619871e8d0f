"""beian audit and beian findings: rules over the latest crawl, and what they found."""

from __future__ import annotations

import json

import click

from audit.cli.context import AppContext, pass_app
from audit.cli.output import emit, format_option, print_table

FINDING_COLUMNS = [
    "id", "site", "rule", "severity", "state", "review_state", "district", "category",
    "key_unit", "first_seen", "last_seen", "evidence",
]  # fmt: skip


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
    from audit.findings import run_audit

    summary = run_audit(app.store(), app.settings.profile, run_id=run_id,
                        unreachable_runs=unreachable_runs)  # fmt: skip
    if as_json:
        click.echo(json.dumps(summary.to_json(), ensure_ascii=False, indent=2))
        return
    print_audit_summary(summary)


def print_audit_summary(summary) -> None:  # type: ignore[no-untyped-def]
    data = summary.to_json()
    rules = sorted(
        {r for kind in ("new", "still_open", "resolved", "reopened") for r in data[kind]}
    )
    rows = [
        {"rule": rule, **{kind: data[kind].get(rule, 0)
                          for kind in ("new", "still_open", "resolved", "reopened")}}
        for rule in rules
    ]  # fmt: skip
    print_table(rows, ["rule", "new", "still_open", "resolved", "reopened"],
                title=f"Audit of crawl run {summary.run_id}: {summary.sites} sites")  # fmt: skip


@click.command()
@click.option("--rule", "rules", multiple=True, help="Only this rule (repeatable): BA101 ...")
@click.option(
    "--severity",
    "severities",
    multiple=True,
    type=click.Choice(["high", "medium", "low", "info"]),
    help="Only this severity.",
)
@click.option(
    "--state", type=click.Choice(["open", "resolved", "all"]), default="open", show_default=True
)
@click.option("--district", help="Only sites of this district (所属区县).")
@click.option("--category", help="Only sites of this category (类别).")
@click.option("--key-unit/--not-key-unit", default=None, help="Only key units (重点单位), or not.")
@click.option("--site", "host", help="Only hosts containing this text.")
@format_option
@pass_app
def findings(app: AppContext, rules: tuple[str, ...], severities: tuple[str, ...], state: str,
             district: str | None, category: str | None, key_unit: bool | None,
             host: str | None, fmt: str) -> None:  # fmt: skip
    """List findings with filters; --json / --csv for programs and spreadsheets."""
    from audit.store.findings import list_findings

    with app.store().session() as session:
        found = list_findings(session, rules=rules, severities=severities, state=state,
                              district=district, category=category, key_unit=key_unit,
                              host=host)  # fmt: skip
        rows = [
            {
                "id": f.id, "site": s.host, "rule": f.rule, "fingerprint": f.fingerprint,
                "severity": f.severity, "state": f.state, "review_state": f.review_state,
                "district": s.district, "category": s.category, "key_unit": s.key_unit,
                "first_seen": f.first_seen_at, "last_seen": f.last_seen_at,
                "first_seen_run": f.first_seen_run_id, "last_seen_run": f.last_seen_run_id,
                "evidence": f.evidence if fmt == "json" else f.evidence.get("excerpt", ""),
            }
            for f, s in found
        ]  # fmt: skip
    columns = (
        FINDING_COLUMNS
        if fmt != "table"
        else ["id", "site", "rule", "severity", "state", "district", "last_seen", "evidence"]
    )
    emit(rows, columns, fmt, title=f"{len(rows)} findings")
