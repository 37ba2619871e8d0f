"""`beian demo`: generate, serve, import and crawl a sample jurisdiction, end to end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.crawl


def test_demo_crawls_every_generated_site_and_reports_what_they_show(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BEIAN_")}
    result = subprocess.run(
        [sys.executable, "-m", "audit", "demo", "--sites", "80", "--timeout", "2", "--json"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout)
    summary = report["summary"]
    manifest = json.loads(Path(report["manifest"]).read_text("utf-8"))
    reachable = sum(s["expected"]["outcome"] == "ok" for s in manifest["sites"])
    assert summary["state"] == "finished"
    assert summary["sites"] == 80  # the inventory plus every discovered site
    assert summary["reachable"] == reachable
    assert 0 < summary["with_icp"] <= reachable and 0 < summary["with_police"] <= reachable
    assert report["database"] == "sqlite:///beian.db"
    assert (tmp_path / "beian.db").exists() and (
        tmp_path / "beian-data/demo/inventory.csv"
    ).exists()
