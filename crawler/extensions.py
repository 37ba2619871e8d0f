"""Crawler extensions."""

from __future__ import annotations

from typing import Any
from weakref import WeakKeyDictionary

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured, StopDownload

from crawler.decoding import DECODED_CUT_FLAG

TOO_LARGE_FLAG = "download_stopped"


class SizeCap:
    """Stop reading a response at DOWNLOAD_SIZE_CAP bytes, keeping what arrived.

    Scrapy's DOWNLOAD_MAXSIZE discards an oversized response (often before any byte,
    from its Content-Length); an audit wants its status, headers and first bytes as
    evidence, and the snapshot outcome ``too_large``.
    """

    def __init__(self, cap: int) -> None:
        self.cap = cap
        # Per request object, not in request.meta: a retried request copies its meta, and
        # would start counting from what the failed attempt had received.
        self.received: WeakKeyDictionary[Request, int] = WeakKeyDictionary()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SizeCap:
        cap = crawler.settings.getint("DOWNLOAD_SIZE_CAP")
        if cap <= 0:
            raise NotConfigured
        extension = cls(cap)
        crawler.signals.connect(extension.bytes_received, signal=signals.bytes_received)
        return extension

    def bytes_received(self, data: bytes, request: Request, spider: Any) -> None:
        received = self.received.get(request, 0) + len(data)
        self.received[request] = received
        if received > self.cap:
            raise StopDownload(fail=False)


def cut_reason(response: Any, cap: int) -> str | None:
    """Why a response was cut: by SizeCap on the wire (Scrapy flags it ``download_stopped``)
    or while decoding its Content-Encoding (crawler.decoding); None when it is whole."""
    flags = response.flags or []
    if TOO_LARGE_FLAG in flags:
        return f"response cut at {cap} bytes"
    if DECODED_CUT_FLAG in flags:
        return f"decoded body cut at {cap} bytes (Content-Encoding bomb or very large page)"
    return None
