"""The rule catalogue: each finding the audit can report, with its code, severity, basis,
message and remediation advice (整改建议). Pure: no database, no I/O.

In the manner of a linter's registry: a rule is a check function registered with
:func:`rule`, which takes an :class:`AuditContext` and yields :class:`Hit` objects.

    >>> from audit.rules import RULES, get_rule
    >>> get_rule("BA101").severity
    'high'
    >>> list(RULES)[:3]
    ['BA100', 'BA101', 'BA102']

Codes are stable and never reused, even when a rule is retired:

- BA1xx filing numbers (ICP, public security): BA10x ICP number shown, well formed, linked;
  BA11x public-security number; BA12x numbers shared between sites; BA13x cross-checks
  against the imported filing registry (judged only when one is loaded).
- BA2xx government websites (《政府网站发展指引》): site code, conac badge, sponsor.
- BA3xx availability: unreachable, hijacking redirects, HTTP errors.
- BA4xx reserved for security signals (TLS, mixed content, injected links...).

Adding a rule: one function in the module of its range, decorated with :func:`rule`,
plus its tests in ``tests/test_rules_<module>.py``.
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
    AuditContext,
    Category,
    Check,
    Evaluation,
    Hit,
    Rule,
    Severity,
    SiteView,
    SnapshotView,
)

__all__ = [
    "RULES",
    "AuditContext",
    "Evaluation",
    "Hit",
    "Rule",
    "Severity",
    "SiteView",
    "SnapshotView",
    "UnknownRule",
    "evaluate",
    "get_rule",
    "rule",
]

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


def evaluate(ctx: AuditContext) -> Evaluation:
    """Run every rule that applies to the site; return the hits and the judged codes.

    A rule is skipped (and not judged) when it is for government sites and the site is not
    one, or when it needs a readable page and the snapshot is not one: a site that could not
    be fetched neither opens nor resolves filing findings. Hits are unique per (code,
    fingerprint), in code order. A rule that hits quiets the rules it ``supersedes`` on this
    site; they are still judged, so a finding of theirs resolves (the problem is now told
    by the more specific rule).
    """
    hits: list[tuple[Rule, Hit]] = []
    judged: set[str] = set()
    for item in RULES.values():
        if not item.applies(ctx):
            continue
        judged.add(item.code)
        seen: set[str] = set()
        for hit in item.check(ctx):
            if hit.fingerprint in seen:
                continue
            seen.add(hit.fingerprint)
            hits.append((item, hit))
    quiet = {code for item, _ in hits for code in item.supersedes}
    hits = [(item, hit) for item, hit in hits if item.code not in quiet]
    return Evaluation(hits=hits, judged=frozenset(judged))


def _sort_catalogue() -> None:
    ordered = sorted(RULES.items())
    RULES.clear()
    RULES.update(ordered)


# The rule modules register themselves through `rule` above, hence the late imports.
from audit.rules import availability, filing, government, registry  # noqa: E402, F401

_sort_catalogue()


def rules_of(category: Category) -> tuple[str, ...]:
    """The codes of a category's rules, in code order."""
    return tuple(code for code, r in RULES.items() if r.category == category)
