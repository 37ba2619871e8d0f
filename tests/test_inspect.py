"""`beian inspect`: every real footer agrees with its label; a URL is fetched like a crawl."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from audit.cli import cli
from audit.config import load_builtin_profile
from audit.demo.testbed import TestbedServer, generate
from tests.conftest import REPO

REAL = REPO.parent / "shared" / "real-footers"
LABELS = (
    [json.loads(line) for line in (REAL / "labels.jsonl").read_text("utf-8").splitlines() if line]
    if (REAL / "labels.jsonl").exists()
    else []
)


def inspect_json(*args: str) -> dict:  # type: ignore[type-arg]
    result = CliRunner().invoke(cli, ["inspect", *args, "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def shown(items: list[dict]) -> set[str]:  # type: ignore[type-arg]
    """The numbers a label counts: placeholders are not filings."""
    return {item["number"] for item in items if not item["placeholder"]}


@pytest.mark.skipif(not LABELS, reason="../shared/real-footers is not beside this clone")
@pytest.mark.parametrize("label", LABELS, ids=[label["file"] for label in LABELS])
def test_inspect_json_agrees_with_every_labelled_real_footer(label: dict) -> None:  # type: ignore[type-arg]
    data = inspect_json(str(REAL / label["file"]))
    assert list(data) == ["icp", "icp_licence", "police", "site_code", "conac", "sponsor"]
    for field in ("icp", "icp_licence", "police", "site_code"):
        assert shown(data[field]) == set(label[field]), field
        for item in data[field]:
            assert {"number", "raw", "valid", "linked"} <= set(item)
    assert bool(data["conac"]) == label["has_conac_badge"]
    linked_icp = any(i["linked"] for i in data["icp"])
    linked_police = any(i["linked"] for i in data["police"])
    if label["icp"]:
        assert linked_icp == label["links_icp_registry"]
    if label["police"]:
        assert linked_police == label["links_police_registry"]


def test_inspect_a_local_file_prints_a_table(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_bytes(
        "<html><head><title>盐湖区</title></head><body><div class='footer'>"
        "<a href='https://beian.miit.gov.cn/'>晋ICP备2021001234号-1</a> "
        "晋公网安备14080202000123号</div></body></html>".encode("gbk")
    )
    result = CliRunner().invoke(cli, ["inspect", str(page)])
    assert result.exit_code == 0, result.output
    assert "晋ICP备2021001234号-1" in result.output
    assert "盐湖区" in result.output  # the police number's division
    data = inspect_json(str(page))
    assert data["police"][0]["in_jurisdiction"] is True
    assert data["icp"][0]["linked"] is True and data["police"][0]["linked"] is False


def test_inspect_a_missing_file_is_one_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["inspect", str(tmp_path / "nope.html")])
    assert result.exit_code != 0
    assert "nope.html" in str(result.exception or result.output)


@pytest.mark.crawl
def test_inspect_a_url_goes_through_the_proxy_like_a_crawl() -> None:
    testbed = generate(load_builtin_profile("yuncheng"), 120, seed=3, page_kb=(8, 20))
    site = next(s for s in testbed.sites if s.footer == "gov_full" and s.behaviour == "ok")
    env = {k: v for k, v in os.environ.items() if not k.startswith("BEIAN_")}
    with TestbedServer(testbed) as server:
        result = subprocess.run(
            [sys.executable, "-m", "audit", "inspect", site.host, "--json"],
            env={**env, "http_proxy": server.url},  # the standard variable, no --proxy
            capture_output=True, text=True, timeout=120, cwd=REPO,
        )  # fmt: skip
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert shown(data["icp"]) == set(site.expected["icp"])
    assert shown(data["police"]) == set(site.expected["police"])
    assert [c["number"] for c in data["site_code"]] == [site.expected["site_code"]]
    assert data["conac"]["present"] is True
    assert data["sponsor"]["name"] == site.expected["sponsor_shown"]
