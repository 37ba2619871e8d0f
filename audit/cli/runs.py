"""beian runs: the crawl runs with their figures (beian runs, beian runs show ID)."""

from __future__ import annotations

import click

from audit.cli.context import AppContext, pass_app
from audit.cli.output import echo, emit, format_option, print_json

COLUMNS = ["run_id", "started_at", "state", "trigger", "sites", "reachable", "with_icp",
           "with_police", "unverified", "duration_s"]  # fmt: skip


@click.group(invoke_without_command=True)
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True,
              help="The latest-dated this many runs.")  # fmt: skip
@format_option
@click.pass_context
def runs(ctx: click.Context, limit: int, fmt: str) -> None:
    """The crawl runs, the latest-dated first, each with its figures (sites, reachable,
    showing a valid ICP or police number, read only in part); `beian runs show ID` for one."""
    if ctx.invoked_subcommand is not None:
        return
    from audit.services.run_summary import run_summary
    from audit.store.runs import listed_runs

    app = ctx.find_object(AppContext)
    assert app is not None
    store = app.store()
    with store.session() as session:
        ids = [run.id for run in listed_runs(session, limit)]
    rows = [run_summary(store, run_id) for run_id in ids]
    emit(rows, COLUMNS, fmt, title=f"{len(rows)} crawl runs")


@runs.command("show")
@click.argument("run_id", metavar="ID", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print it as JSON.")
@pass_app
def show(app: AppContext, run_id: int, as_json: bool) -> None:
    """One crawl run: its state, dates, options, figures and outcomes."""
    from audit.errors import UserError
    from audit.services.run_summary import run_summary
    from audit.store import CrawlRun

    store = app.store()
    with store.session() as session:
        if session.get(CrawlRun, run_id) is None:
            raise UserError(f"no crawl run {run_id} (beian runs lists them)")
    summary = run_summary(store, run_id)
    if as_json:
        print_json(summary)
        return
    for key, value in summary.items():
        shown = (
            ", ".join(f"{k} {v}" for k, v in value.items()) if isinstance(value, dict) else value
        )
        echo(f"{key:<18}{shown}")
