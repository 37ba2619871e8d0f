"""The crawler's name resolver (Scrapy's ``TWISTED_DNS_RESOLVER``): the address guard.

Every connection Scrapy makes starts with ``reactor.nameResolver.resolveHostName``, IP
literals included (Twisted's HostnameEndpoint connects to exactly the addresses resolved).
So the guard sits here: the addresses that the policy refuses (loopback, private, ...; see
``audit/page/addresses.py``) are never handed to the endpoint, whatever led to the request (the
inventory, a redirect, a meta refresh, a discovered link), and each connection is checked on
the address it is about to use, so a DNS answer that changes between lookups is caught too.
A host whose every address is refused fails like a name with no address; the spider asks
:func:`refusal_for` why, and records the outcome ``blocked_address``.

getaddrinfo in the reactor's thread pool (IPv4 and IPv6, unlike Scrapy's default resolver),
with a cache of raw answers; ``[crawl] resolve`` fixes addresses for names, like curl's
``--resolve``. The proxy's own name is exempt: through a proxy, the proxy decides.

:func:`lookup` and :func:`screen` are the same lookup and the same check for the browser's
guard proxy (``crawler/guard_proxy.py``), which has no Twisted reactor.
"""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from scrapy.utils.datatypes import LocalCache
from twisted.internet._resolver import GAIResolver
from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.interfaces import (
    IAddress,
    IHostnameResolver,
    IHostResolution,
    IResolutionReceiver,
)
from zope.interface import implementer

from audit.config import Settings, load_settings
from audit.page.addresses import AddressPolicy

_PROXY_VARIABLES = ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY")
_EXEMPT: set[str] = set()  # proxies the spiders were given (see exempt_proxy)


def looked_up_name(host: str, fixed: Mapping[str, str]) -> str:
    """The name (or address) to hand getaddrinfo for ``host``: its ``[crawl] resolve`` entry,
    else the host itself, without IPv6 brackets."""
    bare = host.strip("[]")
    return fixed.get(bare.lower(), bare)


def lookup(host: str, port: int, fixed: Mapping[str, str] | None = None) -> list[str]:
    """The addresses of ``host`` for a TCP connection, in getaddrinfo's order, without
    repeats (blocking; OSError when the name does not resolve)."""
    name = looked_up_name(host, fixed or {})
    infos = socket.getaddrinfo(name, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def screen(addresses: Iterable[str], policy: AddressPolicy) -> tuple[list[str], list[str]]:
    """(the addresses the policy allows, the refusals of the others: ``127.0.0.1 is loopback``)."""
    allowed, refusals = [], []
    for address in addresses:
        refusal = policy.refusal(address)
        if refusal is None:
            allowed.append(address)
        else:
            refusals.append(refusal)
    return allowed, refusals


def proxy_hosts(configured: str | None, environ: Mapping[str, str] = os.environ) -> set[str]:
    """Host names of the proxies the crawl may use: the configured one and the variables'."""
    hosts = set()
    for url in (configured, *(environ.get(name) for name in _PROXY_VARIABLES)):
        if url:
            host = urlsplit(url if "://" in url else f"http://{url}").hostname
            if host:
                hosts.add(host.lower())
    return hosts


@implementer(IHostResolution)
class _Resolution:
    def __init__(self, name: str) -> None:
        self.name = name

    def cancel(self) -> None:  # pragma: no cover - Twisted never cancels a resolution
        pass


@implementer(IResolutionReceiver)
class _GuardedReceiver:
    """Collects one lookup's addresses; hands the caller only those the policy allows."""

    def __init__(self, resolver: GuardedResolver, receiver: Any, host: str, port: int) -> None:
        self.resolver, self.receiver, self.host, self.port = resolver, receiver, host, port
        self.addresses: list[IAddress] = []

    def resolutionBegan(self, resolution: IHostResolution) -> None:
        self.receiver.resolutionBegan(resolution)

    def addressResolved(self, address: IAddress) -> None:
        self.addresses.append(address)

    def resolutionComplete(self) -> None:
        if self.addresses:
            self.resolver._cache[self.host] = self.addresses
        for address in self.resolver._allowed(self.host, self.addresses):
            self.receiver.addressResolved(_with_port(address, self.port))
        self.receiver.resolutionComplete()


@implementer(IHostnameResolver)
class GuardedResolver:
    def __init__(
        self,
        reactor: Any,
        policy: AddressPolicy,
        *,
        exempt_hosts: Iterable[str] = (),
        fixed: Mapping[str, str] | None = None,
        cache_size: int = 10_000,
    ) -> None:
        self.reactor = reactor
        self.policy = policy
        self.exempt_hosts = frozenset(exempt_hosts)
        self.fixed = dict(fixed or {})
        # GAIResolver hands getaddrinfo the str host name it was given; its parameter type
        # allows bytes and None as well.
        self._lookup = GAIResolver(reactor, getaddrinfo=self._getaddrinfo)  # type: ignore[arg-type]
        self._cache: LocalCache[str, list[IAddress]] = LocalCache(cache_size)
        self._refused: LocalCache[str, str] = LocalCache(cache_size)

    @classmethod
    def from_crawler(cls, crawler: Any, reactor: Any) -> GuardedResolver:
        # Built from the CrawlerProcess's settings (Scrapy installs one resolver per
        # reactor): `beian crawl` puts the beian settings there; `scrapy crawl` has none.
        beian = crawler.settings.get("BEIAN_SETTINGS")
        if not isinstance(beian, Settings):
            beian = load_settings(crawler.settings.get("BEIAN_CONFIG"))
        crawl = beian.crawl
        size = crawler.settings.getint("DNSCACHE_SIZE", 10_000)
        return cls(
            reactor,
            AddressPolicy.from_settings(crawl.allow_private),
            exempt_hosts=proxy_hosts(crawl.proxy),
            fixed=crawl.resolve,
            cache_size=size if crawler.settings.getbool("DNSCACHE_ENABLED", True) else 1,
        )

    def install_on_reactor(self) -> None:
        self.reactor.installNameResolver(self)

    def resolveHostName(
        self,
        resolutionReceiver: Any,
        hostName: str,
        portNumber: int = 0,
        addressTypes: Sequence[type[IAddress]] | None = None,
        transportSemantics: str = "TCP",
    ) -> IHostResolution:
        guarded = _GuardedReceiver(self, resolutionReceiver, hostName, portNumber)
        cached = self._cache.get(hostName)
        if cached is None:
            return self._lookup.resolveHostName(
                guarded, hostName, 0, addressTypes, transportSemantics
            )
        resolution = _Resolution(hostName)
        guarded.resolutionBegan(resolution)
        guarded.addresses = list(cached)
        guarded.resolutionComplete()
        return resolution

    def refusal_for(self, host: str) -> str | None:
        """Why the last lookup of ``host`` gave the crawler no address, if the guard did it."""
        return self._refused.get(host.strip("[]").lower())

    def _allowed(self, host: str, addresses: list[IAddress]) -> list[IAddress]:
        if host.lower() in self.exempt_hosts or host.lower() in _EXEMPT:
            return addresses
        ips = [getattr(address, "host", "") for address in addresses]
        passed, refusals = screen(ips, self.policy)
        allowed = [address for address, ip in zip(addresses, ips, strict=True) if ip in passed]
        key = host.strip("[]").lower()
        if refusals and not allowed:
            self._refused[key] = refusals[0]
        else:
            self._refused.pop(key, None)
        return allowed

    def _getaddrinfo(self, host: str, port: Any, *args: Any, **kwargs: Any) -> Any:
        return socket.getaddrinfo(looked_up_name(host, self.fixed), port, *args, **kwargs)


def _installed() -> GuardedResolver | None:
    reactor = sys.modules.get("twisted.internet.reactor")  # importing it would install one
    resolver = getattr(reactor, "nameResolver", None)
    return resolver if isinstance(resolver, GuardedResolver) else None


def refusal_for(host: str) -> str | None:
    """Why the installed resolver refused every address of ``host`` (None: it did not)."""
    resolver = _installed()
    return resolver.refusal_for(host) if resolver is not None else None


def exempt_proxy(url: str | None) -> None:
    """Let the crawl connect to the proxy it was given for its requests (a run's --proxy,
    or the proxy a resumed run was started with), wherever the proxy is. Spiders call it
    while they are set up, which may be before the resolver exists: one crawl per process."""
    _EXEMPT.update(proxy_hosts(url, environ={}))


def _with_port(address: IAddress, port: int) -> IAddress:
    if isinstance(address, IPv4Address | IPv6Address) and address.port != port:
        if type(address) is IPv6Address:
            return IPv6Address(address.type, address.host, port, address.flowInfo, address.scopeID)
        return IPv4Address(address.type, address.host, port)
    return address
