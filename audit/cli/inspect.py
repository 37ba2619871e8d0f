"""beian inspect: the filing notices of one page."""

from __future__ import annotations

from pathlib import Path

import click

from audit.cli.context import AppContext, pass_app
from audit.cli.output import echo, print_json, print_table


@click.command()
@click.argument("target")
@click.option("--url", "page_url", help="For a file: the URL it was saved from (resolves links).")
@click.option("--proxy", help="HTTP proxy for a URL (default: [crawl] proxy, then $http_proxy).")
@click.option("--json", "as_json", is_flag=True, help="Print the notices as JSON.")
@pass_app
def inspect(app: AppContext, target: str, page_url: str | None, proxy: str | None,
            as_json: bool) -> None:  # fmt: skip
    """Show the filing notices of one page: TARGET is a URL or a local HTML file.

    \b
    Found and normalised: ICP filing numbers (icp), ICP and telecom licences
    (icp_licence), public-security numbers (police) with their division code,
    government site codes (site_code), the 党政机关 badge (conac) and the sponsor.
    Each number says whether it is valid (and why not) and whether it links to its
    registry. A URL is fetched the way `beian crawl` fetches it.

    \b
      beian inspect http://www.yuncheng.gov.cn/
      beian inspect saved-page.html --json
    """
    from audit.services.inspect import inspect_file, inspect_url

    path = Path(target)
    if target.startswith(("http://", "https://")) or (
        not path.exists() and _looks_like_host(target)
    ):
        inspection = inspect_url(target, app.settings, proxy)
    else:
        inspection = inspect_file(path, app.settings, page_url)
    if skipped := inspection.fetch.get("skipped_bytes"):
        echo(
            f"warning: the file is larger than max_download_bytes: {skipped:,} bytes in its"
            " middle were not read (its beginning and its end were)",
            fg="yellow",
            err=True,
        )
    data = inspection.notices.to_json()
    if as_json:
        print_json(data)
        return
    rows = []
    for kind in ("icp", "icp_licence", "police", "site_code"):
        for item in data[kind]:
            detail = item.get("division_name") or item.get("form") or ""
            rows.append({
                "kind": kind, "number": item["number"], "valid": item["valid"],
                "linked": item["linked"], "where": item["source"],
                "notes": ", ".join([*item.get("reasons", []), *([detail] if detail else [])]),
            })  # fmt: skip
    title = f"{inspection.url}"
    if inspection.fetch.get("outcome"):
        title += f" ({inspection.fetch.get('outcome')}, HTTP {inspection.fetch.get('status')})"
    print_table(rows, ["kind", "number", "valid", "linked", "where", "notes"], title=title)
    conac = data["conac"]
    sponsor = data["sponsor"]
    echo(f"党政机关 badge (conac): {'yes, ' + conac['kind'] if conac else 'no'}")
    echo(f"主办单位 (sponsor): {sponsor['name'] if sponsor else '-'}")


def _looks_like_host(target: str) -> bool:
    """www.example.gov.cn or www.example.gov.cn/path, not a file name such as page.html."""
    head = target.split("/", 1)[0]
    return head.count(".") >= 1 and not head.endswith((".html", ".htm", ".shtml", ".txt"))
