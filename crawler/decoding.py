"""Content-Encoding decoded with a cap on the decoded size: decompression bombs are cut.

The size cap on the wire (``crawler.extensions.SizeCap``) does not see a 1.6 KB brotli
answer that decodes to 1 GiB. Scrapy's HttpCompressionMiddleware can stop at
DOWNLOAD_MAXSIZE but then drops the response; an audit wants what a bomb's first bytes
show, and the outcome ``too_large``. So decoding stops at the cap and keeps what it has,
for every coding Scrapy decodes (gzip, x-gzip, deflate, br, zstd), stacked or not.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import brotli
from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.http import Response, TextResponse
from scrapy.responsetypes import responsetypes

DECODED_CUT_FLAG = "decoded_cut"
_CHUNK = 64 * 1024
_KNOWN = (b"gzip", b"x-gzip", b"deflate", b"br", b"zstd")


@dataclass(frozen=True)
class Decoded:
    body: bytes
    cut: bool  # the decoded body reached the cap: what follows was not decoded
    undecoded: tuple[bytes, ...]  # codings left as they were (unknown, or after a failure)


def decode_bounded(body: bytes, codings: Sequence[bytes], cap: int) -> Decoded:
    """Undo ``codings`` (as listed in Content-Encoding: applied left to right) from the
    last to the first, each step stopping at ``cap`` decoded bytes."""
    pending = [c.strip().lower() for c in codings if c.strip().lower() not in (b"", b"identity")]
    cut = False
    while pending and pending[-1] in _KNOWN:
        try:
            body, step_cut = _decode(body, pending[-1], cap)
        except (zlib.error, brotli.error, OSError, ValueError, EOFError):
            break  # a corrupt body stays encoded; the page reads as binary
        pending.pop()
        cut = cut or step_cut
    return Decoded(body, cut, tuple(pending))


def _decode(body: bytes, coding: bytes, cap: int) -> tuple[bytes, bool]:
    if coding in (b"gzip", b"x-gzip"):
        return _inflate(body, cap, wbits=47, members=True)  # 47: gzip or zlib header
    if coding == b"deflate":
        try:
            return _inflate(body, cap, wbits=15)
        except zlib.error:  # raw deflate, as some Microsoft servers send
            return _inflate(body, cap, wbits=-15)
    if coding == b"br":
        return _unbrotli(body, cap)
    return _unzstd(body, cap)


def _inflate(data: bytes, cap: int, *, wbits: int, members: bool = False) -> tuple[bytes, bool]:
    out = bytearray()
    while data:
        decompressor = zlib.decompressobj(wbits)
        chunk = decompressor.decompress(data, cap + 1 - len(out))
        out += chunk
        while decompressor.unconsumed_tail and len(out) <= cap and not decompressor.eof:
            out += decompressor.decompress(decompressor.unconsumed_tail, cap + 1 - len(out))
        if len(out) > cap:
            return bytes(out[:cap]), True
        # gzip allows several members one after the other; stop at trailing garbage
        data = decompressor.unused_data if members and decompressor.eof else b""
        if data and not data.startswith(b"\x1f\x8b"):
            break
    return bytes(out), False


def _unbrotli(data: bytes, cap: int) -> tuple[bytes, bool]:
    decompressor = brotli.Decompressor()
    out = bytearray(decompressor.process(data, output_buffer_limit=min(_CHUNK, cap + 1)))
    while len(out) <= cap and not decompressor.is_finished():
        chunk = decompressor.process(b"", output_buffer_limit=min(_CHUNK, cap + 1 - len(out)))
        if not chunk:
            break
        out += chunk
    return (bytes(out[:cap]), True) if len(out) > cap else (bytes(out), False)


def _unzstd(data: bytes, cap: int) -> tuple[bytes, bool]:
    import io
    import sys

    if sys.version_info >= (3, 14):  # pragma: no cover
        from compression import zstd
    else:
        from backports import zstd

    reader = zstd.ZstdFile(io.BytesIO(data))
    out = bytearray()
    try:
        while len(out) <= cap:
            chunk = reader.read(min(_CHUNK, cap + 1 - len(out)))
            if not chunk:
                break
            out += chunk
    except EOFError:
        pass  # a truncated stream: keep what decoded
    return (bytes(out[:cap]), True) if len(out) > cap else (bytes(out), False)


class BoundedDecompression(HttpCompressionMiddleware):
    """Scrapy's HttpCompressionMiddleware (it asks for gzip, deflate, br, zstd), decoding
    at most DOWNLOAD_SIZE_CAP bytes; a cut response is flagged ``decoded_cut``."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler=crawler)
        self.cap = crawler.settings.getint("DOWNLOAD_SIZE_CAP") or 5 * 1024 * 1024

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BoundedDecompression:
        return cls(crawler)

    def process_response(
        self, request: Request, response: Response, spider: Any = None
    ) -> Request | Response:
        codings = response.headers.getlist("Content-Encoding")
        if request.method == "HEAD" or not codings:
            return response
        listed = [c for value in codings for c in value.split(b",")]
        decoded = decode_bounded(response.body, listed, self.cap)
        if self.stats:
            self.stats.inc_value("httpcompression/response_bytes", len(decoded.body))
            self.stats.inc_value("httpcompression/response_count")
        kwargs: dict[str, Any] = {"body": decoded.body}
        respcls = responsetypes.from_args(
            headers=response.headers, url=response.url, body=decoded.body
        )
        if issubclass(respcls, TextResponse):
            kwargs["encoding"] = None  # as Scrapy does: guess the encoding again
        flags = [*response.flags, DECODED_CUT_FLAG] if decoded.cut else response.flags
        response = response.replace(cls=respcls, flags=flags, **kwargs)
        if decoded.undecoded:
            response.headers["Content-Encoding"] = b", ".join(decoded.undecoded)
        else:
            del response.headers["Content-Encoding"]
        return response
