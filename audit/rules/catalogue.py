"""The catalogue: every rule by its code, and the decorator that puts a check in it.

A rule module registers its checks with ``@rule(...)`` when it is imported;
:mod:`audit.rules` imports them all and sorts the catalogue by code.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Literal

from audit.rules.model import (
    APPLIES_TO,
    CATEGORIES,
    SEVERITIES,
    AppliesTo,
    Category,
    Check,
    Rule,
    Severity,
)

# code -> rule, in code order (sorted once every module has registered its rules).
RULES: dict[str, Rule] = {}

_CODE = re.compile(r"^BA[1-9]\d\d$")


class UnknownRule(KeyError):
    """A code that is not in the catalogue; the message lists the known codes."""

    def __str__(self) -> str:  # KeyError's own str() would quote the whole message
        return str(self.args[0]) if self.args else "unknown rule"


def rule(
    *,
    code: str,
    name: str,
    severity: Severity,
    applies_to: AppliesTo = "all",
    needs_reachable: bool,
    basis: str,
    message_zh: str,
    message_en: str,
    advice_zh: str,
    advice_en: str,
    category: Category,
    supersedes: tuple[str, ...] = (),
    needs_complete: bool = False,
    number_kind: Literal["icp", "police"] | None = None,
    needs_registry: bool = False,
) -> Callable[[Check], Check]:
    """Register the decorated check function as rule ``code``; returns it unchanged.

    Raises ValueError on a duplicate code or bad metadata, so that a mistake fails at
    import, not in the middle of an audit.
    """

    def register(check: Check) -> Check:
        if not _CODE.match(code):
            raise ValueError(f"rule code {code!r} is not of the form BA123")
        if code in RULES:
            raise ValueError(f"rule code {code} is already registered ({RULES[code].name})")
        if severity not in SEVERITIES:
            raise ValueError(f"{code}: severity {severity!r} is not one of {SEVERITIES}")
        if applies_to not in APPLIES_TO:
            raise ValueError(f"{code}: applies_to {applies_to!r} is not one of {APPLIES_TO}")
        if category not in CATEGORIES:
            raise ValueError(f"{code}: category {category!r} is not one of {CATEGORIES}")
        texts = {
            "name": name,
            "basis": basis,
            "message_zh": message_zh,
            "message_en": message_en,
            "advice_zh": advice_zh,
            "advice_en": advice_en,
        }
        if empty := [key for key, value in texts.items() if not value.strip()]:
            raise ValueError(f"{code}: empty {', '.join(empty)}")
        if code in supersedes:
            raise ValueError(f"{code}: a rule cannot supersede itself")
        RULES[code] = Rule(
            code=code,
            name=name,
            severity=severity,
            applies_to=applies_to,
            needs_reachable=needs_reachable,
            basis=basis,
            message_zh=message_zh,
            message_en=message_en,
            advice_zh=advice_zh,
            advice_en=advice_en,
            check=check,
            supersedes=supersedes,
            needs_complete=needs_complete,
            category=category,
            number_kind=number_kind,
            needs_registry=needs_registry,
        )
        return check

    return register


def get_rule(code: str) -> Rule:
    """The rule of a code (case and spaces forgiven): ``get_rule("ba101")``."""
    key = code.strip().upper()
    try:
        return RULES[key]
    except KeyError:
        raise UnknownRule(f"unknown rule {code!r}; known rules: {', '.join(RULES)}") from None
