"""Turn what the downloader saw into a snapshot outcome. Pure functions, no Scrapy engine.

Outcomes: ok, http_error, dns_error, refused, timeout, tls_error, too_large,
redirect_loop, too_many_redirects, connection_lost, robots_denied, not_html, error.
Through a forward proxy, upstream failures arrive as the proxy's error page;
Squid (the usual organisational proxy) names them in ``X-Squid-Error``.
"""

from __future__ import annotations

from collections.abc import Sequence

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from twisted.internet import error as tx_error
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseNeverReceived

OUTCOMES = (
    "ok",
    "http_error",
    "dns_error",
    "refused",
    "timeout",
    "tls_error",
    "too_large",
    "redirect_loop",
    "too_many_redirects",
    "connection_lost",
    "robots_denied",
    "not_html",
    "error",
)

_SQUID = {
    "ERR_DNS_FAIL": "dns_error",
    "ERR_CONNECT_FAIL": "refused",
    "ERR_READ_TIMEOUT": "timeout",
    "ERR_LIFETIME_EXP": "timeout",
    "ERR_SECURE_CONNECT_FAIL": "tls_error",
    "ERR_TOO_BIG": "too_large",
}


def outcome_of_response(status: int, squid_error: str | None = None) -> str:
    """Outcome of a response that arrived (possibly the proxy's own error page)."""
    if squid_error:
        code, _, errno = squid_error.strip().partition(" ")
        if code == "ERR_CONNECT_FAIL" and errno.strip() == "110":
            return "timeout"
        if code in _SQUID:
            return _SQUID[code]
    if 200 <= status < 300:
        return "ok"
    return "http_error"


def outcome_of_failure(failure: Failure, redirect_urls: Sequence[str] = ()) -> tuple[str, str]:
    """(outcome, one-line error) for a request that got no usable response."""
    exc = failure.value
    message = f"{type(exc).__name__}: {exc}".strip()
    if isinstance(exc, CannotResolveHostError | tx_error.DNSLookupError):
        return "dns_error", message
    if isinstance(exc, DownloadConnectionRefusedError | tx_error.ConnectionRefusedError):
        return "refused", message
    if isinstance(exc, DownloadTimeoutError | tx_error.TimeoutError | tx_error.TCPTimedOutError):
        return "timeout", message
    if isinstance(exc, DownloadCancelledError) and "max size" in str(exc):
        return "too_large", message
    if isinstance(exc, IgnoreRequest):
        text = str(exc)
        if "max redirections" in text:
            looped = len(set(redirect_urls)) < len(redirect_urls)
            return ("redirect_loop" if looped else "too_many_redirects"), message
        if "robots.txt" in text:
            return "robots_denied", message
    if _is_tls(exc):
        return "tls_error", message
    if isinstance(
        exc,
        ResponseDataLossError
        | ResponseNeverReceived
        | tx_error.ConnectionLost
        | tx_error.ConnectionDone
        | tx_error.ConnectError,
    ):
        return "connection_lost", message
    return "error", message


def _is_tls(exc: BaseException) -> bool:
    try:
        from OpenSSL.SSL import Error as SSLError
    except ImportError:  # pragma: no cover - pyOpenSSL comes with Scrapy
        return False
    if isinstance(exc, SSLError):
        return True
    reasons = getattr(exc, "reasons", None) or []
    return any(isinstance(getattr(r, "value", None), SSLError) for r in reasons)
