"""beian db: the database schema."""

from __future__ import annotations

import click

from audit.cli.context import AppContext, pass_app


@click.group()
def db() -> None:
    """Database schema: upgrade and status (Alembic revisions)."""


@db.command()
@click.option("--revision", default="head", show_default=True, help="Target revision.")
@pass_app
def upgrade(app: AppContext, revision: str) -> None:
    """Bring the database to the latest schema (PostgreSQL needs this after an update)."""
    from audit.store.db import current_revision
    from audit.store.db import upgrade as run_upgrade

    store = app.store(migrate=False)
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


def _safe(app: AppContext) -> str:
    from sqlalchemy.engine import make_url

    return make_url(app.settings.database_url).render_as_string(hide_password=True)
