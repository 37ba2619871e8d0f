"""Steps 3 and 4 of the pipeline (:mod:`audit.notices.extract`): which sightings are the
page's own notices (articles, partner lists, other sites' numbers and fan registries
rejected; confidence set), then one validated item per normalised number."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from lxml import etree

from audit.config import Profile
from audit.notices import divisions, validate
from audit.notices import patterns as P
from audit.notices.footer import (
    Region,
)
from audit.notices.links import _EXPECTED_REGISTRY
from audit.notices.model import (
    FATAL_REASONS,
    ConacBadge,
    Confidence,
    IcpNumber,
    Licence,
    Notices,
    PoliceNumber,
    RegistryLink,
    Rejected,
    SiteCode,
    Source,
    Sponsor,
)
from audit.notices.normalise import Link
from audit.page.domains import same_site

_CONFIDENCE_RANK = {"high": 3, "medium": 2, "low": 1}
# A number linked to an image or a document of its certificate (a licence's scan on the
# site's CDN): the site's own evidence, not another site it lists.
_CERTIFICATE_FILE = re.compile(r"\.(?:jpe?g|png|gif|webp|bmp|pdf)(?:[?#]|$)", re.IGNORECASE)
_SOURCE_RANK = {
    "footer_text": 6,
    "link_title": 5,
    "img_alt": 4,
    "img_title": 3,
    "script": 2,
    "body_text": 1,
    "meta": 5,
}


@dataclass(slots=True)
class _Found:
    """One sighting of a notice, before judgement and de-duplication."""

    kind: str  # icp, licence, police, site_code, sponsor
    fields: dict[str, Any]
    raw: str
    order: int
    source: Source
    region: Region
    element: etree._Element | None
    link: Link | None
    hidden: bool
    before: str
    footer_cue: bool = False
    record_host: str = ""  # the site an object literal around it is a record of
    confidence: Confidence = "low"
    reasons: list[str] = field(default_factory=list)


def _right_link(found: _Found) -> bool:
    expected = _EXPECTED_REGISTRY[found.kind]
    return found.link is not None and found.link.registry in expected and bool(expected)


def _list_item(element: etree._Element) -> tuple[etree._Element, etree._Element] | None:
    """(list container, entry) when the element sits in an li/tr/dd of a list or table."""
    node: etree._Element | None = element
    for _ in range(6):
        if node is None:
            return None
        if node.tag in ("li", "tr", "dd", "dt"):
            container = node.getparent()
            if container is not None and container.tag == "tbody":
                table = container.getparent()
                container = table if table is not None else container
            return (container, node) if container is not None else None
        node = node.getparent()
    return None


def _without_shadowed_templates(items: Iterable[Any]) -> tuple[Any, ...]:
    """Drop ``{{ icp }}``-style template variables when the list has a real number: a
    client-side template (Vue, Angular) that a script fills in from the config it holds.
    The template's registry link then belongs to the number it displays."""
    items = tuple(items)
    real = [item for item in items if not item.placeholder]
    templates = [item for item in items if "template_variable" in item.reasons]
    if not real or not templates:
        return items
    linked_template = next((t for t in templates if t.linked), None)
    out = []
    for item in items:
        if item in templates:
            continue
        if len(real) == 1 and item is real[0] and not item.linked and linked_template:
            item = replace(
                item,
                linked=True,
                link_url=linked_template.link_url,
                link_registry=linked_template.link_registry,
                reasons=(*item.reasons, "linked_through_template"),
            )
        out.append(item)
    return tuple(out)


def _malformed_among_placeholders(lists: dict[str, tuple[Any, ...]]) -> dict[str, tuple[Any, ...]]:
    """On a page whose numbers are all placeholders (a demo's 苏ICP备1000000号 beside
    苏公网安备32012345678900号), a number of the wrong length is one of them too, not a
    site's mistyped filing."""
    items = [item for group in lists.values() for item in group]
    malformed = [item for item in items if "digit_count" in item.reasons and not item.placeholder]
    if not malformed or not any(item.placeholder for item in items):
        return lists
    if any(not item.placeholder and item not in malformed for item in items):
        return lists
    return {
        name: tuple(
            replace(item, placeholder=True, reasons=(*item.reasons, "placeholder"))
            if item in malformed
            else item
            for item in group
        )
        for name, group in lists.items()
    }


def _unique(reasons: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(reasons))


class Judge:
    """Judges the sightings a page's scan collected, and builds the items."""

    def __init__(
        self,
        base_host: str,
        profile: Profile | None,
        today: datetime.date,
        police_links: dict[str, Link],
        rejected: list[Rejected],
    ) -> None:
        self.base_host = base_host
        self.profile = profile
        self.today = today
        self.police_links = police_links
        self.rejected = rejected

    # -- judgement --------------------------------------------------------------------

    def result(
        self,
        sightings: list[_Found],
        conac: ConacBadge | None,
        registry_links: list[RegistryLink],
    ) -> Notices:
        """The page's notices from the sightings its scan collected."""
        accepted = [f for f in sightings if self._assess(f)]
        accepted = self._drop_lists_of_others(accepted)
        groups: dict[tuple[str, str], list[_Found]] = {}
        sponsor: Sponsor | None = None
        for found in accepted:
            if found.kind == "sponsor":
                if sponsor is None:
                    sponsor = Sponsor(found.fields["name"], found.raw, found.source)
                continue
            list_name, number = self._identity(found)
            groups.setdefault((list_name, number), []).append(found)
        lists: dict[str, list[tuple[int, Any]]] = {
            "icp": [],
            "icp_licence": [],
            "police": [],
            "site_code": [],
        }
        for (list_name, _number), sightings in groups.items():
            item = self._build(list_name, sightings)
            lists[list_name].append((min(s.order for s in sightings), item))
        ordered = {
            name: _without_shadowed_templates(item for _, item in sorted(items, key=lambda x: x[0]))
            for name, items in lists.items()
        }
        ordered = _malformed_among_placeholders(ordered)
        return Notices(
            icp=ordered["icp"],
            icp_licence=ordered["icp_licence"],
            police=ordered["police"],
            site_code=ordered["site_code"],
            conac=conac,
            sponsor=sponsor,
            registry_links=tuple(registry_links),
            rejected=tuple(self.rejected),
        )

    def _reject(self, found: _Found, why: str) -> bool:
        self.rejected.append(Rejected(found.kind, self._identity(found)[1], found.raw, why))
        return False

    def _assess(self, found: _Found) -> bool:
        """Is this sighting the page's own notice? Sets its confidence."""
        region = found.region
        right_link = _right_link(found)
        own = P.OWN_CUE_RE.search(found.before) is not None
        if region is Region.PARTNER and (right_link or own):
            # "友情链接：… 版权所有 晋ICP备…": an unmarked footer that opens with partners.
            region = Region.TAIL
        if region in (Region.ARTICLE, Region.PARTNER):
            return self._reject(found, region.value)
        if P.MAP_ATTRIBUTION_RE.search(found.before):
            # "© Baidu - GS(2016)2089号 - 京ICP证030173号": an embedded map's attribution.
            return self._reject(found, "map_attribution")
        if self._fan_registry(found):
            return self._reject(found, "fan_registry")
        if (
            region is not Region.FOOTER
            and not own
            and (P.QUOTE_CUE_RE.search(found.before[-20:]) or P.PROSE_QUOTE_RE.search(found.before))
        ):
            return self._reject(found, "quoted")
        corner = P.CORNER_QUOTE_RE.search(found.before)
        if corner and region is not Region.FOOTER and not P.OWN_CUE_RE.search(corner["quoted"]):
            return self._reject(found, "quoted")
        # Outside a marked footer, a link title is usually a news headline, and 主办 the
        # organiser of an event: take them there only with a registry link or 主办单位.
        unmarked = region is not Region.FOOTER and not right_link
        headline = found.source == "link_title"
        organiser = found.kind == "sponsor" and not found.fields.get("unit")
        if unmarked and (headline or organiser):
            return self._reject(found, "outside_footer")
        if found.source == "meta" or region is Region.FOOTER:
            found.confidence = "high"
        elif region is Region.TAIL:
            found.confidence = "high" if right_link else "medium"
        elif right_link or (found.source == "script" and found.footer_cue):
            found.confidence = "medium"
        elif P.SELF_CUE_RE.search(found.before[-20:]):
            found.confidence = "low"
        else:
            return self._reject(found, "outside_footer")
        return True

    def _fan_registry(self, found: _Found) -> bool:
        """An ICP-shaped number under a prefix that is no province's, linked to another
        site (icp.gov.moe, icp.redcha.cn): a fan "registry" entry, not a filing."""
        prov = found.fields.get("prov")
        if found.kind != "icp" or not prov or prov in validate.DUMMY_PROVINCES:
            return False
        if all(ch in divisions.ABBR_CHARS for ch in prov):
            return False
        link = found.link
        return link is not None and link.registry is None and self._foreign(link.host)

    def _drop_lists_of_others(self, accepted: list[_Found]) -> list[_Found]:
        """Remove runs of different numbers that belong to other sites: the items of one
        list, or numbers each linked to (or in a record naming) another site."""
        drop = self._items_of_lists(accepted)
        external: dict[str, list[_Found]] = {}
        for found in accepted:
            if found.kind in ("icp", "licence", "police"):
                link = found.link
                if (
                    link is not None
                    and link.registry is None
                    and self._foreign(link.host)
                    and not _CERTIFICATE_FILE.search(link.url)
                ):
                    external.setdefault(link.host, []).append(found)
                elif found.record_host and self._foreign(found.record_host):
                    external.setdefault(found.record_host, []).append(found)
        if len(external) >= 2:
            drop.update(f.order for fs in external.values() for f in fs)
        kept = []
        for found in accepted:
            if found.order in drop:
                self._reject(found, "list_of_other_sites")
            else:
                kept.append(found)
        return kept

    def _items_of_lists(self, accepted: list[_Found]) -> set[int]:
        """The numbers of one kind that are items of a list holding two or more of them."""
        drop: set[int] = set()
        for kind in ("icp", "licence", "police"):
            by_list: dict[etree._Element, dict[str, set[etree._Element]]] = {}
            listed: list[tuple[_Found, etree._Element]] = []
            for found in accepted:
                item = (
                    _list_item(found.element)
                    if found.kind == kind and found.element is not None
                    else None
                )
                if item is not None:
                    container, entry = item
                    by_list.setdefault(container, {}).setdefault(self._main_key(found), set()).add(
                        entry
                    )
                    listed.append((found, container))
            for found, container in listed:
                numbers = by_list[container]
                entries = {e for es in numbers.values() for e in es}
                if len(numbers) >= 2 and len(entries) >= 2:
                    drop.add(found.order)
        return drop

    def _foreign(self, host: str) -> bool:
        if not host or not self.base_host:
            return False
        try:
            return not same_site(host, self.base_host)
        except Exception:  # a malformed host is not evidence either way
            return False

    def _main_key(self, found: _Found) -> str:
        """The number without its site index: -1 and -2 of one subject are one owner."""
        return f"{found.fields.get('prov')}{found.fields.get('token')}"

    # -- items ------------------------------------------------------------------------

    def _identity(self, found: _Found) -> tuple[str, str]:
        """(list, normalised number) of a sighting, for de-duplication."""
        fields = found.fields
        kind = found.kind
        if kind == "icp":
            return "icp", self._filing(fields).number
        if kind == "licence":
            checked = self._licence(fields)
            return ("icp" if fields["site"] else "icp_licence"), checked.number
        if kind == "police":
            police = validate.police(fields["prov"], fields["token"], None, fields["site"])
            return "police", police.number
        if kind == "site_code":
            return "site_code", validate.site_code(fields["code"], None)[0]
        return kind, fields.get("name", "")

    def _filing(self, fields: dict[str, Any]) -> validate.Checked:
        return validate.icp_filing(
            fields["prov"],
            fields["token"],
            fields["site"],
            self.today,
            app=fields.get("app", ""),
        )

    def _licence(self, fields: dict[str, Any]) -> validate.Checked:
        app = fields.get("app", "")
        if fields.get("category"):
            return validate.telecom_licence(
                fields["prov"], fields["category"], fields["token"], fields["site"], self.today,
                app=app,
            )  # fmt: skip
        return validate.icp_licence(fields["prov"], fields["token"], fields["site"], app=app)

    def _build(self, list_name: str, sightings: list[_Found]) -> Any:
        best = max(
            sightings,
            key=lambda s: (
                _CONFIDENCE_RANK[s.confidence],
                _right_link(s),
                _SOURCE_RANK[s.source],
                -s.order,
            ),
        )
        linked_sighting = next((s for s in sightings if _right_link(s)), None)
        link_sighting = linked_sighting or next(
            (s for s in sorted(sightings, key=lambda s: s.order) if s.link and s.link.registry),
            None,
        )
        link = link_sighting.link if link_sighting else None
        if link is None:
            link = best.link
        linked = linked_sighting is not None
        if not linked and list_name == "police":
            # A registry link elsewhere on the page (a badge image, a config entry) whose
            # record code is this number links it.
            by_code = self.police_links.get(str(best.fields["token"]))
            if by_code is not None:
                link, linked = by_code, True
        sources = tuple(dict.fromkeys(s.source for s in sorted(sightings, key=lambda s: s.order)))
        common: dict[str, Any] = {
            "raw": best.raw,
            "source": best.source,
            "confidence": best.confidence,
            "linked": linked,
            "link_url": link.url if link else None,
            "link_registry": link.registry if link else None,
            "occurrences": len(sightings),
            "sources": sources,
        }
        extra: list[str] = []
        if best.fields.get("odd_label"):
            extra.append("nonstandard_label")
        if best.fields.get("in_full"):
            extra.append("province_in_full")
        if all(s.hidden for s in sightings):
            extra.append("hidden")
        fields = best.fields
        if list_name == "site_code":
            code, reasons, in_jurisdiction = validate.site_code(fields["code"], self.profile)
            return SiteCode(
                number=code,
                valid=not FATAL_REASONS.intersection(reasons),
                reasons=(*reasons, *extra),
                placeholder="placeholder" in reasons,
                in_jurisdiction=in_jurisdiction,
                **common,
            )
        if list_name == "police":
            return self._police(best, link, common, extra)
        return self._icp_or_licence(list_name, best, link, common, extra)

    def _police(
        self, best: _Found, link: Link | None, common: dict[str, Any], extra: list[str]
    ) -> PoliceNumber:
        fields = best.fields
        checked = validate.police(fields["prov"], fields["token"], self.profile, fields["site"])
        reasons = list(checked.reasons)
        link_code = link.code if link and link.registry == "mps" else None
        if link is not None and link.registry == "miit":
            reasons.append("linked_to_icp_registry")
        if link_code and checked.division_code and link_code != fields["token"]:
            reasons.append("link_code_mismatch")
        all_reasons = _unique([*reasons, *extra])
        return PoliceNumber(
            number=checked.number,
            valid=not FATAL_REASONS.intersection(all_reasons),
            reasons=all_reasons,
            placeholder=checked.placeholder,
            province=checked.province,
            province_inferred=checked.province_inferred,
            division_code=checked.division_code,
            division_name=checked.division_name,
            division_full_name=checked.division_full_name,
            division_retired=checked.division_retired,
            in_jurisdiction=checked.in_jurisdiction,
            province_matches_code=checked.province_matches_code,
            link_code=link_code,
            **common,
        )

    def _icp_or_licence(
        self,
        list_name: str,
        best: _Found,
        link: Link | None,
        common: dict[str, Any],
        extra: list[str],
    ) -> IcpNumber | Licence:
        fields = best.fields
        form: Literal["filing", "icp_licence", "telecom_licence"]
        if best.kind == "icp":
            checked = self._filing(fields)
            form = "filing"
        else:
            checked = self._licence(fields)
            form = "telecom_licence" if fields.get("category") else "icp_licence"
        reasons = list(checked.reasons)
        outdated = bool(link and link.registry == "miit" and link.outdated)
        if outdated:
            reasons.append("outdated_registry_host")
        if link is not None and link.registry == "mps":
            reasons.append("linked_to_police_registry")
        reasons = list(_unique([*reasons, *extra]))
        valid = not FATAL_REASONS.intersection(reasons)
        if list_name == "icp_licence":
            # A licence is "linked" when it links to an MIIT system (filing or licence).
            common = {**common, "linked": bool(link and link.registry in ("miit", "miit_licence"))}
            assert form != "filing"  # the licence list holds licences only (_identity)
            return Licence(
                number=checked.number,
                valid=valid,
                reasons=tuple(reasons),
                placeholder=checked.placeholder,
                province=fields["prov"],
                form=form,
                link_outdated=outdated,
                **common,
            )
        # In the filing list, "linked" means the filing registry, whatever the number's shape.
        common = {**common, "linked": bool(link and link.registry == "miit")}
        site = fields["site"]
        return IcpNumber(
            number=checked.number,
            valid=valid,
            reasons=tuple(reasons),
            placeholder=checked.placeholder,
            province=fields["prov"],
            main_number=checked.main_number,
            site_index=int(site) if site else None,
            form=form,
            link_outdated=outdated,
            **common,
        )
