"""beian db: the database schema, and housekeeping."""

from __future__ import annotations

import click

from audit.cli.context import AppContext, pass_app
from audit.cli.output import print_json


@click.group()
def db() -> None:
    """Database: schema upgrade and status (Alembic revisions), housekeeping."""


@db.command()
@click.option("--revision", default="head", show_default=True, help="Target revision.")
@pass_app
def upgrade(app: AppContext, revision: str) -> None:
    """Bring the database to the latest schema (PostgreSQL needs this after an update)."""
    from audit.store.db import current_revision
    from audit.store.db import upgrade as run_upgrade

    store = app.store(migrate=False, create=True)
    before = current_revision(store.engine)
    run_upgrade(store.engine, revision)
    after = current_revision(store.engine)
    click.echo(f"{_safe(app)}: schema {before or 'empty'} -> {after}")


@db.command()
@pass_app
def status(app: AppContext) -> None:
    """Show the database URL and its schema revision."""
    from audit.store.db import current_revision, head_revision

    store = app.store(migrate=False)
    current, head = current_revision(store.engine), head_revision(store.engine)
    state = "up to date" if current == head else f"needs upgrade to {head}"
    click.echo(f"{_safe(app)}: schema {current or 'empty'} ({state})")


@db.command()
@click.option("--dry-run", is_flag=True, help="Count what would change; change nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
@pass_app
def housekeeping(app: AppContext, dry_run: bool, as_json: bool) -> None:
    """Thin out old data as [retention] says (the scheduler does it weekly).

    Drops the page HTML of snapshots older than evidence_days (the snapshots findings
    point at keep theirs), deletes the links of runs older than links_days, and marks
    interrupted the runs left running by a process that is gone. Crawl runs, snapshots,
    notices, findings and their history are never deleted: bulletins replay them.
    """
    from audit.ops.housekeeping import housekeep

    report = housekeep(app.store(), app.settings, dry_run=dry_run)
    if as_json:
        print_json(report.to_json())
        return
    for line in report.lines():
        click.echo(line)


def _safe(app: AppContext) -> str:
    from sqlalchemy.engine import make_url

    return make_url(app.settings.database_url).render_as_string(hide_password=True)
