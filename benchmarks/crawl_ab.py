"""The full crawl path of two checkouts, on one testbed, against one raw spider.

    git worktree add /tmp/before <commit>
    python benchmarks/crawl_ab.py /tmp/before . --sites 5000 --rounds 3

`crawl_throughput.py` measures the checkout it belongs to; when its own raw spider or
defaults change, its ratio of an older commit is on another basis. This runs (b),
`beian crawl --max-pages 1`, of each checkout (its own code on this environment's
packages, each into a fresh SQLite database) against the same testbed server, and times it
against this checkout's raw spider (a), measured once per round. The checkouts alternate
first and second from round to round, so that a machine getting busier favours neither.
Each round prints one JSON line: (a)'s seconds, then per checkout its exit status, CPU
seconds of the process family, peak RSS, crawl seconds, snapshots and (b)/(a).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from audit.demo.testbed.measure import run_measured  # noqa: E402
from benchmarks.crawl_throughput import RAW_SPIDER  # noqa: E402

# Run inside a checkout (its directory first on sys.path): the inventory import moved in #12.
PREPARE = """
import sys
from audit.store import Store
try:
    from audit.intake.inventory import import_inventory
except ImportError:
    from audit.inventory import import_inventory
with Store(sys.argv[1]) as store:
    import_inventory(store, sys.argv[2])
"""
LAST_RUN = """
import json, sys
from sqlalchemy import select
from audit.store import CrawlRun, Store
with Store(sys.argv[1]) as store, store.session() as session:
    run = session.scalars(select(CrawlRun).order_by(CrawlRun.id.desc())).first()
    print(json.dumps({"seconds": (run.finished_at - run.started_at).total_seconds(),
                      "snapshots": run.stats.get("snapshots", 0)}))
"""


def crawl(checkout: Path, work: Path, name: str, proxy: str) -> dict[str, Any]:
    """(b) of one checkout into a fresh database: its figures."""
    url = f"sqlite:///{work / name}.db"
    env = {
        **os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(checkout),
        "BEIAN_DATABASE_URL": url, "BEIAN_CRAWL__RENDER": "off",
    }  # fmt: skip
    python = [sys.executable, "-c"]
    subprocess.run([*python, PREPARE, url, str(work / "inventory.csv")], env=env, cwd=checkout,
                   check=True)  # fmt: skip
    command = [
        sys.executable, "-m", "audit", "crawl", "--max-pages", "1", "--no-progress",
        "--proxy", proxy, "--concurrency", "128", "--timeout", "3.0", "--json",
    ]  # fmt: skip
    status, rss, _, cpu = run_measured(command, env, cwd=checkout, stdout=subprocess.DEVNULL)
    done = subprocess.run([*python, LAST_RUN, url], env=env, cwd=checkout, check=True,
                          capture_output=True, text=True)  # fmt: skip
    run = json.loads(done.stdout)
    return {"status": status, "cpu_seconds": round(cpu, 1), "peak_rss_mb": round(rss / 2**20),
            **run, "sites_per_min": round(run["snapshots"] / run["seconds"] * 60)}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("before", type=Path, help="a checkout (e.g. a git worktree)")
    parser.add_argument("after", type=Path, help="another checkout (e.g. .)")
    parser.add_argument("--sites", type=int, default=5000, help="testbed size (default 5000)")
    parser.add_argument("--rounds", type=int, default=3, help="default 3")
    args = parser.parse_args()

    from audit.config import load_builtin_profile
    from audit.demo.testbed import generate, start_server_process

    work = Path(tempfile.mkdtemp(prefix="beian-ab-"))
    testbed = generate(load_builtin_profile("yuncheng"), args.sites, seed=1)
    testbed.write(work)
    urls = [site.url for site in testbed.sites if site.in_inventory]
    (work / "urls.json").write_text(json.dumps(urls))
    (work / "raw.py").write_text(RAW_SPIDER)
    server, port = start_server_process(args.sites, seed=1, slow_seconds=12.0)
    proxy = f"http://127.0.0.1:{port}"
    checkouts = {"before": args.before.resolve(), "after": args.after.resolve()}
    try:
        for number in range(args.rounds):
            raw = [sys.executable, str(work / "raw.py"), str(work / "urls.json"), proxy, "128",
                   "3.0", str(work / "raw.json")]  # fmt: skip
            run_measured(raw, {**os.environ, "PYTHONUNBUFFERED": "1"}, stderr=subprocess.DEVNULL)
            times = json.loads((work / "raw.json").read_text())
            raw_rate = len(urls) / (times["end"] - times["start"]) * 60
            figures: dict[str, Any] = {"round": number, "raw_sites_per_min": round(raw_rate)}
            order = ["before", "after"] if number % 2 == 0 else ["after", "before"]
            for name in order:
                result = crawl(checkouts[name], work, f"{name}-{number}", proxy)
                figures[name] = {**result, "ratio": round(result["sites_per_min"] / raw_rate, 3)}
            print(json.dumps(figures), flush=True)
    finally:
        server.terminate()
    return 0


if __name__ == "__main__":
    sys.exit(main())
