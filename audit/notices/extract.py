"""Find the filing notices a visitor sees at the bottom of a page.

Pipeline, per page:
1. Candidates. All text nodes come back from libxml2 as plain strings; a C-level search
   of their concatenation finds triggers ("备", "CP", "B2", "识", "主办"), a regex keeps the
   nodes that hold a piece of a notice, and only the blocks around those are rendered
   (inline runs joined, see :mod:`render`) and matched. alt/title attributes likewise.
   Scripts and templates with a trigger are unescaped and parsed as markup (:mod:`scripts`);
   a document that is itself script source (a footer.js, a component) has its string
   literals joined before it is parsed.
2. Context. Each match gets its region (:mod:`footer`), its link (the anchor around it, an
   image-only registry link right beside it, or a registry URL in the same JSON object),
   whether it is hidden, and the words before it. Lines a script or config comments out
   are dropped. Registry links without a number (and registry URLs that code or Markdown
   turns into links) are kept for the page.
3. Judgement. Numbers in an article or a partner list, or introduced as somebody else's
   ("备案号为…"), an embedded map's attribution and fan registries are rejected; so is a
   run of different numbers in list items or linking to other sites. Footer-region or
   registry-linked numbers are "high" confidence.
4. One item per normalised number (a footer duplicated in a ``<script type="text/html">``
   counts once), validated (:mod:`validate`).
"""

from __future__ import annotations

import datetime
import re
import threading
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from itertools import accumulate
from typing import Any, Literal
from urllib.parse import unquote

from lxml import etree, html

from audit.config import Profile
from audit.domains import same_site
from audit.encoding import decode_html
from audit.notices import divisions, validate
from audit.notices import patterns as P
from audit.notices.footer import (
    Region,
    classify,
    is_article_element,
    is_footer_element,
    is_partner_element,
)
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
from audit.notices.normalise import Link, classify_link, clean, clean_map, compact, squeeze
from audit.notices.render import (
    BLOCK_TAGS,
    MAP_LIMIT,
    SKIP_TAGS,
    Rendered,
    href_of,
    is_anchor,
    nearest_anchor,
    render,
    text_of,
)
from audit.notices.scripts import (
    code_fragments,
    is_script_source,
    join_literals,
    script_fragments,
)

_ICP_DIGITS = frozenset({6, 7, 8, 10})
_LICENCE_DIGITS = frozenset({6})
_POLICE_DIGITS = frozenset({12, 14})
# A 网站标识码 of the wrong length is still read after a full label (网站…, 标识…).
_SITE_CODE_MALFORMED_LABEL = re.compile(r"网站|标识")
# A number that a script assembles from literals ("晋ICP备20236"+"7"+"3649"+"号"): its
# first piece is no (malformed) number.
_NEXT_LITERAL = re.compile(r"\s?[\"'`]\s?\+")
_CJK = re.compile(r"[\u4e00-\u9fff]")
# Characters that may stand before a bare "ICP备" (a label, not a province).
_LABEL_ENDINGS = "号案站网为是的:"
# Fan "registries" (萌ICP备, 茶ICP备): not filings. Others are told by their links.
_FAN_REGISTRIES = "萌喵猫茶"
# A template's stand-in for the province (省ICP备…, 某公网安备…): a placeholder.
_DUMMY_PREFIXES = frozenset({"省", "某", "某省", "某某"})
# A JS or config line comment, or a YAML/shell one: what follows is not rendered. (Not
# "* ": in Markdown that is a list item.)
_LINE_COMMENT = re.compile(r"^\s*(?://|/\*|#\s)")
_GAP_PUNCTUATION = " :|丨｜/·•-,，"
_CONFIDENCE_RANK = {"high": 3, "medium": 2, "low": 1}
_SOURCE_RANK = {
    "footer_text": 6,
    "link_title": 5,
    "img_alt": 4,
    "img_title": 3,
    "script": 2,
    "body_text": 1,
    "meta": 5,
}
_EXPECTED_REGISTRY = {
    "icp": ("miit",),
    "licence": ("miit", "miit_licence"),
    "police": ("mps",),
    "site_code": (),
    "sponsor": (),
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
    confidence: Confidence = "low"
    reasons: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _Match:
    kind: str
    start: int
    end: int
    fields: dict[str, Any]


def extract_notices(
    page: bytes | str,
    url: str,
    *,
    content_type: str | None = None,
    profile: Profile | None = None,
    today: datetime.date | None = None,
) -> Notices:
    """Decode (bytes), parse and extract. Never raises on bad markup: returns empty Notices."""
    text = decode_html(page, content_type)[0] if isinstance(page, bytes) else page
    doc = parse_html(text)
    if doc is None:
        return Notices()
    return extract_from_tree(doc, url, profile=profile, today=today)


_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
# huge_tree: libxml2 otherwise drops everything nested deeper than 256 elements, and sloppy
# pages nest unclosed <font> tags that deep; browsers show that text. One parser per
# thread: lxml parsers must not be shared between threads.
_PARSERS = threading.local()


def _parser() -> html.HTMLParser:
    parser = getattr(_PARSERS, "parser", None)
    if parser is None:
        parser = _PARSERS.parser = html.HTMLParser(huge_tree=True)
    return parser


def parse_html(text: str) -> html.HtmlElement | None:
    """The page as an lxml tree (what a crawler that parses once would hand over).

    Even with huge_tree, libxml2 stops at 2,048 levels of nesting and drops what follows;
    a page nested deeper (a broken CMS, or a page built to hide its footer from parsers)
    is parsed again with its deepest containers flattened, so its footer is still read.
    """
    text = _XML_DECLARATION.sub("", text, count=1)
    if "<%--" in text:
        # A JSP or ASP.NET template's own comments: the server drops them, no visitor sees
        # them (an old footer often lies commented out there).
        text = _SERVER_COMMENT.sub("", text)
    if not text.strip():
        return None
    if is_script_source(text):
        # A footer.js or a component: its markup lives in string literals that the
        # script joins; parsed unjoined, the glue between them breaks tags and numbers.
        text = join_literals(text)
    parser = _parser()
    try:
        doc = html.document_fromstring(text, parser=parser)
        if any("Excessive depth" in error.message for error in parser.error_log):
            doc = html.document_fromstring(flatten_deep_nesting(text), parser=parser)
        return doc
    except (etree.ParserError, ValueError):
        return None


_SERVER_COMMENT = re.compile(r"<%--.*?--%>", re.DOTALL)
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)\b[^>]*?(/?)>")
# Elements kept however deep they sit: they carry the notices (links, images, scripts).
_KEPT_DEEP = frozenset({"a", "img", "area", "map", "script", "meta", "iframe", "frame", "br"})
_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
                   "param", "source", "track", "wbr"})  # fmt: skip


def flatten_deep_nesting(text: str, limit: int = 1000) -> str:
    """``text`` without the start and end tags of containers nested deeper than ``limit``
    (their text and the elements in _KEPT_DEEP stay). One regular-expression pass."""
    depth = 0

    def visit(match: re.Match[str]) -> str:
        nonlocal depth
        closing, name, self_closing = match.group(1), match.group(2).lower(), match.group(3)
        if name in _KEPT_DEEP or name in _VOID or self_closing:
            return match.group(0)
        if closing:
            depth = max(0, depth - 1)
            return match.group(0) if depth < limit else ""
        depth += 1
        return match.group(0) if depth <= limit else ""

    return _TAG.sub(visit, text)


def extract_from_tree(
    doc: etree._Element,
    url: str,
    *,
    profile: Profile | None = None,
    today: datetime.date | None = None,
) -> Notices:
    """Extract from a parsed page. The tree is read, never modified."""
    root = doc.getroottree().getroot()
    collector = _Collector(url, profile, today or datetime.date.today())
    collector.scan_text_nodes(root)
    collector.scan_attributes(root)
    collector.scan_scripts(root)
    collector.scan_server_code(root)
    collector.scan_component_props(root)
    collector.scan_meta(root)
    collector.scan_links(root)
    collector.scan_code_links(root)
    return collector.result(root)


def _host(url: str) -> str:
    link = classify_link(url)
    return link.host if link else ""


class _Collector:
    def __init__(self, url: str, profile: Profile | None, today: datetime.date) -> None:
        self.base_host = _host(url) if url else ""
        self.profile = profile
        self.today = today
        self.found: list[_Found] = []
        self.rejected: list[Rejected] = []
        self.registry_links: list[RegistryLink] = []
        # Police-registry links by the record code they query.
        self.police_links: dict[str, Link] = {}
        self.conac: ConacBadge | None = None
        self.order = 0
        self.all_text = ""  # every text node of the page (scripts too), joined

    # -- candidates -------------------------------------------------------------------

    def scan_text_nodes(self, root: etree._Element) -> None:
        blocks: list[etree._Element] = []
        seen: set[etree._Element] = set()
        texts = P.all_texts(root)
        self.all_text = "".join(texts)
        for node in _trigger_text_nodes(root, texts, self.all_text):
            parent = node.getparent()
            if parent is None:
                continue
            owner = parent.getparent() if node.is_tail else parent
            block = _block_of(owner)
            if block is not None and block not in seen:
                seen.add(block)
                blocks.append(block)
        for block in blocks:
            if _has_ancestor_in(block, seen):
                continue  # rendered with its ancestor
            self._scan_rendered(render(block), origin=None)

    def scan_attributes(self, root: etree._Element) -> None:
        for position, original in enumerate(P.attribute_texts(root), 1):
            if not P.has_trigger(original) or not P.NOTICE_HINT_RE.search(original):
                continue
            text = squeeze(clean(original))
            matches = _matches(text)
            if not matches:
                continue
            value = P.attribute_at(root, position)
            element = value.getparent()
            if element is None or _skipped(element):
                continue
            tag = element.tag
            if value.attrname == "alt":
                source: Source = "img_alt"
            elif tag == "img":
                source = "img_title"
            else:
                source = "link_title"
            anchor = element if tag in ("a", "area") else nearest_anchor(element, 4)
            link = classify_link(href_of(anchor), self.base_host) if anchor is not None else None
            region = classify(element)
            for match in matches:
                self._add(
                    match,
                    text,
                    raw=_original_of(original, match),
                    source=source,
                    region=region,
                    element=element,
                    link=link,
                    hidden=False,
                )

    def scan_component_props(self, root: etree._Element) -> None:
        """<FooterVue ICP="京ICP备…号 - 1">: a component's props are what it shows."""
        for value in P.component_props(root):
            original = str(value)
            if not P.has_trigger(original) or not P.NOTICE_HINT_RE.search(original):
                continue
            element = value.getparent()
            # (a Vue template is what the page renders: its components' props count)
            if element is None or _skipped(element, but="template"):
                continue
            text = squeeze(clean(original))
            for match in _matches(text):
                self._add(
                    match,
                    text,
                    raw=_original_of(original, match),
                    source="footer_text",
                    region=classify(element),
                    element=element,
                    link=None,
                    hidden=False,
                )

    def scan_scripts(self, root: etree._Element) -> None:
        for script in P.scripts(root):
            if script.tag == "template" and _skipped(script.getparent(), but="head"):
                # (a Vue single-file component's <template> after its <script setup>
                # lands in <head>: still what the page renders)
                continue
            src = script.get("src")
            if src and "conac.cn" in src:
                self._conac_candidate(ConacBadge(src, "script", "script"))
            if self.conac is None and "conac.cn" in (script.text or ""):
                # The badge written by document.write(unescape("%3Cscript src='…dcs.conac.cn…"))
                code = unquote(script.text or "")
                found = P.CONAC_URL_RE.search(code)
                if found and not _on_comment_line(code, found.start()):
                    self._conac_candidate(ConacBadge(found.group(0), "script", "script"))
            for fragment in script_fragments(script):
                self._scan_rendered(render(fragment, as_root=True), origin=script)
                for anchor in P.fragment_link_elements(fragment):
                    self._registry_link(anchor)

    def scan_server_code(self, root: etree._Element) -> None:
        """A PHP template's own strings (``$icp = '京ICP备…';`` echoed into the footer):
        libxml2 keeps ``<?php … ?>`` as a processing instruction or, parsing HTML, as a
        comment ``<!--?php … ?-->`` (before the root element when the file opens with it)."""
        blocks = [*root.itersiblings(preceding=True), *root.iter(etree.Comment, etree.PI)]
        for block in blocks:
            text = block.text if isinstance(block.text, str) else ""
            if isinstance(block, etree._Comment) and not text.startswith(("?php", "?=")):
                continue
            if not isinstance(block, etree._Comment | etree._ProcessingInstruction):
                continue
            parent = block.getparent()
            origin = parent if parent is not None else root
            for fragment in code_fragments(text):
                self._scan_rendered(render(fragment, as_root=True), origin=origin)

    def scan_meta(self, root: etree._Element) -> None:
        for value in P.meta_site_codes(root):
            code = compact(str(value))
            if re.fullmatch(r"(?i:bm)\d{8}|\d{10}", code):
                self._push(
                    "site_code",
                    {"code": code},
                    raw=str(value).strip(),
                    source="meta",
                    region=Region.FOOTER,
                    element=None,
                    link=None,
                    hidden=False,
                    before="",
                )

    def scan_links(self, root: etree._Element) -> None:
        """Registry links (page level, and template placeholders in their text); conac.

        A conac badge image without a link to bszs.conac.cn is not the badge (labels:
        "a link to bszs.conac.cn or a dcs.conac.cn badge script").
        """
        for anchor in P.link_elements(root):
            if not is_anchor(anchor) and anchor.tag != "area":
                continue
            href = href_of(anchor) or ""
            if "conac.cn" in href:
                self._conac_candidate(ConacBadge(_bare(href), "link", "footer_text"))
                continue
            if _skipped(anchor):
                continue
            link, text = self._registry_link(anchor)
            if link is None:
                continue
            template = P.TEMPLATE_RE.search(text)
            php = _php_tag(anchor)
            if template is None and php is None:
                continue
            if P.ICP_RE.search(text) or P.POLICE_RE.search(text):
                continue
            raw = template.group(0) if template else php or ""
            kind = "icp" if link.registry == "miit" else "police"
            fields = {"prov": None, "token": raw, "site": None, "template": True}
            self._push(
                kind,
                fields,
                raw=raw,
                source="footer_text",
                region=classify(anchor),
                element=anchor,
                link=link,
                hidden=False,
                before="",
            )

    def scan_code_links(self, root: etree._Element) -> None:
        """Registry and conac URLs that a script, a config or a Markdown file turns into
        links (``recordLink: "https://beian.miit.gov.cn/"``, ``[…](http://www.beian.gov.cn/…)``),
        unless commented out or only opened by a click handler."""
        text = self.all_text
        registry, conac = "beian" in text, self.conac is None and "bszs.conac" in text
        if not registry and not conac:
            return
        if "\\" in text:
            text = text.replace("\\/", "/").replace('\\"', '"')  # JSON in a string
        for url in _code_urls(text, root, P.CODE_URL_RE if registry else None):
            link = classify_link(url)
            if link is not None and link.registry in ("miit", "mps"):
                self._note_link(link, "")
        if conac:
            for url in _code_urls(text, root, P.CONAC_LINK_RE):
                self._conac_candidate(ConacBadge(url, "link", "footer_text"))
                break

    def _registry_link(self, anchor: etree._Element) -> tuple[Link | None, str]:
        """Record an anchor that points at a filing registry: (its link, its text)."""
        link = classify_link(href_of(anchor), self.base_host)
        if link is None or link.registry not in ("miit", "mps"):
            return None, ""
        text = squeeze(clean(text_of(anchor))).strip()
        self._note_link(link, text)
        return link, text

    def _note_link(self, link: Link, text: str) -> None:
        self.registry_links.append(RegistryLink(link.url, link.registry or "", link.outdated, text))
        code = link.code if link.registry == "mps" else None
        if code:
            self.police_links.setdefault(code, link)

    def _conac_candidate(self, badge: ConacBadge) -> None:
        rank = {"link": 3, "script": 2, "image": 1}
        if self.conac is None or rank[badge.kind] > rank[self.conac.kind]:
            self.conac = badge

    def _scan_rendered(self, rendered: Rendered, origin: etree._Element | None) -> None:
        text = rendered.text
        for match in _matches_windowed(text):
            pieces = rendered.pieces_in(match.start, match.end)
            if pieces and _commented_out(pieces[0], match):
                raw = rendered.original(match.start, match.end)
                self.rejected.append(Rejected(match.kind, compact(raw), raw, "commented_out"))
                continue
            element = pieces[0].element if pieces else None
            link = _span_link(rendered, match, self.base_host)
            if link is None:
                link = _json_link(text, match) or _markdown_link(text, match)
            hidden = bool(pieces) and all(p.hidden for p in pieces)
            if origin is None:
                region = classify(element) if element is not None else Region.BODY
                source: Source = (
                    "footer_text" if region in (Region.FOOTER, Region.TAIL) else "body_text"
                )
                cue = False
            else:
                region = _fragment_region(element) or classify(origin)
                source = "script"
                cue = _footer_cue(text, match)
            self._add(
                match,
                text,
                raw=rendered.original(match.start, match.end),
                source=source,
                region=region,
                element=element if origin is None else origin,
                link=link,
                hidden=hidden,
                footer_cue=cue,
            )

    def _add(
        self,
        match: _Match,
        text: str,
        *,
        raw: str,
        source: Source,
        region: Region,
        element: etree._Element | None,
        link: Link | None,
        hidden: bool,
        footer_cue: bool = False,
    ) -> None:
        self._push(
            match.kind,
            match.fields,
            raw=raw or text[match.start : match.end].strip(),
            source=source,
            region=region,
            element=element,
            link=link,
            hidden=hidden,
            before=text[max(0, match.start - 40) : match.start],
            footer_cue=footer_cue,
        )

    def _push(self, kind: str, fields: dict[str, Any], **context: Any) -> None:
        self.order += 1
        self.found.append(_Found(kind=kind, fields=fields, order=self.order, **context))

    # -- judgement --------------------------------------------------------------------

    def result(self, root: etree._Element) -> Notices:
        accepted = [f for f in self.found if self._assess(f)]
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
            conac=self.conac,
            sponsor=sponsor,
            registry_links=tuple(self.registry_links),
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
        if region is not Region.FOOTER and not own and P.QUOTE_CUE_RE.search(found.before[-20:]):
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
        """Remove runs of different numbers that belong to other sites."""
        drop: set[int] = set()
        for kind in ("icp", "police"):
            by_list: dict[etree._Element, dict[str, set[etree._Element]]] = {}
            external: dict[str, list[_Found]] = {}
            for found in accepted:
                if found.kind != kind or found.element is None:
                    continue
                key = self._main_key(found)
                item = _list_item(found.element)
                if item is not None:
                    container, entry = item
                    by_list.setdefault(container, {}).setdefault(key, set()).add(entry)
                link = found.link
                if link is not None and link.registry is None and self._foreign(link.host):
                    external.setdefault(link.host, []).append(found)
            for container, numbers in by_list.items():
                entries = {e for es in numbers.values() for e in es}
                if len(numbers) >= 2 and len(entries) >= 2:
                    for found in accepted:
                        if found.kind == kind and found.element is not None:
                            item = _list_item(found.element)
                            if item is not None and item[0] is container:
                                drop.add(found.order)
            if len(external) >= 2:
                drop.update(f.order for fs in external.values() for f in fs)
        kept = []
        for found in accepted:
            if found.order in drop:
                self._reject(found, "list_of_other_sites")
            else:
                kept.append(found)
        return kept

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
            app=fields.get("app", False),
        )

    def _licence(self, fields: dict[str, Any]) -> validate.Checked:
        if fields.get("category"):
            return validate.telecom_licence(
                fields["prov"], fields["category"], fields["token"], fields["site"], self.today
            )
        return validate.icp_licence(fields["prov"], fields["token"], fields["site"])

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
    for m in P.TELECOM_RE.finditer(text):
        prov = m.group("prov")
        cue = P.LICENCE_CUE_RE.search(text[max(0, m.start() - 16) : m.start()])
        if prov is None and not cue:
            continue
        if len(m.group("cat")) == 1 and (prov is None or not cue):
            continue  # 粤B-20050235 is a licence missing its digit only where one is expected
        fields = {
            "prov": prov,
            "category": m.group("cat"),
            "token": m.group("num"),
            "site": m.group("site"),
        }
        out.append(_Match("licence", m.start(), m.end(), fields))
    out.extend(_police_matches(text))
    for m in P.SITE_CODE_RE.finditer(text):
        code = m.group("code")
        if len(code) != 10 and (
            not _SITE_CODE_MALFORMED_LABEL.search(m.group("label"))
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
)
_LONG_TEXT = 4000


def _icp_matches(text: str) -> list[_Match]:
    """ICP filing numbers and ICP licences of a rendered text (see :func:`_matches`)."""
    out: list[_Match] = []
    for m in P.ICP_RE.finditer(text):
        kind_label = m.group("kind")
        prov = m.group("prov")
        has_hao = bool(m.group("hao") or m.group("hao2"))
        start = _start(text, m.start())
        in_full = _province_in_full(text, m.end("prov") if prov else start)
        if in_full is not None:
            prov, start = divisions.icp_abbr(in_full[0]), in_full[1]
        if kind_label is None and (prov is None or not (has_hao or _glued_filing(text, m))):
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
            if not _malformed_icp_ok(token, prov, has_hao, kind_label, allowed):
                continue  # digits of some other kind after an ICP mention
            if not has_hao and _NEXT_LITERAL.match(text, end):
                continue
        kind = "licence" if kind_label == "证" else "icp"
        fields = {
            "prov": prov,
            "token": token,
            "site": site,
            "app": bool(site and site == m.group("site") and m.group("app")),
            "odd_label": kind_label is None,
            "in_full": in_full is not None,
        }
        out.append(_Match(kind, start, end, fields))
    return out


def _police_matches(text: str) -> list[_Match]:
    """Police numbers of a rendered text (see :func:`_matches`)."""
    out: list[_Match] = []
    for m in P.POLICE_RE.finditer(text):
        token, end, site = _token(m, text, _POLICE_DIGITS)
        if token is None:
            continue
        prov = m.group("prov")
        label_start = m.start("label")
        start = _start(text, m.start())
        in_full = _province_in_full(text, m.end("prov") if prov else label_start)
        if in_full is not None:
            prov, start = divisions.police_abbr(in_full[0]), in_full[1]
        elif prov is None:
            prov = _dummy_prefix(text, label_start)
        # Typos seen on real footers: 公安网备, 公网备, 公安机关备案号; the organ's name.
        standard = compact(m.group("label")) == "公网安备"
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


def _glued_filing(text: str, m: re.Match[str]) -> bool:
    """辽ICP06018765: a province, ICP and a filing number's digits written together, with
    neither 备 nor 号."""
    start = m.start("num")
    return (
        start > 0
        and text[start - 1] in "Pp"
        and len(m.group("num")) in (8, 10)
        and m.group("num").isdigit()
    )


def _malformed_icp_ok(
    token: str, prov: str | None, has_hao: bool, label: str | None, allowed: frozenset[int]
) -> bool:
    """A digit too many or too few is still a (malformed) number in a full form: province
    and 号 (晋ICP备123号), or province and ICP备/ICP证 with one digit more or less."""
    if not prov:
        return False
    return has_hao or (label is not None and _one_off(len(token), allowed))


def _malformed_police_ok(token: str, prov: str | None, has_hao: bool, standard: bool) -> bool:
    """Likewise for a police number: with 号, or after the full 省公网安备 label."""
    if has_hao and len(token) >= 8:
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


# -- context --------------------------------------------------------------------------


def _trigger_text_nodes(
    root: etree._Element, texts: list[str], joined: str
) -> list[etree._ElementUnicodeResult]:
    """The text nodes (as smart strings, parent known) that may hold part of a notice.

    One C-level pass finds trigger substrings in the concatenated text; only the nodes
    that also carry a notice hint are then fetched with their parents.
    """
    if not texts:
        return []
    ends = list(accumulate(map(len, texts)))
    candidates: set[int] = set()
    for trigger in P.TRIGGERS:
        position = joined.find(trigger)
        while position != -1:
            index = bisect_right(ends, position)
            candidates.add(index)
            position = joined.find(trigger, ends[index] if index < len(ends) else len(joined))
    hits = sorted(i for i in candidates if i < len(texts) and P.NOTICE_HINT_RE.search(texts[i]))
    nodes: list[etree._ElementUnicodeResult] = []
    for first, last in _clusters(hits):
        wanted = set(range(first, last + 1)).intersection(hits)
        found = P.texts_between(root, first + 1, last + 1)
        nodes.extend(node for offset, node in enumerate(found) if first + offset in wanted)
    return nodes


def _clusters(indices: list[int], gap: int = 40) -> list[tuple[int, int]]:
    """Group sorted indices into (first, last) runs; a wide gap starts a new run.

    A range query costs a traversal plus a proxy per node in the range, so a run is worth
    extending over a gap of up to ~40 nodes rather than paying another traversal.
    """
    runs: list[tuple[int, int]] = []
    for index in indices:
        if runs and index - runs[-1][1] <= gap:
            runs[-1] = (runs[-1][0], index)
        else:
            runs.append((index, index))
    return runs


def _block_of(element: etree._Element | None) -> etree._Element | None:
    """The nearest block-level ancestor that is rendered; None inside scripts and the like."""
    block = None
    node = element
    while node is not None:
        tag = node.tag
        if isinstance(tag, str):
            if tag in SKIP_TAGS:
                return None
            if block is None and tag in BLOCK_TAGS:
                block = node
        node = node.getparent()
    return block


def _has_ancestor_in(element: etree._Element, elements: set[etree._Element]) -> bool:
    node = element.getparent()
    while node is not None:
        if node in elements:
            return True
        node = node.getparent()
    return False


def _skipped(element: etree._Element | None, but: str = "") -> bool:
    """Inside an element that is not rendered (``but`` one of them excepted)."""
    node = element
    while node is not None:
        if node.tag in SKIP_TAGS and node.tag != but:
            return True
        node = node.getparent()
    return False


def _fragment_region(element: etree._Element | None) -> Region | None:
    """The region a script-borne element marks for itself, inside its fragment."""
    node = element
    while node is not None:
        if isinstance(node.tag, str):
            if is_footer_element(node):
                return Region.FOOTER
            if is_partner_element(node) and node.getparent() is not None:
                return Region.PARTNER
            if is_article_element(node):
                return Region.ARTICLE
        node = node.getparent()
    return None


def _footer_cue(text: str, match: _Match) -> bool:
    window = text[max(0, match.start - 120) : match.start] + " " + text[match.end : match.end + 120]
    return P.FOOTER_CUE_RE.search(window) is not None


def _span_link(rendered: Rendered, match: _Match, base_host: str) -> Link | None:
    """The link of a match: the anchor around it, else an empty registry link beside it."""
    pieces = rendered.pieces_in(match.start, match.end)
    anchors = [p.anchor for p in pieces if p.anchor is not None]
    if anchors:
        anchor = Counter(anchors).most_common(1)[0][0]
        return classify_link(href_of(anchor), base_host)
    expected = _EXPECTED_REGISTRY[match.kind]
    text = rendered.text
    for start, end, anchor in rendered.anchors:
        if end <= match.start and match.start - end <= 12:
            gap = text[end : match.start]
        elif start >= match.end and start - match.end <= 12:
            gap = text[match.end : start]
        else:
            continue
        if gap.strip(_GAP_PUNCTUATION) or any(ch.isdigit() for ch in text[start:end]):
            continue
        link = classify_link(href_of(anchor), base_host)
        if link is not None and link.registry in expected:
            return link
    return None


def _json_link(text: str, match: _Match) -> Link | None:
    """A registry URL in the same JSON object: {"title":"京ICP证030609号","url":"https://…"}."""
    expected = _EXPECTED_REGISTRY[match.kind]
    if not expected:
        return None
    left = text.rfind("{", max(0, match.start - 300), match.start)
    if left == -1 or "}" in text[left : match.start]:
        return None
    right = text.find("}", match.end, match.end + 300)
    if right == -1 or "{" in text[match.end : right]:
        return None
    for url in P.JSON_URL_RE.findall(text[left:right]):
        link = classify_link(url)
        if link is not None and link.registry in expected:
            return link
    return None


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


def _code_urls(text: str, root: etree._Element, pattern: re.Pattern[str] | None) -> list[str]:
    """The URLs ``pattern`` finds in ``text`` where code makes a link of them."""
    if pattern is None:
        return []
    urls = []
    for found in pattern.finditer(text):
        start = found.start()
        if _on_comment_line(text, start):
            continue
        context = P.CODE_URL_CONTEXT_RE.search(text, max(0, start - 200), start)
        if context is None:
            continue
        name = context.group("name")
        if (
            name
            and not _used_as_href(text, name)
            and name not in _href_variables(root)
            and not _link_setting(text, name)
        ):
            continue
        urls.append(found.group(0))
    return urls


def _href_variables(root: etree._Element) -> set[str]:
    """Variables that a component's markup binds links to: href={name}, :href="name"."""
    values = P.variable_hrefs(root)
    return {str(value).strip("{}$` ") for value in values}


_LINK_NAME_RE = re.compile(r"(?:url|link|href)$", re.IGNORECASE)


def _link_setting(text: str, name: str) -> bool:
    """A setting named as a link (IcpUrl="…", beianLink = "…") that a template renders as
    one, unless a click handler here opens it instead."""
    if name == "href" or _LINK_NAME_RE.search(name) is None:
        return False  # x.href = "…" is a property, judged by CODE_URL_CONTEXT_RE
    handler = rf"(?:open\s*\(|location(?:\.href)?\s*=)\s*{re.escape(name)}\b"
    return re.search(handler, text) is None


def _used_as_href(text: str, name: str) -> bool:
    """Whether code binds a link's target to the variable: href={name}, :href="name"."""
    pattern = rf"href\s*[=:]\s*[{{\"'`]?\s*(?:\$\{{)?{re.escape(name)}\b"
    return re.search(pattern, text) is not None


def _commented_out(piece: Any, match: _Match) -> bool:
    """Whether the match (starting in ``piece``) is on a commented-out line of a script or
    config ("// record: '粤ICP备…'"): the line breaks survive only in the original text."""
    original = piece.original
    if "//" not in original and "/*" not in original and "# " not in original:
        return False
    if len(original) <= MAP_LIMIT:
        index = match.start - piece.start + piece.skipped
        where = piece.where()
        return 0 <= index < len(where) and _on_comment_line(original, where[index])
    # A huge text node is not mapped (see render): judge by where its digits occur.
    token = str(match.fields.get("token") or match.fields.get("code") or "")
    positions = [m.start() for m in re.finditer(re.escape(token), original)] if token else []
    return bool(positions) and all(_on_comment_line(original, at) for at in positions)


def _on_comment_line(text: str, position: int) -> bool:
    """Whether ``position`` follows a comment opened at the start of its line (and, for
    /* … */, not closed before it)."""
    line = text[text.rfind("\n", 0, position) + 1 : position]
    opened = _LINE_COMMENT.match(line)
    return opened is not None and not (opened.group(0).endswith("/*") and "*/" in line)


_MARKDOWN_TARGET = re.compile(r" ?\]\((?P<url>[^)\s]+)")


def _markdown_link(text: str, match: _Match) -> Link | None:
    """The target of a Markdown link around the match: [京ICP备…号](https://beian…)."""
    target = _MARKDOWN_TARGET.match(text, match.end)
    if target is None or "[" not in text[max(0, match.start - 200) : match.start]:
        return None
    return classify_link(target.group("url"))


def _unique(reasons: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(reasons))


def _php_tag(element: etree._Element) -> str | None:
    """An unrendered ``<?php echo $icp ?>`` inside the element (libxml2 keeps it as a
    processing instruction or, in HTML, as a comment ``<!--?php … ?-->``)."""
    for node in element.iter():
        if isinstance(node, etree._ProcessingInstruction):
            return etree.tostring(node, encoding="unicode")
        if isinstance(node, etree._Comment) and (node.text or "").startswith("?"):
            return f"<{node.text}>"
    return None


def _bare(href: str) -> str:
    return href.replace("\\", "").strip("\"' ")
