"""Which same-site pages to fetch after the homepage: about / contact pages first."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

from audit.domains import same_website

# Not pages: downloads and media that would only cost bandwidth.
_SKIP_SUFFIXES = (
    ".pdf",
    ".doc",
    ".docx",
    ".xls",
    ".xlsx",
    ".ppt",
    ".pptx",
    ".zip",
    ".rar",
    ".7z",
    ".jpg",
    ".jpeg",
    ".png",
    ".gif",
    ".bmp",
    ".svg",
    ".webp",
    ".mp4",
    ".mp3",
    ".avi",
    ".flv",
    ".exe",
    ".apk",
    ".css",
    ".js",
    ".xml",
    ".txt",
    ".wps",
)


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
    homepages = {_strip(final_url), _strip(f"http://{site_host}/"), _strip(f"https://{site_host}/")}
    seen: set[str] = set()
    preferred: list[str] = []
    others: list[str] = []
    for url, text in links:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if not (same_website(host, site_host) or same_website(host, final_host)):
            continue
        if parts.path.lower().endswith(_SKIP_SUFFIXES):
            continue
        key = _strip(url)
        if key in seen or key in homepages:
            continue
        seen.add(key)
        haystack = f"{text} {parts.path}".lower()
        (preferred if any(w in haystack for w in priority_words) else others).append(url)
    return (preferred + others)[:limit]


def _strip(url: str) -> str:
    parts = urlsplit(url)
    path = parts.path or "/"
    for index in ("index.html", "index.htm", "index.shtml", "index.php", "default.html"):
        if path.endswith("/" + index):
            path = path[: -len(index)]
    return f"{(parts.hostname or '').lower()}{path}?{parts.query}"
