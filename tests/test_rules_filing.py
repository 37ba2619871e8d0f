"""BA1xx: ICP and public-security numbers, judged on footers run through the real extractor."""

from __future__ import annotations

from audit.rules import evaluate, get_rule
from tests.test_rules_support import MIIT, MPS, fingerprints, hits, make_ctx

ICP = "晋ICP备2021004567号-1"
LINKED_ICP = f'<a href="{MIIT}">{ICP}</a>'
POLICE = "晋公网安备14080202000123号"
LINKED_POLICE = f'<a href="{MPS}14080202000123">{POLICE}</a>'


# -- BA101 ICP number not shown ------------------------------------------------------------


def test_ba101_fires_once_when_the_footer_has_no_icp_number() -> None:
    ctx = make_ctx(f"版权所有：运城市某某有限公司 {LINKED_POLICE}")
    [hit] = hits("BA101", ctx)
    assert hit.fingerprint == ""
    assert "版权所有" in hit.excerpt  # the footer, as evidence of what is shown instead
    assert hit.details["shown_invalid"] == []


def test_ba101_silent_when_a_linked_number_is_shown() -> None:
    assert hits("BA101", make_ctx(LINKED_ICP)) == []


def test_a_placeholder_is_one_finding_ba102_not_also_ba101() -> None:
    # One problem, one finding: the specific rule (malformed or placeholder) tells the unit
    # what to fix; "no number shown" stays quiet but is judged, so an open BA101 resolves.
    ctx = make_ctx(f"京ICP备xxxxxxxx号 {LINKED_POLICE}")
    assert hits("BA101", ctx) == []
    assert "BA101" in evaluate(ctx).judged
    [placeholder] = hits("BA102", ctx)
    assert placeholder.fingerprint == "京ICP备xxxxxxxx号"
    assert placeholder.excerpt == "京ICP备xxxxxxxx号"
    assert placeholder.details["placeholder"] is True
    assert "placeholder" in placeholder.details["reasons"]
    # Asking to link a placeholder makes no sense: BA102 asks for the real number.
    assert hits("BA103", ctx) == []


def test_a_malformed_number_is_ba102_with_its_reasons() -> None:
    # Five digits: one short of the oldest numbers, a typo of a real one.
    ctx = make_ctx(f'<a href="{MIIT}">晋ICP备50213号</a>')
    [malformed] = hits("BA102", ctx)
    assert malformed.fingerprint == "晋ICP备50213号"
    assert malformed.details["reasons"] == ["digit_count"]
    assert malformed.details["placeholder"] is False
    assert hits("BA101", ctx) == []  # BA102 says it: no second finding for one problem


def test_a_number_too_short_to_be_issued_is_a_placeholder() -> None:
    # 晋ICP备123号, 广东ICP备1314号: fewer digits than any number ever had.
    ctx = make_ctx(f'<a href="{MIIT}">晋ICP备123号</a>')
    [shown] = hits("BA102", ctx)
    assert shown.details["placeholder"] is True
    assert hits("BA101", ctx) == []


def test_a_malformed_number_beside_a_valid_one_is_ba102_alone() -> None:
    # A malformed number beside a valid one: BA102 alone (BA101 would not fire anyway).
    ctx = make_ctx(f"{LINKED_ICP} 晋ICP备123号")
    assert fingerprints("BA102", ctx) == ["晋ICP备123号"]
    assert hits("BA101", ctx) == []


def test_a_licence_shaped_filing_number_counts_as_shown() -> None:
    ctx = make_ctx(f'京ICP证030173号 <a href="{MIIT}">京ICP证030173号-1</a>')
    assert hits("BA101", ctx) == []
    assert hits("BA102", ctx) == []


def test_a_licence_alone_is_no_filing_number() -> None:
    [hit] = hits("BA101", make_ctx("京ICP证030173号"))
    assert hit.details["licences"] == ["京ICP证030173号"]


# -- BA103 ICP number not linked, or linked to the retired host ---------------------------


def test_ba103_unlinked_number() -> None:
    [hit] = hits("BA103", make_ctx(ICP))
    assert hit.fingerprint == f"unlinked:{ICP}"
    assert hit.excerpt == ICP
    assert hit.details["problem"] == "unlinked"
    assert hit.details["number"] == ICP


def test_ba103_outdated_link_has_its_own_fingerprint() -> None:
    ctx = make_ctx(f'<a href="http://www.miibeian.gov.cn/">{ICP}</a>')
    [hit] = hits("BA103", ctx)
    assert hit.fingerprint == f"outdated:{ICP}"
    assert hit.excerpt == f"{ICP} → http://www.miibeian.gov.cn/"
    assert hit.details["link_url"] == "http://www.miibeian.gov.cn/"
    assert hit.fingerprint != fingerprints("BA103", make_ctx(ICP))[0]


def test_ba103_link_to_the_wrong_registry_is_not_linked() -> None:
    # An ICP number linked to the public-security platform: linked=False, link_registry=mps.
    [hit] = hits("BA103", make_ctx(f'<a href="{MPS}14080202000123">{ICP}</a>'))
    assert hit.fingerprint == f"unlinked:{ICP}"
    assert hit.details["link_registry"] == "mps"


def test_ba103_silent_for_a_current_link() -> None:
    assert hits("BA103", make_ctx(LINKED_ICP)) == []
    www = f'<a href="https://www.beian.miit.gov.cn/#/Integrated/index">{ICP}</a>'
    assert hits("BA103", make_ctx(www)) == []


# -- BA111 / BA112 / BA113 public-security number shown, well formed, linked ---------------


def test_ba111_fires_without_a_police_number() -> None:
    [hit] = hits("BA111", make_ctx(LINKED_ICP))
    assert hit.fingerprint == ""
    assert hits("BA111", make_ctx(f"{LINKED_ICP} {LINKED_POLICE}")) == []


def test_a_police_placeholder_is_ba112_alone() -> None:
    ctx = make_ctx(f"{LINKED_ICP} 京公网安备11000000000001号")
    assert hits("BA111", ctx) == []  # superseded by the more specific BA112
    assert fingerprints("BA112", ctx) == ["京公网安备11000000000001号"]
    # Neither linked nor in the jurisdiction, but a placeholder is not judged on that.
    assert hits("BA113", ctx) == []
    assert hits("BA114", ctx) == []


def test_ba113_unlinked_police_number() -> None:
    ctx = make_ctx(f"{LINKED_ICP} {POLICE}")
    [hit] = hits("BA113", ctx)
    assert hit.fingerprint == POLICE
    assert hit.excerpt == POLICE
    assert hits("BA113", make_ctx(f"{LINKED_ICP} {LINKED_POLICE}")) == []


def test_ba113_police_number_linked_to_the_icp_registry() -> None:
    [hit] = hits("BA113", make_ctx(f'{LINKED_ICP} <a href="{MIIT}">{POLICE}</a>'))
    assert hit.details["link_registry"] == "miit"
    assert hit.excerpt == f"{POLICE} → {MIIT}"


def test_ba113_accepts_the_new_platform() -> None:
    new = f'<a href="https://beian.mps.gov.cn/#/query/webSearch?code=14080202000123">{POLICE}</a>'
    assert hits("BA113", make_ctx(f"{LINKED_ICP} {new}")) == []


# -- BA114 / BA115 where the police number comes from ---------------------------------------


def test_ba114_police_number_from_outside_the_jurisdiction_is_info() -> None:
    beijing = "京公网安备11010502030143号"
    ctx = make_ctx(f'{LINKED_ICP} <a href="{MPS}11010502030143">{beijing}</a>')
    [hit] = hits("BA114", ctx)
    assert get_rule("BA114").severity == "info"
    assert hit.fingerprint == beijing
    assert hit.details["division_code"] == "110105"
    assert hit.details["division_full_name"] == "北京市朝阳区"
    assert hit.details["jurisdiction"] == "运城市"
    assert hits("BA115", ctx) == []  # 京 and 11: they agree


def test_ba114_silent_inside_the_jurisdiction() -> None:
    assert hits("BA114", make_ctx()) == []


def test_ba115_province_disagrees_with_the_code() -> None:
    wrong = "晋公网安备11010502030143号"  # a Beijing code under 晋
    ctx = make_ctx(f'{LINKED_ICP} <a href="{MPS}11010502030143">{wrong}</a>')
    [hit] = hits("BA115", ctx)
    assert hit.fingerprint == wrong
    assert hit.details["province"] == "晋"
    assert hit.details["expected_province"] == "京"


def test_ba115_silent_when_the_prefix_is_inferred() -> None:
    # No province shown: the extractor takes it from the code (province_matches_code None).
    ctx = make_ctx(f'{LINKED_ICP} <a href="{MPS}14080202000123">公网安备14080202000123号</a>')
    assert hits("BA115", ctx) == []
    # The extractor counts a missing prefix as malformed: BA112 says so.
    [malformed] = hits("BA112", ctx)
    assert "missing_province" in malformed.details["reasons"]


# -- BA121 a number shown by sites of different sponsors -----------------------------------


def test_ba121_borrowed_number_two_sponsors() -> None:
    users = {ICP: frozenset({"运城市甲有限公司", "运城市乙有限公司"})}
    ctx = make_ctx(LINKED_ICP, sponsor="运城市乙有限公司", icp_users=users)
    [hit] = hits("BA121", ctx)
    assert get_rule("BA121").severity == "high"
    assert hit.fingerprint == ICP
    assert hit.details["sponsors"] == ["运城市乙有限公司", "运城市甲有限公司"]


def test_ba121_same_sponsor_on_two_hosts_is_not_borrowed() -> None:
    # The lead's icp_users is per sponsor: two hosts of one sponsor give one entry.
    users = {ICP: frozenset({"运城市甲有限公司"})}
    assert hits("BA121", make_ctx(LINKED_ICP, sponsor="运城市甲有限公司", icp_users=users)) == []
    # Spacing and bracket width are not a different sponsor.
    users = {ICP: frozenset({"运城市甲有限公司（分公司）", "运城市 甲有限公司(分公司)"})}
    assert hits("BA121", make_ctx(LINKED_ICP, icp_users=users)) == []


def test_ba121_a_host_without_sponsor_proves_nothing() -> None:
    users = {ICP: frozenset({"运城市甲有限公司", "www.other-example.com"})}
    assert hits("BA121", make_ctx(LINKED_ICP, icp_users=users)) == []


def test_ba121_ignores_placeholders_shared_by_a_theme() -> None:
    users = {"京ICP备xxxxxxxx号": frozenset({"甲公司", "乙公司", "丙公司"})}
    assert hits("BA121", make_ctx("京ICP备xxxxxxxx号", icp_users=users)) == []


def test_ba121_the_site_index_matters() -> None:
    # 晋ICP备2021004567号-2 of another sponsor is another site of the same subject: the
    # key is the number with its index, so -1 here is not shared.
    users = {
        ICP: frozenset({"运城市甲有限公司"}),
        "晋ICP备2021004567号-2": frozenset({"运城市乙有限公司"}),
    }
    assert hits("BA121", make_ctx(LINKED_ICP, icp_users=users)) == []


# -- all filing rules ----------------------------------------------------------------------


def test_filing_rules_judge_every_readable_site() -> None:
    judged = evaluate(make_ctx()).judged
    assert {"BA101", "BA102", "BA103", "BA111", "BA112", "BA113", "BA114", "BA115"} <= judged
    assert "BA121" in judged


# -- BA100 a homepage not fully read ---------------------------------------------------


def test_a_partial_reading_accuses_no_one_and_says_why() -> None:
    # The footer box is filled by a script the crawl could not run: no "no ICP number".
    ctx = make_ctx(
        "版权所有 运城市某局",
        reading="partial",
        reading_gaps=("script_writes_footer", "empty_footer"),
    )
    codes = [rule.code for rule, _ in evaluate(ctx).hits]
    assert codes == ["BA100"]
    assert not {"BA101", "BA111"} & evaluate(ctx).judged  # an open BA101 neither resolves
    [hit] = hits("BA100", ctx)
    assert hit.excerpt == "页脚由页面脚本拼接生成；页脚区域为空，内容由脚本填充"
    assert hit.details["icp_shown"] is False
    assert get_rule("BA100").severity == "info"  # for the centre: never in a letter


def test_a_partial_reading_still_reports_what_it_did_see() -> None:
    # A malformed number shown in the served HTML is wrong whatever scripts add.
    ctx = make_ctx("晋ICP备123号", reading="partial", reading_gaps=("script_shell",))
    assert {"BA100", "BA102"} <= {rule.code for rule, _ in evaluate(ctx).hits}


def test_a_complete_reading_is_not_ba100() -> None:
    assert hits("BA100", make_ctx("版权所有 运城市某局")) == []
    assert len(hits("BA101", make_ctx("版权所有 运城市某局"))) == 1
