"""Step 2 of the pipeline (:mod:`audit.notices.extract`): the link of a match (the anchor
around it, an empty registry link beside it, a URL in the same JSON object or Markdown
link) and the registry URLs that code or configs make links of; commented-out code."""

from __future__ import annotations

import functools
import re
from collections import Counter
from typing import Any

from lxml import etree

from audit.notices import patterns as P
from audit.notices.matching import _Match
from audit.notices.normalise import Link, classify_link, compact
from audit.notices.render import (
    MAP_LIMIT,
    Rendered,
    href_of,
)

# A JS or config line comment, a YAML/shell one, or a Lua/SQL one ("-- "): what follows is
# not rendered. (Not "* ": in Markdown that is a list item.)
_LINE_COMMENT = re.compile(r"^\s*(?://|/\*|#\s|--\s(?!-))")
_GAP_PUNCTUATION = " :|丨｜/·•-,，"


# The registry a kind of number should link to.
_EXPECTED_REGISTRY = {
    "icp": ("miit",),
    "licence": ("miit", "miit_licence"),
    "police": ("mps",),
    "site_code": (),
    "sponsor": (),
}


def _span_link(rendered: Rendered, match: _Match, base_host: str) -> Link | None:
    """The link of a match: the anchor around it, else an empty registry link beside it."""
    pieces = rendered.pieces_in(match.start, match.end)
    anchors = [p.anchor for p in pieces if p.anchor is not None]
    if anchors:
        anchor = Counter(anchors).most_common(1)[0][0]
        return classify_link(href_of(anchor), base_host, attribute=True)
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
        link = classify_link(href_of(anchor), base_host, attribute=True)
        if link is not None and link.registry in expected:
            return link
    return None


# The start of a value in an object literal: "title":"…, title: '…
_OBJECT_VALUE = re.compile(r"""[\w"'$]\s?:\s?(?:["'`]|<>)?\s?$""")


def _enclosing_object(text: str, start: int, end: int) -> tuple[int, int | None] | None:
    """(opening brace, closing brace) of the object literal around text[start:end]: the
    nearest "{" within 300 characters before with no "}" between, and the nearest "}" within
    300 after with no "{" between (None when there is none or another object opens first)."""
    left = text.rfind("{", max(0, start - 300), start)
    if left == -1 or "}" in text[left:start]:
        return None
    right = text.find("}", end, end + 300)
    if right == -1 or "{" in text[end:right]:
        return left, None
    return left, right


def _json_link(text: str, match: _Match) -> Link | None:
    """A registry URL in the same JSON object: {"title":"京ICP证030609号","url":"https://…"}."""
    expected = _EXPECTED_REGISTRY[match.kind]
    if not expected:
        return None
    if _OBJECT_VALUE.search(text, max(0, match.start - 80), match.start) is None:
        return None  # not a value of an object literal (a class's constant, say)
    found = _enclosing_object(text, match.start, match.end)
    if found is None or found[1] is None:
        return None
    if _is_app_code(text):
        return None  # an app's handler opens the URL: no link
    left, right = found
    for url in P.JSON_URL_RE.findall(text[left:right]):
        link = classify_link(url)
        if link is not None and link.registry in expected:
            return link
    return None


def _code_urls(text: str, root: etree._Element, pattern: re.Pattern[str] | None) -> list[str]:
    """The URLs ``pattern`` finds in ``text`` where code makes a link of them."""
    if pattern is None:
        return []
    urls = []
    app = _is_app_code(text)
    for found in pattern.finditer(text):
        start = found.start()
        if _on_comment_line(text, start) or in_switched_off_yaml_block(text, start):
            continue  # commented out, or the link of a notice its config turns off
        if app and not _LINK_VIEW.search(text, max(0, start - 120), start):
            continue  # an app's handler opens it: no link
        if _in_inline_code(text, start):
            continue  # `[京ICP备…](https://beian…)`: Markdown shown as code
        if P.TEST_CODE_RE.search(text, max(0, start - P.TEST_CODE_REACH), found.end() + 200):
            continue  # a test's fixture, its assertions beside it: it links no page
        context = P.CODE_URL_CONTEXT_RE.search(text, max(0, start - 200), start)
        if context is None and _sql_link_setting(text, start):
            urls.append(found.group(0))
            continue
        if context is None or _IMAGE_SETTING.search(text, max(0, start - 60), start):
            continue
        if _beside_an_empty_text(text, start):
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


# The text a config gives its link: {val: "", link: "http://www.beian.gov.cn/…"} shows nothing.
_EMPTY_TEXT = re.compile(r"""(?:val|value|text|title|name|label|content)["']?\s*:\s*(?:""|'')""")


def _beside_an_empty_text(text: str, start: int) -> bool:
    """Whether the URL at ``start`` is in a config object whose text is empty."""
    found = _enclosing_object(text, start, start)
    if found is None or found[1] is None:
        return False
    return _EMPTY_TEXT.search(text, found[0], found[1]) is not None


_SQL_INSERT = re.compile(r"INSERT\s+INTO", re.IGNORECASE)
_SQL_LINK_NAME = re.compile(r"[\w-]*(?:url|link|href)\b", re.IGNORECASE)


def _sql_link_setting(text: str, start: int) -> bool:
    """A settings table's row or column named as a link in a SQL seed (INSERT INTO
    sys_config VALUES (11, 'icp_href', 'https://beian.miit.gov.cn/')): the footer makes an
    href of it. The row's name, or the statement's column list, says so."""
    row = text.rfind("(", max(0, start - 300), start)
    inserts = list(_SQL_INSERT.finditer(text, max(0, start - 5000), start))
    if not inserts or row == -1:
        return False
    insert = inserts[-1]
    values = text.find("VALUES", insert.end(), start)
    columns = text[insert.end() : values] if values != -1 else ""
    return bool(_SQL_LINK_NAME.search(text, row, start) or _SQL_LINK_NAME.search(columns))


def _href_variables(root: etree._Element) -> set[str]:
    """Variables that a component's markup binds links to: href={name}, :href="name", and
    the base of a template string, href={`${base}?code=${code}`}."""
    found = (_LEADING_VARIABLE.match(str(value)) for value in P.variable_hrefs(root))
    return {variable.group(1) for variable in found if variable}


_LEADING_VARIABLE = re.compile(r"[{\s`]*(?:\$\{)?\s*([A-Za-z_$][\w$.]*)")


_LINK_NAME_RE = re.compile(r"(?:url|link|href)$", re.IGNORECASE)
# A setting that names an image (gongan_icon_url: http://www.beian.gov.cn/portal/download):
# the address of the badge's picture, not a link.
_IMAGE_SETTING = re.compile(
    # the word starts the key, or a camel-case part of it (shopLogo; not shopIcpNoUrl's "pIc")
    r"(?:(?<![A-Za-z])(?i:icon|img|image|logo|pic|src)|(?<=[a-z])(?:Icon|Img|Image|Logo|Pic|Src))"
    r"\w*[\"']?\s*[:=]\s*[\"'`]?\s*$"
)


_FLUTTER = re.compile(r"\bWidget\s+build\s*\(|extends\s+State(?:less|ful)Widget\b")
# The code of an app or a mini program (Flutter, SwiftUI and UIKit, Jetpack Compose, React
# Native, WeChat, Taro and uni-app pages): no hrefs there, its URLs are opened by handlers,
# except through a link view (SwiftUI's Link(destination:), an href).
_APP_CODE = re.compile(
    _FLUTTER.pattern + r"|\bimport\s+(?:SwiftUI|UIKit)\b|\bsome\s+View\b|@Composable\b"
    r"|from\s+['\"]react-native['\"]|\b(?:wx|Taro|uni|my|tt)\.\w+\("
    r"|\bUIApplication\.shared\b|\bButton\s*\(\s*action\s*:|\bonPressed\s*:|\bGet\.to\s*\("
)


@functools.lru_cache(maxsize=8)
def _is_app_code(text: str) -> bool:
    """Whether ``text`` is an app's code (``_APP_CODE``), searched once per text: it is
    asked for every number and URL found in it."""
    return _APP_CODE.search(text) is not None


_LINK_VIEW = re.compile(r"(?:\bLink\s*\(\s*destination\s*:|\bhref\b)[^\n;]{0,80}$")


def _link_setting(text: str, name: str) -> bool:
    """A setting named as a link (IcpUrl="…", beianLink = "…") that a template renders as
    one, unless a click handler here opens it instead."""
    if name == "href" or _LINK_NAME_RE.search(name) is None:
        return False  # x.href = "…" is a property, judged by CODE_URL_CONTEXT_RE
    if _FLUTTER.search(text):
        return False  # a Flutter widget has no hrefs: a tap handler opens its URLs
    # window.open(x), location.href = x, Flutter's launchUrl(Uri.parse(x)), uni.navigateTo
    handler = (
        rf"(?:\w*(?:open|launch|navigate)\w*\s*\(\s*(?:[\w.]+\s*\(\s*)?"
        rf"|location(?:\.href)?\s*=\s*){re.escape(name)}\b"
    )
    return re.search(handler, text, re.IGNORECASE) is None


def _used_as_href(text: str, name: str) -> bool:
    """Whether code binds a link's target to the variable: href={name}, :href="name",
    href={`${name}?code=…`}."""
    pattern = rf"href\s*[=:]\s*\{{?\s*[\"'`]?\s*(?:\$\{{)?{re.escape(name)}\b"
    return re.search(pattern, text) is not None


def _commented_out(piece: Any, match: _Match) -> bool:
    """Whether the match (starting in ``piece``) is on a commented-out line of a script or
    config ("// record: '粤ICP备…'"): the line breaks survive only in the original text.
    Markup the comment holds is parsed into elements: their line starts in an earlier text
    (custom_text: # <a href=…><span>鄂ICP备…</span></a>)."""
    original = piece.original
    if (
        "//" not in original
        and "/*" not in original
        and "# " not in original
        and ("-- " not in original)
    ):
        return _opened_by_an_earlier_text(piece, match)
    if len(original) <= MAP_LIMIT:
        index = match.start - piece.start + piece.skipped
        where = piece.where()
        return 0 <= index < len(where) and _on_comment_line(original, where[index])
    # A huge text node is not mapped (see render): judge by where its digits occur.
    token = str(match.fields.get("token") or match.fields.get("code") or "")
    positions = [m.start() for m in re.finditer(re.escape(token), original)] if token else []
    return bool(positions) and all(_on_comment_line(original, at) for at in positions)


def _opened_by_an_earlier_text(piece: Any, match: _Match) -> bool:
    """Whether the match's source line, starting before the piece's own text, opens a
    comment there."""
    original = piece.original
    if "\n" in original:
        if len(original) > MAP_LIMIT:
            return False
        index = match.start - piece.start + piece.skipped
        where = piece.where()
        if not 0 <= index < len(where) or "\n" in original[: where[index]]:
            return False  # the line starts in the piece itself
    element = piece.element
    return on_a_commented_line(element, after_element=original != (element.text or ""))


def on_a_commented_line(element: etree._Element, *, after_element: bool = False) -> bool:
    """Whether the element (or its tail) stands on a source line that a comment opens
    before it: the page's raw texts before it, back to the last line break."""
    line: list[str] = []
    for fragment in _texts_before(element, after_element):
        if "\n" in fragment:
            line.append(fragment[fragment.rfind("\n") + 1 :])
            break
        line.append(fragment)
    else:
        return False  # no line break in reach: a page on one line, no config
    text = "".join(reversed(line))
    opened = _LINE_COMMENT.match(text)
    if opened is not None:
        return not (opened.group(0).endswith("/*") and "*/" in text)
    return _YAML_TRAILING_COMMENT.match(text) is not None


def _texts_before(element: etree._Element, after_element: bool, limit: int = 40) -> Any:
    """The page's raw texts before a text of ``element`` (its tail when ``after_element``,
    else its text), nearest first, in document order backwards; at most ``limit``."""

    def inside(node: etree._Element) -> Any:  # a subtree's texts, last first
        for child in reversed(node):
            yield child.tail or ""
            yield from inside(child)
        yield node.text or ""

    def walk() -> Any:
        node: etree._Element | None = element
        if after_element:
            yield from inside(element)
        while node is not None:
            for sibling in node.itersiblings(preceding=True):
                yield sibling.tail or ""
                yield from inside(sibling)
            node = node.getparent()
            if node is not None:
                yield node.text or ""

    for count, fragment in enumerate(walk()):
        if count >= limit:
            return
        yield fragment


# A config object that turns its notice off: beian: {enable: false, icp: '浙ICP备…'}.
_SWITCHED_OFF = re.compile(r"\b(?:enabled?|show|visible|display)[\"']?\s?:\s?false\b", re.I)


def _switched_off(text: str, match: _Match) -> bool:
    """Whether the match is a value of a config object whose switch is off."""
    if "false" not in text:
        return False
    found = _enclosing_object(text, match.start, match.end)
    if found is None:
        return False
    left, right = found
    # (a nested object after it, or no end in sight: judge by what stands before)
    return _SWITCHED_OFF.search(text, left, match.end if right is None else right) is not None


_YAML_SWITCH = re.compile(r"(?:enabled?|show|visible|display)\s?:\s?false\b", re.IGNORECASE)


def _switched_off_in_yaml(piece: Any, match: _Match) -> bool:
    """Whether the match is a value of a YAML block whose switch is off (beian:
    enable: false / icp: 闽ICP备…). The indentation survives only in the original text."""
    original = piece.original
    if "false" not in original or "\n" not in original or len(original) > MAP_LIMIT:
        return False
    index = match.start - piece.start + piece.skipped
    where = piece.where()
    return 0 <= index < len(where) and in_switched_off_yaml_block(original, where[index])


def in_switched_off_yaml_block(text: str, position: int) -> bool:
    """Whether ``position`` is on a line of a YAML block that a line of the same
    indentation, under the same key, switches off (enable: false)."""
    if "false" not in text:
        return False
    lines = text.split("\n")
    line_no = text.count("\n", 0, position)
    indent = len(lines[line_no]) - len(lines[line_no].lstrip(" "))
    for step in (-1, 1):  # the siblings above, then below
        other = line_no + step
        while 0 <= other < len(lines):
            line = lines[other]
            stripped = line.lstrip(" ")
            if stripped and not stripped.startswith("#"):
                depth = len(line) - len(stripped)
                if depth < indent:
                    break  # the parent key: the block ends
                if depth == indent and _YAML_SWITCH.match(stripped):
                    return True
            other += step
    return False


def _on_comment_line(text: str, position: int) -> bool:
    """Whether ``position`` follows a comment opened at the start of its line (and, for
    /* … */, not closed before it)."""
    line = text[text.rfind("\n", 0, position) + 1 : position]
    opened = _LINE_COMMENT.match(line)
    if opened is None:
        return (
            _TRAILING_COMMENT.search(line) is not None
            or _YAML_TRAILING_COMMENT.match(line) is not None
        )
    return not (opened.group(0).endswith("/*") and "*/" in line)


# A comment after code on its line (val: "",//"苏公网安备 XXXXX号"): "//" right after the end
# of a statement or a value, outside any string (an even number of quotes before it).
_TRAILING_COMMENT = re.compile(
    r"""^(?:[^"'\n]|"[^"\n]*"|'[^'\n]*')*?(?:[,;)\]}]|"[^"\n]*"|'[^'\n]*')\s*//"""
)


# A YAML comment after a key or its plain value (custom_text: # <a …>, since: 2020 # …):
# a "#" after white space, outside quotes, followed by white space. (CSS "color: #fff" has
# no space after its "#".)
_YAML_TRAILING_COMMENT = re.compile(r"""^\s*(?:-\s+)?[\w.-]+\s*:(?:\s+[^"'#\n]*?)?\s#(?:\s|$)""")


def _in_inline_code(text: str, start: int) -> bool:
    """Whether a Markdown link's target at ``start`` is inside backticks on its line."""
    if not text.endswith(("](", "](<"), 0, start):
        return False
    line_start = text.rfind("\n", 0, start) + 1
    return text.count("`", line_start, start) % 2 == 1


_MARKDOWN_TARGET = re.compile(r" ?\]\(<?(?P<url>[^)\s>]+)")


def _markdown_link(text: str, match: _Match) -> Link | None:
    """The target of a Markdown link around the match: [京ICP备…号](https://beian…)."""
    target = _MARKDOWN_TARGET.match(text, match.end)
    if target is None or "[" not in text[max(0, match.start - 200) : match.start]:
        return None
    if _in_inline_code(text, target.start("url")):
        return None  # `[京ICP备…](https://beian…)`: Markdown shown as code
    return classify_link(target.group("url"))


_MARKUP_ANCHOR = re.compile(
    r"<a\b[^<>]*?\bhref\s*=\s*(?P<q>['\"])(?P<url>[^'\"]+)(?P=q)[^<>]*>(?P<inner>.*?)</a\s*>",
    re.IGNORECASE | re.DOTALL,
)


def _markup_link(value: str, shown: str) -> Link | None:
    """The target of an anchor written inside an attribute's value around ``shown``
    (<asp:Label Text="… <a href='http://www.miibeian.gov.cn'>沪ICP备…号</a>">)."""
    if "<a" not in value and "<A" not in value:
        return None
    for anchor in _MARKUP_ANCHOR.finditer(value):
        if shown and shown in compact(anchor.group("inner")):
            return classify_link(anchor.group("url"))
    return None


# The site a record of a data list names: {name: "淘宝网", url: "https://www.taobao.com", …}.
_RECORD_URL = re.compile(
    r"""["']?(?:url|href|link|site|website|homepage|domain)["']?\s?:\s?["'`](?P<url>(?:https?:)?//[^\s"'`<>]+)"""
)


# The same on a line of a dump: [icpCode]: 粤A2-20044005号-43 [Domain]: www.hiclc.com
_LINE_RECORD = re.compile(
    r"(?:domain|域名|网址|url|site)\W{0,4}\s?(?P<url>(?:https?://)?(?:[\w-]+\.)+[a-z]{2,})",
    re.IGNORECASE,
)


def _record_host(text: str, match: _Match) -> str:
    """The host of the site that the object literal (or the line of a dump) around the
    match is a record of, where it names one that is no registry (a list of sites with
    their numbers)."""
    if _OBJECT_VALUE.search(text, max(0, match.start - 80), match.start) is not None and (
        found := _enclosing_object(text, match.start, match.end)
    ):
        left, right = found
        record = _RECORD_URL.search(text, left, right if right is not None else match.start)
    else:
        left = max(text.rfind("\n", 0, match.start) + 1, match.start - 200)
        right = text.find("\n", match.end)
        right = min(right if right != -1 else len(text), match.end + 200)
        record = _LINE_RECORD.search(text, left, right)
    link = classify_link(record.group("url")) if record else None
    return link.host if link is not None and link.registry is None else ""
