"""BA2xx: what a government website shows besides its filing numbers (《政府网站发展指引》).

Only for sites the lead marks ``government`` (a gov.cn host, or an inventory category of
政府 / 党政机关), and only on a page that could be read.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from audit.rules.catalogue import rule
from audit.rules.model import AuditContext, Hit

GUIDELINE = "《政府网站发展指引》(国办发〔2017〕47号)"


def _absent(ctx: AuditContext, shown_invalid: list[Any] | None = None) -> Hit:
    details: dict[str, Any] = {"footer_text": bool((ctx.snapshot.footer_text or "").strip())}
    if shown_invalid:
        details["shown_invalid"] = shown_invalid
    return Hit(fingerprint="", excerpt=ctx.snapshot.footer_excerpt(), details=details)


@rule(
    code="BA201",
    category="marks",
    name="gov-site-code-missing",
    severity="medium",
    applies_to="government",
    needs_reachable=True,
    needs_complete=True,
    basis=GUIDELINE,
    message_zh="政府网站未标明网站标识码",
    message_en="The government website does not show its site identifier (网站标识码)",
    advice_zh=(
        "在网站首页底部标明本网站的政府网站标识码（10位，如“网站标识码：1408000001”），"
        '并在页面中加入 <meta name="SiteIDCode" content="标识码">；尚无标识码的，'
        "向本级政府网站主管单位申请。"
    ),
    advice_en=(
        "Show the site's government website identifier at the bottom of the homepage (10"
        ' characters, e.g. 网站标识码：1408000001) and add <meta name="SiteIDCode"'
        ' content="..."> to the page; a site without one applies to the government-website'
        " authority of its level."
    ),
)
def site_code_missing(ctx: AuditContext) -> Iterator[Hit]:
    rows = ctx.snapshot.notices_of("site_code")
    real = [row for row in rows if not row.details.get("placeholder")]
    if any(row.valid for row in real):
        return
    yield _absent(ctx, [row.number for row in rows])


@rule(
    code="BA202",
    category="marks",
    name="gov-conac-badge-missing",
    severity="medium",
    applies_to="government",
    needs_reachable=True,
    needs_complete=True,
    basis=GUIDELINE,
    message_zh="政府网站未展示党政机关网站标识",
    message_en="The government website does not show the 党政机关网站 (conac) badge",
    advice_zh=(
        "在网站首页底部放置党政机关网站标识（红色标识，链接至 bszs.conac.cn 上本网站的认证页面）；"
        "尚未取得标识的，按规定向机构编制部门申请。"
    ),
    advice_en=(
        "Place the 党政机关网站 badge (the red badge, linked to the site's page on"
        " bszs.conac.cn) at the bottom of the homepage; a site without one applies to the"
        " establishment (机构编制) office."
    ),
)
def conac_missing(ctx: AuditContext) -> Iterator[Hit]:
    if ctx.snapshot.notices_of("conac"):
        return
    yield _absent(ctx)


@rule(
    code="BA203",
    category="marks",
    name="gov-sponsor-missing",
    severity="low",
    applies_to="government",
    needs_reachable=True,
    needs_complete=True,
    basis=GUIDELINE,
    message_zh="政府网站未标明主办单位",
    message_en="The government website does not name its sponsor (主办单位)",
    advice_zh="在网站首页底部标明主办单位（如“主办单位：运城市人民政府办公室”）及联系方式。",
    advice_en=(
        "Name the sponsor at the bottom of the homepage (e.g. 主办单位：运城市人民政府办公室),"
        " with contact details."
    ),
)
def sponsor_missing(ctx: AuditContext) -> Iterator[Hit]:
    if any(row.number for row in ctx.snapshot.notices_of("sponsor")):
        return
    yield _absent(ctx)
