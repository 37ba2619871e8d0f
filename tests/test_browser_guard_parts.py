"""The browser guard's pure parts: which requests a page may make, how the guard proxy reads
a request and picks its upstream, Chromium's flags, account and environment. No browser."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from audit.config import load_settings
from audit.services.crawl_process import with_proxy
from crawler.browser import launch_options, off_site, site_domains
from crawler.chromium_launcher import browser_environment, user_data_dir
from crawler.guard_proxy import ProxyRequest, forwarded_head, parse_request, upstream_for
from crawler.render import CHROMIUM_ARGS, binary_behind, egress_args
from crawler.sandbox import Account, browser_account, seccomp_supported

# --- which requests a page may make ----------------------------------------------------------


def test_a_page_may_fetch_from_its_own_registrable_domain_only() -> None:
    sites = site_domains("http://www.yuncheng.gov.cn/index.html", "www.yuncheng.gov.cn")
    assert sites == {"yuncheng.gov.cn"}
    assert off_site("http://www.yuncheng.gov.cn/footer.js", sites) is None
    assert off_site("https://static.yuncheng.gov.cn:8443/a.css", sites) is None
    assert off_site("wss://chat.yuncheng.gov.cn/ws", sites) is None
    assert off_site("http://cdn.example.com/jquery.js", sites) == "cdn.example.com is another site"
    assert off_site("http://127.0.0.1:8080/", sites) == "127.0.0.1 is another site"
    assert off_site("http://[::1]/", sites) == "::1 is another site"
    assert off_site("ftp://www.yuncheng.gov.cn/", sites) == "ftp: is not fetched"


def test_a_site_that_moved_keeps_both_domains() -> None:
    """The render opens the URL the crawl ended on, after the site's redirects."""
    sites = site_domains("https://www.new-name.cn/", "www.old-name.gov.cn")
    assert sites == {"new-name.cn", "old-name.gov.cn"}


def test_an_ip_address_site_is_its_own_domain() -> None:
    sites = site_domains("http://203.0.113.5/", "203.0.113.5")
    assert off_site("http://203.0.113.5:81/x.js", sites) is None
    assert off_site("http://203.0.113.6/", sites) == "203.0.113.6 is another site"


# --- the guard proxy's requests ---------------------------------------------------------------


def test_proxy_requests_are_read_in_both_forms() -> None:
    get = parse_request(b"GET http://WWW.Example.gov.cn:8080/a?b=1 HTTP/1.1\r\nHost: x\r\nX: y")
    assert (get.method, get.host, get.port, get.path) == (
        "GET",
        "www.example.gov.cn",
        8080,
        "/a?b=1",
    )
    assert get.header("x") == "y"
    tunnel = parse_request(b"CONNECT [::1]:443 HTTP/1.1\r\nHost: [::1]:443")
    assert (tunnel.method, tunnel.host, tunnel.port) == ("CONNECT", "::1", 443)
    not_proxy_requests = [
        b"GET /origin-form HTTP/1.1",
        b"GET https://a.cn/ HTTP/1.1",
        b"CONNECT a.cn HTTP/1.1",
        b"nonsense",
        b"GET http://a.cn/ HTTP/1.1\r\nno colon",
    ]
    for bad in not_proxy_requests:
        with pytest.raises(ValueError):
            parse_request(bad)


def test_the_forwarded_request_drops_this_hops_headers() -> None:
    request = parse_request(
        b"GET http://a.cn/x HTTP/1.1\r\nHost: a.cn\r\nProxy-Connection: keep-alive\r\n"
        b"Connection: keep-alive\r\nAccept: */*"
    )
    assert forwarded_head(request, absolute=False) == (
        b"GET /x HTTP/1.1\r\nHost: a.cn\r\nAccept: */*\r\nConnection: close\r\n\r\n"
    )
    upstream = forwarded_head(request, absolute=True, auth="Basic dTpw")
    assert upstream.startswith(b"GET http://a.cn/x HTTP/1.1\r\n")
    assert b"Proxy-Authorization: Basic dTpw\r\n" in upstream


def test_the_upstream_is_the_runs_proxy_else_the_variables() -> None:
    env = {"http_proxy": "http://squid:3128", "HTTPS_PROXY": "http://squid:3129",
           "no_proxy": "intranet.cn,.local.cn"}  # fmt: skip
    assert upstream_for("http", "a.cn", "http://given:8080", env) == "http://given:8080"
    assert upstream_for("http", "a.cn", None, env) == "http://squid:3128"
    assert upstream_for("https", "a.cn", None, env) == "http://squid:3129"
    assert upstream_for("http", "www.intranet.cn", None, env) is None
    assert upstream_for("http", "x.local.cn", None, env) is None
    assert upstream_for("http", "a.cn", None, {}) is None


def test_a_proxy_request_knows_its_headers() -> None:
    request = ProxyRequest(
        "GET", "a.cn", 80, "http://a.cn/", "/", "HTTP/1.1", (("Content-Length", "3"),)
    )
    assert request.header("content-length") == "3" and request.header("host") is None


def test_the_runs_proxy_is_a_setting_the_browser_reads(tmp_path: Path) -> None:
    """--proxy, and the proxy a resumed run started with, go into [crawl] proxy: where the
    crawler's requests and the browser's guard proxy both find it."""
    config = tmp_path / "beian.toml"
    config.write_text('[crawl]\nproxy = "http://from-file:3128"\n', "utf-8")
    settings = load_settings(config)
    assert with_proxy(settings, "http://given:8080").crawl.proxy == "http://given:8080"
    assert with_proxy(settings, None) is settings


# --- Chromium's flags, account and environment --------------------------------------------------


def test_every_background_service_is_off_and_the_guard_is_the_only_egress() -> None:
    args = [*CHROMIUM_ARGS, *egress_args("http://127.0.0.1:4321")]
    for flag in ("--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-domain-reliability", "--disable-breakpad", "--metrics-recording-only",
                 "--disable-field-trial-config", "--disable-default-apps", "--no-pings",
                 "--proxy-server=http://127.0.0.1:4321", "--disable-quic"):  # fmt: skip
        assert flag in args
    features = next(a for a in args if a.startswith("--disable-features=")).split("=", 1)[1]
    for feature in ("OptimizationHints", "Translate", "MediaRouter", "NetworkTimeServiceQuerying",
                    "CertificateTransparencyComponentUpdater"):  # fmt: skip
        assert feature in features.split(",")
    assert len([a for a in args if a.startswith("--disable-features=")]) == 1  # the last one wins
    assert "--proxy-bypass-list=<-loopback>;*.invalid" in args  # loopback through the guard too
    assert "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1" in args
    assert not any("--no-sandbox" in a for a in args)


def test_launch_options_put_the_launcher_in_chromiums_place() -> None:
    options = launch_options(
        {"executable_path": "/usr/lib/chromium/chromium", "headless": True, "args": ["--a"]},
        launcher=Path("/tmp/x/chromium"), chromium="/usr/lib/chromium/chromium",
        account=Account("nobody", 65534, 65534), sandbox=True, guard_url="http://127.0.0.1:9",
        environ={"LANG": "C.UTF-8", "GOOGLE_API_KEY": "k", "http_proxy": "http://p:1"},
    )  # fmt: skip
    assert options["executable_path"] == "/tmp/x/chromium"
    assert options["args"][:2] == ["--a", "--proxy-server=http://127.0.0.1:9"]
    assert options["env"] == {
        "LANG": "C.UTF-8",
        "BEIAN_CHROMIUM": "/usr/lib/chromium/chromium",
        "BEIAN_BROWSER_USER": "nobody",
    }
    assert options["chromium_sandbox"] is True


def test_chromium_gets_an_environment_of_its_own() -> None:
    argv = ["--headless", "--user-data-dir=/tmp/playwright_chromiumdev_profile-1", "--x"]
    assert user_data_dir(argv) == "/tmp/playwright_chromiumdev_profile-1"
    env = browser_environment(
        {"LANG": "zh_CN.UTF-8", "GOOGLE_API_KEY": "k", "https_proxy": "http://p:1", "TZ": "X"},
        home="/tmp/profile",
    )
    assert env == {
        "LANG": "zh_CN.UTF-8", "TZ": "X", "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": "/tmp/profile", "XDG_CONFIG_HOME": "/tmp/profile/.config",
        "XDG_CACHE_HOME": "/tmp/profile/.cache",
    }  # fmt: skip


def test_chromium_never_runs_as_root() -> None:
    assert browser_account("nobody", euid=1000).name is None  # not root: the crawl's own account
    nobody = browser_account("nobody", euid=0)
    assert nobody.name == "nobody" and nobody.uid != 0
    with pytest.raises(ValueError, match="does not exist"):
        browser_account("no-such-user-beian", euid=0)
    with pytest.raises(ValueError, match="is root"):
        browser_account("root", euid=0)


def test_seccomp_is_read_from_proc_status() -> None:
    assert seccomp_supported("Name:\tx\nSeccomp:\t0\nSeccomp_filters:\t0\n")
    assert not seccomp_supported("Name:\tx\nNoNewPrivs:\t0\n")


@pytest.mark.skipif(not os.path.isfile("/usr/lib/chromium/chromium"), reason="Debian's chromium")
def test_debians_wrapper_script_is_not_run() -> None:
    """/usr/bin/chromium loads Google API keys and extensions from /etc/chromium.d."""
    assert binary_behind("/usr/bin/chromium") == "/usr/lib/chromium/chromium"
    assert binary_behind("/usr/lib/chromium/chromium") == "/usr/lib/chromium/chromium"
