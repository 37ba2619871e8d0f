"""The `sites` spider: every site's homepage and a few same-site pages, one snapshot each.

    scrapy crawl sites                      # a new run over all sites in the database
    scrapy crawl sites -a resume=1          # continue the latest interrupted run
    scrapy crawl sites -a discover=1        # also crawl jurisdiction hosts found through links

`beian crawl` runs this same spider with a progress bar. A failure is an outcome
recorded in the snapshot, never a missing row. Hosts found through links are followed
within the bounds of crawler/discovery.py and become sites pending an analyst's
acceptance: crawled in the run that found them, then only once accepted.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.settings import BaseSettings
from scrapy.utils.httpobj import urlparse_cached
from twisted.python.failure import Failure

from audit.config import Settings
from audit.page.analyse import AnalysisOptions, PageAnalysis, shows_both_numbers
from audit.page.domains import BadURL, site_root
from audit.page.reading import Include, Signal, reading_of
from crawler.analysis import AnalysisFailed, PageAnalyser
from crawler.browser import REFUSAL_KEY
from crawler.discovery import (
    FOLLOWED,
    LEFT_OUT,
    LINKS_NOT_READ,
    PAGES_CUT,
    PAGES_OVER_LIMIT,
    RUN_LIMIT_REACHED,
    DiscoveryBudget,
)
from crawler.extensions import cut_reason
from crawler.items import DiscoveredSiteItem, LinkItem, SnapshotItem
from crawler.outcomes import failed_request, outcome_of_failure, outcome_of_response
from crawler.resolver import exempt_proxy, refusal_for
from crawler.run import RENDER_STAT, RunArguments, RunPlan, RunRecorder
from crawler.scrapy_settings import configure_from_beian

# Error statuses reach the callback (HttpErrorMiddleware would drop them); 3xx are
# left out so that RedirectMiddleware still follows redirects.
HTTP_ERRORS = list(range(400, 600))
# What is read of a page cut at the download cap (outcome too_large): see analyse().
CUT_PAGE_READ_BYTES = 1024 * 1024

KEPT_HEADERS = (
    "Server",
    "X-Powered-By",
    "Content-Type",
    "Content-Length",
    "Content-Language",
    "Last-Modified",
    "Strict-Transport-Security",
    "Content-Security-Policy",
    "X-Frame-Options",
    "Via",
    "X-Squid-Error",
)

_HTML_TYPES = ("text/html", "application/xhtml", "text/plain")


def _flag(value: Any) -> bool:
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


class SitesSpider(Spider):
    name = "sites"

    def __init__(
        self,
        *args: Any,
        run_id: str | int | None = None,
        resume: str | bool = False,
        trigger: str = "manual",
        discover: str | bool | None = None,
        max_pages: str | int | None = None,
        proxy: str | None = None,
        hosts: str | list[str] | None = None,
        started_at: str | dt.datetime | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        # Read by the RunRecorder extension, which creates or resumes the run.
        self.run_arguments = RunArguments(
            run_id=int(run_id) if run_id not in (None, "") else None,
            resume=_flag(resume),
            trigger=trigger,
            discover=None if discover is None else _flag(discover),
            max_pages=int(max_pages) if max_pages not in (None, "") else None,
            proxy=proxy or None,
            hosts=hosts.split(",") if isinstance(hosts, str) else hosts,
            started_at=(
                dt.datetime.fromisoformat(started_at) if isinstance(started_at, str) else started_at
            ),
        )

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        super().update_settings(settings)
        configure_from_beian(settings)

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> SitesSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.opened, signal=signals.spider_opened)
        return spider

    def opened(self) -> None:
        """Ready to crawl the run the RunRecorder opened (it exists by now: extensions are
        built before the engine opens the spider)."""
        recorder = self.crawler.get_extension(RunRecorder)
        assert recorder is not None, "RunRecorder is not enabled"
        self.setup(self.crawler.settings["BEIAN_SETTINGS"], recorder.plan)

    def setup(self, beian: Settings, plan: RunPlan) -> None:
        self.beian = beian
        self.plan = plan
        crawl = beian.crawl
        options = plan.options
        self.run_id = plan.run_id
        self.targets = plan.targets
        self.already_done = plan.already_done
        self.done_hosts = plan.done_hosts
        self.inventory_hosts = plan.inventory_hosts
        self.retired_hosts = plan.retired_hosts
        self.previous_stats = plan.previous_stats
        self.discovered_before = plan.discovered_before
        self.max_pages = int(options.get("max_pages") or crawl.max_pages_per_site)
        # Before the run starts: the workers take a second to import the extractor.
        self.analyser = PageAnalyser(
            AnalysisOptions(
                profile=beian.profile,
                extra_pages=self.max_pages - 1,
                priority_words=tuple(w.lower() for w in crawl.priority_link_words),
                evidence_max_bytes=crawl.evidence_max_bytes,
                links_per_page=crawl.links_per_page,
            ),
            workers=crawl.analysis_worker_count(),
            timeout=crawl.analysis_timeout,
            memory_mb=crawl.analysis_memory_mb,
        )
        self.resumed = plan.resumed
        self.only_hosts: list[str] | None = plan.only_hosts
        self.discover = bool(options.get("discover"))
        self.proxy = options.get("proxy")
        exempt_proxy(self.proxy)  # through a proxy, the proxy decides which addresses to reach
        self.discover_depth = crawl.discover_depth
        self.budget = DiscoveryBudget(
            per_page=crawl.discover_per_page,
            per_run=crawl.discover_max,
            followed=max(self.discovered_before, self.previous_stats.get(FOLLOWED, 0)),
        )
        self.size_cap = crawl.max_download_bytes
        self.max_redirects = self.crawler.settings.getint("REDIRECT_MAX_TIMES")
        browser = self.crawler.settings.get("BEIAN_BROWSER")
        self.render_timeout = crawl.render_timeout
        self.render = crawl.render if browser else "off"
        if crawl.render != "off" and not browser:
            why = self.crawler.settings.get("BEIAN_BROWSER_OFF") or (
                "no Chromium found (install Debian's chromium package or set [crawl] browser_path)"
            )
            self.logger.warning(
                "JavaScript rendering is off: %s. Footers that scripts write, and frames"
                " the crawl cannot fetch, cannot be verified: those sites are reported as"
                " unverified (BA100), not as unfiled. To read them: apt-get install chromium",
                why,
            )
        elif browser:
            self.logger.info("JavaScript rendering: %s, with %s", crawl.render, browser)
        # Hosts with a homepage request this run, and links already recorded.
        self.scheduled: set[str] = {t.host for t in self.targets}
        self.recorded_links: set[tuple[str, str]] = set()
        self._closing: set[asyncio.Future[Any]] = set()  # browser pages being closed
        self.logger.info(
            "crawl run %s: %d sites to visit%s",
            self.run_id,
            len(self.targets),
            f" (resumed, {self.already_done} done before)" if self.resumed else "",
        )

    # -- requests ---------------------------------------------------------------

    async def start(self) -> AsyncIterator[Any]:
        for target in self.targets:
            try:
                request = self.home_request(target.host, target.start_url, target.depth)
            except ValueError as exc:  # a start URL Scrapy cannot request stops no crawl
                yield SnapshotItem(
                    host=target.host,
                    outcome="not_crawled",
                    fetched_at=self.plan.now(),
                    error=f"the start URL {target.start_url!r} cannot be requested: {exc}",
                )
                continue
            yield request

    def home_request(self, host: str, url: str, depth: int) -> Request:
        meta: dict[str, Any] = {
            "site": host,
            "site_depth": depth,
            "handle_httpstatus_list": HTTP_ERRORS,
        }
        if self.proxy:
            meta["proxy"] = self.proxy
        # dont_filter: a homepage must never be dropped as a duplicate, or its site
        # would get no snapshot (two sites may redirect to one URL).
        return Request(
            url, callback=self.parse_home, errback=self.home_failed, meta=meta, dont_filter=True
        )

    def extra_request(self, url: str, item: SnapshotItem, remaining: list[str]) -> Request:
        meta: dict[str, Any] = {"site": item.host, "handle_httpstatus_list": HTTP_ERRORS}
        if self.proxy:
            meta["proxy"] = self.proxy
        return Request(
            url,
            callback=self.parse_extra,
            errback=self.extra_failed,
            meta=meta,
            cb_kwargs={"item": item, "remaining": remaining},
            dont_filter=True,
        )

    # -- callbacks -----------------------------------------------------------------

    async def parse_home(self, response: Response) -> AsyncIterator[Any]:
        item = self.snapshot_of(response)
        analysis = await self.analyse(response, item)
        extras: list[str] = []
        if analysis is not None:
            if analysis.meta_refresh:
                verdict = self.meta_refresh_verdict(response, analysis.meta_refresh)
                if verdict == "follow":
                    yield self.meta_refresh_request(response, analysis.meta_refresh)
                    return
                if verdict is not None:  # a loop, or one redirect too many
                    item.outcome = verdict
                    item.error = f"meta refresh to {analysis.meta_refresh}"[:2000]
                    yield item
                    return
            for output in self.follow_links(item.host, response.meta["site_depth"], analysis):
                yield output
            extras = analysis.extra_pages if self.max_pages > 1 else []
            state = _Reading(
                page_url=response.url,
                site_depth=response.meta["site_depth"],
                has_scripts=analysis.has_scripts,
                signals=analysis.signals,
                pending=list(analysis.includes)
                if item.outcome == "ok" and not analysis.shows_both_numbers()
                else [],
                extras=extras,
            )
            for output in self.read_on(item, state):
                yield output
            return
        for output in self.continue_with(item, extras):
            yield output

    # -- footers kept in other files (frames, footer scripts, loaded fragments) ---------

    def read_on(self, item: SnapshotItem, state: _Reading) -> Iterator[Any]:
        """Fetch the next same-site file the homepage pulls in (while numbers are missing),
        then render the page when it still needs a browser, then grade the reading."""
        if state.pending and not shows_both_numbers(item.notices):
            include = state.pending.pop(0)
            yield self.include_request(include, item, state)
            return
        self.grade(item, state)
        if self.should_render(item, state):
            yield self.render_request(state, item)
            return
        yield from self.continue_with(item, state.extras)

    def grade(self, item: SnapshotItem, state: _Reading, *, rendered: bool = False) -> None:
        read = [i["url"] for i in item.includes if i["outcome"] == "ok"]
        item.reading, gaps = reading_of(
            answered=True, rendered=rendered, numbers_shown=shows_both_numbers(item.notices),
            signals=state.signals, read=read,
        )  # fmt: skip
        item.reading_gaps = list(gaps)

    def include_request(self, include: Include, item: SnapshotItem, state: _Reading) -> Request:
        meta: dict[str, Any] = {"site": item.host, "handle_httpstatus_list": HTTP_ERRORS}
        if self.proxy:
            meta["proxy"] = self.proxy
        return Request(
            include.url,
            callback=self.parse_include,
            errback=self.include_failed,
            meta=meta,
            cb_kwargs={"item": item, "state": state, "include": include},
            dont_filter=True,
        )

    async def parse_include(
        self, response: Response, item: SnapshotItem, state: _Reading, include: Include
    ) -> AsyncIterator[Any]:
        item.pages_fetched += 1
        outcome = "ok" if response.status < 400 and response.body else "http_error"
        if outcome == "ok" and cut_reason(response, self.size_cap):
            outcome = "too_large"
        if outcome == "ok":
            try:
                analysis = await self.analyser.analyse(
                    response.body, response.url, _content_type(response),
                    site_host=item.host, include=include.kind,
                )  # fmt: skip
            except AnalysisFailed:
                outcome = "analysis_error"
            else:
                item.notices = merge_notices(item.notices, analysis.notices)
                if analysis.footer_text and (analysis.notices or not item.footer_text):
                    # The footer as a visitor sees it: the page's end, then what it pulls in.
                    shown = f"{item.footer_text or ''} {analysis.footer_text}".strip()
                    item.footer_text = shown[-FOOTER_CHARS:]
        self.count_include(item, include, outcome)
        for output in self.read_on(item, state):
            yield output

    def include_failed(self, failure: Failure) -> Iterator[Any]:
        kwargs = failed_request(failure).cb_kwargs
        item: SnapshotItem = kwargs["item"]
        self.count_include(item, kwargs["include"], "error")
        yield from self.read_on(item, kwargs["state"])

    def count_include(self, item: SnapshotItem, include: Include, outcome: str) -> None:
        item.includes.append({"url": include.url, "kind": include.kind, "outcome": outcome})
        stats = self.crawler.stats
        assert stats is not None
        stats.inc_value(f"beian/includes/{'read' if outcome == 'ok' else 'failed'}")

    # -- rendering ----------------------------------------------------------------------

    def should_render(self, item: SnapshotItem, state: _Reading) -> bool:
        if self.render == "always":
            return item.outcome == "ok"
        return (
            self.render == "fallback"
            and item.outcome == "ok"
            and (state.has_scripts or item.reading == "partial")
            and not any(row["kind"] in ("icp", "police") for row in item.notices)
        )

    def render_request(self, state: _Reading, item: SnapshotItem) -> Request:
        meta: dict[str, Any] = {
            "playwright": True,
            # Every frame's content is read, not only the main one (parse_rendered).
            "playwright_include_page": True,
            # a browser loads scripts and runs them: more than a plain download's time
            "download_timeout": self.render_timeout,
            "site": item.host,
            "site_depth": state.site_depth,
            "handle_httpstatus_list": HTTP_ERRORS,
        }
        return Request(
            state.page_url,
            callback=self.parse_rendered,
            errback=self.render_failed,
            meta=meta,
            cb_kwargs={"item": item, "extras": state.extras},
            dont_filter=True,
        )

    async def parse_rendered(
        self, response: Response, item: SnapshotItem, extras: list[str]
    ) -> AsyncIterator[Any]:
        """The page as a browser shows it, every frame included: its notices replace those
        of the served HTML."""
        frames = await _frame_contents(response.meta.pop("playwright_page", None))
        if refused := response.meta.get(REFUSAL_KEY):
            for output in self.render_refused(item, refused, extras):
                yield output
            return
        analysis = None
        if response.status < 400 and response.body:
            # scrapy-playwright encodes the rendered DOM itself and says how.
            charset = getattr(response, "encoding", None) or "utf-8"
            try:
                analysis = await self.analyser.analyse(
                    response.body, response.url, f"text/html; charset={charset}",
                    site_host=item.host,
                )  # fmt: skip
            except AnalysisFailed as exc:
                item.error = f"analysis of the rendered page failed: {exc}"
        if analysis is not None:
            for frame_url, html in frames:
                try:
                    framed = await self.analyser.analyse(
                        html, frame_url, "text/html; charset=utf-8", site_host=item.host,
                        include="frame",
                    )  # fmt: skip
                except AnalysisFailed:
                    continue
                analysis.notices = merge_notices(analysis.notices, framed.notices)
            item.rendered = True
            item.reading, item.reading_gaps = "complete", []
            # Only a rendering that shows a filing number replaces the served page: a
            # browser guesses the charset of an undeclared page, sometimes wrongly.
            if analysis.shows_filing_number():
                item.title = analysis.title or item.title
                item.footer_text = analysis.footer_text
                item.notices = analysis.notices
                item.html_gz = analysis.html_gz
                item.html_truncated = analysis.html_truncated
            for output in self.follow_links(item.host, response.meta["site_depth"], analysis):
                yield output
        for output in self.continue_with(item, extras):
            yield output

    def render_failed(self, failure: Failure) -> Iterator[Any]:
        """The snapshot keeps what the served HTML showed, and says why rendering failed."""
        request = failed_request(failure)
        kwargs = request.cb_kwargs
        item: SnapshotItem = kwargs["item"]
        if (page := request.meta.pop("playwright_page", None)) is not None:
            # An errback cannot await: the page closes on the reactor's asyncio loop.
            closing = asyncio.ensure_future(page.close())
            self._closing.add(closing)
            closing.add_done_callback(self._closing.discard)
        if refused := request.meta.get(REFUSAL_KEY):
            yield from self.render_refused(item, refused, kwargs["extras"])
            return
        item.error = f"render failed: {type(failure.value).__name__}: {failure.value}"[:2000]
        yield from self.continue_with(item, kwargs["extras"])

    def render_refused(self, item: SnapshotItem, reason: str, extras: list[str]) -> Iterator[Any]:
        """The browser guard refused the address of the page itself (a name that resolves
        inward by the time the browser asks): what the crawl saw is not the site's, so no
        rule judges it."""
        item.outcome = "blocked_address"
        item.error = f"render refused by the address guard: {reason}"[:2000]
        yield from self.continue_with(item, extras)

    async def parse_extra(
        self, response: Response, item: SnapshotItem, remaining: list[str]
    ) -> AsyncIterator[Any]:
        item.pages_fetched += 1
        if response.status < 400 and _is_html(response) and response.body:
            try:
                analysis = await self.analyser.analyse(
                    response.body, response.url, _content_type(response),
                    site_host=item.host, homepage=False,
                )  # fmt: skip
            except AnalysisFailed:
                pass  # an extra page only adds links; the analyser has logged it
            else:
                for output in self.follow_links(item.host, 0, analysis):
                    yield output
        for output in self.continue_with(item, remaining):
            yield output

    def extra_failed(self, failure: Failure) -> Iterator[Any]:
        kwargs = failed_request(failure).cb_kwargs
        yield from self.continue_with(kwargs["item"], kwargs["remaining"])

    def continue_with(self, item: SnapshotItem, remaining: list[str]) -> Iterator[Any]:
        """Fetch the next extra page of a site, or hand its snapshot to the pipeline."""
        if remaining:
            yield self.extra_request(remaining[0], item, remaining[1:])
        else:
            yield item

    def home_failed(self, failure: Failure) -> Iterator[Any]:
        request = failed_request(failure)
        chain = _chain(request.meta)
        outcome, error = outcome_of_failure(
            failure,
            [hop["url"] for hop in chain],
            refusal=refusal_for(urlparse_cached(request).hostname or ""),
        )
        if outcome == "error":
            self.logger.warning("%s: %s", request.meta["site"], error)
        item = SnapshotItem(
            host=request.meta["site"],
            outcome=outcome,
            error=error[:2000],
            fetched_at=self.plan.now(),
            final_url=None,  # no answer came
            redirect_chain=chain,
            elapsed_ms=_elapsed(request.meta),
        )
        if outcome in ("redirect_loop", "too_many_redirects"):
            # The last answer was a redirect: keep its status and the chain up to the loop.
            item.http_status = chain[-1]["status"] if chain else None
            item.redirect_chain = _until_repeat(chain)
        yield item

    # -- meta refresh ------------------------------------------------------------------

    def meta_refresh_verdict(self, response: Response, target: str) -> str | None:
        """Follow <meta http-equiv=refresh> like a browser (our own decoding finds it on GBK
        pages too; Scrapy's MetaRefreshMiddleware is off: it decodes every page again):
        "follow", "redirect_loop" when it leads back into the chain, "too_many_redirects",
        or None for a page that refreshes itself (it is shown, and read, as it is)."""
        chain = _chain(response.meta)
        if target == response.url:
            return None
        if target in {hop["url"] for hop in chain}:
            return "redirect_loop"
        return "follow" if len(chain) < self.max_redirects else "too_many_redirects"

    def meta_refresh_request(self, response: Response, target: str) -> Request:
        meta = response.meta
        request = self.home_request(meta["site"], target, meta["site_depth"])
        # The hops so far travel under our own key (Scrapy's redirect_urls belong to its
        # RedirectMiddleware); HTTP redirects after this one may use what is left.
        hops = [*_chain(meta), {"url": response.url, "status": None, "via": "meta refresh"}]
        request.meta["hops_before"] = hops
        request.meta["redirect_ttl"] = max(0, self.max_redirects - len(hops))
        return request

    # -- building the snapshot ------------------------------------------------------

    def snapshot_of(self, response: Response) -> SnapshotItem:
        headers = {
            name: value.decode("latin-1")
            for name in KEPT_HEADERS
            if (value := response.headers.get(name))
        }
        item = SnapshotItem(
            host=response.meta["site"],
            outcome=outcome_of_response(response.status, headers.get("X-Squid-Error")),
            fetched_at=self.plan.now(),
            http_status=response.status,
            final_url=response.url,
            redirect_chain=_chain(response.meta),
            headers=headers,
            content_length=len(response.body),
            elapsed_ms=_elapsed(response.meta),
            pages_fetched=1,
        )
        if "X-Squid-Error" in headers and item.outcome != "http_error":
            # The proxy answered, not the site: the site's own status is unknown.
            item.error = f"proxy: {headers['X-Squid-Error']} (HTTP {response.status})"
            item.http_status = item.final_url = item.content_length = None
        elif cut := cut_reason(response, self.size_cap):
            item.outcome = "too_large"
            item.error = cut
        return item

    async def analyse(self, response: Response, item: SnapshotItem) -> PageAnalysis | None:
        """Analyse the page of a snapshot (outcome ok, http_error or too_large) into it."""
        body = response.body
        if item.content_length is None or not body:
            return None
        if not _is_html(response):
            if item.outcome == "ok":
                item.outcome = "not_html"
            return None
        if item.outcome == "too_large":
            # A page cut at the download cap is not read whole (its footer lies past the
            # cut): no filing rule judges it. Its first bytes give its title, the links
            # that lead on and the evidence, at a bounded cost (1% of sites were 22% of
            # the analysis when read to the cap).
            body = body[:CUT_PAGE_READ_BYTES]
        try:
            analysis = await self.analyser.analyse(
                body, response.url, _content_type(response), site_host=item.host
            )
        except AnalysisFailed as exc:
            # Never `ok` with no notices: the audit would read "shows no filing number".
            if item.outcome == "ok":
                item.outcome = "analysis_error"
            item.error = f"analysis failed: {exc}"
            return None
        item.encoding = analysis.encoding
        item.title = analysis.title
        item.footer_text = analysis.footer_text
        item.content_hash = analysis.content_hash
        item.html_gz = analysis.html_gz
        item.html_truncated = analysis.html_truncated or len(body) < len(response.body)
        item.notices = analysis.notices
        return analysis

    def follow_links(self, host: str, depth: int, analysis: PageAnalysis) -> Iterator[Any]:
        """Record links to jurisdiction hosts outside the inventory; with discover, crawl the
        new ones, as many as the discovery bounds allow (crawler/discovery.py)."""
        stats = self.crawler.stats
        assert stats is not None
        if analysis.links_not_read:
            stats.inc_value(PAGES_CUT)
            stats.inc_value(LINKS_NOT_READ, analysis.links_not_read)
            self.logger.info(
                "%s: %d links not read past the first %d (links_per_page)",
                host, analysis.links_not_read, self.beian.crawl.links_per_page,
            )  # fmt: skip
        follow = self.discover and depth < self.discover_depth
        # Decided before anything is yielded: another page's callback runs at each yield,
        # and must see the hosts this page follows as scheduled already.
        links: list[LinkItem] = []
        new: dict[str, str] = {}  # host -> URL, in page order
        for url, target in analysis.jurisdiction_links:
            if target in self.inventory_hosts:
                continue
            if (host, target) not in self.recorded_links:
                self.recorded_links.add((host, target))
                links.append(LinkItem(host=host, target_host=target, target_url=url))
            if follow and self.is_new(target):
                new[target] = url
        if not new:
            yield from links
            return
        was_reached = self.budget.run_limit_reached
        split = self.budget.take(list(new))
        self.scheduled.update(split.followed)
        stats.set_value(FOLLOWED, self.budget.followed)
        if split.over_page:
            stats.inc_value(PAGES_OVER_LIMIT)
            self.logger.warning(
                "%s links to %d new hosts: %d followed, the others left out (discover_per_page"
                " = %d)",
                host, len(new), len(split.followed), self.budget.per_page,
            )  # fmt: skip
        if self.budget.run_limit_reached and not was_reached:
            stats.set_value(RUN_LIMIT_REACHED, 1)
            self.logger.warning(
                "%d new hosts followed in this run (discover_max): the new hosts found from"
                " now on are left out",
                self.budget.followed,
            )
        yield from links
        for target in split.followed:
            try:
                home_url = site_root(new[target])
            except BadURL:  # normalised already: cannot happen, but never stops a crawl
                continue
            yield DiscoveredSiteItem(
                host=target, start_url=home_url, discovered_from=host, depth=depth + 1,
                district=self.beian.profile.district_of(target),
            )  # fmt: skip
            yield self.home_request(target, home_url, depth + 1)

    def is_new(self, host: str) -> bool:
        """Not visited by this run in any way, nor taken out of the inventory (beian sites
        remove): discovery does not bring a removed site back."""
        return not (host in self.scheduled or host in self.done_hosts or host in self.retired_hosts)

    # -- closing ---------------------------------------------------------------------

    def closed(self, reason: str) -> None:
        """What the crawl leaves for the RunRecorder, which finishes the run after this:
        discovery's counts and the rendering mode, as stats; the analysis workers stop."""
        stats = self.crawler.stats
        assert stats is not None
        stats.set_value(RENDER_STAT, self.render)
        if self.discover:
            left_out = self.budget.left_out_count() + self.previous_stats.get(LEFT_OUT, 0)
            stats.set_value(LEFT_OUT, left_out)
            stats.set_value(FOLLOWED, self.budget.followed)
            if left_out:
                self.logger.warning(
                    "discovery: %d new hosts followed, %d left out by the bounds"
                    " (discover_per_page = %d, discover_max = %d); the links to them are"
                    " recorded",
                    self.budget.followed, left_out, self.budget.per_page, self.budget.per_run,
                )  # fmt: skip
        self.analyser.close()


def _content_type(response: Response) -> str | None:
    value = response.headers.get("Content-Type")
    return value.decode("latin-1") if value else None


def _is_html(response: Response) -> bool:
    content_type = (_content_type(response) or "").split(";")[0].strip().lower()
    # A missing Content-Type is common on small government sites: read the page anyway.
    return not content_type or content_type.startswith(_HTML_TYPES)


def _chain(meta: dict[str, Any]) -> list[dict[str, Any]]:
    """The redirects before the final URL: [{"url", "status"}], status None (and "via") for
    a meta refresh; the meta refreshes followed so far, then this request's HTTP redirects."""
    urls = meta.get("redirect_urls", [])
    reasons = [*meta.get("redirect_reasons", []), *[None] * len(urls)]
    chain = list(meta.get("hops_before", []))
    for url, reason in zip(urls, reasons, strict=False):
        chain.append({"url": url, "status": reason if isinstance(reason, int) else None})
    return chain


def _until_repeat(chain: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: set[str] = set()
    for index, hop in enumerate(chain):
        if hop["url"] in seen:
            return chain[:index]
        seen.add(hop["url"])
    return chain


def _elapsed(meta: dict[str, Any]) -> float | None:
    latency = meta.get("download_latency")
    return round(latency * 1000, 1) if latency is not None else None


FOOTER_CHARS = 2000  # as audit/page/parsed.py keeps of a page's own footer
# Frames read from a rendered page, and the bytes kept of each: a footer is small.
MAX_FRAMES = 5
FRAME_BYTES = 1024 * 1024


@dataclass
class _Reading:
    """Where the reading of one homepage stands between its requests."""

    page_url: str
    site_depth: int
    has_scripts: bool
    signals: list[Signal]
    pending: list[Include]  # included files still to fetch
    extras: list[str] = field(default_factory=list)  # extra pages to visit after


def merge_notices(
    notices: list[dict[str, Any]], more: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The homepage's notices and those of a file it includes, each number once (the
    homepage's own row wins: it is what the page itself shows)."""
    seen = {(row["kind"], row.get("number"), row.get("raw")) for row in notices}
    kinds = {row["kind"] for row in notices}
    added = [
        row
        for row in more
        if (row["kind"], row.get("number"), row.get("raw")) not in seen
        # one conac badge and one sponsor per snapshot
        and not (row["kind"] in ("conac", "sponsor") and row["kind"] in kinds)
    ]
    return [*notices, *added]


async def _frame_contents(page: Any) -> list[tuple[str, bytes]]:
    """(URL, HTML) of the child frames of a rendered page, then the page closed."""
    if page is None:
        return []
    out: list[tuple[str, bytes]] = []
    try:
        for frame in page.frames[1 : MAX_FRAMES + 1]:
            try:
                html = await frame.content()
            except Exception:  # a frame detached or aborted by the guard: nothing to read
                continue
            out.append((frame.url, html.encode("utf-8")[:FRAME_BYTES]))
    finally:
        await page.close()
    return out
