"""How well a homepage was read, and the footers it pulls in from other files.

A centre writes to a unit that its site shows no filing number: that must never rest on
a page the crawl could not really read. Many sites keep their footer elsewhere: a frame,
an ``<iframe src="/foot.html">``, ``<script src="/js/footer.js">`` (document.write),
``$("#footer").load("/inc/footer.html")``, ``fetch("/inc/bottom.shtml")``, an SSI
directive the server left unprocessed. Others write it with scripts we do not run.

Pure functions over a parsed page: :func:`examine` names the same-site files worth
fetching (a few per site) and what the page leaves to frames and scripts, each with the
includes that stand for it; :func:`reading_of` grades the reading once the includes were
fetched (or not):

- ``complete``: the served HTML (and its includes) sufficed, or a browser rendered it;
- ``partial``: the page depends on scripts or frames the crawl could not execute or fetch,
  and the filing numbers were not all found: absence cannot be concluded;
- ``unread``: nothing was read (the site did not answer with a page).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urljoin, urlsplit

from lxml import etree

from audit.notices.footer import footer_candidates, is_footer_element, is_footer_word
from audit.notices.render import text_of
from audit.notices.scripts import unescape_js
from audit.page.domains import same_site

Reading = Literal["complete", "partial", "unread"]
IncludeKind = Literal["frame", "iframe", "script", "load", "fetch", "ssi"]

# At most this many included files are fetched per site: a footer lives in one or two.
MAX_INCLUDES = 3

# Where a page shows what it pulls in, and how.
_LOAD = re.compile(r"""\.load\(\s*['"]([^'"\s]+)""")
_FETCH = re.compile(
    r"""(?:\bfetch|\$\.(?:get|ajax)|\bjQuery\.(?:get|ajax)|\baxios\.get)\(\s*['"]([^'"\s]+)"""
    r"""|\burl\s*:\s*['"]([^'"\s]+)"""
    r"""|\.open\(\s*['"]GET['"]\s*,\s*['"]([^'"\s]+)""",
    re.IGNORECASE,
)
_LOAD_TARGET = re.compile(r"""\$\(\s*['"]([^'"]+)['"]\s*\)\s*\.load\(""")
_SSI = re.compile(r"""#include\s+(?:virtual|file)\s*=\s*['"]([^'"]+)['"]""")
_FRAGMENT_EXT = (".html", ".htm", ".shtml", ".js", ".txt", ".inc", ".php", ".asp", ".aspx", ".jsp")
_WRITES = re.compile(
    r"document\.write|\.innerHTML\s*=|\.outerHTML\s*=|insertAdjacentHTML|\.html\(|\.append\("
    r"|\.load\(|\.prepend\(|\.after\(|\.before\("
)
# Words a script that writes the footer carries (checked after undoing JS escapes).
_FOOTER_CUES = re.compile(
    r"备案|ICP|公网安备|beian|版权|copyright|主办|foot|bottom|dibu|banquan", re.IGNORECASE
)
# What a page without JavaScript says when it needs it.
_NOSCRIPT_CUES = re.compile(r"javascript|脚本|启用|enable", re.IGNORECASE)
# Visible characters below which a page with scripts is an empty shell (a single-page app).
_SHELL_TEXT = 20
_CONTENT_TAGS = (
    "a",
    "img",
    "iframe",
    "frame",
    "object",
    "embed",
    "script",
    "svg",
    "canvas",
    "input",
)
_INVISIBLE = frozenset(("script", "style", "noscript", "template", "head", "title"))


@dataclass(frozen=True)
class Include:
    """A same-site file the page pulls in, which may hold its footer."""

    url: str
    kind: IncludeKind


@dataclass(frozen=True)
class Signal:
    """Something the served HTML leaves to frames or scripts.

    ``needs``: the included files that, once read, stand for it (all of them); empty when
    only a browser can tell what the page shows.
    """

    name: str  # see examine()
    needs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Examination:
    includes: tuple[Include, ...]
    signals: tuple[Signal, ...]


def _absolute(ref: str, base_url: str, site_host: str) -> str | None:
    """``ref`` resolved against the page, when it is an http(s) URL of the same site."""
    ref = ref.strip()
    if not ref or ref.startswith(("javascript:", "data:", "about:", "mailto:", "#")):
        return None
    url = urljoin(base_url, ref)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    if not same_site(parts.hostname.lower(), site_host):
        return None
    return url.partition("#")[0]


def _named_like_footer(url: str) -> bool:
    """``/inc/footer.html``, ``/js/bottom.js``, ``/dibu.shtml``: a file named for a footer."""
    path = urlsplit(url).path.lower()
    return any(is_footer_word(word) for word in re.split(r"[/._\-]+", path) if word)


def _fragment_like(url: str) -> bool:
    path = urlsplit(url).path.lower()
    return path.endswith(_FRAGMENT_EXT) or path.endswith("/")


class _Collector:
    """Includes in order of likelihood, without repeats, and the signals they stand for."""

    def __init__(self, page_url: str, site_host: str) -> None:
        self.page_url, self.site_host = page_url, site_host
        self.ranked: list[tuple[int, Include]] = []
        self.signals: list[Signal] = []

    def include(self, ref: str | None, kind: IncludeKind, rank: int) -> str | None:
        url = _absolute(ref, self.page_url, self.site_host) if ref else None
        if not url or url == self.page_url:
            return None
        if all(url != item.url for _, item in self.ranked):
            self.ranked.append((rank, Include(url, kind)))
        return url

    def signal(self, name: str, needs: Iterable[str | None] = ()) -> None:
        self.signals.append(Signal(name, tuple(url for url in needs if url)))


def examine(
    doc: etree._Element,
    page_url: str,
    site_host: str,
    limit: int = MAX_INCLUDES,
    *,
    attributes: list[etree._ElementUnicodeResult] | None = None,
) -> Examination:
    """The same-site files that may hold the footer (most likely first, at most ``limit``)
    and what the page leaves to frames and scripts.

    Included: the frames of a frameset; iframes of the same site; a ``<script src>`` named
    like a footer; a ``.load()`` whose URL or target (``$("#footer")``) is a footer's; a
    fetch/XHR of a fragment named like a footer; an SSI directive the server did not
    process. Signals: ``frames`` (a frameset, or iframes of the site), ``empty_footer`` (a
    footer box with nothing in it), ``footer_script`` (a footer-named script file),
    ``script_writes_footer`` (an inline script that writes markup with footer words in
    it), ``ssi`` (an include directive left in the page), ``noscript`` (a notice asking
    for JavaScript), ``script_shell`` (scripts and next to no visible text).
    ``attributes``: the document's ``all_attributes``, when the caller read them already.
    """
    found = _Collector(page_url, site_host)
    _examine_frames(doc, found)
    scripts = list(doc.iter("script"))
    _examine_scripts(scripts, found)
    for comment in doc.iter(etree.Comment):
        match = _SSI.search(comment.text or "")
        if match:
            found.signal("ssi", [found.include(match.group(1), "ssi", 1)])
    if any(_is_empty_footer(element) for element in _marked_footers(doc, attributes)):
        found.signal("empty_footer", [url for _, include in found.ranked for url in [include.url]])
    for noscript in doc.iter("noscript"):
        if _NOSCRIPT_CUES.search(text_of(noscript) or ""):
            found.signal("noscript")
            break
    if scripts and _visible_length(doc) < _SHELL_TEXT:
        found.signal("script_shell")
    ranked = sorted(found.ranked, key=lambda pair: pair[0])
    kept = tuple(include for _, include in ranked[:limit])
    return Examination(kept, tuple(found.signals))


def _examine_frames(doc: etree._Element, found: _Collector) -> None:
    frames: list[str | None] = []
    framed = False
    for frame in doc.iter("frameset", "frame", "iframe"):
        src = frame.get("src")
        if frame.tag == "frameset":
            framed = True
        elif frame.tag == "frame" or _in_footer(frame) or (src and _named_like_footer(src)):
            framed = True
            frames.append(found.include(src, "frame" if frame.tag == "frame" else "iframe", 0))
        elif (url := found.include(src, "iframe", 2)) is not None:
            framed = True  # a frame of the site itself: part of the page
            frames.append(url)
    if framed:
        # A frame of another site, or one without a source, cannot be read: needs stays
        # short of what the frameset shows, so the signal holds.
        unreadable = any(url is None for url in frames)
        found.signal("frames", frames if frames and not unreadable else ())


def _examine_scripts(scripts: list[etree._Element], found: _Collector) -> None:
    for script in scripts:
        src = script.get("src")
        if src:
            if _named_like_footer(src):
                found.signal("footer_script", [found.include(src, "script", 1)])
            continue
        text = script.text or ""
        if not _WRITES.search(text):
            continue
        needs = _script_includes(text, found)
        if needs or _FOOTER_CUES.search(unescape_js(text)):
            found.signal("script_writes_footer", needs)


def _script_includes(text: str, found: _Collector) -> list[str]:
    """The fragments an inline script loads into the page (jQuery .load, fetch, XHR)."""
    urls: list[str | None] = []
    if ".load(" in text:
        targets = _LOAD_TARGET.findall(text)
        footer_target = any(is_footer_word(w) for t in targets for w in re.split(r"\W+", t) if w)
        for ref in _LOAD.findall(text):
            if footer_target or _named_like_footer(ref):
                urls.append(found.include(ref, "load", 1))
    for match in _FETCH.finditer(text):
        ref = next(group for group in match.groups() if group)
        if _named_like_footer(ref) and _fragment_like(urljoin(found.page_url, ref)):
            urls.append(found.include(ref, "fetch", 1))
    return [url for url in urls if url]


def _in_footer(element: etree._Element) -> bool:
    parent = element.getparent()
    for _ in range(8):
        if parent is None:
            return False
        if is_footer_element(parent):
            return True
        parent = parent.getparent()
    return False


def _marked_footers(
    doc: etree._Element, attributes: list[etree._ElementUnicodeResult] | None
) -> Iterable[etree._Element]:
    """The visible elements of the body marked as a footer (nested ones too)."""
    body = doc.find(".//body")
    for element in footer_candidates(doc, attributes):
        visible = element.tag not in _INVISIBLE and is_footer_element(element)
        if visible and (body is None or element is body or _inside(element, body)):
            yield element


def _inside(element: etree._Element, ancestor: etree._Element) -> bool:
    return any(parent is ancestor for parent in element.iterancestors())


def _is_empty_footer(element: etree._Element) -> bool:
    if "".join(text_of(element).split()):
        return False
    # Links (badges drawn by CSS), images, frames and scripts are content, or signals of
    # their own; an empty box waiting for a script to fill it is not.
    return not any(True for _ in element.iter(*_CONTENT_TAGS))


def _visible_length(doc: etree._Element) -> int:
    body = doc.find(".//body")
    if body is None:
        return 0
    count = 0
    for element in body.iter():
        hidden = not isinstance(element.tag, str) or element.tag in _INVISIBLE
        chunks = (element.tail,) if hidden else (element.text, element.tail)
        count += sum(len("".join(chunk.split())) for chunk in chunks if chunk)
        if count >= _SHELL_TEXT:
            break
    return count


def reading_of(
    *,
    answered: bool,
    rendered: bool,
    numbers_shown: bool,
    signals: Iterable[Signal],
    read: Iterable[str] = (),
) -> tuple[Reading, tuple[str, ...]]:
    """The grade of a reading and what kept it from being complete.

    ``answered``: the site answered with a page. ``rendered``: a browser rendered it
    (every frame included). ``numbers_shown``: an ICP and a police number were both found,
    in the page or its includes: nothing that matters was missed. ``read``: the included
    files fetched and read. A signal stands when one of the files it needs was not read,
    or when it needs a browser.
    """
    if not answered:
        return "unread", ("no_page",)
    if rendered or numbers_shown:
        return "complete", ()
    done = set(read)
    left = []
    for signal in signals:
        if signal.needs and set(signal.needs) <= done:
            continue
        if signal.name not in left:
            left.append(signal.name)
    return ("partial", tuple(left)) if left else ("complete", ())
