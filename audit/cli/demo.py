"""beian demo: the whole job on a generated sample jurisdiction."""

from __future__ import annotations

import sys
from functools import partial

import click

from audit.cli.context import AppContext, pass_app
from audit.cli.output import print_json


@click.command()
@click.option(
    "--sites",
    type=click.IntRange(10, 100000),
    default=300,
    show_default=True,
    help="Number of generated websites.",
)
@click.option(
    "--seed",
    type=int,
    default=0,
    show_default=True,
    help="Generator seed: the same seed gives the same sites.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.5),
    default=5.0,
    show_default=True,
    help="Crawl timeout in seconds (the testbed's slow sites exceed it).",
)
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: on a TTY).")
@click.option(
    "--fresh", is_flag=True,
    help="Start afresh: delete the SQLite database and the demo's files of an earlier run"
    " (without it, a database that holds crawls already is refused).",
)  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@pass_app
def demo(
    app: AppContext, sites: int, seed: int, timeout: float, progress: bool | None, fresh: bool,
    as_json: bool,
) -> None:  # fmt: skip
    """Generate a sample jurisdiction, serve it on loopback, import it, crawl it twice
    (dated the 15th of the month before last and of last month, with the analysts
    notifying the units of the unfiled sites in between and some units fixing their
    footers), audit each crawl and compile last month's bulletin (beian bulletin).

    The testbed's sites are fictional but realistic: government, school, hospital
    and company sites of the configured profile, with compliant, missing,
    malformed, split, full-width, image-only and JavaScript-written footers, GBK
    pages, redirects, errors, a closed port, a slow site and an oversized page.
    The results go into the configured database (default ./beian.db), the
    generated inventory and ground-truth manifest under beian-data/demo/.
    """
    from audit.cli.crawl import print_run_summary
    from audit.demo.play import EarlierRuns, run_demo

    say = (lambda *_: None) if as_json else (lambda text: click.echo(text, err=True))
    demo_run = partial(
        run_demo, app.settings, sites=sites, seed=seed, timeout=timeout, progress=progress,
        log_level="INFO" if app.verbose else "WARNING", say=say,
    )  # fmt: skip
    try:
        result = demo_run(fresh=fresh)
    except EarlierRuns as exc:
        # asked on a terminal; elsewhere (scripts, CI) the refusal stands
        if not (sys.stdin.isatty() and click.confirm(f"{exc}. Start afresh?", err=True)):
            raise
        result = demo_run(fresh=True)
    if as_json:
        print_json(
            {
                "summary": result.summary,
                "database": result.database_url,
                "data_dir": str(result.data_dir),
                "manifest": str(result.manifest),
                "inventory": str(result.inventory),
                "seconds": result.seconds,
                "bulletin": {k: str(v) for k, v in result.bulletin.items()},
            }
        )
        return
    print_run_summary(result.summary)
    if "audit" in result.summary:
        audit = result.summary["audit"]
        opened = sum(audit["new"].values()) + sum(audit["still_open"].values())
        click.echo(f"Audit: {opened} open findings (beian findings lists them)")
    if "bulletin" in result.summary:
        made = result.summary["bulletin"]
        click.echo(f"Bulletin {made['month']} ({made['issue']}): {made['sentence']}")
        for kind in ("docx", "html", "md", "xlsx"):
            if kind in result.bulletin:
                click.echo(f"  {kind:5} {result.bulletin[kind]}")
    click.echo(f"Database:  {result.database_url}")
    click.echo(f"Inventory: {result.inventory}")
    click.echo(f"Manifest:  {result.manifest} (what each generated site really shows)")
    click.echo(f"Done in {result.seconds} s. Next: beian findings, beian bulletin --help")
