"""Rendering hostile pages in the real Chromium: what their scripts try, the browser guard stops.

A crawl (``python -m audit crawl``, in a subprocess) renders pages of the project's hostile
server whose scripts reach for an internal service (127.0.0.1 and a name of the site's own
domain that resolves there) in every way a page can, load another site's script, use UDP,
or send the browser itself inward. Meanwhile the test watches Chromium's processes: their
account, their sandbox and their sockets. Without a proxy here; a second crawl goes through
the testbed as ``--proxy``, given on the command line only.

Chromium: Debian's package (``.ci/run`` installs it); without it these tests skip.
"""

from __future__ import annotations

import json
import os
import pwd
import re
import socket
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import pytest

from audit.config import load_builtin_profile
from audit.demo.testbed import TestbedServer, generate
from audit.demo.testbed.hostile import (
    INTERNAL_MARKER,
    OFFSITE_MARKER,
    HostileServer,
    HostileSite,
    InternalServer,
)
from audit.intake.inventory import import_inventory
from audit.store import Store
from crawler.render import find_chromium
from crawler.sandbox import browser_account, probe
from tests.support.syscalls import STRACE, Traffic, read_traffic, strace_command
from tests.test_faults import add_sites, findings_by_host, snapshots

BROWSER = find_chromium()
CRASHPAD = "chrome_crashpad_handler"
pytestmark = [
    pytest.mark.crawl,
    pytest.mark.skipif(not BROWSER, reason="no Chromium: install Debian's chromium package"),
]

PROFILE = load_builtin_profile("yuncheng")
SITE_ADDRESS = "127.77.0.1"  # the hostile sites: "on the internet" (allowed on purpose)
INTRANET = "intranet.yuncheng.gov.cn"  # a name of the sites' own domain, resolving to 127.0.0.1
OFFSITE = "static.example-cdn.com"  # another site, whose script pages load
SITES = {
    "internal.yuncheng.gov.cn": "browser-internal",
    "offsite.yuncheng.gov.cn": "browser-offsite",
    "rebind.yuncheng.gov.cn": "browser-rebind",
    "slow.yuncheng.gov.cn": "browser-slow",
    "udp.yuncheng.gov.cn": "browser-udp",
}
EGRESS = re.compile(r"browser egress(?: refused)?: (\S+) (\S+):(\d+)")
GUARD = re.compile(r"egress http://127\.0\.0\.1:(\d+)")


class UdpListener:
    """An internal service on UDP: counts the datagrams it gets."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.datagrams: list[bytes] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                self.datagrams.append(self.sock.recv(65536))
            except OSError:
                return

    def close(self) -> None:
        self.sock.close()


@dataclass
class BrowserProcess:
    """A Chromium process seen during the crawl."""

    pid: int
    kind: str  # "browser", or its --type (renderer, zygote, utility, ...)
    uids: tuple[int, int, int]
    cmdline: list[str]
    seccomp: int  # 0 none, 2 a seccomp-bpf filter (the sandbox)
    user_namespace: str
    remotes: set[tuple[str, int]] = field(default_factory=set)  # of its TCP sockets
    udp_remotes: set[tuple[str, int]] = field(default_factory=set)


def watch_chromium(
    crawl: psutil.Popen, seen: dict[int, BrowserProcess], programs: set[str]
) -> None:
    """Until the crawl ends: every program under it; each Chromium process as last seen
    (a process forked by the zygote takes its --type and its sandbox a moment after it
    appears), and where its sockets ever led."""
    while crawl.poll() is None:
        try:
            children = crawl.children(recursive=True)
        except psutil.Error:
            return
        for process in children:
            try:
                program = os.path.basename(process.exe())
                programs.add(program)
                if program in ("chromium", CRASHPAD):
                    seen[process.pid] = look_at(process, seen.get(process.pid))
            except (psutil.Error, OSError):
                continue  # it ended meanwhile
        time.sleep(0.05)


def look_at(process: psutil.Process, before: BrowserProcess | None) -> BrowserProcess:
    cmdline = process.cmdline()
    kinds = [a.split("=", 1)[1] for a in cmdline if a.startswith("--type=")]
    if os.path.basename(process.exe()) == CRASHPAD:
        kinds = ["crashpad"]
    status = Path(f"/proc/{process.pid}/status").read_text()
    seccomp = re.search(r"^Seccomp:\s+(\d+)", status, re.M)
    sockets = [c for c in process.net_connections("inet") if c.raddr]
    tcp = {(c.raddr.ip, c.raddr.port) for c in sockets if c.type == socket.SOCK_STREAM}
    udp = {(c.raddr.ip, c.raddr.port) for c in sockets if c.type == socket.SOCK_DGRAM}
    return BrowserProcess(
        process.pid, kinds[0] if kinds else "browser", tuple(process.uids()), cmdline,
        int(seccomp[1]) if seccomp else -1, os.readlink(f"/proc/{process.pid}/ns/user"),
        tcp | (before.remotes if before else set()),
        udp | (before.udp_remotes if before else set()),
    )  # fmt: skip


@dataclass
class Crawl:
    status: int
    summary: dict
    stderr: str
    store: Store
    processes: list[BrowserProcess]
    programs: set[str]  # every executable run under the crawl
    traffic: Traffic | None  # what its processes sent, from their system calls (strace)

    def egress(self) -> list[tuple[str, str, int]]:
        """(method, host, port) of every request the browser sent to the guard."""
        return [(m, h, int(p)) for m, h, p in EGRESS.findall(self.stderr)]

    def guard_ports(self) -> set[int]:
        return {int(port) for port in GUARD.findall(self.stderr)}


def run_crawl(work: Path, db_url: str, *args: str, config: str = "", trace: bool = False) -> Crawl:
    """``python -m audit -vv crawl ARGS`` (DEBUG: the guard logs every request), watched;
    ``trace``: under strace, which records what every process of the crawl sends."""
    (work / "beian.toml").write_text(config, "utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("BEIAN_")}
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        env.pop(name, None)  # a proxy reaches this crawl only through its command line
    env.update(BEIAN_DATABASE_URL=db_url, BEIAN_CONFIG=str(work / "beian.toml"))
    seen: dict[int, BrowserProcess] = {}
    programs: set[str] = set()
    tracer = strace_command(work / "strace.txt") if trace else []
    with (work / "stdout.txt").open("w") as out, (work / "stderr.txt").open("w") as err:
        crawl = psutil.Popen(
            [*tracer, sys.executable, "-m", "audit", "-vv", "crawl", "--no-progress", "--json",
             *args],
            cwd=work, env=env, stdout=out, stderr=err,
        )  # fmt: skip
        watch_chromium(crawl, seen, programs)
        status = crawl.wait(300)
    stdout = (work / "stdout.txt").read_text()
    return Crawl(
        status,
        json.loads(stdout) if status == 0 else {},
        (work / "stderr.txt").read_text(),
        Store(db_url),
        list(seen.values()),
        programs,
        read_traffic((work / "strace.txt").read_text()) if trace else None,
    )


# --- hostile pages, without a proxy ---------------------------------------------------------


@dataclass
class Hostile:
    crawl: Crawl
    server: HostileServer
    internal: InternalServer
    udp: UdpListener

    def snapshot(self, host: str):  # type: ignore[no-untyped-def]
        return snapshots(self.crawl.store, self.crawl.summary["run_id"])[host]


def crawl_hostile_sites(work: Path, *, trace: bool = False) -> Iterator[Hostile]:
    sites = [HostileSite(host, kind, 970 + i) for i, (host, kind) in enumerate(SITES.items())]
    sites.append(HostileSite(OFFSITE, "offsite-script", 990))
    internal, udp = InternalServer("127.0.0.1"), UdpListener()
    with internal, HostileServer(
        generate(PROFILE, 1, seed=3), sites, host=SITE_ADDRESS, internal_url=internal.url,
        internal_name=INTRANET, offsite_host=OFFSITE, render_hold=4.0,
        internal_udp_port=udp.port,
    ) as server:  # fmt: skip
        resolve = {host: SITE_ADDRESS for host in [*SITES, OFFSITE]} | {INTRANET: "127.0.0.1"}
        config = f'[crawl]\nallow_private = ["{SITE_ADDRESS}/32"]\n[crawl.resolve]\n' + "".join(
            f'"{name}" = "{address}"\n' for name, address in resolve.items()
        )
        db_url = f"sqlite:///{work / 'beian.db'}"
        with Store(db_url) as store:
            add_sites(
                store, work, {f"http://{host}:{server.port}/": kind for host, kind in SITES.items()}
            )
        crawl = run_crawl(work, db_url, "--timeout", "10", config=config, trace=trace)
        assert crawl.status == 0, crawl.stderr[-3000:]
        try:
            yield Hostile(crawl, server, internal, udp)
        finally:
            crawl.store.close()
            udp.close()


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hostile]:
    yield from crawl_hostile_sites(tmp_path_factory.mktemp("browser-guard"))


@pytest.fixture(scope="module")
def traced(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hostile]:
    """The same crawl under strace (a crawl of its own: being traced slows Chromium and
    changes what the process watcher sees, which the sandbox checks must not depend on)."""
    if not STRACE:
        pytest.skip("strace is not installed")
    yield from crawl_hostile_sites(tmp_path_factory.mktemp("browser-guard-traced"), trace=True)


def stored_text(snapshot) -> str:  # type: ignore[no-untyped-def]
    import gzip

    html = gzip.decompress(snapshot.html_gz).decode("utf-8", "replace") if snapshot.html_gz else ""
    return " ".join(str(v) for v in (snapshot.title, snapshot.footer_text, html))


@pytest.mark.fault
def test_scripts_never_reach_an_internal_address(hostile: Hostile) -> None:
    """fetch, XHR, image, iframe, script, stylesheet, prefetch, WebSocket and navigation, to
    127.0.0.1 and to a name of the site's own domain that resolves there: the internal
    server gets nothing, and the page is read with the footer its own script wrote."""
    assert hostile.internal.requests == []
    snapshot = hostile.snapshot("internal.yuncheng.gov.cn")
    assert (snapshot.outcome, snapshot.rendered) == ("ok", True), snapshot.error
    assert "晋ICP备2026000970号-1" in (snapshot.footer_text or "")
    run = hostile.crawl.summary["run_id"]
    for stored in snapshots(hostile.crawl.store, run).values():
        assert INTERNAL_MARKER not in stored_text(stored)
    egress = hostile.crawl.egress()
    # 127.0.0.1 is another site: aborted in the page, never sent to the guard; the name of
    # the site's own domain reaches the guard, which refuses its address
    assert not [e for e in egress if e[1] == "127.0.0.1"]
    assert ("GET", INTRANET, hostile.internal.port) in egress
    assert f"{INTRANET}:{hostile.internal.port}: 127.0.0.1 is loopback" in hostile.crawl.stderr


@pytest.mark.fault
def test_another_sites_resources_are_aborted_and_the_pages_own_are_loaded(
    hostile: Hostile,
) -> None:
    assert ("offsite.yuncheng.gov.cn", "/own.js") in hostile.server.requests
    assert OFFSITE not in {host for host, _ in hostile.server.requests}
    assert OFFSITE not in {host for _, host, _ in hostile.crawl.egress()}
    snapshot = hostile.snapshot("offsite.yuncheng.gov.cn")
    assert (snapshot.outcome, snapshot.rendered) == ("ok", True)
    assert "晋ICP备2026000971号-1" in (snapshot.footer_text or "")
    assert OFFSITE_MARKER not in stored_text(snapshot)


@pytest.mark.fault
def test_a_page_that_sends_the_browser_inward_is_blocked_address(hostile: Hostile) -> None:
    """The crawler saw a page; the browser, sent on by the same site to a name that
    resolves to 127.0.0.1, was refused: the snapshot is not the site's, and is not judged."""
    snapshot = hostile.snapshot("rebind.yuncheng.gov.cn")
    assert snapshot.outcome == "blocked_address"
    assert snapshot.error == "render refused by the address guard: 127.0.0.1 is loopback"
    assert "rebind.yuncheng.gov.cn" not in findings_by_host(
        hostile.crawl.store, hostile.crawl.summary["run_id"]
    )


@pytest.mark.fault
def test_webrtc_and_webtransport_send_no_udp(hostile: Hostile) -> None:
    assert hostile.snapshot("udp.yuncheng.gov.cn").rendered
    assert hostile.udp.datagrams == []


def guards_of(hostile: Hostile) -> set[tuple[str, int]]:
    return {("127.0.0.1", port) for port in hostile.crawl.guard_ports()}


@pytest.mark.fault
def test_the_guard_proxy_is_the_browsers_only_way_out(hostile: Hostile) -> None:
    """Every TCP socket of every Chromium process leads to this crawl's guard proxy; the
    guard saw only the sites' own hosts (and refused the inward name): no Google service.
    Chromium's UDP sockets are route lookups, which send nothing (next test)."""
    guards = guards_of(hostile)
    assert guards
    remotes = set().union(*(p.remotes for p in hostile.crawl.processes))
    assert remotes and remotes <= guards
    hosts = {host for _, host, _ in hostile.crawl.egress()}
    assert hosts <= {*SITES, INTRANET}
    assert "google" not in hostile.crawl.stderr.lower()


@pytest.mark.fault
def test_nothing_the_crawl_sends_leaves_the_machine(traced: Hostile) -> None:
    """Read from the system calls of the whole crawl (crawler, guard, Chromium): every
    byte sent went to a loopback address, and no TCP connection was tried elsewhere. The
    UDP sockets Chromium points at Google's public DNS address (its IPv6 reachability
    probe, WebRTC's default-address lookup) are connected and closed unused: a route
    lookup in the kernel, no datagram."""
    traffic = traced.crawl.traffic
    assert traffic is not None and traffic.sent
    assert traffic.outward() == []
    lookups = {(to.host, to.port) for to in traffic.route_lookups()}
    seen_udp = set().union(*(p.udp_remotes for p in traced.crawl.processes))
    assert seen_udp <= lookups | {("127.0.0.1", traced.udp.port)}
    guards = guards_of(traced)
    browser_sends = {(to.host, to.port) for _, _, to in traffic.sent} & guards
    assert browser_sends, "the browser's requests to the guard are in the trace"


def test_chromium_runs_unprivileged_and_sandboxed_where_the_kernel_allows(
    hostile: Hostile,
) -> None:
    processes = hostile.crawl.processes
    assert {p.kind for p in processes} >= {"browser", "renderer"}
    # Chromium's own binary, started by the launcher (not Debian's wrapper script, which
    # loads Google API keys). Headless Chromium may start its crash handler whatever the
    # flags: it runs as the browser's user and, like every process, only reaches the guard.
    for handler in (p for p in processes if p.kind == "crashpad"):
        assert handler.uids[0] != 0 and handler.remotes <= guards_of(hostile)
    browser = next(p for p in processes if p.kind == "browser")
    assert browser.cmdline[0] == BROWSER
    expected_uid = pwd.getpwnam("nobody").pw_uid if os.geteuid() == 0 else os.geteuid()
    assert {uid for p in processes for uid in p.uids} == {expected_uid}
    sandbox = probe(browser_account("nobody"))
    flags = {arg for p in processes for arg in p.cmdline}
    if not sandbox.available:
        # The documented fallback: no sandbox, said once, still unprivileged.
        assert "--no-sandbox" in flags
        assert "Chromium runs without its sandbox" in hostile.crawl.stderr
        pytest.skip(f"this machine does not allow Chromium's sandbox: {sandbox.reason}")
    assert "--no-sandbox" not in flags
    renderers = [p for p in processes if p.kind == "renderer"]
    assert all(r.seccomp == 2 for r in renderers)  # seccomp-bpf
    assert all(r.user_namespace != browser.user_namespace for r in renderers)


# --- through a proxy given on the command line ---------------------------------------------------


def test_a_proxy_given_on_the_command_line_reaches_the_browser(tmp_path: Path) -> None:
    """The testbed's hosts exist only through it (it is the forward proxy): their footers
    written by scripts can be rendered only if the browser goes through it too."""
    testbed = generate(PROFILE, 60, seed=7, page_kb=(8, 20))
    js_only = [s.host for s in testbed.sites if s.expected["js_only"] and s.in_inventory][:3]
    plain = [
        s.host for s in testbed.sites
        if s.expected["outcome"] == "ok" and not s.expected["js_only"] and s.in_inventory
    ][:2]  # fmt: skip
    assert js_only, "the testbed should hold sites whose footer is written by a script"
    with TestbedServer(testbed) as server:
        _, inventory = testbed.write(tmp_path)
        db_url = f"sqlite:///{tmp_path / 'beian.db'}"
        with Store(db_url) as store:
            import_inventory(store, inventory)
        hosts = [arg for host in [*js_only, *plain] for arg in ("--site", host)]
        crawl = run_crawl(tmp_path, db_url, "--proxy", server.url, "--timeout", "10", *hosts)
        try:
            assert crawl.status == 0, crawl.stderr[-3000:]
            got = snapshots(crawl.store, crawl.summary["run_id"])
        finally:
            crawl.store.close()
    for host in js_only:
        site = next(s for s in testbed.sites if s.host == host)
        assert got[host].rendered, (host, got[host].error)
        assert site.expected["footer_marker"] in (got[host].footer_text or "")
    assert f"via 127.0.0.1:{server.port}" in crawl.stderr
    hosts_seen = {host for _, host, _ in crawl.egress()}
    assert hosts_seen and hosts_seen <= set(js_only)
    assert "google" not in crawl.stderr.lower()
