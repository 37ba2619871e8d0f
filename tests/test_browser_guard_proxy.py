"""The browser's guard proxy against real loopback servers, driven the way Chromium drives it
(``GET http://host/...`` and ``CONNECT host:port``); no browser here.

127.0.0.1 plays an internal service; 127.77.0.1 plays a site on the internet (allowed on
purpose, as a centre's ``allow_private`` would), so that nothing leaves the machine.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from audit.config import load_builtin_profile
from audit.demo.testbed import TestbedServer, generate
from audit.demo.testbed.hostile import HostileServer, HostileSite, InternalServer
from audit.page.addresses import AddressPolicy
from crawler.guard_proxy import Destinations, Egress, GuardProxy

pytestmark = pytest.mark.fault

PROFILE = load_builtin_profile("yuncheng")
SITE_ADDRESS = "127.77.0.1"
ALLOW_SITE = AddressPolicy.from_settings([f"{SITE_ADDRESS}/32"])


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


def through(guard: GuardProxy, head: str, timeout: float = 10) -> Answer:
    """Send one request head to the guard, as Chromium would; read the answer to its end."""
    with socket.create_connection(("127.0.0.1", guard.port), timeout=timeout) as sock:
        sock.sendall(head.encode("latin-1"))
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
            if head.startswith("CONNECT") and b"\r\n\r\n" in data:
                break  # a tunnel stays open: its answer is enough
    top, _, body = data.partition(b"\r\n\r\n")
    lines = top.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:])}
    return Answer(int(lines[0].split(" ")[1]), headers, body)


def get(url: str, host: str) -> str:
    return f"GET {url} HTTP/1.1\r\nHost: {host}\r\n\r\n"


@pytest.fixture
def site() -> Iterator[HostileServer]:
    """good.yuncheng.gov.cn, a compliant page, on 127.77.0.1."""
    sites = [HostileSite("good.yuncheng.gov.cn", "compliant", 950)]
    with HostileServer(generate(PROFILE, 1, seed=3), sites, host=SITE_ADDRESS) as server:
        yield server


def test_internal_addresses_are_refused_with_the_reason(site: HostileServer) -> None:
    with InternalServer() as internal, GuardProxy(AddressPolicy()) as guard:
        answer = through(guard, get(internal.url, f"127.0.0.1:{internal.port}"))
        assert answer.status == 403
        assert answer.headers["x-beian-guard"] == "127.0.0.1 is loopback"
        tunnel = through(guard, f"CONNECT 127.0.0.1:{internal.port} HTTP/1.1\r\n\r\n")
        assert tunnel.status == 403
        metadata = through(guard, get("http://169.254.169.254/latest/", "169.254.169.254"))
        assert metadata.headers["x-beian-guard"] == "169.254.169.254 is link-local"
        # the site is on a private address too: refused unless allowed
        refused = through(guard, get(f"http://{SITE_ADDRESS}:{site.port}/", SITE_ADDRESS))
        assert refused.status == 403
    assert internal.requests == []
    assert guard.refusal_for("127.0.0.1") == "127.0.0.1 is loopback"
    assert [(e.method, e.host, e.allowed) for e in guard.log] == [
        ("GET", "127.0.0.1", False),
        ("CONNECT", "127.0.0.1", False),
        ("GET", "169.254.169.254", False),
        ("GET", SITE_ADDRESS, False),
    ]


def test_a_name_that_resolves_inward_is_refused() -> None:
    fixed = {"intranet.yuncheng.gov.cn": "127.0.0.1"}
    with InternalServer() as internal, GuardProxy(AddressPolicy(), fixed=fixed) as guard:
        for name in ("intranet.yuncheng.gov.cn", "localhost"):
            answer = through(guard, get(f"http://{name}:{internal.port}/secret", name))
            assert answer.status == 403
            assert answer.headers["x-beian-guard"] in ("127.0.0.1 is loopback", "::1 is loopback")
    assert internal.requests == []


def test_an_allowed_site_is_fetched_at_its_fixed_address(site: HostileServer) -> None:
    fixed = {"good.yuncheng.gov.cn": SITE_ADDRESS}
    with GuardProxy(ALLOW_SITE, fixed=fixed) as guard:
        url = f"http://good.yuncheng.gov.cn:{site.port}/"
        answer = through(guard, get(url, f"good.yuncheng.gov.cn:{site.port}"))
    assert answer.status == 200
    assert "晋ICP备2026000950号-1".encode() in answer.body
    assert list(guard.log) == [Egress("GET", "good.yuncheng.gov.cn", site.port, True, SITE_ADDRESS)]
    assert site.hits == {"good.yuncheng.gov.cn": 1}


def test_the_connection_goes_to_the_address_that_was_checked(site: HostileServer) -> None:
    """A name with an internal and an allowed address: the guard connects to the allowed
    one, which it checked, never to what another lookup might say."""
    lookups: list[str] = []

    def resolve(host: str, port: int, fixed: object) -> list[str]:
        lookups.append(host)
        return ["127.0.0.1", SITE_ADDRESS]

    with (
        InternalServer(port=site.port) as internal,
        GuardProxy(ALLOW_SITE, resolve=resolve) as guard,
    ):
        answer = through(
            guard, get(f"http://good.yuncheng.gov.cn:{site.port}/", "good.yuncheng.gov.cn")
        )
    assert answer.status == 200
    assert internal.requests == [] and site.hits == {"good.yuncheng.gov.cn": 1}
    assert lookups == ["good.yuncheng.gov.cn"]


def test_only_the_sites_being_rendered_are_reached(site: HostileServer) -> None:
    destinations = Destinations()
    fixed = {"good.yuncheng.gov.cn": SITE_ADDRESS}
    request = get(f"http://good.yuncheng.gov.cn:{site.port}/", "good.yuncheng.gov.cn")
    with GuardProxy(ALLOW_SITE, destinations=destinations, fixed=fixed) as guard:
        before = through(guard, request)
        destinations.open({"yuncheng.gov.cn"})
        destinations.open({"yuncheng.gov.cn"})  # two pages of the domain
        during = through(guard, request)
        google = through(guard, "CONNECT accounts.google.com:443 HTTP/1.1\r\n\r\n")
        destinations.close({"yuncheng.gov.cn"})
        one_left = through(guard, request)
        destinations.close({"yuncheng.gov.cn"})
        after = through(guard, request)
    assert before.headers["x-beian-guard"] == "good.yuncheng.gov.cn is not a site being rendered"
    assert google.headers["x-beian-guard"] == "accounts.google.com is not a site being rendered"
    assert (before.status, during.status, one_left.status, after.status) == (403, 200, 200, 403)
    assert site.hits == {"good.yuncheng.gov.cn": 2}


def test_through_an_upstream_proxy_the_proxy_decides() -> None:
    """The testbed serves fictional hosts as a forward proxy: only through it do they exist."""
    testbed = generate(PROFILE, 20, seed=5)
    site = next(
        s
        for s in testbed.sites
        if s.expected["outcome"] == "ok"
        and not s.expected["redirect_chain"]
        and s.encoding == "utf-8"
    )
    host = site.host
    with (
        TestbedServer(testbed) as upstream,
        GuardProxy(AddressPolicy(), upstream=upstream.url) as guard,
    ):
        page = through(guard, get(f"http://{host}/", host))
        tunnel = through(guard, f"CONNECT {host}:443 HTTP/1.1\r\nHost: {host}:443\r\n\r\n")
    assert page.status == 200 and site.expected["title"].encode() in page.body
    assert tunnel.status == 503  # the testbed answers CONNECT as a proxy whose port 443 is shut
    assert {e.detail for e in guard.log} == {f"via 127.0.0.1:{upstream.port}"}
    assert all(e.allowed for e in guard.log)


def test_chunked_and_oversized_request_bodies_are_not_relayed(site: HostileServer) -> None:
    fixed = {"good.yuncheng.gov.cn": SITE_ADDRESS}
    with GuardProxy(ALLOW_SITE, fixed=fixed) as guard:
        url = f"http://good.yuncheng.gov.cn:{site.port}/"
        chunked = through(
            guard, f"POST {url} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
        )
        huge = through(
            guard, f"POST {url} HTTP/1.1\r\nHost: x\r\nContent-Length: {1 << 30}\r\n\r\n"
        )
    assert (chunked.status, huge.status) == (501, 413)
    assert site.hits == {}
