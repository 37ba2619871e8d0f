"""Footers that JavaScript writes: turn a script's text into what it would render.

document.write / writeln, innerHTML, jQuery .html() and JSON configs keep the footer in
string literals, often escaped (``\\'``, ``\\u5907``, ``unescape("%3C...")``). We do not run
the script: we unescape its text and let the HTML parser find the markup inside, which
is what the browser would display.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from lxml import etree, html

from audit.notices.patterns import SCRIPT_TRIGGERS

# Script types whose body is markup, not code.
_TEMPLATE_TYPES = ("html", "template", "handlebars", "mustache", "x-tmpl", "underscore")
_UNICODE_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})|%u([0-9a-fA-F]{4})")
_HEX_ESCAPE = re.compile(r"\\x([0-9a-fA-F]{2})")
_SIMPLE_ESCAPE = re.compile(r"\\([\\'\"/nrt])")
_PERCENT = re.compile(r"%[0-9A-Fa-f]{2}")
_TAG = re.compile(r"<[a-zA-Z!/]")
# Long scripts (bundles) are cut to windows around the triggers.
_LONG_SCRIPT = 20_000
_WINDOW = 1_500

_SIMPLE = {"n": "\n", "r": "\n", "t": " ", "\\": "\\", "'": "'", '"': '"', "/": "/"}
# The code between two string literals that a script writes out one after the other:
# '…' + '…', "…");document.writeln("…", '…'; html += '…'. Removed, the literals join
# into the markup the browser receives (a number or a tag split over two literals reads
# whole again). A variable between them ('…' + code + '…') is unknown: it goes too.
_GLUE = re.compile(
    r"(?<!\\)[\"'`]\s*(?:\)\s*)?;?\s*"
    r"(?:\+\s*(?:[A-Za-z_$][\w$.]*\s*\+\s*)?"
    r"|document\s*\.\s*writeln?\s*\(\s*|[A-Za-z_$][\w$.]*\s*\+=\s*)[\"'`]"
)
# A document that is script source rather than markup (a footer.js, a JSX or config
# file): after a byte-order mark, blanks and comments, it does not open with a tag.
_LEADING = re.compile(r"^(?:\ufeff|\s|<!--.*?-->)*", re.DOTALL)


def is_template(script: etree._Element) -> bool:
    if script.tag == "template":
        return True
    kind = (script.get("type") or "").lower()
    return any(word in kind for word in _TEMPLATE_TYPES)


# Whole lines a script comments out (// … and /* … */ opened at the start of a line): a
# footer's old markup often lies there, and the browser never sees it. Only at the start
# of a line: "//" inside a literal is a URL's.
_COMMENT_LINES = re.compile(r"^[ \t]*(?://[^\n]*|/\*.*?\*/[ \t]*)$", re.MULTILINE | re.DOTALL)


# A Python docstring: the first string of a def or a class body documents the code (a
# scraper's docstring may quote a page's footer); it is never shown.
_DOCSTRING = re.compile(
    r"""(^[ \t]*(?:async\s+)?(?:def|class)\s[^\n]*:[ \t]*\n[ \t]*)[rRuU]?("{3}|'{3}).*?\2""",
    re.MULTILINE | re.DOTALL,
)


def without_comment_lines(text: str) -> str:
    """``text`` without the lines a script comments out, and without Python docstrings."""
    if '"""' in text or "'''" in text:
        text = _DOCSTRING.sub(r"\1", text)
    if "//" not in text and "/*" not in text:
        return text
    return _COMMENT_LINES.sub("", text)


def join_literals(text: str) -> str:
    """Join string literals that a script concatenates or writes one after the other."""
    if "+" not in text and "write" not in text:
        return text
    return _GLUE.sub("", text)


def is_script_source(text: str) -> bool:
    """Whether a document is script source (footer.js, a component, a config), not markup."""
    head = _LEADING.match(text[:4000])
    rest = text[head.end() if head else 0 :]
    return bool(rest) and rest[0] != "<"


def unescape_js(text: str) -> str:
    """Undo the escapes of JS string literals and of escape()/encodeURI().

    (Literals are not joined here: a page whose script assembles its footer from pieces
    shows no number in its HTML, and the crawler then renders it in a browser, which
    also knows the variables in between. Only a script file read on its own is joined,
    see :func:`join_literals`.)"""
    if "\\u" in text or "%u" in text:
        text = _UNICODE_ESCAPE.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), text)
    if "\\x" in text:
        text = _HEX_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)
    if ("unescape" in text or "decodeURI" in text) and _PERCENT.search(text):
        text = unquote(text)
    if "\\" in text:
        text = _SIMPLE_ESCAPE.sub(lambda m: _SIMPLE[m.group(1)], text)
    return text


def has_trigger(text: str) -> bool:
    return any(t in text for t in SCRIPT_TRIGGERS)


def windows(text: str) -> list[str]:
    """The whole text, or for a long one the stretches around each trigger."""
    if len(text) <= _LONG_SCRIPT:
        return [text]
    spans: list[list[int]] = []
    for trigger in SCRIPT_TRIGGERS:
        start = text.find(trigger)
        while start != -1:
            lo, hi = max(0, start - _WINDOW), min(len(text), start + _WINDOW)
            spans.append([lo, hi])
            start = text.find(trigger, start + 1)
            if len(spans) > 200:
                break
    spans.sort()
    merged: list[list[int]] = []
    for lo, hi in spans:
        if merged and lo <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    return [text[lo:hi] for lo, hi in merged]


def as_fragment(markup: str) -> etree._Element | None:
    """Parse script-borne text into an element tree (text without tags becomes one <div>)."""
    if not markup.strip():
        return None
    if not _TAG.search(markup):
        root = html.Element("div")
        root.text = markup
        return root
    try:
        return html.fragment_fromstring(markup, create_parent="div")
    except (etree.ParserError, ValueError):
        return None


def script_fragments(script: etree._Element) -> list[etree._Element]:
    """What a script or template would put on the page, as element trees."""
    if script.tag == "template":
        return [script]
    return code_fragments(script.text or "", template=is_template(script))


def code_fragments(text: str, *, template: bool = False) -> list[etree._Element]:
    """What code would put on the page (a script's, or a PHP block's whose strings a
    template echoes), as element trees: its literals unescaped and parsed as markup."""
    if not text.strip() or not has_trigger(text):
        return []
    out = []
    for chunk in windows(text):
        if not has_trigger(chunk):
            continue
        markup = chunk if template else unescape_js(without_comment_lines(chunk))
        fragment = as_fragment(markup)
        if fragment is not None:
            out.append(fragment)
    return out
