"""Normalise and check one number of each kind. Pure functions: no DOM here.

Each returns the normalised number and machine-readable reasons (see
``audit.notices.model.FATAL_REASONS`` for those that make a number invalid).
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from audit.config import Profile
from audit.notices import divisions
from audit.notices.patterns import TEMPLATE_RE

_SEQUENCES = ("0123456789", "1234567890", "9876543210")
# Defaults that site themes ship in place of a police number.
_THEME_POLICE_DEFAULTS = frozenset({"11000000000001", "11010000000000", "12345678901234"})
# What templates write for the province: 省ICP备…, 某公网安备….
DUMMY_PROVINCES = frozenset({"省", "某", "某省", "某某"})


def _is_sequence(digits: str) -> bool:
    return len(digits) >= 6 and any(digits in seq or seq in digits for seq in _SEQUENCES)


def _is_motif(digits: str) -> bool:
    """A short motif repeated (101010, 121212, 123123), or two runs of one digit each
    (111222, 55556666): typed, not issued."""
    return len(digits) >= 6 and (
        any(
            len(digits) % size == 0 and digits == digits[:size] * (len(digits) // size)
            for size in (2, 3)
        )
        or _TWO_RUNS.fullmatch(digits) is not None
    )


_TWO_RUNS = re.compile(r"(\d)\1{2,}(?!\1)(\d)\2{2,}")


def _is_made_up(digits: str) -> bool:
    """Digits nobody was issued: one digit repeated, a run like 123456, only 0s and 1s
    (1000001, 00000001, 0000111), or a round number (1000000). A year and a serial of
    0s and 1s (黔ICP备11000001号: 2011's first) may well have been issued."""
    if len(digits) < 6:
        return False
    return (
        len(set(digits)) == 1
        or _is_sequence(digits)
        or _is_motif(digits)
        or (set(digits) <= {"0", "1"} and not _year_and_serial(digits))
        or digits[1:].strip("0") == ""
    )


def _year_and_serial(digits: str) -> bool:
    """An eight-digit ICP serial of 2010 or 2011 (YY and six digits) that is not all 0s."""
    return len(digits) == 8 and digits[:2] in ("10", "11") and digits[2:].strip("0") != ""


def placeholder_kind(token: str) -> str | None:
    """'template_variable' for {$icp} and the like, 'placeholder' for masks; else None."""
    if TEMPLATE_RE.fullmatch(token):
        return "template_variable"
    if not token.isdigit():
        return "placeholder"
    return None


_TRAILING_RUN = re.compile(r"(\d)\1{5}$")


def _icp_digits_placeholder(digits: str) -> bool:
    if _is_made_up(digits):
        return True
    # Shorter than any number issued (the oldest have six digits; one less is a typo), one
    # digit repeated (66666), or typed as a run with a slip (1234568): somebody's stand-in.
    if (
        len(digits) <= 4
        or len(set(digits)) == 1
        or digits.startswith("123456")
        or digits == "12345"
    ):
        return True
    # A theme's default ends in six or more of one digit (12222222): no serial does.
    if _TRAILING_RUN.search(digits):
        return True
    # A year and a run (京ICP备2024012345号, 粤ICP备2124123456号): a theme's stand-in, as a
    # run alone is, whatever the year.
    if len(digits) == 10 and _is_sequence(digits[4:]):
        return True
    # A four-digit year and four of one digit (浙ICP备20268888号, 京ICP备20088888号): no
    # serial of either form reads so (an eight-digit one has a two-digit year: 08088888).
    if len(digits) == 8 and digits[:2] == "20" and len(set(digits[4:])) == 1:
        return True
    # A real serial is never all zeros, after a year of two or four digits (晋ICP备
    # 10000000号-2 is a student project's dummy; 黑ICP备0500000, 粤ICP备20250000号).
    if len(digits) >= 7 and digits[2:].strip("0") == "":
        return True
    return len(digits) >= 8 and digits[:2] == "20" and digits[4:].strip("0") == ""


@dataclass(frozen=True, slots=True)
class Checked:
    number: str
    main_number: str
    reasons: tuple[str, ...]
    placeholder: bool


def icp_filing(
    province: str | None,
    token: str,
    site: str | None,
    today: datetime.date,
    *,
    app: str = "",
) -> Checked:
    """晋ICP备2021001234号-1. ``token`` is the digits (or a mask / template variable);
    ``app``: the service letter after the site index of an app (A), a mini program (X)
    or a quick app (K) filed since 2023 (辽ICP备18015387号-7A)."""
    reasons: list[str] = []
    prefix = province or ""
    main = f"{prefix}ICP备{token}号"
    number = f"{main}-{int(site)}{app}" if site else main
    kind = placeholder_kind(token)
    if kind == "template_variable":
        return Checked(number, main, ("template_variable", "placeholder"), True)
    if province is None:
        # ICP备2025024694号: no province issued it that the page names; nothing to check
        reasons.append("missing_province")
        kind = kind or "placeholder"
    elif not all(ch in divisions.ABBR_CHARS for ch in province):
        # 省ICP备 (a template's stand-in), 署ICP备 or 萌ICP备 (made up, like a fan
        # registry's): no province issued it, so it is no filing.
        reasons.append("unknown_province")
        kind = "placeholder"
    if kind:
        reasons.append(kind)
        return Checked(number, main, tuple(reasons), True)
    placeholder = _icp_digits_placeholder(token)
    if placeholder:
        reasons.append("placeholder")
    reasons.extend(_icp_year(token, today))
    if site is not None and int(site) == 0:
        reasons.append("bad_site_index")
    if app:
        reasons.append("app_filing")
    return Checked(number, main, tuple(reasons), placeholder)


def _icp_year(digits: str, today: datetime.date) -> list[str]:
    if len(digits) == 10:
        year = int(digits[:4])
        if year > today.year:
            return ["future_year"]
        if year < 2019:
            # 10-digit numbers began in 2020; earlier years in this form are doubtful.
            return ["year_before_10_digit_form"]
        return []
    if len(digits) == 8:
        if 2000 + int(digits[:2]) > today.year:
            return ["future_year"]
        return []
    if len(digits) in (6, 7):
        return ["historical_short_form"]
    return ["digit_count"]


def icp_licence(province: str | None, token: str, site: str | None, *, app: str = "") -> Checked:
    """京ICP证030173号, or with a site index 京ICP证030173号-1 (then a filing number)."""
    reasons: list[str] = []
    main = f"{province or ''}ICP证{token}号"
    number = f"{main}-{int(site)}{app}" if site else main
    if province is None:
        reasons.append("missing_province")
    kind = placeholder_kind(token)
    if kind:
        return Checked(number, main, (*reasons, kind, "placeholder"), True)
    if (
        (_is_made_up(token) and len(token) != 6)
        or len(set(token)) == 1
        or _is_sequence(token)
        or _is_motif(token)
    ):
        # Six-digit licences may well be 000007 (Sina's): only a wrong-length one made of
        # zeros and ones (1000001, 0000111) is taken for a textbook dummy.
        return Checked(number, main, (*reasons, "placeholder"), True)
    if len(token) != 6:
        reasons.append("digit_count")
    if site is not None and int(site) == 0:
        reasons.append("bad_site_index")
    return Checked(number, main, tuple(reasons), False)


def telecom_licence(
    province: str | None,
    category: str,
    digits: str,
    site: str | None,
    today: datetime.date,
    *,
    app: str = "",
) -> Checked:
    """京B2-20090059, B1-20060139 (cross-region, issued by MIIT), A2.B1-20232628; with a
    site index (and an app's service letter), a filing number: 鄂B2-20240059-1745A."""
    reasons: list[str] = []
    main = f"{province or ''}{category}-{digits}"
    number = f"{main}-{int(site)}{app}" if site else main
    if province is None:
        reasons.append("cross_region")
    if category[-1:] in ("A", "B"):
        reasons.append("malformed_category")  # 粤B-20050235: B1 or B2?
    if len(digits) != 8:
        reasons.append("digit_count")  # a year and a four-digit serial
    if int(digits[:4]) > today.year:
        reasons.append("future_year")
    placeholder = digits[4:].strip("0") == ""
    if placeholder:
        reasons.append("placeholder")
    return Checked(number, main, tuple(reasons), placeholder)


@dataclass(frozen=True, slots=True)
class PoliceChecked:
    number: str
    province: str | None
    province_inferred: bool
    reasons: tuple[str, ...]
    placeholder: bool
    division_code: str
    division_name: str | None
    division_full_name: str | None
    division_retired: int | None
    in_jurisdiction: bool | None
    province_matches_code: bool | None


def police(
    province: str | None, token: str, profile: Profile | None, site: str | None = None
) -> PoliceChecked:
    """晋公网安备14080202000123号: code lookup, province agreement, jurisdiction.
    ``site``: a site index some sites add (京公网安备110102003042号-1)."""
    reasons: list[str] = []
    suffix = f"-{int(site)}" if site else ""
    kind = placeholder_kind(token)
    if kind is None and province in DUMMY_PROVINCES:
        kind = "unknown_province"
    if kind:
        number = f"{province or ''}公网安备{token}号{suffix}"
        return PoliceChecked(
            number, province, False, (kind, "placeholder"), True, "", None, None, None, None, None
        )
    digits = token
    code = digits[:6]
    inferred = False
    matches: bool | None = None
    reasons += _police_form(digits)
    placeholder = _police_placeholder(digits)
    if placeholder:
        reasons.append("placeholder")
    if not divisions.is_province_code(code):
        reasons.append("unknown_province")
    if province is None:
        province = divisions.police_abbr(code)
        inferred = province is not None
        reasons.append("missing_province")
    else:
        matches = divisions.province_prefix(province) == code[:2]
        if not matches:
            reasons.append("province_code_mismatch")
    division = divisions.lookup(code) if len(digits) >= 10 else None
    name = full_name = None
    retired = None
    if division is None:
        if len(digits) >= 10 and not placeholder:
            reasons.append("code_not_in_gb2260")
    else:
        name, full_name, retired = division.name, division.full_name, division.retired_year
        if retired is not None:
            reasons.append("retired_code")
    unplaced = province is None and "unknown_province" in reasons
    if (matches is False or unplaced) and "code_not_in_gb2260" in reasons:
        # Either doubt alone may be a typo of the site's; both together (or a code of no
        # province and no prefix) leave nothing that says where the number was issued: an
        # invented number, not a filing.
        reasons.append("self_contradictory")
        if not placeholder:
            placeholder = True
            reasons.append("placeholder")
    in_jurisdiction = None
    if profile is not None:
        in_jurisdiction = code.startswith(profile.division_prefix)
    number = f"{province or ''}公网安备{digits}号{suffix}"
    return PoliceChecked(
        number=number,
        province=province,
        province_inferred=inferred,
        reasons=tuple(reasons),
        placeholder=placeholder,
        division_code=code,
        division_name=name,
        division_full_name=full_name,
        division_retired=retired,
        in_jurisdiction=in_jurisdiction,
        province_matches_code=matches,
    )


def _police_form(digits: str) -> list[str]:
    """What the digit count says: the national 14, an older form, or a wrong count."""
    if len(digits) == 12:
        return ["historical_12_digit_form"]
    if len(digits) == 10 and divisions.lookup(digits[:6]) is not None:
        # A local scheme's number from before the national platform: the site had to
        # file again (FILING-RULES), so it is shown but no longer a filing.
        return ["historical_local_form"]
    return [] if len(digits) == 14 else ["digit_count"]


def _police_placeholder(digits: str) -> bool:
    if len(set(digits)) == 1 or _is_sequence(digits) or digits in _THEME_POLICE_DEFAULTS:
        return True
    serial = digits[6:]
    significant = serial.lstrip("0")
    # All-zero, single-digit or round serials: theme defaults like 京公网安备11000000000001号,
    # 京公安网备110101000005号, 津公网安备12010302000000号 (a serial of 000060, 02000007 or
    # a local scheme's 0060 may well be real).
    round_serial = len(significant) >= 4 and significant[1:].strip("0") == ""
    if serial.strip("0") == "" or (len(serial) >= 6 and (len(significant) <= 1 or round_serial)):
        return True
    # A run after the division code and the type (沪公网安备31011502012345号), as after an
    # ICP number's year.
    if len(digits) == 14 and _is_sequence(digits[8:]):
        return True
    return digits[:6] in ("000000", "123456")


def site_code(code: str, profile: Profile | None) -> tuple[str, tuple[str, ...], bool | None]:
    """(normalised, reasons, in_jurisdiction) for a 网站标识码: bm + 8 digits or 10 digits."""
    code = code.lower() if code[:2].lower() == "bm" else code
    reasons: list[str] = []
    if len(code) != 10:
        reasons.append("digit_count")  # 10 characters: bm + 8 digits, or 10 digits
    if code.isdigit():
        if not divisions.is_province_code(code[:2]):
            reasons.append("unknown_province")
        # (the last four digits number the site within its body: 0000 numbers none)
        if code[2:].strip("0") == "" or code[6:] == "0000" or _is_sequence(code):
            reasons.append("placeholder")
        in_jurisdiction = code.startswith(profile.division_prefix) if profile else None
    else:
        in_jurisdiction = False if profile else None
    return code, tuple(reasons), in_jurisdiction
