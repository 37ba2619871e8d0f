"""Text and link normalisation: make what a page shows comparable with the formats.

Everything here keeps string lengths predictable enough for the extractor, which
cleans each text piece separately and maps match positions back to DOM nodes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit


def _table() -> dict[int, str | None]:
    table: dict[int, str | None] = {}
    # Full-width ASCII (ＩＣＰ备１２３４, ：, （）) to ASCII.
    for code in range(0xFF01, 0xFF5F):
        table[code] = chr(code - 0xFEE0)
    # Every kind of visible space to a plain space; browsers render them alike.
    for code in (0x00A0, 0x1680, 0x202F, 0x205F, 0x3000, *range(0x2000, 0x200B)):
        table[code] = " "
    # Zero-width characters and soft hyphens hide inside numbers: drop them.
    for code in (0x00AD, 0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x180E):
        table[code] = None
    # Colons of the small and presentation forms (公网安备﹕…) and the ratio sign.
    for code in (0xFE55, 0xFE13, 0xFE30, 0x2236):
        table[code] = ":"
    # Dashes and minus signs between a number and its site index.
    for code in (*range(0x2010, 0x2016), 0x2212, 0xFE58, 0xFE63, 0x30FC):
        table[code] = "-"
    # Traditional forms of the characters the formats use (備案, 網安備, 號, 證, 標識碼).
    # Province abbreviations in traditional form (Big5 pages): 晉 閩 粵 滬 ...
    traditional = "備號網證標識碼別辦單關機" + "晉閩粵滬遼魯蘇貴隴陝寧贛瓊雲"
    simplified = "备号网证标识码别办单关机" + "晋闽粤沪辽鲁苏贵陇陕宁赣琼云"
    for trad, simp in zip(traditional, simplified, strict=True):
        table[ord(trad)] = simp
    return table


_TABLE = _table()
_ESCAPES = re.compile(r"\\[nrtvf]")
_ESCAPED_QUOTE = re.compile(r"\\(?=[\"'/])")
_SPACES = re.compile(r"\s+")


def clean(text: str) -> str:
    """Fold full-width forms, traditional characters, odd spaces and dashes; drop zero-widths.

    Literal ``\\n`` and ``\\"`` escapes (footers kept in PHP, SQL or JS strings and parsed
    as HTML) become a space and a bare quote.
    """
    if "\\" in text:
        text = _ESCAPED_QUOTE.sub("", _ESCAPES.sub(" ", text))
    return text.translate(_TABLE)


def clean_map(text: str) -> tuple[str, list[int]]:
    """``squeeze(clean(text))`` with, for each output character, its index in ``text``.

    Slow (a Python loop): used only to quote the original text of a match as evidence.
    """
    out: list[str] = []
    where: list[int] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        at = i
        i += 1
        if ch == "\\" and i < n:
            following = text[i]
            if following in "nrtvf":
                ch = " "
                i += 1
            elif following in "\"'/":
                continue  # the backslash goes, the quote stays
        mapped = _TABLE.get(ord(ch), ch)
        if mapped is None:
            continue
        if mapped.isspace():
            if out and out[-1] == " ":
                continue
            mapped = " "
        out.append(mapped)
        where.append(at)
    return "".join(out), where


def squeeze(text: str) -> str:
    """Collapse runs of whitespace to one space (as a browser renders them)."""
    return _SPACES.sub(" ", text)


def compact(text: str) -> str:
    """Remove every space: the form numbers are compared in."""
    return _SPACES.sub("", text)


# Registry hosts, compared without a leading "www.".
MIIT_FILING_HOSTS = frozenset({"beian.miit.gov.cn"})
MIIT_RETIRED_HOSTS = frozenset({"miitbeian.gov.cn", "miibeian.gov.cn"})
MPS_HOSTS = frozenset({"beian.gov.cn", "beian.mps.gov.cn"})
# Licence systems: a licence links here, not to the filing registry.
MIIT_LICENCE_HOSTS = frozenset({"tsm.miit.gov.cn", "dxzhgl.miit.gov.cn"})

_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
_BARE_HOST = re.compile(r"^[a-z0-9-]+(?:\.[a-z0-9-]+)+(?::\d+)?(?:[/?#]|$)", re.IGNORECASE)
_LINK_CODE = re.compile(r"(?:recordcode|code)=(\d{6,16})", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Link:
    """A followable link target, classified."""

    url: str
    host: str
    registry: str | None  # "miit", "mps", "miit_licence" or None
    outdated: bool  # a retired MIIT host (miitbeian.gov.cn, miibeian.gov.cn)

    @property
    def code(self) -> str | None:
        """The record code a police-registry link queries, if any."""
        match = _LINK_CODE.search(self.url)
        return match.group(1) if match else None


def clean_href(href: str | None) -> str | None:
    """The usable target of an href, or None for '', '#', javascript: and the like.

    Strips stray backslashes and quotes that appear when a footer kept in a JS, PHP or
    SQL string is parsed as HTML (href=\\"http://...\\").
    """
    if not href:
        return None
    href = href.replace("\\", "").strip()
    if href.startswith("{") and href.endswith("}"):
        href = href[1:-1].strip()  # a JSX expression: href={'https://…'}
    href = href.strip("\"'`").strip()
    if not href or href.startswith("#"):
        return None
    lowered = href.lower()
    if lowered.startswith(("javascript:", "mailto:", "tel:", "about:", "data:")):
        return None
    return href


_WEB_SCHEME_BACKSLASH = re.compile(r"^(https?:)[\\/]*", re.IGNORECASE)


def classify_link(href: str | None, base_host: str = "", *, attribute: bool = False) -> Link | None:
    """Resolve an href enough to tell which registry, if any, it points at.

    ``attribute``: the href of an element on the page, where a browser resolves
    "beian.miit.gov.cn/" (or the malformed "http//www.beian…") against the page itself;
    elsewhere (a config's value, a Markdown target) a bare host names that host."""
    if href and "\\" in href and _WEB_SCHEME_BACKSLASH.match(href.strip()):
        # https:\beian.miit.gov.cn: a browser reads backslashes as slashes in a web URL
        href = _WEB_SCHEME_BACKSLASH.sub(r"\1//", href.strip().replace("\\", "/"))
    target = clean_href(href)
    if target is None:
        return None
    if target.startswith("//"):
        target = "http:" + target
    elif not _SCHEME.match(target) and _BARE_HOST.match(target) and not attribute:
        # "beian.miit.gov.cn/" written without a scheme.
        target = "http://" + target
    try:
        host = (urlsplit(target).hostname or "").lower() if _SCHEME.match(target) else base_host
    except ValueError:
        return None
    bare = host[4:] if host.startswith("www.") else host
    registry: str | None = None
    outdated = False
    if bare in MIIT_FILING_HOSTS:
        registry = "miit"
    elif bare in MIIT_RETIRED_HOSTS:
        registry, outdated = "miit", True
    elif bare in MPS_HOSTS:
        registry = "mps"
    elif bare in MIIT_LICENCE_HOSTS:
        registry = "miit_licence"
    return Link(url=target, host=host, registry=registry, outdated=outdated)
