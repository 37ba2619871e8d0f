"""A small jurisdiction with a dated history, for the bulletin tests: sites, crawls dated
in Beijing time (audited by the real audit), and analysts' reviews dated too."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from sqlalchemy import select

from audit.config import LOCAL_TZ, load_builtin_profile
from audit.findings.audit import run_audit
from audit.findings.review import review_finding, review_site
from audit.notices import extract_notices
from audit.store import Finding, Site, Store
from audit.store import crawls as store_crawls
from audit.store.sites import add_site, retire_sites

PROFILE = load_builtin_profile("yuncheng")


def beijing(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=LOCAL_TZ)


def footer(index: int, *, icp: bool = True, police: bool = True) -> str:
    """A company site's footer, each site with its own numbers, both linked."""
    parts = ["<footer>版权所有"]
    if icp:
        parts.append(f"<a href='https://beian.miit.gov.cn/'>晋ICP备20210012{index:02d}号-1</a>")
    if police:
        number = f"140802020001{index:02d}"
        parts.append(
            "<a href='http://www.beian.gov.cn/portal/registerSystemInfo?recordcode="
            f"{number}'>晋公网安备{number}号</a>"
        )
    return " ".join(parts) + "</footer>"


class World:
    """``world.crawl(when, {host: page})`` with page a footer, or an outcome like
    "timeout"; each crawl is a finished run started at ``when`` and audited at once."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def site(self, host: str, district: str, *, category: str = "企业",
             key_unit: bool = False, sponsor: str | None = None) -> None:  # fmt: skip
        with self.store.session() as session:
            add_site(session, f"http://{host}/", host, name=f"{host}网站",
                     sponsor=sponsor or f"{host}主办单位", district=district,
                     category=category, key_unit=key_unit)  # fmt: skip

    def crawl(self, when: dt.datetime, pages: dict[str, str], partial: Collection[str] = ()) -> int:
        """``partial``: hosts whose footer the crawl could not read (scripts, frames)."""
        with self.store.session() as session:
            run = store_crawls.create_run(session, started_at=when.astimezone(dt.UTC))
            batch = []
            for host, page in pages.items():
                url = f"http://{host}/"
                ok = page.startswith("<")
                html = f"<html><body><p>新闻</p>{page}</body></html>" if ok else ""
                batch.append({
                    "host": host, "outcome": "ok" if ok else page, "fetched_at": when,
                    "http_status": 200 if ok else None, "final_url": url if ok else None,
                    "notices": extract_notices(html, url, profile=PROFILE).records() if ok else [],
                    "reading": "partial" if host in partial else "complete" if ok else "unread",
                })  # fmt: skip
            store_crawls.write_batch(session, run.id, snapshots=batch)
            store_crawls.finish_run(session, run.id, "finished", {})
            run_id = run.id
        run_audit(self.store, PROFILE, run_id=run_id)
        return run_id

    def review(self, when: dt.datetime, host: str, state: str,
               deadline: dt.date | None = None, rule: str | None = None) -> None:  # fmt: skip
        """An analyst's review of a site's open findings (or of one rule's) at ``when``."""
        with self.store.session() as session:
            if rule is None:
                review_site(session, host, state, deadline=deadline, actor="analyst",
                            on=when.date(), at=when)  # fmt: skip
                return
            finding_id = session.scalars(
                select(Finding.id).join(Site, Site.id == Finding.site_id)
                .where(Site.host == host, Finding.rule == rule)
            ).one()  # fmt: skip
            review_finding(session, finding_id, state, deadline=deadline, actor="analyst",
                           on=when.date(), at=when)  # fmt: skip

    def retire(self, when: dt.datetime, host: str) -> None:
        with self.store.session() as session:
            retire_sites(session, [host], now=when.astimezone(dt.UTC))
