"""Render an element's visible text the way a browser lays it out, keeping track of which
anchor (and which element) each character came from.

Inline elements run together (``<span>晋ICP备</span><span>2021001234</span>号`` reads as one
number); block elements and ``<br>`` start a new line. Scripts, styles and templates are
not rendered. Each piece is cleaned (full-width forms, zero-widths) before it is joined.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, cast

from lxml import etree
from lxml.html import defs as html_defs

from audit.notices.normalise import clean, clean_map, squeeze

BLOCK_TAGS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "body",
        "center",
        "dd",
        "details",
        "dialog",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "html",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "ul",
    ]
)
SKIP_TAGS = frozenset(
    [
        "script",
        "style",
        "template",
        "noscript",
        "textarea",
        "select",
        "option",
        "head",
        "title",
        "iframe",
    ]
)


MAP_LIMIT = 4000


@dataclass(slots=True)
class Piece:
    start: int
    end: int
    element: etree._Element  # the element whose text (or tail) this is
    anchor: etree._Element | None
    hidden: bool
    original: str  # the text as the page has it
    skipped: int  # leading characters of the cleaned text dropped when joining
    mapping: list[int] | None = None  # clean_map's positions, computed once when needed

    def where(self) -> list[int]:
        """For each character of the cleaned text, its index in ``original``."""
        if self.mapping is None:
            self.mapping = clean_map(self.original)[1]
        return self.mapping

    def original_slice(self, start: int, end: int, rendered: str) -> str:
        """The original text behind cleaned offsets [start, end) of the whole rendering."""
        if len(self.original) > MAP_LIMIT:
            # Mapping is a Python loop over the piece: for a huge text node, quote the
            # cleaned text instead.
            return rendered[max(start, self.start) : min(end, self.end)]
        where = self.where()
        lo = max(start, self.start) - self.start + self.skipped
        hi = min(end, self.end) - self.start + self.skipped
        if lo >= len(where):
            return ""
        last = where[hi - 1] + 1 if hi - 1 < len(where) else len(self.original)
        return self.original[where[lo] : last]


@dataclass(slots=True)
class Rendered:
    text: str = ""
    pieces: list[Piece] = field(default_factory=list)
    # Every <a> met, with the span of its text (empty for image-only links).
    anchors: list[tuple[int, int, etree._Element]] = field(default_factory=list)

    def pieces_in(self, start: int, end: int) -> list[Piece]:
        return [p for p in self.pieces if p.end > start and p.start < end]

    def original(self, start: int, end: int) -> str:
        """The page's own text behind a span of the rendering (full-width forms and all)."""
        parts = []
        previous: Piece | None = None
        for piece in self.pieces_in(start, end):
            if previous is not None and piece.start > previous.end:
                parts.append(self.text[previous.end : piece.start])
            parts.append(piece.original_slice(start, end, self.text))
            previous = piece
        # Browsers collapse runs of whitespace: so does the quote.
        return squeeze("".join(parts)).strip()


_STRING_XPATH = etree.XPath("string()", smart_strings=False)


def text_of(element: etree._Element) -> str:
    """All text under an element. Works on any lxml element: the crawler may hand over trees
    built with lxml.etree's HTMLParser, whose elements lack HtmlElement.text_content()."""
    return cast(str, _STRING_XPATH(element))  # string() returns a string


def is_hidden(element: etree._Element) -> bool:
    if element.get("hidden") is not None:
        return True
    style = element.get("style")
    if not style:
        return False
    style = style.replace(" ", "").lower()
    return "display:none" in style or "visibility:hidden" in style


def is_anchor(element: etree._Element) -> bool:
    """An <a>, or a component that renders as one: <n-button href tag="a">, <el-link href>,
    <Button component="a" href>, and JSX <Link href> (which the HTML parser takes for the
    empty <link> element)."""
    tag = element.tag
    if tag == "a":
        return True
    if not isinstance(tag, str):
        return False
    if not _may_be_component(tag) and "a" not in (
        element.get("component"),
        element.get("as"),
        element.get("tag"),
    ):
        return False
    return href_of(element) is not None


# HTML's own elements (<span href> is no link), less <link>, which is how the HTML parser
# reads JSX's <Link>. Anything else with an href is a component (<el-link href>), and so is
# an HTML-named one told to render a link (<Button component="a" href>, as="a", tag="a").
_HTML_ELEMENTS = frozenset(html_defs.tags) - {"link"}


def _may_be_component(tag: str) -> bool:
    return tag not in _HTML_ELEMENTS


def href_of(element: etree._Element) -> str | None:
    """An element's link target, also when a template binds it (Vue :href="'…'")."""
    href = element.get("href")
    if href is None and _may_be_component(element.tag if isinstance(element.tag, str) else ""):
        href = element.get("to")  # <NuxtLink to="https://…">, <router-link to>
    # JSX href={…}; a server template's expression, <%= x || 'https://…' %>, {{ x or '…' }},
    # <?php echo opt('icp_link', 'https://…'); ?> (a setting and its fallback)
    expression = href is not None and href.lstrip().startswith(("{", "<%", "${", "<?"))
    if href is None:
        href = element.get(":href") or element.get("v-bind:href")
        expression = href is not None and not _QUOTED_URL.fullmatch(href.strip())
    if href is not None and expression:
        # an expression (x ? `https://…${x}` : 'https://…'): the URL literal in it
        literal = _URL_LITERAL.search(href)
        href = literal.group(1) if literal else href
    return href


_QUOTED_URL = re.compile(r"""(['"`]).*\1""")
_URL_LITERAL = re.compile(r"""['"`]((?:https?:)?//[^'"`\s]+)['"`]""")


def nearest_anchor(element: etree._Element, limit: int = 8) -> etree._Element | None:
    """The <a> that contains the element (itself included), looking a few levels up."""
    node: etree._Element | None = element
    while node is not None and limit > 0:
        if is_anchor(node):
            return node
        node = node.getparent()
        limit -= 1
    return None


def hidden_ancestry(element: etree._Element, levels: int = 40) -> bool:
    node: etree._Element | None = element
    while node is not None and levels > 0:
        if isinstance(node.tag, str) and is_hidden(node):
            return True
        node = node.getparent()
        levels -= 1
    return False


class _Builder:
    __slots__ = ("chunks", "length", "out", "slots")

    def __init__(self) -> None:
        self.out = Rendered()
        self.chunks: list[str] = []
        self.length = 0
        self.slots = False  # render the <template>s inside (a component's slots)

    def _last_char(self) -> str:
        return self.chunks[-1][-1] if self.chunks else "\n"

    def text(
        self,
        text: str | None,
        element: etree._Element,
        anchor: etree._Element | None,
        hidden: bool,
    ) -> None:
        if not text:
            return
        piece = squeeze(clean(text))
        skipped = 0
        if piece[:1] == " " and self._last_char() in " \n":
            piece = piece[1:]
            skipped = 1
        if not piece:
            return
        start = self.length
        self.chunks.append(piece)
        self.length += len(piece)
        self.out.pieces.append(Piece(start, self.length, element, anchor, hidden, text, skipped))

    def newline(self) -> None:
        last = self._last_char()
        if last == "\n":
            return
        if last == " ":
            # Turn the trailing space into the line break: lengths stay the same.
            self.chunks[-1] = self.chunks[-1][:-1] + "\n"
        else:
            self.chunks.append("\n")
            self.length += 1

    def walk(self, element: etree._Element, anchor: etree._Element | None, hidden: bool) -> None:
        """Depth-first over the subtree with an explicit stack: sloppy pages nest unclosed
        tags deeper than Python's recursion limit."""
        stack: list[tuple[Any, ...]] = [(_ENTER, element, anchor, hidden)]
        while stack:
            item = stack.pop()
            kind = item[0]
            if kind is _TAIL:
                _, text, parent, anchor, hidden = item
                self.text(text, parent, anchor, hidden)
                continue
            if kind is _EXIT:
                _, node, start, was_anchor, block = item
                if was_anchor:
                    self.out.anchors.append((start, self.length, node))
                if block:
                    self.newline()
                continue
            _, node, anchor, hidden = item
            tag = node.tag
            if not isinstance(tag, str) or (
                tag in SKIP_TAGS and not (tag == "template" and self.slots)
            ):
                continue  # comments, processing instructions, scripts: their tail still shows
            linking = tag == "a" or (
                (_may_be_component(tag) or "component" in node.attrib or "as" in node.attrib)
                and is_anchor(node)
            )
            if linking:
                anchor = node
            if not hidden and is_hidden(node):
                hidden = True
            block = tag in BLOCK_TAGS
            if block or tag == "br":
                self.newline()
            start = self.length
            self.text(node.text, node, anchor, hidden)
            stack.append((_EXIT, node, start, linking, block))
            for child in reversed(node):
                stack.append((_TAIL, child.tail, node, anchor, hidden))
                stack.append((_ENTER, child, anchor, hidden))


_ENTER, _EXIT, _TAIL = object(), object(), object()


def render(element: etree._Element, *, as_root: bool = False) -> Rendered:
    """The visible text of an element and its descendants, with per-piece provenance.

    ``as_root`` renders the element's content even when the element itself is not
    rendered (a ``<template>``) and ignores its ancestors (links, hidden state).
    """
    builder = _Builder()
    # A component's template renders the templates inside it (Vue slots: <template #footer>)
    builder.slots = as_root and element.tag == "template"
    if as_root:
        builder.text(element.text, element, None, False)
        for child in element:
            builder.walk(child, None, False)
            builder.text(child.tail, element, None, False)
    else:
        parent = element.getparent()
        anchor = nearest_anchor(parent) if parent is not None else None
        builder.walk(element, anchor, hidden_ancestry(element))
    builder.out.text = "".join(builder.chunks)
    return builder.out


_BLANKS = re.compile(r"[ \t\r\f\v]+")
_LINE_EDGES = re.compile(r" ?\n ?")


def visible_text(element: etree._Element) -> str:
    """Rendered text without hidden parts, in the page's own characters (full-width
    punctuation kept), whitespace collapsed and lines kept: for storage and evidence."""
    rendered = render(element)
    parts: list[str] = []
    previous_end = -1
    for piece in rendered.pieces:
        if piece.hidden:
            continue
        if previous_end >= 0:
            # (from the previous piece's last character: a line break can replace it)
            between = rendered.text[previous_end - 1 : piece.start]
            # Keep line breaks between blocks; what lay between (maybe hidden) is dropped.
            parts.append("\n" if "\n" in between else (" " if len(between) > 1 else ""))
        parts.append(squeeze(piece.original))
        previous_end = piece.end
    text = _BLANKS.sub(" ", "".join(parts).replace("\u3000", " ").replace("\xa0", " "))
    return _LINE_EDGES.sub("\n", text).strip()
