"""Chromium for the crawl, kept in check: scrapy-playwright's download handler, guarded.

A rendered page runs a stranger's scripts. Four layers keep them to the page's own site:

1. **Flags** (``crawler/render.py``): Chromium's own services (updates, sign-in, optimization
   guide, safe browsing, metrics, field trials, translate, crash reports) are off.
2. **Egress**: Chromium's only way out is this crawl's guard proxy (``crawler/guard_proxy.py``);
   it resolves no name itself. The guard admits only the sites being rendered now, checks
   each address with the crawler's address policy and connects to the address it checked;
   it chains to the run's proxy when there is one (``--proxy``, ``[crawl] proxy``, or the
   ``http_proxy`` variables), which then decides as it does for the crawler.
3. **Interception**: each page's requests are routed here first: a request outside the
   page's registrable domain (another site's script, a fetch to ``127.0.0.1``, a navigation
   away by JavaScript, a WebSocket) is aborted; the rest go on to the guard. Service workers
   are blocked (their requests would escape the page's routes), popups stay blocked.
4. **Account and sandbox** (``crawler/sandbox.py``, ``crawler/chromium_launcher.py``): a crawl
   started as root runs Chromium as ``[crawl] browser_user``; Chromium's sandbox is on
   when the kernel lets that account create user namespaces, else ``--no-sandbox`` with a
   warning.

When the guard refuses the address of the page's own navigation, the request's meta says
why (``browser_refusal``): the spider records the snapshot as ``blocked_address``.
"""

from __future__ import annotations

import logging
import os
import shlex
import shutil
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from playwright.async_api import Page, Route, WebSocketRoute
from playwright.async_api import Request as BrowserRequest
from playwright.async_api import Response as BrowserResponse
from scrapy import Request, version_info
from scrapy.crawler import Crawler
from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler

from audit.page.addresses import AddressPolicy
from audit.page.domains import registrable_domain
from crawler import chromium_launcher
from crawler.guard_proxy import REASON_HEADER, Destinations, GuardProxy
from crawler.render import egress_args
from crawler.sandbox import Account, browser_account, probe, warn_once

logger = logging.getLogger(__name__)

# New contexts (one per browser here): no service workers, no files saved.
CONTEXT_OPTIONS: dict[str, Any] = {"service_workers": "block", "accept_downloads": False}
REFUSAL_KEY = "browser_refusal"  # in a render request's meta: why the guard refused its page
_ASYNC_API = version_info >= (2, 14)


def site_domains(page_url: str, site_host: str) -> frozenset[str]:
    """The registrable domains a page may fetch from: its own (after the redirects the crawl
    followed) and its site's."""
    hosts = {urlsplit(page_url).hostname or "", site_host.strip("[]").lower()}
    return frozenset(registrable_domain(host) for host in hosts if host)


def off_site(url: str, sites: frozenset[str]) -> str | None:
    """Why a page whose sites are ``sites`` may not request ``url`` (None: it may)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https", "ws", "wss"):
        return f"{parts.scheme}: is not fetched"
    host = parts.hostname or ""
    if registrable_domain(host) not in sites:
        return f"{host} is another site"
    return None


def launcher_script(directory: Path) -> Path:
    """A ``chromium`` for Playwright to start: the launcher, run by this Python."""
    script = directory / "chromium"
    command = [sys.executable, "-I", "-S", chromium_launcher.__file__]
    script.write_text("#!/bin/sh\nexec " + shlex.join(command) + ' "$@"\n', "utf-8")
    script.chmod(0o755)
    return script


def launch_options(
    base: Mapping[str, Any],
    *,
    launcher: Path,
    chromium: str,
    account: Account,
    sandbox: bool,
    guard_url: str,
    environ: Mapping[str, str],
) -> dict[str, Any]:
    """Playwright's launch options: the launcher in Chromium's place, the guard as egress."""
    env = {k: v for k, v in environ.items() if k in chromium_launcher.KEPT_VARIABLES}
    env |= {"BEIAN_CHROMIUM": chromium, "BEIAN_BROWSER_USER": account.name or ""}
    return {
        **base,
        "executable_path": str(launcher),
        "args": [*base.get("args", ()), *egress_args(guard_url)],
        "env": env,
        "chromium_sandbox": sandbox,  # False: Playwright adds --no-sandbox
    }


class GuardedPlaywrightHandler(ScrapyPlaywrightDownloadHandler):
    """scrapy-playwright's handler with this crawl's guard proxy, launcher and page routes."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        crawl = crawler.settings["BEIAN_SETTINGS"].crawl
        account = browser_account(crawl.browser_user)
        sandbox = probe(account)
        if not sandbox.available:
            warn_once(sandbox.reason)
        self.destinations = Destinations()
        self.guard = GuardProxy(
            AddressPolicy.from_settings(crawl.allow_private),
            destinations=self.destinations,
            fixed=crawl.resolve,
            upstream=crawl.proxy,
            connect_timeout=crawl.timeout,
            idle_timeout=crawl.render_timeout,
        )
        self.guard.start()
        self.directory = Path(tempfile.mkdtemp(prefix="beian-chromium-"))
        self.config.launch_options = launch_options(
            self.config.launch_options,
            launcher=launcher_script(self.directory),
            chromium=self.config.launch_options["executable_path"],
            account=account,
            sandbox=sandbox.available,
            guard_url=self.guard.url,
            environ=os.environ,
        )
        logger.debug(
            "browser: %s as %s, sandbox %s, egress %s",
            crawler.settings.get("BEIAN_BROWSER"), account.name or "this user",
            "on" if sandbox.available else "off", self.guard.url,
        )  # fmt: skip

    def _guarded(self, request: Request) -> None:
        if request.meta.get("playwright"):
            request.meta["playwright_context_kwargs"] = CONTEXT_OPTIONS
            request.meta["playwright_page_init_callback"] = self.guard_page

    if _ASYNC_API:

        async def download_request(self, request: Request) -> Any:
            self._guarded(request)
            return await super().download_request(request)

        async def close(self) -> None:
            try:
                await super().close()
            finally:
                self._close_guard()

    else:  # pragma: no cover - Scrapy before 2.14

        def download_request(self, request: Request, spider: Any) -> Any:
            self._guarded(request)
            return super().download_request(request, spider)

        def close(self) -> Any:
            closing = super().close()
            closing.addBoth(lambda result: (self._close_guard(), result)[1])
            return closing

    def _close_guard(self) -> None:
        self.guard.stop()
        shutil.rmtree(self.directory, ignore_errors=True)

    async def guard_page(self, page: Page, request: Request) -> None:
        """Before the page navigates: its sites open in the guard, its routes in place."""
        sites = site_domains(request.url, request.meta.get("site") or "")
        self.destinations.open(sites)
        page.once("close", lambda _page: self.destinations.close(sites))
        try:
            await page.route("**", _routed(page, sites, self.crawler.stats))
            await page.route_web_socket("**", _websocket_routed(sites))
            page.on("response", lambda response: self._note_refused(page, request, response))
            page.on("requestfailed", lambda failed: self._note_failed(page, request, failed))
        except Exception:
            await page.close()  # never an unguarded page
            raise

    def _note_refused(self, page: Page, request: Request, response: BrowserResponse) -> None:
        reason = response.headers.get(REASON_HEADER.lower())
        if reason and _main_navigation(page, response.request):
            request.meta[REFUSAL_KEY] = reason

    def _note_failed(self, page: Page, request: Request, failed: BrowserRequest) -> None:
        # A refused CONNECT (https) fails the navigation: the guard knows why.
        if _main_navigation(page, failed):
            reason = self.guard.refusal_for(urlsplit(failed.url).hostname or "")
            if reason:
                request.meta[REFUSAL_KEY] = reason


def _main_navigation(page: Page, request: BrowserRequest) -> bool:
    try:
        return request.is_navigation_request() and request.frame == page.main_frame
    except Exception:  # a service worker's request has no frame
        return False


def _routed(page: Page, sites: frozenset[str], stats: Any) -> Any:
    async def route(route: Route, request: BrowserRequest) -> None:
        reason = off_site(request.url, sites)
        if reason is None:
            await route.fallback()  # on to scrapy-playwright's route, then the guard
            return
        stats.inc_value("beian/browser/aborted_off_site")
        logger.debug("browser: aborted %s %s: %s", request.method, request.url, reason)
        if _main_navigation(page, request):
            # A script leaving the site: "204 No Content" keeps the page where it is (an
            # aborted navigation would replace it with Chromium's error page).
            await route.fulfill(status=204)
        else:
            await route.abort("blockedbyclient")

    return route


def _websocket_routed(sites: frozenset[str]) -> Any:
    async def route(websocket: WebSocketRoute) -> None:
        reason = off_site(websocket.url, sites)
        if reason is None:
            websocket.connect_to_server()
        else:
            logger.debug("browser: closed WebSocket %s: %s", websocket.url, reason)
            await websocket.close(code=1008, reason="off-site")

    return route
