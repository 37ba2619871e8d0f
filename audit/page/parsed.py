"""Parse a fetched page once: decoded text, lxml tree, title, footer text and links.

Pure: bytes in, facts out. The crawler stores these facts and hands the tree to
notice extraction, so that nothing parses a page twice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import lxml.html
from lxml import etree

from audit.notices import footer_text as notices_footer_text
from audit.notices import parse_html
from audit.notices.patterns import all_attributes
from audit.page.encoding import decode_html

_SPACES = re.compile(r"\s+")
_MAX_FOOTER_CHARS = 2000


@dataclass
class Page:
    url: str
    encoding: str
    doc: lxml.html.HtmlElement | None
    title: str | None
    footer_text: str | None
    links: list[tuple[str, str]] = field(default_factory=list)  # (href as written, text)
    links_not_read: int = 0  # links past ``max_links``
    # Every attribute of the tree, read once for the footer and the notices' extraction.
    attributes: list[etree._ElementUnicodeResult] | None = None


def parse_page(
    body: bytes, url: str, content_type: str | None = None, *, max_links: int | None = None
) -> Page:
    """``max_links``: read at most this many links, in document order (see page_links)."""
    text, encoding = decode_html(body, content_type)
    doc = parse_html(text)
    if doc is None:
        return Page(url=url, encoding=encoding, doc=None, title=None, footer_text=None)
    links, not_read = page_links(doc, max_links)
    attributes = all_attributes(doc)
    return Page(
        url=url,
        encoding=encoding,
        doc=doc,
        title=page_title(doc),
        footer_text=footer_text(doc, attributes),
        links=links,
        links_not_read=not_read,
        attributes=attributes,
    )


def clean_text(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def page_title(doc: lxml.html.HtmlElement) -> str | None:
    title = doc.find(".//title")
    if title is None:
        return None
    return clean_text(title.text_content()) or None


def footer_text(
    doc: lxml.html.HtmlElement, attributes: list[etree._ElementUnicodeResult] | None = None
) -> str | None:
    text = clean_text(notices_footer_text(doc, attributes))
    return text[-_MAX_FOOTER_CHARS:] or None


_ABSOLUTE = re.compile(r"^\s*(?:(https?):)?//([^/?#\\\s]+)", re.IGNORECASE)


def page_links(
    doc: lxml.html.HtmlElement, limit: int | None = None
) -> tuple[list[tuple[str, str]], int]:
    """(href as written, anchor text) of the first ``limit`` <a href> (all without a limit),
    in document order, and how many more the page has.

    Hrefs are not resolved here: a homepage has hundreds of links and most are only
    looked at cheaply (see link_host); resolve the few that are used with urljoin. The
    limit bounds what a page of 100,000 links costs its readers (they resolve each link);
    the links past it are only counted.
    """
    links: list[tuple[str, str]] = []
    not_read = 0
    for anchor in doc.iter("a"):
        href = anchor.get("href")
        if href and not href.startswith(("#", "javascript:", "mailto:", "tel:")):
            if limit is not None and len(links) >= limit:
                not_read += 1
                continue
            # The anchor's own text and title: text_content() of hundreds of anchors
            # per page costs more than the rest of this function.
            links.append((href.strip(), f"{anchor.text or ''} {anchor.get('title') or ''}"))
    return links, not_read


def link_host(href: str) -> str | None:
    """The lower-case host of an absolute or protocol-relative http(s) href, else None."""
    match = _ABSOLUTE.match(href)
    if match is None:
        return None
    host = match.group(2).rpartition("@")[2].partition(":")[0]
    return host.lower().rstrip(".")
