"""beian schedule: background runs (the same as `python scheduler.py`)."""

from __future__ import annotations

import click

from audit.cli.context import AppContext, pass_app
from audit.cli.output import echo, emit, format_option


@click.group()
def schedule() -> None:
    """Background runs on a schedule ([schedule] in beian.toml, Asia/Shanghai by default):
    the nightly crawl, re-tests of the sites being fixed, the monthly bulletin, housekeeping.
    """


@schedule.command()
@click.option(
    "--log-file",
    type=click.Path(dir_okay=False),
    help="Also log to this file, rotated at 10 MB (default: [schedule] log_file).",
)
@pass_app
def start(app: AppContext, log_file: str | None) -> None:
    """Run the scheduler until Ctrl-C or SIGTERM.

    Jobs are kept in the database and the configuration is applied on start (jobs added,
    changed, removed; a run that fell due while it was down runs once). Only one
    scheduler runs per database: a second one names the first and exits with status 1.
    Stopping it stops the running crawl gracefully (the next crawl resumes its run).
    """
    import logging

    from audit.ops.schedule import log_to_file, run_forever

    logging.getLogger().setLevel(logging.INFO)
    logging.getLogger("alembic").setLevel(logging.WARNING)  # migrations say nothing useful here
    # the database must be reachable and up to date before jobs run; the scheduler keeps its
    # jobs and their history there, so it may be the first to create it
    app.store(create=True)
    path = log_file or app.settings.schedule.log_file
    if path:
        log_to_file(path)
    run_forever(app.settings)


@schedule.command()
@format_option
@pass_app
def jobs(app: AppContext, fmt: str) -> None:
    """The jobs with their triggers and next run times (Beijing time in the table).

    Before the scheduler's first start, the configured jobs are shown (stored: false).
    """
    from audit.ops.schedule import list_jobs

    app.store()
    emit(list_jobs(app.settings), ["id", "name", "trigger", "next_run", "stored"], fmt,
         title="Jobs")  # fmt: skip


@schedule.command("run-now")
@click.argument("job", type=click.Choice(["crawl", "retest", "bulletin", "housekeeping"]))
@pass_app
def run_now_(app: AppContext, job: str) -> None:
    """Run JOB now, in this process, recorded in the history (not while it runs elsewhere)."""
    from audit.ops.schedule import run_now

    app.store()
    outcome, detail = run_now(app.settings, job)
    echo(f"{job}: {outcome}" + (f" ({detail})" if detail else ""))
    if outcome == "interrupted":
        raise SystemExit(3)


@schedule.command()
@click.option("--job", help="Only this job.")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@format_option
@pass_app
def history(app: AppContext, job: str | None, limit: int, fmt: str) -> None:
    """The latest job runs: when due, started, ended, outcome and error, newest first."""
    from audit.ops.schedule import history as job_history

    columns = ["id", "job", "trigger", "scheduled_at", "started_at", "finished_at", "outcome",
               "error"]  # fmt: skip
    emit(job_history(app.store(), job, limit), columns, fmt, title="Job runs")
