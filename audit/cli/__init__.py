"""The `beian` command line: thin commands over functions that tests call too."""

from __future__ import annotations

import logging
import sys
from typing import Any

import click

from audit import __version__
from audit.cli.context import AppContext
from audit.errors import ArgumentError, UserError


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    envvar="BEIAN_CONFIG",
    help="Configuration file (default: ./beian.toml when present). Env: BEIAN_CONFIG.",
)
@click.option("-v", "--verbose", count=True, help="Show details and tracebacks (-vv: debug).")
@click.version_option(__version__, prog_name="beian")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, verbose: int) -> None:
    """Audit a jurisdiction's websites for their filing notices (ICP备案, 公网安备).

    \b
    Typical session:
      beian sites import 网站清单.xlsx     load the inventory
      beian crawl                          visit every site, one snapshot each
      beian findings                       what the audit found
      beian review ID --state notified …   triage: notify, inspect, false positive
      beian bulletin --month 2026-11       the monthly bulletin (通报)
      beian demo                           all of it on a generated sample jurisdiction

    Settings come from beian.toml and BEIAN_* environment variables; the database
    defaults to beian.db (SQLite) in the working directory.
    """
    from audit.display import DisplayFormatter

    handler = logging.StreamHandler()
    handler.setFormatter(DisplayFormatter("%(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(
        level=logging.DEBUG if verbose > 1 else logging.INFO if verbose else logging.WARNING,
        handlers=[handler],
    )
    ctx.obj = AppContext(config_path=config_path, verbose=verbose)


def main(argv: list[str] | None = None) -> Any:
    """Console entry point: user errors print one line and exit 1, without a traceback."""
    from audit.cli.output import to_stdout

    try:
        try:
            return cli.main(args=argv, prog_name="beian", standalone_mode=False)
        finally:
            with to_stdout():  # what is still buffered: a full disk shows here, not at exit
                sys.stdout.flush()
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except UserError as exc:
        if _verbose(argv):
            raise
        from audit.cli.output import echo

        echo(f"Error: {cli_message(exc)}", fg="red", err=True)  # may quote crawled text
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)


def cli_message(exc: UserError) -> str:
    """The message in the CLI's words: an argument named as its option (deadline as
    --deadline)."""
    if isinstance(exc, ArgumentError):
        return exc.worded("--" + exc.argument.replace("_", "-"))
    return str(exc)


def _verbose(argv: list[str] | None) -> bool:
    args = sys.argv[1:] if argv is None else argv
    return any(a == "--verbose" or (a.startswith("-v") and set(a[1:]) == {"v"}) for a in args)


def _register() -> None:
    from audit.cli import (
        audit,
        bulletin,
        crawl,
        db,
        demo,
        inspect,
        notice,
        registry,
        review,
        rules,
        runs,
        schedule,
        sites,
        snapshots,
    )

    cli.add_command(sites.sites)
    cli.add_command(crawl.crawl)
    cli.add_command(db.db)
    cli.add_command(demo.demo)
    cli.add_command(inspect.inspect)
    cli.add_command(schedule.schedule)
    cli.add_command(rules.rules)
    cli.add_command(audit.audit)
    cli.add_command(audit.findings)
    cli.add_command(review.review)
    cli.add_command(notice.notice)
    cli.add_command(notice.notices)
    cli.add_command(registry.registry)
    cli.add_command(runs.runs)
    cli.add_command(snapshots.snapshots)
    cli.add_command(bulletin.bulletin)


_register()
