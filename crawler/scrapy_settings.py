"""Map the beian settings ([crawl] in beian.toml) onto Scrapy settings."""

from __future__ import annotations

from scrapy.settings import BaseSettings

from audit.config import Settings, load_settings
from crawler.render import find_chromium, playwright_settings
from crawler.sandbox import browser_account


def configure_from_beian(settings: BaseSettings) -> None:
    """For a spider's update_settings: the beian settings given by `beian crawl`, or those
    of the working directory for `scrapy crawl`, mapped onto Scrapy's."""
    beian = settings.get("BEIAN_SETTINGS")
    if not isinstance(beian, Settings):
        beian = load_settings(settings.get("BEIAN_CONFIG"))
    apply_beian_settings(settings, beian)


def apply_beian_settings(settings: BaseSettings, beian: Settings, priority: str = "spider") -> None:
    crawl = beian.crawl
    settings.set("BEIAN_SETTINGS", beian, priority=priority)
    settings.setdict(
        {
            "CONCURRENT_REQUESTS": crawl.concurrency,
            "CONCURRENT_REQUESTS_PER_DOMAIN": crawl.per_host_concurrency,
            "DOWNLOAD_DELAY": crawl.download_delay,
            "DOWNLOAD_TIMEOUT": crawl.timeout,
            "RETRY_TIMES": crawl.retries,
            "RETRY_ENABLED": crawl.retries > 0,
            "RETRY_EXCEPTIONS": retry_exceptions(settings, retry_timeouts=crawl.retry_timeouts),
            "DOWNLOAD_SIZE_CAP": crawl.max_download_bytes,
            "USER_AGENT": crawl.resolved_user_agent(),
            "ROBOTSTXT_OBEY": crawl.robots_txt == "obey",
        },
        priority=priority,
    )
    browser = find_chromium(crawl.browser_path) if crawl.render != "off" else None
    if browser:
        try:
            browser_account(crawl.browser_user)
        except ValueError as exc:  # never Chromium as root: the pages are read as served
            settings.set("BEIAN_BROWSER_OFF", str(exc), priority=priority)
            browser = None
    settings.set("BEIAN_BROWSER", browser, priority=priority)
    if browser:
        settings.setdict(
            playwright_settings(browser, timeout=crawl.render_timeout, pages=crawl.render_pages),
            priority=priority,
        )


TIMEOUTS = ("scrapy.exceptions.DownloadTimeoutError",)


def retry_exceptions(settings: BaseSettings, *, retry_timeouts: bool) -> list[object]:
    """Scrapy's retried exceptions, without the timeouts unless ``retry_timeouts``."""
    exceptions = list(settings.getlist("RETRY_EXCEPTIONS"))
    return exceptions if retry_timeouts else [e for e in exceptions if e not in TIMEOUTS]
