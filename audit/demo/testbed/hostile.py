"""Hostile websites: the fault suite's and ``benchmarks/hostile.py``'s server.

Each hostile site does one thing a real server on the internet can do to a crawler:
decompression bombs, hangs, resets, redirect loops, NUL bytes, URLs longer than a column,
pages nested too deep for a parser, floods of links, answers that are not HTTP, redirects
and scripts that point at internal addresses. Each declares the outcome the crawl must
record for it and whether its page, when read, is compliant (so that any filing finding
on it is a false one).

:class:`HostileServer` is a :class:`~audit.demo.testbed.TestbedServer`: as a forward proxy it
serves the hostile hosts and, for every other host, the ordinary testbed it was given; it
also answers requests made directly to the extra loopback addresses it listens on
(``also_listen``), for the crawls that go without a proxy (the address guard).
:class:`InternalServer` plays an internal service (an intranet page, a metadata endpoint):
the crawler must never reach it, and it counts the requests it gets.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import socket
import struct
import threading
import zlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from audit.demo.testbed.generator import Testbed
from audit.demo.testbed.server import TestbedServer

GIB = 1 << 30
SUFFIX = "hostile.yuncheng.gov.cn"
INTERNAL_MARKER = "INTERNAL-ONLY-7f3a"  # in every internal page: must never be stored
OFFSITE_MARKER = "OFFSITE-ONLY-5c2e"  # written by another site's script: must never be stored


def compliant_footer(index: int) -> str:
    """A government footer that shows everything the law asks for, with numbers unique to
    ``index``: read correctly, it gives no filing finding."""
    icp = f"晋ICP备2026{index:06d}号-1"
    police = f"140802020{index:05d}"
    site_code = (
        f"14080000{index % 99 + 1:02d}"  # never 1408000000: site number 0000 is a placeholder
    )
    return (
        '<div id="footer" class="footer">'
        f"<p>主办单位：运城市网络安全测试中心{index}号站 地址：运城市盐湖区河东东街{index}号</p>"
        f'<p><a href="https://beian.miit.gov.cn/" target="_blank">{icp}</a> '
        f'<a href="https://beian.mps.gov.cn/#/query/webSearch?code={police}" target="_blank">'
        f"晋公网安备{police}号</a> 网站标识码：{site_code}</p>"
        '<p><a href="https://bszs.conac.cn/sitename?method=show&amp;id=0A1B2C3D4E5F" '
        'target="_blank"><img src="https://dcs.conac.cn/image/red.png" alt="党政机关"></a></p>'
        "</div>"
    )


def page(title: str, body: str, index: int) -> bytes:
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        f"<title>{title}</title></head><body>{body}{compliant_footer(index)}</body></html>"
    ).encode()


# --- bombs (built once per process: a gigabyte takes a few seconds to compress) -------------

_BOMB_HEAD = b"<!DOCTYPE html><html><head><title>bomb</title></head><body><p>"


def _compress_gib(compressor: Any, finish: Callable[[], bytes], size: int) -> bytes:
    chunk = b" " * (1 << 20)
    parts = [compressor(_BOMB_HEAD)]
    parts += [compressor(chunk) for _ in range(size >> 20)]
    return b"".join([*parts, finish()])


@cache
def gzip_bomb(size: int = GIB) -> bytes:
    z = zlib.compressobj(9, zlib.DEFLATED, 31)
    return _compress_gib(z.compress, z.flush, size)


@cache
def deflate_bomb(size: int = GIB) -> bytes:
    z = zlib.compressobj(9, zlib.DEFLATED, 15)
    return _compress_gib(z.compress, z.flush, size)


@cache
def brotli_bomb(size: int = GIB) -> bytes:
    import brotli

    b = brotli.Compressor(quality=5)
    return _compress_gib(b.process, b.finish, size)


@cache
def double_gzip_bomb(size: int = GIB) -> bytes:
    z = zlib.compressobj(9, zlib.DEFLATED, 31)
    return z.compress(gzip_bomb(size)) + z.flush()


# --- the sites ------------------------------------------------------------------------------


@dataclass
class Request:
    method: str
    host: str  # as asked, without the port
    path: str
    server: HostileServer
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter


Handler = Callable[[Request], Awaitable[None]]


@dataclass(frozen=True)
class Kind:
    name: str
    expected: str  # the snapshot outcome the crawl must record
    description: str
    handler: Handler
    compliant: bool = False  # its page, read as a browser reads it, deserves no filing finding
    direct_only: bool = False  # meaningful only without a proxy (the address guard)
    browser: bool = False  # its point is what a browser does with it (tests that render)


KINDS: dict[str, Kind] = {}


def kind(
    name: str,
    expected: str,
    *,
    compliant: bool = False,
    direct_only: bool = False,
    browser: bool = False,
) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        doc = (handler.__doc__ or "").strip()
        KINDS[name] = Kind(name, expected, doc, handler, compliant, direct_only, browser)
        return handler

    return register


def _head(status: int, headers: Sequence[tuple[str, str | bytes]], length: int | None) -> bytes:
    lines = [f"HTTP/1.1 {status} X\r\n".encode()]
    for name, value in headers:
        raw = value if isinstance(value, bytes) else value.encode("latin-1")
        lines.append(name.encode() + b": " + raw + b"\r\n")
    if length is not None:
        lines.append(f"Content-Length: {length}\r\n".encode())
    lines.append(b"Connection: close\r\n\r\n")
    return b"".join(lines)


async def _send(
    req: Request,
    body: bytes,
    *,
    status: int = 200,
    headers: Sequence[tuple[str, str | bytes]] = (("Content-Type", "text/html; charset=utf-8"),),
) -> None:
    req.writer.write(_head(status, headers, len(body)))
    req.writer.write(body)
    await req.writer.drain()


async def _redirect(req: Request, location: str, status: int = 302) -> None:
    await _send(req, b"", status=status, headers=(("Location", location),))


async def _hold(req: Request, seconds: float = 3600) -> None:
    """Keep the connection open, answering nothing, until the client leaves."""
    with contextlib.suppress(Exception):
        await asyncio.wait_for(req.reader.read(), seconds)


def _index(req: Request) -> int:
    return req.server.index_of(req.host)


async def _bomb(req: Request, body: bytes, encoding: str) -> None:
    headers = (("Content-Type", "text/html; charset=utf-8"), ("Content-Encoding", encoding))
    await _send(req, body, headers=headers)


@kind("gzip-bomb", "too_large")
async def gzip_bomb_site(req: Request) -> None:
    """1 MB of gzip that decodes to 1 GiB."""
    await _bomb(req, gzip_bomb(), "gzip")


@kind("deflate-bomb", "too_large")
async def deflate_bomb_site(req: Request) -> None:
    """1 MB of deflate that decodes to 1 GiB."""
    await _bomb(req, deflate_bomb(), "deflate")


@kind("brotli-bomb", "too_large")
async def brotli_bomb_site(req: Request) -> None:
    """1.6 KB of brotli that decodes to 1 GiB."""
    await _bomb(req, brotli_bomb(), "br")


@kind("double-gzip-bomb", "too_large")
async def double_gzip_bomb_site(req: Request) -> None:
    """2 KB, ``Content-Encoding: gzip, gzip``: decodes to 1 MB, then to 1 GiB."""
    await _bomb(req, double_gzip_bomb(), "gzip, gzip")


@kind("oversized", "too_large")
async def oversized(req: Request) -> None:
    """8 MB of HTML on the wire."""
    head = b"<!DOCTYPE html><html><head><title>big</title></head><body>"
    body = head + b"<p>" + b"x" * (8 << 20) + b"</p></body></html>"
    await _send(req, body)


@kind("hang", "timeout")
async def hang(req: Request) -> None:
    """Accepts the request and never answers."""
    await _hold(req)


@kind("drip", "timeout")
async def drip(req: Request) -> None:
    """Sends its headers, then one byte a second, forever."""
    req.writer.write(_head(200, (("Content-Type", "text/html"),), 10**9))
    with contextlib.suppress(Exception):
        while True:
            req.writer.write(b" ")
            await req.writer.drain()
            await asyncio.sleep(1)


@kind("reset", "connection_lost")
async def reset(req: Request) -> None:
    """Resets the connection (RST) without answering."""
    sock = req.writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    req.writer.transport.abort()


@kind("garbage", "protocol_error")
async def garbage(req: Request) -> None:
    """Answers with bytes that are not HTTP (an SSH banner, then binary)."""
    req.writer.write(b"SSH-2.0-OpenSSH_8.4\r\n" + bytes(range(256)) * 8 + b"\x1b[2J\x07")
    await req.writer.drain()


@kind("redirect-loop", "redirect_loop")
async def redirect_loop(req: Request) -> None:
    """/ -> /a -> /b -> /a ..."""
    await _redirect(req, "/b" if req.path == "/a" else "/a")


@kind("meta-refresh-loop", "redirect_loop")
async def meta_refresh_loop(req: Request) -> None:
    """<meta http-equiv=refresh> from / to /next and from /next back to /."""
    target = "/" if req.path.startswith("/next") else "/next"
    meta = f'<meta http-equiv="refresh" content="0; url={target}">'
    await _send(req, f"<html><head>{meta}<title>loop</title></head><body></body></html>".encode())


@kind("nul-bytes", "ok", compliant=True)
async def nul_bytes(req: Request) -> None:
    """NUL bytes in a response header, the title and the footer; a lone surrogate escape."""
    body = page("NUL\x00title &#xD800;", "<p>\x00nul\x00</p>", _index(req))
    headers = (("Content-Type", "text/html; charset=utf-8"), ("Server", b"nginx\x00evil/1.0"))
    await _send(req, body, headers=headers)


@kind("long-url", "ok", compliant=True)
async def long_url(req: Request) -> None:
    """Redirects to a 5,000-character URL on the same site, which answers a page."""
    if req.path == "/":
        await _redirect(req, "/" + "a" * 5000 + "?q=" + "b" * 100)
        return
    await _send(req, page("long url", "<p>the long way</p>", _index(req)))


@kind("deep-nesting", "ok", compliant=True)
async def deep_nesting(req: Request) -> None:
    """A page whose footer sits inside 200,000 nested <div>s."""
    depth = 200_000
    footer = compliant_footer(_index(req)).encode()
    body = (
        b"<!DOCTYPE html><html><head><meta charset='utf-8'><title>deep</title></head><body>"
        + b"<div>" * depth
        + footer
        + b"</div>" * depth
        + b"</body></html>"
    )
    await _send(req, body)


FLOOD_HOSTS = 100_000
_FLOODED = re.compile(r"f(\d+)\.yuncheng\.gov\.cn")


def flooded_host(number: int) -> str:
    """The ``number``-th host a link-flood page lists (this server answers each of them)."""
    return f"f{number}.yuncheng.gov.cn"


@cache
def link_flood_page(index: int) -> bytes:
    links = "".join(f'<a href="http://{flooded_host(i)}/">{i}</a>\n' for i in range(FLOOD_HOSTS))
    return page("links", links, index)


@kind("link-flood", "ok", compliant=True)
async def link_flood(req: Request) -> None:
    """A 4.6 MB page listing 100,000 hosts of the jurisdiction (each answers a page that
    shows no filing notice)."""
    await _send(req, link_flood_page(_index(req)))


async def flooded(req: Request) -> None:
    """A host listed by a link-flood page: a small page without any filing notice."""
    body = f"<html><head><title>{req.host}</title></head><body><p>listed</p></body></html>"
    await _send(req, body.encode())


@kind("huge-title", "ok", compliant=True)
async def huge_title(req: Request) -> None:
    """A 1 MB title and a 100 KB Server header."""
    body = page("t" * (1 << 20), "<p>title</p>", _index(req))
    headers = (("Content-Type", "text/html; charset=utf-8"), ("Server", "s" * 10_000))
    await _send(req, body, headers=headers)


@kind("huge-header", "connection_lost")
async def huge_header(req: Request) -> None:
    """A response header line of 1 MB (Twisted hangs up past its line limit)."""
    req.writer.write(b"HTTP/1.1 200 OK\r\nX-Big: " + b"h" * (1 << 20) + b"\r\n\r\n")
    with contextlib.suppress(Exception):
        await req.writer.drain()


# --- footers kept in other files: read without a browser (audit/page/reading.py) ------------

_NEWS = "<div class='news'><p>全市召开网络安全工作会议，部署近期重点工作。</p></div>"


def _shell(title: str, body: str, charset: str = "utf-8") -> str:
    return (
        f'<!DOCTYPE html><html><head><meta charset="{charset}"><title>{title}</title>'
        f"</head><body>{_NEWS}{body}</body></html>"
    )


async def _send_text(
    req: Request, text: str, kind: str = "text/html", charset: str = "utf-8"
) -> None:
    await _send(
        req, text.encode(charset), headers=(("Content-Type", f"{kind}; charset={charset}"),)
    )


@kind("active-content", "ok", compliant=True)
async def active_content(req: Request) -> None:
    """A compliant page that would act when opened: scripts, handlers, javascript: links, a
    meta refresh, a <base>, frames, objects, remote styles and images, a form (the evidence
    exported of it must be inert)."""
    body = (
        '<base href="http://tracker.invalid/">'
        "<script>document.title='ran';window.__ran=1</script>"
        '<img src="http://tracker.invalid/pixel.gif" onerror="window.__ran=2" alt="像素">'
        '<a href="javascript:window.__ran=3">点我</a>'
        '<div onmouseover="window.__ran=4" style="color:#333">正文内容</div>'
        '<iframe src="http://tracker.invalid/frame.html"></iframe>'
        '<object data="http://tracker.invalid/x.swf"></object><embed src="/x.swf">'
        '<form action="http://tracker.invalid/post" method="post"><input name="q" value="查询">'
        "</form>"
        "<svg><script>window.__ran=5</script></svg>"
    )
    head = (
        '<meta http-equiv="refresh" content="30">'
        '<link rel="stylesheet" href="http://tracker.invalid/site.css">'
    )
    text = page("active", body, _index(req)).decode().replace("</title>", "</title>" + head)
    await _send_text(req, text)


@kind("frameset", "ok", compliant=True)
async def frameset(req: Request) -> None:
    """A homepage that is a <frameset>: the footer is in its bottom frame."""
    if req.path.startswith("/foot.html"):
        await _send_text(req, _shell("foot", compliant_footer(_index(req))))
    elif req.path.startswith("/main.html"):
        await _send_text(req, _shell("main", ""))
    else:
        body = (
            '<html><head><meta charset="utf-8"><title>frameset</title></head>'
            '<frameset rows="*,80"><frame src="/main.html"><frame src="/foot.html"></frameset>'
            "</html>"
        )
        await _send_text(req, body)


@kind("iframe-footer", "ok", compliant=True)
async def iframe_footer(req: Request) -> None:
    """The footer is an <iframe src="/inc/copyright.html"> at the bottom of the page."""
    if req.path.startswith("/inc/copyright.html"):
        await _send_text(req, compliant_footer(_index(req)))
    else:
        frame = (
            '<div class="bottom"><iframe src="/inc/copyright.html" frameborder="0"></iframe></div>'
        )
        await _send_text(req, _shell("iframe", frame))


def _written_footer(index: int) -> str:
    """document.write of the compliant footer, line by line, as CMS footer scripts do."""
    lines = compliant_footer(index).replace("</p>", "</p>\n").split("\n")
    return "".join(f"document.writeln({json.dumps(line, ensure_ascii=False)});\n" for line in lines)


@kind("script-footer", "ok", compliant=True)
async def script_footer(req: Request) -> None:
    """<script src="/js/footer.js"> writes the footer with document.write (UTF-8)."""
    if req.path.startswith("/js/footer.js"):
        await _send_text(req, _written_footer(_index(req)), "application/javascript")
    else:
        await _send_text(req, _shell("script", '<script src="/js/footer.js"></script>'))


@kind("script-footer-gbk", "ok", compliant=True)
async def script_footer_gbk(req: Request) -> None:
    """The same, the page and its footer script in GBK, the script served without a charset."""
    if req.path.startswith("/js/bottom.js"):
        body = _written_footer(_index(req)).encode("gbk")
        await _send(req, body, headers=(("Content-Type", "application/javascript"),))
    else:
        page_ = _shell("script", '<script src="/js/bottom.js"></script>', "gbk")
        await _send_text(req, page_, charset="gbk")


@kind("load-footer", "ok", compliant=True)
async def load_footer(req: Request) -> None:
    """An empty #footer filled by jQuery's $("#footer").load("/inc/footer.html")."""
    if req.path.startswith("/inc/footer.html"):
        await _send_text(req, compliant_footer(_index(req)))
    else:
        script = '<div id="footer"></div><script>$("#footer").load("/inc/footer.html");</script>'
        await _send_text(req, _shell("load", script))


@kind("load-footer-gbk", "ok", compliant=True)
async def load_footer_gbk(req: Request) -> None:
    """The same in GBK: a footer fragment with no <meta charset>, served without a charset."""
    if req.path.startswith("/include/foot.shtml"):
        body = compliant_footer(_index(req)).encode("gbk")
        await _send(req, body, headers=(("Content-Type", "text/html"),))
    else:
        script = (
            '<div class="foot"></div><script>$(function(){$(".foot").load("/include/foot.shtml")})'
            "</script>"
        )
        await _send_text(req, _shell("load", script, "gbk"), charset="gbk")


@kind("compliant", "ok", compliant=True)
async def compliant(req: Request) -> None:
    """An ordinary compliant page that links to another host of the jurisdiction."""
    link = f'<a href="http://{req.server.linked_host}/">友情链接</a>'
    await _send(req, page("compliant", f"<p>{link}</p>", _index(req)))


@kind("redirect-internal", "blocked_address", direct_only=True)
async def redirect_internal(req: Request) -> None:
    """Redirects to the internal server on 127.0.0.1."""
    await _redirect(req, req.server.internal_url)


@kind("meta-internal", "blocked_address", direct_only=True)
async def meta_internal(req: Request) -> None:
    """A meta refresh to the internal server, named ``localhost``."""
    url = req.server.internal_url.replace("127.0.0.1", "localhost")
    meta = f'<meta http-equiv="refresh" content="0; url={url}">'
    await _send(req, f"<html><head>{meta}<title>go</title></head><body></body></html>".encode())


@kind("script-internal", "ok", direct_only=True)
async def script_internal(req: Request) -> None:
    """A page without a filing number whose script pulls the internal page in and navigates
    to it: only a browser would follow, and its requests must be refused too."""
    url = req.server.internal_url
    script = (
        f"<script>fetch({url!r}).then(r=>r.text()).then(t=>{{document.body.innerHTML+=t}});"
        f"setTimeout(function(){{location.href={url!r}}},200);</script>"
    )
    body = f"<html><head><title>script</title></head><body><p>hi</p>{script}</body></html>"
    await _send(req, body.encode())


# --- pages for the browser: what their scripts try, the browser guard must stop ------------


def _script_footer(index: int) -> str:
    """JavaScript that writes the compliant footer into the page."""
    return f"document.body.insertAdjacentHTML('beforeend', {json.dumps(compliant_footer(index))});"


def _script_page(title: str, body: str) -> bytes:
    # No filing number in the served HTML, and scripts: the crawl renders it.
    return f"<html><head><title>{title}</title></head><body>{body}</body></html>".encode()


async def _footer_script(req: Request) -> bool:
    """Answer ``/app.js`` (the script that writes the page's footer: named so that only a
    browser runs it, not the crawl's static reading of footer files); False: another path."""
    if req.path != "/app.js":
        return False
    body = _script_footer(_index(req)).encode()
    await _send(req, body, headers=(("Content-Type", "text/javascript"),))
    return True


@kind("browser-internal", "ok", compliant=True, direct_only=True, browser=True)
async def browser_internal(req: Request) -> None:
    """Scripts that reach for the internal server every way a page can (fetch, XHR, image,
    iframe, script, stylesheet, prefetch, WebSocket, navigation), at 127.0.0.1 and at a name
    of the site's own domain that resolves there; its own /app.js writes its footer."""
    if await _footer_script(req):
        return
    server = req.server
    urls = [server.internal_url, server.internal_url.replace("127.0.0.1", server.internal_name)]
    calls = "".join(
        f"fetch({u!r}).catch(()=>0);"
        f"var x=new XMLHttpRequest();x.open('GET',{u!r});x.send();"
        f"new Image().src={u!r};"
        f"try{{new WebSocket({u.replace('http:', 'ws:')!r})}}catch(e){{}}"
        for u in urls
    )
    tags = "".join(
        f'<img src="{u}"><iframe src="{u}"></iframe><script src="{u}x.js"></script>'
        f'<link rel="stylesheet" href="{u}s.css"><link rel="prefetch" href="{u}p">'
        for u in urls
    )
    script = (
        f'<script src="/app.js"></script><script>{calls}'
        f"onload=function(){{location.href={urls[0]!r}}};</script>"
    )
    await _send(req, _script_page("internal", tags + script))


@kind("browser-udp", "ok", compliant=True, direct_only=True, browser=True)
async def browser_udp(req: Request) -> None:
    """WebRTC (STUN and TURN) and WebTransport, which would use UDP outside any HTTP proxy,
    aimed at the internal UDP port; its own /app.js writes its footer."""
    if await _footer_script(req):
        return
    target = f"127.0.0.1:{req.server.internal_udp_port}"
    script = (
        "<script>var pc = new RTCPeerConnection({iceServers: ["
        f"{{urls: 'stun:{target}'}}, "
        f"{{urls: 'turn:{target}?transport=udp', username: 'u', credential: 'p'}}]}});"
        "pc.createDataChannel('x'); pc.createOffer().then(o => pc.setLocalDescription(o));"
        f"try {{ new WebTransport('https://{target}/').ready.catch(() => 0) }} catch (e) {{}}"
        '</script><script src="/app.js"></script>'
    )
    await _send(req, _script_page("udp", script))


@kind("browser-offsite", "ok", compliant=True, browser=True)
async def browser_offsite(req: Request) -> None:
    """Its footer comes from its own script (/own.js); another site's script, and a fetch to
    that site, would overwrite it."""
    if req.path == "/own.js":
        body = _script_footer(_index(req)).encode()
        await _send(req, body, headers=(("Content-Type", "text/javascript"),))
        return
    other = f"http://{req.server.offsite_host}"
    html = (
        f'<script src="/own.js"></script><script src="{other}/evil.js"></script>'
        f"<script>fetch('{other}/data').then(r=>r.text()).then(t=>"
        "{document.body.innerHTML=t})</script>"
    )
    await _send(req, _script_page("offsite", html))


@kind("offsite-script", "ok", browser=True)
async def offsite_script(req: Request) -> None:
    """Another site's resources: a script that replaces the page with a marker."""
    body = f"document.body.innerHTML = {OFFSITE_MARKER!r};".encode()
    await _send(req, body, headers=(("Content-Type", "text/javascript"),))


@kind("browser-slow", "ok", compliant=True, browser=True)
async def browser_slow(req: Request) -> None:
    """Its footer comes from its own script, which takes ``render_hold`` seconds to arrive:
    the browser is busy that long (to look at its processes)."""
    if req.path == "/slow.js":
        await asyncio.sleep(req.server.render_hold)
        body = _script_footer(_index(req)).encode()
        await _send(req, body, headers=(("Content-Type", "text/javascript"),))
        return
    await _send(req, _script_page("slow", '<script src="/slow.js"></script>'))


@kind("browser-rebind", "blocked_address", direct_only=True, browser=True)
async def browser_rebind(req: Request) -> None:
    """Shows the crawler a page that needs rendering, then sends the browser (its second
    visitor) to a name of its own domain that resolves to the internal server."""
    if req.server.hits.get(req.host, 0) <= 1:
        await _send(req, _script_page("rebind", "<script>var x = 1;</script>"))
        return
    await _redirect(req, req.server.internal_url.replace("127.0.0.1", req.server.internal_name))


@dataclass(frozen=True)
class HostileSite:
    host: str
    kind: str
    index: int

    @property
    def expected(self) -> str:
        return KINDS[self.kind].expected


def hostile_sites(kinds: Sequence[str] | None = None, copies: int = 1) -> list[HostileSite]:
    """Sites named ``<kind>-<n>.hostile.yuncheng.gov.cn`` (served through the proxy)."""
    chosen = kinds or [k for k, v in KINDS.items() if not (v.direct_only or v.browser)]
    return [
        HostileSite(f"{name}-{n}.{SUFFIX}", name, 900 + i * copies + n)
        for i, name in enumerate(chosen)
        for n in range(copies)
    ]


class HostileServer(TestbedServer):
    """The testbed server plus hostile sites; ``also_listen``: loopback addresses answered
    directly (Host header dispatch), for crawls without a proxy."""

    def __init__(
        self,
        testbed: Testbed,
        sites: Sequence[HostileSite],
        *,
        internal_url: str = "http://127.0.0.1:9/",
        internal_name: str = "intranet.yuncheng.gov.cn",
        linked_host: str = "linked.yuncheng.gov.cn",
        offsite_host: str = "static.example-cdn.com",
        render_hold: float = 5.0,
        internal_udp_port: int = 9,
        also_listen: Sequence[str] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(testbed, also_listen=also_listen, **kwargs)
        self.sites = {site.host: site for site in sites}
        self.internal_url = internal_url
        self.internal_name = internal_name  # a name of the sites' domain that leads inward
        self.linked_host = linked_host  # where the compliant page's link leads
        self.offsite_host = offsite_host  # another site, whose resources pages load
        self.render_hold = render_hold
        self.internal_udp_port = internal_udp_port  # an internal service on UDP (127.0.0.1)
        self.hits: dict[str, int] = {}
        self.requests: list[tuple[str, str]] = []  # (host, path) of each hostile request

    def index_of(self, host: str) -> int:
        site = self.sites.get(host)
        return site.index if site else 0

    async def _respond(
        self, head: bytes, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        method, host, path = _request_of(head)
        site = self.sites.get(host)
        if site is None and _FLOODED.fullmatch(host) is None:
            return await super()._respond(head, reader, writer)
        self.hits[host] = self.hits.get(host, 0) + 1
        self.requests.append((host, path))
        handler = KINDS[site.kind].handler if site is not None else flooded
        await handler(Request(method, host, path, self, reader, writer))
        return False


def _request_of(head: bytes) -> tuple[str, str, str]:
    """(method, host without port, path) of a proxy-form or origin-form request."""
    lines = head.split(b"\r\n")
    parts = lines[0].decode("latin-1").split(" ")
    method, target = [*parts, "", ""][:2]
    host = ""
    if "://" in target:
        authority, _, rest = target.split("://", 1)[1].partition("/")
        host, path = authority, "/" + rest
    else:
        path = target
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"host":
                host = value.strip().decode("latin-1")
    if host.startswith("["):
        host = host[1:].split("]", 1)[0]
    elif host.count(":") == 1:
        host = host.split(":", 1)[0]
    return method, host.lower(), path or "/"


@dataclass
class InternalServer:
    """An internal service on a loopback address: counts every request it gets."""

    host: str = "127.0.0.1"
    port: int = 0
    requests: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._sock = socket.socket(
            socket.AF_INET6 if ":" in self.host else socket.AF_INET, socket.SOCK_STREAM
        )
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((self.host, self.port))
        self._sock.listen(64)
        self.port = self._sock.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/secret"

    def _serve(self) -> None:
        body = (
            f"<html><head><title>{INTERNAL_MARKER}</title></head><body>{INTERNAL_MARKER}"
            f"{compliant_footer(1)}</body></html>"
        ).encode()
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(5)
                with contextlib.suppress(OSError):
                    self.requests.append(conn.recv(65536).split(b"\r\n", 1)[0].decode("latin-1"))
                    conn.sendall(_head(200, (("Content-Type", "text/html"),), len(body)) + body)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        self._sock.close()

    def __enter__(self) -> InternalServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
