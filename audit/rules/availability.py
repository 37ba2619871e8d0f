"""BA3xx: whether the homepage answers, and whether it is still the site's own.

These judge every snapshot, readable or not (``needs_reachable=False``).
"""

from __future__ import annotations

from collections.abc import Iterator

from audit.page.domains import host_matches_suffix, host_of, registrable_domain, same_website
from audit.rules.catalogue import rule
from audit.rules.model import AuditContext, Hit

# Failures to reach the server at all (a server that answers something other than HTTP
# serves no visitor either). Not: http_error (the server answered), too_large, not_html,
# robots_denied, redirect loops (a misconfiguration, the server is up).
UNREACHABLE = frozenset(
    {"dns_error", "refused", "timeout", "tls_error", "connection_lost", "protocol_error", "error"}
)
# The rule that reports them once a site failed in consecutive runs (the bulletin's 预警 lists
# its sites beside those that failed often in the month).
UNREACHABLE_RULE = "BA301"

MONITORING = (
    "属地网站日常监测：网站应持续稳定可访问；《中华人民共和国网络安全法》"
    "（网络运营者应当保障网络安全、稳定运行）；政府网站另依《政府网站发展指引》(国办发〔2017〕47号)"
)
CLOSE_FILINGS_ZH = "网站已停止服务的，应办理ICP备案及公安联网备案注销手续，并告知监测单位。"
CLOSE_FILINGS_EN = (
    "A site that has closed should cancel its ICP and public-security filings and tell the"
    " monitoring centre."
)


@rule(
    code=UNREACHABLE_RULE,
    category="availability",
    name="site-unreachable",
    severity="medium",
    needs_reachable=False,
    basis=MONITORING,
    message_zh="网站首页连续多次巡检无法访问",
    message_en="The homepage was unreachable in consecutive audit runs",
    advice_zh=("检查域名解析（DNS）、服务器、网络及HTTPS证书，恢复网站访问。" + CLOSE_FILINGS_ZH),
    advice_en=(
        "Check the domain's DNS, the server, the network and the HTTPS certificate, and"
        " restore access. " + CLOSE_FILINGS_EN
    ),
)
def unreachable(ctx: AuditContext) -> Iterator[Hit]:
    k = max(1, ctx.unreachable_runs)
    recent = ctx.recent_outcomes or (ctx.snapshot.outcome,)
    window = recent[:k]
    if len(window) < k or not all(outcome in UNREACHABLE for outcome in window):
        return
    kinds = sorted(set(window))
    yield Hit(
        # One finding per site: the failure kind changes from run to run (dns, timeout).
        fingerprint="",
        excerpt=f"{k} × {', '.join(kinds)}",
        details={"runs": k, "outcomes": list(window), "kinds": kinds},
    )


def _shared_gov_suffix(host_a: str, host_b: str, suffixes: list[str]) -> bool:
    # gov.cn names are assigned to government bodies only, so a redirect between two of
    # them (a department merged into its government's portal) is no takeover.
    return any(
        host_matches_suffix(host_a, (suffix,)) and host_matches_suffix(host_b, (suffix,))
        for suffix in ("gov.cn", *suffixes)
    )


@rule(
    code="BA302",
    category="availability",
    name="redirect-to-unrelated-domain",
    severity="high",
    needs_reachable=False,
    basis=(
        "属地网站安全监测：域名过期被抢注或网站被劫持后，访问者被引向他人网站（常见为赌博、色情网站）；"
        "《中华人民共和国网络安全法》"
    ),
    message_zh="网站首页跳转至无关的其他域名",
    message_en="The homepage redirects to an unrelated domain",
    advice_zh=(
        "核实跳转目标是否为本单位网站：不是的，立即检查域名注册状态（是否过期、被抢注）、DNS解析及"
        "服务器网页是否被篡改，续费或找回域名；确已迁至新域名的，为新域名办理备案并通知监测单位更新网站地址。"
    ),
    advice_en=(
        "Check whether the target is the body's own site. If not, check at once whether the"
        " domain expired or was taken over, its DNS records, and the server's pages for"
        " tampering, and renew or recover the domain. If the site moved to a new domain,"
        " file the new domain and tell the monitoring centre the new address."
    ),
)
def unrelated_redirect(ctx: AuditContext) -> Iterator[Hit]:
    final_url = ctx.snapshot.final_url
    if not final_url:
        return
    site_host = ctx.site.host
    final_host = host_of(final_url)
    if not final_host or same_website(site_host, final_host):
        return
    site_domain = ctx.site.registrable_domain or registrable_domain(site_host)
    final_domain = registrable_domain(final_host)
    if final_domain == site_domain:
        return  # another host of the same domain: www., m., a department's subdomain
    if _shared_gov_suffix(site_host, final_host, ctx.profile.gov_domain_suffixes):
        return
    yield Hit(
        # One finding per site: hijackers rotate their target domains.
        fingerprint="",
        excerpt=f"{ctx.snapshot.url} → {final_url}",
        details={
            "url": ctx.snapshot.url,
            "final_url": final_url,
            "final_domain": final_domain,
            "redirect_chain": list(ctx.snapshot.redirect_chain),
        },
    )


@rule(
    code="BA303",
    category="availability",
    name="homepage-http-error",
    severity="medium",
    needs_reachable=False,
    basis=MONITORING,
    message_zh="网站首页返回HTTP错误状态",
    message_en="The homepage answers with an HTTP error status",
    advice_zh=(
        "检查Web服务器与网站程序（404：首页地址或文件缺失；5xx：服务器或程序故障），恢复首页正常访问。"
        + CLOSE_FILINGS_ZH
    ),
    advice_en=(
        "Check the web server and the site's application (404: the homepage's address or file"
        " is missing; 5xx: a server or application fault) and restore the homepage. "
        + CLOSE_FILINGS_EN
    ),
)
def http_error(ctx: AuditContext) -> Iterator[Hit]:
    status = ctx.snapshot.http_status
    # 4xx / 5xx; an http_error stored without its status counts too (defensive).
    if not (
        (status is not None and status >= 400)
        or (status is None and ctx.snapshot.outcome == "http_error")
    ):
        return
    # The status class, not the status: 502 one night and 503 the next are one problem.
    fingerprint = f"{status // 100}xx" if status else "http_error"
    excerpt = f"HTTP {status}" if status else "HTTP error"
    url = ctx.snapshot.final_url or ctx.snapshot.url
    yield Hit(
        fingerprint=fingerprint,
        excerpt=f"{excerpt} {url}",
        details={"http_status": status, "url": url},
    )
