"""The testbed's HTTP server: a loopback forward proxy that serves every fictional host itself.

A crawler configured with ``http_proxy = server.url`` sends ``GET http://host/path HTTP/1.1``;
the server dispatches on the host (origin-form requests dispatch on ``Host:``). Unreachable
sites answer the way a Squid proxy reports them (503 + ``X-Squid-Error``).

asyncio streams, HTTP/1.1 keep-alive, pre-encoded chunk lists written with ``writelines``:
the server must stay a small fraction of one core while a crawler fetches hundreds of pages a
second, and a slow site only sleeps its own connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import selectors
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from types import TracebackType
from typing import Any

from audit.config import Profile
from audit.demo.testbed.generator import CONTROL_HOST, Page, Testbed, squid_error
from audit.demo.testbed.latency import Latency

_MAX_HEAD = 64 * 1024
_MAX_BODY = 1024 * 1024
_LOCAL_NAMES = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})


class _Stats:
    def __init__(self) -> None:
        self.started = time.monotonic()
        self.requests = 0  # answered
        self.received = 0  # of the sites, answered or not (a client may give up on a slow one)
        self.bytes_sent = 0
        self.connections_total = 0
        self.connections_open = 0
        self.slow_in_flight = 0
        self.statuses: Counter[int] = Counter()
        self.cpu_base = 0.0  # thread CPU of the loop thread when it started serving


class TestbedServer:
    """Serve a :class:`Testbed` on a loopback port, in a background thread or in the foreground.

    >>> with TestbedServer(testbed) as server:          # doctest: +SKIP
    ...     os.environ["http_proxy"] = server.url
    """

    __test__ = False  # not a pytest test class, despite the name

    def __init__(
        self,
        testbed: Testbed,
        host: str = "127.0.0.1",
        port: int = 0,
        slow_seconds: float = 30.0,
        also_listen: Sequence[str] = (),
        latency: Latency | None = None,
    ) -> None:
        self._base = testbed
        self.latency = latency  # real-world delays of the sites' answers
        # further local addresses answered on the same port (requests made without a proxy)
        self.also_listen = tuple(also_listen)
        self._testbed = testbed
        self.host = host
        self.port = port
        self.slow_seconds = slow_seconds
        self._stats = _Stats()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread_id: int | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._error: BaseException | None = None
        self._stopping: asyncio.Event | None = None

    # lifecycle ----------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``: the value for ``http_proxy`` or Scrapy's ``meta["proxy"]``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def testbed(self) -> Testbed:
        return self._testbed

    def start(self, timeout: float = 30.0) -> int:
        """Serve in a daemon thread with its own event loop; return the bound port."""
        if self._thread is not None:
            raise RuntimeError("server already started")
        ready = threading.Event()
        self._thread = threading.Thread(
            target=self._thread_main, args=(ready,), name="testbed-server", daemon=True
        )
        self._thread.start()
        if not ready.wait(timeout):
            raise RuntimeError("testbed server did not start in time")
        if self._error is not None:
            self._thread.join()
            self._thread = None
            raise self._error
        return self.port

    def stop(self, timeout: float = 10.0) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        with contextlib.suppress(RuntimeError):  # loop already closed
            loop.call_soon_threadsafe(self._request_stop)
        thread.join(timeout)
        self._thread = None

    def __enter__(self) -> TestbedServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def run(self, ready: Callable[[int], None] | None = None) -> None:
        """Serve in the calling thread until stop(), SIGTERM or Ctrl-C; `ready(port)` once bound."""
        asyncio.run(self._serve(ready))

    def _thread_main(self, ready: threading.Event) -> None:
        def bound(_port: int) -> None:
            ready.set()

        try:
            asyncio.run(self._serve(bound))
        except BaseException as exc:  # surfaced by start()
            self._error = exc
        finally:
            ready.set()

    async def _serve(self, ready: Callable[[int], None] | None) -> None:
        loop = asyncio.get_running_loop()
        self._loop = loop
        self._loop_thread_id = threading.get_ident()
        self._stopping = asyncio.Event()
        self._stats = _Stats()
        self._stats.cpu_base = time.thread_time()
        self._server = await asyncio.start_server(
            self._handle, self.host, self.port, limit=_MAX_HEAD, backlog=1024
        )
        self.port = self._server.sockets[0].getsockname()[1]
        extra = [
            await asyncio.start_server(self._handle, host, self.port, limit=_MAX_HEAD)
            for host in self.also_listen
        ]
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGINT):
                with contextlib.suppress(NotImplementedError, RuntimeError):
                    loop.add_signal_handler(sig, self._request_stop)
        if ready is not None:
            ready(self.port)
        try:
            await self._stopping.wait()
        finally:
            self._server.close()
            for server in extra:
                server.close()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            await self._server.wait_closed()
            self._loop = None

    def _request_stop(self) -> None:
        if self._stopping is not None:
            self._stopping.set()

    # control ------------------------------------------------------------------------------

    def set_epoch(self, epoch: int) -> None:
        """Serve the testbed as it is at `epoch` from the next request on."""
        # Built outside the loop; one attribute assignment swaps it atomically.
        self._testbed = self._base.at_epoch(epoch)

    def stats(self) -> dict[str, Any]:
        """Requests served, bytes sent and the server's CPU seconds (its loop thread)."""
        loop = self._loop
        if loop is not None and threading.get_ident() != self._loop_thread_id:
            try:
                future = asyncio.run_coroutine_threadsafe(self._stats_async(), loop)
                return future.result(timeout=10)
            except (RuntimeError, TimeoutError):
                pass
        return self._snapshot(cpu=None)

    async def _stats_async(self) -> dict[str, Any]:
        return self._snapshot(cpu=time.thread_time())

    def _snapshot(self, cpu: float | None) -> dict[str, Any]:
        s = self._stats
        return {
            "requests": s.requests,
            "received": s.received,
            "bytes_sent": s.bytes_sent,
            "cpu_seconds": None if cpu is None else round(cpu - s.cpu_base, 4),
            "process_cpu_seconds": round(time.process_time(), 4),
            "uptime_seconds": round(time.monotonic() - s.started, 3),
            "connections_total": s.connections_total,
            "connections_open": s.connections_open,
            "slow_in_flight": s.slow_in_flight,
            "statuses": {str(k): v for k, v in sorted(s.statuses.items())},
            "epoch": self._testbed.epoch,
            "sites": len(self._testbed.sites),
            "seed": self._testbed.seed,
            "pid": os.getpid(),
        }

    def _control(self, method: str, path: str) -> Page:
        path = path.split("?", 1)[0]
        if path == "/__stats__":
            return _json_page(200, self._snapshot(cpu=time.thread_time()))
        m = re.fullmatch(r"/__epoch__/(\d+)", path)
        if m:
            if method != "POST":
                return _json_page(405, {"error": "use POST to change the epoch"})
            self.set_epoch(int(m.group(1)))
            changed = self._testbed.changed_since(0)
            return _json_page(200, {"epoch": self._testbed.epoch, "changed_since_0": len(changed)})
        if path == "/__epoch__":
            return _json_page(200, {"epoch": self._testbed.epoch})
        if path == "/__manifest__":
            return _json_page(200, self._testbed.manifest())
        if path == "/":
            text = (
                "beian-audit testbed server\n"
                "GET /__stats__ | POST /__epoch__/K | GET /__epoch__ | GET /__manifest__\n"
                f"{len(self._testbed.sites)} sites, seed {self._testbed.seed}, "
                f"epoch {self._testbed.epoch}; use {self.url} as http_proxy.\n"
            ).encode()
            return Page(200, (("Content-Type", "text/plain; charset=utf-8"),), (text,), len(text))
        return _json_page(404, {"error": "unknown control path"})

    # HTTP ---------------------------------------------------------------------------------

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        stats = self._stats
        stats.connections_total += 1
        stats.connections_open += 1
        sock = writer.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except asyncio.IncompleteReadError:
                    break  # the client closed the connection between requests
                except asyncio.LimitOverrunError:
                    await self._send(writer, _text_page(431, "request header too large"), False)
                    break
                if not await self._respond(head, reader, writer):
                    break
        except (ConnectionError, asyncio.CancelledError, TimeoutError, OSError):
            pass  # a client that goes away mid-response is normal for a crawler
        finally:
            stats.connections_open -= 1
            self._tasks.discard(task)
            with contextlib.suppress(Exception):
                writer.close()

    async def _respond(
        self, head: bytes, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        """Answer one request; return whether the connection stays open."""
        lines = head.split(b"\r\n")
        try:
            method, target, version = lines[0].decode("latin-1").split(" ")
        except ValueError:
            await self._send(writer, _text_page(400, "bad request line"), False)
            return False
        host_header = ""
        connection = ""
        length = 0
        for line in lines[1:]:
            name, sep, value = line.partition(b":")
            if not sep:
                continue
            key = name.strip().lower()
            if key == b"host":
                host_header = value.strip().decode("latin-1")
            elif key in (b"connection", b"proxy-connection"):
                connection += value.strip().decode("latin-1").lower()
            elif key == b"content-length":
                try:
                    length = int(value.strip())
                except ValueError:
                    length = -1
            elif key == b"transfer-encoding":
                await self._send(writer, _text_page(501, "chunked requests unsupported"), False)
                return False
        if not 0 <= length <= _MAX_BODY:
            await self._send(writer, _text_page(400, "bad Content-Length"), False)
            return False
        if length:
            await reader.readexactly(length)
        keep_alive = (
            "close" not in connection if version == "HTTP/1.1" else "keep-alive" in connection
        )
        if method == "CONNECT":
            # No TLS here: like a proxy whose upstream port 443 is closed.
            host = target.rsplit(":", 1)[0]
            await self._send(writer, squid_error(host, "/", "ERR_CONNECT_FAIL"), False)
            return False
        if target.startswith(("http://", "https://")):
            rest = target.split("://", 1)[1]
            authority, slash, path = rest.partition("/")
            host = authority.rsplit("@", 1)[-1]
            path = slash + path or "/"
        elif target.startswith("/"):
            host, path = host_header, target
        else:
            await self._send(writer, _text_page(400, "bad request target"), False)
            return False
        bare = _bare_host(host)
        if bare == CONTROL_HOST or (bare in _LOCAL_NAMES and target.startswith("/")):
            page = self._control(method, path)
        else:
            page = self._testbed.page(host, path, slow_seconds=self.slow_seconds)
            self._stats.received += 1
            if self.latency is not None:
                page = replace(page, delay=page.delay + self.latency.delay(bare, path))
        if page.delay > 0:
            self._stats.slow_in_flight += 1
            try:
                await asyncio.sleep(page.delay)
            finally:
                self._stats.slow_in_flight -= 1
            if writer.is_closing() or reader.at_eof():
                return False  # the client gave up while we were "slow"
        return await self._send(writer, page, keep_alive, head_only=method == "HEAD")

    async def _send(
        self, writer: asyncio.StreamWriter, page: Page, keep_alive: bool, head_only: bool = False
    ) -> bool:
        parts = [f"HTTP/1.1 {page.status} {page.reason}\r\n"]
        parts.extend(f"{k}: {v}\r\n" for k, v in page.headers)
        parts.append(f"Content-Length: {page.length}\r\n")
        parts.append(
            "Connection: keep-alive\r\n\r\n" if keep_alive else "Connection: close\r\n\r\n"
        )
        header = "".join(parts).encode("latin-1")
        stats = self._stats
        stats.requests += 1
        stats.statuses[page.status] += 1
        if head_only:
            writer.write(header)
            stats.bytes_sent += len(header)
        elif page.stream is None:
            writer.writelines((header, *page.body))
            stats.bytes_sent += len(header) + page.length
        else:
            writer.write(header)
            stats.bytes_sent += len(header)
            for chunk in page.stream():
                writer.write(chunk)
                stats.bytes_sent += len(chunk)
                await writer.drain()  # back-pressure: never buffer the 8 MB page
        await writer.drain()
        return keep_alive


def _bare_host(host: str) -> str:
    host = host.strip().lower()
    if host.startswith("["):
        return host.split("]", 1)[0] + "]"
    return host.rsplit(":", 1)[0] if ":" in host else host


def _json_page(status: int, data: dict[str, Any]) -> Page:
    body = json.dumps(data, ensure_ascii=False).encode()
    headers = (("Content-Type", "application/json; charset=utf-8"), ("Cache-Control", "no-store"))
    return Page(status, headers, (body,), len(body))


def _text_page(status: int, text: str) -> Page:
    body = (text + "\n").encode()
    return Page(status, (("Content-Type", "text/plain; charset=utf-8"),), (body,), len(body))


# --- a server in its own process ----------------------------------------------------------


def start_server_process(
    n: int,
    seed: int = 0,
    *,
    epoch: int = 0,
    page_kb: tuple[int, int] = (30, 120),
    slow_seconds: float = 30.0,
    profile: Profile | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    timeout: float = 120.0,
    latency: Latency | None = None,
) -> tuple[subprocess.Popen[str], int]:
    """Run ``python -m audit.demo.testbed serve`` in a child process; return (process, port).

    The child regenerates the testbed from these arguments (nothing big crosses the process
    boundary) and does not share a GIL with the caller. The caller terminates it.
    """
    cmd = [
        sys.executable,
        "-m",
        "audit.demo.testbed",
        "serve",
        "--sites",
        str(n),
        "--seed",
        str(seed),
        "--epoch",
        str(epoch),
        "--page-kb",
        f"{page_kb[0]},{page_kb[1]}",
        "--slow-seconds",
        str(slow_seconds),
        "--host",
        host,
        "--port",
        str(port),
    ]
    if profile is not None:
        cmd += ["--profile-json", profile.model_dump_json()]
    if latency is not None:
        cmd += [
            "--latency", f"lognormal:{latency.median},{latency.sigma}",
            "--hang", str(latency.hang), "--hang-seconds", str(latency.hang_seconds),
        ]  # fmt: skip
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[3])  # works without an installed package too
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["PYTHONUNBUFFERED"] = "1"
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=env)
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    seen = b""
    deadline = time.monotonic() + timeout
    # os.read on the raw pipe: a buffered readline could hide data from select().
    with selectors.DefaultSelector() as sel:
        sel.register(fd, selectors.EVENT_READ)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                proc.kill()
                proc.wait()
                raise RuntimeError("testbed server process did not start in time")
            if not sel.select(remaining):
                continue
            data = os.read(fd, 4096)
            if not data:
                code = proc.wait()
                raise RuntimeError(f"testbed server process exited with code {code}")
            seen += data
            m = re.search(rb"http://[^\s:]+:(\d+)\r?\n", seen)
            if m:
                # The child prints nothing more on stdout; closing our end frees the pipe.
                proc.stdout.close()
                return proc, int(m.group(1))
