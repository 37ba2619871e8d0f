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

from audit.rules import catalogue
from audit.rules.catalogue import RULES, UnknownRule, get_rule, rule
from audit.rules.model import (
    AuditContext,
    Category,
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
    for item in catalogue.RULES.values():
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
    ordered = sorted(catalogue.RULES.items())
    catalogue.RULES.clear()
    catalogue.RULES.update(ordered)


# Each rule module registers its rules in the catalogue when imported; then sort it.
from audit.rules import availability, filing, government, registry  # noqa: E402, F401

_sort_catalogue()


def rules_of(category: Category) -> tuple[str, ...]:
    """The codes of a category's rules, in code order."""
    return tuple(code for code, r in catalogue.RULES.items() if r.category == category)
