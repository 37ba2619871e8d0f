"""Where on the page an element sits: the footer region, the end of the page, an article,
a list of partner sites, or elsewhere. Also :func:`footer_text` for snapshots.

The footer region is what pages mark as such: ``<footer>``, ``role=contentinfo``, or an
id/class word like footer, foot, bottom, copyright, banquan, dibu, beian. Innermost wins:
a partner list inside the footer is a partner list, a footer inside a ``#content`` wrapper
is a footer. Pages that mark nothing fall back to position: little text after it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from enum import Enum
from typing import cast

from lxml import etree

from audit.notices.patterns import all_attributes
from audit.notices.render import BLOCK_TAGS, is_hidden, text_of, visible_text

# Text after an element, in non-space characters, below which it is at the page's end.
TAIL_LIMIT = 1500
# A container marked like an article but followed by (almost) nothing holds the page's
# end, footer included: a page wrapper (#content), not an article.
WRAPPER_LIMIT = 20
# A marked footer is followed by at most this much text (an article's <footer> or a
# "border-bottom" utility class higher up the page is not the page's footer).
FOOTER_LIMIT = 3000


_INVISIBLE = frozenset(("script", "style", "template", "noscript", "head"))


_MAX_LEVELS = 40


class Region(Enum):
    FOOTER = "footer"
    TAIL = "tail"
    BODY = "body"
    ARTICLE = "article"
    PARTNER = "partner"


_SPLIT = re.compile(r"[\s_\-]+")
_FOOTER_SUBSTRINGS = ("foot", "copyright", "bottom", "banquan", "dibu", "beian", "底部", "版权")
_FOOTER_TOKENS = frozenset(
    ["ft", "bq", "bqxx", "icp", "record", "recordcode", "colophon", "siteinfo", "btm", "bot"]
)
_FOOTER_PREFIXES = ("copy", "foot", "bottom")
_PARTNER_SUBSTRINGS = ("friend", "yqlj", "youqing", "flink", "partner", "hzhb", "hezuo", "yqlink")
# id/class words of article bodies, Chinese government CMSs included (TRS_Editor,
# Custom_UnionStyle, #zoom, wzxq = 文章详情, zwnr = 正文内容).
_ARTICLE_WORDS = (
    "article zhengwen zw zwnr trs editor trseditor ueditor newscontent artibody newstext"
    " articlebody newsdetail unionstyle zoom wzxq"
)
_ARTICLE_TOKENS = frozenset(_ARTICLE_WORDS.split())
# Words that mark an article body or a whole-page wrapper (#content, .detail, .nr = 内容).
_WRAPPER_WORDS = "content detail post entry nr xq"
_WRAPPER_TOKENS = frozenset(_WRAPPER_WORDS.split())
_PARTNER_HEADINGS = (
    "友情链接",
    "合作伙伴",
    "合作单位",
    "兄弟网站",
    "相关网站",
    "成员单位",
    "相关链接",
    "推荐网站",
    "网站群",
    "下级网站",
    "链接网站",
    "友情鏈接",
    "合作夥伴",
)


def _tokens(element: etree._Element) -> list[str]:
    # (JSX writes class as className, which the parser keeps as classname)
    classes = element.get("class") or element.get("classname") or ""
    words = f"{element.get('id') or ''} {classes}".strip().lower()
    return _SPLIT.split(words) if words else []


def is_footer_word(token: str) -> bool:
    """Whether one lower-case word of an id, a class or a file name names a footer."""
    if token in _FOOTER_TOKENS or token.startswith(_FOOTER_PREFIXES):
        return True
    return any(s in token for s in _FOOTER_SUBSTRINGS)


def is_footer_element(element: etree._Element) -> bool:
    if element.tag == "footer" or element.get("role") == "contentinfo":
        return True
    return any(is_footer_word(token) for token in _tokens(element))


def is_partner_element(element: etree._Element) -> bool:
    tokens = _tokens(element)
    if any(any(s in token for s in _PARTNER_SUBSTRINGS) for token in tokens):
        return True
    return _leading_text(element).startswith(_PARTNER_HEADINGS) and not _heading_inline_in_child(
        element
    )


# A heading with more than this many characters after it in its block lists the partners
# there (友情链接：卡宝宝 名鞋库 …), rather than heading the blocks that follow.
_INLINE_LIST = 8


def _heading_inline_in_child(element: etree._Element) -> bool:
    """<div><p>友情链接：A B C</p><p>京ICP备…</p></div>: the heading and its links share the
    first child block, which is the partner list; the blocks after it are the site's own."""
    if (element.text or "").strip():
        return False  # the heading is the element's own text
    first = next((child for child in element if isinstance(child.tag, str)), None)
    if first is None or first.tag not in BLOCK_TAGS or first.getnext() is None:
        return False
    text = _leading_text(first, limit=40)
    heading = next((h for h in _PARTNER_HEADINGS if text.startswith(h)), None)
    return heading is not None and len(text) > len(heading) + _INLINE_LIST


def article_marking(element: etree._Element) -> str | None:
    """ "strong" for an element marked as an article body by an article's own words,
    "generic" for the generic words (content, detail) and the <article> tag, else None.

    Generic words count only when the element does not hold the end of the page: then it
    is a wrapper of the whole page, or a footer component written as an <article>. Inside a
    marked footer they name the footer's own content (callers let the footer win). Only a
    block is an article: on a link or a span the words are layout classes
    (justify-content-center)."""
    tag = element.tag
    if tag not in BLOCK_TAGS:
        return None
    tokens = _tokens(element)
    if any(token in _ARTICLE_TOKENS for token in tokens):
        return "strong"
    if tag == "article" or any(token in _WRAPPER_TOKENS for token in tokens):
        return "generic" if text_after(element, WRAPPER_LIMIT) > WRAPPER_LIMIT else None
    return None


def _holds_footer(element: etree._Element) -> bool:
    """Whether a block marked as a partner list wraps a marked footer too
    (<div class="flink2"> around the links and the whole footer): a wrapper, not a list."""
    return any(
        isinstance(node.tag, str) and is_footer_element(node) for node in element.iterdescendants()
    )


def _leading_text(element: etree._Element, limit: int = 24) -> str:
    """The first characters an element shows (its heading, typically), without spaces."""
    out = ""
    for chunk in cast("Iterator[str]", element.itertext()):  # str in a parsed document
        out += "".join(chunk.split())
        if len(out) >= limit:
            break
    return out[:limit].replace("：", "").replace(":", "")


def _nonspace_len(text: str) -> int:
    return len(text) - text.count(" ") - text.count("\n") - text.count("\t") - text.count("\r")


def text_after(element: etree._Element, limit: int = TAIL_LIMIT) -> int:
    """Non-space characters of text after the element, up to a little over ``limit``."""
    total = _nonspace_len(element.tail or "")
    node = element
    while total <= limit:
        for sibling in node.itersiblings():
            tag = sibling.tag
            # Hidden blocks (popups, mobile menus) and scripts are not text a reader sees.
            if isinstance(tag, str) and tag not in _INVISIBLE and not is_hidden(sibling):
                total += _nonspace_len(text_of(sibling))
            total += _nonspace_len(sibling.tail or "")
            if total > limit:
                return total
        parent = node.getparent()
        if parent is None:
            break
        node = parent
        if node.tag in ("body", "html"):
            # The body's own tail and the html's siblings hold nothing visible.
            for sibling in node.itersiblings():
                if isinstance(sibling.tag, str) and sibling.tag not in ("script", "style"):
                    total += _nonspace_len(text_of(sibling))
            break
        total += _nonspace_len(node.tail or "")
    return total


def classify(element: etree._Element) -> Region:
    """The region of an element, judged from its ancestors (innermost decides)."""
    node: etree._Element | None = element
    # A generic "content" block decides only if no footer or partner list encloses it
    # (<div class="footer"><div class="content">京ICP备…).
    generic = False
    # Markers sit within a few levels of the text; the cap keeps absurdly deep pages cheap.
    for _ in range(_MAX_LEVELS):
        if node is None:
            break
        tag = node.tag
        if tag in ("body", "html"):
            break
        if isinstance(tag, str):
            if _marks_footer(node):
                return Region.FOOTER
            if is_partner_element(node) and tag in BLOCK_TAGS and not _holds_footer(node):
                return Region.PARTNER
            marking = None if generic else article_marking(node)
            if marking == "strong":
                # an editor's class on a line of a footer (<div class="bm_footer"><div
                # class="TRS_Editor">…主办…ICP备…) is the CMS's, not an article
                short = _nonspace_len(text_of(node)) <= _FOOTER_LINE
                return Region.FOOTER if short and _footer_around(node) else Region.ARTICLE
            generic = generic or marking == "generic"
        node = node.getparent()
    if generic:
        return Region.ARTICLE
    return Region.TAIL if text_after(element) <= TAIL_LIMIT else Region.BODY


# Longer than a footer's line: the marked block is an article's body.
_FOOTER_LINE = 200
_FOOTER_AROUND_LEVELS = 4


def _marks_footer(element: etree._Element) -> bool:
    """Marked as a footer, and near the end of the page."""
    return is_footer_element(element) and text_after(element, FOOTER_LIMIT) <= FOOTER_LIMIT


def _footer_around(element: etree._Element) -> bool:
    """Whether a marked footer encloses ``element`` within a few levels."""
    node = element.getparent()
    for _ in range(_FOOTER_AROUND_LEVELS):
        if node is None or node.tag in ("body", "html"):
            return False
        if isinstance(node.tag, str) and _marks_footer(node):
            return True
        node = node.getparent()
    return False


_FOOTER_TAGS = etree.XPath("//footer")


def _footer_tags(doc: etree._Element) -> list[etree._Element]:
    return cast("list[etree._Element]", _FOOTER_TAGS(doc))


# A superset of is_footer_element's words, to pick the few elements worth that check.
_FOOTER_HINT = re.compile(
    "|".join((*_FOOTER_SUBSTRINGS, *_FOOTER_PREFIXES, *_FOOTER_TOKENS)), re.IGNORECASE
)


def footer_candidates(
    doc: etree._Element, attributes: list[etree._ElementUnicodeResult] | None = None
) -> list[etree._Element]:
    """Elements that may be marked as a footer (a superset of those ``is_footer_element``
    accepts), in document order: their id or class matched in Python (an XPath predicate
    per element costs more), role=contentinfo, and <footer>. ``attributes``: the
    document's ``all_attributes``, when read already."""
    found: dict[etree._Element, None] = {}
    for value in all_attributes(doc) if attributes is None else attributes:
        name = value.attrname
        if ((name == "id" or name == "class") and _FOOTER_HINT.search(value)) or (
            name == "role" and value == "contentinfo"
        ):
            owner = value.getparent()
            if owner is not None:
                found.setdefault(owner, None)
    for element in _footer_tags(doc):
        found.setdefault(element, None)
    return sorted(found, key=_document_position) if len(found) > 1 else list(found)


def _document_position(element: etree._Element) -> tuple[int, ...]:
    position = []
    while (parent := element.getparent()) is not None:
        position.append(parent.index(element))
        element = parent
    return tuple(reversed(position))


def footer_elements(
    doc: etree._Element, attributes: list[etree._ElementUnicodeResult] | None = None
) -> list[etree._Element]:
    """The page's footer region: outermost marked elements near the end of the page."""
    marked = [e for e in footer_candidates(doc, attributes) if is_footer_element(e)]
    chosen = set(marked)
    outermost = []
    for element in marked:
        parent = element.getparent()
        nested = False
        while parent is not None:
            if parent in chosen:
                nested = True
                break
            parent = parent.getparent()
        if not nested and text_after(element, FOOTER_LIMIT) <= FOOTER_LIMIT:
            outermost.append(element)
    return outermost


def _fallback_elements(doc: etree._Element) -> list[etree._Element]:
    body = doc.find(".//body") if doc.tag != "body" else doc
    if body is None:
        body = doc
    picked: list[etree._Element] = []
    size = 0
    for child in reversed(list(body)):
        if not isinstance(child.tag, str) or child.tag in ("script", "style", "template"):
            continue
        picked.append(child)
        size += _nonspace_len(text_of(child))
        if size >= 300 or len(picked) >= 3:
            break
    return list(reversed(picked))


def footer_text(
    doc: etree._Element, attributes: list[etree._ElementUnicodeResult] | None = None
) -> str:
    """The visible text of the footer region (or, unmarked, of the end of the body).
    ``attributes``: the document's ``all_attributes``, when the caller read them already."""
    root = doc.getroottree().getroot()
    elements = footer_elements(root, attributes) or _fallback_elements(root)
    return "\n".join(t for t in (visible_text(e) for e in elements) if t)
