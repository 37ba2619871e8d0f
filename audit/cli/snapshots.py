"""beian snapshots show ID: one snapshot, and its stored page exported as inert evidence."""

from __future__ import annotations

from pathlib import Path

import click

from audit.cli.context import AppContext, pass_app
from audit.cli.output import echo, print_json


@click.group()
def snapshots() -> None:
    """What a crawl saw of a site at one moment (`beian sites show HOST` lists a site's
    snapshots with their IDs)."""


@snapshots.command("show")
@click.argument("snapshot_id", metavar="ID", type=int)
@click.option(
    "--html", "html_out", type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the stored page to this file as evidence: the page as served, made "
    "inert (no script, no request, no form; a banner says what it is).",
)  # fmt: skip
@click.option("--force", is_flag=True, help="Replace the --html file if it exists.")
@click.option("--json", "as_json", is_flag=True, help="Print it as JSON.")
@pass_app
def show(
    app: AppContext, snapshot_id: int, html_out: Path | None, force: bool, as_json: bool
) -> None:
    """One snapshot: site, run, when, outcome, redirects, title, how well the page was read,
    the notices found, the footer text.

    \b
    Examples:
      beian snapshots show 1234
      beian snapshots show 1234 --html 证据-www.example.gov.cn.html
    """
    from audit.services.snapshot_view import export_page, snapshot_view

    store = app.store()
    with store.session() as session:
        view = snapshot_view(session, snapshot_id)
    written = export_page(store, snapshot_id, html_out, overwrite=force) if html_out else None
    if as_json:
        print_json({**view, "html_file": str(written) if written else None})
        return
    for key, value in view.items():
        if key == "notices":
            value = (
                "; ".join(
                    f"{n['kind']} {n['number']}{'' if n['valid'] else ' (invalid)'}"
                    f"{' linked' if n['linked'] else ''}"
                    for n in value
                )
                or "none"
            )
        elif isinstance(value, list):
            value = ", ".join(map(str, value)) or "-"
        echo(f"{key:<16}{'' if value is None else value}")
    if written:
        echo(f"evidence page written: {written}")
