"""Audit speed: the audit of one full crawl run of a large jurisdiction.

    python benchmarks/audit_speed.py [--backend sqlite|postgresql|both]
                                     [--sites 100000] [--findings 500000] [--months 1]

Generates the history of ``bulletin_history.py`` (N sites, their crawl runs, snapshots
with their notices, F findings with their events), then, in a fresh process, audits the
run with the most snapshots: ``run_audit(store, profile, run_id=…)``, i.e. the rules over
every snapshot of the run and the reconciliation of their hits with the findings the
sites already have (opened, still open, reopened, resolved). It prints the audit's time
and the peak RSS of its process (``ru_maxrss`` of a process that does nothing else; a
PostgreSQL server's own memory is not in it) beside the targets of issue 13, and what the
audit changed.

Targets on the 2-core machine, defaults: the audit in < 60 s and < 400 MB peak RSS, on
SQLite and on PostgreSQL.

PostgreSQL: the database lives in a schema of its own, created and dropped at the end
unless --keep, in the database of --postgres-url (default $BEIAN_BENCH_POSTGRES_URL, else
postgresql+psycopg://postgres@127.0.0.1:5432/test).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select

from audit.config import load_builtin_profile
from audit.findings.audit import run_audit
from audit.store import Snapshot, Store
from benchmarks.bulletin_history import generate
from benchmarks.bulletin_speed import DEFAULT_POSTGRES, postgres_reachable, postgres_schema

TARGET_SECONDS = 60
TARGET_RSS_MB = 400


def largest_run(url: str) -> tuple[int, int]:
    """(id, snapshot count) of the run with the most snapshots: a full crawl."""
    with Store(url) as store, store.session() as session:
        row = session.execute(
            select(Snapshot.run_id, func.count())
            .group_by(Snapshot.run_id)
            .order_by(func.count().desc())
        ).first()
    if row is None:
        raise SystemExit("the generated database has no snapshots")
    return int(row[0]), int(row[1])


def peak_rss_mb() -> float:
    """This process's peak RSS: VmHWM where Linux has it (ru_maxrss carries over the peak of
    the parent that forked it, here the generator's), else ru_maxrss."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kilobytes = next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM"))
    return int(kilobytes) / 1024


def measure(url: str, run_id: int) -> dict[str, Any]:
    """The audit of one run, in this process (run by ``run_measured``)."""
    after_imports = peak_rss_mb()
    with Store(url) as store:
        start, cpu = time.perf_counter(), time.process_time()
        summary = run_audit(store, load_builtin_profile("yuncheng"), run_id=run_id)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {
        "run_id": run_id,
        "audit_seconds": round(seconds, 1),
        "audit_cpu_seconds": round(cpu, 1),  # this process only (not the database server's)
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "rss_after_imports_mb": round(after_imports, 1),
        "sites": summary.sites,
        "judged_sites": summary.judged_sites,
        "changes": {kind: sum(counts.values()) for kind, counts in summary.changes.items()},
    }


def run_measured(url: str, run_id: int, result: Path) -> dict[str, Any]:
    """``measure`` in a fresh interpreter, so that its ru_maxrss is the audit's alone."""
    command = [
        sys.executable, __file__, "--measure", url, "--run", str(run_id), "--result", str(result)
    ]  # fmt: skip
    status = subprocess.run(command, env={**os.environ, "PYTHONUNBUFFERED": "1"}).returncode
    if status != 0:
        raise SystemExit(f"the measured audit failed (exit status {status})")
    measured: dict[str, Any] = json.loads(result.read_text())
    return measured


def run_backend(backend: str, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    schema = None
    if backend == "sqlite":
        url = f"sqlite:///{work / 'audit-bench.db'}"
    else:
        schema = f"bench_audit_{os.getpid()}"
        url = postgres_schema(args.postgres_url, schema, create=True)
    try:
        print(f"\n== {backend}: {args.sites:,} sites, {args.findings:,} findings,", end="")
        print(f" {args.months} months")
        start = time.perf_counter()
        generate(url, sites=args.sites, findings=args.findings, months=args.months, seed=args.seed)
        print(f"  generated in {time.perf_counter() - start:.0f} s")
        run_id, snapshots = largest_run(url)
        print(f"  auditing run {run_id} ({snapshots:,} snapshots)")
        measured = run_measured(url, run_id, work / f"{backend}-audit.json")
    finally:
        if schema is not None and not args.keep:
            postgres_schema(args.postgres_url, schema, create=False)
    seconds, rss = measured["audit_seconds"], measured["peak_rss_mb"]
    print(
        f"  audit: {seconds:.1f} s   target < {TARGET_SECONDS} s"
        f" {'met' if seconds < TARGET_SECONDS else 'NOT MET'}"
        f" (CPU of the audit's process {measured['audit_cpu_seconds']:.1f} s)"
    )
    print(
        f"  peak RSS {rss:,.0f} MB   target < {TARGET_RSS_MB} MB"
        f" {'met' if rss < TARGET_RSS_MB else 'NOT MET'}"
        f" (after the imports {measured['rss_after_imports_mb']:,.0f} MB)"
    )
    print(f"  sites {measured['sites']:,}, judged {measured['judged_sites']:,};"
          f" changes {measured['changes']}")  # fmt: skip
    return {"backend": backend, **measured}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="sqlite")
    parser.add_argument("--sites", type=int, default=100_000)
    parser.add_argument("--findings", type=int, default=500_000)
    parser.add_argument("--months", type=int, default=1, help="history before the audit")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--postgres-url", default=os.environ.get("BEIAN_BENCH_POSTGRES_URL", DEFAULT_POSTGRES)
    )
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL schema")
    parser.add_argument("--json", dest="json_out", help="also write the figures to this file")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--run", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        Path(args.result).write_text(json.dumps(measure(args.measure, args.run)))
        return 0
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    if "postgresql" in backends and not postgres_reachable(args.postgres_url):
        raise SystemExit(f"PostgreSQL is not reachable at {args.postgres_url}")
    with tempfile.TemporaryDirectory(prefix="beian-audit-bench-") as tmp:
        results = [run_backend(backend, args, Path(tmp)) for backend in backends]
    met = all(
        r["audit_seconds"] < TARGET_SECONDS and r["peak_rss_mb"] < TARGET_RSS_MB for r in results
    )
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(results, indent=2))
    print(f"\ntargets {'met' if met else 'NOT MET'} ({', '.join(backends)})")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
