"""Which network addresses the crawler may connect to: the guard against fetching internal ones.

An inventory row, a redirect, a meta refresh, a discovered link or a page's script can point
the crawler at ``127.0.0.1``, at a name that resolves to ``10.0.0.5``, or at the cloud
metadata address ``169.254.169.254``; the page it gets back would be stored as a site's
evidence. So by default the crawler refuses every address that is not globally routable:
loopback, private (RFC 1918, IPv6 ULA), link-local, shared (CGNAT), multicast, reserved and
unspecified ones, and IPv4 addresses wrapped in IPv6 forms (mapped, 6to4, NAT64) by the address
they wrap. The check is made on the address actually connected to, after name resolution
(see ``crawler/resolver.py``), so a name that resolves inward, a redirect and a DNS answer
that changes between two lookups are all caught.

``[crawl] allow_private = ["10.0.0.0/8"]`` lets a centre crawl its own intranet on purpose.
Through an explicit proxy the crawler connects only to the proxy: the proxy decides.

Pure functions; no I/O.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_SHARED = ipaddress.IPv4Network("100.64.0.0/10")  # carrier-grade NAT (RFC 6598)
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052: an IPv4 address in the low bits


def parse_networks(values: Iterable[str]) -> tuple[IPNetwork, ...]:
    """Networks from ``"10.0.0.0/8"``, ``"192.168.1.20"`` or ``"fd00::/8"``; ValueError says
    which value is wrong."""
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            raise ValueError(f"{value!r} is not an IP address or network") from None
    return tuple(networks)


def _unwrapped(address: IPAddress) -> IPAddress:
    """The IPv4 address inside an IPv4-mapped, 6to4 or NAT64 IPv6 address; else the address."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address.sixtofour is not None:
            return address.sixtofour
        if address in _NAT64:
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address


def address_kind(address: IPAddress) -> str | None:
    """Why an address is internal (``loopback``, ``private``, ...), or None when it is global."""
    address = _unwrapped(address)
    if address.is_unspecified:
        return "unspecified"
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link-local"
    if address.is_multicast:
        return "multicast"
    if isinstance(address, ipaddress.IPv4Address) and address in _SHARED:
        return "shared (CGNAT)"
    if address.is_reserved or address == ipaddress.IPv4Address("255.255.255.255"):
        return "reserved"
    if address.is_private:
        return "private"
    if not address.is_global:
        return "not globally routable"
    return None


@dataclass(frozen=True)
class AddressPolicy:
    """The guard: internal addresses are refused unless inside ``allowed``."""

    allowed: tuple[IPNetwork, ...] = ()

    @classmethod
    def from_settings(cls, allow_private: Iterable[str]) -> AddressPolicy:
        return cls(parse_networks(allow_private))

    def refusal(self, address: str | IPAddress) -> str | None:
        """Why connecting to ``address`` is refused (e.g. ``127.0.0.1 is loopback``), or None."""
        try:
            ip = ipaddress.ip_address(address) if isinstance(address, str) else address
        except ValueError:
            return f"{address} is not an IP address"
        kind = address_kind(ip)
        if kind is None:
            return None
        if any(ip in network or _unwrapped(ip) in network for network in self.allowed):
            return None
        return f"{ip} is {kind}"
