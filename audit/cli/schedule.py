"""beian schedule: background runs (the same as `python scheduler.py`)."""

from __future__ import annotations

import click

from audit.cli.context import AppContext, pass_app
from audit.cli.output import emit, format_option


@click.group()
def schedule() -> None:
    """Background runs on a schedule ([schedule] in beian.toml, Asia/Shanghai by default)."""


@schedule.command()
@pass_app
def start(app: AppContext) -> None:
    """Run the scheduler until Ctrl-C or SIGTERM (jobs are kept in the database)."""
    import logging

    from audit.schedule import run_forever

    logging.getLogger().setLevel(logging.INFO)
    app.store()  # the database must be reachable and up to date before jobs run
    run_forever(app.settings)


@schedule.command()
@format_option
@pass_app
def jobs(app: AppContext, fmt: str) -> None:
    """List the stored jobs with their triggers and next run times."""
    from audit.schedule import list_jobs

    app.store()
    emit(list_jobs(app.settings), ["id", "name", "trigger", "next_run"], fmt, title="Jobs")
