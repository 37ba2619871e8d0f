"""The typed result of an extraction, and its JSON form.

Conventions:
- ``number`` is normalised (no spaces, ASCII, simplified characters, 号 restored);
  ``raw`` is the text as the page shows it, for evidence.
- ``valid`` is False only when something proves the number wrong (format, future year,
  placeholder); doubts (unknown or retired division code, historical form) are listed
  in ``reasons`` without making it invalid. See ``FATAL_REASONS``.
- Placeholders (xxxxxxxx, 00000000, a theme's default number, ``{$icp}``, 省ICP备…, a
  self-contradictory police number) are kept in the lists with ``placeholder=True`` and
  ``valid=False``, so an audit can say "shows a placeholder"; :meth:`Notices.numbers`
  leaves them out (what a filing count uses).
- Remarks that do not invalidate: "province_in_full" (广东省ICP备… read as 粤ICP备…),
  "app_filing" (an app's number, 辽ICP备18015387号-7A), "nonstandard_label".
- ``source``: footer_text, body_text, img_alt, img_title, link_title, script, meta.
- ``confidence``: "high" (footer region or linked to its registry), "medium" (end of the
  page, a script with footer context), "low" (elsewhere, with a self-referring label).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any, Literal

Confidence = Literal["high", "medium", "low"]
Source = Literal["footer_text", "body_text", "img_alt", "img_title", "link_title", "script", "meta"]


# Reasons that make a number invalid; every other reason is a doubt or a remark.
class NoticeKind(StrEnum):
    """What a notice row is (the store's notices.kind)."""

    ICP = "icp"
    ICP_LICENCE = "icp_licence"
    POLICE = "police"
    SITE_CODE = "site_code"
    CONAC = "conac"
    SPONSOR = "sponsor"


# The kinds that carry a number, in the order a page's notices are listed.
NUMBER_KINDS = (NoticeKind.ICP, NoticeKind.ICP_LICENCE, NoticeKind.POLICE, NoticeKind.SITE_CODE)

FATAL_REASONS = frozenset(
    {
        "placeholder",
        "template_variable",
        "digit_count",
        "future_year",
        "missing_province",
        "unknown_province",
        "bad_site_index",
        "malformed_category",  # a telecom licence's category without its digit (粤B-…)
        "historical_local_form",  # a police number of a pre-2016 local scheme (10 digits)
        "self_contradictory",  # a police code not in GB/T 2260 and another province's prefix
    }
)


@dataclass(frozen=True, slots=True)
class _Item:
    number: str
    raw: str
    valid: bool
    reasons: tuple[str, ...]
    source: Source
    confidence: Confidence
    linked: bool = False
    link_url: str | None = None
    # Which registry the number's own link points at ("miit", "mps", "miit_licence"),
    # also when it is the wrong one (a police number linked to the MIIT registry).
    link_registry: str | None = None
    placeholder: bool = False
    occurrences: int = 1
    sources: tuple[Source, ...] = ()

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["reasons"] = list(self.reasons)
        data["sources"] = list(self.sources)
        return data


@dataclass(frozen=True, slots=True)
class IcpNumber(_Item):
    """An ICP filing number: 晋ICP备2021001234号-1, or a licence-shaped one with a site index."""

    province: str | None = None
    main_number: str = ""  # without the site index: 晋ICP备2021001234号
    site_index: int | None = None
    form: Literal["filing", "icp_licence", "telecom_licence"] = "filing"
    link_outdated: bool = False  # linked through retired miitbeian.gov.cn / miibeian.gov.cn


@dataclass(frozen=True, slots=True)
class Licence(_Item):
    """京ICP证030173号 (ICP licence) or 京B2-20090059 / B1-20060139 (telecom licence)."""

    province: str | None = None
    form: Literal["icp_licence", "telecom_licence"] = "icp_licence"
    link_outdated: bool = False


@dataclass(frozen=True, slots=True)
class PoliceNumber(_Item):
    """A public-security filing number: 晋公网安备14080202000123号."""

    province: str | None = None
    province_inferred: bool = False  # the page showed no prefix; taken from the code
    division_code: str = ""
    division_name: str | None = None
    division_full_name: str | None = None
    division_retired: int | None = None
    in_jurisdiction: bool | None = None  # None without a profile
    province_matches_code: bool | None = None  # None when the prefix was inferred
    link_code: str | None = None  # the code the registry link queries, when it has one


@dataclass(frozen=True, slots=True)
class SiteCode(_Item):
    """A government website identifier (网站标识码): bm07000001, 1408000001."""

    in_jurisdiction: bool | None = None


@dataclass(frozen=True, slots=True)
class ConacBadge:
    """The 党政机关网站标识 (conac) badge: a bszs.conac.cn link or a dcs.conac.cn script."""

    url: str
    kind: Literal["link", "script", "image"]
    source: Source

    def to_json(self) -> dict[str, Any]:
        return {"present": True, "url": self.url, "kind": self.kind, "source": self.source}


@dataclass(frozen=True, slots=True)
class Sponsor:
    """主办单位: the body that runs the site."""

    name: str
    raw: str
    source: Source

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class RegistryLink:
    """Any link on the page to a filing registry, with or without a number beside it."""

    url: str
    registry: str
    outdated: bool
    text: str


@dataclass(frozen=True, slots=True)
class Rejected:
    """A number seen on the page but judged not to be the page's own (for debugging)."""

    kind: str
    number: str
    raw: str
    why: str


@dataclass(frozen=True, slots=True)
class Notices:
    icp: tuple[IcpNumber, ...] = ()
    icp_licence: tuple[Licence, ...] = ()
    police: tuple[PoliceNumber, ...] = ()
    site_code: tuple[SiteCode, ...] = ()
    conac: ConacBadge | None = None
    sponsor: Sponsor | None = None
    # Not part of to_json(): page-level facts for evidence and debugging.
    registry_links: tuple[RegistryLink, ...] = field(default=(), compare=False)
    rejected: tuple[Rejected, ...] = field(default=(), compare=False)

    def numbers(self, kind: str) -> list[str]:
        """Normalised numbers of one list, placeholders left out: what the page files under."""
        items: tuple[_Item, ...] = getattr(self, kind)
        return [item.number for item in items if not item.placeholder]

    @property
    def links_icp_registry(self) -> bool:
        """Whether the page links to the MIIT filing registry (current or retired host):
        a notice's own link, or any other href to it (an image-only badge, an empty link
        where the number should be, a registry URL a script or config turns into one)."""
        return self._links("miit")

    @property
    def links_police_registry(self) -> bool:
        return self._links("mps")

    def _links(self, registry: str) -> bool:
        return any(item.link_registry == registry for item in self._items()) or any(
            link.registry == registry for link in self.registry_links
        )

    def _items(self) -> list[_Item]:
        return [*self.icp, *self.icp_licence, *self.police, *self.site_code]

    def records(self) -> list[dict[str, Any]]:
        """One flat row per notice: kind, number, raw, valid, linked, source, and the rest
        of the item under details (the shape of the store's notices table)."""
        rows = []
        for kind in NUMBER_KINDS:
            for item in getattr(self, kind):
                data = item.to_json()
                head = {key: data.pop(key) for key in ("number", "raw", "valid", "linked")}
                rows.append({"kind": kind, **head, "source": data.pop("source"), "details": data})
        if self.conac is not None:
            conac = self.conac.to_json()
            rows.append(
                {
                    "kind": NoticeKind.CONAC,
                    "number": None,
                    "raw": conac["url"],
                    "valid": True,
                    "linked": conac["kind"] == "link",
                    "source": conac["source"],
                    "details": {"kind": conac["kind"]},
                }
            )
        if self.sponsor is not None:
            rows.append(
                {
                    "kind": NoticeKind.SPONSOR,
                    "number": self.sponsor.name,
                    "raw": self.sponsor.raw,
                    "valid": None,
                    "linked": None,
                    "source": self.sponsor.source,
                    "details": {},
                }
            )
        return rows

    def to_json(self) -> dict[str, Any]:
        return {
            "icp": [item.to_json() for item in self.icp],
            "icp_licence": [item.to_json() for item in self.icp_licence],
            "police": [item.to_json() for item in self.police],
            "site_code": [item.to_json() for item in self.site_code],
            "conac": self.conac.to_json() if self.conac else None,
            "sponsor": self.sponsor.to_json() if self.sponsor else None,
        }
