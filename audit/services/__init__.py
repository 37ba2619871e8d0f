"""The use cases, one function each, that the CLI, the scheduler's jobs and the demo call.

None of the callers parses another's output: each gets a typed result.
"""

from audit.services.crawling import (
    CrawlChild,
    CrawlFailed,
    CrawlOutcome,
    CrawlRequest,
    CrawlState,
    crawl_and_audit,
)

__all__ = [
    "CrawlChild",
    "CrawlFailed",
    "CrawlOutcome",
    "CrawlRequest",
    "CrawlState",
    "crawl_and_audit",
]
