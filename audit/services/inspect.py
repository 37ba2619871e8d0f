"""`beian inspect`: the filing notices of one page, from a URL or a local HTML file."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from audit.config import Settings
from audit.errors import UserError
from audit.notices import Notices, extract_notices


@dataclass
class Inspection:
    target: str
    url: str
    notices: Notices
    fetch: dict[str, Any]  # outcome, status, redirects ... (empty for a file)


# A file larger than the crawl's size cap is read like a page the crawl would cut, but
# with its end too: the footer is where the notices are.
FILE_TAIL_BYTES = 512 * 1024


def inspect_file(path: Path, settings: Settings, url: str | None = None) -> Inspection:
    cap = settings.crawl.max_download_bytes
    try:
        body, skipped = read_bounded(path, cap, min(FILE_TAIL_BYTES, cap // 2))
    except OSError as exc:
        raise UserError(f"{path}: {exc.strerror or exc}") from None
    page_url = url or path.resolve().as_uri()
    notices = extract_notices(body, page_url, profile=settings.profile)
    fetch = {"skipped_bytes": skipped} if skipped else {}
    return Inspection(target=str(path), url=page_url, notices=notices, fetch=fetch)


def read_bounded(path: Path, cap: int, tail: int) -> tuple[bytes, int]:
    """The file's bytes when it holds at most ``cap``; else its first ``cap - tail`` and
    its last ``tail`` bytes, and how many were skipped in between."""
    with path.open("rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        if size <= cap:
            return handle.read(cap + 1)[:cap], 0
        head = handle.read(cap - tail)
        handle.seek(size - tail)
        end = handle.read(tail)
    # Joined between tags: a character cut in two would make the page invalid UTF-8 and
    # have it read in another encoding. ("<" and ">" never occur inside a UTF-8 or GBK
    # multi-byte character.)
    head = head[: head.rfind(b">") + 1] or head
    end = end[end.find(b"<") :] if b"<" in end else end
    return head + end, size - len(head) - len(end)


def inspect_url(url: str, settings: Settings, proxy: str | None = None) -> Inspection:
    """Fetch through the crawler's download path (one Scrapy run: once per process)."""
    from scrapy.crawler import CrawlerProcess

    from audit.page.domains import BadURL, normalise_url
    from audit.services.crawl_process import quiet_scrapy_logs, scrapy_settings
    from crawler.spiders.fetch import FetchSpider

    try:
        start_url, _host = normalise_url(url)
    except BadURL as exc:
        raise UserError(f"{url!r}: {exc}") from None
    scrapy = scrapy_settings(settings, log_level="ERROR")
    scrapy.set("LOG_INSTALL_ROOT_HANDLER", False, priority="cmdline")
    quiet_scrapy_logs("ERROR")
    process = CrawlerProcess(scrapy)
    quiet_scrapy_logs("ERROR")  # again: Scrapy's logging set-up resets the levels
    crawler = process.create_crawler(FetchSpider)
    process.crawl(crawler, url=start_url, proxy=proxy)
    process.start()
    result = crawler.spider.result if isinstance(crawler.spider, FetchSpider) else {}
    body = result.pop("body", b"")
    if result.get("outcome") not in ("ok", "http_error") or not body:
        raise UserError(
            f"{start_url}: {result.get('outcome', 'no answer')}"
            + (f" ({result['error']})" if result.get("error") else "")
        )
    final_url = result.get("url", start_url)
    notices = extract_notices(
        body, final_url, content_type=result.get("content_type"), profile=settings.profile
    )
    return Inspection(target=url, url=final_url, notices=notices, fetch=result)
