"""Building audit contexts for the rule tests, from small HTML footers.

The notice rows come from the real extractor (``Notices.records()``, what the crawler
stores), so that the rules are tested against what they will really read.
"""

from __future__ import annotations

import dataclasses
import datetime
from typing import Any

from audit.config import load_builtin_profile
from audit.notices import extract_from_tree, footer_text, parse_html
from audit.page.domains import registrable_domain
from audit.rules import AuditContext, Rule, SiteView, SnapshotView, evaluate, get_rule

YUNCHENG = load_builtin_profile("yuncheng")
TODAY = datetime.date(2025, 11, 1)

MIIT = "https://beian.miit.gov.cn/"
MPS = "http://www.beian.gov.cn/portal/registerSystemInfo?recordcode="

# A footer that every rule is happy with: linked ICP and police numbers from 盐湖区.
GOOD_FOOTER = (
    f'<a href="{MIIT}">晋ICP备2021004567号-1</a> '
    f'<a href="{MPS}14080202000123">晋公网安备14080202000123号</a>'
)
# The same, plus what a government site shows besides.
GOV_FOOTER = (
    "主办单位：运城市教育局 网站标识码：1408000012 "
    '<a href="https://bszs.conac.cn/sitename?method=show&id=123"><img src="red.png"></a> '
    + GOOD_FOOTER
)


def page(footer: str, title: str = "某单位网站") -> str:
    return (
        f"<html><head><title>{title}</title></head><body><div class='main'>首页内容</div>"
        f"<div class='footer'>{footer}</div></body></html>"
    )


def make_ctx(footer: str | None = GOOD_FOOTER, **overrides: Any) -> AuditContext:
    """A context for one site whose homepage shows ``footer``; keyword overrides set the
    site (host, sponsor, government, ...), the snapshot (outcome, http_status, final_url,
    rendered, notices, reading, ...) or the context (recent_outcomes, icp_users, unreachable_runs).
    """
    host = overrides.pop("host", "www.example.com")
    url = overrides.pop("url", f"http://{host}/")
    notices: tuple[dict[str, Any], ...] = ()
    text = None
    if footer is not None:
        doc = parse_html(page(footer))
        assert doc is not None
        notices = tuple(extract_from_tree(doc, url, profile=YUNCHENG, today=TODAY).records())
        text = footer_text(doc)
    site = SiteView(
        id=7,
        host=host,
        registrable_domain=registrable_domain(host),
        name=overrides.pop("name", "某单位网站"),
        sponsor=overrides.pop("sponsor", None),
        district=overrides.pop("district", "盐湖区"),
        category=overrides.pop("category", None),
        key_unit=overrides.pop("key_unit", False),
        government=overrides.pop("government", False),
    )
    outcome = overrides.pop("outcome", "ok")
    snapshot = SnapshotView(
        id=overrides.pop("snapshot_id", 101),
        run_id=overrides.pop("run_id", 11),
        outcome=outcome,
        http_status=overrides.pop("http_status", 200 if outcome in ("ok", "http_error") else None),
        url=url,
        final_url=overrides.pop("final_url", url if outcome == "ok" else None),
        redirect_chain=tuple(overrides.pop("redirect_chain", ())),
        title=overrides.pop("title", "某单位网站"),
        footer_text=overrides.pop("footer_text", text),
        rendered=overrides.pop("rendered", False),
        notices=tuple(overrides.pop("notices", notices)),
        reading=overrides.pop("reading", "complete"),
        reading_gaps=tuple(overrides.pop("reading_gaps", ())),
    )
    # By default the site is the only one showing its numbers.
    own = site.sponsor or host
    default_users = {row.number: frozenset({own}) for row in snapshot.notices if row.kind == "icp"}
    ctx = AuditContext(
        site=site,
        snapshot=snapshot,
        recent_outcomes=tuple(overrides.pop("recent_outcomes", (outcome,))),
        profile=YUNCHENG,
        icp_users=overrides.pop("icp_users", default_users),
        unreachable_runs=overrides.pop("unreachable_runs", 2),
    )
    assert not overrides, f"unknown overrides: {sorted(overrides)}"
    return ctx


def hits(code: str, ctx: AuditContext) -> list[Any]:
    """The hits of one rule, through evaluate() so that applies_to/needs_reachable count."""
    return [hit for rule, hit in evaluate(ctx).hits if rule.code == code]


def fingerprints(code: str, ctx: AuditContext) -> list[str]:
    return [hit.fingerprint for hit in hits(code, ctx)]


def rule_of(code: str) -> Rule:
    return get_rule(code)


# -- the helpers themselves --------------------------------------------------------------


def test_make_ctx_rows_are_what_the_crawler_stores() -> None:
    ctx = make_ctx()
    kinds = [row.kind for row in ctx.snapshot.notices]
    assert kinds == ["icp", "police"]
    icp = ctx.snapshot.notices[0]
    # every column of the store's notices table, typed
    assert {f.name for f in dataclasses.fields(icp)} == {
        "kind", "number", "raw", "valid", "linked", "source", "details"
    }  # fmt: skip
    assert icp.number == "晋ICP备2021004567号-1" and icp.shown
    assert icp.details["site_index"] == 1
    assert "晋ICP备2021004567号-1" in (ctx.snapshot.footer_text or "")


def test_good_footers_raise_nothing() -> None:
    assert evaluate(make_ctx()).hits == []
    assert (
        evaluate(make_ctx(GOV_FOOTER, host="www.jyj.yuncheng.gov.cn", government=True)).hits == []
    )
