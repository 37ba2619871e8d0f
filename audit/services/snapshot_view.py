"""One snapshot (beian snapshots show; the web console's evidence page): what the crawl saw
of a site at one moment, and its stored page exported as inert evidence."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

from audit.errors import UserError
from audit.files import output_errors, write_atomic
from audit.page.evidence import inert_html
from audit.store import CrawlRun, Notice, Session, Site, Snapshot, Store
from audit.store import sites as store_sites


def snapshot_entry(snapshot: Snapshot, run: CrawlRun, notices: list[Notice]) -> dict[str, Any]:
    """A snapshot as a line of a site's history."""
    return {
        "id": snapshot.id, "run": run.id, "run_date": run.started_at,
        "outcome": snapshot.outcome, "status": snapshot.http_status,
        "final_url": snapshot.final_url, "title": snapshot.title, "reading": snapshot.reading,
        "notices": [
            {"kind": n.kind, "number": n.number, "valid": n.valid, "linked": n.linked}
            for n in notices
        ],
    }  # fmt: skip


def snapshot_view(session: Session, snapshot_id: int) -> dict[str, Any]:
    """Everything stored of one snapshot but its page, as plain data."""
    snapshot, run, site = _find(session, snapshot_id)
    sets = [snapshot.notice_set_id] if snapshot.notice_set_id is not None else []
    notices = store_sites.notices_of_sets(session, sets).get(snapshot.notice_set_id or -1, [])
    return {
        **snapshot_entry(snapshot, run, notices),
        "host": site.host, "name": site.name, "fetched_at": snapshot.fetched_at,
        "redirect_chain": snapshot.redirect_chain, "error": snapshot.error,
        "encoding": snapshot.encoding, "content_length": snapshot.content_length,
        "rendered": snapshot.rendered, "reading_gaps": snapshot.reading_gaps,
        "footer_text": snapshot.footer_text, "page_stored": snapshot.body_sha256 is not None,
        "page_truncated": snapshot.html_truncated, "content_sha256": snapshot.content_hash,
    }  # fmt: skip


def export_page(store: Store, snapshot_id: int, out: Path, *, overwrite: bool = False) -> Path:
    """Write the snapshot's stored page to ``out`` as inert HTML (audit/page/evidence.py)."""
    if out.exists() and not overwrite:
        raise UserError(f"{out} exists: choose another file, or --force to replace it")
    with store.session() as session:
        snapshot, _run, site = _find(session, snapshot_id)
        stored = (
            store_sites.page_body(session, snapshot.body_sha256) if snapshot.body_sha256 else None
        )
        if stored is None:
            why = (
                "its page was deleted by housekeeping"
                if snapshot.body_sha256
                else f"no page was stored (outcome {snapshot.outcome})"
            )
            raise UserError(f"snapshot {snapshot_id} of {site.host}: {why}")
        about = {
            "站点 site": f"{site.host} {site.name or ''}".strip(),
            "抓取时间 fetched": f"{snapshot.fetched_at:%Y-%m-%d %H:%M:%S %Z}",
            "地址 URL": snapshot.final_url or site.start_url or site.host,
            "快照 snapshot": f"{snapshot.id} (crawl run {snapshot.run_id})",
            "SHA-256": snapshot.content_hash or "",
        }
        if snapshot.html_truncated:
            about["截断 cut"] = "only the first part of the page was kept"
        text = inert_html(gzip.decompress(stored), snapshot.encoding, about)
    with output_errors("the page", out):
        return write_atomic(out, text.encode("utf-8"))


def _find(session: Session, snapshot_id: int) -> tuple[Snapshot, CrawlRun, Site]:
    found = store_sites.snapshot_by_id(session, snapshot_id)
    if found is None:
        raise UserError(f"no snapshot {snapshot_id} (`beian sites show HOST` lists a site's)")
    return found
