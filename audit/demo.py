"""The demo: a generated sample jurisdiction, served on loopback, imported and crawled.

It is the main job end to end on the embedded default (SQLite), with nothing to set up.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from audit.config import Settings


@dataclass
class DemoResult:
    run_id: int
    summary: dict[str, Any]
    data_dir: Path
    manifest: Path
    inventory: Path
    database_url: str
    seconds: float


def run_demo(
    settings: Settings,
    *,
    sites: int = 300,
    seed: int = 0,
    timeout: float = 5.0,
    progress: bool | None = None,
    log_level: str = "WARNING",
    say: Any = print,
) -> DemoResult:
    from audit.crawl import run_crawl
    from audit.findings import run_audit
    from audit.inventory import import_inventory
    from audit.store import Store
    from audit.summary import run_summary
    from audit.testbed import generate, start_server_process

    began = time.monotonic()
    data_dir = (settings.data_dir / "demo").resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    say(f"Generating a sample jurisdiction of {sites} sites for {settings.profile.name} ...")
    testbed = generate(settings.profile, sites, seed=seed)
    testbed.write(data_dir)
    manifest, inventory = data_dir / "manifest.json", data_dir / "inventory.csv"

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
        # Depth 2: the testbed links some sites only from sites that are themselves
        # outside the inventory; the demo reaches every generated site.
        crawl_settings = settings.model_copy(
            update={
                "crawl": settings.crawl.model_copy(update={"timeout": timeout, "discover_depth": 2})
            }
        )
        result = run_crawl(
            crawl_settings,
            discover=True,
            proxy=proxy,
            progress=progress,
            log_level=log_level,
        )
    finally:
        process.terminate()
        process.wait(timeout=10)
    with Store(settings.database_url) as store:
        summary = run_summary(store, result.run_id)
        if result.state == "finished":
            summary["audit"] = run_audit(store, settings.profile, run_id=result.run_id).to_json()
    return DemoResult(
        run_id=result.run_id,
        summary=summary,
        data_dir=data_dir,
        manifest=manifest,
        inventory=inventory,
        database_url=settings.database_url,
        seconds=round(time.monotonic() - began, 1),
    )
