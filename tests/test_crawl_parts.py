"""The crawler's pure parts: outcomes from downloader results, and which extra pages to fetch."""

from __future__ import annotations

import pytest
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
)
from twisted.internet import error as tx_error
from twisted.python.failure import Failure

from audit.page.extra_pages import choose_extra_pages
from crawler.outcomes import outcome_of_failure, outcome_of_response


@pytest.mark.parametrize(
    ("status", "squid", "outcome"),
    [
        (200, None, "ok"),
        (404, None, "http_error"),
        (500, None, "http_error"),
        (503, "ERR_DNS_FAIL 0", "dns_error"),
        (503, "ERR_CONNECT_FAIL 111", "refused"),
        (503, "ERR_CONNECT_FAIL 110", "timeout"),
        (504, "ERR_READ_TIMEOUT 0", "timeout"),
        (503, "ERR_SOMETHING_NEW 0", "http_error"),
    ],
)
def test_outcome_of_a_response_reads_the_proxy_error(
    status: int, squid: str | None, outcome: str
) -> None:
    assert outcome_of_response(status, squid) == outcome


@pytest.mark.parametrize(
    ("exc", "outcome"),
    [
        (CannotResolveHostError("no.such.host"), "dns_error"),
        (tx_error.DNSLookupError("no.such.host"), "dns_error"),
        (DownloadConnectionRefusedError("refused"), "refused"),
        (tx_error.ConnectionRefusedError(), "refused"),
        (DownloadTimeoutError("took longer than 5 seconds"), "timeout"),
        (
            DownloadCancelledError(
                "Expected to receive 8388608 bytes which is larger than download max size (5242880)"
            ),
            "too_large",
        ),
        (IgnoreRequest("Forbidden by robots.txt"), "robots_denied"),
        (tx_error.ConnectionLost(), "connection_lost"),
        (ValueError("something else"), "error"),
    ],
)
def test_outcome_of_a_failure(exc: Exception, outcome: str) -> None:
    found, message = outcome_of_failure(Failure(exc))
    assert found == outcome
    assert type(exc).__name__ in message


def test_too_many_redirects_is_a_loop_only_when_a_url_repeats() -> None:
    failure = Failure(IgnoreRequest("max redirections reached"))
    loop = ["http://a.cn/", "http://a.cn/a", "http://a.cn/b", "http://a.cn/a"]
    chain = [f"http://a.cn/{i}" for i in range(11)]
    assert outcome_of_failure(failure, loop)[0] == "redirect_loop"
    assert outcome_of_failure(failure, chain)[0] == "too_many_redirects"


LINKS = [
    ("http://www.a.gov.cn/", "首页"),
    ("http://www.a.gov.cn/index.html", "首页"),
    ("http://www.a.gov.cn/news/1.html", "新闻一"),
    ("http://www.a.gov.cn/files/plan.pdf", "规划"),
    ("http://www.other.cn/", "友情链接"),
    ("http://www.a.gov.cn/lxwm/index.html", "联系我们"),
    ("http://www.a.gov.cn/news/2.html", "新闻二"),
    ("http://a.gov.cn/gywm/", "关于我们"),  # the same website without www.
    ("http://jyj.a.gov.cn/gywm/", "关于我们"),  # another department: another site
    ("http://www.a.gov.cn/news/1.html#c", "新闻一"),
]


def test_about_and_contact_pages_come_first_then_document_order() -> None:
    chosen = choose_extra_pages(
        LINKS,
        site_host="www.a.gov.cn",
        final_url="http://www.a.gov.cn/",
        limit=3,
        priority_words=("关于", "联系", "about", "contact"),
    )
    assert chosen == [
        "http://www.a.gov.cn/lxwm/index.html",
        "http://a.gov.cn/gywm/",
        "http://www.a.gov.cn/news/1.html",
    ]


def test_no_extra_pages_when_the_limit_is_zero() -> None:
    assert (
        choose_extra_pages(
            LINKS,
            site_host="www.a.gov.cn",
            final_url="http://www.a.gov.cn/",
            limit=0,
            priority_words=(),
        )
        == []
    )


def test_the_size_cap_counts_each_attempt_of_a_request_afresh() -> None:
    from scrapy import Request
    from scrapy.exceptions import StopDownload

    from crawler.extensions import SizeCap

    cap = SizeCap(cap=10)
    first = Request("http://a.cn/")
    cap.bytes_received(b"x" * 6, first, None)
    retry = first.replace()  # what RetryMiddleware sends: a copy, meta included
    cap.bytes_received(b"x" * 6, retry, None)  # 6 bytes of this attempt: under the cap
    with pytest.raises(StopDownload) as stop:
        cap.bytes_received(b"x" * 6, first, None)
    assert stop.value.fail is False  # keep what arrived: the snapshot's evidence
