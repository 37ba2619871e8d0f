"""The `fetch` spider: one URL through the crawler's own download path (`beian inspect URL`).

Same settings as the `sites` spider (proxy, User-Agent, timeouts, size cap, redirects),
so what `beian inspect` shows is what a crawl would see.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from scrapy import Request, Spider
from scrapy.http import Response
from scrapy.settings import BaseSettings
from scrapy.utils.httpobj import urlparse_cached
from twisted.python.failure import Failure

from crawler.outcomes import failed_request, outcome_of_failure, outcome_of_response
from crawler.resolver import exempt_proxy, refusal_for
from crawler.scrapy_settings import configure_from_beian
from crawler.spiders.sites import HTTP_ERRORS


class FetchSpider(Spider):
    name = "fetch"

    def __init__(self, *args: Any, url: str, proxy: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.url = url
        self.proxy = proxy
        self.result: dict[str, Any] = {}

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        super().update_settings(settings)
        configure_from_beian(settings)
        settings.set("ITEM_PIPELINES", {}, priority="spider")

    async def start(self) -> AsyncIterator[Any]:
        meta: dict[str, Any] = {"handle_httpstatus_list": HTTP_ERRORS}
        proxy = self.proxy or self.settings["BEIAN_SETTINGS"].crawl.proxy
        if proxy:
            meta["proxy"] = proxy
            exempt_proxy(proxy)  # through a proxy, the proxy decides which addresses to reach
        yield Request(self.url, callback=self.parse, errback=self.failed, meta=meta)

    def parse(self, response: Response) -> Iterator[Any]:
        squid = response.headers.get("X-Squid-Error")
        self.result = {
            "outcome": outcome_of_response(response.status, squid.decode() if squid else None),
            "status": response.status,
            "url": response.url,
            "redirects": response.meta.get("redirect_urls", []),
            "content_type": (response.headers.get("Content-Type") or b"").decode("latin-1"),
            "body": response.body,
        }
        yield from ()

    def failed(self, failure: Failure) -> Iterator[Any]:
        request = failed_request(failure)
        outcome, error = outcome_of_failure(
            failure,
            request.meta.get("redirect_urls", []),
            refusal=refusal_for(urlparse_cached(request).hostname or ""),
        )
        self.result = {"outcome": outcome, "error": error, "url": self.url}
        yield from ()
