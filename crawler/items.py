"""What the `sites` spider yields. Plain dataclasses, which Scrapy accepts as items."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any


@dataclass
class SnapshotItem:
    """One site in one run: what the homepage showed, or why it could not be read."""

    host: str
    outcome: str
    fetched_at: dt.datetime
    error: str | None = None
    http_status: int | None = None
    final_url: str | None = None
    redirect_chain: list[dict[str, Any]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    encoding: str | None = None
    title: str | None = None
    footer_text: str | None = None
    content_hash: str | None = None
    content_length: int | None = None
    elapsed_ms: float | None = None
    pages_fetched: int = 0
    rendered: bool = False
    html_gz: bytes | None = field(default=None, repr=False)
    html_truncated: bool = False
    notices: list[dict[str, Any]] = field(default_factory=list, repr=False)
    # How well the homepage was read (audit/page/reading.py), what kept it partial, and the
    # same-site files read for its footer: {"url", "kind", "outcome"}.
    reading: str = "unread"
    reading_gaps: list[str] = field(default_factory=list)
    includes: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class DiscoveredSiteItem:
    """A host of the jurisdiction found through a link, added to the sites as `discovered`."""

    host: str
    start_url: str
    discovered_from: str
    depth: int
    district: str | None = None  # when its host is under a county's domain


@dataclass
class LinkItem:
    """A link from a crawled site to a jurisdiction host that is not in the inventory."""

    host: str
    target_host: str
    target_url: str
