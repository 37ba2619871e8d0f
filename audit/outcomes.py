"""The outcomes of a snapshot: what happened when the crawl visited a site's homepage.

Data for the crawler (which records them), the rules (which judge them) and the documents.
"""

from __future__ import annotations

from enum import StrEnum


class Outcome(StrEnum):
    OK = "ok"
    HTTP_ERROR = "http_error"
    DNS_ERROR = "dns_error"
    REFUSED = "refused"
    TIMEOUT = "timeout"
    TLS_ERROR = "tls_error"
    TOO_LARGE = "too_large"
    REDIRECT_LOOP = "redirect_loop"
    TOO_MANY_REDIRECTS = "too_many_redirects"
    CONNECTION_LOST = "connection_lost"
    PROTOCOL_ERROR = "protocol_error"
    ROBOTS_DENIED = "robots_denied"
    NOT_HTML = "not_html"
    BLOCKED_ADDRESS = "blocked_address"
    ANALYSIS_ERROR = "analysis_error"
    STORE_ERROR = "store_error"
    NOT_CRAWLED = "not_crawled"
    ERROR = "error"


# Every outcome a snapshot can have, and what it means (README, `beian crawl --help`).
OUTCOMES: dict[Outcome, str] = {
    Outcome.OK: "the homepage answered 2xx and was read",
    Outcome.HTTP_ERROR: "the server answered 4xx or 5xx",
    Outcome.DNS_ERROR: "the name does not resolve",
    Outcome.REFUSED: "the connection was refused",
    Outcome.TIMEOUT: "no complete answer in time",
    Outcome.TLS_ERROR: "the TLS handshake failed",
    Outcome.TOO_LARGE: "the page is larger than max_download_bytes (on the wire or decoded): cut",
    Outcome.REDIRECT_LOOP: "redirects (HTTP or meta refresh) that come back to a URL already seen",
    Outcome.TOO_MANY_REDIRECTS: "more redirects than REDIRECT_MAX_TIMES",
    Outcome.CONNECTION_LOST: "the connection closed before a complete answer",
    Outcome.PROTOCOL_ERROR: "the server answered something that is not HTTP",
    Outcome.ROBOTS_DENIED: "robots.txt forbids the homepage (robots_txt = obey)",
    Outcome.NOT_HTML: "the homepage is not an HTML page",
    Outcome.BLOCKED_ADDRESS: "the address is internal (loopback, private, ...): not fetched",
    Outcome.ANALYSIS_ERROR: "the page was fetched but could not be read: its notices are not"
    " judged",
    Outcome.STORE_ERROR: "what the crawl saw could not be stored: not judged",
    Outcome.NOT_CRAWLED: "the crawl ended before the site was answered: not judged",
    Outcome.ERROR: "another failure of the download",
}
# Outcomes that say nothing about the site itself: the crawler did not look (the address
# guard), or failed on its own side. No rule judges them, so no finding opens or resolves.
NOT_OBSERVED = frozenset({Outcome.BLOCKED_ADDRESS, Outcome.STORE_ERROR, Outcome.NOT_CRAWLED})
