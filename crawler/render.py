"""Rendering pages in headless Chromium (scrapy-playwright) when their footer is written by
JavaScript. Browsers cannot be downloaded here: Debian's chromium is the executable."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

# Flags that keep Chromium off the network except for the pages it is asked for.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    # Memory: one renderer process per site (site isolation) is for browsing safety; a
    # crawler that opens a page, reads it and closes it needs a few renderers in all.
    "--disable-features=site-per-process,IsolateOrigins,Translate,MediaRouter",
    "--renderer-process-limit=2",
    "--disable-extensions",
    "--mute-audio",
]
_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# Not needed to read a footer: images, media and fonts are not fetched.
_SKIPPED_RESOURCES = frozenset({"image", "media", "font", "stylesheet"})


def find_chromium(configured: str | None = None) -> str | None:
    """The Chromium executable to use: the configured one, else the first on PATH."""
    if configured:
        return configured if Path(configured).is_file() else None
    for name in _CANDIDATES:
        if found := shutil.which(name):
            return found
    return None


def playwright_settings(
    executable: str, *, proxy: str | None, timeout: float, pages: int
) -> dict[str, Any]:
    launch: dict[str, Any] = {
        "executable_path": executable,
        "headless": True,
        "args": CHROMIUM_ARGS,
    }
    if proxy:
        launch["proxy"] = {"server": proxy}
    handler = "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler"
    return {
        # Requests without meta["playwright"] still go through Scrapy's own handler.
        "DOWNLOAD_HANDLERS": {"http": handler, "https": handler},
        "PLAYWRIGHT_BROWSER_TYPE": "chromium",
        "PLAYWRIGHT_LAUNCH_OPTIONS": launch,
        "PLAYWRIGHT_MAX_CONTEXTS": 2,  # the default one, and one with the run's --proxy
        "PLAYWRIGHT_MAX_PAGES_PER_CONTEXT": pages,
        "PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT": int(timeout * 1000),
        "PLAYWRIGHT_ABORT_REQUEST": skip_resource,
    }


def skip_resource(request: Any) -> bool:
    return request.resource_type in _SKIPPED_RESOURCES
