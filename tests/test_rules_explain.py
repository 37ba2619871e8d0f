"""`beian rules` and `beian rules CODE`: the catalogue as rows, one rule as text."""

from __future__ import annotations

import json

from audit.rules import RULES, get_rule
from audit.rules.explain import catalogue_rows, explain


def test_explain_prints_everything_a_notice_quotes() -> None:
    rule = get_rule("BA101")
    text = explain(rule)
    assert text.splitlines()[0] == "BA101  icp-number-not-shown"
    for part in (rule.message_zh, rule.basis, rule.advice_zh, "高 high", "全部网站"):
        assert part in text
    # The English is wrapped, not lost.
    assert " ".join(text.split()).count("linked to the MIIT filing system") == 1


def test_explain_says_when_a_rule_is_judged() -> None:
    assert "仅在首页能够读取时判定" in explain(get_rule("BA201"))
    assert "政府网站 government sites" in explain(get_rule("BA201"))
    assert "每次巡检均判定" in explain(get_rule("BA301"))


def test_every_rule_explains() -> None:
    for rule in RULES.values():
        text = explain(rule)
        assert text.startswith(rule.code) and text.endswith("\n")


def test_catalogue_rows() -> None:
    rows = catalogue_rows()
    assert [row["code"] for row in rows] == list(RULES)
    assert set(rows[0]) == {
        "code",
        "name",
        "severity",
        "applies_to",
        "category",
        "message_zh",
        "basis",
        "advice_zh",
    }
    assert rows[0]["severity"] == "info"  # BA100, a reading that could not verify
    json.dumps(rows, ensure_ascii=False)
