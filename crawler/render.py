"""Rendering pages in headless Chromium (scrapy-playwright) when their footer is written by
JavaScript: the executable, its flags and the Scrapy settings. Browsers cannot be downloaded
here: Debian's chromium is the executable.

How the browser is kept in check (its egress, its account, its sandbox, which requests a page
may make) is ``crawler/browser.py``; the flags are here, one group per purpose.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

# Playwright passes its own --disable-features list, and Chromium keeps only the last
# --disable-features it is given: this one repeats Playwright's (1.65) and adds ours.
DISABLED_FEATURES = (
    # Playwright's
    "AvoidUnnecessaryBeforeUnloadCheckSync",
    "DestroyProfileOnBrowserClose",
    "HttpsUpgrades",
    "HttpsFirstBalancedModeAutoEnable",
    "LensOverlay",
    "MediaRouter",
    "PaintHolding",
    "ThirdPartyStoragePartitioning",
    "AvoidCorsURLLoaderRestartOnRedirect",
    "OptimizationHints",
    "NetworkTimeServiceQuerying",
    "AimEnabled",
    "PreconnectToSearch",
    # Google services that call home (chrome-launcher's list, and what Chromium 156 was
    # seen asking for): optimization guide, translate, cast discovery, autofill, CT lists.
    "OptimizationHintsFetching",
    "OptimizationTargetPrediction",
    "OptimizationGuideModelDownloading",
    "Translate",
    "DialMediaRouteProvider",
    "AutofillServerCommunication",
    "CertificateTransparencyComponentUpdater",
    "InterestFeedContentSuggestions",
    # Memory: one renderer process per site (site isolation) is for browsing safety; a
    # crawler that opens a page, reads it and closes it needs a few renderers in all.
    "site-per-process",
    "IsolateOrigins",
)

# Every background service off: Chromium talks to Google by itself (component updates,
# sign-in, optimization guide, safe browsing, metrics, field trials) unless told not to.
BACKGROUND_OFF = [
    "--disable-background-networking",  # safe-browsing lists, extension updates, UMA upload
    "--disable-component-update",  # chrome://components
    "--disable-sync",
    "--allow-browser-signin=false",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-component-extensions-with-background-pages",
    "--disable-domain-reliability",  # reports about reaching Google's sites
    "--disable-breakpad",  # crash reports
    "--disable-field-trial-config",  # field trials and variations
    "--metrics-recording-only",  # metrics kept, never sent
    "--no-pings",  # <a ping> hyperlink auditing
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-features=" + ",".join(DISABLED_FEATURES),
    # What the flags above do not stop in Chromium 156: the on-demand update of the
    # on-device model manifest, and the ListAccounts call of the Google sign-in. Both are
    # sent to .invalid names (RFC 6761), which die inside Chromium (see EGRESS below).
    "--component-updater=url-source=https://update.invalid/",
    "--gaia-url=https://accounts.invalid/",
]

# A crawler's browser, not a person's: less memory, no GPU, no sound.
LEAN = [
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--renderer-process-limit=2",
    "--mute-audio",
]

CHROMIUM_ARGS = [*BACKGROUND_OFF, *LEAN]

# Playwright's defaults that are dropped: popups stay blocked (a popup is a page of its own,
# outside the request interception of the page that opened it).
IGNORED_DEFAULT_ARGS = ["--disable-popup-blocking"]


def egress_args(guard_url: str) -> list[str]:
    """The browser's network: everything through the guard proxy, nothing else.

    Chromium connects to loopback directly unless told ``<-loopback>``; it resolves no name
    itself (the guard does, with the address policy), so the guard's address is the only
    one it can reach; the ``.invalid`` sinks of BACKGROUND_OFF go "direct" and find no
    address. QUIC (UDP) and WebRTC's UDP would not go through an HTTP proxy: off.
    """
    host = guard_url.split("://", 1)[-1].rsplit(":", 1)[0]
    return [
        f"--proxy-server={guard_url}",
        "--proxy-bypass-list=<-loopback>;*.invalid",
        f"--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE {host}",
        "--disable-quic",
        "--webrtc-ip-handling-policy=disable_non_proxied_udp",
    ]


_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# Debian's /usr/bin/chromium is a shell script that reads /etc/chromium.d (Google API keys,
# --enable-remote-extensions, extensions to load): the binary behind it is run instead.
_BINARIES = ("/usr/lib/chromium/chromium", "/usr/lib/chromium-browser/chromium-browser")
# Not needed to read a footer: images, media and fonts are not fetched.
_SKIPPED_RESOURCES = frozenset({"image", "media", "font", "stylesheet"})


def find_chromium(configured: str | None = None) -> str | None:
    """The Chromium executable to use: the configured one, else the first on PATH; the
    binary behind a wrapper script."""
    if configured:
        return binary_behind(configured) if Path(configured).is_file() else None
    for name in _CANDIDATES:
        if found := shutil.which(name):
            return binary_behind(found)
    return None


def binary_behind(path: str) -> str:
    """``path``, or the Chromium binary its wrapper script would start."""
    try:
        with open(path, "rb") as handle:
            if handle.read(2) != b"#!":
                return path
    except OSError:
        return path
    return next((b for b in _BINARIES if Path(b).is_file()), path)


def playwright_settings(executable: str, *, timeout: float, pages: int) -> dict[str, Any]:
    """Scrapy settings for rendering with ``executable``; the guarded handler
    (``crawler/browser.py``) completes the launch options when the crawl starts."""
    handler = "crawler.browser.GuardedPlaywrightHandler"
    return {
        # Requests without meta["playwright"] still go through Scrapy's own handler.
        "DOWNLOAD_HANDLERS": {"http": handler, "https": handler},
        "PLAYWRIGHT_BROWSER_TYPE": "chromium",
        "PLAYWRIGHT_LAUNCH_OPTIONS": {
            "executable_path": executable,
            "headless": True,
            "args": CHROMIUM_ARGS,
            "ignore_default_args": IGNORED_DEFAULT_ARGS,
        },
        "PLAYWRIGHT_MAX_CONTEXTS": 1,
        "PLAYWRIGHT_MAX_PAGES_PER_CONTEXT": pages,
        "PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT": int(timeout * 1000),
        "PLAYWRIGHT_ABORT_REQUEST": skip_resource,
    }


def skip_resource(request: Any) -> bool:
    return request.resource_type in _SKIPPED_RESOURCES
