"""Run page analysis beside the Scrapy engine: in this process, or in worker processes.

A Scrapy process is one core (the GIL): downloading, and parsing and extracting from
100 KB homepages, would share it. With ``analysis_workers`` >= 1 the pages go to a
process pool, so the engine keeps downloading while another core analyses. A worker
that crashes on a hostile page costs that page's analysis, not the crawl.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from audit.analyse import AnalysisOptions, PageAnalysis, analyse_page

logger = logging.getLogger(__name__)

_options: AnalysisOptions | None = None


def _init_worker(options: AnalysisOptions) -> None:
    global _options
    _options = options
    # Ctrl-C reaches the whole process group: the crawler decides how to stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()


def _exit_with_parent(parent: int) -> None:
    """A crawler killed with -9 cannot stop its workers: they notice and leave."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def _analyse_in_worker(
    body: bytes, url: str, content_type: str | None, site_host: str, homepage: bool
) -> PageAnalysis:
    assert _options is not None
    return analyse_page(
        body, url, content_type, site_host=site_host, options=_options, homepage=homepage
    )


class PageAnalyser:
    def __init__(self, options: AnalysisOptions, workers: int) -> None:
        self.options = options
        self.workers = workers
        self.pool: ProcessPoolExecutor | None = self._new_pool() if workers else None

    def _new_pool(self) -> ProcessPoolExecutor:
        # spawn: forking a process that runs a Twisted reactor and threads is unsafe.
        pool = ProcessPoolExecutor(
            self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker,
            initargs=(self.options,),
        )
        # Start the workers now (they import lxml and the extractor), not on the first page.
        for future in [pool.submit(os.getpid) for _ in range(self.workers)]:
            future.result(timeout=120)
        return pool

    async def analyse(
        self,
        body: bytes,
        url: str,
        content_type: str | None,
        *,
        site_host: str,
        homepage: bool = True,
    ) -> PageAnalysis:
        if self.pool is None:
            return analyse_page(
                body, url, content_type, site_host=site_host, options=self.options,
                homepage=homepage,
            )  # fmt: skip
        future = self.pool.submit(_analyse_in_worker, body, url, content_type, site_host, homepage)
        try:
            return await asyncio.wrap_future(future)
        except BrokenProcessPool:
            logger.error("the analysis worker died on %s; starting a new one", url)
            self.pool = self._new_pool()
            raise

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
