"""Deterministic generator of a sample jurisdiction: N synthetic websites and their ground truth.

``generate(profile, n, seed)`` plans every site once (identity, behaviour, footer kind, filing
numbers, links) from ``random.Random`` streams derived from the seed, never from the global
generator or ``hash()``, so the same arguments give byte-identical manifests and pages. Pages
are assembled on request from a small pool of shared pre-encoded filler blocks plus a few
per-site pieces, and served as lists of byte chunks: 5000 sites of 30-120 KB stay in a few
megabytes.
"""

from __future__ import annotations

import csv
import json
import random
import re
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from html import escape
from http import HTTPStatus
from pathlib import Path
from typing import Any

from audit.config import Profile
from audit.files import staged
from audit.testbed import content as C

GENERATOR_VERSION = 1

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
OUTCOMES = ("ok", "http_error", "refused", "dns_error", "timeout", "too_large", "redirect_loop")

CONTROL_HOST = "testbed.internal"
TOO_LARGE_BYTES = 8 * 1024 * 1024
# Behaviours whose homepage a crawler sees (after redirects, on the site's own domain).
VISIBLE = frozenset({"ok", "redirect_internal"})
FIXED_FOOTERS = frozenset({"compliant", "gov_full"})
# Where a homepage keeps its footer: in the page, or in a file of the site it pulls in
# (read without a browser: audit/reading.py). Drawn for a share of the ordinary sites,
# from a generator of its own, so that every other draw stays as it was.
PLACEMENTS = ("inline", "iframe", "script", "load", "frameset")
PLACED_SHARE = 0.08
INCLUDE_PATHS = {
    "iframe": "/inc/copyright.html",
    "script": "/js/footer.js",
    "load": "/include/foot.shtml",
    "frameset": "/foot.html",
}
FRAMED_HOME = "/index_main.html"
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


def _seeded(seed: int, *parts: object) -> random.Random:
    # String seeds are hashed with SHA-512 by random.Random: stable across runs and platforms.
    return random.Random(":".join(["beian-testbed", str(seed), *map(str, parts)]))


# --- public data ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Page:
    """A response the server writes: whole body as chunks, or a fresh chunk stream per request."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: tuple[bytes, ...] = ()
    length: int = 0
    stream: Callable[[], Iterator[bytes]] | None = None
    delay: float = 0.0

    @property
    def reason(self) -> str:
        try:
            return HTTPStatus(self.status).phrase
        except ValueError:
            return "Unknown"

    def header(self, name: str) -> str | None:
        name = name.lower()
        return next((v for k, v in self.headers if k.lower() == name), None)

    def chunks(self) -> Iterator[bytes]:
        if self.stream is not None:
            yield from self.stream()
        else:
            yield from self.body

    def body_bytes(self) -> bytes:
        return b"".join(self.chunks())


@dataclass(frozen=True)
class SiteSpec:
    """One synthetic website and the ground truth of what a crawl of it should find."""

    host: str
    url: str
    name: str
    sponsor: str
    district: str
    district_code: str
    category: str
    key_unit: bool
    in_inventory: bool
    discovery_depth: int  # 0: in the inventory; 1/2: reachable only through links
    behaviour: str
    footer: str
    encoding: str  # utf-8 | gbk
    declares_charset: bool
    charset_declared_in: str  # meta+header | meta | header | none
    links_to: tuple[str, ...]
    links_outside: tuple[str, ...]
    traits: tuple[str, ...]
    expected: dict[str, Any] = field(hash=False, compare=True)
    footer_history: tuple[tuple[int, str], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "url": self.url,
            "name": self.name,
            "sponsor": self.sponsor,
            "district": self.district,
            "district_code": self.district_code,
            "category": self.category,
            "key_unit": self.key_unit,
            "in_inventory": self.in_inventory,
            "discovery_depth": self.discovery_depth,
            "behaviour": self.behaviour,
            "footer": self.footer,
            "encoding": self.encoding,
            "declares_charset": self.declares_charset,
            "charset_declared_in": self.charset_declared_in,
            "links_to": list(self.links_to),
            "links_outside": list(self.links_outside),
            "traits": list(self.traits),
            "footer_history": [list(h) for h in self.footer_history],
            "expected": self.expected,
        }


# --- the plan: every random decision, made once ---------------------------------------------


@dataclass
class _Plan:
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
    items: Sequence[_Plan],
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


def _pick(rng: random.Random, pool: Sequence[_Plan], count: int) -> list[_Plan]:
    return rng.sample(list(pool), min(count, len(pool)))


class _Planner:
    def __init__(self, profile: Profile, n: int, seed: int, page_kb: tuple[int, int]) -> None:
        self.profile = profile
        self.n = n
        self.seed = seed
        self.page_kb = page_kb
        self.rng = _seeded(seed, "plan")
        self.used_hosts: set[str] = {*C.OUTSIDE_HOSTS, CONTROL_HOST}
        self.used_names: set[str] = set()
        self.used_icp: set[str] = set()
        self.used_police: set[str] = set()
        self.used_site_codes: set[str] = set()
        self.divisions = list(profile.divisions.items())
        if not self.divisions:
            raise ValueError("the profile has no divisions")
        self.city = profile.name
        self.gov_suffix = (
            profile.gov_domain_suffixes[0]
            if profile.gov_domain_suffixes
            else f"{C.place_slug(profile.name, profile.division_prefix)}.gov.cn"
        )
        city_slug = C.place_slug(profile.name, profile.division_prefix)
        self.ci = "yc" if city_slug == "yuncheng" else self.gov_suffix.split(".")[0][:3]
        self.police_abbr = {"蜀": "川", "黔": "贵", "陇": "甘"}.get(
            profile.province_abbr, profile.province_abbr
        )
        self.plans: list[_Plan] = []
        self.minimum = _minimum(n)

    # identities -------------------------------------------------------------------------

    def _district(self, seat_weight: float = 3.0) -> tuple[str, str]:
        weights = [seat_weight if i == 0 else 1.0 for i in range(len(self.divisions))]
        code, name = self.rng.choices(self.divisions, weights)[0]
        return name, code

    def _identity(self, category: str, serial: int) -> dict[str, Any]:
        """One (name, host, ...) candidate of a category; may collide, the caller retries."""
        rng = self.rng
        city, ci, suffix = self.city, self.ci, self.gov_suffix
        seat_name, seat_code = self.divisions[0][1], self.divisions[0][0]
        d_name, d_code = self._district()
        dslug = C.place_slug(d_name, d_code)
        dshort = C.short_place(d_name)
        ab, abp = C.name_pair(rng)
        gov = dict(government=True, public_institution=False)
        plain = dict(government=False, public_institution=False)
        if category == "政府机关":
            if serial == 0:
                return dict(
                    name=f"{city}人民政府", sponsor=f"{city}人民政府办公室",
                    host=f"www.{suffix}", district=seat_name, code=seat_code, key=True, city=True,
                    **gov,
                )  # fmt: skip
            if serial <= len(self.divisions):
                code, name = self.divisions[serial - 1]
                full = f"{city}{name}人民政府" if name.endswith("区") else f"{name}人民政府"
                return dict(
                    name=full, sponsor=f"{full}办公室",
                    host=f"www.{C.place_slug(name, code)}.{suffix}",
                    district=name, code=code, key=True, **gov,
                )  # fmt: skip
            roll = rng.random()
            bureau, abbr = rng.choice(C.BUREAUS)
            if roll < 0.3:
                name = f"{city}{bureau}"
                return dict(
                    name=name, sponsor=name, host=f"{abbr}.{suffix}", district=seat_name,
                    code=seat_code, key=rng.random() < 0.3, city=True, **gov,
                )  # fmt: skip
            if roll < 0.7:
                name = f"{d_name}{bureau}"
                return dict(
                    name=name, sponsor=name, host=f"{abbr}.{dslug}.{suffix}", district=d_name,
                    code=d_code, key=rng.random() < 0.1, **gov,
                )  # fmt: skip
            return self._township(d_name, d_code)
        if category == "事业单位":
            inst, abbr = rng.choice(C.INSTITUTIONS)
            roll = rng.random()
            pub = dict(public_institution=True)
            if roll < 0.35:
                name = f"{city}{inst}"
                host = f"{abbr}.{suffix}" if rng.random() < 0.5 else f"www.{ci}{abbr}.org.cn"
                return dict(
                    name=name, sponsor=name, host=host, district=seat_name, code=seat_code,
                    key=rng.random() < 0.3, government=host.endswith(suffix), city=True, **pub,
                )  # fmt: skip
            if roll < 0.7:
                name = f"{d_name}{inst}"
                host = f"{abbr}.{dslug}.{suffix}" if rng.random() < 0.5 else f"www.{dslug}{abbr}.cn"
                return dict(
                    name=name, sponsor=name, host=host, district=d_name, code=d_code,
                    key=rng.random() < 0.1, government=host.endswith(suffix), **pub,
                )  # fmt: skip
            kind, kslug = rng.choice((("卫生院", "wsy"), ("农业综合服务中心", "nyfw"),
                                      ("便民服务中心", "bmfw")))  # fmt: skip
            name = f"{d_name}{ab}镇{kind}"
            return dict(
                name=name, sponsor=name, host=f"www.{dslug}{abp}{kslug}.cn", district=d_name,
                code=d_code, key=False, government=False, **pub,
            )  # fmt: skip
        if category == "学校":
            roll = rng.random()
            num = rng.randint(1, 20)
            if roll < 0.2:
                name, host = f"{city}第{C.numeral(num)}中学", f"www.{ci}{num}zx.cn"
                district, code = seat_name, seat_code
            elif roll < 0.45:
                name, host = f"{d_name}第{C.numeral(num)}中学", f"www.{dslug}{num}z.com"
                district, code = d_name, d_code
            elif roll < 0.7:
                name, host = f"{d_name}{ab}小学", f"www.{dslug}{abp}xx.cn"
                district, code = d_name, d_code
            elif roll < 0.8:
                kind, kslug = rng.choice((("实验中学", "syzx"), ("实验小学", "syxx"),
                                          ("职业中学", "zz"), ("特殊教育学校", "tj")))  # fmt: skip
                name, host = f"{d_name}{kind}", f"www.{dslug}{kslug}.com.cn"
                district, code = d_name, d_code
            elif roll < 0.9:
                name, host = f"{city}{ab}职业技术学院", f"www.{ci}{abp}.edu.cn"
                district, code = seat_name, seat_code
            else:
                name, host = f"{dshort}{ab}幼儿园", f"www.{dslug}{abp}yey.com"
                district, code = d_name, d_code
            return dict(
                name=name, sponsor=name, host=host, district=district, code=code,
                key=rng.random() < 0.15, **plain,
            )  # fmt: skip
        if category == "医院":
            roll = rng.random()
            if roll < 0.15:
                num = rng.randint(1, 6)
                name, host = f"{city}第{C.numeral(num)}人民医院", f"www.{ci}{num}yy.com"
                district, code = seat_name, seat_code
            elif roll < 0.55:
                kind, kslug = rng.choice((("人民医院", "rmyy"), ("中医医院", "zyy"),
                                          ("妇幼保健院", "fybj")))  # fmt: skip
                name, host = f"{d_name}{kind}", f"www.{dslug}{kslug}.cn"
                district, code = d_name, d_code
            else:
                kind, kslug = rng.choice((("医院", "yy"), ("口腔医院", "kq"), ("眼科医院", "yk"),
                                          ("骨科医院", "gk")))  # fmt: skip
                name, host = f"{C.short_place(city)}{ab}{kind}", f"www.{ci}{abp}{kslug}.com"
                district, code = d_name, d_code
            return dict(
                name=name, sponsor=name, host=host, district=district, code=code,
                key=rng.random() < 0.4, **plain,
            )  # fmt: skip
        if category == "企业":
            ind, islug = rng.choice(C.INDUSTRIES)
            roll = rng.random()
            form = "股份有限公司" if rng.random() < 0.15 else "有限公司"
            if roll < 0.4:
                name, host = (
                    f"{self.profile.province[:2]}{ab}{ind}{form}",
                    f"www.sx{abp}{islug}.com",
                )
            elif roll < 0.75:
                name, host = f"{city}{ab}{ind}{form}", f"www.{ci}{abp}{islug}.cn"
            else:
                name, host = f"{dshort}{ab}{ind}{form}", f"www.{abp}{islug}.com.cn"
            return dict(
                name=name, sponsor=name, host=host, district=d_name, code=d_code,
                key=rng.random() < 0.08, **plain,
            )  # fmt: skip
        if category == "新闻媒体":
            roll = rng.random()
            if roll < 0.4:
                name, host = f"{d_name}融媒体中心", f"www.{dslug}rmt.cn"
            elif roll < 0.7:
                name, host = f"{C.short_place(city)}{ab}网", f"www.{ci}{abp}.com"
            else:
                name, host = f"{dshort}{ab}新闻网", f"www.{dslug}{abp}news.com"
            return dict(
                name=name, sponsor=name, host=host, district=d_name, code=d_code,
                key=rng.random() < 0.5, **plain,
            )  # fmt: skip
        # 社会组织
        roll = rng.random()
        if roll < 0.4:
            trade, tslug = rng.choice(C.TRADES)
            kind, kslug = rng.choice((("协会", "xh"), ("学会", "xueh")))
            name, host = f"{city}{trade}{kind}", f"www.{ci}{tslug}{kslug}.org.cn"
        elif roll < 0.6:
            kind, kslug = rng.choice((("慈善总会", "csh"), ("红十字会", "hszh"),
                                      ("志愿者协会", "zyz")))  # fmt: skip
            name, host = f"{d_name}{kind}", f"www.{dslug}{kslug}.org.cn"
        else:
            name, host = f"{city}{ab}商会", f"www.{ci}{abp}sh.org"
        return dict(
            name=name, sponsor=name, host=host, district=d_name, code=d_code,
            key=rng.random() < 0.05, **plain,
        )  # fmt: skip

    def _township(self, d_name: str, d_code: str) -> dict[str, Any]:
        ab, abp = C.name_pair(self.rng)
        kind = self.rng.choice(("镇", "镇", "乡", "街道办事处"))
        name = f"{d_name}{ab}{kind}" + ("" if kind.endswith("处") else "人民政府")
        return dict(
            name=name, sponsor=name, host=f"{abp}.{C.place_slug(d_name, d_code)}.{self.gov_suffix}",
            district=d_name, code=d_code, key=False, government=True, public_institution=False,
        )  # fmt: skip

    def _add(self, ident: dict[str, Any], category: str, in_inventory: bool) -> _Plan | None:
        host, name = ident["host"], ident["name"]
        if host in self.used_hosts or name in self.used_names:
            return None
        self.used_hosts.add(host)
        self.used_names.add(name)
        plan = _Plan(
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
                if self._add(self._identity(cat, serial), cat, True) is not None:
                    if cat == "政府机关":
                        gov_serial += 1
                    break
            else:  # pragma: no cover - 40 collisions in a row do not happen in practice
                raise RuntimeError("could not find a unique site name")
        # Out-of-inventory sites: township and department sites under the government suffix.
        for _ in range(n_out):
            for _attempt in range(100):
                d_name, d_code = self._district(seat_weight=1.0)
                if self.rng.random() < 0.7:
                    ident = self._township(d_name, d_code)
                    category = "政府机关"
                else:
                    inst, abbr = self.rng.choice(C.INSTITUTIONS)
                    name = f"{d_name}{inst}"
                    slug = C.place_slug(d_name, d_code)
                    ident = dict(
                        name=name, sponsor=name, host=f"{abbr}.{slug}.{self.gov_suffix}",
                        district=d_name, code=d_code, key=False, government=True,
                        public_institution=True,
                    )  # fmt: skip
                    category = "事业单位"
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

    def _police_number(self, plan: _Plan) -> str:
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

        def link(src: _Plan, dst: _Plan) -> None:
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

    def plan(self) -> list[_Plan]:
        self.identities()
        self.behaviours()
        self.footers()
        self.encodings()
        self.numbers()
        self.details()
        self.links()
        return self.plans


# --- shared pre-encoded filler --------------------------------------------------------------


class _Pools:
    """Filler shared by all sites, encoded once per encoding."""

    ARTICLES = 120
    FIRST_ARTICLE = 1001

    def __init__(self, profile: Profile, seed: int) -> None:
        rng = _seeded(seed, "pools")
        ctx = C.TextContext(profile.name, tuple(profile.divisions.values()))
        self.article_titles = [C.news_title(rng, ctx) for _ in range(self.ARTICLES)]
        self.article_dates = [C.date_text(rng) for _ in range(self.ARTICLES)]
        articles = []
        for i, title in enumerate(self.article_titles):
            paras = "".join(
                f"<p>{C.paragraph(rng, ctx, rng.randint(3, 6))}</p>\n"
                for _ in range(rng.randint(3, 7))
            )
            articles.append(
                f'<div class="article"><h1>{title}</h1>\n<div class="info">发布时间：'
                f"{self.article_dates[i]}　来源：本站　浏览次数：{rng.randint(20, 5000)}</div>\n"
                f'<div class="content">\n{paras}</div></div>\n'
            )
        headings = (
            "工作动态",
            "通知公告",
            "政策文件",
            "部门动态",
            "基层动态",
            "媒体聚焦",
            "图片新闻",
        )
        blocks = []
        for i in range(48):
            if i % 2 == 0:  # a news list
                ids = rng.sample(range(self.ARTICLES), rng.randint(8, 14))
                items = "".join(
                    f'<li><a href="/news/{self.FIRST_ARTICLE + a}.html" target="_blank" '
                    f'title="{self.article_titles[a]}">{self.article_titles[a]}</a>'
                    f"<span>{self.article_dates[a]}</span></li>\n"
                    for a in ids
                )
                blocks.append(
                    f'<div class="news-list col{i}"><div class="title"><h2>{rng.choice(headings)}'
                    f'</h2><a class="more" href="/news/index.html">更多&gt;&gt;</a></div>\n'
                    f"<ul>\n{items}</ul></div>\n"
                )
            else:  # article teasers
                paras = "".join(
                    f"<p>{C.paragraph(rng, ctx, rng.randint(2, 5))}</p>\n" for _ in range(4)
                )
                blocks.append(
                    f'<div class="focus box{i}"><h3>{C.news_title(rng, ctx)}</h3>\n{paras}</div>\n'
                )
        css = [C.css_blob(rng, rng.randint(60, 160)) for _ in range(4)]
        js = [C.js_blob(rng, rng.randint(30, 90)) for _ in range(4)]
        self.encoded: dict[str, dict[str, list[bytes]]] = {}
        for encoding in ("utf-8", "gbk"):
            self.encoded[encoding] = {
                "articles": [a.encode(encoding) for a in articles],
                "blocks": [b.encode(encoding) for b in blocks],
                "css": [c.encode("ascii") for c in css],
                "js": [f'<script type="text/javascript">\n{j}</script>\n'.encode() for j in js],
            }
        big = "".join(f"<p>{C.paragraph(rng, ctx, 6)}</p>\n" for _ in range(60)).encode()  # utf-8
        self.large_chunk = (big * (65536 // len(big) + 1))[:65536]
        cut = self.large_chunk.rfind(b"\n") + 1  # keep whole characters in every chunk
        self.large_chunk = self.large_chunk[:cut]


# --- the testbed ---------------------------------------------------------------------------


_NGINX_404 = (
    "404 Not Found",
    "<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n"
    "<center><h1>404 Not Found</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n",
)
_IIS_404 = (
    "404 - 找不到文件或目录。",
    '<!DOCTYPE html>\r\n<html><head><meta charset="utf-8"><title>404 - 找不到文件或目录。</title>'
    '</head><body><div id="header"><h1>服务器错误</h1></div><div id="content"><h2>404 - '
    "找不到文件或目录。</h2><h3>您要查找的资源可能已被删除，已更改名称或者暂时不可用。</h3></div>"
    "</body></html>\r\n",
)
_NGINX_500 = (
    "500 Internal Server Error",
    "<html>\r\n<head><title>500 Internal Server Error</title></head>\r\n<body>\r\n"
    "<center><h1>500 Internal Server Error</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n",
)
_TOMCAT_500 = (
    "HTTP Status 500 – Internal Server Error",
    '<!doctype html><html lang="en"><head><title>HTTP Status 500 – Internal Server Error</title>'
    '</head><body><h1>HTTP Status 500 – Internal Server Error</h1><hr class="line" /><p><b>Type'
    "</b> Exception Report</p><p><b>Message</b> Request processing failed; nested exception is "
    'java.lang.NullPointerException</p><hr class="line" /><h3>Apache Tomcat/8.5.51</h3></body>'
    "</html>",
)
_LOOP_PATHS = ("/index.do", "/portal/index.do")
_LISTINGS = {
    "/news/index.html": "新闻动态",
    "/zwgk/index.html": "信息公开",
    "/wzdt/index.html": "网站地图",
}


def squid_error(host: str, path: str, code: str) -> Page:
    """The error page a Squid forward proxy returns when it cannot reach an origin."""
    url = f"http://{host}{path}"
    if code == "ERR_DNS_FAIL":
        header = "ERR_DNS_FAIL 0"
        detail = (
            f"<p><b>Unable to determine IP address from host name <q>{escape(host)}</q></b></p>"
            "<p>The DNS server returned:</p><blockquote><pre>Name Error: The domain name does "
            "not exist.</pre></blockquote>"
        )
    else:
        header = "ERR_CONNECT_FAIL 111"
        detail = (
            f"<p><b>Connection to {escape(host)} failed.</b></p>"
            "<p>The system returned: <i>(111) Connection refused</i></p>"
        )
    body = (
        '<!DOCTYPE html>\n<html><head><meta http-equiv="Content-Type" content="text/html; '
        'charset=utf-8"><title>ERROR: The requested URL could not be retrieved</title></head>\n'
        f'<body id="{code}"><h1>ERROR</h1><h2>The requested URL could not be retrieved</h2><hr>\n'
        f'<p>The following error was encountered while trying to retrieve the URL: <a href="'
        f'{escape(url)}">{escape(url)}</a></p>\n<blockquote id="error">{detail}</blockquote>\n'
        '<hr><div id="footer"><p>Generated by testbed-proxy (squid/5.7)</p></div></body></html>\n'
    ).encode()
    headers = (
        ("Server", "squid/5.7"),
        ("Mime-Version", "1.0"),
        ("Content-Type", "text/html;charset=utf-8"),
        ("X-Squid-Error", header),
        ("Vary", "Accept-Language"),
        ("Content-Language", "en"),
        ("X-Cache", "MISS from testbed-proxy"),
        ("Via", "1.1 testbed-proxy (squid/5.7)"),
    )
    return Page(503, headers, (body,), len(body))


def _clean_host(host: str) -> str:
    host = host.strip().lower()
    if host.startswith("["):
        return host
    return host.rsplit(":", 1)[0].rstrip(".") if ":" in host else host.rstrip(".")


class Testbed:
    """N planned sites at one epoch; serves their pages through :meth:`page`."""

    __test__ = False  # not a pytest test class, despite the name

    CACHE_SIZE = 8192

    def __init__(
        self,
        profile: Profile,
        n: int,
        seed: int,
        epoch: int,
        page_kb: tuple[int, int],
        plans: list[_Plan],
        pools: _Pools,
    ) -> None:
        if epoch < 0:
            raise ValueError("epoch must be >= 0")
        self.profile = profile
        self.n = n
        self.seed = seed
        self.epoch = epoch
        self.page_kb = page_kb
        self._plans = plans
        self._pools = pools
        self._by_host_plan = {p.host: p for p in plans}
        self._text_ctx = C.TextContext(profile.name, tuple(profile.divisions.values()))
        self._history = _footer_history(plans, seed, epoch)
        self._footer_html: dict[int, str] = {}
        self._facts: dict[int, C.FooterFacts] = {}
        self._cache: OrderedDict[tuple[str, str], Page] = OrderedDict()
        self.sites: list[SiteSpec] = self._materialise()
        self._site_by_host = {s.host: s for s in self.sites}
        # Hosts that exist only as redirect targets: host -> (role, host of the site).
        self.extra_hosts: dict[str, tuple[str, str]] = {}
        self._routes: dict[str, tuple[str, _Plan | None]] = {}
        for plan in plans:
            self._routes[plan.host] = ("site", plan)
            if plan.behaviour == "redirect_internal" and plan.target_host:
                self._routes[plan.target_host] = ("alias", plan)
                self.extra_hosts[plan.target_host] = ("redirect_target", plan.host)
            elif plan.behaviour == "redirect_external":
                self._routes[plan.target_host] = ("takeover", plan)
                self.extra_hosts[plan.target_host] = ("takeover", plan.host)
        for host in C.OUTSIDE_HOSTS:
            self._routes[host] = ("outside", None)

    # ground truth ---------------------------------------------------------------------------

    def footer_at(self, plan: _Plan) -> str:
        return self._history[plan.index][-1][1]

    def _footer_input(self, plan: _Plan) -> C.FooterInput:
        return C.FooterInput(
            icp=plan.icp,
            police=plan.police,
            sponsor=plan.sponsor,
            marker=plan.marker,
            government=plan.government,
            public_institution=plan.public_institution,
            site_code=plan.site_code,
            conac_id=plan.conac_id,
            conac_style=plan.conac_style,
            icp_url=plan.icp_url,
            police_url_style=plan.police_url_style,
            show_sponsor=plan.show_sponsor,
            organiser=plan.organiser,
            address=plan.address,
            phone=plan.phone,
            extra_line=plan.extra_line,
            template_dup=plan.template_dup,
        )

    def _materialise(self) -> list[SiteSpec]:
        for plan in self._plans:
            footer = self.footer_at(plan)
            rng = _seeded(self.seed, "footer", plan.host, footer)
            html, facts = C.render_footer(self._footer_input(plan), footer, rng)
            self._footer_html[plan.index] = html
            self._facts[plan.index] = facts
        return [self._spec(plan) for plan in self._plans]

    def _spec(self, plan: _Plan) -> SiteSpec:
        footer = self.footer_at(plan)
        facts = self._facts[plan.index]
        visible = plan.behaviour in VISIBLE
        traits: list[str] = []
        if plan.government:
            traits.append("government")
        expected: dict[str, Any] = {
            "outcome": "ok",
            "status": 200,
            "final_url": plan.url,
            "redirect_chain": [],
            "title": None,
            "footer_marker": None,
            "icp": [],
            "icp_linked": False,
            "police": [],
            "police_linked": False,
            "site_code": None,
            "conac": False,
            "sponsor_shown": None,
            "js_only": False,
            "encoding": None,
            "placeholders": [],
            "malformed": [],
            "icp_shared_with": [],
        }
        b = plan.behaviour
        if visible:
            expected.update(
                title=plan.title,
                footer_marker=plan.marker,
                icp=list(facts.icp),
                icp_linked=facts.icp_linked,
                police=list(facts.police),
                police_linked=facts.police_linked,
                site_code=facts.site_code,
                conac=facts.conac,
                sponsor_shown=facts.sponsor_shown,
                js_only=facts.js_only,
                encoding=plan.encoding,
                placeholders=list(facts.placeholders),
                malformed=list(facts.malformed),
                icp_shared_with=self._borrow_partners(plan, facts),
            )
            if b == "redirect_internal":
                chain, final = self._internal_chain(plan)
                expected.update(redirect_chain=chain, final_url=final)
            traits.extend(self._content_traits(plan, facts))
        elif b == "redirect_external":
            expected.update(
                redirect_chain=[plan.url],
                final_url=f"http://{plan.target_host}/",
                title=self._takeover_title(plan),
                footer_marker=self._takeover_marker(plan),
                encoding="utf-8",
            )
            traits.append("domain_takeover")
        elif b in ("http_404", "http_500"):
            title, _ = self._error_page(plan, 404 if b == "http_404" else 500)
            expected.update(
                outcome="http_error", status=404 if b == "http_404" else 500, title=title
            )
        elif b in ("refused", "dns_error", "slow"):
            outcome = {"refused": "refused", "dns_error": "dns_error", "slow": "timeout"}[b]
            expected.update(outcome=outcome, status=None, final_url=None)
        elif b == "too_large":
            # The title is in the first bytes; the footer only after 8 MB, past any cap.
            expected.update(outcome="too_large", title=plan.title, encoding="utf-8")
        elif b == "redirect_loop":
            base = f"http://{plan.host}"
            expected.update(
                outcome="redirect_loop",
                status=302,
                final_url=None,
                redirect_chain=[plan.url, *(base + p for p in _LOOP_PATHS)],
            )
        if plan.robots_disallow:
            traits.append("robots_disallow_all")
        return SiteSpec(
            host=plan.host,
            url=plan.url,
            name=plan.name,
            sponsor=plan.sponsor,
            district=plan.district,
            district_code=plan.district_code,
            category=plan.category,
            key_unit=plan.key_unit,
            in_inventory=plan.in_inventory,
            discovery_depth=plan.depth,
            behaviour=b,
            footer=footer,
            encoding=plan.encoding,
            declares_charset=plan.charset_in != "none",
            charset_declared_in=plan.charset_in,
            links_to=tuple(plan.links_to) if visible else (),
            links_outside=tuple(plan.links_outside) if visible else (),
            traits=tuple(traits),
            expected=expected,
            footer_history=tuple(self._history[plan.index]),
        )

    def _content_traits(self, plan: _Plan, facts: C.FooterFacts) -> list[str]:
        traits = []
        if plan.government:
            if facts.site_code is None:
                traits.append("gov_missing_site_code")
            if not facts.conac:
                traits.append("gov_missing_badge")
            if facts.sponsor_shown is None:
                traits.append("gov_missing_sponsor")
        if facts.icp:
            if plan.icp_kind == "old":
                traits.append("old_8_digit_icp")
            if plan.icp_kind == "other_province":
                traits.append("icp_other_province")
            if facts.icp_linked and plan.icp_url in C.ICP_OUTDATED_URLS:
                traits.append("icp_outdated_link")
            if self._borrow_partners(plan, facts):
                traits.append("borrowed_icp")
        if facts.police:
            if plan.police_kind == "city":
                traits.append("police_city_level_code")
            if plan.police_kind in ("out", "mismatch"):
                traits.append("police_out_of_jurisdiction")
            if plan.police_kind == "mismatch":
                traits.append("police_province_mismatch")
        if facts.number_in_image:
            traits.append("number_in_image")
        if facts.js_only:
            traits.append("js_only")
        if (placement := self.placement(plan)) != "inline":
            traits.append(f"footer_in_{placement}")
        if facts.placeholders:
            traits.append("placeholder_number")
        if facts.malformed:
            traits.append("malformed_number")
        if plan.quotes_other:
            traits.append("quotes_other_number")
        if plan.partner_numbers and plan.links_to:
            traits.append("partner_list")
        if plan.id_like:
            traits.append("id_like_digits")
        if plan.template_dup and (facts.icp or facts.police) and not facts.js_only:
            traits.append("footer_template_duplicate")
        if plan.encoding == "gbk":
            traits.append("gbk")
        if plan.charset_in == "none":
            traits.append("charset_undeclared")
        elif plan.charset_in == "header":
            traits.append("charset_header_only")
        return traits

    def _borrow_partners(self, plan: _Plan, facts: C.FooterFacts) -> list[str]:
        """Sites of other sponsors that show this site's ICP number too (at this epoch)."""
        if not facts.icp:
            return []
        return [
            h
            for h in plan.shares_icp_with
            if self._by_host_plan[h].behaviour in VISIBLE
            and self._facts[self._by_host_plan[h].index].icp
        ]

    def _internal_chain(self, plan: _Plan) -> tuple[list[str], str]:
        if plan.redirect_variant == "index":
            return [plan.url], f"http://{plan.host}/index.html"
        if plan.redirect_variant == "www":
            return [plan.url], f"http://{plan.target_host}/"
        return [plan.url, f"http://{plan.target_host}/"], f"http://{plan.target_host}/index.html"

    def _takeover_title(self, plan: _Plan) -> str:
        rng = _seeded(self.seed, "takeover", plan.host)
        brand = rng.choice(C.TAKEOVER_BRANDS)
        return f"{brand}-{'|'.join(rng.sample(C.TAKEOVER_WORDS, 3))}官方网站"

    def _takeover_marker(self, plan: _Plan) -> str:
        return f"Copyright © 2025 {plan.target_host} All Rights Reserved"

    # public API -----------------------------------------------------------------------------

    def site(self, host: str) -> SiteSpec:
        return self._site_by_host[host]

    def hosts(self) -> list[str]:
        return [s.host for s in self.sites]

    def at_epoch(self, epoch: int) -> Testbed:
        """The same sites at another epoch (shares the plans and the filler pools)."""
        if epoch == self.epoch:
            return self
        return Testbed(
            self.profile, self.n, self.seed, epoch, self.page_kb, self._plans, self._pools
        )

    def changed_since(self, epoch: int) -> list[str]:
        """Hosts whose footer now differs from what it was at `epoch`."""
        out = []
        for plan in self._plans:
            history = self._history[plan.index]
            then = [f for e, f in history if e <= epoch][-1]
            if then != history[-1][1]:
                out.append(plan.host)
        return out

    def manifest(self) -> dict[str, Any]:
        changed: dict[str, list[str]] = {}
        for plan in self._plans:
            for e, _ in self._history[plan.index][1:]:
                changed.setdefault(str(e), []).append(plan.host)
        return {
            "generator": f"beian-audit testbed v{GENERATOR_VERSION}",
            "seed": self.seed,
            "n": self.n,
            "epoch": self.epoch,
            "profile": self.profile.name,
            "page_kb": list(self.page_kb),
            "control_host": CONTROL_HOST,
            "counts": {
                "behaviour": dict(Counter(s.behaviour for s in self.sites)),
                "footer": dict(Counter(s.footer for s in self.sites)),
                "in_inventory": sum(1 for s in self.sites if s.in_inventory),
            },
            "changed_at_epoch": {e: sorted(h) for e, h in sorted(changed.items())},
            "extra_hosts": [
                {"host": h, "role": role, "site": site}
                for h, (role, site) in self.extra_hosts.items()
            ],
            "outside_hosts": {h: {"title": t, "served": True} for h, t in C.OUTSIDE_HOSTS.items()},
            "sites": [s.to_dict() for s in self.sites],
        }

    def write(self, directory: Path | str) -> tuple[Path, Path]:
        """Write manifest.json and inventory.csv into `directory`, both or neither
        (:func:`audit.files.staged`); return their paths."""
        directory = Path(directory)
        with staged(directory) as staging:
            manifest = json.dumps(self.manifest(), ensure_ascii=False, indent=2) + "\n"
            (staging.path / "manifest.json").write_text(manifest, encoding="utf-8")
            with (staging.path / "inventory.csv").open("w", encoding="utf-8", newline="") as fh:
                writer = csv.writer(fh)
                writer.writerow(["url", "name", "sponsor", "district", "category", "key_unit"])
                for s in self.sites:
                    if s.in_inventory:
                        key_unit = "是" if s.key_unit else "否"
                        writer.writerow([s.url, s.name, s.sponsor, s.district, s.category,
                                         key_unit])  # fmt: skip
            staging.publish()
        return directory / "manifest.json", directory / "inventory.csv"

    # serving --------------------------------------------------------------------------------

    def page_as_read(self, host: str, path: str = "/") -> bytes:
        """A homepage's bytes followed by the file that holds its footer (a frameset: its
        framed page and its footer frame), as a reader that follows includes gets them."""
        body = self.page(host, path).body_bytes()
        route = self._routes.get(_clean_host(host))
        plan = route[1] if route else None
        placement = self.placement(plan) if plan is not None else "inline"
        if placement == "inline" or path not in ("/", "/index.html", "/index.htm"):
            return body
        included = self.page(host, INCLUDE_PATHS[placement]).body_bytes()
        if placement == "script":
            included = b"<script>" + included + b"</script>"
        if placement == "frameset":
            body = self.page(host, FRAMED_HOME).body_bytes()
        # Where the browser shows it: at the end of the page's body.
        end = body.rfind(b"</body>")
        return body[:end] + included + body[end:] if end >= 0 else body + included

    def page(self, host: str, path: str, *, slow_seconds: float = 30.0) -> Page:
        """The response to GET http://host/path (HEAD: the same without the body)."""
        host = _clean_host(host)
        path = path.split("#", 1)[0].split("?", 1)[0] or "/"
        route = self._routes.get(host)
        if route is None:
            return squid_error(host, path, "ERR_DNS_FAIL")
        kind, plan = route
        if kind == "site" and plan is not None:
            if plan.behaviour == "refused":
                return squid_error(host, path, "ERR_CONNECT_FAIL")
            if plan.behaviour == "dns_error":
                return squid_error(host, path, "ERR_DNS_FAIL")
        key = (host, path)
        page = self._cache.get(key)
        if page is None:
            page = self._build(kind, plan, host, path)
            if page.stream is None:
                self._cache[key] = page
                if len(self._cache) > self.CACHE_SIZE:
                    self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(key)
        if kind == "site" and plan is not None and plan.behaviour == "slow":
            return replace(page, delay=slow_seconds)
        return page

    def _build(self, kind: str, plan: _Plan | None, host: str, path: str) -> Page:
        if kind == "outside":
            return self._outside_page(host, path)
        assert plan is not None
        if kind == "takeover":
            return self._takeover_page(plan, path)
        if kind == "alias":
            if plan.redirect_variant == "www_index" and path == "/":
                return self._redirect(plan, f"http://{host}/index.html", "/index.html")
            return self._content(plan, path)
        b = plan.behaviour
        if b == "http_404":
            return self._error(plan, 404)
        if b == "http_500":
            return self._error(plan, 500)
        if b == "redirect_external":
            return self._redirect(plan, f"http://{plan.target_host}/", None)
        if b == "redirect_internal":
            if plan.redirect_variant == "index":
                if path == "/":
                    return self._redirect(plan, f"http://{host}/index.html", "/index.html")
            else:
                return self._redirect(plan, f"http://{plan.target_host}{path}", None)
        if b == "redirect_loop":
            nxt = {"/": _LOOP_PATHS[0], _LOOP_PATHS[0]: _LOOP_PATHS[1]}.get(path)
            if path == _LOOP_PATHS[1]:
                nxt = _LOOP_PATHS[0]
            if nxt:
                return self._redirect(plan, f"http://{host}{nxt}", None, status=302)
        if b == "too_large" and path in ("/", "/index.html"):
            return self._too_large(plan)
        return self._content(plan, path)

    # responses ------------------------------------------------------------------------------

    def _html_headers(self, plan: _Plan) -> tuple[tuple[str, str], ...]:
        ctype = "text/html"
        if plan.charset_in in ("header", "meta+header"):
            ctype = f"text/html; charset={plan.charset_label}"
        return (("Server", plan.server), ("Content-Type", ctype))

    def _redirect(
        self, plan: _Plan, location: str, relative: str | None, status: int | None = None
    ) -> Page:
        if relative and plan.relative_location:
            location = relative
        status = status or plan.redirect_status
        reason = HTTPStatus(status).phrase
        body = (
            f"<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
            f"<center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n"
            "</body>\r\n</html>\r\n"
        ).encode()
        headers = (("Server", "nginx"), ("Content-Type", "text/html"), ("Location", location))
        return Page(status, headers, (body,), len(body))

    def _error_page(self, plan: _Plan, status: int) -> tuple[str, str]:
        if status == 404:
            return _IIS_404 if plan.error_style else _NGINX_404
        return _TOMCAT_500 if plan.error_style else _NGINX_500

    def _error(self, plan: _Plan, status: int) -> Page:
        _, text = self._error_page(plan, status)
        body = text.encode()
        headers = (("Server", plan.server), ("Content-Type", "text/html; charset=utf-8"))
        return Page(status, headers, (body,), len(body))

    def _not_found(self) -> Page:
        body = _NGINX_404[1].encode()
        return Page(404, (("Server", "nginx"), ("Content-Type", "text/html")), (body,), len(body))

    def _text(self, text: str, status: int = 200, server: str = "nginx") -> Page:
        body = text.encode()
        return Page(
            status, (("Server", server), ("Content-Type", "text/plain")), (body,), len(body)
        )

    def _html(self, plan: _Plan, chunks: list[bytes]) -> Page:
        return Page(200, self._html_headers(plan), tuple(chunks), sum(map(len, chunks)))

    def _head(self, plan: _Plan, title: str, is_home: bool) -> str:
        charset = ""
        if plan.charset_in in ("meta", "meta+header"):
            label = plan.charset_label
            charset = (
                f'<meta charset="{label}">\n'
                if plan.meta_style
                else f'<meta http-equiv="Content-Type" content="text/html; charset={label}">\n'
            )
        metas = ""
        facts = self._facts[plan.index]
        if plan.government and is_home:
            metas = (
                f'<meta name="SiteName" content="{plan.name}">\n'
                f'<meta name="SiteDomain" content="{plan.host}">\n'
            )
            if facts.site_code:
                metas += f'<meta name="SiteIDCode" content="{facts.site_code}">\n'
        return (
            '<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n'
            f"{charset}"
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{title}</title>\n"
            f'<meta name="keywords" content="{plan.name},{plan.district}">\n'
            f'<meta name="description" content="{plan.name}官方网站">\n'
            f"{metas}"
            '<link rel="stylesheet" href="/css/style.css">\n<style type="text/css">\n'
        )

    def _top(self, plan: _Plan) -> str:
        home = "/index.html" if plan.redirect_variant in ("index", "www_index") else "/"
        return (
            "</style>\n</head>\n<body>\n"
            f'<div class="header"><div class="wrap"><h1 class="logo"><a href="{home}">{plan.name}'
            "</a></h1></div></div>\n"
            '<div class="nav"><ul>'
            f'<li><a href="{home}">首页</a></li>'
            '<li><a href="/gywm/index.html">关于我们</a></li>'
            '<li><a href="/news/index.html">新闻动态</a></li>'
            '<li><a href="/zwgk/index.html">信息公开</a></li>'
            '<li><a href="/lxwm/index.html">联系我们</a></li>'
            "</ul></div>\n"
            '<div class="main wrap">\n'
        )

    def _extra(self, plan: _Plan) -> str:
        """Per-site homepage body: links to other sites and the negatives."""
        rng = _seeded(self.seed, "extra", plan.host)
        parts = []
        if plan.quotes_other:
            other = rng.choice(("京", "粤", "浙", "沪"))
            quoted = f"{other}ICP备{rng.randint(2019, 2024)}{rng.randint(0, 999999):06d}号"
            parts.append(
                '<div class="notice"><h3>网络安全提示</h3><p>近日，网信部门通报了一批违规网站，'
                f"其中“某某资讯网”（{quoted}）因未按规定履行信息内容管理义务被依法处置，"
                "请广大网民注意甄别，自觉抵制不良信息。</p></div>\n"
            )
        if plan.id_like:
            birth = f"19{rng.randint(70, 99)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
            ident = f"{plan.district_code}{birth}{rng.randint(100, 999)}{rng.choice('0123456789X')}"
            parts.append(
                '<div class="notice"><h3>公示</h3><p>经资格审查，拟聘用人员张某某，证件号码：'
                f"{ident}，联系电话：139{rng.randint(0, 99999999):08d}。"
                "公示期为5个工作日。</p></div>\n"
            )
        if plan.links_to:
            title = "友情链接" if plan.partner_numbers else rng.choice(("相关链接", "友情链接"))
            items = []
            for host in plan.links_to:
                other_plan = self._by_host_plan[host]
                number = f"<span>{other_plan.icp}</span>" if plan.partner_numbers else ""
                items.append(
                    f'<li><a href="http://{host}/" target="_blank">{other_plan.name}</a>'
                    f"{number}</li>"
                )
            parts.append(
                f'<div class="friend-links"><h3>{title}</h3><ul>{"".join(items)}</ul></div>\n'
            )
        if plan.links_outside:
            items = [
                f'<a href="http://{h}/" target="_blank">{C.OUTSIDE_HOSTS[h].split("（")[0]}</a>'
                for h in plan.links_outside
            ]
            parts.append(f'<div class="gov-links">{" | ".join(items)}</div>\n')
        return "".join(parts)

    def _tail(self, plan: _Plan) -> str:
        return "</body>\n</html>\n"

    def _home_layout(self, plan: _Plan, fixed_bytes: int) -> list[int]:
        rng = _seeded(self.seed, "layout", plan.host)
        blocks = self._pools.encoded[plan.encoding]["blocks"]
        target = plan.page_kb * 1024
        chosen: list[int] = []
        size = fixed_bytes
        news = [i for i in range(len(blocks)) if i % 2 == 0]
        chosen.append(rng.choice(news))  # at least one news list: the article links
        size += len(blocks[chosen[0]])
        while size < target and len(chosen) < 400:
            i = rng.randrange(len(blocks))
            if i == chosen[-1]:
                continue
            chosen.append(i)
            size += len(blocks[i])
        return chosen

    def placement(self, plan: _Plan) -> str:
        """Where this site's homepage keeps its footer (see PLACEMENTS)."""
        if plan.behaviour != "ok" or plan.footer == "js_written" or plan.template_dup:
            return "inline"
        draw = _seeded(self.seed, "placement", plan.host).random()
        if draw >= PLACED_SHARE:
            return "inline"
        # A frameset shows no links of its own: not for a site that links to others.
        kinds = ["iframe", "script", "load"]
        if not (plan.links_to or plan.links_outside):
            kinds.append("frameset")
        return kinds[int(draw / PLACED_SHARE * len(kinds))]

    def _placed_footer(self, plan: _Plan, placement: str) -> str:
        """The markup that stands in the homepage for a footer kept elsewhere."""
        path = INCLUDE_PATHS[placement]
        if placement == "iframe":
            return (
                f'<div class="bottom"><iframe src="{path}" width="100%" height="140"'
                ' frameborder="0" scrolling="no"></iframe></div>\n'
            )
        if placement == "script":
            return (
                f'<div class="footer"><script type="text/javascript" src="{path}"></script></div>\n'
            )
        return f'<div id="footer"></div>\n<script>$("#footer").load("{path}");</script>\n'

    def _include(self, plan: _Plan, placement: str) -> Page:
        """The file that holds the footer, in the site's encoding."""
        enc = plan.encoding
        footer = self._footer_html[plan.index]
        if placement == "script":
            lines = footer.replace("</p>", "</p>\n").splitlines()
            js = "".join(
                f"document.writeln({json.dumps(line, ensure_ascii=False)});\n" for line in lines
            )
            headers = (("Server", plan.server), ("Content-Type", "application/javascript"))
            body = js.encode(enc)
            return Page(200, headers, (body,), len(body))
        if placement == "load":
            return self._html(plan, [footer.encode(enc)])  # a fragment: no <meta charset>
        page = (
            f"{self._head(plan, plan.title, False)}</style>\n</head>\n<body>{footer}</body></html>"
        )
        return self._html(plan, [page.encode(enc)])

    def _frameset(self, plan: _Plan) -> Page:
        head = self._head(plan, plan.title, True) + "</style>\n</head>\n"
        frames = (
            '<frameset rows="*,150" frameborder="0" border="0">'
            f'<frame src="{FRAMED_HOME}" name="main"><frame src="{INCLUDE_PATHS["frameset"]}"'
            ' name="foot" scrolling="no"></frameset></html>'
        )
        return self._html(plan, [head.encode(plan.encoding), frames.encode(plan.encoding)])

    def _home(self, plan: _Plan, *, framed: bool = False) -> Page:
        enc = plan.encoding
        placement = self.placement(plan)
        if placement == "frameset" and not framed:
            return self._frameset(plan)
        pool = self._pools.encoded[enc]
        rng = _seeded(self.seed, "home", plan.host)
        head = self._head(plan, plan.title, True).encode(enc)
        top = self._top(plan).encode(enc)
        extra = self._extra(plan).encode(enc)
        if placement == "inline":
            footer = (self._footer_html[plan.index] + "</div>\n").encode(enc)
        elif placement == "frameset":
            footer = b"</div>\n"  # the footer is the frameset's other frame
        else:
            footer = (self._placed_footer(plan, placement) + "</div>\n").encode(enc)
        css = pool["css"][rng.randrange(len(pool["css"]))]
        js = pool["js"][rng.randrange(len(pool["js"]))]
        tail = self._tail(plan).encode(enc)
        fixed = [head, css, top, extra, footer, js, tail]
        layout = self._home_layout(plan, sum(map(len, fixed)))
        blocks = [pool["blocks"][i] for i in layout]
        # The footer closes div.main; the shared JS goes after it, as on most real sites.
        return self._html(plan, [head, css, top, *blocks, extra, footer, js, tail])

    def _inner(self, plan: _Plan, title: str, body: str | bytes) -> Page:
        enc = plan.encoding
        pool = self._pools.encoded[enc]
        head = self._head(plan, title, False).encode(enc)
        css = pool["css"][0]
        top = self._top(plan).encode(enc)
        main = body if isinstance(body, bytes) else body.encode(enc)
        footer = (self._footer_html[plan.index] + "</div>\n").encode(enc)
        return self._html(plan, [head, css, top, main, footer, self._tail(plan).encode(enc)])

    def _about(self, plan: _Plan) -> Page:
        rng = _seeded(self.seed, "about", plan.host)
        ctx = self._text_ctx
        intro = (
            f"<p>{plan.name}位于{self.profile.province}{self.profile.name}{plan.district}，"
            f"是{plan.district}重要的{plan.category}之一。</p>\n"
            + "".join(f"<p>{C.paragraph(rng, ctx, 3)}</p>\n" for _ in range(3))
        )
        body = f'<div class="about"><h2>关于我们</h2>\n{intro}</div>\n'
        return self._inner(plan, f"关于我们 - {plan.name}", body)

    def _contact(self, plan: _Plan) -> Page:
        rng = _seeded(self.seed, "contact", plan.host)
        mobile = f"13{rng.randint(0, 9)}{rng.randint(0, 99999999):08d}"
        body = (
            '<div class="contact"><h2>联系我们</h2>\n'
            f"<p>单位名称：{plan.name}</p>\n<p>地址：{plan.address}</p>\n"
            f"<p>邮政编码：044000</p>\n<p>办公电话：{plan.phone}</p>\n"
            f"<p>值班电话：{mobile}</p>\n"
            f"<p>电子邮箱：office@{plan.host.removeprefix('www.')}</p>\n"
            "<p>办公时间：周一至周五 8:00-12:00，14:30-18:00</p>\n</div>\n"
        )
        return self._inner(plan, f"联系我们 - {plan.name}", body)

    def _listing(self, plan: _Plan, path: str) -> Page:
        """The other pages the navigation links to, so that a crawl does not meet 404s there."""
        label = _LISTINGS[path]
        if path == "/wzdt/index.html":
            links = "".join(
                f'<li><a href="{href}">{text}</a></li>'
                for href, text in (
                    ("/", "首页"),
                    ("/gywm/index.html", "关于我们"),
                    ("/news/index.html", "新闻动态"),
                    ("/zwgk/index.html", "信息公开"),
                    ("/lxwm/index.html", "联系我们"),
                )
            )
            return self._inner(plan, f"{label} - {plan.name}", f"<ul>{links}</ul>\n")
        blocks = self._pools.encoded[plan.encoding]["blocks"]
        index = 2 * _seeded(self.seed, "listing", plan.host, path).randrange(len(blocks) // 2)
        return self._inner(plan, f"{label} - {plan.name}", blocks[index])

    def _article(self, plan: _Plan, number: int) -> Page:
        pools = self._pools
        index = number - pools.FIRST_ARTICLE
        body = pools.encoded[plan.encoding]["articles"][index]
        title = f"{pools.article_titles[index]} - {plan.name}"
        return self._inner(plan, title, body)

    def _content(self, plan: _Plan, path: str) -> Page:
        if path == "/robots.txt":
            rule = "Disallow: /" if plan.robots_disallow else "Disallow:"
            return self._text(f"User-agent: *\n{rule}\n", server=plan.server)
        if path in ("/", "/index.html", "/index.htm"):
            return self._home(plan)
        placement = self.placement(plan)
        if placement != "inline" and path == INCLUDE_PATHS[placement]:
            return self._include(plan, placement)
        if placement == "frameset" and path == FRAMED_HOME:
            return self._home(plan, framed=True)
        if path == "/gywm/index.html":
            return self._about(plan)
        if path == "/lxwm/index.html":
            return self._contact(plan)
        if path in _LISTINGS:
            return self._listing(plan, path)
        m = re.fullmatch(r"/news/(\d{4})\.html", path)
        if m:
            number = int(m.group(1))
            if 0 <= number - self._pools.FIRST_ARTICLE < self._pools.ARTICLES:
                return self._article(plan, number)
        return self._not_found()

    def _too_large(self, plan: _Plan) -> Page:
        head = (
            self._head(plan, plan.title, True).replace(
                f"charset={plan.charset_label}", "charset=utf-8"
            )
            + "</style>\n</head>\n<body>\n"
        ).encode()
        tail = (self._footer_html[plan.index] + self._tail(plan)).encode("utf-8")
        chunk = self._pools.large_chunk
        middle = TOO_LARGE_BYTES - len(head) - len(tail)
        full, rest = divmod(middle, len(chunk))

        def stream() -> Iterator[bytes]:
            # Generated lazily, one shared 64 KB chunk at a time: never 8 MB in memory.
            yield head
            for _ in range(full):
                yield chunk
            yield b" " * rest
            yield tail

        headers = (("Server", plan.server), ("Content-Type", "text/html; charset=utf-8"))
        return Page(200, headers, (), TOO_LARGE_BYTES, stream)

    def _takeover_page(self, plan: _Plan, path: str) -> Page:
        if path == "/robots.txt":
            return self._text("User-agent: *\nDisallow:\n")
        if path not in ("/", "/index.html"):
            return self._not_found()
        rng = _seeded(self.seed, "takeover-body", plan.host)
        items = "".join(
            f'<li><a href="/game/{rng.randint(100, 999)}.html">{w}</a></li>'
            for w in rng.sample(C.TAKEOVER_WORDS, len(C.TAKEOVER_WORDS))
        )
        html = (
            '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
            f"<title>{self._takeover_title(plan)}</title></head>\n<body>\n"
            '<div class="top"><a href="/reg.html">注册即送88元</a></div>'
            f'<ul class="games">{items}</ul>\n'
            f'<div class="footer"><p>{self._takeover_marker(plan)}</p></div>\n</body></html>\n'
        ).encode()
        headers = (("Server", "cloudflare"), ("Content-Type", "text/html; charset=utf-8"))
        return Page(200, headers, (html,), len(html))

    def _outside_page(self, host: str, path: str) -> Page:
        if path == "/robots.txt":
            return self._text("User-agent: *\nDisallow:\n")
        if path not in ("/", "/index.html"):
            return self._not_found()
        title = C.OUTSIDE_HOSTS[host]
        html = (
            f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>{title}</title></head>\n'
            f"<body><h1>{title}</h1><p>（测试床外部站点：不属于本辖区。）</p></body></html>\n"
        ).encode()
        headers = (("Server", "nginx"), ("Content-Type", "text/html; charset=utf-8"))
        return Page(200, headers, (html,), len(html))


def _footer_history(plans: list[_Plan], seed: int, epoch: int) -> dict[int, list[tuple[int, str]]]:
    """Footer of every site from epoch 0 to `epoch`: [(epoch it took effect, footer), ...].

    At each epoch about 8% of the visible sites fix their footer and about 2% of the compliant
    ones regress to none; earlier changes persist.
    """
    history = {p.index: [(0, p.footer)] for p in plans}
    visible = [p for p in plans if p.behaviour in VISIBLE]
    for e in range(1, epoch + 1):
        rng = _seeded(seed, "epoch", e)
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


def generate(
    profile: Profile,
    n: int,
    seed: int = 0,
    *,
    epoch: int = 0,
    page_kb: tuple[int, int] = (30, 120),
) -> Testbed:
    """Plan `n` sites of the profile's jurisdiction (about 8% of them not in the inventory)."""
    if n < 1:
        raise ValueError("n must be at least 1")
    lo, hi = page_kb
    if not 1 <= lo <= hi:
        raise ValueError("page_kb must be (low, high) with 1 <= low <= high")
    plans = _Planner(profile, n, seed, (lo, hi)).plan()
    return Testbed(profile, n, seed, epoch, (lo, hi), plans, _Pools(profile, seed))
