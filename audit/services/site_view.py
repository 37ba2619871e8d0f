"""One site, one view (beian sites show; the web console's site page): the inventory
fields, every snapshot over time with the notices it showed, its findings open and past,
the rectification notices that covered it, and the links between it and the jurisdiction's
other sites. A site is named by its host (or a URL), else by a part of its name or sponsor
that only it has."""

from __future__ import annotations

from contextlib import suppress
from typing import Any
from urllib.parse import urlsplit

from audit.errors import UserError
from audit.findings.review import is_overdue, today
from audit.page.domains import BadURL, normalise_host
from audit.services.snapshot_view import snapshot_entry
from audit.store import Session, Site
from audit.store import findings as store_findings
from audit.store import rectification as store_notices
from audit.store import sites as store_sites


def find_site(session: Session, target: str) -> Site:
    """The site ``target`` names: a host or URL, else the one site whose name or sponsor
    contains it; UserError naming the candidates when several do, or none."""
    wanted = target.strip()
    if not wanted:
        raise UserError("give a site's host, or a part of its name or sponsor")
    host = (urlsplit(wanted).hostname or "") if "://" in wanted else wanted.lower().rstrip(".")
    if host and not host.isascii() and "." in host:
        with suppress(BadURL):  # 运城.政务.cn: stored as DNS has it (xn--…)
            host = normalise_host(host)
    site = store_sites.site_by_host(session, host) if host else None
    if site is not None:
        return site
    found = store_sites.sites_matching(session, wanted)
    if len(found) == 1:
        return found[0]
    if not found:
        raise UserError(f"{target!r}: no site has this host, name or sponsor (beian sites list)")
    shown = "; ".join(f"{s.host} {s.name or ''}".strip() for s in found[:10])
    more = " …" if len(found) > 10 else ""
    raise UserError(f"{target!r} names {len(found)}{'+' if more else ''} sites: {shown}{more}")


def site_view(session: Session, target: str) -> dict[str, Any]:
    """Everything known of one site, as plain data (JSON-ready but for dates)."""
    site = find_site(session, target)
    history = store_sites.site_snapshots(session, site.id)
    sets = [s.notice_set_id for s, _ in history if s.notice_set_id is not None]
    notices = store_sites.notices_of_sets(session, sets)
    on = today()
    links_out, links_in = store_sites.site_links(session, site)
    return {
        "site": {
            "host": site.host, "name": site.name, "sponsor": site.sponsor,
            "district": site.district, "category": site.category, "key_unit": site.key_unit,
            "source": site.source, "start_url": site.start_url,
            "discovered_from": site.discovered_from, "accepted_at": site.accepted_at,
            "retired_at": site.retired_at, "first_seen": site.first_seen,
            "last_seen": site.last_seen,
        },
        "snapshots": [
            snapshot_entry(snapshot, run, notices.get(snapshot.notice_set_id or -1, []))
            for snapshot, run in history  # the latest first
        ],
        "findings": [
            {
                "id": f.id, "rule": f.rule, "severity": f.severity, "state": f.state,
                "review_state": f.review_state, "deadline": f.deadline,
                "overdue": is_overdue(f, on), "first_seen": f.first_seen_at,
                "last_seen": f.last_seen_at, "evidence": (f.evidence or {}).get("excerpt", ""),
            }
            for f in store_findings.findings_of_site(session, site.id)
        ],
        "notices_issued": [
            {"id": n.id, "number": n.number, "issued_on": n.issued_on, "deadline": n.deadline}
            for n in store_notices.of_host(session, site.host)
        ],
        "links_to": links_out,
        "linked_from": links_in,
    }  # fmt: skip
