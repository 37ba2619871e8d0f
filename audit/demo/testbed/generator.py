"""Deterministic generator of a sample jurisdiction: N synthetic websites and their ground truth.

``generate(profile, n, seed)`` plans every site once (:mod:`audit.demo.testbed.plan`) from
``random.Random`` streams derived from the seed, never from the global generator or ``hash()``,
so the same arguments give byte-identical manifests and pages. A :class:`Testbed` is those plans
at one epoch: it derives each site's ground truth (:class:`SiteSpec`), writes the manifest and
the inventory, and routes each request to a page that :mod:`audit.demo.testbed.pages` builds on
request.
"""

from __future__ import annotations

import csv
import json
from collections import Counter, OrderedDict
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from audit.config import Profile
from audit.demo.testbed import content as C
from audit.demo.testbed.pages import (
    FRAMED_HOME,
    INCLUDE_PATHS,
    TOO_LARGE_BYTES,
    Page,
    PageBuilder,
    Pools,
    error_page,
    footer_placement,
    squid_error,
    takeover_marker,
    takeover_title,
)
from audit.demo.testbed.plan import (
    BEHAVIOURS,
    CATEGORIES,
    CONTROL_HOST,
    FOOTERS,
    VISIBLE,
    Plan,
    Planner,
    footer_history,
    seeded,
)
from audit.files import staged

# Importable from here as before the planner and the pages had modules of their own.
__all__ = [
    "BEHAVIOURS",
    "CATEGORIES",
    "CONTROL_HOST",
    "FOOTERS",
    "GENERATOR_VERSION",
    "OUTCOMES",
    "TOO_LARGE_BYTES",
    "VISIBLE",
    "Page",
    "SiteSpec",
    "Testbed",
    "generate",
    "squid_error",
]

GENERATOR_VERSION = 1

OUTCOMES = ("ok", "http_error", "refused", "dns_error", "timeout", "too_large", "redirect_loop")
_LOOP_PATHS = ("/index.do", "/portal/index.do")


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
        plans: list[Plan],
        pools: Pools,
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
        self._history = footer_history(plans, seed, epoch)
        self._footer_html: dict[int, str] = {}
        self._facts: dict[int, C.FooterFacts] = {}
        # Renders with the footers that _materialise puts in these dicts: this epoch's.
        self._pages = PageBuilder(
            profile, seed, pools, self._by_host_plan, self._footer_html, self._facts
        )
        self._cache: OrderedDict[tuple[str, str], Page] = OrderedDict()
        self.sites: list[SiteSpec] = self._materialise()
        self._site_by_host = {s.host: s for s in self.sites}
        # Hosts that exist only as redirect targets: host -> (role, host of the site).
        self.extra_hosts: dict[str, tuple[str, str]] = {}
        self._routes: dict[str, tuple[str, Plan | None]] = {}
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

    def footer_at(self, plan: Plan) -> str:
        return self._history[plan.index][-1][1]

    def _footer_input(self, plan: Plan) -> C.FooterInput:
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
            rng = seeded(self.seed, "footer", plan.host, footer)
            html, facts = C.render_footer(self._footer_input(plan), footer, rng)
            self._footer_html[plan.index] = html
            self._facts[plan.index] = facts
        return [self._spec(plan) for plan in self._plans]

    def _spec(self, plan: Plan) -> SiteSpec:
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
                title=takeover_title(plan, self.seed),
                footer_marker=takeover_marker(plan),
                encoding="utf-8",
            )
            traits.append("domain_takeover")
        elif b in ("http_404", "http_500"):
            title, _ = error_page(plan, 404 if b == "http_404" else 500)
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

    def _content_traits(self, plan: Plan, facts: C.FooterFacts) -> list[str]:
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

    def _borrow_partners(self, plan: Plan, facts: C.FooterFacts) -> list[str]:
        """Sites of other sponsors that show this site's ICP number too (at this epoch)."""
        if not facts.icp:
            return []
        return [
            h
            for h in plan.shares_icp_with
            if self._by_host_plan[h].behaviour in VISIBLE
            and self._facts[self._by_host_plan[h].index].icp
        ]

    def _internal_chain(self, plan: Plan) -> tuple[list[str], str]:
        if plan.redirect_variant == "index":
            return [plan.url], f"http://{plan.host}/index.html"
        if plan.redirect_variant == "www":
            return [plan.url], f"http://{plan.target_host}/"
        return [plan.url, f"http://{plan.target_host}/"], f"http://{plan.target_host}/index.html"

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

    def _build(self, kind: str, plan: Plan | None, host: str, path: str) -> Page:
        if kind == "outside":
            return self._pages.outside(host, path)
        assert plan is not None
        if kind == "takeover":
            return self._pages.takeover(plan, path)
        if kind == "alias":
            if plan.redirect_variant == "www_index" and path == "/":
                return self._pages.redirect(plan, f"http://{host}/index.html", "/index.html")
            return self._pages.content(plan, path)
        b = plan.behaviour
        if b == "http_404":
            return self._pages.error(plan, 404)
        if b == "http_500":
            return self._pages.error(plan, 500)
        if b == "redirect_external":
            return self._pages.redirect(plan, f"http://{plan.target_host}/", None)
        if b == "redirect_internal":
            if plan.redirect_variant == "index":
                if path == "/":
                    return self._pages.redirect(plan, f"http://{host}/index.html", "/index.html")
            else:
                return self._pages.redirect(plan, f"http://{plan.target_host}{path}", None)
        if b == "redirect_loop":
            nxt = {"/": _LOOP_PATHS[0], _LOOP_PATHS[0]: _LOOP_PATHS[1]}.get(path)
            if path == _LOOP_PATHS[1]:
                nxt = _LOOP_PATHS[0]
            if nxt:
                return self._pages.redirect(plan, f"http://{host}{nxt}", None, status=302)
        if b == "too_large" and path in ("/", "/index.html"):
            return self._pages.too_large(plan)
        return self._pages.content(plan, path)

    def placement(self, plan: Plan) -> str:
        """Where this site's homepage keeps its footer (see PLACEMENTS in pages.py)."""
        return footer_placement(plan, self.seed)


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
    plans = Planner(profile, n, seed, (lo, hi)).plan()
    return Testbed(profile, n, seed, epoch, (lo, hi), plans, Pools(profile, seed))
