"""Turn what the downloader saw into a snapshot outcome (see ``audit/outcomes.py`` for the
list). Pure functions, no Scrapy engine.

Through a forward proxy, upstream failures arrive as the proxy's error page;
Squid (the usual organisational proxy) names them in ``X-Squid-Error``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

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
from twisted.web._newclient import ParseError

from audit.outcomes import OUTCOMES as OUTCOMES

if TYPE_CHECKING:
    from scrapy import Request

_SQUID = {
    "ERR_DNS_FAIL": "dns_error",
    "ERR_CONNECT_FAIL": "refused",
    "ERR_READ_TIMEOUT": "timeout",
    "ERR_LIFETIME_EXP": "timeout",
    "ERR_SECURE_CONNECT_FAIL": "tls_error",
    "ERR_TOO_BIG": "too_large",
}
_MESSAGE_LIMIT = 300


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


def failed_request(failure: Failure) -> Request:
    """The request whose errback got ``failure``."""
    return failure.request  # type: ignore[attr-defined]  # Scrapy sets it; Twisted does not declare it


def outcome_of_failure(
    failure: Failure, redirect_urls: Sequence[str] = (), *, refusal: str | None = None
) -> tuple[str, str]:
    """(outcome, one short line) for a request that got no usable response.

    ``refusal``: why the address guard gave the request's host no address, if it did
    (``crawler.resolver.refusal_for``): a lookup with no result is then ``blocked_address``.
    """
    exc = failure.value
    assert exc is not None  # a Failure is built from an exception
    causes = list(_causes(exc))
    if refusal and any(isinstance(c, CannotResolveHostError | tx_error.DNSLookupError)
                       for c in causes):  # fmt: skip
        return "blocked_address", f"not fetched: {refusal}"
    message = _short(f"{type(exc).__name__}: {exc}".strip())
    if any(isinstance(c, ParseError) for c in causes):
        return "protocol_error", "the server's answer is not HTTP"
    for cause in causes:
        found = _outcome_of_exception(cause, redirect_urls)
        if found is not None:
            return found, message
    return "error", message


def _outcome_of_exception(exc: BaseException, redirect_urls: Sequence[str]) -> str | None:
    if isinstance(exc, CannotResolveHostError | tx_error.DNSLookupError):
        return "dns_error"
    if isinstance(exc, DownloadConnectionRefusedError | tx_error.ConnectionRefusedError):
        return "refused"
    if isinstance(exc, DownloadTimeoutError | tx_error.TimeoutError | tx_error.TCPTimedOutError):
        return "timeout"
    if isinstance(exc, DownloadCancelledError) and "max size" in str(exc):
        return "too_large"
    if isinstance(exc, IgnoreRequest):
        text = str(exc)
        if "max redirections" in text:
            looped = len(set(redirect_urls)) < len(redirect_urls)
            return "redirect_loop" if looped else "too_many_redirects"
        if "robots.txt" in text:
            return "robots_denied"
    if _is_tls(exc):
        return "tls_error"
    if isinstance(
        exc,
        ResponseDataLossError
        | tx_error.ConnectionLost
        | tx_error.ConnectionDone
        | tx_error.ConnectError,
    ):
        return "connection_lost"
    return None


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception, what it wraps (Scrapy re-raises Twisted's errors ``from`` them), and
    the reasons a ResponseFailed / ResponseNeverReceived carries."""
    seen: set[int] = set()
    stack = [exc]
    while stack:
        current = stack.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        if current.__cause__ is not None:
            stack.append(current.__cause__)
        for reason in getattr(current, "reasons", None) or ():
            value = getattr(reason, "value", None)
            if isinstance(value, BaseException):
                stack.append(value)


def _short(text: str) -> str:
    """One line, bounded: a hostile server's bytes end up in the message (and the log)."""
    line = " ".join(text.split())
    return line if len(line) <= _MESSAGE_LIMIT else line[: _MESSAGE_LIMIT - 1] + "…"


def _is_tls(exc: BaseException) -> bool:
    try:
        from OpenSSL.SSL import Error as SSLError
    except ImportError:  # pragma: no cover - pyOpenSSL comes with Scrapy
        return False
    if isinstance(exc, SSLError):
        return True
    reasons = getattr(exc, "reasons", None) or []
    return any(isinstance(getattr(r, "value", None), SSLError) for r in reasons)
