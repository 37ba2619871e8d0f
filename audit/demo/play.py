"""The demo: a generated sample jurisdiction, served on loopback, imported, crawled twice
(dated in consecutive months), audited, triaged, and last month's bulletin compiled.

It is the main job end to end on the embedded default (SQLite), with nothing to set up.
"""

from __future__ import annotations

import datetime as dt
import time
import urllib.request
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from audit.config import LOCAL_TZ, Profile, Settings
from audit.errors import UserError
from audit.files import output_errors
from audit.services import CrawlChild, CrawlRequest, CrawlState
from audit.store.models import utcnow


@dataclass
class DemoResult:
    run_id: int
    summary: dict[str, Any]
    data_dir: Path
    manifest: Path
    inventory: Path
    database_url: str
    seconds: float
    bulletin: dict[str, Path] = field(default_factory=dict)


class EarlierRuns(UserError):
    """The demo's database holds crawls already (an earlier demo)."""


def start_afresh(settings: Settings, data_dir: Path, *, fresh: bool, say: Any) -> None:
    """Before any work: a database that holds crawls already (an earlier demo) is refused
    (``EarlierRuns``), or, with ``fresh``, removed with the demo's files (an SQLite file
    only: a server database is the user's to empty). Two demos in one database would count
    every site twice in the same months."""
    import shutil

    from audit.store import Store
    from audit.store.crawls import run_count
    from audit.store.db import missing_sqlite_file, sqlite_file

    url = settings.database_url
    if missing_sqlite_file(url) is not None:
        return
    with Store(url) as store, store.session() as session:
        runs = run_count(session)
    if runs == 0:
        return
    database = sqlite_file(url)
    if not fresh:
        named = database or "the configured database"
        hint = "--fresh starts afresh (it deletes them)" if database else "empty it first"
        raise EarlierRuns(
            f"{named} already holds {runs} crawl runs (an earlier demo?): a second demo would"
            f" count its sites twice; {hint}, or run the demo in another directory"
        )
    if database is None:
        raise UserError("--fresh deletes an SQLite database only: empty this one yourself")
    for path in (database, *(database.with_name(database.name + s) for s in ("-wal", "-shm"))):
        path.unlink(missing_ok=True)
    shutil.rmtree(data_dir, ignore_errors=True)
    shutil.rmtree(settings.data_dir / "bulletins", ignore_errors=True)
    say(f"Starting afresh: {database} and {data_dir} deleted")


def demo_months(now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """When the demo's two crawls are dated: the 15th of the month before last and of last
    month (Beijing time), so that last month's bulletin can be issued today."""
    first_of_month = now.astimezone(LOCAL_TZ).replace(day=1, hour=10, minute=0, second=0,
                                                      microsecond=0)  # fmt: skip
    last = (first_of_month - dt.timedelta(days=1)).replace(day=15)
    before = (last.replace(day=1) - dt.timedelta(days=1)).replace(day=15)
    return before, last


def run_demo(
    settings: Settings,
    *,
    sites: int = 300,
    seed: int = 0,
    timeout: float = 5.0,
    progress: bool | None = None,
    log_level: str = "WARNING",
    say: Any = print,
    bulletin: bool = True,
    fresh: bool = False,
) -> DemoResult:
    """Two months of the centre's work on the testbed: a crawl dated in the month before
    last, the analysts accepting the sites it discovered through links and notifying the
    units of the unfiled sites, a crawl dated last month
    after some units fixed their footers (the testbed's epoch 1), then last month's
    bulletin. Each crawl runs in its own process (Twisted's reactor cannot restart)."""
    from audit.bulletin import make_bulletin
    from audit.demo.testbed import generate, start_server_process
    from audit.intake.inventory import import_inventory
    from audit.store import Store

    began = time.monotonic()
    data_dir = (settings.data_dir / "demo").resolve()
    start_afresh(settings, data_dir, fresh=fresh, say=say)
    say(f"Generating a sample jurisdiction of {sites} sites for {settings.profile.name} ...")
    testbed = generate(settings.profile, sites, seed=seed)
    with output_errors("the sample jurisdiction", data_dir):
        testbed.write(data_dir)
    manifest, inventory = data_dir / "manifest.json", data_dir / "inventory.csv"
    before, last = demo_months(utcnow())

    process, port = start_server_process(sites, seed=seed, slow_seconds=timeout * 4)
    try:
        proxy = f"http://127.0.0.1:{port}"
        say(f"Serving it on {proxy} (the crawler reaches it as its HTTP proxy)")
        with Store(settings.database_url) as store:
            report = import_inventory(store, inventory)
            say(
                f"Imported {inventory.name}: {report.inserted} added, {report.updated} updated,"
                f" {report.unchanged} unchanged"
            )
        crawl = _Crawl(settings, proxy, timeout, progress, log_level)
        say(f"Crawl 1, dated {before:%Y-%m-%d %H:%M} (Beijing time) ...")
        first = crawl(before)
        accepted_on = before + dt.timedelta(days=1)
        with Store(settings.database_url) as store:
            accepted = accept_discovered_sites(store, settings.profile, accepted_on)
        say(
            f"Analysts accepted the {accepted} sites the crawl discovered through links"
            f" (dated {accepted_on:%Y-%m-%d})"
        )
        with Store(settings.database_url) as store:
            notified = notify_unfiled_sites(store, last.replace(day=3))
        say(f"Analysts notified the units of {notified} unfiled sites (dated {last:%Y-%m}-03)")
        _set_epoch(proxy, 1)  # a month later: some units fixed their footers
        say(f"Crawl 2, dated {last:%Y-%m-%d %H:%M}, after some units fixed their footers ...")
        summary = crawl(last)
        say(javascript_footers(summary))
    finally:
        process.terminate()
        process.wait(timeout=10)
    summary["first_run"] = {k: first.get(k) for k in ("run_id", "state", "sites", "reachable")}
    files: dict[str, Path] = {}
    if bulletin and summary.get("state") == "finished":
        month = f"{last:%Y-%m}"
        say(f"Compiling the bulletin of {month} ...")
        with Store(settings.database_url) as store:
            made = make_bulletin(store, settings, month)
        for warning in made.warnings:
            say(f"warning: {warning}")
        files = made.files
        summary["bulletin"] = {"month": month, "issue": made.label,
                               "sentence": made.sentence}  # fmt: skip
    return DemoResult(
        run_id=summary["run_id"],
        summary=summary,
        data_dir=data_dir,
        manifest=manifest,
        inventory=inventory,
        database_url=settings.database_url,
        seconds=round(time.monotonic() - began, 1),
        bulletin=files,
    )


class _Crawl:
    """A crawl of the testbed dated WHEN (``beian crawl --dated WHEN --discover``), in a
    child process; its summary."""

    def __init__(
        self, settings: Settings, proxy: str, timeout: float, progress: bool | None, level: str
    ) -> None:
        # Depth 2: the testbed links some sites only from sites that are themselves
        # outside the inventory; the demo reaches every generated site.
        crawl = settings.crawl.model_copy(update={"discover_depth": 2, "timeout": timeout})
        self.settings = settings.model_copy(update={"crawl": crawl})
        self.request = CrawlRequest(proxy=proxy, discover=True, progress=progress, log_level=level)

    def __call__(self, when: dt.datetime) -> dict[str, Any]:
        request = replace(self.request, started_at=when.astimezone(dt.UTC))
        outcome = CrawlChild(self.settings, request).wait()
        if outcome.state not in (CrawlState.FINISHED, CrawlState.INTERRUPTED):
            raise UserError(f"the demo crawl ended {outcome.state}: {outcome.message}")
        return outcome.summary


def _set_epoch(proxy: str, epoch: int) -> None:
    request = urllib.request.Request(f"http://testbed.internal/__epoch__/{epoch}", method="POST")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({"http": proxy}))
    with opener.open(request, timeout=10) as response:
        response.read()


def accept_discovered_sites(store: Any, profile: Profile, when: dt.datetime) -> int:
    """The analysts look at the sites the first crawl found through links, and accept them
    all into the regular crawl (beian sites accept --all)."""
    from audit.services.acceptance import accept_discovered
    from audit.store.sites import pending_hosts

    with store.session() as session:
        hosts = pending_hosts(session)
        done = accept_discovered(session, hosts, by="demo", profile=profile, now=when)
        return len(done.accepted)


def notify_unfiled_sites(store: Any, when: dt.datetime) -> int:
    """The analysts' month: every site with an open finding of a missing or malformed
    filing number is confirmed and its unit notified (督促整改), with a deadline 20 days on:
    some units fix it in time, the others will be overdue."""
    from audit.bulletin.compile import UNFILED_RULES
    from audit.findings.review import review_site
    from audit.store.findings import hosts_with_open_findings

    with store.session() as session:
        hosts = hosts_with_open_findings(session, UNFILED_RULES)
        for host in hosts:
            for state, deadline in (("confirmed", None), ("notified", when.date() + _DEADLINE)):
                review_site(session, host, state, deadline=deadline, actor="demo",
                            on=when.date(), at=when)  # fmt: skip
    return len(hosts)


_DEADLINE = dt.timedelta(days=20)


def javascript_footers(summary: dict[str, Any]) -> str:
    """Whether the footers that scripts write were read: the demo's one line on it."""
    unverified = summary.get("unverified", 0)
    if summary.get("render") in (None, "off"):
        return (
            f"JavaScript footers: not verified (no Chromium): {unverified} sites are reported"
            " as unverified (BA100), not as unfiled; apt-get install chromium to read them"
        )
    if unverified:
        return f"JavaScript footers: rendered in Chromium; {unverified} sites still unverified"
    return "JavaScript footers: rendered in Chromium, every site verified"
