"""The outcomes of a snapshot: what happened when the crawl visited a site's homepage.

Data for the crawler (which records them), the rules (which judge them) and the documents.
"""

from __future__ import annotations

# Every outcome a snapshot can have, and what it means (README, `beian crawl --help`).
OUTCOMES: dict[str, str] = {
    "ok": "the homepage answered 2xx and was read",
    "http_error": "the server answered 4xx or 5xx",
    "dns_error": "the name does not resolve",
    "refused": "the connection was refused",
    "timeout": "no complete answer in time",
    "tls_error": "the TLS handshake failed",
    "too_large": "the page is larger than max_download_bytes (on the wire or decoded): cut",
    "redirect_loop": "redirects (HTTP or meta refresh) that come back to a URL already seen",
    "too_many_redirects": "more redirects than REDIRECT_MAX_TIMES",
    "connection_lost": "the connection closed before a complete answer",
    "protocol_error": "the server answered something that is not HTTP",
    "robots_denied": "robots.txt forbids the homepage (robots_txt = obey)",
    "not_html": "the homepage is not an HTML page",
    "blocked_address": "the address is internal (loopback, private, ...): not fetched",
    "analysis_error": "the page was fetched but could not be read: its notices are not judged",
    "store_error": "what the crawl saw could not be stored: not judged",
    "not_crawled": "the crawl ended before the site was answered: not judged",
    "error": "another failure of the download",
}
# Outcomes that say nothing about the site itself: the crawler did not look (the address
# guard), or failed on its own side. No rule judges them, so no finding opens or resolves.
NOT_OBSERVED = frozenset({"blocked_address", "store_error", "not_crawled"})
