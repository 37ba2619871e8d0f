"""BA1xx: filing numbers, ICP (MIIT) and public security (MPS).

Each rule reads the notice rows the crawler stored (``Notices.records()``): ``number`` is
normalised, ``raw`` is what the page shows (the evidence), ``details`` holds the reasons,
``placeholder``, ``link_outdated``, ``link_registry``, ``division_code``... Placeholders
(京ICP备xxxxxxxx号) count as not shown and are reported once, as malformed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from audit.notices import divisions
from audit.rules.catalogue import rule
from audit.rules.model import AuditContext, Hit, NoticeRow

MIIT_33 = "《非经营性互联网信息服务备案管理办法》(信息产业部令第33号)"
STATE_292 = "《互联网信息服务管理办法》(国务院令第292号)"
MPS_33 = "《计算机信息网络国际联网安全保护管理办法》(公安部令第33号)"

MIIT_REGISTRY = "https://beian.miit.gov.cn/"
MPS_REGISTRY = "https://beian.mps.gov.cn/"


def _number_details(row: NoticeRow, *keys: str) -> dict[str, Any]:
    details = row.details
    extra = {key: details.get(key) for key in keys}
    return {"number": row.number, "raw": row.raw, **extra}


def _missing(ctx: AuditContext, kind: str) -> Iterator[Hit]:
    """One hit when no real number of ``kind`` is shown; evidence: the footer and what
    was shown instead (placeholders, malformed numbers, licences)."""
    rows = ctx.snapshot.notices_of(kind)
    if any(row.shown for row in rows):
        return
    details: dict[str, Any] = {
        "shown_invalid": [row.number for row in rows],
        "footer_text": bool((ctx.snapshot.footer_text or "").strip()),
    }
    if kind == "icp":
        # A licence without a site index is not a filing number, but worth showing.
        details["licences"] = [row.number for row in ctx.snapshot.notices_of("icp_licence")]
    yield Hit(fingerprint="", excerpt=ctx.snapshot.footer_excerpt(), details=details)


def _malformed(ctx: AuditContext, kind: str) -> Iterator[Hit]:
    for row in ctx.snapshot.notices_of(kind):
        if row.shown:
            continue
        details = _number_details(row, "reasons", "placeholder")
        details["reasons"] = list(details["reasons"] or [])
        details["placeholder"] = bool(details["placeholder"])
        yield Hit(fingerprint=str(row.number), excerpt=str(row.raw), details=details)


def _link_excerpt(row: NoticeRow) -> str:
    url = row.details.get("link_url")
    return f"{row.raw} → {url}" if url else str(row.raw)


# -- how well the homepage was read --------------------------------------------------------

GAPS_ZH = {
    "frames": "框架页面（frameset/iframe）未能读取",
    "empty_footer": "页脚区域为空，内容由脚本填充",
    "footer_script": "页脚由外部脚本文件生成，未能读取",
    "script_writes_footer": "页脚由页面脚本拼接生成",
    "ssi": "页脚为服务器端包含（SSI）文件，未能读取",
    "noscript": "页面要求启用JavaScript",
    "script_shell": "页面内容全部由脚本生成",
}


@rule(
    code="BA100",
    category="unverified",
    name="filing-unverified",
    severity="info",
    needs_reachable=True,
    basis=f"{MIIT_33}第十三条；{MPS_33}第十二条（本项为核验状态，不是违规认定）",
    message_zh="首页备案信息由脚本或框架生成，本次巡检未能核验",
    message_en=(
        "The homepage's filing notices are written by scripts or frames this crawl could not"
        " run or fetch: not verified"
    ),
    advice_zh=(
        "供核实：在浏览器中打开首页查看底部备案信息；或在巡检服务器上安装 Chromium"
        "（apt-get install chromium）渲染脚本生成的页脚后复测。核实前不据此认定未备案。"
    ),
    advice_en=(
        "For checking: open the homepage in a browser and read its footer, or install"
        " Chromium on the crawl server (apt-get install chromium) and crawl again so that"
        " footers written by scripts are rendered. Not a finding of an unfiled site."
    ),
)
def filing_unverified(ctx: AuditContext) -> Iterator[Hit]:
    """A partial reading: the absence rules (BA101, BA111, BA201-BA203) stay silent and
    this says why, so that the site is neither accused nor forgotten."""
    snapshot = ctx.snapshot
    if snapshot.reading == "complete":
        return
    gaps = [gap.partition(":")[0] for gap in snapshot.reading_gaps]
    yield Hit(
        fingerprint="",
        excerpt="；".join(dict.fromkeys(GAPS_ZH.get(gap, gap) for gap in gaps)) or "未能核验",
        details={
            "reading": snapshot.reading,
            "gaps": list(snapshot.reading_gaps),
            "icp_shown": any(row.shown for row in snapshot.notices_of("icp")),
            "police_shown": any(row.shown for row in snapshot.notices_of("police")),
        },
    )


# -- ICP ----------------------------------------------------------------------------------


@rule(
    code="BA101",
    category="unfiled",
    number_kind="icp",
    name="icp-number-not-shown",
    severity="high",
    needs_reachable=True,
    needs_complete=True,
    basis=f"{MIIT_33}第十三条、第二十五条；{STATE_292}",
    message_zh="网站首页未标明有效的ICP备案编号",
    message_en="The homepage shows no valid ICP filing number",
    advice_zh=(
        "在网站首页底部中间位置标明本网站的ICP备案编号（如“晋ICP备2021004567号-1”），"
        f"并链接至工业和信息化部备案管理系统 {MIIT_REGISTRY}；尚未备案的，应先办理ICP备案。"
    ),
    advice_en=(
        "Show the site's ICP filing number at the bottom centre of the homepage (e.g."
        f" 晋ICP备2021004567号-1), linked to the MIIT filing system {MIIT_REGISTRY}; a site"
        " that is not filed yet must file first."
    ),
)
def icp_not_shown(ctx: AuditContext) -> Iterator[Hit]:
    # A licence-shaped filing number with a site index (京ICP证030173号-1) is in "icp".
    yield from _missing(ctx, "icp")


@rule(
    code="BA102",
    category="unfiled",
    number_kind="icp",
    name="icp-number-malformed",
    severity="medium",
    needs_reachable=True,
    supersedes=("BA101",),
    basis=f"{MIIT_33}第十三条",
    message_zh="ICP备案编号格式错误或为模板占位符",
    message_en="The ICP filing number is malformed or a template placeholder",
    advice_zh=(
        "将错误编号或占位符（如“京ICP备xxxxxxxx号”）更正为工业和信息化部备案管理系统中"
        f"登记的本网站备案编号（可在 {MIIT_REGISTRY} 查询核对），并清除网站模板中残留的示例编号。"
    ),
    advice_en=(
        "Replace the wrong number or placeholder (e.g. 京ICP备xxxxxxxx号) with the site's"
        f" number as filed in the MIIT filing system (look it up at {MIIT_REGISTRY}), and"
        " remove sample numbers left in the site template."
    ),
)
def icp_malformed(ctx: AuditContext) -> Iterator[Hit]:
    yield from _malformed(ctx, "icp")


@rule(
    code="BA103",
    category="display",
    name="icp-number-not-linked",
    severity="medium",
    needs_reachable=True,
    basis=f"{MIIT_33}第十三条、第二十五条",
    message_zh="ICP备案编号未链接至工业和信息化部备案管理系统，或链接至已停用的旧地址",
    message_en=(
        "The ICP filing number does not link to the MIIT filing system, or links to its"
        " retired address"
    ),
    advice_zh=(
        f"为首页底部的备案编号加上指向 {MIIT_REGISTRY} 的链接；已停用的 miitbeian.gov.cn、"
        "miibeian.gov.cn 链接应更新为该地址。"
    ),
    advice_en=(
        f"Link the filing number at the bottom of the homepage to {MIIT_REGISTRY}; replace"
        " links to the retired miitbeian.gov.cn / miibeian.gov.cn with that address."
    ),
)
def icp_not_linked(ctx: AuditContext) -> Iterator[Hit]:
    for row in ctx.snapshot.notices_of("icp"):
        if row.placeholder:
            continue  # BA102 already asks for the real number
        details = row.details
        if row.linked:
            if not details.get("link_outdated"):
                continue
            problem = "outdated"
        else:
            # Also a link to the wrong registry (link_registry says which): not linked.
            problem = "unlinked"
        info = _number_details(row, "link_url", "link_registry")
        info["problem"] = problem
        yield Hit(fingerprint=f"{problem}:{row.number}", excerpt=_link_excerpt(row), details=info)


# -- public security --------------------------------------------------------------------


@rule(
    code="BA111",
    category="unfiled",
    number_kind="police",
    name="police-number-not-shown",
    severity="medium",
    needs_reachable=True,
    needs_complete=True,
    basis=f"{MPS_33}第十二条、第二十三条",
    message_zh="网站首页未标明有效的公安机关备案号（公网安备）",
    message_en="The homepage shows no valid public-security filing number (公网安备)",
    advice_zh=(
        f"在全国互联网安全管理服务平台（{MPS_REGISTRY}）办理公安联网备案（网站开通之日起30日内），"
        "并在首页底部标明公安机关备案号及备案图标，链接至备案查询页面。"
    ),
    advice_en=(
        f"File the site with the public-security filing platform ({MPS_REGISTRY}) within 30"
        " days of going live, and show the number with its badge at the bottom of the"
        " homepage, linked to its record on the platform."
    ),
)
def police_not_shown(ctx: AuditContext) -> Iterator[Hit]:
    yield from _missing(ctx, "police")


@rule(
    code="BA112",
    category="unfiled",
    number_kind="police",
    name="police-number-malformed",
    severity="medium",
    needs_reachable=True,
    supersedes=("BA111",),
    basis=f"{MPS_33}第十二条",
    message_zh="公安机关备案号格式错误或为模板占位符",
    message_en="The public-security filing number is malformed or a template placeholder",
    advice_zh=(
        "将错误编号或占位符（如“京公网安备11000000000001号”）更正为全国互联网安全管理服务平台"
        "核发的备案号（省份简称 + 公网安备 + 14位数字 + 号）。"
    ),
    advice_en=(
        "Replace the wrong number or placeholder (e.g. 京公网安备11000000000001号) with the"
        " number the public-security filing platform issued (province abbreviation +"
        " 公网安备 + 14 digits + 号)."
    ),
)
def police_malformed(ctx: AuditContext) -> Iterator[Hit]:
    yield from _malformed(ctx, "police")


@rule(
    code="BA113",
    category="display",
    name="police-number-not-linked",
    severity="low",
    needs_reachable=True,
    basis=f"{MPS_33}第十二条（备案号链接至备案平台为通行的展示要求）",
    message_zh="公安机关备案号未链接至全国互联网安全管理服务平台",
    message_en="The public-security filing number does not link to the public-security platform",
    advice_zh=(
        "为公安机关备案号加上指向备案平台的链接，如 "
        "https://beian.mps.gov.cn/#/query/webSearch?code=备案号数字（不要链接至工信部ICP备案系统）。"
    ),
    advice_en=(
        "Link the public-security number to its record on the platform, e.g."
        " https://beian.mps.gov.cn/#/query/webSearch?code=<the 14 digits> (not to the MIIT"
        " ICP filing system)."
    ),
)
def police_not_linked(ctx: AuditContext) -> Iterator[Hit]:
    for row in ctx.snapshot.notices_of("police"):
        if row.placeholder or row.linked:
            continue
        yield Hit(
            fingerprint=str(row.number),
            excerpt=_link_excerpt(row),
            details=_number_details(row, "link_url", "link_registry"),
        )


@rule(
    code="BA114",
    category="display",
    name="police-number-outside-jurisdiction",
    severity="info",
    needs_reachable=True,
    basis=f"{MPS_33}第十二条",
    message_zh="公安机关备案号的备案机关不在本辖区",
    message_en="The public-security number was issued outside the jurisdiction",
    advice_zh=(
        "供核实：确认网站的公安联网备案由其所在地公安机关受理；主办单位或服务器已迁入本辖区的，"
        "在备案平台办理变更。"
    ),
    advice_en=(
        "For checking: confirm that the site is filed with the police of where it is run; if"
        " the sponsor or the servers moved into the jurisdiction, update the filing."
    ),
)
def police_outside_jurisdiction(ctx: AuditContext) -> Iterator[Hit]:
    prefix = ctx.profile.division_prefix
    for row in ctx.snapshot.notices_of("police"):
        if not row.shown:
            continue
        details = row.details
        code = str(details.get("division_code") or "")
        # Judged against this audit's profile, not the one the crawl ran with.
        inside = code.startswith(prefix) if len(code) == 6 else details.get("in_jurisdiction")
        if inside is not False:
            continue
        yield Hit(
            fingerprint=str(row.number),
            excerpt=str(row.raw),
            details={
                **_number_details(row, "division_code", "division_full_name"),
                "jurisdiction": ctx.profile.name,
                "division_prefix": prefix,
            },
        )


@rule(
    code="BA115",
    category="display",
    name="police-number-province-mismatch",
    severity="low",
    needs_reachable=True,
    basis=f"{MPS_33}第十二条",
    message_zh="公安机关备案号的省份简称与其行政区划代码不符",
    message_en="The province abbreviation of the public-security number contradicts its code",
    advice_zh=(
        "按备案平台登记的信息更正备案号的省份简称（简称应与备案号前两位行政区划代码一致，"
        "如 14 开头为“晋”），并核实编号是否照抄自其他网站。"
    ),
    advice_en=(
        "Correct the province abbreviation as registered on the platform (it follows the first"
        " two digits of the code, e.g. 14 is 晋), and check that the number was not copied from"
        " another site."
    ),
)
def police_province_mismatch(ctx: AuditContext) -> Iterator[Hit]:
    for row in ctx.snapshot.notices_of("police"):
        if row.placeholder:
            continue
        details = row.details
        if details.get("province_matches_code") is not False:
            continue  # None: no prefix shown, taken from the code
        code = str(details.get("division_code") or "")
        yield Hit(
            fingerprint=str(row.number),
            excerpt=str(row.raw),
            details={
                **_number_details(row, "province", "division_code"),
                "expected_province": divisions.police_abbr(code) if code else None,
            },
        )


# -- numbers shared between sites ----------------------------------------------------


def _is_host(user: str) -> bool:
    """icp_users holds a host when a site has no sponsor: a host says nothing about who
    runs the site, so it cannot prove a borrowed number."""
    return user.isascii() and "." in user and " " not in user


def _sponsor_key(name: str) -> str:
    # 运城市 教育局 / 运城市（教育局）: spacing and full-width brackets are not a difference.
    return "".join(name.split()).replace("（", "(").replace("）", ")")


@rule(
    code="BA121",
    category="display",
    name="icp-number-shared",
    severity="high",
    needs_reachable=True,
    basis=f"{MIIT_33}；{STATE_292}",
    message_zh="同一ICP备案编号（含网站序号）出现在不同主办单位的网站上，疑似借用或冒用",
    message_en=(
        "The same ICP filing number (site index included) is shown by sites of different"
        " sponsors: possibly borrowed"
    ),
    advice_zh=(
        "核实本网站的备案主体：网站应以主办单位自身名义办理ICP备案（每个网站有独立的网站序号），"
        "不得使用其他单位的备案编号；属同一单位的，统一各网站登记的主办单位名称。"
    ),
    advice_en=(
        "Check who the site is filed under: a site files in its own sponsor's name (each site"
        " has its own site index) and must not show another body's number; sites of one body"
        " should name their sponsor the same way."
    ),
)
def icp_shared(ctx: AuditContext) -> Iterator[Hit]:
    for row in ctx.snapshot.notices_of("icp"):
        if not row.shown:
            continue  # placeholders and typos are shared by accident, not borrowed
        number = str(row.number)
        users = ctx.icp_users.get(number, frozenset())
        sponsors = {_sponsor_key(user) for user in users if not _is_host(user)}
        if len(sponsors) < 2:
            continue
        hosts = sorted(user for user in users if _is_host(user))
        yield Hit(
            fingerprint=number,
            excerpt=str(row.raw),
            details={
                "number": number,
                "sponsors": sorted(user for user in users if not _is_host(user)),
                "hosts_without_sponsor": hosts,
                "site_sponsor": ctx.site.sponsor,
            },
        )
