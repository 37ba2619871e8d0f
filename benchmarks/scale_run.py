"""Province scale: `beian crawl` (crawl, then audit) over testbeds of growing size.

    python benchmarks/scale_run.py --sizes 5000,20000,100000 --backend both

For each size N: a testbed of N sites (homepages of 30-120 KB) served from its own process;
its inventory imported into a fresh database (a SQLite file, or a PostgreSQL schema of its
own, dropped at the end); then `beian crawl --max-pages 1` as a user runs it. Printed per
size: the crawl's sites per minute (the run's start to its end, as crawl_throughput.py
measures (b)), the end-to-end time of the command (start-up, crawl and the audit after it),
the peak RSS and PSS of the command's process family (the crawl process and its analysis
workers, sampled every 0.1 s) and their CPU seconds.

Targets (issue 13): sites/min flat from 5,000 to 100,000 sites (here: every size at least
85% of the smallest size's rate), peak RSS of the process family < 600 MB at every size.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from audit.config import load_builtin_profile
from audit.demo.testbed import generate, start_server_process
from audit.demo.testbed.measure import run_measured
from audit.intake.inventory import import_inventory
from audit.store import Store
from benchmarks.bulletin_speed import DEFAULT_POSTGRES, postgres_reachable, postgres_schema
from benchmarks.crawl_throughput import last_run

TARGET_RSS_MB = 600
TARGET_FLAT = 0.85  # each size's rate, as a share of the smallest size's


def run_size(sites: int, backend: str, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    schema = None
    if backend == "sqlite":
        url = f"sqlite:///{work / f'scale-{sites}.db'}"
    else:
        schema = f"bench_scale_{os.getpid()}_{sites}"
        url = postgres_schema(args.postgres_url, schema, create=True)
    folder = work / f"testbed-{sites}"
    testbed = generate(load_builtin_profile("yuncheng"), sites, seed=args.seed)
    testbed.write(folder)
    inventory = sum(1 for site in testbed.sites if site.in_inventory)
    del testbed
    # (the server generates the testbed again: about a minute per 50,000 sites)
    server, port = start_server_process(
        sites, seed=args.seed, slow_seconds=args.timeout * 4, timeout=120 + sites / 100
    )
    try:
        with Store(url) as store:
            import_inventory(store, folder / "inventory.csv")
        command = [
            sys.executable, "-m", "audit", "crawl", "--max-pages", "1", "--no-progress",
            "--proxy", f"http://127.0.0.1:{port}", "--concurrency", str(args.concurrency),
            "--timeout", str(args.timeout), "--json",
        ]  # fmt: skip
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "BEIAN_DATABASE_URL": url}
        env["BEIAN_CRAWL__RENDER"] = "off"
        start = time.perf_counter()
        with (work / f"crawl-{backend}-{sites}.log").open("w") as log:
            status, rss, pss, cpu = run_measured(command, env, stdout=log, stderr=log)
        end_to_end = time.perf_counter() - start
        crawl_seconds, snapshots, _ = last_run(url)
    finally:
        server.terminate()
        if schema is not None:
            postgres_schema(args.postgres_url, schema, create=False)
    return {
        "backend": backend,
        "sites": sites,
        "inventory": inventory,
        "snapshots": snapshots,
        "crawl_seconds": round(crawl_seconds, 1),
        "sites_per_min": round(snapshots / crawl_seconds * 60),
        "end_to_end_seconds": round(end_to_end, 1),
        "peak_rss_mb": round(rss / 2**20),
        "peak_pss_mb": round(pss / 2**20),
        "cpu_seconds": round(cpu, 1),
        "exit_status": status,
    }


def report(rows: list[dict[str, Any]], base: int | None = None) -> None:
    base = base or rows[0]["sites_per_min"]
    for row in rows:
        flat = "met" if row["sites_per_min"] >= TARGET_FLAT * base else "NOT MET"
        small = "met" if row["peak_rss_mb"] < TARGET_RSS_MB else "NOT MET"
        print(
            f"  {row['sites']:>7,} sites ({row['snapshots']:,} snapshots):"
            f" {row['sites_per_min']:>6,} sites/min"
            f" ({row['sites_per_min'] / base:.0%} of the smallest; >= {TARGET_FLAT:.0%}"
            f" {flat}),"
            f" end to end {row['end_to_end_seconds']:,.0f} s (crawl {row['crawl_seconds']:,.0f} s),"
            f" peak RSS {row['peak_rss_mb']} MB (< {TARGET_RSS_MB}: {small};"
            f" PSS {row['peak_pss_mb']} MB), CPU {row['cpu_seconds']:,.0f} s"
            + ("" if row["exit_status"] == 0 else f", exit status {row['exit_status']}")
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="5000,20000,100000", help="testbed sizes, ascending")
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="sqlite")
    parser.add_argument("--postgres-url", default=os.environ.get("BEIAN_TEST_POSTGRES_URL"))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=128)
    parser.add_argument("--timeout", type=float, default=3.0, help="crawl timeout, seconds")
    parser.add_argument("--json", dest="json_out", help="also write the figures to this file")
    args = parser.parse_args()
    args.postgres_url = args.postgres_url or DEFAULT_POSTGRES
    sizes = sorted(int(size) for size in args.sizes.split(","))
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    if "postgresql" in backends and not postgres_reachable(args.postgres_url):
        raise SystemExit(f"PostgreSQL is not reachable at {args.postgres_url}")
    work = Path(tempfile.mkdtemp(prefix="beian-scale-"))
    print(f"work folder {work}; sizes {sizes}; timeout {args.timeout:g} s,"
          f" concurrency {args.concurrency}")  # fmt: skip
    results: list[dict[str, Any]] = []
    for backend in backends:
        rows = []
        for sites in sizes:
            rows.append(run_size(sites, backend, args, work))
            report(rows[-1:], base=rows[0]["sites_per_min"])
            if args.json_out:  # as it goes: a long run that fails keeps what it measured
                Path(args.json_out).write_text(json.dumps([*results, *rows], indent=2))
        print(f"\n== {backend}")
        report(rows)
        results += rows
    return 0 if all(row["exit_status"] == 0 for row in results) else 1


if __name__ == "__main__":
    sys.exit(main())
