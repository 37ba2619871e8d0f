"""What the audit must find on a testbed site: the ground truth, from its manifest entry.

Used by the crawl tests, the fault suite and ``benchmarks/hostile.py`` (false findings).
"""

from __future__ import annotations

from typing import Any


def expected_rules(site: dict[str, Any]) -> set[str]:
    """The rules a site of the testbed must trip, from its manifest entry (one run: BA301,
    which needs two failed runs, is left to test_findings)."""
    expected, traits = site["expected"], set(site["traits"])
    rules = set()
    if expected["outcome"] == "http_error":
        rules.add("BA303")
    if site["behaviour"] == "redirect_external":
        rules.add("BA302")
    if expected["outcome"] != "ok":
        return rules
    shown_badly = expected["placeholders"] + expected["malformed"]
    # One problem, one finding: a malformed number (BA102/BA112) supersedes "none shown".
    if any("ICP" in number for number in shown_badly):
        rules.add("BA102")
    elif not expected["icp"]:
        rules.add("BA101")
    if expected["icp"] and (not expected["icp_linked"] or "icp_outdated_link" in traits):
        rules.add("BA103")
    if any("公网安备" in number for number in shown_badly):
        rules.add("BA112")
    elif not expected["police"]:
        rules.add("BA111")
    if expected["police"] and not expected["police_linked"]:
        rules.add("BA113")
    rules |= {
        code
        for trait, code in (
            ("police_out_of_jurisdiction", "BA114"),
            ("police_province_mismatch", "BA115"),
            ("borrowed_icp", "BA121"),
        )
        if trait in traits
    }
    if "government" in traits:
        rules |= {
            code
            for missing, code in (
                (not expected["site_code"], "BA201"),
                (not expected["conac"], "BA202"),
                (not expected["sponsor_shown"], "BA203"),
            )
            if missing
        }
    return rules
