"""BA3xx: unreachable sites, redirects to unrelated domains, HTTP errors."""

from __future__ import annotations

import pytest

from audit.rules import evaluate
from tests.test_rules_support import hits, make_ctx

FILING_RULES = {"BA101", "BA102", "BA103", "BA111", "BA112", "BA113", "BA114", "BA115", "BA121"}


# -- BA301 unreachable for K consecutive runs ----------------------------------------------


def test_an_unreachable_snapshot_judges_no_filing_rule() -> None:
    ctx = make_ctx(None, outcome="dns_error", recent_outcomes=("dns_error", "ok", "ok"))
    evaluation = evaluate(ctx)
    # Its filing findings stay as they were: neither confirmed nor resolved.
    assert not FILING_RULES & evaluation.judged
    assert {"BA301", "BA302", "BA303"} <= evaluation.judged
    assert evaluation.hits == []  # one failed run is not yet BA301 (K = 2)


def test_ba301_after_k_consecutive_unreachable_runs() -> None:
    ctx = make_ctx(None, outcome="timeout", recent_outcomes=("timeout", "dns_error", "ok"))
    [hit] = hits("BA301", ctx)
    assert hit.fingerprint == ""
    assert hit.details["outcomes"] == ["timeout", "dns_error"]
    assert hit.details["kinds"] == ["dns_error", "timeout"]
    assert "dns_error" in hit.excerpt and "timeout" in hit.excerpt


def test_ba301_k_comes_from_the_context() -> None:
    outcomes = ("refused", "refused", "ok")
    assert hits("BA301", make_ctx(None, outcome="refused", recent_outcomes=outcomes)) != []
    k3 = make_ctx(None, outcome="refused", recent_outcomes=outcomes, unreachable_runs=3)
    assert hits("BA301", k3) == []
    short = make_ctx(None, outcome="refused", recent_outcomes=("refused",))
    assert hits("BA301", short) == []  # not enough history yet


@pytest.mark.parametrize("outcome", ["http_error", "robots_denied", "not_html", "redirect_loop"])
def test_ba301_a_server_that_answers_is_not_unreachable(outcome: str) -> None:
    ctx = make_ctx(None, outcome=outcome, recent_outcomes=(outcome, outcome, outcome))
    assert hits("BA301", ctx) == []


def test_ba301_resolves_once_the_site_answers() -> None:
    ctx = make_ctx(recent_outcomes=("ok", "timeout", "timeout"))
    evaluation = evaluate(ctx)
    assert "BA301" in evaluation.judged
    assert hits("BA301", ctx) == []


# -- BA302 redirect to an unrelated registrable domain -------------------------------------


def test_ba302_redirect_to_an_unrelated_domain() -> None:
    ctx = make_ctx(
        None,
        host="www.ycjyj.gov.cn",
        final_url="https://www.bet-example.com/index.html",
        redirect_chain=("http://www.ycjyj.gov.cn/",),
    )
    [hit] = hits("BA302", ctx)
    assert hit.fingerprint == ""
    assert hit.excerpt == "http://www.ycjyj.gov.cn/ → https://www.bet-example.com/index.html"
    assert hit.details["final_domain"] == "bet-example.com"


@pytest.mark.parametrize(
    ("host", "final_url"),
    [
        ("example.com", "https://www.example.com/"),  # www. of the same site
        ("www.example.com", "https://m.example.com/index.html"),  # another host of its domain
        # within yuncheng.gov.cn: a department folded into the city's portal
        ("www.jyj.yuncheng.gov.cn", "http://www.yuncheng.gov.cn/jyj/"),
        # two gov.cn domains: only government bodies hold them, so no takeover
        ("www.ycjyj.gov.cn", "http://www.yuncheng.gov.cn/"),
    ],
)
def test_ba302_silent_for_related_targets(host: str, final_url: str) -> None:
    assert hits("BA302", make_ctx(None, host=host, final_url=final_url)) == []


def test_ba302_silent_without_redirect() -> None:
    assert hits("BA302", make_ctx()) == []
    assert hits("BA302", make_ctx(None, outcome="dns_error", final_url=None)) == []


def test_ba302_a_gov_site_redirecting_out_of_gov_cn() -> None:
    ctx = make_ctx(None, host="www.jyj.yuncheng.gov.cn", final_url="http://yuncheng-edu.com/")
    assert len(hits("BA302", ctx)) == 1


# -- BA303 homepage answers an HTTP error --------------------------------------------------


def test_ba303_http_error_fingerprint_is_the_status_class() -> None:
    ctx_502 = make_ctx(None, outcome="http_error", http_status=502)
    ctx_503 = make_ctx(None, outcome="http_error", http_status=503)
    [hit] = hits("BA303", ctx_502)
    assert hit.fingerprint == "5xx"
    assert hit.excerpt.startswith("HTTP 502 ")
    assert hit.details["http_status"] == 502
    assert [h.fingerprint for h in hits("BA303", ctx_503)] == ["5xx"]  # one problem
    assert [
        h.fingerprint for h in hits("BA303", make_ctx(None, outcome="http_error", http_status=404))
    ] == ["4xx"]


def test_ba303_an_http_error_page_judges_no_filing_rule() -> None:
    # A 404 page may carry a footer, but it is not the homepage: filing rules wait.
    ctx = make_ctx(outcome="http_error", http_status=404)
    assert not FILING_RULES & evaluate(ctx).judged


def test_ba303_silent_for_a_page_that_answers() -> None:
    assert hits("BA303", make_ctx()) == []
    assert hits("BA303", make_ctx(None, outcome="timeout")) == []
