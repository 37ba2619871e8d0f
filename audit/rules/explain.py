"""Rules as text, for ``beian rules`` (the catalogue) and ``beian rules CODE`` (one rule)."""

from __future__ import annotations

import textwrap
from typing import Any

from audit.rules import RULES, UnknownRule, get_rule
from audit.rules.model import UNIT_SEVERITIES, Rule

SEVERITY_ZH = {"high": "高", "medium": "中", "low": "低", "info": "提示"}


def rule_message(code: str) -> str:
    """The rule's message in Chinese; a rule no longer defined is named as such."""
    try:
        return get_rule(code).message_zh
    except UnknownRule:
        return f"{code}（已停用的规则）"


APPLIES_ZH = {"all": "全部网站", "government": "政府网站"}
APPLIES_EN = {"all": "all sites", "government": "government sites"}

_INDENT = "    "
CATEGORY_ZH = {
    "unverified": "未能核验",
    "unfiled": "未备案",
    "display": "备案信息展示",
    "marks": "政府网站标识",
    "availability": "可用性",
    "threat": "安全威胁",
}


def _english(text: str) -> str:
    # Chinese lines are left whole: textwrap counts characters, not display width.
    return textwrap.fill(text, width=88, initial_indent=_INDENT, subsequent_indent=_INDENT)


def explain(rule: Rule) -> str:
    """A rule's full description, Chinese and English, as plain text."""
    if rule.needs_registry:
        judged_zh = "仅在已导入备案库（beian registry import）且首页能够读取时判定"
        judged_en = "only with a filing registry imported and a homepage that could be read"
    elif rule.needs_reachable:
        judged_zh = "仅在首页能够读取时判定（无法访问的网站不判定，也不销项）"
        judged_en = "only when the homepage could be read (an unreachable site is not judged)"
    else:
        judged_zh = "每次巡检均判定"
        judged_en = "on every snapshot"
    lines = [
        f"{rule.code}  {rule.name}",
        "",
        f"严重程度 Severity:    {SEVERITY_ZH[rule.severity]} {rule.severity}",
        f"适用范围 Applies to:  {APPLIES_ZH[rule.applies_to]} {APPLIES_EN[rule.applies_to]}",
        f"类别 Category:        {CATEGORY_ZH[rule.category]} {rule.category}",
        f"判定条件 Judged:      {judged_zh}",
        f"                     {judged_en}",
        "",
        "问题 Problem:",
        _INDENT + rule.message_zh,
        _english(rule.message_en),
        "",
        "依据 Basis:",
        _INDENT + rule.basis,
        "",
        "整改建议 Remediation:",
        _INDENT + rule.advice_zh,
        _english(rule.advice_en),
    ]
    lines += _relations(rule)
    return "\n".join(lines) + "\n"


def _relations(rule: Rule) -> list[str]:
    """Which rules this one quiets or is quieted by, and whom its findings are for."""
    lines: list[str] = []
    if rule.supersedes:
        codes = ", ".join(rule.supersedes)
        lines += ["", f"取代 Supersedes:      {codes}（本规则命中时不再另报 / not also reported)"]
    if by := [other.code for other in RULES.values() if rule.code in other.supersedes]:
        codes = ", ".join(by)
        lines += ["", f"让位 Yields to:       {codes}（其命中时本规则不报 / quiet when they hit)"]
    if rule.severity not in UNIT_SEVERITIES:
        lines += [
            "",
            "供中心核实，不列入整改通知 For the centre to check; never in a notice to a unit.",
        ]
    return lines


def catalogue_rows() -> list[dict[str, Any]]:
    """One row per rule, in code order: for the ``beian rules`` table and its JSON."""
    return [
        {
            "code": rule.code,
            "name": rule.name,
            "severity": rule.severity,
            "applies_to": rule.applies_to,
            "category": rule.category,
            "message_zh": rule.message_zh,
            "basis": rule.basis,
            "advice_zh": rule.advice_zh,
        }
        for rule in RULES.values()
    ]
