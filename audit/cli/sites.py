"""beian sites: the inventory of the jurisdiction's websites."""

from __future__ import annotations

from pathlib import Path

import click

from audit.cli.context import AppContext, pass_app
from audit.cli.importing import import_options, read_limits
from audit.cli.output import echo, emit, format_option, print_json, report_import

SITE_COLUMNS = [
    "host",
    "name",
    "sponsor",
    "district",
    "category",
    "key_unit",
    "source",
    "start_url",
    "first_seen",
    "last_seen",
    "discovered_from",
    "discovery_run_id",
    "accepted_at",
    "accepted_by",
]
TABLE_COLUMNS = ["host", "name", "sponsor", "district", "category", "key_unit", "source"]
PENDING_COLUMNS = ["host", "start_url", "discovered_from", "discovery_run_id", "first_seen"]


@click.group()
def sites() -> None:
    """The inventory: import it, add a site, accept discovered ones, list what is known."""


@sites.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--sheet", help="The workbook's sheet to read (default: the first).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@import_options
@pass_app
def import_(
    app: AppContext, file: Path, sheet: str | None, as_json: bool, max_rows: int,
    report_file: Path | None,
) -> None:  # fmt: skip
    """Import an inventory from a CSV or XLSX FILE.

    \b
    Columns (English or Chinese headers):
      url / 网址 (required), name / 网站名称, sponsor / 主办单位,
      district / 所属区县, category / 类别, key_unit / 重点单位 (是/否)
    CSV may be UTF-8 (with or without BOM) or GBK/GB18030, as Excel writes it.
    Bad rows are reported with their line number (the first 50 on the terminal,
    all with --report FILE); every good row is imported. A doubtful optional value
    (重点单位 neither yes nor no, a district not of the profile) keeps its row and
    warns. Importing the same file again changes nothing (sites are keyed by host). A
    file beyond a limit (rows, columns, a part's size; see the README) is refused in one
    line. --sheet names a workbook's sheet.
    """
    from audit.intake.inventory import import_inventory

    report = import_inventory(
        app.store(create=True), file, sheet=sheet, limits=read_limits(max_rows),
        districts=app.settings.profile.district_names,
    )  # fmt: skip
    report_import(file, report, as_json, report_file=report_file)


@sites.command("add")
@click.argument("url")
@click.option("--name", help="网站名称")
@click.option("--sponsor", help="主办单位")
@click.option("--district", help="所属区县")
@click.option("--category", help="类别")
@click.option("--key-unit/--no-key-unit", default=False, help="重点单位")
@pass_app
def add(
    app: AppContext,
    url: str,
    name: str | None,
    sponsor: str | None,
    district: str | None,
    category: str | None,
    key_unit: bool,
) -> None:
    """Add (or update) one site by its URL; a URL without scheme means http://."""
    from audit.errors import UserError
    from audit.page.domains import BadURL, normalise_url
    from audit.store.sites import add_site

    try:
        start_url, host = normalise_url(url)
    except BadURL as exc:
        raise UserError(f"{url!r}: {exc}") from None
    with app.store(create=True).session() as session:
        add_site(
            session,
            start_url,
            host,
            name=name,
            sponsor=sponsor,
            district=district,
            category=category,
            key_unit=key_unit,
        )
    echo(f"{host}: saved ({start_url})")


@sites.command("remove")
@click.argument("hosts", nargs=-1, required=True)
@pass_app
def remove(app: AppContext, hosts: tuple[str, ...]) -> None:
    """Take sites out of the inventory (closed, merged, out of the jurisdiction).

    They are no longer crawled and their open findings are resolved; their history stays
    (bulletins count them up to the month they were removed). Importing or adding a site
    again brings it back. Exit status 2 when a host is unknown.
    """
    from audit.store.sites import retire_sites

    with app.store().session() as session:
        retired, unknown = retire_sites(session, hosts)
    for host in retired:
        echo(f"{host}: removed from the inventory")
    for host in unknown:
        echo(f"{host}: no such site in the inventory", fg="yellow", err=True)
    if unknown:
        raise SystemExit(2)


def normalise_number(text: str) -> str:
    """晋ICP备 2021001234 号, ＩＣＰ…: the normalised number, read by the notice extractor."""
    from audit.errors import UserError
    from audit.notices import extract_notices

    notices = extract_notices(f"<html><body><footer>{text}</footer></body></html>", "http://x/")
    found = [i.number for kind in ("icp", "icp_licence", "police", "site_code")
             for i in getattr(notices, kind)]  # fmt: skip
    if len(found) != 1:
        raise UserError(f"{text!r} is not one filing number")
    return found[0]


@sites.command("list")
@click.option("--district", help="Only this district (所属区县).")
@click.option("--category", help="Only this category (类别).")
@click.option("--source", type=click.Choice(["inventory", "discovered"]), help="Only this source.")
@click.option("--host", "host_contains", help="Only hosts containing this text.")
@click.option(
    "--number",
    help="Only sites whose latest snapshot shows this filing number (any form: it is normalised).",
)
@click.option("--limit", type=click.IntRange(min=1), help="At most this many sites.")
@click.option("--retired", is_flag=True, help="Include the sites taken out (beian sites remove).")
@click.option(
    "--pending", is_flag=True, help="Only the discovered sites awaiting acceptance (sites accept)."
)
@format_option
@pass_app
def list_(
    app: AppContext,
    district: str | None,
    category: str | None,
    source: str | None,
    host_contains: str | None,
    number: str | None,
    limit: int | None,
    retired: bool,
    pending: bool,
    fmt: str,
) -> None:
    """List the sites, with filters; --json or --csv for programs and spreadsheets."""
    from audit.store.sites import list_sites

    with app.store().session() as session:
        found = list_sites(
            session,
            district=district,
            category=category,
            source=source,
            host_contains=host_contains,
            number=normalise_number(number) if number else None,
            limit=limit,
            retired=retired,
            pending=pending,
        )
        rows = [{c: getattr(site, c) for c in SITE_COLUMNS} for site in found]
    columns = SITE_COLUMNS if fmt != "table" else PENDING_COLUMNS if pending else TABLE_COLUMNS
    title = f"{len(rows)} sites awaiting acceptance" if pending else f"{len(rows)} sites"
    emit(rows, columns, fmt, title=title)


@sites.command("show")
@click.argument("target", metavar="HOST|NAME|SPONSOR")
@click.option("--json", "as_json", is_flag=True, help="Print it all as JSON.")
@click.option(
    "--snapshots", "shown", type=click.IntRange(min=1), default=10, show_default=True,
    help="Snapshots shown in the table, the latest first (--json has them all).",
)  # fmt: skip
@pass_app
def show(app: AppContext, target: str, as_json: bool, shown: int) -> None:
    """One site: its inventory fields, its snapshots over time (run, date, outcome, status,
    final URL, title, how well the page was read, the numbers it showed), its findings open
    and past with their review state and deadline, the 整改通知 that covered it, and the
    jurisdiction's sites it links to and that link to it. TARGET is a host (or URL), or a
    part of the site's name or sponsor that only it has."""
    from audit.cli.output import print_table
    from audit.services.site_view import site_view

    with app.store().session() as session:
        view = site_view(session, target)
    if as_json:
        print_json(view)
        return
    from audit.page.domains import shown_host

    for key, value in view["site"].items():
        if value not in (None, ""):
            readable = shown_host(value) if key in ("host", "discovered_from") else value
            echo(f"{key:<16}{readable}" + (f"  ({value})" if readable != value else ""))
    snapshots = [
        {**s, "notices": " ".join(n["number"] or n["kind"] for n in s["notices"] if n["valid"])}
        for s in view["snapshots"][:shown]
    ]
    print_table(snapshots, ["run", "run_date", "outcome", "status", "reading", "notices",
                            "title"], title=f"{len(view['snapshots'])} snapshots")  # fmt: skip
    from audit.cli.output import table_excerpt

    findings = [{**f, "evidence": table_excerpt(f["evidence"])} for f in view["findings"]]
    print_table(findings, ["id", "rule", "state", "review_state", "deadline", "last_seen",
                           "evidence"], title=f"{len(findings)} findings")  # fmt: skip
    for notice in view["notices_issued"]:
        echo(f"整改通知 {notice['number']} (id {notice['id']}), issued {notice['issued_on']},"
             f" deadline {notice['deadline']}")  # fmt: skip
    if view["links_to"]:
        echo(f"links to: {', '.join(map(shown_host, view['links_to']))}")
    if view["linked_from"]:
        echo(f"linked from: {', '.join(map(shown_host, view['linked_from']))}")


@sites.command("accept")
@click.argument("hosts", nargs=-1)
@click.option("--all", "accept_all", is_flag=True, help="Every site awaiting acceptance.")
@click.option("--yes", is_flag=True, help="With --all: do not ask for confirmation.")
@click.option("--by", "actor", help="Who decides (default: your user name).")
@pass_app
def accept(
    app: AppContext, hosts: tuple[str, ...], accept_all: bool, yes: bool, actor: str | None
) -> None:
    """Accept sites discovered through links (beian crawl --discover) into the regular crawl.

    A discovered site waits for an analyst: it is crawled only in the run that found it,
    not audited, and not counted by the bulletins, until it is accepted (see them with
    `beian sites list --pending`). From its acceptance on it is crawled with the others,
    audited and counted. To refuse one, `beian sites remove` it: discovery does not bring
    it back. Exit status 2 when a host is unknown.
    """
    from audit.errors import UserError
    from audit.findings.review import default_actor
    from audit.services.acceptance import accept_discovered
    from audit.store.sites import pending_hosts

    if accept_all == bool(hosts):
        raise UserError("give the hosts to accept, or --all")
    by = (actor or "").strip() or default_actor()
    if len(by) > 100:
        raise UserError("--by: at most 100 characters")
    store = app.store()
    if accept_all:
        with store.session() as session:
            hosts = tuple(pending_hosts(session))
        if not hosts:
            echo("no site awaits acceptance")
            return
        question = f"Accept {len(hosts)} discovered sites into the regular crawl?"
        if not yes and not click.confirm(question):
            echo("nothing accepted", err=True)
            raise SystemExit(1)
    with store.session() as session:
        done = accept_discovered(session, hosts, by=by, profile=app.settings.profile)
    if accept_all:
        echo(f"{len(done.accepted)} sites accepted by {by}")
        if done.districts:
            echo(f"{len(done.districts)} of them given the district their host or "
                 "public-security number names")  # fmt: skip
    else:
        for host in done.accepted:
            district = done.districts.get(host)
            echo(f"{host}: accepted by {by}" + (f", district {district}" if district else ""))
    for host in done.already:
        echo(f"{host}: accepted already")
    for host in done.unknown:
        echo(f"{host}: no such site", fg="yellow", err=True)
    if done.unknown:
        raise SystemExit(2)
