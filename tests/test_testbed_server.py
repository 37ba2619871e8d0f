"""The testbed server: proxy-style and origin-form requests, keep-alive, failures the way a
Squid proxy reports them, slow and oversized sites, control endpoints."""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from audit.config import load_builtin_profile
from audit.demo.testbed import SiteSpec, Testbed, TestbedServer, generate, start_server_process
from audit.demo.testbed.generator import TOO_LARGE_BYTES, VISIBLE

SLOW = 1.5


@pytest.fixture(scope="module")
def tb() -> Testbed:
    return generate(load_builtin_profile("yuncheng"), 120, seed=5)


@pytest.fixture(scope="module")
def server(tb: Testbed) -> Iterator[TestbedServer]:
    with TestbedServer(tb, slow_seconds=SLOW) as srv:
        yield srv


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def opener(server: TestbedServer, follow: bool = True) -> urllib.request.OpenerDirector:
    handlers: list[urllib.request.BaseHandler] = [urllib.request.ProxyHandler({"http": server.url})]
    if not follow:
        handlers.append(_NoRedirect())
    return urllib.request.build_opener(*handlers)


def first(tb: Testbed, behaviour: str, footer: str | None = None) -> SiteSpec:
    return next(
        s for s in tb.sites if s.behaviour == behaviour and (footer is None or s.footer == footer)
    )


def read_response(
    sock: socket.socket, buf: bytearray, head_only: bool = False
) -> tuple[int, dict[str, str], bytes]:
    """One HTTP/1.1 response framed by Content-Length; leftovers stay in buf."""
    while b"\r\n\r\n" not in buf:
        data = sock.recv(65536)
        if not data:
            raise ConnectionError("closed before headers")
        buf += data
    head, _, rest = bytes(buf).partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    length = 0 if head_only else int(headers["content-length"])
    body = bytearray(rest)
    while len(body) < length:
        data = sock.recv(65536)
        if not data:
            raise ConnectionError("closed mid-body")
        body += data
    buf[:] = body[length:]
    return status, headers, bytes(body[:length])


def raw_get(server: TestbedServer, request: bytes) -> tuple[int, dict[str, str], bytes]:
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(request)
        return read_response(sock, bytearray(), head_only=request.startswith(b"HEAD "))


# --- fetching -------------------------------------------------------------------------------


def test_proxy_style_fetch_returns_the_testbed_bytes(tb: Testbed, server: TestbedServer) -> None:
    site = first(tb, "ok", "compliant")
    with opener(server).open(site.url, timeout=5) as response:
        assert response.status == 200
        body = response.read()
        assert "text/html" in response.headers["Content-Type"]
    assert body == tb.page(site.host, "/").body_bytes()
    assert site.expected["icp"][0].encode(site.encoding) in body


def test_origin_form_request_dispatches_on_host(tb: Testbed, server: TestbedServer) -> None:
    site = first(tb, "ok")
    request = f"GET /gywm/index.html HTTP/1.1\r\nHost: {site.host}\r\n\r\n".encode()
    status, _, body = raw_get(server, request)
    assert status == 200
    assert body == tb.page(site.host, "/gywm/index.html").body_bytes()
    assert "关于我们".encode(site.encoding) in body
    status, _, _ = raw_get(server, f"GET /nope.html HTTP/1.1\r\nHost: {site.host}\r\n\r\n".encode())
    assert status == 404


def test_keep_alive_serves_several_requests_on_one_socket(
    tb: Testbed, server: TestbedServer
) -> None:
    sites = [s for s in tb.sites if s.behaviour == "ok"][:3]
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        buf = bytearray()
        for site in sites[:2]:
            sock.sendall(f"GET http://{site.host}/ HTTP/1.1\r\nHost: {site.host}\r\n\r\n".encode())
            status, headers, body = read_response(sock, buf)
            assert status == 200 and headers["connection"] == "keep-alive"
            assert body == tb.page(site.host, "/").body_bytes()
        # Pipelined: two requests sent before reading either response.
        sock.sendall(
            f"GET http://{sites[2].host}/robots.txt HTTP/1.1\r\nHost: {sites[2].host}\r\n\r\n"
            f"GET http://{sites[0].host}/lxwm/index.html HTTP/1.1\r\nHost: x\r\n"
            "Connection: close\r\n\r\n".encode()
        )
        status, _, body = read_response(sock, buf)
        assert status == 200 and body.startswith(b"User-agent: *")
        status, headers, body = read_response(sock, buf)
        assert status == 200 and headers["connection"] == "close"
        assert "联系我们".encode(sites[0].encoding) in body
        assert sock.recv(10) == b""  # closed after Connection: close


def test_redirects(tb: Testbed, server: TestbedServer) -> None:
    no_follow = opener(server, follow=False)
    for behaviour in ("redirect_internal", "redirect_external", "redirect_loop"):
        for site in (s for s in tb.sites if s.behaviour == behaviour):
            with pytest.raises(urllib.error.HTTPError) as info:
                no_follow.open(site.url, timeout=5)
            assert info.value.code in (301, 302)
            location = info.value.headers["Location"]
            chain = site.expected["redirect_chain"]
            follows = chain[1] if len(chain) > 1 else site.expected["final_url"]
            assert location in (follows, follows.removeprefix(f"http://{site.host}"))
            info.value.close()
    # Following them lands where the manifest says.
    site = first(tb, "redirect_internal")
    with opener(server).open(site.url, timeout=5) as response:
        assert response.geturl() == site.expected["final_url"]
        assert site.expected["footer_marker"].encode(site.encoding) in response.read()
    site = first(tb, "redirect_external")
    with opener(server).open(site.url, timeout=5) as response:
        assert response.geturl() == site.expected["final_url"]
        assert response.status == 200


@pytest.mark.parametrize(
    ("behaviour", "squid"),
    [("refused", "ERR_CONNECT_FAIL 111"), ("dns_error", "ERR_DNS_FAIL 0")],
)
def test_unreachable_sites_answer_like_squid(
    tb: Testbed, server: TestbedServer, behaviour: str, squid: str
) -> None:
    site = first(tb, behaviour)
    with pytest.raises(urllib.error.HTTPError) as info:
        opener(server).open(site.url, timeout=5)
    assert info.value.code == 503
    assert info.value.headers["X-Squid-Error"] == squid
    assert b"could not be retrieved" in info.value.read()
    info.value.close()


def test_unknown_host_is_a_dns_failure(server: TestbedServer) -> None:
    status, headers, _ = raw_get(
        server, b"GET http://www.unknown-host.cn/ HTTP/1.1\r\nHost: www.unknown-host.cn\r\n\r\n"
    )
    assert status == 503 and headers["x-squid-error"] == "ERR_DNS_FAIL 0"


def test_http_errors(tb: Testbed, server: TestbedServer) -> None:
    for behaviour, code in (("http_404", 404), ("http_500", 500)):
        with pytest.raises(urllib.error.HTTPError) as info:
            opener(server).open(first(tb, behaviour).url, timeout=5)
        assert info.value.code == code
        assert "X-Squid-Error" not in info.value.headers
        info.value.close()


def test_connect_is_refused(server: TestbedServer) -> None:
    status, headers, _ = raw_get(
        server, b"CONNECT www.example.cn:443 HTTP/1.1\r\nHost: www.example.cn:443\r\n\r\n"
    )
    assert status == 503 and headers["x-squid-error"].startswith("ERR_CONNECT_FAIL")


def test_slow_site_times_out_without_blocking_others(tb: Testbed, server: TestbedServer) -> None:
    slow = first(tb, "slow")
    start = time.monotonic()
    with pytest.raises((TimeoutError, urllib.error.URLError)):
        opener(server).open(slow.url, timeout=0.5)
    assert time.monotonic() - start < SLOW
    ok = first(tb, "ok")
    start = time.monotonic()
    with opener(server).open(ok.url, timeout=5) as response:
        response.read()
    assert time.monotonic() - start < 0.4
    # A patient client gets the page once the delay is over.
    start = time.monotonic()
    status, _, body = raw_get(
        server, f"GET http://{slow.host}/ HTTP/1.1\r\nHost: {slow.host}\r\n\r\n".encode()
    )
    assert status == 200 and time.monotonic() - start >= SLOW - 0.05
    assert body == tb.page(slow.host, "/").body_bytes()


def test_too_large_declares_its_length(tb: Testbed, server: TestbedServer) -> None:
    site = first(tb, "too_large")
    status, headers, body = raw_get(
        server, f"HEAD http://{site.host}/ HTTP/1.1\r\nHost: {site.host}\r\n\r\n".encode()
    )
    assert status == 200 and int(headers["content-length"]) == TOO_LARGE_BYTES
    assert body == b""
    # A client that stops reading after 1 MB and hangs up must not upset the server.
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(f"GET http://{site.host}/ HTTP/1.1\r\nHost: {site.host}\r\n\r\n".encode())
        got = 0
        while got < 1024 * 1024:
            got += len(sock.recv(65536))
    ok = first(tb, "ok")
    with opener(server).open(ok.url, timeout=5) as response:
        assert response.status == 200


def test_full_too_large_body_arrives(tb: Testbed, server: TestbedServer) -> None:
    site = first(tb, "too_large")
    status, _, body = raw_get(
        server, f"GET http://{site.host}/ HTTP/1.1\r\nHost: {site.host}\r\n\r\n".encode()
    )
    assert status == 200 and len(body) == TOO_LARGE_BYTES
    assert body.rstrip().endswith(b"</html>")


# --- control --------------------------------------------------------------------------------


def test_stats_endpoint_and_method(tb: Testbed, server: TestbedServer) -> None:
    site = first(tb, "ok")
    before = server.stats()
    with opener(server).open(site.url, timeout=5) as response:
        size = len(response.read())
    with opener(server).open("http://testbed.internal/__stats__", timeout=5) as response:
        assert response.headers["Content-Type"].startswith("application/json")
        stats = json.loads(response.read())
    assert stats["requests"] >= before["requests"] + 1
    assert stats["bytes_sent"] >= before["bytes_sent"] + size
    assert isinstance(stats["cpu_seconds"], float) and stats["cpu_seconds"] >= 0
    assert stats["sites"] == len(tb.sites) and stats["epoch"] == 0
    after = server.stats()
    assert after["requests"] >= stats["requests"]
    assert after["cpu_seconds"] >= before["cpu_seconds"]


def test_set_epoch_switches_content(tb: Testbed, server: TestbedServer) -> None:
    later = tb.at_epoch(1)
    host = next(
        h for h in later.changed_since(0) if later.site(h).footer in ("compliant", "gov_full")
    )
    site = later.site(host)
    number = site.expected["icp"][0].encode(site.encoding)
    path = site.expected["final_url"].removeprefix("http://")
    final_host, _, rest = path.partition("/")
    request = f"GET http://{final_host}/{rest} HTTP/1.1\r\nHost: {final_host}\r\n\r\n".encode()
    _, _, body = raw_get(server, request)
    assert number not in body
    try:
        server.set_epoch(1)
        _, _, body = raw_get(server, request)
        assert number in body
        assert server.stats()["epoch"] == 1
        # Through the control host, as a benchmark in another process would.
        post = urllib.request.Request("http://testbed.internal/__epoch__/0", method="POST")
        with opener(server).open(post, timeout=5) as response:
            assert json.loads(response.read())["epoch"] == 0
        _, _, body = raw_get(server, request)
        assert number not in body
    finally:
        server.set_epoch(0)


def test_server_process(tb: Testbed) -> None:
    proc, port = start_server_process(40, seed=2, slow_seconds=1.0)
    try:
        small = generate(load_builtin_profile("yuncheng"), 40, seed=2)
        site = next(s for s in small.sites if s.behaviour in VISIBLE)
        proxy = urllib.request.ProxyHandler({"http": f"http://127.0.0.1:{port}"})
        fetch = urllib.request.build_opener(proxy)
        final = site.expected["final_url"]
        with fetch.open(site.url, timeout=5) as response:
            assert response.geturl() == final
            assert site.expected["footer_marker"].encode(site.encoding) in response.read()
        with fetch.open("http://testbed.internal/__stats__", timeout=5) as response:
            stats = json.loads(response.read())
        assert stats["sites"] == 40 and stats["requests"] >= 1
        assert stats["pid"] == proc.pid
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) is not None


def test_stop_and_restart(tb: Testbed) -> None:
    server = TestbedServer(tb)
    port = server.start()
    assert server.url == f"http://127.0.0.1:{port}"
    server.stop()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    with TestbedServer(tb) as again:
        status, _, _ = raw_get(again, b"GET http://testbed.internal/__stats__ HTTP/1.1\r\n\r\n")
        assert status == 200


def test_a_latency_profile_delays_every_site_alike_and_some_hosts_hang(tb: Testbed) -> None:
    from audit.demo.testbed.latency import Latency

    latency = Latency.parse("lognormal:0.3,0.8", hang=0.2, hang_seconds=5.0)
    ok = [s for s in tb.sites if s.behaviour == "ok"]
    delays = [latency.delay(s.host, "/") for s in ok]
    assert delays == [latency.delay(s.host, "/") for s in ok]  # the same in every run
    hanging = [s for s, d in zip(ok, delays, strict=True) if d == 5.0]
    assert 0 < len(hanging) < len(ok) / 2
    quick = min((s for s in ok if s not in hanging), key=lambda s: latency.delay(s.host, "/"))
    with TestbedServer(tb, latency=latency) as server:
        start = time.monotonic()
        with opener(server).open(quick.url, timeout=5) as response:
            assert response.status == 200
        assert time.monotonic() - start >= latency.delay(quick.host, "/") - 0.01
        with pytest.raises((TimeoutError, urllib.error.URLError)):
            opener(server).open(hanging[0].url, timeout=1)
        assert server.stats()["received"] == 2
    with pytest.raises(ValueError, match="lognormal:MEDIAN,SIGMA"):
        Latency.parse("normal:0.3")
