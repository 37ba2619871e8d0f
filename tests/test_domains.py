"""Hosts and URLs as analysts type them, and registrable domains from the bundled suffix list."""

from __future__ import annotations

import pytest

from audit.config import load_builtin_profile
from audit.page.domains import (
    BadURL,
    in_jurisdiction,
    is_government_host,
    normalise_url,
    registrable_domain,
)

PROFILE = load_builtin_profile("yuncheng")


@pytest.mark.parametrize(
    ("raw", "url", "host"),
    [
        ("www.yuncheng.gov.cn", "http://www.yuncheng.gov.cn/", "www.yuncheng.gov.cn"),
        ("  WWW.YunCheng.gov.cn/ ", "http://www.yuncheng.gov.cn/", "www.yuncheng.gov.cn"),
        (
            "https://www.sxycrb.com/index.html",
            "https://www.sxycrb.com/index.html",
            "www.sxycrb.com",
        ),
        ("http://a.cn:80/", "http://a.cn/", "a.cn"),
        ("http://a.cn:8080", "http://a.cn:8080/", "a.cn"),
        ("http://a.cn/#top", "http://a.cn/", "a.cn"),
        ("运城.中国", "http://xn--uis561k.xn--fiqs8s/", "xn--uis561k.xn--fiqs8s"),
    ],
)
def test_urls_are_normalised(raw: str, url: str, host: str) -> None:
    assert normalise_url(raw) == (url, host)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "empty URL"),
        ("http://", "no host name"),
        ("localhost", "invalid host name"),
        ("ftp://files.example.cn/", "unsupported scheme"),
        ("www.exa mple.cn", "contains spaces"),
        ("http://-bad-.cn/", "invalid host name"),
        ("http://a.cn:99999/", "unparseable URL"),
    ],
)
def test_unusable_urls_say_why(raw: str, reason: str) -> None:
    with pytest.raises(BadURL, match=reason):
        normalise_url(raw)


@pytest.mark.parametrize(
    ("host", "domain"),
    [
        ("www.yuncheng.gov.cn", "yuncheng.gov.cn"),
        ("jyj.yuncheng.gov.cn", "yuncheng.gov.cn"),
        ("news.sx.cn", "news.sx.cn"),  # sx.cn is a public suffix of its own
        ("www.baidu.com", "baidu.com"),
        ("127.0.0.1", "127.0.0.1"),
    ],
)
def test_registrable_domain_uses_the_bundled_public_suffix_list(host: str, domain: str) -> None:
    assert registrable_domain(host) == domain


def test_jurisdiction_and_government_hosts() -> None:
    assert in_jurisdiction("jyj.yuncheng.gov.cn", PROFILE)
    assert not in_jurisdiction("www.taiyuan.gov.cn", PROFILE)
    assert not in_jurisdiction("fakeyuncheng.gov.cn", PROFILE)
    assert is_government_host("www.taiyuan.gov.cn", PROFILE)
    assert not is_government_host("www.ycu.edu.cn", PROFILE)
