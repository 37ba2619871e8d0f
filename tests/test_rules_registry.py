"""The catalogue itself: codes, metadata, registration, evaluate(), stable fingerprints."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest

import audit.rules
from audit.rules import RULES, AuditContext, Hit, UnknownRule, evaluate, get_rule, rule
from tests.test_rules_support import make_ctx

EXPECTED = {
    "BA100": "info",
    "BA101": "high",
    "BA102": "medium",
    "BA103": "medium",
    "BA111": "medium",
    "BA112": "medium",
    "BA113": "low",
    "BA114": "info",
    "BA115": "low",
    "BA121": "high",
    "BA131": "high",
    "BA132": "medium",
    "BA201": "medium",
    "BA202": "medium",
    "BA203": "low",
    "BA301": "medium",
    "BA302": "high",
    "BA303": "medium",
}
CJK = re.compile(r"[\u4e00-\u9fff]")


def test_the_catalogue_in_code_order() -> None:
    assert list(RULES) == sorted(EXPECTED)
    assert {code: r.severity for code, r in RULES.items()} == EXPECTED


def test_registry_rules_are_judged_only_with_a_registry() -> None:
    ctx = make_ctx()  # no registry loaded
    assert not {"BA131", "BA132"} & evaluate(ctx).judged
    assert not any(code.startswith("BA4") for code in RULES)  # room for security signals


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_every_rule_has_its_texts(code: str) -> None:
    r = RULES[code]
    assert r.code == code
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)+", r.name)  # linter-style kebab-case
    assert CJK.search(r.message_zh) and CJK.search(r.advice_zh) and CJK.search(r.basis)
    # English, a Chinese term or example number aside
    for english in (r.message_en, r.advice_en):
        assert len(CJK.findall(english)) < len(english) / 5, english
    assert r.applies_to == ("government" if code.startswith("BA2") else "all")
    assert r.needs_reachable == (not code.startswith("BA3"))


def test_names_are_unique() -> None:
    names = [r.name for r in RULES.values()]
    assert len(names) == len(set(names))


def test_bases_cite_the_right_texts() -> None:
    assert "第十三条" in RULES["BA101"].basis and "信息产业部令第33号" in RULES["BA101"].basis
    assert "公安部令第33号" in RULES["BA111"].basis and "第十二条" in RULES["BA111"].basis
    assert "国办发〔2017〕47号" in RULES["BA201"].basis
    assert "https://beian.miit.gov.cn/" in RULES["BA101"].advice_zh


def test_get_rule() -> None:
    assert get_rule("BA101") is RULES["BA101"]
    assert get_rule(" ba302 ") is RULES["BA302"]
    with pytest.raises(KeyError) as raised:
        get_rule("BA999")
    assert isinstance(raised.value, UnknownRule)
    assert "BA999" in str(raised.value) and "BA101" in str(raised.value)


_META = {
    "name": "example-rule",
    "severity": "low",
    "needs_reachable": True,
    "category": "display",
    "basis": "《示例》",
    "message_zh": "示例",
    "message_en": "Example",
    "advice_zh": "示例",
    "advice_en": "Example",
}


def _never(ctx: AuditContext) -> Iterator[Hit]:
    yield from ()


def test_a_duplicate_code_raises() -> None:
    with pytest.raises(ValueError, match="BA101 is already registered"):
        rule(code="BA101", **_META)(_never)  # type: ignore[arg-type]
    assert RULES["BA101"].check is not _never


@pytest.mark.parametrize(
    ("code", "change", "message"),
    [
        ("BA1", {}, "not of the form"),
        ("BA499", {"severity": "critical"}, "severity"),
        ("BA499", {"applies_to": "companies"}, "applies_to"),
        ("BA499", {"advice_en": " "}, "empty advice_en"),
        ("BA499", {"supersedes": ("BA499",)}, "cannot supersede itself"),
        ("BA499", {"category": "misc"}, "category"),
    ],
)
def test_bad_metadata_raises(code: str, change: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        rule(code=code, **{**_META, **change})(_never)  # type: ignore[arg-type]
    assert code not in RULES


def test_adding_a_rule_is_one_function(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(audit.rules.catalogue, "RULES", dict(RULES))

    @rule(code="BA401", **{**_META, "needs_reachable": False})  # type: ignore[arg-type]
    def plain_http(ctx: AuditContext) -> Iterator[Hit]:
        if ctx.snapshot.url.startswith("http://"):
            yield Hit(fingerprint="", excerpt=ctx.snapshot.url, details={})

    evaluation = audit.rules.evaluate(make_ctx())
    assert [(r.code, h.excerpt) for r, h in evaluation.hits] == [
        ("BA401", "http://www.example.com/")
    ]
    assert "BA401" in evaluation.judged
    assert "BA401" not in RULES  # the real catalogue is untouched


def test_hits_are_unique_per_fingerprint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(audit.rules.catalogue, "RULES", {})

    @rule(code="BA499", **_META)  # type: ignore[arg-type]
    def twice(ctx: AuditContext) -> Iterator[Hit]:
        yield Hit(fingerprint="a", excerpt="first", details={})
        yield Hit(fingerprint="a", excerpt="again", details={})
        yield Hit(fingerprint="b", excerpt="other", details={})

    hits = audit.rules.evaluate(make_ctx()).hits
    assert [(h.fingerprint, h.excerpt) for _, h in hits] == [("a", "first"), ("b", "other")]


def test_a_rendered_snapshot_is_judged() -> None:
    # The crawler renders only pages it could read; the flag alone makes a page readable.
    ctx = make_ctx(outcome="too_large", rendered=True)
    assert "BA101" in evaluate(ctx).judged
    assert "BA101" not in evaluate(make_ctx(outcome="too_large")).judged


# -- stable fingerprints, JSON-able details ------------------------------------------------

# Footers that trip most rules at once.
MESSY = (
    "京ICP备xxxxxxxx号 晋ICP备2021004567号-1 "
    '<a href="http://www.miibeian.gov.cn/">晋ICP备2021004568号</a> '
    "晋公网安备11010502030143号 京公网安备11000000000001号"
)


def _contexts(run_id: int, snapshot_id: int) -> list[AuditContext]:
    users = {"晋ICP备2021004567号-1": frozenset({"甲公司", "乙公司"})}
    common = {"run_id": run_id, "snapshot_id": snapshot_id}
    return [
        make_ctx(MESSY, icp_users=users, **common),
        make_ctx(MESSY, host="www.ycjyj.gov.cn", government=True, **common),
        make_ctx(None, outcome="timeout", recent_outcomes=("timeout", "dns_error"), **common),
        make_ctx(None, host="www.ycjyj.gov.cn", final_url="http://bet.example.com/", **common),
        make_ctx(None, outcome="http_error", http_status=500, **common),
        make_ctx("版权所有", reading="partial", reading_gaps=("script_shell",), **common),
    ]


def _fingerprints(contexts: list[AuditContext]) -> list[list[tuple[str, str]]]:
    return [[(r.code, h.fingerprint) for r, h in evaluate(ctx).hits] for ctx in contexts]


def test_fingerprints_are_stable_across_runs() -> None:
    first = _fingerprints(_contexts(run_id=11, snapshot_id=101))
    again = _fingerprints(_contexts(run_id=11, snapshot_id=101))
    later = _fingerprints(_contexts(run_id=987654, snapshot_id=123456789))
    assert first == again == later
    # Every rule fires somewhere in these contexts (the hijacked page shows no numbers);
    # the registry rules need a registry: tests/test_registry.py.
    assert {code for site in first for code, _ in site} == set(EXPECTED) - {"BA131", "BA132"}
    for site in later:
        for _, fingerprint in site:
            assert "987654" not in fingerprint and "123456789" not in fingerprint


def test_the_messy_footer_trips_the_expected_rules() -> None:
    users = {"晋ICP备2021004567号-1": frozenset({"甲公司", "乙公司"})}
    found = {(r.code, h.fingerprint) for r, h in evaluate(make_ctx(MESSY, icp_users=users)).hits}
    assert found == {
        ("BA102", "京ICP备xxxxxxxx号"),
        ("BA103", "unlinked:晋ICP备2021004567号-1"),
        ("BA103", "outdated:晋ICP备2021004568号"),
        ("BA112", "京公网安备11000000000001号"),
        ("BA113", "晋公网安备11010502030143号"),
        ("BA114", "晋公网安备11010502030143号"),
        ("BA115", "晋公网安备11010502030143号"),
        ("BA121", "晋ICP备2021004567号-1"),
    }


def test_details_are_json() -> None:
    for ctx in _contexts(run_id=1, snapshot_id=1):
        for r, h in evaluate(ctx).hits:
            json.dumps(h.details, ensure_ascii=False)
            assert isinstance(h.excerpt, str), r.code


def test_every_superseded_code_is_in_the_catalogue() -> None:
    for item in RULES.values():
        assert set(item.supersedes) <= set(RULES), item.code


def test_each_rule_declares_what_it_is_about_and_the_bulletin_groups_by_it() -> None:
    from audit.bulletin.compile import ICP_UNFILED, POLICE_UNFILED, THREAT_RULES, UNFILED_RULES
    from audit.rules.model import CATEGORIES

    assert {r.category for r in RULES.values()} <= set(CATEGORIES)
    assert tuple(c for c, r in RULES.items() if r.category == "unfiled") == UNFILED_RULES
    assert (ICP_UNFILED, POLICE_UNFILED) == (("BA101", "BA102"), ("BA111", "BA112"))
    assert {"BA301", "BA302", "BA303"} <= THREAT_RULES
    # the registry's cross-checks are judged only with a registry loaded
    assert {c for c, r in RULES.items() if r.needs_registry} == {"BA131", "BA132"}
