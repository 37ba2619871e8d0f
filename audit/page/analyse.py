"""Everything the crawl learns from one page's bytes, in one pure function.

Decode, parse once, then: title, footer text, filing notices, the links that matter
(to other hosts of the jurisdiction, and the same-site pages to visit next), a
meta-refresh target, and the compressed evidence. It runs in the crawler process or
in a worker process (see crawler/analysis.py), so its input and output are plain,
picklable data.
"""

from __future__ import annotations

import gzip
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

from audit.config import Profile
from audit.page.encoding import decode_html
from audit.page.parsed import link_host, parse_page
from audit.page.reading import Include, Signal, examine

# The string literals of a script file: what it writes, without the code around it.
_JS_STRING = re.compile(r""""((?:[^"\\\n]|\\.)*)"|'((?:[^'\\\n]|\\.)*)'""")
_REFRESH_URL = re.compile(r"^\s*(\d*\.?\d*)\s*[;,]?\s*(?:url\s*=\s*)?['\"]?([^'\"]*)", re.I)


@dataclass(frozen=True)
class AnalysisOptions:
    profile: Profile
    extra_pages: int = 0
    priority_words: tuple[str, ...] = ()
    evidence_max_bytes: int = 1024 * 1024
    links_per_page: int | None = 1000  # links read from the page (None: all)


@dataclass
class PageAnalysis:
    encoding: str | None = None
    title: str | None = None
    footer_text: str | None = None
    notices: list[dict[str, Any]] = field(default_factory=list)
    # (absolute URL, host) of links to other hosts under the jurisdiction's suffixes
    jurisdiction_links: list[tuple[str, str]] = field(default_factory=list)
    links_not_read: int = 0  # links past options.links_per_page
    extra_pages: list[str] = field(default_factory=list)
    meta_refresh: str | None = None
    has_scripts: bool = False  # the page runs scripts: what it shows may differ from its HTML
    # Same-site files that may hold the footer, and what the page leaves to frames and
    # scripts (audit/page/reading.py): the spider fetches the first, grades with the second.
    includes: list[Include] = field(default_factory=list)
    signals: list[Signal] = field(default_factory=list)
    html_gz: bytes | None = None
    html_truncated: bool = False
    content_hash: str | None = None
    content_length: int = 0

    def shows_filing_number(self) -> bool:
        return any(n["kind"] in ("icp", "police") for n in self.notices)

    def shows_both_numbers(self) -> bool:
        """An ICP and a police number (any form): nothing a footer include could add."""
        return shows_both_numbers(self.notices)


def shows_both_numbers(notices: Sequence[dict[str, Any]]) -> bool:
    kinds = {row["kind"] for row in notices}
    return "icp" in kinds and "police" in kinds


def analyse_page(
    body: bytes,
    url: str,
    content_type: str | None,
    *,
    site_host: str,
    options: AnalysisOptions,
    homepage: bool = True,
    include: str | None = None,
) -> PageAnalysis:
    """Analyse a fetched page. ``homepage``: also notices, evidence and extra pages;
    ``include``: a file the homepage pulls in, of this kind (only its footer is read)."""
    from audit.notices import extract_from_tree
    from audit.page.extra_pages import choose_extra_pages

    if include is not None:
        return analyse_include(body, url, content_type, kind=include, options=options)

    page = parse_page(body, url, content_type, max_links=options.links_per_page)
    result = PageAnalysis(
        encoding=page.encoding,
        title=page.title,
        footer_text=page.footer_text,
        content_length=len(body),
        links_not_read=page.links_not_read,
    )
    result.jurisdiction_links = jurisdiction_links(page.links, url, site_host, options.profile)
    if not homepage:
        return result
    result.content_hash = hashlib.sha256(body).hexdigest()
    if options.evidence_max_bytes:
        evidence = body[: options.evidence_max_bytes]
        result.html_gz = gzip.compress(evidence, compresslevel=6, mtime=0)
        result.html_truncated = len(evidence) < len(body)
    if page.doc is None:
        return result
    result.notices = extract_from_tree(
        page.doc, url, profile=options.profile, attributes=page.attributes
    ).records()
    result.has_scripts = any(
        script.get("src") or (script.text or "").strip() for script in page.doc.iter("script")
    )
    result.meta_refresh = meta_refresh(page.doc, url)
    if not result.shows_both_numbers():
        # What the page leaves to frames and scripts matters only while a number is
        # missing: a page that shows both is read completely (reading_of).
        examined = examine(page.doc, url, site_host, attributes=page.attributes)
        result.includes, result.signals = list(examined.includes), list(examined.signals)
    if options.extra_pages:
        result.extra_pages = choose_extra_pages(
            page.links,
            site_host=site_host,
            final_url=url,
            limit=options.extra_pages,
            priority_words=options.priority_words,
        )
    return result


def analyse_include(
    body: bytes, url: str, content_type: str | None, *, kind: str, options: AnalysisOptions
) -> PageAnalysis:
    """A file the homepage pulls in: a frame (a page of its own), a script that writes the
    footer, or a fragment of markup loaded into it. Its notices are read as the footer's,
    each marked with the file it came from (the evidence's source)."""
    from audit.notices import extract_from_tree, parse_html
    from audit.notices.scripts import is_script_source, unescape_js
    from audit.page.parsed import footer_text

    text, encoding = decode_html(body, content_type)
    if kind == "script" and is_script_source(text):
        # What the script writes: its string literals joined, undone of their escapes,
        # read as the markup a browser would receive (and show as the footer's text).
        markup = unescape_js("".join(a or b for a, b in _JS_STRING.findall(text)))
        doc = parse_html(f"<html><body><footer>{markup}</footer></body></html>")
    elif kind == "frame":
        doc = parse_html(text)
    else:
        doc = parse_html(f"<html><body><footer>{text}</footer></body></html>")
    result = PageAnalysis(encoding=encoding, content_length=len(body))
    if doc is None:
        return result
    result.footer_text = footer_text(doc)
    result.notices = extract_from_tree(doc, url, profile=options.profile).records()
    for row in result.notices:
        row["details"]["included_from"] = url
    return result


def jurisdiction_links(
    links: Sequence[tuple[str, str]], base_url: str, site_host: str, profile: Profile
) -> list[tuple[str, str]]:
    """(URL, host) of links to hosts under the profile's domain suffixes, other than this
    site: the first link to each host, its URL normalised (a port other than the scheme's
    default is kept: ``http://host:8080/`` is not ``http://host/``)."""
    from audit.page.domains import BadURL, normalise_url, same_website

    suffixes = tuple("." + s for s in profile.all_domain_suffixes())
    exact = frozenset(profile.all_domain_suffixes())
    found: dict[str, str] = {}
    for href, _text in links:
        host = link_host(href)
        # cheap tests first: most links are relative or lead outside the jurisdiction
        if host is None or host == site_host or not (host.endswith(suffixes) or host in exact):
            continue
        absolute = urljoin(base_url, href)
        try:
            normalised, host = normalise_url(absolute)
        except BadURL:
            continue
        if not same_website(host, site_host) and host not in found:
            found[host] = normalised
    return [(url, host) for host, url in found.items()]


def meta_refresh(doc: Any, base_url: str, max_delay: float = 10.0) -> str | None:
    """The target of a ``<meta http-equiv="refresh">`` redirect, as a browser would follow it."""
    for meta in doc.iter("meta"):
        if (meta.get("http-equiv") or "").strip().lower() != "refresh":
            continue
        match = _REFRESH_URL.match(meta.get("content") or "")
        if not match or not match.group(2).strip():
            return None
        delay = float(match.group(1) or 0)
        if delay > max_delay:
            return None
        target = urljoin(base_url, match.group(2).strip())
        return target if target.startswith(("http://", "https://")) else None
    return None
