"""The browser's only way out: a small HTTP proxy on loopback, started for each crawl.

Chromium is launched with ``--proxy-server`` pointing here, ``--proxy-bypass-list=<-loopback>``
(without it Chromium connects to loopback directly) and ``--host-resolver-rules`` that resolve
nothing (see ``crawler/render.py``), so every connection a rendered page makes (the page, its
scripts, fetches, images, WebSockets, a popup, a background service the flags missed) arrives
here as ``GET http://host/...`` or ``CONNECT host:443``. For each one the guard:

1. refuses a host outside the sites being rendered now (:class:`Destinations`: the registrable
   domains of the open pages, kept by ``crawler/browser.py``);
2. without an upstream proxy, looks the host up exactly as the crawler's resolver does
   (``[crawl] resolve`` included) and refuses it when the address policy refuses every address
   (loopback, private, link-local, ...; ``[crawl] allow_private`` lets some in): ``403`` with
   the reason in the ``X-Beian-Guard`` header;
3. connects to the address it checked, never to a second lookup's answer (no DNS rebinding);
4. with an upstream proxy (``--proxy``, ``[crawl] proxy``, ``http_proxy``/``https_proxy``),
   hands the request to it: as for the crawler, the proxy decides which addresses it reaches.

Every request is recorded in :attr:`GuardProxy.log` and logged (refusals at INFO, the rest at
DEBUG). asyncio in a thread of its own: the crawl's reactor is not involved.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import ssl
import threading
import urllib.request
from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from scrapy.utils.datatypes import LocalCache

from audit.page.addresses import AddressPolicy
from audit.page.domains import registrable_domain
from crawler.resolver import lookup, screen

logger = logging.getLogger(__name__)

REASON_HEADER = "X-Beian-Guard"
_MAX_HEAD = 64 * 1024
_MAX_BODY = 16 * 1024 * 1024  # a page's form or fetch body; larger is refused (413)
# Hop-by-hop headers: they concern the connection to this proxy, not the next hop.
_HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-connection", "proxy-authorization", "te", "trailer"}
)


@dataclass(frozen=True)
class Egress:
    """One request of the browser, as the guard saw it and what it did."""

    method: str
    host: str
    port: int
    allowed: bool
    detail: str  # the address connected to, "via <proxy>", or why it was refused


@dataclass(frozen=True)
class ProxyRequest:
    """A request to the proxy: ``CONNECT host:port`` or an absolute-form ``GET http://...``."""

    method: str
    host: str  # lower case, without IPv6 brackets
    port: int
    target: str  # as sent: ``host:port`` for CONNECT, the absolute URL otherwise
    path: str  # origin-form path and query ("" for CONNECT)
    version: str
    headers: tuple[tuple[str, str], ...]

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name), None)


def parse_request(head: bytes) -> ProxyRequest:
    """The request in a proxy request head (up to the blank line); ValueError says what is wrong."""
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/"):
        raise ValueError("bad request line")
    method, target, version = parts
    headers = []
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep or not name or name != name.strip():
            raise ValueError("bad header line")
        headers.append((name, value.strip()))
    if method == "CONNECT":
        host, _, port = target.rpartition(":")
        if not host or not port.isdigit():
            raise ValueError("CONNECT needs host:port")
        return ProxyRequest(method, _bare(host), int(port), target, "", version, tuple(headers))
    url = urlsplit(target)
    if url.scheme != "http" or not url.hostname:
        raise ValueError("a proxy request names an http:// URL")
    path = (url.path or "/") + (f"?{url.query}" if url.query else "")
    return ProxyRequest(method, url.hostname, url.port or 80, target, path, version, tuple(headers))


def _bare(host: str) -> str:
    return host.strip("[]").lower()


def forwarded_head(request: ProxyRequest, *, absolute: bool, auth: str | None = None) -> bytes:
    """The head to send on: origin-form to the server, absolute-form to an upstream proxy;
    one request per connection (``Connection: close``), this hop's headers left out."""
    target = request.target if absolute else request.path
    lines = [f"{request.method} {target} {request.version}"]
    lines += [f"{k}: {v}" for k, v in request.headers if k.lower() not in _HOP_BY_HOP]
    if auth:
        lines.append(f"Proxy-Authorization: {auth}")
    lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def refusal_response(status: int, reason: str) -> bytes:
    """A short answer of the guard's own; the reason travels in ``X-Beian-Guard`` too."""
    body = (reason + "\n").encode("utf-8", "replace")
    header = reason.encode("latin-1", "replace").decode("latin-1")
    return (
        f"HTTP/1.1 {status} Refused by the browser guard\r\n"
        f"{REASON_HEADER}: {header}\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    ).encode("latin-1") + body


@dataclass(frozen=True)
class Upstream:
    """A proxy to chain to: ``http(s)://[user:password@]host:port``."""

    host: str
    port: int
    tls: bool
    auth: str | None  # the Proxy-Authorization value, when the URL has credentials

    @classmethod
    def parse(cls, url: str) -> Upstream:
        parts = urlsplit(url if "://" in url else f"http://{url}")
        tls = parts.scheme == "https"
        auth = None
        if parts.username is not None:
            pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
            auth = "Basic " + base64.b64encode(pair.encode()).decode("ascii")
        return cls(parts.hostname or "", parts.port or (443 if tls else 80), tls, auth)


def upstream_for(
    scheme: str, host: str, configured: str | None, environ: Mapping[str, str] | None = None
) -> str | None:
    """The proxy a request of ``scheme`` to ``host`` goes through: the configured one, else
    the standard variables (``http_proxy``, ``https_proxy``, ``no_proxy``), as Scrapy does."""
    if configured:
        return configured
    proxies = (
        urllib.request.getproxies_environment()
        if environ is None
        else {k.lower().removesuffix("_proxy"): v for k, v in environ.items() if v}
    )
    if not proxies.get(scheme):
        return None
    bypass = proxies.get("no", "")
    if bypass and _bypassed(host, bypass):
        return None
    return proxies[scheme]


def _bypassed(host: str, no_proxy: str) -> bool:
    if no_proxy.strip() == "*":
        return True
    for entry in (e.strip().lower().lstrip(".") for e in no_proxy.split(",")):
        if entry and (host == entry or host.endswith("." + entry)):
            return True
    return False


class Destinations:
    """The registrable domains of the pages being rendered now: the only hosts the browser
    may reach. Counted, because two pages of one domain may be open at once."""

    def __init__(self) -> None:
        self._open: Counter[str] = Counter()
        self._lock = threading.Lock()

    def open(self, domains: Iterable[str]) -> None:
        with self._lock:
            self._open.update(domains)

    def close(self, domains: Iterable[str]) -> None:
        with self._lock:
            self._open.subtract(domains)
            self._open += Counter()  # drop the domains no page holds any more

    def admits(self, host: str) -> bool:
        with self._lock:
            return registrable_domain(_bare(host)) in self._open


class _Refused(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


class GuardProxy:
    """The guard, serving on ``127.0.0.1`` in a daemon thread.

    >>> guard = GuardProxy(AddressPolicy(), destinations=Destinations())  # doctest: +SKIP
    >>> guard.start()  # "http://127.0.0.1:PORT", for --proxy-server   # doctest: +SKIP
    """

    def __init__(
        self,
        policy: AddressPolicy,
        *,
        destinations: Destinations | None = None,
        fixed: Mapping[str, str] | None = None,
        upstream: str | None = None,
        environ: Mapping[str, str] | None = None,
        connect_timeout: float = 15.0,
        idle_timeout: float = 60.0,
        resolve: Callable[[str, int, Mapping[str, str]], list[str]] = lookup,
    ) -> None:
        self.policy = policy
        self.destinations = destinations  # None: any host (the address guard still applies)
        self.fixed = dict(fixed or {})
        self.upstream = upstream
        self.environ = environ
        self.connect_timeout = connect_timeout
        self.idle_timeout = idle_timeout
        self.resolve = resolve
        self.log: deque[Egress] = deque(maxlen=10_000)
        self.port = 0
        self._refusals: LocalCache[str, str] = LocalCache(10_000)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stopping: asyncio.Event | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def refusal_for(self, host: str) -> str | None:
        """Why the guard last refused an address of ``host`` (None: it did not)."""
        return self._refusals.get(_bare(host))

    # lifecycle ----------------------------------------------------------------------------

    def start(self, timeout: float = 10.0) -> str:
        """Serve in a daemon thread; return the proxy URL."""
        ready = threading.Event()
        errors: list[BaseException] = []

        def main() -> None:
            try:
                asyncio.run(self._serve(ready))
            except BaseException as exc:  # surfaced by start()
                errors.append(exc)
                ready.set()

        self._thread = threading.Thread(target=main, name="browser-guard", daemon=True)
        self._thread.start()
        if not ready.wait(timeout) or errors:
            raise RuntimeError(f"the browser guard did not start: {errors[:1]}")
        return self.url

    def stop(self, timeout: float = 10.0) -> None:
        loop, thread = self._loop, self._thread
        if loop is not None and self._stopping is not None:
            with contextlib.suppress(RuntimeError):  # the loop has already ended
                loop.call_soon_threadsafe(self._stopping.set)
        if thread is not None:
            thread.join(timeout)
        self._thread = None

    def __enter__(self) -> GuardProxy:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def _serve(self, ready: threading.Event) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        server = await asyncio.start_server(self._handle, "127.0.0.1", 0, limit=_MAX_HEAD)
        self.port = server.sockets[0].getsockname()[1]
        ready.set()
        try:
            await self._stopping.wait()
        finally:
            server.close()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            self._loop = None

    # one request per connection ----------------------------------------------------------

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            try:
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), self.idle_timeout)
                request = parse_request(head[:-4])
            except (ValueError, asyncio.LimitOverrunError) as exc:
                writer.write(refusal_response(400, f"not a proxy request: {exc}"))
                return
            try:
                await self._forward(request, reader, writer)
            except _Refused as refused:
                self._record(request, False, refused.reason)
                if refused.status == 403:
                    self._refusals[request.host] = refused.reason
                writer.write(refusal_response(refused.status, refused.reason))
        except (asyncio.IncompleteReadError, ConnectionError, TimeoutError, OSError):
            pass  # Chromium closed its side: nothing left to answer
        finally:
            with contextlib.suppress(Exception):
                await writer.drain()
            writer.close()
            self._tasks.discard(task)

    async def _forward(
        self, request: ProxyRequest, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        if self.destinations is not None and not self.destinations.admits(request.host):
            raise _Refused(403, f"{request.host} is not a site being rendered")
        scheme = "https" if request.method == "CONNECT" else "http"
        proxy = upstream_for(scheme, request.host, self.upstream, self.environ)
        body = b"" if request.method == "CONNECT" else await self._body(request, reader)
        if proxy is not None:
            upstream = Upstream.parse(proxy)
            server = await self._connect(upstream.host, upstream.port, tls=upstream.tls)
            self._record(request, True, f"via {upstream.host}:{upstream.port}")
            if request.method == "CONNECT":
                # The proxy's own answer to CONNECT reaches Chromium through the relay.
                hello = f"CONNECT {request.target} HTTP/1.1\r\nHost: {request.target}\r\n"
                if upstream.auth:
                    hello += f"Proxy-Authorization: {upstream.auth}\r\n"
                server[1].write((hello + "\r\n").encode("latin-1"))
                await self._tunnel(reader, writer, *server)
            else:
                server[1].write(forwarded_head(request, absolute=True, auth=upstream.auth) + body)
                await self._relay_answer(writer, *server)
            return
        address = await self._checked_address(request)
        self._refusals.pop(request.host, None)  # what the host is now, not what it was
        server = await self._connect(address, request.port)
        self._record(request, True, address)
        if request.method == "CONNECT":
            writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            await self._tunnel(reader, writer, *server)
        else:
            server[1].write(forwarded_head(request, absolute=False) + body)
            await self._relay_answer(writer, *server)

    async def _checked_address(self, request: ProxyRequest) -> str:
        """The first address of the host that the policy allows; the connection is pinned
        to it. Refused: every address is internal."""
        loop = asyncio.get_running_loop()
        try:
            addresses = await loop.run_in_executor(
                None, self.resolve, request.host, request.port, self.fixed
            )
        except OSError as exc:
            raise _Refused(502, f"{request.host} does not resolve ({exc})") from None
        allowed, refusals = screen(addresses, self.policy)
        if not allowed:
            raise _Refused(403, refusals[0] if refusals else f"{request.host} has no address")
        return allowed[0]

    async def _body(self, request: ProxyRequest, reader: asyncio.StreamReader) -> bytes:
        if request.header("transfer-encoding"):
            raise _Refused(501, "chunked request bodies are not relayed")
        try:
            length = int(request.header("content-length") or 0)
        except ValueError:
            raise _Refused(400, "bad Content-Length") from None
        if not 0 <= length <= _MAX_BODY:
            raise _Refused(413, "request body too large")
        return await reader.readexactly(length) if length else b""

    async def _connect(
        self, host: str, port: int, *, tls: bool = False
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        try:
            return await asyncio.wait_for(
                asyncio.open_connection(
                    host, port, ssl=ssl.create_default_context() if tls else None
                ),
                self.connect_timeout,
            )
        except (OSError, TimeoutError) as exc:
            raise _Refused(502, f"cannot connect to {host}:{port} ({exc or 'timeout'})") from None

    async def _relay_answer(
        self,
        writer: asyncio.StreamWriter,
        server_reader: asyncio.StreamReader,
        server_writer: asyncio.StreamWriter,
    ) -> None:
        """The server's answer, to its end (the request asked it to close)."""
        try:
            await server_writer.drain()
            await self._pipe(server_reader, writer)
        finally:
            server_writer.close()

    async def _tunnel(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        server_reader: asyncio.StreamReader,
        server_writer: asyncio.StreamWriter,
    ) -> None:
        """Bytes both ways until both sides are done (or one is idle too long)."""
        directions = {
            asyncio.ensure_future(self._pipe(reader, server_writer, half_close=True)),
            asyncio.ensure_future(self._pipe(server_reader, writer, half_close=True)),
        }
        try:
            await asyncio.wait(directions, timeout=None, return_when=asyncio.ALL_COMPLETED)
        finally:
            for direction in directions:
                direction.cancel()
            server_writer.close()

    async def _pipe(
        self, source: asyncio.StreamReader, sink: asyncio.StreamWriter, *, half_close: bool = False
    ) -> None:
        try:
            while data := await asyncio.wait_for(source.read(65536), self.idle_timeout):
                sink.write(data)
                await sink.drain()
            if half_close and sink.can_write_eof():
                sink.write_eof()
        except (ConnectionError, TimeoutError, OSError):
            sink.close()  # an idle or broken side ends the exchange

    def _record(self, request: ProxyRequest, allowed: bool, detail: str) -> None:
        self.log.append(Egress(request.method, request.host, request.port, allowed, detail))
        if allowed:
            logger.debug(
                "browser egress: %s %s:%d -> %s", request.method, request.host, request.port, detail
            )
        else:
            logger.info(
                "browser egress refused: %s %s:%d: %s",
                request.method, request.host, request.port, detail,
            )  # fmt: skip
