"""Step 1 of the pipeline (:mod:`audit.notices.extract`): the notice-shaped matches of a
rendered text (ICP numbers and licences, telecom licences, police numbers, site codes,
sponsors), with the digit counts each kind allows and the forms real footers take."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from audit.notices import divisions
from audit.notices import patterns as P
from audit.notices.normalise import clean_map, compact, squeeze

# Characters that may stand before a bare "ICP备" (a label, not a province).
_LABEL_ENDINGS = "号案站网为是的:"
# Fan "registries" (萌ICP备, 茶ICP备): not filings. Others are told by their links.
_FAN_REGISTRIES = "萌喵猫茶"

_ICP_DIGITS = frozenset({6, 7, 8, 10})
_LICENCE_DIGITS = frozenset({6})
# Longer than any ICP serial by two digits or more: no typo (licences have up to 8 seen).
_LONGEST_ICP = max(_ICP_DIGITS) + 1
_POLICE_DIGITS = frozenset({12, 14})
# A 网站标识码 of the wrong length is still read after a full label (网站…, 标识…).
_SITE_CODE_MALFORMED_LABEL = re.compile(r"网站|标识")
# A number that a script assembles from literals ("晋ICP备20236"+"7"+"3649"+"号"): its
# first piece is no (malformed) number.
_NEXT_LITERAL = re.compile(r"\s?[\"'`]\s?\+")
_CJK = re.compile(r"[\u4e00-\u9fff]")
# A template's stand-in for the province (省ICP备…, 某公网安备…): a placeholder.
_DUMMY_PREFIXES = frozenset({"省", "某", "某省", "某某"})


@dataclass(slots=True)
class _Match:
    kind: str
    start: int
    end: int
    fields: dict[str, Any]


# -- matching -------------------------------------------------------------------------


def _matches(text: str) -> list[_Match]:
    """Every notice-shaped match in a rendered text, in order."""
    if not text:
        return []
    out = _icp_matches(text)
    for pattern in (P.ICP_SHORT_RE, P.ICP_LABEL_FIRST_RE):
        for m in pattern.finditer(text):
            token, end, site = _token(m, text, _ICP_DIGITS)
            if token is not None:
                fields = {"prov": m.group("prov"), "token": token, "site": site, "odd_label": True}
                out.append(_Match("icp", m.start(), end, fields))
    out.extend(_english_matches(text))
    out.extend(_telecom_matches(text))
    out.extend(_police_matches(text))
    for m in P.SITE_CODE_RE.finditer(text):
        code = m.group("code")
        if len(code) != 10 and (
            not _SITE_CODE_MALFORMED_LABEL.search(compact(m.group("label")))
            or _NEXT_LITERAL.match(text, m.end())
        ):
            continue  # "识别码" before some other digits; 网站标识码 with a digit too many stays
        out.append(_Match("site_code", m.start(), m.end(), {"code": code}))
    for m in P.SPONSOR_RE.finditer(text):
        name = m.group("name")
        stop = P.SPONSOR_STOP_RE.search(name)
        if stop is not None:
            name = name[: stop.start()]
        name = name.strip(" -—·:")
        if len(name) >= 2:
            fields = {"name": name, "unit": "单位" in m.group(0)[:6]}
            out.append(_Match("sponsor", m.start(), m.start("name") + len(name), fields))
    out.sort(key=lambda x: x.start)
    return out


def _telecom_matches(text: str) -> list[_Match]:
    """Telecom licences of a rendered text (see :func:`_matches`)."""
    out: list[_Match] = []
    previous_end = -1
    for m in P.TELECOM_RE.finditer(text):
        prov = m.group("prov")
        label_end = m.start()
        english = (
            None
            if prov
            else P.ENGLISH_PROVINCE_BEFORE_RE.search(text, max(0, label_end - 30), label_end)
        )
        if english is not None:
            label_end = english.start()  # License No. Shanghai B2-20170322
        cue = P.LICENCE_CUE_RE.search(text[max(0, label_end - 16) : label_end])
        if cue is None and len(m.group("cat")) == 2:
            # © 2005-2014 某某科技有限公司 B2-20040053: the copyright line's own licence
            cue = _COPYRIGHT_LINE.search(text, max(0, label_end - 60), label_end)
        if english is not None and cue:
            prov = _english_abbr(english.group("pname"), divisions.police_abbr)
        elif prov is None and cue:
            labelled = P.LABEL_PROVINCE_BEFORE_RE.search(text, max(0, label_end - 12), label_end)
            prov = labelled.group("prov") if labelled is not None else None
        # 许可证：粤B2-20090059 B2-20090028: the label serves a run of licences
        in_run = previous_end >= 0 and _RUN_GAP.fullmatch(text, previous_end, m.start())
        if prov is None and not cue and not in_run:
            continue
        if len(m.group("cat")) == 1 and (prov is None or not cue):
            continue  # 粤B-20050235 is a licence missing its digit only where one is expected
        fields = {
            "prov": prov,
            "category": m.group("cat").replace("、", "."),  # 滇B1、B2-…: one licence, B1.B2
            "token": m.group("num"),
            "site": m.group("site"),
            "app": m.group("app") or "",
        }
        out.append(_Match("licence", m.start(), m.end(), fields))
        previous_end = m.end()
    return out


def _english_matches(text: str) -> list[_Match]:
    """Filing and police numbers written in English, where the notice names the province
    (see ``P.ENGLISH_ICP_RE``); without a province they say nothing checkable."""
    upper = text.upper()
    if "ICP" not in upper and "SECURITY" not in upper and "ANBEI" not in upper.replace(" ", ""):
        return []
    out: list[_Match] = []
    for m in P.ENGLISH_ICP_RE.finditer(text):
        name = m.group("pname") or m.group("after") or m.group("issuer")
        if name is None:
            continue
        fields = {
            "prov": _english_abbr(name, divisions.icp_abbr),
            "token": m.group("num"),
            "site": m.group("site"),
            "odd_label": True,
        }
        out.append(_Match("icp", m.start(), m.end(), fields))
    for m in P.ENGLISH_ICP_LICENCE_RE.finditer(text):
        fields = {
            "prov": _english_abbr(m.group("pname"), divisions.icp_abbr),
            "token": m.group("num"),
            "site": None,
            "app": "",
            "odd_label": True,
            "in_full": True,
        }
        out.append(_Match("licence", m.start(), m.end(), fields))
    for m in P.ENGLISH_POLICE_RE.finditer(text):
        fields = {
            "prov": _english_abbr(m.group("pname"), divisions.police_abbr),
            "token": m.group("num"),
            "site": None,
            "odd_label": True,
            "in_full": True,
        }
        out.append(_Match("police", m.start(), m.end(), fields))
    return out


def _english_abbr(name: str, abbr: Callable[[str], str | None]) -> str | None:
    """'Shanghai' -> 沪, 'Yue' -> 粤 (``abbr`` picks the ICP or the police abbreviation)."""
    code = divisions.PROVINCE_ENGLISH.get(" ".join(name.lower().split()))
    code = code or divisions.PROVINCE_PINYIN.get(name.lower())
    if code is None:  # "InnerMongolia": the space was optional
        code = divisions.PROVINCE_ENGLISH.get(name.lower().replace("mongolia", " mongolia"))
    return abbr(code) if code else None


# Literal pieces of every notice in cleaned text; long texts are matched only around them.
_ANCHORS = (
    "ICP",
    "icp",
    "Icp",
    "安备",
    "网备",
    "公网",
    "备案",
    "标识码",
    "识别",
    "主办",
    "B1",
    "B2",
    "Security",
    "SECURITY",
    "security",
    "nbei",
)
_LONG_TEXT = 4000


def _icp_matches(text: str) -> list[_Match]:
    """ICP filing numbers and ICP licences of a rendered text (see :func:`_matches`)."""
    out: list[_Match] = []
    for m in P.ICP_RE.finditer(text):
        kind_label = m.group("kind")
        if kind_label and kind_label[0] == "\ufffd":
            kind_label = "备"  # lost to a wrong decoding (patterns._LOST)
        prov = m.group("prov")
        has_hao = bool(m.group("hao") or m.group("hao2"))
        start = _start(text, m.start())
        in_full = _province_in_full(text, m.end("prov") if prov else start)
        if in_full is not None:
            prov, start = divisions.icp_abbr(in_full[0]), in_full[1]
        named = bool(m.group("numlabel"))  # 鲁ICP号11006098: 号 as the label
        glued = kind_label is None and _glued_filing(text, m)
        if kind_label is None and (prov is None or not (has_hao or named or glued)):
            continue  # "ICP 2023": a bare ICP needs a province and 号 to be a number
        allowed = _LICENCE_DIGITS if kind_label == "证" else _ICP_DIGITS
        token, end, site = _token(m, text, allowed)
        if token is None:
            continue
        if prov is None and not _bare_label_ok(text, m.start()):
            # "秦ICP备…号", "河东ICP备…号": shaped like a filing number under a prefix that is
            # no province's. Reported (invalid, unknown_province) only in its full form.
            prov = _unknown_prefix(text, m.start())
            if prov is None or kind_label != "备" or not has_hao:
                continue
        if token.isdigit() and len(token) not in allowed:
            if not _malformed_icp_ok(token, prov, has_hao or glued, kind_label, allowed):
                continue  # digits of some other kind after an ICP mention
            if not has_hao and _NEXT_LITERAL.match(text, end):
                continue
        kind = "licence" if kind_label == "证" else "icp"
        fields = {
            "prov": prov,
            "token": token,
            "site": site,
            "app": (m.group("app") or "") if site and site == m.group("site") else "",
            "odd_label": kind_label is None,
            "in_full": in_full is not None,
        }
        out.append(_Match(kind, start, end, fields))
    return out


_COPYRIGHT_LINE = re.compile(r"版权|copyright|©", re.IGNORECASE)
# Between two licences of one run: blanks or a separator.
_RUN_GAP = re.compile(r"\s?[,，、/|丨]?\s?")


def _police_matches(text: str) -> list[_Match]:
    """Police numbers of a rendered text (see :func:`_matches`)."""
    out: list[_Match] = []
    for m in P.POLICE_RE.finditer(text):
        token, end, site = _token(m, text, _POLICE_DIGITS)
        if token is None:
            continue
        if rest := m.group("rest"):
            if not token.isdigit() or len(token) + len(rest) - 1 not in (10, 14):
                continue  # 4401-12345678: a phone number, not a police number
            token += rest[1:]  # 京公安备110-1081940: an older local number's hyphen
        prov = m.group("prov") or m.group("prov2")
        label_start = m.start("label")
        if prov is None and compact(m.group("label")) == "安备":
            continue  # 治安备案…: only a province makes 安备 a police label (云安备)
        start = _start(text, m.start())
        in_full = _province_in_full(text, m.end("prov") if prov else label_start)
        if in_full is not None:
            prov, start = divisions.police_abbr(in_full[0]), in_full[1]
        elif prov is None:
            prov = _dummy_prefix(text, label_start)
        elif (code := divisions.province_prefix(prov)) is not None:
            prov = divisions.police_abbr(code)  # 云安备, 蜀公网安备: the province's 滇, 川
        # Typos seen on real footers: 公安网备, 公网备, 公安机关备案号; the organ's name.
        standard = compact(m.group("label")) == "公网安备"
        if (
            m.group("prov")
            and not standard
            and m.start("prov") > 0
            and "\u4e00" <= text[m.start("prov") - 1] <= "\u9fff"
            and token.isdigit()
            and divisions.province_prefix(m.group("prov")) != token[:2]
        ):
            # 南宁网警备4501…: the last character of a city's name before an older label,
            # not a province: the number says its own (45, 桂)
            prov = None
        has_hao = bool(m.group("hao") or m.group("hao2"))
        odd_length = token.isdigit() and len(token) not in _POLICE_DIGITS
        if (
            odd_length
            and not _malformed_police_ok(token, prov, has_hao, standard)
            and not _legacy_police(token)
        ):
            continue  # a police label before some other digits
        if odd_length and not has_hao and _NEXT_LITERAL.match(text, end):
            continue
        fields = {
            "prov": prov,
            "token": token,
            "site": site,
            "odd_label": not standard,
            "in_full": in_full is not None,
        }
        out.append(_Match("police", start, end, fields))
    return out


_GLUE = re.compile(r"[Pp]\s?[-.]?\s?$")


def _glued_filing(text: str, m: re.Match[str]) -> bool:
    """辽ICP06018765, 京ICP-10107173: a province, ICP and the digits of a filing number (or
    one digit off: a typo) written together, with neither 备 nor 号."""
    start = m.start("num")
    return (
        _GLUE.search(text, max(0, start - 4), start) is not None
        and 7 <= len(m.group("num")) <= 11
        and m.group("num").isdigit()
    )


def _malformed_icp_ok(
    token: str, prov: str | None, has_hao: bool, label: str | None, allowed: frozenset[int]
) -> bool:
    """A digit too many or too few is still a (malformed) number in a full form: province
    and 号 (晋ICP备123号), or province and ICP备/ICP证 with one digit more or less. Two
    digits more than the longest form (闽ICP备125678987654号) is no typo: an invented value."""
    if not prov or len(token) > _LONGEST_ICP:
        return False
    return has_hao or (label is not None and _one_off(len(token), allowed))


def _malformed_police_ok(token: str, prov: str | None, has_hao: bool, standard: bool) -> bool:
    """Likewise for a police number: 10 to 15 digits that open with a province's code
    (公安局备案编号:44060434553, 穗公网监备案证号：4401060102823), or one digit off after the
    full 省公网安备 label. Fewer than ten digits are no police number (公网安备05026980号
    copies an ICP serial), nor more than fifteen (an invented value, not a typo)."""
    if not 10 <= len(token) <= 15:
        return False
    if divisions.is_province_code(token[:2]) or has_hao:
        return True
    return bool(prov) and standard and _one_off(len(token), _POLICE_DIGITS)


def _legacy_police(token: str) -> bool:
    """A number of the local schemes before the national platform (2016): a division code
    and a four-digit serial (网站公安备案号：3418230034, 海淀分局备案编号：1101081681)."""
    return len(token) == 10 and divisions.lookup(token[:6]) is not None


def _one_off(count: int, allowed: frozenset[int]) -> bool:
    return count not in allowed and any(abs(count - n) == 1 for n in allowed)


# A province named in full before a label (广东省ICP备, 四川公网安备): its name, and the
# optional 省/市/自治区 after it.
_PROVINCE_IN_FULL = re.compile(
    rf"(?P<name>{'|'.join(divisions.PROVINCE_NAMES)})(?:省|市|(?:壮族|回族|维吾尔)?自治区)?\s?$"
)


def _province_in_full(text: str, end: int) -> tuple[str, int] | None:
    """(province code, start) of a province's full name ending at ``end``, if any."""
    found = _PROVINCE_IN_FULL.search(text, max(0, end - 12), end)
    if found is None:
        return None
    return divisions.PROVINCE_NAMES[found.group("name")], found.start()


def _dummy_prefix(text: str, end: int) -> str | None:
    """A lone 省 or 某 before a label: a template's stand-in for the province."""
    before = text[:end].rstrip(" ")
    for prefix in sorted(_DUMMY_PREFIXES, key=len, reverse=True):
        if before.endswith(prefix):
            rest = before[: -len(prefix)]
            if not rest or not _CJK.match(rest[-1]):
                return prefix
    return None


def _matches_windowed(text: str) -> list[_Match]:
    """:func:`_matches`, run only near anchors when a block renders to a long text (a page
    whose body is one block): the patterns have no literal prefix to skip ahead with."""
    if len(text) <= _LONG_TEXT:
        return _matches(text)
    spans: list[list[int]] = []
    for anchor in _ANCHORS:
        position = text.find(anchor)
        while position != -1 and len(spans) < 2000:
            spans.append([max(0, position - 120), position + 200])
            position = text.find(anchor, position + 200)
    spans.sort()
    merged: list[list[int]] = []
    for lo, hi in spans:
        if merged and lo <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    out: list[_Match] = []
    seen: set[tuple[str, int]] = set()
    for lo, hi in merged:
        for match in _matches(text[lo:hi]):
            match.start += lo
            match.end += lo
            if (match.kind, match.start) not in seen:
                seen.add((match.kind, match.start))
                out.append(match)
    return out


def _original_of(original: str, match: _Match) -> str:
    """The original characters of an attribute value behind a match."""
    _cleaned, where = clean_map(original)
    if match.end > len(where) or match.start >= match.end:
        return ""
    return squeeze(original[where[match.start] : where[match.end - 1] + 1]).strip()


def _start(text: str, start: int) -> int:
    return start + 1 if text[start : start + 1].isspace() else start


def _token(
    m: re.Match[str], text: str, allowed: frozenset[int]
) -> tuple[str | None, int, str | None]:
    """(digits or placeholder token, end of the number, site index) of a match."""
    num = m.group("num")
    site = m.group("site")
    if not num[:1].isdigit() or not compact(num).isdigit():
        return num.strip(), m.end(), site
    digits = compact(num)
    if len(digits) in allowed or " " not in num:
        return digits, m.end(), site
    # Digits from neighbouring tags ran together ("11010802020088 2023"): keep the first
    # group when it alone has an allowed length.
    first = num.split(" ")[0]
    if len(first) in allowed:
        end = m.start("num") + len(first)
        if text[end : end + 1] == "号":
            end += 1
        return first, end, None
    return digits, m.end(), site


def _unknown_prefix(text: str, start: int) -> str | None:
    """The one or two CJK characters right before "ICP", standing alone ("秦", "河东")."""
    before = text[:start].rstrip(" ")
    run = 0
    while run < len(before) and _CJK.match(before[-1 - run]):
        run += 1
    if not 1 <= run <= 2:
        return None
    prefix = before[-run:]
    if any(ch in _FAN_REGISTRIES or ch in _LABEL_ENDINGS for ch in prefix):
        return None
    return prefix


def _bare_label_ok(text: str, start: int) -> bool:
    """A bare "ICP备" (no province): fine after a label or punctuation, not after 萌."""
    before = text[:start].rstrip()
    if not before:
        return True
    last = before[-1]
    if last in _FAN_REGISTRIES:
        return False
    return not _CJK.match(last) or last in _LABEL_ENDINGS
