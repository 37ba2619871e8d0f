"""BA13x: the numbers a site shows, cross-checked against the imported filing registry.

``beian registry import`` loads the authoritative records the centre holds (number, the
domains filed under it, the sponsor). Without a registry these rules judge nothing: they
are not in an evaluation's ``judged`` codes, so their findings neither open nor resolve
(see :func:`needs_registry`).

Which numbers are looked at: the valid ICP filing numbers a page shows (licence-shaped
site numbers included) and its valid public-security numbers, each only when the registry
holds numbers of that kind from that province, a number it could know: a city's export
says nothing about a 京ICP备 number, nor about police numbers when it has none.

How a shown number finds its records: the record of the same number; for a number with
a site index (…号-1) that the registry does not list, the subject's main-number record
when the registry lists that subject by its main number only (some exports do, and some
provinces ask sites to show the main number); for a main number shown without a site
index, every record of that subject.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

from audit.page.domains import host_of
from audit.rules.catalogue import rule
from audit.rules.filing import MIIT_33, MIIT_REGISTRY, MPS_33, MPS_REGISTRY
from audit.rules.model import AuditContext, Hit, NoticeRow, Registry, RegistryEntry

_KINDS = ("icp", "police")
# Spaces, brackets and quotes are how two spellings of one body's name differ.
_SPONSOR_NOISE = re.compile(r"[\s()\[\]{}<>（）【】〔〕［］｛｝〈〉《》「」『』\"'“”‘’·・]+")
_LISTED = 10  # numbers or domains listed in a hit's details, at most


def _registry(ctx: AuditContext) -> Registry:
    assert ctx.registry is not None  # the rule needs_registry: Rule.applies checked it
    return ctx.registry


def _shown_numbers(ctx: AuditContext) -> Iterator[tuple[str, NoticeRow]]:
    """The real numbers shown: valid, not placeholders (BA102/BA112 report the others)."""
    for kind in _KINDS:
        for row in ctx.snapshot.notices_of(kind):
            if row.shown and row.number:
                yield kind, row


def _main_number(kind: str, row: NoticeRow) -> str:
    number = str(row.number)
    if kind != "icp":
        return number
    return str(row.details.get("main_number") or number)


def records_of(registry: Registry, number: str, main_number: str) -> tuple[RegistryEntry, ...]:
    """The registry records a shown number stands for; () when it is unknown."""
    exact = registry.get(number)
    if exact is not None:
        return (exact,)
    subject = registry.under_main(main_number)
    if number == main_number:
        return subject  # the subject's number shown without a site index
    if subject and all(entry.number == entry.main_number for entry in subject):
        return subject  # the registry lists the subject by its main number only
    return ()


def covered(host: str, domain: str) -> bool:
    """Whether a filed domain covers a host: the domain itself (www. aside) or under it.

    A filing for example.gov.cn covers www.example.gov.cn and news.example.gov.cn; one
    for www.example.gov.cn covers example.gov.cn too.
    """
    domain = domain.removeprefix("www.")
    return host == domain or host.endswith("." + domain)


def sponsor_key(name: str) -> str:
    """运城市 教育局 / 运城市（教育局） / 运城市[教育局]: one name."""
    return _SPONSOR_NOISE.sub("", unicodedata.normalize("NFKC", name)).casefold()


def _site_hosts(ctx: AuditContext) -> list[str]:
    """The site's host, and the host its homepage ended on after redirects."""
    hosts = [ctx.site.host]
    final = host_of(ctx.snapshot.final_url) if ctx.snapshot.final_url else ""
    if final and final not in hosts:
        hosts.append(final)
    return hosts


def _page_sponsor(ctx: AuditContext) -> str | None:
    rows = ctx.snapshot.notices_of("sponsor")
    return str(rows[0].number) if rows and rows[0].number else None


def _numbers(entries: tuple[RegistryEntry, ...]) -> list[str]:
    return sorted(entry.number for entry in entries)[:_LISTED]


@rule(
    code="BA131",
    category="unfiled",
    needs_registry=True,
    name="number-not-in-registry",
    severity="high",
    needs_reachable=True,
    basis=f"{MIIT_33}第五条、第十三条；公安联网备案号：{MPS_33}第十二条",
    message_zh="网站标明的备案编号在导入的备案库中查无记录（未备案、已注销或编号有误）",
    message_en=(
        "The filing number the site shows is unknown to the imported filing registry (not"
        " filed, cancelled, or a wrong number)"
    ),
    advice_zh=(
        f"核实本网站的备案情况（ICP备案可在 {MIIT_REGISTRY} 查询，公安联网备案可在 "
        f"{MPS_REGISTRY} 查询）：编号有误或照抄自其他网站的，更正为本网站登记的备案编号；"
        "备案已注销或从未备案的，应先办理备案，未备案前不得提供互联网信息服务。"
        "若为新近备案，请更新导入的备案库后复核。"
    ),
    advice_en=(
        f"Check the site's filing (ICP numbers at {MIIT_REGISTRY}, public-security numbers at"
        f" {MPS_REGISTRY}): replace a wrong or copied number with the one filed for the site;"
        " a site whose filing was cancelled or never made must file before it may operate."
        " If it was filed recently, import a fresh registry export and audit again."
    ),
)
def number_not_in_registry(ctx: AuditContext) -> Iterator[Hit]:
    registry = _registry(ctx)
    for kind, row in _shown_numbers(ctx):
        number = str(row.number)
        if not registry.covers(kind, number):
            continue  # another province's number, or no police numbers imported
        main_number = _main_number(kind, row)
        if records_of(registry, number, main_number):
            continue
        subject = registry.under_main(main_number)
        yield Hit(
            fingerprint=number,
            excerpt=str(row.raw),
            details={
                "number": number,
                "raw": row.raw,
                "kind": kind,
                "main_number": main_number,
                # the subject is filed, under other site numbers: the index is wrong
                "subject_numbers": _numbers(subject),
            },
        )


@rule(
    code="BA132",
    category="display",
    needs_registry=True,
    name="number-filed-for-another-site",
    severity="medium",
    needs_reachable=True,
    basis=f"{MIIT_33}第七条、第十三条、第十四条；公安联网备案号：{MPS_33}第十二条",
    message_zh="备案库中该备案编号登记的是其他域名或其他主办单位",
    message_en="The filing registry lists the number for other domains or another sponsor",
    advice_zh=(
        "网站应标明为本网站（本域名、本主办单位）办理的备案编号：使用其他网站或其他单位备案编号的，"
        "更正为本网站自己的备案编号，尚未备案的先办理备案；域名或主办单位名称（如机构改革更名）"
        "已变化的，向原备案机关办理备案变更。"
    ),
    advice_en=(
        "A site must show the number filed for it (its domain, its sponsor): replace a number"
        " filed for another site or body with the site's own, filing first if it has none; if"
        " the domain or the sponsor's name changed (an institutional reform), update the"
        " filing with the authority that granted it."
    ),
)
def number_filed_for_another_site(ctx: AuditContext) -> Iterator[Hit]:
    registry = _registry(ctx)
    hosts = _site_hosts(ctx)
    for kind, row in _shown_numbers(ctx):
        number = str(row.number)
        entries = records_of(registry, number, _main_number(kind, row))
        if not entries:
            continue  # BA131's, when the registry could know it
        common = {
            "number": number,
            "raw": row.raw,
            "kind": kind,
            "registry_numbers": _numbers(entries),
        }
        filed = sorted({domain for entry in entries for domain in entry.domains})
        if filed and not any(covered(host, domain) for host in hosts for domain in filed):
            yield Hit(
                fingerprint=f"domain:{number}",
                excerpt=f"{row.raw} ({', '.join(hosts)}; 备案域名 {', '.join(filed[:3])})",
                details={
                    **common,
                    "problem": "domain",
                    "site_hosts": hosts,
                    "registry_domains": filed[:_LISTED],
                },
            )
        registered = sorted({entry.sponsor for entry in entries if entry.sponsor})
        if not registered or not ctx.site.sponsor:
            continue  # compared only when both are known
        own = {sponsor_key(ctx.site.sponsor)}
        if page_sponsor := _page_sponsor(ctx):
            own.add(sponsor_key(page_sponsor))  # what the page says counts as the site's too
        if own & {sponsor_key(name) for name in registered}:
            continue
        yield Hit(
            fingerprint=f"sponsor:{number}",
            excerpt=f"{row.raw} ({ctx.site.sponsor}; 备案主办单位 {'、'.join(registered)})",
            details={
                **common,
                "problem": "sponsor",
                "site_sponsor": ctx.site.sponsor,
                "page_sponsor": page_sponsor,
                "registry_sponsors": registered,
            },
        )
