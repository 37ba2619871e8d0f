"""BA2xx: what a government website shows (site code, conac badge, sponsor)."""

from __future__ import annotations

from audit.rules import evaluate
from tests.test_rules_support import GOOD_FOOTER, GOV_FOOTER, hits, make_ctx

GOV_HOST = "www.jyj.yuncheng.gov.cn"
GOV_RULES = {"BA201", "BA202", "BA203"}


def test_a_complete_government_footer_raises_nothing() -> None:
    ctx = make_ctx(GOV_FOOTER, host=GOV_HOST, government=True)
    assert evaluate(ctx).hits == []
    assert evaluate(ctx).judged >= GOV_RULES


def test_a_government_site_with_only_filing_numbers_misses_all_three() -> None:
    ctx = make_ctx(GOOD_FOOTER, host=GOV_HOST, government=True)
    for code in sorted(GOV_RULES):
        [hit] = hits(code, ctx)
        assert hit.fingerprint == ""
        assert "晋ICP备2021004567号-1" in hit.excerpt  # the footer as evidence


def test_ba201_site_code_missing_or_a_placeholder() -> None:
    without = GOV_FOOTER.replace("网站标识码：1408000012 ", "")
    assert len(hits("BA201", make_ctx(without, host=GOV_HOST, government=True))) == 1
    placeholder = GOV_FOOTER.replace("1408000012", "1400000000")
    [hit] = hits("BA201", make_ctx(placeholder, host=GOV_HOST, government=True))
    assert hit.details["shown_invalid"] == ["1400000000"]


def test_ba202_conac_badge_missing() -> None:
    without = GOV_FOOTER.split('<a href="https://bszs')[0] + GOOD_FOOTER
    ctx = make_ctx(without, host=GOV_HOST, government=True)
    assert len(hits("BA202", ctx)) == 1
    assert hits("BA201", ctx) == [] and hits("BA203", ctx) == []


def test_ba203_sponsor_missing() -> None:
    without = GOV_FOOTER.replace("主办单位：运城市教育局 ", "")
    ctx = make_ctx(without, host=GOV_HOST, government=True)
    assert len(hits("BA203", ctx)) == 1
    assert hits("BA201", ctx) == [] and hits("BA202", ctx) == []


def test_government_rules_are_not_applied_to_a_company_site() -> None:
    ctx = make_ctx(GOOD_FOOTER, host="www.example.com", government=False)
    evaluation = evaluate(ctx)
    assert not GOV_RULES & evaluation.judged  # not judged: nothing opened, nothing resolved
    assert not any(rule.code in GOV_RULES for rule, _ in evaluation.hits)


def test_government_rules_need_a_readable_page() -> None:
    ctx = make_ctx(None, host=GOV_HOST, government=True, outcome="timeout")
    assert not GOV_RULES & evaluate(ctx).judged
