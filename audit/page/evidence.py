"""A stored page as evidence a person can open: the page as it was served, made inert.

The HTML a crawl keeps is the site's, and hostile by default: opened from disk it could run
scripts, load trackers, redirect or submit forms. The exported copy keeps what the page
showed (text, layout, inline styles, link targets) and loses what it could do: scripts,
event handlers, ``javascript:`` URLs, frames, embedded objects, meta refreshes, stylesheet
links and ``<base>`` go; a Content-Security-Policy that allows no script, no request and no
form is the first thing in its head, so that whatever the cleaning missed cannot act; and
a banner says what the file is (site, when, URL, the SHA-256 of the bytes served).
"""

from __future__ import annotations

import html
from collections.abc import Mapping

from lxml import etree
from lxml import html as lxml_html
from lxml_html_clean import Cleaner

from audit.page.encoding import decode_html

# No script, no request of any kind (images, styles, fonts, frames), no form, no <base>.
EVIDENCE_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "form-action 'none'; base-uri 'none'"
)

_CLEANER = Cleaner(
    scripts=True,  # <script>
    javascript=True,  # on* attributes, javascript: URLs, expressions in styles
    comments=True,  # conditional comments can hold markup for old browsers
    links=True,  # <link>: stylesheets and preloads would be requests
    meta=True,  # refreshes; the charset and policy are written anew
    page_structure=False,  # keep <html>, <head>, <title>
    processing_instructions=True,
    embedded=True,  # <object>, <embed>, <applet>
    frames=True,
    forms=False,  # keep what a form shows; the policy stops any submission
    annoying_tags=False,
    remove_unknown_tags=False,
    safe_attrs_only=False,  # keep class, style, data-*: the page as it looked
    style=False,
    inline_style=False,
)


def inert_html(body: bytes, encoding: str | None, about: Mapping[str, str]) -> str:
    """The page ``body`` (its served bytes, decoded as ``encoding`` or as a browser would)
    as a self-contained, inert HTML document with a banner listing ``about`` (label →
    value: site, fetched at, URL, SHA-256 …)."""
    try:
        text = body.decode(encoding, "replace") if encoding else decode_html(body)[0]
    except LookupError:  # an encoding name Python does not know
        text = decode_html(body)[0]
    try:
        doc = lxml_html.document_fromstring(text or "<html></html>")
    except (etree.ParserError, ValueError):  # nothing parsable: keep it as text
        doc = lxml_html.document_fromstring("<html><body><pre></pre></body></html>")
        doc.find(".//pre").text = text  # type: ignore[union-attr]
    doc = _CLEANER.clean_html(doc)
    for base in doc.iter("base"):
        base.drop_tree()
    head = doc.find("head")
    if head is None:
        head = etree.Element("head")
        doc.insert(0, head)
    policy = etree.Element(
        "meta", {"http-equiv": "Content-Security-Policy", "content": EVIDENCE_CSP}
    )
    head.insert(0, etree.Element("meta", {"charset": "utf-8"}))
    head.insert(0, policy)  # first: it governs everything after it
    body_element = doc.find("body")
    if body_element is None:
        body_element = etree.SubElement(doc, "body")
    body_element.insert(0, _banner(about))
    return "<!DOCTYPE html>\n" + lxml_html.tostring(doc, encoding="unicode")


def _banner(about: Mapping[str, str]) -> etree._Element:
    rows = "".join(
        f"<div><b>{html.escape(label)}</b> {html.escape(value)}</div>"
        for label, value in about.items()
    )
    return lxml_html.fragment_fromstring(
        '<div id="beian-evidence" style="border:2px solid #b00;background:#fff8f0;'
        'color:#000;font:13px/1.5 sans-serif;padding:6px 10px;margin:0 0 8px">'
        "<div><b>beian-audit 证据快照 / evidence</b>: the page as served, scripts and "
        f"requests removed</div>{rows}</div>"
    )
