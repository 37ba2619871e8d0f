"""Parsing a page for the extractor: libxml2 with its limits handled (a document nested
deeper than it parses, server-side template comments, script source)."""

from __future__ import annotations

import re
import threading
from html import escape

from lxml import etree, html

from audit.notices.scripts import (
    is_script_source,
    join_literals,
    unescape_js,
    without_comment_lines,
)

_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
# A string literal that opens or closes a whole page: "<!DOCTYPE html>…, `<html>…,
# …</body>\n" (a footer script writes a fragment, never a page's <head> or </body>).
_SAVED_PAGE = re.compile(
    r"""["'`]\s*(?:<!doctype\s+html|<html[\s>]|<head>)"""
    r"""|(?:</body\s*>|</html\s*>)\s*[^"'`\n]{0,80}["'`]""",
    re.I,
)
# A fragment that opens with a component named like a head element (React Router's <Link>).
_HEAD_NAMED_COMPONENT = re.compile(r"\s*<(?:Link|Meta|Title|Style|Base)\b")


def _after_leading_comments(text: str) -> str:
    """The text from its first markup that is no comment (the start of it only)."""
    rest = text[:4000].lstrip()
    while rest.startswith("<!--"):
        end = rest.find("-->")
        if end < 0:
            return ""
        rest = rest[end + 3 :].lstrip()
    return rest


# What a test or a scraper says of itself: assertions, selectors, fixtures, parsers, the
# regular expressions it reads a page with.
_TEST_OR_SCRAPER = re.compile(
    r"""\b(?:assert\w*|expect)\s*\(|@Test\b|\bSelector\b|\bJsoup\b|\bfixtures?\b"""
    r"""|\bdescribe\s*\(|\bit\s*\(\s*["'`]|\bunittest\b|\bpytest\b|\bscraper\b|\bspider\b"""
    r"""|\bnew\s+\w*Parser\s*\(|BeautifulSoup|\bcheerio\b|NodeFilter|\bxpath\b"""
    r"""|Pattern\.compile|\bMatcher\b""",
    re.I,
)
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.S)
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
    # A template's own comments: the server or the compiler drops them, no visitor sees
    # them (an old footer often lies commented out there).
    text = without_template_comments(text)
    if not text.strip():
        return None
    if is_script_source(text):
        # A footer.js or a component: its markup lives in string literals that the
        # script joins; parsed unjoined, the glue between them breaks tags and numbers.
        # What it writes is what the literals say unescaped (document.write(unescape(
        # "%3Cscript src='…'"))); what it comments out is never written.
        held = (
            _SAVED_PAGE.search(text) is not None
            and _TEST_OR_SCRAPER.search(_HTML_COMMENT.sub("", text)) is not None
        )
        text = unescape_js(join_literals(without_comment_lines(text)))
        if held:
            # A whole page in the strings of a test or a scraper (its fixture, its sample):
            # the program is shown as what it is, code, and no notice of the page it holds
            # is read. (A server's code that writes a page, out.println("…</body>"), shows
            # that page: it is read.)
            text = f"<html><body><pre>{escape(text, quote=False)}</pre></body></html>"
        elif "={" in text:
            text = quote_jsx_expressions(text)
    elif "={" in text and _JSX_SIGNAL.search(text):
        # a JSX fragment that starts with its markup (<div className=…>): an arrow
        # function's ">" in a prop (onChange={(e) => …}) would end its tag there
        text = quote_jsx_expressions(text)
    if _HEAD_NAMED_COMPONENT.match(_after_leading_comments(text)):
        # <Link to=…> (a router's component) opening a JSX fragment: libxml2 would take it
        # for the head's <link> and put all that follows in <head>, which shows nothing
        text = "<body>" + text
    parser = _parser()
    try:
        doc = html.document_fromstring(text, parser=parser)
        if any("Excessive depth" in error.message for error in parser.error_log):
            doc = html.document_fromstring(flatten_deep_nesting(text), parser=parser)
        return doc
    except (etree.ParserError, ValueError):
        return None


# JSP and ASP.NET <%-- --%>, FreeMarker <#-- -->, JSX {/* */}, Jinja and Twig {# #},
# Smarty {* *} (not across braces: CSS hacks write {*zoom:1}), Razor @* *@, Blade {{-- --}}. Cheap
# searches (a literal first character is fast; ``in`` on a long page is not) tell which
# family a page may hold; only that family's patterns then run.
_TEMPLATE_COMMENTS = (
    (
        re.compile(r"<[%#]--"),
        (re.compile(r"<%--.*?--%>", re.DOTALL), re.compile(r"<#--.*?-->", re.DOTALL)),
    ),
    (
        re.compile(r"\{[#*/ ]"),
        (
            re.compile(r"\{\s*/\*.*?\*/\s*\}", re.DOTALL),
            re.compile(r"\{#.*?#\}", re.DOTALL),
            re.compile(r"\{\*[^{}]*?\*\}"),
        ),
    ),
    (re.compile(r"@\*"), (re.compile(r"@\*.*?\*@", re.DOTALL),)),
    (re.compile(r"\{\{--"), (re.compile(r"\{\{--.*?--\}\}", re.DOTALL),)),
)


def without_template_comments(text: str) -> str:
    """``text`` without its template languages' comments."""
    for opener, patterns in _TEMPLATE_COMMENTS:
        if opener.search(text) is not None:
            for pattern in patterns:
                text = pattern.sub("", text)
    return text


_JSX_ATTRIBUTE = re.compile(r"\s[\w:-]+=\{")
_JSX_MARKUP = re.compile(r"<[A-Za-z/]")
_JSX_SIGNAL = re.compile(r"\sclassName=|\son[A-Z]\w*=\{")
# An expression longer than this is not a prop's value (or not balanced): left as it is.
_JSX_LIMIT = 5000


def quote_jsx_expressions(text: str) -> str:
    """A JSX tag's expression props quoted (links={[{title: '京ICP备…', href: '…'}]} becomes
    links="{[…]}"): parsed as they stand, their words become attribute names and the
    component's texts are lost. Braces are balanced over at most ``_JSX_LIMIT`` characters."""
    out, at = [], 0
    while (found := _JSX_ATTRIBUTE.search(text, at)) is not None:
        start = found.end() - 1  # the opening brace
        depth, end = 0, -1
        for index in range(start, min(len(text), start + _JSX_LIMIT)):
            char = text[index]
            depth += (char == "{") - (char == "}")
            if depth == 0:
                end = index + 1
                break
        if end == -1 or _JSX_MARKUP.search(text, start, end):
            # unbalanced, or JSX markup inside (copyright={<p>…</p>}): markup to parse
            out.append(text[at : found.end()])
            at = found.end()
            continue
        value = text[start:end].replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
        out.append(f'{text[at:start]}"{value}"')
        at = end
    out.append(text[at:])
    return "".join(out)


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
