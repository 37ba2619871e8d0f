"""Checking single numbers (audit.notices.validate) and the GB/T 2260 table."""

from __future__ import annotations

import datetime

import pytest

from audit.config import load_builtin_profile
from audit.notices import divisions, extract_notices, validate

TODAY = datetime.date(2025, 11, 1)
YUNCHENG = load_builtin_profile("yuncheng")


# -- ICP filing numbers ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("province", "digits", "site", "number", "reasons"),
    [
        ("晋", "2021004567", "1", "晋ICP备2021004567号-1", ()),
        ("蜀", "08088888", None, "蜀ICP备08088888号", ()),
        ("京", "050123", None, "京ICP备050123号", ("historical_short_form",)),
        ("晋", "2031004567", None, "晋ICP备2031004567号", ("future_year",)),
        ("粤", "80253699", "5", "粤ICP备80253699号-5", ("future_year",)),  # 2080
        ("晋", "2015004567", None, "晋ICP备2015004567号", ("year_before_10_digit_form",)),
        ("晋", "202100456", None, "晋ICP备202100456号", ("digit_count",)),
        (None, "2021004567", None, "ICP备2021004567号", ("missing_province", "placeholder")),
        ("晋", "2021004567", "0", "晋ICP备2021004567号-0", ("bad_site_index",)),
    ],
)
def test_icp_filing(
    province: str | None, digits: str, site: str | None, number: str, reasons: tuple[str, ...]
) -> None:
    checked = validate.icp_filing(province, digits, site, TODAY)
    assert checked.number == number
    assert checked.reasons == reasons
    assert checked.main_number == number.split("号")[0] + "号"


@pytest.mark.parametrize(
    "token",
    [
        "xxxxxxxx",
        "XXXXXXXX",
        "2021xxxxxx",
        "12345678",
        "00000000",
        "88888888",
        "10000000",
        "2021000000",
    ],
)
def test_icp_placeholders(token: str) -> None:
    checked = validate.icp_filing("晋", token, None, TODAY)
    assert checked.placeholder
    assert "placeholder" in checked.reasons


@pytest.mark.parametrize(
    "token", ["{$cfg_beian}", "{{ site.icp }}", "${icp}", "<?php echo $icp; ?>"]
)
def test_icp_template_variables(token: str) -> None:
    checked = validate.icp_filing(None, token, None, TODAY)
    assert checked.placeholder
    assert checked.reasons == ("template_variable", "placeholder")


def test_the_ten_digit_year_can_be_this_year() -> None:
    assert validate.icp_filing("晋", "2025000123", None, TODAY).reasons == ()
    assert validate.icp_filing("晋", "2026000123", None, TODAY).reasons == ("future_year",)


# -- licences -------------------------------------------------------------------------


def test_licences() -> None:
    assert validate.icp_licence("京", "030173", None).number == "京ICP证030173号"
    assert validate.icp_licence("京", "030173", "1").number == "京ICP证030173号-1"
    assert validate.telecom_licence("京", "B2", "20090059", None, TODAY).reasons == ()
    cross = validate.telecom_licence(None, "A2.B1", "20232628", None, TODAY)
    assert (cross.number, cross.reasons) == ("A2.B1-20232628", ("cross_region",))
    assert validate.telecom_licence("粤", "B2", "20090191", "2", TODAY).number == "粤B2-20090191-2"


# -- police numbers -------------------------------------------------------------------


def test_police_in_the_jurisdiction() -> None:
    checked = validate.police("晋", "14080202000231", YUNCHENG)
    assert checked.number == "晋公网安备14080202000231号"
    assert checked.reasons == ()
    assert (checked.division_code, checked.division_name) == ("140802", "盐湖区")
    assert checked.division_full_name == "山西省运城市盐湖区"
    assert checked.in_jurisdiction is True
    assert checked.province_matches_code is True
    assert validate.police("晋", "14010502000123", YUNCHENG).in_jurisdiction is False
    assert validate.police("晋", "14080202000231", None).in_jurisdiction is None


@pytest.mark.parametrize(
    ("province", "digits"),
    [
        ("川", "51162202511779"),
        ("蜀", "51162202511779"),
        ("贵", "52010202000123"),
        ("黔", "52010202000123"),
        ("甘", "62010202000456"),
        ("陇", "62010202000456"),
        ("滇", "53010302000732"),
        ("云", "53010302000732"),
    ],
)
def test_either_abbreviation_agrees_with_the_code(province: str, digits: str) -> None:
    checked = validate.police(province, digits, None)
    assert checked.province_matches_code is True
    assert "province_code_mismatch" not in checked.reasons


def test_missing_province_is_taken_from_the_code() -> None:
    checked = validate.police(None, "51162202511779", None)
    assert checked.number == "川公网安备51162202511779号"  # police numbers use 川, not 蜀
    assert checked.province_inferred
    assert checked.province_matches_code is None
    assert "missing_province" in checked.reasons


def test_prefix_contradicting_the_code_is_kept_and_flagged() -> None:
    checked = validate.police("晋", "32048202000083", YUNCHENG)
    assert checked.number == "晋公网安备32048202000083号"
    assert checked.province_matches_code is False
    assert {"province_code_mismatch", "retired_code"} <= set(checked.reasons)
    assert checked.division_retired == 2015
    assert checked.division_name == "金坛市"


def test_unknown_code_is_a_doubt_not_an_error() -> None:
    checked = validate.police("京", "11040102700068", None)
    assert checked.reasons == ("code_not_in_gb2260",)
    assert checked.division_name is None


def test_a_number_that_contradicts_itself_is_not_valid() -> None:
    # 14 is Shanxi, not Beijing; and 149999 is no division of GB/T 2260: nothing in the
    # number says where it was issued.
    found = extract_notices("<footer>京公网安备14999902000123号</footer>", "http://x.cn/")
    [number] = found.police
    assert {"province_code_mismatch", "code_not_in_gb2260", "self_contradictory"} <= set(
        number.reasons
    )
    assert number.valid is False
    # Each doubt alone is kept as a remark, the number still counted.
    [alone] = extract_notices("<footer>京公网安备11040102700068号</footer>", "http://x.cn/").police
    assert alone.valid is True


def test_old_twelve_digit_numbers() -> None:
    checked = validate.police("京", "110105008661", None)
    assert checked.reasons == ("historical_12_digit_form",)
    assert checked.division_code == "110105"


@pytest.mark.parametrize(
    "digits",
    ["11000000000001", "11010000000000", "14080200000000", "11111111111111", "xxxxxxxxxxxxxx"],
)
def test_police_placeholders(digits: str) -> None:
    assert validate.police("京", digits, None).placeholder


def test_real_province_level_codes_are_not_placeholders() -> None:
    # Baidu's real number: province-level organ 110000, serial 02000001.
    assert not validate.police("京", "11000002000001", None).placeholder


# -- site codes -----------------------------------------------------------------------


def test_site_codes() -> None:
    assert validate.site_code("1408000001", YUNCHENG) == ("1408000001", (), True)
    assert validate.site_code("BM07000001", YUNCHENG) == ("bm07000001", (), False)
    assert validate.site_code("1400000045", None) == ("1400000045", (), None)
    assert "unknown_province" in validate.site_code("9900000001", None)[1]


# -- the GB/T 2260 table --------------------------------------------------------------


def test_table_has_the_profile_divisions_in_force() -> None:
    for code, name in YUNCHENG.divisions.items():
        division = divisions.lookup(code)
        assert division is not None, code
        assert division.name == name
        assert division.retired_year is None


@pytest.mark.parametrize(
    ("code", "name", "retired"),
    [
        ("320482", "金坛市", 2015),
        ("110103", "崇文区", 2010),
        ("142729", "闻喜县", 2000),
        ("140202", "城区", 2018),
        ("230702", "伊春区", 2019),
        ("500105", "江北区", 2025),
    ],
)
def test_retired_codes_keep_their_year(code: str, name: str, retired: int) -> None:
    division = divisions.lookup(code)
    assert division is not None
    assert (division.name, division.retired_year) == (name, retired)


def test_full_names_use_the_names_of_their_time() -> None:
    old = divisions.lookup("142729")
    assert old is not None and old.full_name == "山西省运城地区闻喜县"
    beijing = divisions.lookup("110105")
    assert beijing is not None and beijing.full_name == "北京市朝阳区"


def test_province_abbreviations() -> None:
    assert divisions.province_prefix("蜀") == divisions.province_prefix("川") == "51"
    assert divisions.police_abbr("510104") == "川"
    assert divisions.province_prefix("萌") is None
