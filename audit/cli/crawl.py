"""beian crawl: visit every site and store one snapshot per site."""

from __future__ import annotations

import datetime as dt
from typing import Any

import click

from audit.cli.context import AppContext, pass_app
from audit.cli.output import print_json, print_table
from audit.config import LOCAL_TZ, check_proxy_url
from audit.errors import UserError
from audit.services.crawling import EXIT_CODES, CrawlState


class CrawlBusy(UserError):
    exit_code = EXIT_CODES[CrawlState.BUSY]


def _proxy_option(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return check_proxy_url(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@click.command()
@click.option("--resume", is_flag=True, help="Continue the latest interrupted run.")
@click.option("--run", "run_id", type=int, help="With --resume: the run to continue.")
@click.option(
    "--discover/--no-discover",
    default=None,
    help="Also crawl jurisdiction hosts found through links (default from [crawl] discover).",
)
@click.option("--max-pages", type=click.IntRange(1, 100), help="Pages per site, homepage included.")
@click.option(
    "--proxy",
    callback=_proxy_option,
    help="HTTP proxy URL for every request, http://HOST:PORT (default: [crawl] proxy, then"
    " $http_proxy). Through a proxy, the proxy decides which addresses are reached.",
)
@click.option("--concurrency", type=click.IntRange(1, 2000), help="Requests in flight overall.")
@click.option("--timeout", type=click.FloatRange(min=0.1, max=3600), help="Seconds per request.")
@click.option("--site", "hosts", multiple=True, help="Only this host (repeatable).")
@click.option(
    "--retest",
    is_flag=True,
    help="Only the sites with findings being fixed (notified, inspected, rectifying): the "
    "re-test that closes the loop; the run is audited as usual.",
)
@click.option(
    "--trigger", type=click.Choice(["manual", "scheduled"]), default="manual", hidden=True
)
@click.option(
    "--dated",
    "started_at",
    type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]),
    help="Date the run as if it had started then (Beijing time): to record a crawl done "
    "for an earlier day, or to build a history for the demo. Bulletins place runs by it.",
)
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: on a TTY).")
@click.option(
    "--audit/--no-audit",
    "run_audit_after",
    default=True,
    help="Audit the run when it finishes (default: yes).",
)
@click.option(
    "--concurrent",
    is_flag=True,
    help="Crawl even when another crawl of this database is running (both visit every site).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the run summary as JSON.")
@pass_app
def crawl(
    app: AppContext,
    resume: bool,
    run_id: int | None,
    discover: bool | None,
    max_pages: int | None,
    proxy: str | None,
    concurrency: int | None,
    timeout: float | None,
    hosts: tuple[str, ...],
    retest: bool,
    trigger: str,
    started_at: dt.datetime | None,
    progress: bool | None,
    run_audit_after: bool,
    concurrent: bool,
    as_json: bool,
) -> None:
    """Crawl every site of the inventory (and discovered ones) into a new run.

    Each site gets exactly one snapshot per run, whatever happens: the outcome
    (ok, dns_error, refused, timeout, http_error, too_large, redirect_loop, ...)
    is recorded. Ctrl-C stops gracefully: what was fetched is kept and the run is
    marked interrupted; `beian crawl --resume` continues it without fetching the
    finished sites again.

    With --retest only the sites whose units were told to fix something are crawled
    (an open finding notified, inspected or rectifying); the audit of that run resolves
    what they fixed, and leaves the findings of the other sites alone.
    """
    from audit.services import CrawlRequest, CrawlState, crawl_and_audit

    if run_id is not None and not resume:
        raise click.UsageError("--run needs --resume")
    if started_at is not None and resume:
        raise click.UsageError("--dated starts a new run: it cannot go with --resume")
    if retest and (hosts or resume):
        raise click.UsageError(
            "--retest chooses the sites itself: it cannot go with --site or --resume"
        )
    request = CrawlRequest(
        resume=resume,
        run_id=run_id,
        retest=retest,
        hosts=hosts,
        discover=discover,
        max_pages=max_pages,
        proxy=proxy,
        trigger=trigger,
        started_at=started_at.replace(tzinfo=LOCAL_TZ).astimezone(dt.UTC) if started_at else None,
        progress=progress,
        log_level="DEBUG" if app.verbose > 1 else "INFO" if app.verbose else "WARNING",
        audit=run_audit_after,
        concurrent=concurrent,
    )
    settings = app.override(crawl={"concurrency": concurrency, "timeout": timeout})
    app.require_database()  # a crawl of nothing would leave an empty database behind
    outcome = crawl_and_audit(settings, request)
    if outcome.state is CrawlState.BUSY:
        raise CrawlBusy(f"{outcome.message}; wait for it to end, or pass --concurrent")
    if outcome.state is CrawlState.NOTHING_TO_DO:
        if as_json:
            print_json(outcome.summary)
        click.echo(outcome.message, err=True)
        return
    if as_json:
        print_json(outcome.summary)
    else:
        print_run_summary(outcome.summary)
        if outcome.audit is not None:
            from audit.cli.audit import print_audit_summary

            print_audit_summary(outcome.audit)
    if outcome.state is CrawlState.INCOMPLETE:
        click.secho(
            f"Run {outcome.run_id} is incomplete: what the crawl saw of"
            f" {outcome.rows_not_stored} sites could not be stored, {outcome.not_crawled} sites"
            " were not answered (see the store_error and not_crawled snapshots; their findings"
            " were neither opened nor resolved)",
            fg="red",
            err=True,
        )
    elif outcome.state is CrawlState.INTERRUPTED:
        click.secho(
            f"Run {outcome.run_id} was interrupted ({outcome.close_reason});"
            " continue it with: beian crawl --resume",
            fg="yellow",
            err=True,
        )
    if outcome.exit_code:
        raise SystemExit(outcome.exit_code)


def print_run_summary(summary: dict[str, Any]) -> None:
    rows = [
        {"figure": "run", "value": summary["run_id"]},
        {"figure": "state", "value": summary["state"]},
        {"figure": "sites", "value": summary["sites"]},
        {"figure": "reachable", "value": summary["reachable"]},
        {"figure": "showing an ICP notice", "value": summary["with_icp"]},
        {"figure": "showing a police notice", "value": summary["with_police"]},
        {"figure": "unverified (footer needs a browser)", "value": summary["unverified"]},
        {"figure": "discovered hosts linked", "value": summary["discovered_links"]},
        *discovery_rows(summary["discovery"]),
        {"figure": "duration (s)", "value": summary["duration_s"]},
    ]
    rows += [{"figure": f"outcome {k}", "value": v} for k, v in summary["outcomes"].items()]
    print_table(rows, ["figure", "value"], title=f"Crawl run {summary['run_id']}")


def discovery_rows(discovery: dict[str, Any]) -> list[dict[str, Any]]:
    """What --discover followed and what the bounds left out ([crawl] links_per_page,
    discover_per_page, discover_max); nothing when neither applied."""
    rows = []
    if discovery["discover"]:
        rows += [
            {"figure": "new hosts followed", "value": discovery["followed"]},
            {"figure": "  sites it added, awaiting acceptance", "value": discovery["pending"]},
            {"figure": "new hosts left out (discovery bounds)", "value": discovery["left_out"]},
        ]
        if discovery["pages_over_limit"]:
            rows.append(
                {"figure": "  pages past discover_per_page", "value": discovery["pages_over_limit"]}
            )
        if discovery["run_limit_reached"]:
            rows.append({"figure": "  discover_max reached", "value": "yes"})
    if discovery["pages_links_cut"]:
        rows += [
            {"figure": "pages past links_per_page", "value": discovery["pages_links_cut"]},
            {"figure": "  links not read", "value": discovery["links_not_read"]},
        ]
    return rows
