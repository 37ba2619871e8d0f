"""Hosts and URLs: normalisation, registrable domains, jurisdiction membership.

tldextract is built offline from its bundled Public Suffix List snapshot: it must
never download at run time (no timeout, tracebacks when offline, writes ~/.cache).
"""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache
from typing import Protocol
from urllib.parse import urlsplit, urlunsplit

import tldextract

from audit.excerpt import excerpt


class Jurisdiction(Protocol):
    """What these functions read of a profile (audit.config.Profile), which itself reads
    hosts with this module."""

    @property
    def gov_domain_suffixes(self) -> list[str]: ...

    def all_domain_suffixes(self) -> list[str]: ...


_extract = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)

_LONGEST_HOST = 253  # DNS's limit; a longer one (from a file: any length) is not cached
_HOST_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
# host, host:port, [IPv6] or [IPv6]:port at the start of a URL typed without its scheme
_HOST_PORT = re.compile(r"^(?:[^:/\[]+|\[[0-9a-fA-F:.]+\])(?::\d+)?(?:[/?#]|$)")


class BadURL(ValueError):
    """A URL that cannot be a website's address; the message says why."""


def normalise_url(raw: str) -> tuple[str, str]:
    """Return (start URL, host) for what an analyst typed.

    >>> normalise_url("WWW.Example.gov.cn")
    ('http://www.example.gov.cn/', 'www.example.gov.cn')
    """
    text = raw.strip().replace("\u3000", " ").strip()
    if not text:
        raise BadURL("empty URL")
    if any(c.isspace() for c in text):
        raise BadURL("URL contains spaces")
    if "://" not in text:
        if ":" in text.split("/", 1)[0] and not _HOST_PORT.match(text):
            raise BadURL("unsupported URL form")
        text = "http://" + text
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise BadURL(f"unparseable URL ({excerpt(str(exc))})") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise BadURL(f"unsupported scheme {excerpt(parts.scheme)!r}")
    host = normalise_host(parts.hostname or "")
    bracketed = f"[{host}]" if ":" in host else host  # an IPv6 literal keeps its brackets
    netloc = (
        bracketed if port is None or port == _default_port(parts.scheme) else f"{bracketed}:{port}"
    )
    path = parts.path or "/"
    return urlunsplit((parts.scheme.lower(), netloc, path, parts.query, "")), host


def site_root(url: str) -> str:
    """The homepage of the website a URL is on: its scheme, host and port, path ``/``.

    The port stays: a site served on 8080 is not the one on 80.

    >>> site_root("http://WWW.Example.gov.cn:8080/news/1.html?id=2#top")
    'http://www.example.gov.cn:8080/'
    >>> site_root("https://www.example.gov.cn:443/a")
    'https://www.example.gov.cn/'
    """
    start, _ = normalise_url(url)
    parts = urlsplit(start)
    return urlunsplit((parts.scheme, parts.netloc, "/", "", ""))


def _default_port(scheme: str) -> int:
    return 443 if scheme.lower() == "https" else 80


@lru_cache(maxsize=65536)
def normalise_host(host: str) -> str:
    """Lower-case, IDNA-encode and check a host name (or IP address)."""
    host = host.strip().rstrip(".").lower()
    if not host:
        raise BadURL("no host name")
    if len(host) > _LONGEST_HOST:
        raise BadURL(f"host name longer than {_LONGEST_HOST} characters: {excerpt(host)!r}")
    try:
        ipaddress.ip_address(host.strip("[]"))
        return host
    except ValueError:
        pass
    try:
        ascii_host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError:
        raise BadURL(f"invalid host name {excerpt(host)!r}") from None
    labels = ascii_host.split(".")
    if len(labels) < 2 or not all(_HOST_LABEL.match(label) for label in labels):
        raise BadURL(f"invalid host name {excerpt(host)!r}")
    if labels[-1].isdigit():
        raise BadURL(f"invalid host name {excerpt(host)!r}")
    return ascii_host


@lru_cache(maxsize=65536)
def shown_host(host: str) -> str:
    """A host as people read it: an internationalised domain in its own characters
    (xn--fiqs8s.cn → 中国.cn). Hosts are stored as ASCII, as DNS and the registries need
    them; a label that does not decode is shown as stored."""
    if "xn--" not in host:
        return host
    labels = []
    for label in host.split("."):
        try:
            labels.append(
                label.encode("ascii").decode("idna") if label.startswith("xn--") else label
            )
        except UnicodeError:
            labels.append(label)
    return ".".join(labels)


def registrable_domain(host: str) -> str:
    """The domain registered under a public suffix: www.yuncheng.gov.cn -> yuncheng.gov.cn.

    Falls back to the host itself for IP addresses and hosts under no known suffix.
    """
    result = _extract(host)
    return result.top_domain_under_public_suffix or host


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def host_matches_suffix(host: str, suffixes: list[str] | tuple[str, ...]) -> bool:
    return any(host == s or host.endswith("." + s) for s in suffixes)


def is_government_host(host: str, profile: Jurisdiction) -> bool:
    return host_matches_suffix(host, ("gov.cn", *profile.gov_domain_suffixes))


def in_jurisdiction(host: str, profile: Jurisdiction) -> bool:
    """Whether a host belongs to the jurisdiction by its domain suffix (used for discovery)."""
    return host_matches_suffix(host, profile.all_domain_suffixes())


def same_website(host_a: str, host_b: str) -> bool:
    """Whether two hosts are one website: equal, or differing only by a leading ``www.``.

    Not the registrable domain: every department under yuncheng.gov.cn is a site of its own.
    """
    return host_a.removeprefix("www.") == host_b.removeprefix("www.")


def same_site(host_a: str, host_b: str) -> bool:
    """Whether two hosts share a registrable domain (one organisation's domain)."""
    return host_a == host_b or registrable_domain(host_a) == registrable_domain(host_b)
