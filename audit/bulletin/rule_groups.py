"""The groups of rules a bulletin counts by, and the names it gives them."""

from __future__ import annotations

from audit.rules import get_rule, rules_of

# 未备案: the site shows no valid filing number of a kind (or one the registry lacks).
UNFILED_RULES = rules_of("unfiled")
ICP_UNFILED = tuple(c for c in UNFILED_RULES if get_rule(c).number_kind == "icp")
POLICE_UNFILED = tuple(c for c in UNFILED_RULES if get_rule(c).number_kind == "police")
# 未能核验: the page's footer is written by scripts or frames the crawl could not read.
UNVERIFIED_RULES = rules_of("unverified")
# 网络安全威胁: availability now, security signals later.
THREAT_RULES = frozenset((*rules_of("availability"), *rules_of("threat")))
