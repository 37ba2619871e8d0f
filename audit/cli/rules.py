"""beian rules: the rule catalogue, and one rule explained."""

from __future__ import annotations

import click

from audit.cli.output import emit, format_option, print_json


@click.command()
@click.argument("code", required=False)
@format_option
def rules(code: str | None, fmt: str) -> None:
    """List the audit rules, or explain one: `beian rules BA101`.

    Each rule has a stable code (BA1xx filing numbers, BA2xx government-site marks,
    BA3xx availability; BA4xx is kept for security signals), a severity, its legal or
    normative basis, and the remediation advice (整改建议) that notices quote.
    """
    from audit.errors import UserError
    from audit.rules import UnknownRule, get_rule
    from audit.rules.explain import catalogue_rows, explain

    if code:
        try:
            rule = get_rule(code)
        except UnknownRule as exc:
            raise UserError(str(exc.args[0] if exc.args else exc)) from None
        if fmt == "json":
            row = next(r for r in catalogue_rows() if r["code"] == rule.code)
            row = {**row, "message_en": rule.message_en, "advice_en": rule.advice_en}
            print_json(row)
        else:
            click.echo(explain(rule), nl=False)
        return
    rows = catalogue_rows()
    columns = ["code", "name", "severity", "applies_to", "basis", "advice_zh"]
    emit(rows, columns if fmt != "table" else columns[:5], fmt, title="Audit rules")
