"""The plan of a testbed: every random decision about every site, made once.

``Planner`` decides what each site is (identity, behaviour, footer kind, encoding, filing
numbers, page details, links) from one ``random.Random`` stream derived from the seed
(:func:`seeded`), never from the global generator or ``hash()``, so the same arguments give the
same plans; ``footer_history`` decides which footers change at each epoch. The testbed
(:mod:`audit.demo.testbed.generator`) turns the plans into ground truth, and
:mod:`audit.demo.testbed.pages` into pages.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from audit.config import Profile
from audit.demo.testbed import content as C
from audit.demo.testbed.identities import Identities

BEHAVIOURS = (
    "ok",
    "redirect_internal",
    "redirect_external",
    "http_404",
    "http_500",
    "refused",
    "dns_error",
    "slow",
    "too_large",
    "redirect_loop",
)
FOOTERS = (
    "compliant",
    "icp_only",
    "police_only",
    "none",
    "unlinked",
    "placeholder",
    "malformed",
    "split_tags",
    "fullwidth",
    "img_alt",
    "js_written",
    "gov_full",
    "gov_missing_marks",
)
CATEGORIES = ("政府机关", "事业单位", "学校", "医院", "企业", "新闻媒体", "社会组织")

CONTROL_HOST = "testbed.internal"
# Behaviours whose homepage a crawler sees (after redirects, on the site's own domain).
VISIBLE = frozenset({"ok", "redirect_internal"})
FIXED_FOOTERS = frozenset({"compliant", "gov_full"})
SHOWS_OWN_ICP = frozenset(
    {
        "compliant",
        "icp_only",
        "unlinked",
        "split_tags",
        "fullwidth",
        "img_alt",
        "js_written",
        "gov_full",
        "gov_missing_marks",
    }
)
SHOWS_OWN_POLICE = frozenset(
    {
        "compliant",
        "police_only",
        "unlinked",
        "split_tags",
        "fullwidth",
        "img_alt",
        "js_written",
        "gov_full",
        "gov_missing_marks",
    }
)
LINKED_ICP = frozenset(
    {"compliant", "icp_only", "split_tags", "fullwidth", "img_alt", "gov_full", "gov_missing_marks"}
)

# Shares of the non-default kinds; the default kind takes the rest.
BEHAVIOUR_SHARES = {
    "redirect_internal": 0.05,
    "redirect_external": 0.015,
    "http_404": 0.02,
    "http_500": 0.015,
    "refused": 0.02,
    "dns_error": 0.03,
    "slow": 0.01,
    "too_large": 0.01,
    "redirect_loop": 0.01,
}
FOOTER_SHARES = {
    "icp_only": 0.14,
    "police_only": 0.04,
    "none": 0.10,
    "unlinked": 0.06,
    "placeholder": 0.04,
    "malformed": 0.04,
    "split_tags": 0.06,
    "fullwidth": 0.04,
    "img_alt": 0.04,
    "js_written": 0.08,
}  # compliant: the rest
GOV_FOOTER_SHARES = {
    "gov_missing_marks": 0.22,
    "compliant": 0.06,
    "icp_only": 0.04,
    "none": 0.03,
    "js_written": 0.03,
    "split_tags": 0.02,
    "unlinked": 0.02,
}  # gov_full: the rest
CATEGORY_WEIGHTS = {
    "政府机关": 0.28,
    "事业单位": 0.12,
    "学校": 0.15,
    "医院": 0.08,
    "企业": 0.25,
    "新闻媒体": 0.04,
    "社会组织": 0.08,
}
OUT_OF_INVENTORY_SHARE = 0.08


def seeded(seed: int, *parts: object) -> random.Random:
    # String seeds are hashed with SHA-512 by random.Random: stable across runs and platforms.
    return random.Random(":".join(["beian-testbed", str(seed), *map(str, parts)]))


@dataclass
class Plan:
    """One site's decisions; the planner's passes fill them in."""

    index: int
    host: str
    name: str
    sponsor: str
    district: str
    district_code: str
    category: str
    key_unit: bool
    government: bool
    public_institution: bool
    city_level: bool = False  # a city-wide unit (its site code starts with the city prefix)
    in_inventory: bool = True
    depth: int = 0
    behaviour: str = "ok"
    redirect_variant: str = ""  # redirect_internal: index | www | www_index
    redirect_status: int = 302
    relative_location: bool = False
    target_host: str = ""  # www host (redirect_internal) or takeover host (redirect_external)
    footer: str = "compliant"
    encoding: str = "utf-8"
    charset_in: str = "meta+header"
    charset_label: str = "utf-8"
    meta_style: int = 0
    links_to: list[str] = field(default_factory=list)
    links_outside: list[str] = field(default_factory=list)
    icp: str = ""
    icp_kind: str = "new"  # new | old | other_province
    icp_url: str = ""
    police: str = ""
    police_kind: str = "own"  # own | city | out | mismatch
    police_url_style: str = "old"
    site_code: str | None = None
    conac_id: str = ""
    conac_style: str = "link"
    organiser: str = ""
    show_sponsor: bool = False
    address: str = ""
    phone: str = ""
    extra_line: str | None = None
    quotes_other: bool = False
    id_like: bool = False
    robots_disallow: bool = False
    template_dup: bool = False
    partner_numbers: bool = False
    shares_icp_with: list[str] = field(default_factory=list)
    title: str = ""
    marker: str = ""
    page_kb: int = 60
    server: str = "nginx"
    error_style: int = 0

    @property
    def url(self) -> str:
        return f"http://{self.host}/"


def _counts(total: int, shares: dict[str, float], minimum: int | dict[str, int]) -> dict[str, int]:
    def least(kind: str) -> int:
        return minimum.get(kind, 0) if isinstance(minimum, dict) else minimum

    counts = {kind: max(least(kind), round(share * total)) for kind, share in shares.items()}
    while sum(counts.values()) > total and any(counts.values()):
        biggest = max(counts, key=lambda k: counts[k])
        counts[biggest] -= 1
    return counts


def _assign(
    items: Sequence[Plan],
    shares: dict[str, float],
    default: str,
    minimum: int | dict[str, int],
    rng: random.Random,
) -> dict[int, str]:
    """Give each item a kind by quota: exact shares, and every kind at least `minimum` times."""
    counts = _counts(len(items), shares, minimum)
    order = list(items)
    rng.shuffle(order)
    result: dict[int, str] = {}
    pos = 0
    for kind, count in counts.items():
        for plan in order[pos : pos + count]:
            result[plan.index] = kind
        pos += count
    for plan in order[pos:]:
        result[plan.index] = default
    return result


def _minimum(n: int) -> int:
    # For n >= 60 every kind appears at least twice; tiny demo testbeds stay mostly plain.
    return 2 if n >= 60 else (1 if n >= 20 else 0)


def _pick(rng: random.Random, pool: Sequence[Plan], count: int) -> list[Plan]:
    return rng.sample(list(pool), min(count, len(pool)))


class Planner:
    """Decides what each site is, pass by pass (:meth:`plan`), from one stream derived from the
    seed: reordering the passes or their draws would change every generated testbed."""

    def __init__(self, profile: Profile, n: int, seed: int, page_kb: tuple[int, int]) -> None:
        self.profile = profile
        self.n = n
        self.seed = seed
        self.page_kb = page_kb
        self.rng = seeded(seed, "plan")
        self.used_hosts: set[str] = {*C.OUTSIDE_HOSTS, CONTROL_HOST}
        self.used_names: set[str] = set()
        self.used_icp: set[str] = set()
        self.used_police: set[str] = set()
        self.used_site_codes: set[str] = set()
        # Names and hosts come from the plan's own stream, in the plan's order of draws.
        self.names = Identities(profile, self.rng)
        self.city = profile.name
        self.police_abbr = {"蜀": "川", "黔": "贵", "陇": "甘"}.get(
            profile.province_abbr, profile.province_abbr
        )
        self.plans: list[Plan] = []
        self.minimum = _minimum(n)

    # identities -------------------------------------------------------------------------

    def _add(self, ident: dict[str, Any], category: str, in_inventory: bool) -> Plan | None:
        host, name = ident["host"], ident["name"]
        if host in self.used_hosts or name in self.used_names:
            return None
        self.used_hosts.add(host)
        self.used_names.add(name)
        plan = Plan(
            index=len(self.plans),
            host=host,
            name=name,
            sponsor=ident["sponsor"],
            district=ident["district"],
            district_code=ident["code"],
            category=category,
            key_unit=bool(ident["key"]),
            government=bool(ident["government"]) or host.endswith(".gov.cn"),
            public_institution=bool(ident["public_institution"]),
            city_level=bool(ident.get("city", False)),
            in_inventory=in_inventory,
        )
        self.plans.append(plan)
        return plan

    def identities(self) -> None:
        n_out = round(self.n * OUT_OF_INVENTORY_SHARE)
        if self.n >= 25:
            n_out = max(n_out, 3)
        n_in = self.n - n_out
        cats = list(CATEGORY_WEIGHTS)
        weights = list(CATEGORY_WEIGHTS.values())
        gov_serial = 0
        for _ in range(n_in):
            category = self.rng.choices(cats, weights)[0]
            for attempt in range(40):
                cat = category if attempt < 30 else "企业"  # names of a kind can run out
                serial = gov_serial if cat == "政府机关" else 0
                if self._add(self.names.candidate(cat, serial), cat, True) is not None:
                    if cat == "政府机关":
                        gov_serial += 1
                    break
            else:  # pragma: no cover - 40 collisions in a row do not happen in practice
                raise RuntimeError("could not find a unique site name")
        # Out-of-inventory sites: township and department sites under the government suffix.
        for _ in range(n_out):
            for _attempt in range(100):
                category, ident = self.names.outside()
                if self._add(ident, category, False) is not None:
                    break
            else:  # pragma: no cover
                raise RuntimeError("could not find a unique out-of-inventory host")

    # behaviours, footers, encodings ----------------------------------------------------------

    def behaviours(self) -> None:
        inventory = [p for p in self.plans if p.in_inventory]
        kinds = _assign(inventory, BEHAVIOUR_SHARES, "ok", self.minimum, self.rng)
        for plan in inventory:
            plan.behaviour = kinds[plan.index]
        for plan in self.plans:
            rng = self.rng
            if plan.behaviour == "redirect_internal":
                plan.redirect_status = rng.choice((301, 302, 302))
                variant = rng.choice(("index", "www", "www", "www_index"))
                origin = plan.host[4:] if plan.host.startswith("www.") else plan.host
                target = "www." + origin
                if variant != "index" and (
                    (origin != plan.host and origin in self.used_hosts)
                    or (target != plan.host and target in self.used_hosts)
                ):
                    variant = "index"
                if variant != "index":
                    self.used_hosts.discard(plan.host)
                    plan.host, plan.target_host = origin, target
                    self.used_hosts.update((origin, target))
                plan.redirect_variant = variant
                plan.relative_location = variant == "index" and rng.random() < 0.5
            elif plan.behaviour == "redirect_external":
                plan.redirect_status = 301
                while True:
                    prefix = rng.choice(("hg", "js", "ag", "bet", "yh", "xpj", "wns", "amxpj"))
                    host = f"www.{prefix}{rng.randint(100, 99999)}.com"
                    if host not in self.used_hosts:
                        break
                self.used_hosts.add(host)
                plan.target_host = host
            plan.error_style = rng.randrange(2)

    def footers(self) -> None:
        visible = [p for p in self.plans if p.behaviour in VISIBLE]
        gov = [p for p in visible if p.government]
        other = [p for p in visible if not p.government]
        kinds = _assign(other, FOOTER_SHARES, "compliant", self.minimum, self.rng)
        # Plain kinds are guaranteed among the other sites; here only the government ones.
        gov_minimum = {"gov_missing_marks": self.minimum}
        kinds.update(_assign(gov, GOV_FOOTER_SHARES, "gov_full", gov_minimum, self.rng))
        plain = ["compliant", *FOOTER_SHARES]
        plain_w = [1 - sum(FOOTER_SHARES.values()), *FOOTER_SHARES.values()]
        for plan in self.plans:
            if plan.index in kinds:
                plan.footer = kinds[plan.index]
            elif plan.government:
                plan.footer = self.rng.choice(("gov_full", "gov_full", "gov_missing_marks"))
            else:  # never seen by a crawler; drawn anyway so that the manifest is complete
                plan.footer = self.rng.choices(plain, plain_w)[0]

    def encodings(self) -> None:
        rng = self.rng
        visible = [p for p in self.plans if p.behaviour in VISIBLE]
        enc = _assign(visible, {"gbk": 0.15}, "utf-8", self.minimum, rng)
        gbk = [p for p in visible if enc[p.index] == "gbk"]
        utf8 = [p for p in visible if enc[p.index] == "utf-8"]
        gbk_where = _assign(
            gbk, {"none": 0.2, "header": 0.05, "meta+header": 0.2}, "meta", self.minimum, rng
        )
        utf8_where = _assign(
            utf8, {"meta": 0.15, "none": 0.03, "header": 0.02}, "meta+header", 1, rng
        )
        for plan in self.plans:
            plan.meta_style = rng.randrange(3)
            if enc.get(plan.index) == "gbk":
                plan.encoding = "gbk"
                plan.charset_in = gbk_where[plan.index]
                plan.charset_label = rng.choice(("gbk", "gb2312", "GBK", "GB2312"))
            else:
                plan.encoding = "utf-8"
                plan.charset_in = utf8_where.get(plan.index, "meta+header")
                plan.charset_label = rng.choice(("utf-8", "UTF-8", "utf-8"))

    # numbers ----------------------------------------------------------------------------

    def _icp_number(self, kind: str) -> str:
        rng = self.rng
        while True:
            if kind == "old":
                digits = f"{rng.randint(5, 19):02d}{rng.randint(0, 999999):06d}"
                abbr = self.profile.province_abbr
            elif kind == "other_province":
                digits = f"{rng.randint(2020, 2025)}{rng.randint(0, 999999):06d}"
                others = [a for a in "京粤浙沪苏川" if a != self.profile.province_abbr]
                abbr = rng.choice(others).replace("川", "蜀")
            else:
                digits = f"{rng.randint(2020, 2025)}{rng.randint(0, 999999):06d}"
                abbr = self.profile.province_abbr
            base = f"{abbr}ICP备{digits}号"
            if base not in self.used_icp:
                self.used_icp.add(base)
                break
        roll = rng.random()
        if roll < 0.3:
            return base + "-1"
        if roll < 0.5:
            return base + f"-{rng.randint(2, 5)}"
        if roll < 0.55:
            return base + f"-{rng.randint(10, 15)}"
        return base

    def _police_number(self, plan: Plan) -> str:
        rng = self.rng
        prefix = self.profile.division_prefix
        if plan.police_kind == "city":
            code, abbr = prefix.ljust(6, "0"), self.police_abbr
        elif plan.police_kind == "out":
            options = [
                (c, a)
                for c, a in (("140105", "晋"), ("140100", "晋"), ("110105", "京"), ("310115", "沪"))
                if not c.startswith(prefix)
            ]
            code, abbr = rng.choice(options)
        elif plan.police_kind == "mismatch":
            code = "140105" if prefix.startswith("61") else "610113"
            abbr = self.police_abbr if not prefix.startswith("61") else "陕"
        else:
            code, abbr = plan.district_code, self.police_abbr
        while True:
            number = f"{abbr}公网安备{code}02{rng.randint(0, 999999):06d}号"
            if number not in self.used_police:
                self.used_police.add(number)
                return number

    def numbers(self) -> None:
        rng = self.rng
        plans = self.plans
        for plan in plans:
            if plan.government or plan.category in ("学校", "医院", "事业单位"):
                plan.icp_kind = "old" if rng.random() < (0.5 if plan.government else 0.3) else "new"
            else:
                roll = rng.random()
                plan.icp_kind = "other_province" if roll < 0.1 else ("old" if roll < 0.3 else "new")
            roll = rng.random()
            plan.police_kind = "city" if roll < 0.05 else "own"
            plan.icp_url = rng.choice(C.ICP_REGISTRY_URLS)
            plan.police_url_style = rng.choice(("old", "old", "new"))
        # Guarantee the rarer number traits on sites whose footer shows the number.
        icp_shown = [p for p in plans if p.behaviour in VISIBLE and p.footer in SHOWS_OWN_ICP]
        police_shown = [p for p in plans if p.behaviour in VISIBLE and p.footer in SHOWS_OWN_POLICE]
        m = self.minimum
        for kind in ("old", "other_province"):
            have = sum(1 for p in icp_shown if p.icp_kind == kind)
            if have < m:
                candidates = [
                    p
                    for p in icp_shown
                    if p.icp_kind == "new"
                    and (kind == "old" or p.category in ("企业", "新闻媒体", "社会组织"))
                ]
                for p in _pick(rng, candidates, m - have):
                    p.icp_kind = kind
        for kind, share in (("out", 0.05), ("mismatch", 0.025)):
            free = [p for p in police_shown if p.police_kind == "own"]
            for p in _pick(rng, free, max(m, round(share * len(police_shown)))):
                p.police_kind = kind
        linked = [p for p in icp_shown if p.footer in LINKED_ICP]
        for p in _pick(rng, linked, max(m, round(0.04 * len(linked)))):
            p.icp_url = rng.choice(C.ICP_OUTDATED_URLS)
        for plan in plans:
            plan.icp = self._icp_number(plan.icp_kind)
            plan.police = self._police_number(plan)
        # Borrowed numbers: pairs of sites of different sponsors showing one ICP number.
        pairs = max(m, round(0.01 * self.n)) if self.n >= 50 else 0
        candidates = [p for p in icp_shown if p.footer != "js_written"]
        chosen = _pick(rng, candidates, 2 * pairs)
        for owner, borrower in zip(chosen[::2], chosen[1::2], strict=False):
            borrower.icp = owner.icp
            owner.shares_icp_with.append(borrower.host)
            borrower.shares_icp_with.append(owner.host)
        # Government marks.
        for plan in plans:
            if plan.government:
                base = (
                    self.profile.division_prefix.ljust(6, "0")
                    if plan.city_level
                    else plan.district_code
                )
                while True:
                    code = f"{base}{rng.randint(1, 9999):04d}"
                    if code not in self.used_site_codes:
                        self.used_site_codes.add(code)
                        plan.site_code = code
                        break
            plan.conac_id = f"{rng.getrandbits(128):032X}"
            plan.conac_style = rng.choice(("link", "link", "script", "unescape"))

    # page details -----------------------------------------------------------------------

    def details(self) -> None:
        rng = self.rng
        lo, hi = self.page_kb
        for plan in self.plans:
            place = self.city if plan.city_level else plan.district
            plan.organiser = place + rng.choice(C.ORGANISER_SUFFIXES)
            plan.show_sponsor = rng.random() < 0.3
            road = rng.choice(C.ROADS)
            plan.address = (
                f"{self.profile.province}{self.city}{plan.district}{road}{rng.randint(1, 399)}号"
            )
            plan.phone = f"0359-{rng.choice('268')}{rng.randint(0, 999999):06d}"
            if plan.category == "企业":
                tail = "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(8))
                plan.extra_line = f"统一社会信用代码：91{plan.district_code}MA{tail}"
            plan.page_kb = rng.randint(lo, hi)
            styles = (
                "{name}",
                "{name}门户网站" if plan.government else "{name}官方网站",
                "首页 - {name}",
                "{name}-首页",
                "欢迎访问{name}",
            )
            plan.title = rng.choice(styles).format(name=plan.name)
            year = rng.choice((2024, 2025, 2025))
            if plan.encoding == "utf-8":
                marker = rng.choice(
                    (
                        "版权所有 © {year} {s}",
                        "Copyright © 2018-{year} {s} 版权所有",
                        "{s} 版权所有",
                        "版权所有：{s}",
                    )
                )
            else:  # GBK has no ©
                marker = rng.choice(("版权所有：{s}", "{s} 版权所有", "Copyright 2016-{year} {s}"))
            plan.marker = marker.format(year=year, s=plan.sponsor)
            plan.server = rng.choice(
                (
                    "nginx",
                    "nginx/1.20.1",
                    "Apache",
                    "Apache/2.4.6 (CentOS)",
                    "Tengine",
                    "Microsoft-IIS/8.5" if plan.encoding == "gbk" else "nginx/1.18.0",
                )
            )
        visible = [p for p in self.plans if p.behaviour in VISIBLE]
        m = self.minimum
        for p in _pick(rng, visible, max(m, round(0.05 * len(visible)))):
            p.quotes_other = True
        for p in _pick(rng, visible, max(m, round(0.04 * len(visible)))):
            p.id_like = True
        fixed = [p for p in visible if p.footer in FIXED_FOOTERS]
        for p in _pick(rng, fixed, max(1 if m else 0, round(0.03 * len(fixed)))):
            p.template_dup = True
        ok_inventory = [p for p in visible if p.behaviour == "ok" and p.in_inventory]
        for p in _pick(rng, ok_inventory, 2 if self.n >= 20 else 0):
            p.robots_disallow = True

    # links ------------------------------------------------------------------------------

    def links(self) -> None:
        rng = self.rng
        visible = [p for p in self.plans if p.behaviour in VISIBLE]
        sources = [p for p in visible if p.in_inventory and not p.robots_disallow]
        outside = [p for p in self.plans if not p.in_inventory]
        n_depth2 = len(outside) // 3 if len(outside) >= 3 else 0
        depth1, depth2 = outside[: len(outside) - n_depth2], outside[len(outside) - n_depth2 :]

        def link(src: Plan, dst: Plan) -> None:
            if dst.host not in src.links_to and src is not dst:
                src.links_to.append(dst.host)

        for plan in depth1:
            plan.depth = 1
            if not sources:
                break
            same = [s for s in sources if s.district == plan.district and len(s.links_to) < 3]
            pool = same or [s for s in sources if len(s.links_to) < 3] or sources
            link(rng.choice(pool), plan)
        for plan in depth2:
            plan.depth = 2
            if depth1:
                # The least-linked depth-1 site, so that no homepage needs more than 3 links.
                fewest = min(len(p.links_to) for p in depth1)
                link(rng.choice([p for p in depth1 if len(p.links_to) == fewest]), plan)
        inventory = [p for p in self.plans if p.in_inventory]
        for src in visible:
            want = rng.choices((0, 1, 2, 3), (0.25, 0.35, 0.25, 0.15))[0]
            targets = inventory + (depth1 if src.in_inventory else outside)
            for _ in range(max(0, want - len(src.links_to))):
                link(src, rng.choice(targets))
            if src.government and rng.random() < 0.7:
                src.links_outside = ["www.gov.cn", "www.shanxi.gov.cn"]
            elif rng.random() < 0.1:
                src.links_outside = [rng.choice(("www.baidu.com", "www.12377.cn"))]
        with_links = [p for p in visible if p.links_to]
        for p in _pick(rng, with_links, max(self.minimum, round(0.08 * len(with_links)))):
            p.partner_numbers = True

    def plan(self) -> list[Plan]:
        self.identities()
        self.behaviours()
        self.footers()
        self.encodings()
        self.numbers()
        self.details()
        self.links()
        return self.plans


def footer_history(plans: list[Plan], seed: int, epoch: int) -> dict[int, list[tuple[int, str]]]:
    """Footer of every site from epoch 0 to `epoch`: [(epoch it took effect, footer), ...].

    At each epoch about 8% of the visible sites fix their footer and about 2% of the compliant
    ones regress to none; earlier changes persist.
    """
    history = {p.index: [(0, p.footer)] for p in plans}
    visible = [p for p in plans if p.behaviour in VISIBLE]
    for e in range(1, epoch + 1):
        rng = seeded(seed, "epoch", e)
        current = {p.index: history[p.index][-1][1] for p in visible}
        broken = [p for p in visible if current[p.index] not in FIXED_FOOTERS]
        fixed = [p for p in visible if current[p.index] in FIXED_FOOTERS]
        n_fix = max(1, round(0.08 * len(visible))) if broken else 0
        n_regress = max(1, round(0.02 * len(visible))) if len(fixed) > 1 else 0
        for plan in _pick(rng, broken, n_fix):
            history[plan.index].append((e, "gov_full" if plan.government else "compliant"))
        for plan in _pick(rng, fixed, n_regress):
            history[plan.index].append((e, "none"))
    return history
