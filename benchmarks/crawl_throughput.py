"""Crawl throughput: a bare Scrapy spider against the full `beian crawl` path, same testbed.

    python benchmarks/crawl_throughput.py --sites 5000

Generates a testbed of N sites (homepages of 30-120 KB), serves it from a separate
process, then measures in one run:

  (a) a raw Scrapy spider that only downloads each homepage (following redirects, reading
      every status, not retrying timeouts, as (b) does), and
  (b) `beian crawl --max-pages 1` (parse, extract, store in SQLite or $BEIAN_DATABASE_URL),

and prints sites per minute for both, their ratio, the peak RSS of (b), and how busy
the testbed server was (its CPU seconds over the wall time), which shows it was not
the bottleneck. Then (c) runs (b) again over the same, unchanged sites and prints what
each crawl added to the database per 1,000 sites (issue 13: a page is stored once, so
the repeat crawl should add < 1 MB per 1,000 sites). With --latency, (d) runs (b) once
more against the sites answering with real-world delays (the testbed's latency profile)
and prints its rate as a share of (b)'s (target >= 70% with --latency lognormal:0.3,0.8
--hang 0.03). Targets on a 2-core machine,
N = 5000: (b) >= 3,000 sites/min and >= 65% of (a) (issue 13; the raw spider follows
redirects like (b)); peak RSS of (b) < 400 MB.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import tempfile
import urllib.request
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from audit.demo.testbed.measure import run_measured  # noqa: E402

TARGET_RATE = 3000  # (b), sites/min
TARGET_RATIO = 0.65  # (b)/(a)
TARGET_RSS_MB = 400  # peak RSS of (b), its processes added up
TARGET_REPEAT_MB = 1.0  # stored per 1,000 sites by a repeat crawl of unchanged sites
TARGET_LATENCY_SHARE = 0.70  # (d) with the realistic latency profile, of (b) without

RAW_SPIDER = r"""
import json, sys, time
from scrapy import Request, Spider, signals
from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

urls, proxy, concurrency, timeout, out = (
    json.load(open(sys.argv[1])), sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), sys.argv[5])
times = {}

class Raw(Spider):
    name = "raw"
    async def start(self):
        for url in urls:
            yield Request(url, meta={"proxy": proxy}, callback=self.parse, errback=self.failed,
                          dont_filter=True)
    def parse(self, response):
        times["bytes"] = times.get("bytes", 0) + len(response.body)
    def failed(self, failure):
        times["failures"] = times.get("failures", 0) + 1

def opened(spider):
    times["start"] = time.monotonic()
def closed(spider):
    times["end"] = time.monotonic()

process = CrawlerProcess({
    "CONCURRENT_REQUESTS": concurrency, "CONCURRENT_REQUESTS_PER_DOMAIN": 2,
    "DOWNLOAD_TIMEOUT": timeout, "RETRY_TIMES": 1, "LOG_LEVEL": "WARNING",
    # like (b): redirects followed, every status read, timeouts not retried, retries first
    "HTTPERROR_ALLOW_ALL": True, "REDIRECT_MAX_TIMES": 10, "RETRY_PRIORITY_ADJUST": 1,
    "RETRY_EXCEPTIONS": [e for e in Settings().getlist("RETRY_EXCEPTIONS")
                         if e != "scrapy.exceptions.DownloadTimeoutError"],
    "COOKIES_ENABLED": False, "TELNETCONSOLE_ENABLED": False, "REMOTE_CONTROL_ENABLED": False,
    "DOWNLOAD_MAXSIZE": 5 * 1024 * 1024,
})
crawler = process.create_crawler(Raw)
crawler.signals.connect(opened, signal=signals.spider_opened)
crawler.signals.connect(closed, signal=signals.spider_closed)
process.crawl(crawler)
process.start()
times["responses"] = crawler.stats.get_value("response_received_count", 0)
json.dump(times, open(out, "w"))
"""


def server_stats(port: int) -> dict[str, Any]:
    proxy = urllib.request.ProxyHandler({"http": f"http://127.0.0.1:{port}"})
    opener = urllib.request.build_opener(proxy)
    with opener.open("http://testbed.internal/__stats__", timeout=10) as response:
        return json.loads(response.read())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sites", type=int, default=5000, help="testbed size (default 5000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--concurrency", type=int, default=128, help="default 128, the crawl's own default"
    )
    parser.add_argument("--timeout", type=float, default=3.0, help="crawl timeout, seconds")
    parser.add_argument("--json", dest="json_out", help="also write the figures to this file")
    parser.add_argument(
        "--render",
        default="off",
        choices=["off", "fallback", "always"],
        help="JavaScript rendering in (b) (default off: (b) measures parse, extract, store;"
        " rendering in Chromium is measured separately with --render fallback)",
    )
    parser.add_argument(
        "--latency", metavar="lognormal:MEDIAN,SIGMA",
        help="(d): (b) again against the sites answering with this delay (lognormal:0.3,0.8)",
    )  # fmt: skip
    parser.add_argument(
        "--hang", type=float, default=0.0, metavar="SHARE",
        help="with --latency: this share of hosts hangs (answers after 10x the timeout)",
    )  # fmt: skip
    parser.add_argument(
        "--no-repeat", dest="repeat", action="store_false",
        help="skip (c), the repeat crawl that measures what unchanged sites add to the database",
    )  # fmt: skip
    args = parser.parse_args()

    from audit.config import load_builtin_profile
    from audit.demo.testbed import generate, start_server_process
    from audit.demo.testbed.latency import Latency
    from audit.intake.inventory import import_inventory
    from audit.store import Store

    work = Path(tempfile.mkdtemp(prefix="beian-bench-"))
    testbed = generate(load_builtin_profile("yuncheng"), args.sites, seed=args.seed)
    testbed.write(work)
    urls = [site.url for site in testbed.sites if site.in_inventory]
    (work / "urls.json").write_text(json.dumps(urls))
    sizes = [
        testbed.page(site.host, "/").length
        for site in testbed.sites[:200]
        if site.behaviour == "ok"
    ]
    print(
        f"testbed: {args.sites} sites ({len(urls)} in the inventory) in {work}; "
        f"homepages {min(sizes) // 1024}-{max(sizes) // 1024} KB (sample of {len(sizes)})"
    )

    server, port = start_server_process(args.sites, seed=args.seed, slow_seconds=args.timeout * 4)
    proxy = f"http://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    try:
        # (a) a raw spider: download each homepage, nothing else
        (work / "raw.py").write_text(RAW_SPIDER)
        before = server_stats(port)
        status_a, rss_a, _, cpu_a = run_measured(
            [
                sys.executable,
                str(work / "raw.py"),
                str(work / "urls.json"),
                proxy,
                str(args.concurrency),
                str(args.timeout),
                str(work / "raw.json"),
            ],
            env,
        )
        after = server_stats(port)
        raw = json.loads((work / "raw.json").read_text())
        crawl_a = raw["end"] - raw["start"]
        server_a = after["cpu_seconds"] - before["cpu_seconds"]

        # (b) the full path: beian crawl into a fresh database
        db_url = os.environ.get("BEIAN_DATABASE_URL") or f"sqlite:///{work / 'bench.db'}"
        env_b = {**env, "BEIAN_DATABASE_URL": db_url, "BEIAN_CRAWL__RENDER": args.render}
        with Store(db_url) as store:
            import_inventory(store, work / "inventory.csv")
        crawl_command = [
            sys.executable, "-m", "audit", "crawl", "--max-pages", "1", "--no-progress",
            "--proxy", proxy, "--concurrency", str(args.concurrency),
            "--timeout", str(args.timeout), "--json",
        ]  # fmt: skip
        stored = [stored_bytes(db_url)]
        before = server_stats(port)
        split_b: dict[str, float] = {}
        status_b, rss_b, pss_b, cpu_b = run_measured(crawl_command, env_b, cpu_split=split_b)
        after = server_stats(port)
        server_b = after["cpu_seconds"] - before["cpu_seconds"]
        crawl_b, snapshots, rendered = last_run(db_url)
        stored.append(stored_bytes(db_url))
        if args.repeat:
            # (c) the same sites again, unchanged: what a repeat crawl adds to the database
            status_c = run_measured(crawl_command, env_b)[0]
            stored.append(stored_bytes(db_url))
    finally:
        server.terminate()
    latency = None
    if args.latency:
        # (d) (b) against the same sites answering with real-world delays
        latency = Latency.parse(args.latency, hang=args.hang, hang_seconds=args.timeout * 10)
        server, port = start_server_process(
            args.sites, seed=args.seed, slow_seconds=args.timeout * 4, latency=latency
        )
        try:
            db_d = os.environ.get("BEIAN_DATABASE_URL") or f"sqlite:///{work / 'latency.db'}"
            with Store(db_d) as store:
                import_inventory(store, work / "inventory.csv")
            command_d = [f"http://127.0.0.1:{port}" if part == proxy else part
                         for part in crawl_command]  # fmt: skip
            status_d, rss_d, *_ = run_measured(command_d, {**env_b, "BEIAN_DATABASE_URL": db_d})
            crawl_d, snapshots_d, _ = last_run(db_d)
        finally:
            server.terminate()

    rate_a = len(urls) / crawl_a * 60
    rate_b = snapshots / crawl_b * 60
    figures = {
        "sites": len(urls),
        "raw_sites_per_min": round(rate_a),
        "raw_seconds": round(crawl_a, 1),
        "beian_sites_per_min": round(rate_b),
        "beian_seconds": round(crawl_b, 1),
        "beian_snapshots": snapshots,
        "ratio": round(rate_b / rate_a, 3),
        "beian_peak_rss_mb": round(rss_b / 2**20, 1),
        "beian_peak_pss_mb": round(pss_b / 2**20, 1),
        "raw_peak_rss_mb": round(rss_a / 2**20, 1),
        "raw_cpu_seconds": round(cpu_a, 1),
        "beian_cpu_seconds": round(cpu_b, 1),
        "beian_cpu_seconds_crawl_process": round(split_b["process"], 1),
        "beian_cpu_seconds_analysis_workers": round(split_b["children"], 1),
        "analysis_workers": os.environ.get("BEIAN_CRAWL__ANALYSIS_WORKERS", "auto"),
        "server_busy_during_raw": round(server_a / crawl_a, 3),
        "server_busy_during_beian": round(server_b / crawl_b, 3),
        "exit_status": [status_a, status_b],
        "render": args.render,
        "rendered_pages": rendered,
        "database": db_url.split(":")[0],
        "stored_mb_per_1000_sites": [
            round((after - before) / snapshots * 1000 / 2**20, 2)
            for before, after in itertools.pairwise(stored)
        ],  # the first crawl, then the repeat crawl of the unchanged sites
    }
    print()

    def met(ok: bool) -> str:
        return "met" if ok else "NOT MET"

    print(
        f"(a) raw Scrapy spider : {figures['raw_sites_per_min']:>7,} sites/min "
        f"({len(urls)} homepages in {crawl_a:.1f} s; redirects followed, as (b) does)"
    )
    print(
        f"(b) beian crawl       : {figures['beian_sites_per_min']:>7,} sites/min "
        f"({snapshots} snapshots in {crawl_b:.1f} s; render {args.render}: {rendered} pages"
        f" rendered)   target >= {TARGET_RATE:,} "
        f"{met(figures['beian_sites_per_min'] >= TARGET_RATE)}"
    )
    print(
        f"ratio (b)/(a)         : {figures['ratio']:.0%}   target >= {TARGET_RATIO:.0%} "
        f"{met(figures['ratio'] >= TARGET_RATIO)}"
    )
    print(
        f"peak RSS of (b)       : {figures['beian_peak_rss_mb']:.0f} MB   target < "
        f"{TARGET_RSS_MB} MB {met(figures['beian_peak_rss_mb'] < TARGET_RSS_MB)}"
        " (the crawl process and its children added up: analysis workers, browser)"
    )
    print(
        f"peak PSS of (b)       : {figures['beian_peak_pss_mb']:.0f} MB"
        " (the same with shared pages counted once)"
    )
    print(
        f"CPU seconds           : (a) {cpu_a:.1f}, (b) {cpu_b:.1f} (all processes: the crawl "
        f"process {split_b['process']:.1f}, its analysis workers {split_b['children']:.1f}; "
        f"{crawl_b:.1f} s of wall time)"
    )
    print(
        f"testbed server CPU    : {figures['server_busy_during_raw']:.0%} of one core during (a),"
        f" {figures['server_busy_during_beian']:.0%} during (b): not the bottleneck"
        if max(figures["server_busy_during_raw"], figures["server_busy_during_beian"]) < 0.8
        else f"testbed server CPU    : {figures['server_busy_during_raw']:.0%} /"
        f" {figures['server_busy_during_beian']:.0%} of one core: it may be the bottleneck"
    )
    if latency is not None:
        rate_d = snapshots_d / crawl_d * 60
        share = rate_d / rate_b
        figures |= {"latency": latency.describe(), "latency_sites_per_min": round(rate_d),
                    "latency_share": round(share, 3),
                    "latency_peak_rss_mb": round(rss_d / 2**20, 1)}  # fmt: skip
        print(
            f"(d) with latency      : {rate_d:>7,.0f} sites/min ({latency.describe()}; timeout"
            f" {args.timeout:g} s) = {share:.0%} of (b)   target >= {TARGET_LATENCY_SHARE:.0%} "
            f"{met(share >= TARGET_LATENCY_SHARE)}; peak RSS {rss_d / 2**20:.0f} MB"
        )
    first, *repeat = figures["stored_mb_per_1000_sites"]
    print(f"stored per 1,000 sites: first crawl {first:.2f} MB", end="")
    if repeat:
        print(f", repeat crawl of the unchanged sites {repeat[0]:.2f} MB"
              f"   target < {TARGET_REPEAT_MB} MB {met(repeat[0] < TARGET_REPEAT_MB)}")  # fmt: skip
    else:
        print(" (no repeat crawl: --no-repeat)")
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(figures, indent=2))
    statuses = [status_a, status_b] + ([status_c] if args.repeat else [])
    statuses += [status_d] if latency is not None else []
    return 0 if not any(statuses) else 1


def last_run(url: str) -> tuple[float, int, int]:
    """(seconds, snapshots, pages rendered) of the database's last crawl run."""
    from sqlalchemy import func, select

    from audit.store import CrawlRun, Snapshot, Store

    with Store(url) as store, store.session() as session:
        run = session.scalars(select(CrawlRun).order_by(CrawlRun.id.desc())).first()
        assert run is not None and run.finished_at is not None
        rendered = session.scalar(
            select(func.count()).where(Snapshot.run_id == run.id, Snapshot.rendered)
        )
        seconds = (run.finished_at - run.started_at).total_seconds()
        return seconds, int(run.stats.get("snapshots", 0)), int(rendered or 0)


def stored_bytes(url: str) -> int:
    """What the database occupies: SQLite's used pages (its write-ahead log checkpointed
    first), PostgreSQL's tables with their indexes and TOAST in the URL's schema."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from benchmarks.bulletin_speed import _search_path, database_bytes

    if make_url(url).get_backend_name() != "sqlite":
        return database_bytes(url, _search_path(url) or "public")
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            pages = connection.scalar(text("PRAGMA page_count")) or 0
            free = connection.scalar(text("PRAGMA freelist_count")) or 0
            return int((pages - free) * (connection.scalar(text("PRAGMA page_size")) or 0))
    finally:
        engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
