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

This module scans the page (steps 1 and 2); the parsing is in :mod:`parse`, the patterns'
matches in :mod:`matching`, the links of a match in :mod:`links`, steps 3 and 4 in
:mod:`judge`.
"""

from __future__ import annotations

import datetime
import re
from bisect import bisect_right
from collections.abc import Iterator
from itertools import accumulate
from typing import Any, cast
from urllib.parse import unquote

from lxml import etree

from audit.config import Profile
from audit.notices import patterns as P
from audit.notices.footer import (
    Region,
    article_marking,
    classify,
    is_footer_element,
    is_partner_element,
)
from audit.notices.judge import Judge, _Found
from audit.notices.links import (
    _code_urls,
    _commented_out,
    _json_link,
    _markdown_link,
    _markup_link,
    _on_comment_line,
    _record_host,
    _span_link,
    _switched_off,
    _switched_off_in_yaml,
    on_a_commented_line,
)
from audit.notices.matching import _Match, _matches, _matches_windowed, _original_of
from audit.notices.model import (
    ConacBadge,
    Notices,
    RegistryLink,
    Rejected,
    Source,
)
from audit.notices.normalise import Link, classify_link, clean, compact, squeeze
from audit.notices.parse import parse_html
from audit.notices.render import (
    BLOCK_TAGS,
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
    script_fragments,
)
from audit.page.encoding import decode_html


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


def extract_from_tree(
    doc: etree._Element,
    url: str,
    *,
    profile: Profile | None = None,
    today: datetime.date | None = None,
    attributes: list[etree._ElementUnicodeResult] | None = None,
) -> Notices:
    """Extract from a parsed page. The tree is read, never modified. ``attributes``: the
    page's ``all_attributes``, when the caller read them already (the crawler does)."""
    root = doc.getroottree().getroot()
    collector = _Collector(url, profile, today or datetime.date.today())
    attributes_read = P.page_attributes(root, attributes)
    collector.scan_text_nodes(root)
    collector.scan_attributes(attributes_read.texts)
    collector.scan_scripts(root)
    collector.scan_server_code(root)
    collector.scan_component_props(attributes_read.props)
    collector.scan_meta(root)
    collector.scan_links(attributes_read.link_elements)
    collector.scan_code_links(root)
    if _test_fixture(collector.all_text):
        # a saved page a test holds in a raw string, its assertions after it: the test's
        # data, no notice of any page (as a test's assertions near a number are)
        return Notices(rejected=tuple(
            Rejected(f.kind, compact(f.raw), f.raw, "test_code") for f in collector.found
        ))  # fmt: skip
    return collector.result(root)


# The end of a raw string (""" in Kotlin, Java, Python, Swift) and a test's assertion after it.
_FIXTURE_END = re.compile(r'"""[\s\S]{0,300}?(?:' + P.TEST_CODE_RE.pattern + ")")


def _test_fixture(text: str) -> bool:
    """Whether the page's text ends as a test's fixture does: its last characters close a
    raw string and assert something about it."""
    tail = text[-800:]
    return '"""' in tail and _FIXTURE_END.search(tail) is not None


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
        self.constants: dict[str, str | None] | None = None  # read when needed

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
            if block is not None and _label_alone(node, block):
                # <p>沪ICP备</p><p>B2-20050088-49</p>, <li><p>京ICP证</p></li><li><p>0302…:
                # the number is in a following block, up to a few levels out
                block = _block_around_label(block)
            if block is not None and block not in seen:
                seen.add(block)
                blocks.append(block)
        for block in blocks:
            if _has_ancestor_in(block, seen):
                continue  # rendered with its ancestor
            self._scan_rendered(render(block), origin=None)

    def scan_attributes(self, values: list[etree._ElementUnicodeResult]) -> None:
        """alt and title attributes (``PageAttributes.texts``)."""
        for value in values:
            original = str(value)
            if not P.has_trigger(original) or not P.NOTICE_HINT_RE.search(original):
                continue
            text = squeeze(clean(original))
            matches = _matches(text)
            if not matches:
                continue
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
            link = (
                classify_link(href_of(anchor), self.base_host, attribute=True)
                if anchor is not None
                else None
            )
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

    def scan_component_props(self, values: list[etree._ElementUnicodeResult]) -> None:
        """<FooterVue ICP="京ICP备…号 - 1">: a component's props are what it shows
        (``PageAttributes.props``)."""
        for value in values:
            original = str(value)
            if not P.has_trigger(original) or not P.NOTICE_HINT_RE.search(original):
                continue
            element = value.getparent()
            # (a Vue template is what the page renders: its components' props count)
            if element is None or _skipped(element, but="template"):
                continue
            text = squeeze(clean(original))
            for match in _matches(text):
                raw = _original_of(original, match)
                self._add(
                    match,
                    text,
                    raw=raw,
                    source="footer_text",
                    region=classify(element),
                    element=element,
                    # links={[{title: '滇ICP备…', href: 'https://beian.miit.gov.cn/'}]},
                    # Text="<a href='http://www.miibeian.gov.cn'>沪ICP备…</a>"
                    link=_json_link(text, match) or _markup_link(original, compact(raw)),
                    hidden=False,
                )

    def scan_scripts(self, root: etree._Element) -> None:
        for script in P.scripts(root):
            if script.tag == "template" and _skipped(script.getparent(), but="head"):
                # (a Vue single-file component's <template> after its <script setup>
                # lands in <head>: still what the page renders)
                continue
            src = script.get("src")
            conac = ("conac.cn" in (src or "") or "conac.cn" in (script.text or "")) and (
                not on_a_commented_line(script)
            )
            if conac and src and "conac.cn" in src:
                self._conac_candidate(ConacBadge(src, "script", "script"))
            if conac and self.conac is None and "conac.cn" in (script.text or ""):
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
            # The anchor a block echoes: <?php _e(' <a href="https://beian.miit.gov.cn">…
            # (the parser ends the block at the anchor's ">", so its text follows outside)
            if "beian" in text:
                self._note_code_links(text, root)

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

    def scan_links(self, elements: list[etree._Element]) -> None:
        """Registry links (page level, and template placeholders in their text); conac:
        ``PageAttributes.link_elements``.

        A conac badge image without a link to bszs.conac.cn is not the badge (labels:
        "a link to bszs.conac.cn or a dcs.conac.cn badge script").
        """
        for anchor in elements:
            if not is_anchor(anchor) and anchor.tag != "area":
                continue
            href = href_of(anchor) or ""
            if "conac.cn" in href:
                # the badge links to its page on bszs.conac.cn; biaozhi.conac.cn and the
                # like are pages about the badge, which any site can link to
                if P.CONAC_LINK_RE.search(href) and not on_a_commented_line(anchor):
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
        probe = text.replace("\\/", "/") if "\\" in text else text
        registry = registry and P.CODE_URL_RE.search(probe) is not None
        conac = conac and P.CONAC_LINK_RE.search(probe) is not None
        if not registry and not conac:
            return  # no registry URL in the text (the usual page: they are in hrefs)
        for sample in P.code_sample_texts(root):
            # an article quoting a footer's markup as code (<pre>&lt;a href=…) links nothing
            text = text.replace(sample, " ") if sample else text
        for shown in P.shown_href_texts(root):
            # nor does markup stored escaped, which the page shows as text (a SQL seed's
            # help column: 官网：&lt;a href=&quot;http://www.miibeian.gov.cn&quot;&gt;)
            if _QUOTED_MARKUP.search(shown):
                text = text.replace(shown, " ")
        if "\\" in text:
            text = text.replace("\\/", "/").replace('\\"', '"')  # JSON in a string
        if registry:
            self._note_code_links(text, root)
        if conac:
            for url in _code_urls(text, root, P.CONAC_LINK_RE):
                self._conac_candidate(ConacBadge(url, "link", "footer_text"))
                break

    def _note_code_links(self, text: str, root: etree._Element) -> None:
        """The registry URLs that code in ``text`` makes links of (see ``_code_urls``)."""
        for url in _code_urls(text, root, P.CODE_URL_RE):
            link = classify_link(url)
            if link is not None and link.registry in ("miit", "mps"):
                self._note_link(link, "")

    def _registry_link(self, anchor: etree._Element) -> tuple[Link | None, str]:
        """Record an anchor that points at a filing registry: (its link, its text)."""
        link = classify_link(href_of(anchor), self.base_host, attribute=True)
        if link is None or link.registry not in ("miit", "mps"):
            return None, ""
        if _built_from_an_empty_constant(anchor.get("href") or "", self.all_text):
            return None, ""
        if on_a_commented_line(anchor):
            return None, ""  # markup a config's comment holds (custom_text: # <a href=…>)
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
            unshown = _why_not_shown(text, match, pieces)
            if unshown is not None:
                raw = rendered.original(match.start, match.end)
                self.rejected.append(Rejected(match.kind, compact(raw), raw, unshown))
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
        window = (max(0, match.start - P.TEST_CODE_REACH), min(len(text), match.end + 200))
        if P.TEST_CODE_RE.search(text, *window):
            self.rejected.append(Rejected(match.kind, compact(raw), raw, "test_code"))
            return
        if _in_scraped_value(text, match.start):
            self.rejected.append(Rejected(match.kind, compact(raw), raw, "scraped_text"))
            return
        if element is not None and _in_record_table(element):
            self.rejected.append(Rejected(match.kind, compact(raw), raw, "filing_record"))
            return
        fields = self._with_constant(match.fields)
        if fields is None:
            self.rejected.append(Rejected(match.kind, compact(raw), raw, "empty_constant"))
            return
        self._push(
            match.kind,
            fields,
            raw=raw or text[match.start : match.end].strip(),
            source=source,
            region=region,
            element=element,
            link=link,
            hidden=hidden,
            before=text[max(0, match.start - 40) : match.start],
            footer_cue=footer_cue,
            record_host=_record_host(text, match),
        )

    def _with_constant(self, fields: dict[str, Any]) -> dict[str, Any] | None:
        """A template variable in place of the digits, where the page defines it as a
        constant (赣公网安备 {policeCode} 号 beside const policeCode = "3611…"): its digits;
        None when the constant is empty (the notice is not shown)."""
        token = fields.get("token")
        if not token or not P.TEMPLATE_RE.fullmatch(token):
            return fields
        if self.constants is None:
            self.constants = {}
            for name, _, value in P.CONSTANT_RE.findall(self.all_text):
                # a name defined twice with different values says nothing
                same = self.constants.get(name, value) == value
                self.constants[name] = value if same else None
        name = P.VARIABLE_NAME_RE.search(token.rstrip("}%> "))
        value = self.constants.get(name[1]) if name else None
        if value == "":
            return None
        # {record.number} where the code takes record from a map it leaves empty
        root = _ROOT_NAME.search(token)
        if not value and root and "." in token and _empty_binding(root[0].strip(), self.all_text):
            return None
        return {**fields, "token": value} if value else fields

    def _push(self, kind: str, fields: dict[str, Any], **context: Any) -> None:
        self.order += 1
        self.found.append(_Found(kind=kind, fields=fields, order=self.order, **context))

    def result(self, root: etree._Element) -> Notices:
        judge = Judge(self.base_host, self.profile, self.today, self.police_links, self.rejected)
        return judge.result(self.found, self.conac, self.registry_links)


# -- context --------------------------------------------------------------------------


def _trigger_text_nodes(
    root: etree._Element, texts: list[str], joined: str
) -> list[etree._ElementUnicodeResult]:
    """The text nodes (as smart strings, parent known) that may hold part of a notice.

    A C-level search finds the next trigger in the concatenated text; the node it falls
    in is tested for a notice hint and the search goes on after that node. Only the nodes
    with a hint are then fetched with their parents.
    """
    if not texts:
        return []
    ends = list(accumulate(map(len, texts)))
    hits: list[int] = []
    search, hint, position = P.TRIGGER_RE.search, P.NOTICE_HINT_RE.search, 0
    while (trigger := search(joined, position)) is not None:
        index = bisect_right(ends, trigger.start())
        if hint(texts[index]) or (
            # a label written one character per element: 网</span><span>站</span><span>标…
            len(texts[index].strip()) == 1
            and hint("".join(texts[max(0, index - 8) : index + 9]).replace(" ", ""))
        ):
            hits.append(index)
        position = ends[index]
    nodes: list[etree._ElementUnicodeResult] = []
    for first, last in _clusters(hits):
        wanted = set(range(first, last + 1)).intersection(hits)
        found = P.texts_between(root, first + 1, last + 1)
        nodes.extend(node for offset, node in enumerate(found) if first + offset in wanted)
    return nodes


def _label_alone(node: str, block: etree._Element) -> bool:
    """Whether the block of this text node holds a label and no number (<p>沪ICP备</p>,
    or 网 站 标 识 码 one character per element): the number is in a following block."""
    if P.BARE_LABEL_RE.search(node):
        return True
    return len(node.strip()) == 1 and P.BARE_LABEL_RE.search(compact(text_of(block))) is not None


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


def _block_around_label(block: etree._Element, levels: int = 3) -> etree._Element:
    """The nearest enclosing block that holds more than the label its text ends with."""
    for _ in range(levels):
        outer = _block_of(block.getparent())
        if outer is None:
            break
        block = outer
        if not P.BARE_LABEL_RE.search("".join(cast("Iterator[str]", block.itertext()))):
            break
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
    generic = False
    while node is not None:
        if isinstance(node.tag, str):
            if is_footer_element(node):
                return Region.FOOTER
            if is_partner_element(node) and node.getparent() is not None:
                return Region.PARTNER
            marking = None if generic else article_marking(node)
            if marking == "strong":
                return Region.ARTICLE
            generic = generic or marking == "generic"
        node = node.getparent()
    return Region.ARTICLE if generic else None


# Markup shown as text (a debug dump's &lt;a href=…&gt;京ICP备…&lt;/a&gt;): quoted, not the
# page's own notice. A parsed page's own tags never reach its text.
_QUOTED_MARKUP = re.compile(r"</?(?:a|div|p|span|li)\b[^<>]{0,200}>")
# ${POLICE_CODE}, ${record.queryCode}, ${codes[host]}: the name the value starts from
_INTERPOLATED = re.compile(r"\$\{\s*([A-Za-z_$][\w$]*)(?:\.[\w$]+|\[[^\]\n]{0,80}\])*\s*\}")
_ROOT_NAME = re.compile(r"(?<=[{$])\s*[A-Za-z_$][\w$]*")
# what follows "NAME" when it is assigned, type annotation (TypeScript) included
_ASSIGNED = r"\s*(?::[^=\n;]{0,80}|:[^=]{0,300}?)?=\s*"
# (not the start of an expression: "" + code, {} as X)
_EMPTY_VALUE = r"(?:\"\"|''|``|\{\s*\}|\[\s*\])(?!\s*(?:[+.\[?|&(]|as\b))"


def _built_from_an_empty_constant(href: str, text: str) -> bool:
    """href={`https://beian.mps.gov.cn/…?code=${POLICE_CODE}`} where the code sets
    ``POLICE_CODE = ""``, or takes the value from a map it leaves empty
    (``record = RECORDS[host]`` with ``RECORDS = {}``): a block written to render only once
    the constant is filled in."""
    if "${" not in href:
        return False
    return any(_empty_binding(name, text) for name in _INTERPOLATED.findall(href))


def _empty_binding(name: str, text: str) -> bool:
    """Whether the code in ``text`` gives ``name`` an empty value: an empty string, object
    or list, or an entry of a map it leaves empty (``record = RECORDS[host]``, ``RECORDS =
    {}``)."""
    if re.search(rf"\b{re.escape(name)}{_ASSIGNED}{_EMPTY_VALUE}", text):
        return True
    source = re.search(rf"\b{re.escape(name)}{_ASSIGNED}([A-Za-z_$][\w$]*)\s*\[", text)
    return source is not None and (
        re.search(rf"\b{re.escape(source.group(1))}{_ASSIGNED}{_EMPTY_VALUE}", text) is not None
    )


def _why_not_shown(text: str, match: _Match, pieces: list[Any]) -> str | None:
    """Why a match, though in the text, is no notice a visitor sees: commented out, turned
    off by its config, or quoted as code; None when it is shown."""
    first = pieces[0] if pieces else None
    if first is not None and _commented_out(first, match):
        return "commented_out"
    if _switched_off(text, match) or (first is not None and _switched_off_in_yaml(first, match)):
        return "switched_off"
    if (
        first is not None
        and first.element is not None
        and (_in_code_sample(first.element) or _QUOTED_MARKUP.search(first.original))
    ):
        return "code_sample"
    return None


# The fields a search index or a scraper stores another page's text in ("snippet": "…京ICP备…"):
# data about other sites, shown by none of them here.
_SCRAPED_FIELD = re.compile(
    r"""["']?\b(?:snippet|highlight|abstract|summary|excerpt|raw_html|page_content|"""
    r"""html_content|page_text)["']?\s*[:=]\s*["'`]""",
    re.I,
)
# The end of a value and the start of the next key (…", "title": …).
_NEXT_KEY = re.compile(r"""["'`]\s*,?\s*\n\s*["']?\w+["']?\s*[:=]""")


def _in_scraped_value(text: str, position: int) -> bool:
    """Whether ``position`` lies in the string value of a scraped-text field."""
    window = max(0, position - 3000)
    last = None
    for found in _SCRAPED_FIELD.finditer(text, window, position):
        last = found
    return last is not None and _NEXT_KEY.search(text, last.end(), position) is None


# Fields of a filing's record as a registry or a query site shows it (网站备案信息 tables):
# no footer speaks of its own 审核时间 or 备案地公安机关.
_RECORD_FIELDS = re.compile(
    r"开办者名称|主办单位性质|备案地公安机关|公安机关备案时间|审核时间|审核通过日期"
)


def _in_record_table(element: etree._Element) -> bool:
    """Whether the element is in a table that shows a filing's record (another site's
    data: a registry's or a query site's answer), not a footer laid out as a table."""
    for table in element.iterancestors("table"):
        return _RECORD_FIELDS.search(text_of(table) or "") is not None
    return False


def _in_code_sample(element: etree._Element) -> bool:
    """Inside <pre> or <code> outside a marked footer: markup an article quotes as code."""
    node: etree._Element | None = element
    sample = False
    while node is not None:
        if node.tag in ("pre", "code"):
            sample = True
        elif sample and isinstance(node.tag, str) and is_footer_element(node):
            return False
        node = node.getparent()
    return sample


def _footer_cue(text: str, match: _Match) -> bool:
    window = text[max(0, match.start - 120) : match.start] + " " + text[match.end : match.end + 120]
    return P.FOOTER_CUE_RE.search(window) is not None


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
