"""Run page analysis beside the Scrapy engine: in this process, or in worker processes.

A Scrapy process is one core (the GIL): downloading, and parsing and extracting from
100 KB homepages, would share it. With ``analysis_workers`` >= 1 the pages go to a
process pool, so the engine keeps downloading while another core analyses.

A page can kill its worker (a crash in a parser, the memory limit, the time limit) and
take the pages that were in the same pool down with it. A broken pool is replaced and
its pages are tried again; a page that breaks the new pool too is analysed alone in a
process of its own, so that a death is recorded against the page that caused it
(:class:`AnalysisFailed`, outcome ``analysis_error``) and never against the others.
A page whose analysis failed is never stored as if its page showed nothing.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import resource
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from audit.page.analyse import AnalysisOptions, PageAnalysis, analyse_page

logger = logging.getLogger(__name__)

Analyse = Callable[..., PageAnalysis]
# _analyse_in_worker's arguments: body, url, content_type, site_host, homepage, include.
_WorkerArgs = tuple[bytes, str, str | None, str, bool, str | None]

_options: AnalysisOptions | None = None
_analyse: Analyse = analyse_page


class AnalysisFailed(Exception):
    """The page could not be analysed; the message says why, in one line."""


def _init_worker(options: AnalysisOptions, analyse: Analyse, memory_mb: int) -> None:
    global _options, _analyse
    _options, _analyse = options, analyse
    # Ctrl-C reaches the whole process group: the crawler decides how to stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if memory_mb:
        # A page that would take more memory fails with MemoryError in its own worker.
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()


def _exit_with_parent(parent: int) -> None:
    """A crawler killed with -9 cannot stop its workers: they notice and leave."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def _analyse_in_worker(
    body: bytes,
    url: str,
    content_type: str | None,
    site_host: str,
    homepage: bool,
    include: str | None,
) -> PageAnalysis:
    assert _options is not None
    return _analyse(
        body, url, content_type, site_host=site_host, options=_options, homepage=homepage,
        include=include,
    )  # fmt: skip


class PageAnalyser:
    """``await analyse(...)`` a page: its PageAnalysis, or AnalysisFailed."""

    def __init__(
        self,
        options: AnalysisOptions,
        workers: int,
        *,
        timeout: float = 60.0,
        memory_mb: int = 2048,
        analyse: Analyse = analyse_page,
    ) -> None:
        self.options = options
        self.workers = workers
        self.timeout = timeout
        self.memory_mb = memory_mb
        self._analyse = analyse
        self._alone = asyncio.Lock() if workers else None
        self.pool: ProcessPoolExecutor | None = self._new_pool(workers) if workers else None
        if self.pool is not None:
            # Start the workers now (they import lxml and the extractor), not on the first
            # page; later pools start as they are needed (waiting here would stall the crawl).
            for future in [self.pool.submit(os.getpid) for _ in range(workers)]:
                future.result(timeout=120)
        self.replaced = 0  # pools replaced after a worker died
        self.failed = 0  # pages whose analysis failed

    def _new_pool(self, workers: int) -> ProcessPoolExecutor:
        # spawn: forking a process that runs a Twisted reactor and threads is unsafe.
        return ProcessPoolExecutor(
            workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker,
            initargs=(self.options, self._analyse, self.memory_mb),
        )

    async def analyse(
        self,
        body: bytes,
        url: str,
        content_type: str | None,
        *,
        site_host: str,
        homepage: bool = True,
        include: str | None = None,
    ) -> PageAnalysis:
        """``include``: the page is a file the homepage pulls in (its kind, see
        audit/page/reading.py), read for its notices as the homepage's footer."""
        args: _WorkerArgs = (body, url, content_type, site_host, homepage, include)
        if self.pool is None:
            try:
                return self._analyse(
                    body, url, content_type, site_host=site_host, options=self.options,
                    homepage=homepage, include=include,
                )  # fmt: skip
            except Exception as exc:
                raise self._failed(url, exc) from exc
        for _attempt in range(2):  # a pool broken by another page: once more in a new one
            pool = self.pool
            try:
                return await self._run(pool, args)
            except BrokenProcessPool:
                self._replace(pool, url)
        assert self._alone is not None  # made with the pool
        async with self._alone:
            # Broken twice: alone in a process of its own, the page answers for itself.
            solo = self._new_pool(1)
            try:
                return await self._run(solo, args)
            except BrokenProcessPool:
                raise self._failed(url, "the analysis process died on this page") from None
            finally:
                solo.shutdown(wait=False, cancel_futures=True)

    async def _run(self, pool: ProcessPoolExecutor, args: _WorkerArgs) -> PageAnalysis:
        future = pool.submit(_analyse_in_worker, *args)
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), self.timeout)
        except TimeoutError:
            # A worker cannot be interrupted: end the pool's processes (its other pages
            # are tried again), and the page that took too long answers for it.
            _kill(pool)
            raise self._failed(
                str(args[1]), f"analysis took longer than {self.timeout:g} s"
            ) from None
        except BrokenProcessPool:
            raise
        except Exception as exc:  # raised by the analysis itself (MemoryError, ...)
            raise self._failed(str(args[1]), exc) from exc

    def _replace(self, broken: ProcessPoolExecutor, url: str) -> None:
        if self.pool is broken:  # the first of its pages to notice replaces it
            logger.warning("an analysis worker died (on %s or a page beside it); replaced", url)
            broken.shutdown(wait=False, cancel_futures=True)
            self.pool = self._new_pool(self.workers)
            self.replaced += 1

    def _failed(self, url: str, why: BaseException | str) -> AnalysisFailed:
        self.failed += 1
        text = why if isinstance(why, str) else f"{type(why).__name__}: {why}"
        text = " ".join(text.split())[:300]
        logger.warning("analysis of %s failed: %s", url, text)
        return AnalysisFailed(text)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)


def _kill(pool: ProcessPoolExecutor) -> None:
    # ProcessPoolExecutor has no public way to stop a running task; its process table is
    # private but has been there since Python 3.2.
    for process in list(getattr(pool, "_processes", {}).values()):
        process.kill()
