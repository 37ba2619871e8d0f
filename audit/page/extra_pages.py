"""Which same-site pages to fetch after the homepage: about / contact pages first.

A homepage has hundreds of links: they are filtered on the href as written, and
only the few chosen are resolved against the page URL.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urljoin, urlsplit

from audit.page.domains import same_website
from audit.page.parsed import link_host

# Not pages: downloads and media that would only cost bandwidth.
_SKIP_SUFFIXES = (
    ".pdf", ".doc", ".docx", ".xls", ".xlsx", ".ppt", ".pptx", ".zip", ".rar", ".7z",
    ".jpg", ".jpeg", ".png", ".gif", ".bmp", ".svg", ".webp", ".mp4", ".mp3", ".avi",
    ".flv", ".exe", ".apk", ".css", ".js", ".xml", ".txt", ".wps",
)  # fmt: skip


def choose_extra_pages(
    links: Sequence[tuple[str, str]],
    *,
    site_host: str,
    final_url: str,
    limit: int,
    priority_words: Sequence[str],
) -> list[str]:
    """Up to ``limit`` same-site page URLs: those whose text or URL has a priority word first,
    then the others in document order. The homepage itself is never chosen again.
    """
    if limit <= 0:
        return []
    final_host = (urlsplit(final_url).hostname or "").lower()
    homepages = {_key(final_url), _key(f"http://{site_host}/"), _key(f"https://{site_host}/")}
    chosen: list[str] = []
    seen = set(homepages)

    def choose(href: str) -> bool:
        """Choose ``href`` unless it is the homepage or a repeat; True when enough are."""
        url = urljoin(final_url, href).split("#", 1)[0]
        key = _key(url)
        if key not in seen and url.startswith(("http://", "https://")):
            seen.add(key)
            chosen.append(url)
        return len(chosen) == limit

    others: list[str] = []
    for href, text in links:
        host = link_host(href)
        if host is not None and not (
            same_website(host, site_host) or same_website(host, final_host)
        ):
            continue
        lowered = href.lower()
        if lowered.split("#", 1)[0].split("?", 1)[0].endswith(_SKIP_SUFFIXES):
            continue
        haystack = f"{text.lower()} {lowered}"
        if any(word in haystack for word in priority_words):
            # preferred pages come first, in document order: enough of them end the search
            if choose(href):
                return chosen
        elif len(others) < 4 * limit:  # room for duplicates of the homepage
            others.append(href)
    for href in others:
        if choose(href):
            break
    return chosen


def _key(url: str) -> str:
    parts = urlsplit(url)
    path = parts.path or "/"
    for index in ("index.html", "index.htm", "index.shtml", "index.php", "default.html"):
        if path.endswith("/" + index):
            path = path[: -len(index)]
    return f"{(parts.hostname or '').lower()}{path}?{parts.query}"
