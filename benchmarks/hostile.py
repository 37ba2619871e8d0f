"""A crawl of ordinary sites among hostile ones: nothing lost, nothing false, bounded.

    python benchmarks/hostile.py                                  # 2,000 + 54 sites, SQLite
    python benchmarks/hostile.py --postgres postgresql+psycopg://postgres@127.0.0.1/test

Serves a testbed of N ordinary sites and ``--copies`` of every hostile kind of
``audit/demo/testbed/hostile.py`` (decompression bombs, hangs, drips, resets, redirect and
meta-refresh loops, NUL bytes, 5,000-character URLs, 200,000-deep nesting, 100,000-link
floods, non-HTTP answers, 1 MB titles and headers) through one loopback proxy, runs
`beian crawl` (rendering off: the crawler's own cost) into a fresh database, and prints:

  sites and snapshots (exactly one per site), the outcome of each hostile kind against the
  one it must get, the ordinary sites' outcomes, false findings (findings the manifest does
  not call for, on ordinary sites; any finding on a hostile site), the run's state, the
  peak RSS and PSS of the crawl's process family, and the time.

Targets: every site one snapshot with its documented outcome, 0 false findings, peak PSS
under 600 MB on a 2-core machine.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sqlalchemy import create_engine, func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from audit.config import load_builtin_profile  # noqa: E402
from audit.demo.testbed import generate  # noqa: E402
from audit.demo.testbed.expected import expected_rules  # noqa: E402
from audit.demo.testbed.hostile import (  # noqa: E402
    HostileServer,
    brotli_bomb,
    deflate_bomb,
    double_gzip_bomb,
    gzip_bomb,
    hostile_sites,
)
from audit.demo.testbed.measure import run_measured  # noqa: E402
from audit.intake.inventory import import_inventory  # noqa: E402
from audit.store import CrawlRun, Finding, Site, Snapshot, Store  # noqa: E402

TIMEOUT = 5.0


@contextmanager
def fresh_database(kind: str, work: Path, postgres: str | None) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{work / 'hostile.db'}"
        return
    assert postgres
    base = make_url(postgres)
    if base.drivername == "postgresql":
        base = base.set(drivername="postgresql+psycopg")
    schema = f"bench_hostile_{os.getpid()}"
    admin = create_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield base.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
            hide_password=False
        )
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def measure(
    kind: str, args: argparse.Namespace, server: HostileServer, work: Path
) -> dict[str, Any]:
    manifest_path, inventory = server.testbed.write(work)
    manifest = json.loads(manifest_path.read_text("utf-8"))
    hostile = list(server.sites.values())
    extra = work / "hostile-inventory.csv"
    with extra.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["url", "name"])
        writer.writerows((f"http://{site.host}/", site.kind) for site in hostile)
    with fresh_database(kind, work, args.postgres) as db_url, Store(db_url) as store:
        import_inventory(store, inventory)
        import_inventory(store, extra)
        env = {k: v for k, v in os.environ.items() if not k.startswith("BEIAN_")}
        env.update(
            BEIAN_DATABASE_URL=db_url, BEIAN_CRAWL__RENDER="off", PYTHONUNBUFFERED="1",
            BEIAN_CRAWL__CONCURRENCY=str(args.concurrency),
        )  # fmt: skip
        command = [
            sys.executable, "-m", "audit", "crawl", "--proxy", server.url, "--timeout",
            str(TIMEOUT), "--no-progress", "--json",
        ]  # fmt: skip
        started = time.monotonic()
        with (work / f"{kind}.out").open("w") as out, (work / f"{kind}.err").open("w") as err:
            status, rss, pss, cpu = run_measured(command, env, cwd=work, stdout=out, stderr=err)
        seconds = time.monotonic() - started
        with store.session() as session:
            run = session.scalars(select(CrawlRun).order_by(CrawlRun.id.desc())).first()
            assert run is not None
            sites = session.scalar(select(func.count()).select_from(Site)) or 0
            per_site = Counter(
                count
                for _, count in session.execute(
                    select(Snapshot.site_id, func.count())
                    .where(Snapshot.run_id == run.id)
                    .group_by(Snapshot.site_id)
                )
            )
            outcome = dict(
                session.execute(
                    select(Site.host, Snapshot.outcome)
                    .join(Snapshot, Snapshot.site_id == Site.id)
                    .where(Snapshot.run_id == run.id)
                ).all()
            )
            found: dict[str, set[str]] = {}
            for host, rule in session.execute(
                select(Site.host, Finding.rule)
                .join(Finding, Finding.site_id == Site.id)
                .where(Finding.first_seen_run_id == run.id)
            ):
                found.setdefault(host, set()).add(rule)
            state = run.state
    hostile_rows: dict[str, Counter[str]] = {}
    for site in hostile:
        hostile_rows.setdefault(site.kind, Counter())[outcome.get(site.host, "missing")] += 1
    wrong_outcomes = sum(
        count
        for site_kind, got in hostile_rows.items()
        for got_outcome, count in got.items()
        if got_outcome != server_expected(hostile, site_kind)
    )
    false_findings = sum(len(found.get(site.host, set())) for site in hostile)
    missed = 0
    ordinary: Counter[str] = Counter()
    for site in manifest["sites"]:
        if site["host"] not in outcome:
            continue
        ordinary[outcome[site["host"]]] += 1
        if site["expected"]["js_only"]:
            continue  # their footers need the browser, which is off here
        want, got = expected_rules(site), found.get(site["host"], set())
        false_findings += len(got - want)
        missed += len(want - got)
    return {
        "database": kind,
        "exit_status": status,
        "run_state": state,
        "sites": sites,
        "snapshots": sum(n * c for n, c in per_site.items()),
        "sites_with_one_snapshot": per_site.get(1, 0),
        "hostile_outcomes": {k: dict(v) for k, v in hostile_rows.items()},
        "hostile_wrong_outcomes": wrong_outcomes,
        "ordinary_outcomes": dict(ordinary),
        "false_findings": false_findings,
        "missed_findings": missed,
        "peak_rss_mb": round(rss / 2**20),
        "peak_pss_mb": round(pss / 2**20),
        "cpu_seconds": round(cpu, 1),
        "seconds": round(seconds, 1),
    }


def server_expected(hostile: list[Any], kind: str) -> str:
    return next(site.expected for site in hostile if site.kind == kind)


def report(figures: dict[str, Any]) -> None:
    print(f"\n== {figures['database']}: exit {figures['exit_status']}, run {figures['run_state']}")
    print(
        f"sites {figures['sites']}, snapshots {figures['snapshots']},"
        f" sites with exactly one snapshot {figures['sites_with_one_snapshot']}"
    )
    print("hostile kinds (outcome: count):")
    for kind, got in figures["hostile_outcomes"].items():
        print(f"  {kind:20} {', '.join(f'{o}: {n}' for o, n in got.items())}")
    print(
        f"hostile sites with another outcome than documented: {figures['hostile_wrong_outcomes']}"
    )
    print(f"ordinary sites: {figures['ordinary_outcomes']}")
    print(f"false findings: {figures['false_findings']}   (missed: {figures['missed_findings']})")
    print(
        f"peak RSS {figures['peak_rss_mb']} MB, peak PSS {figures['peak_pss_mb']} MB"
        f" (target < 600 MB); {figures['seconds']} s, {figures['cpu_seconds']} CPU s"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sites", type=int, default=2000, help="ordinary sites (default 2000)")
    parser.add_argument("--copies", type=int, default=3, help="sites per hostile kind (3)")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument(
        "--postgres",
        default=os.environ.get("BEIAN_TEST_POSTGRES_URL"),
        help="also run on this PostgreSQL database (a schema is created and dropped)",
    )
    parser.add_argument("--json", dest="json_out", help="also write the figures to this file")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="beian-hostile-"))
    for bomb in (gzip_bomb, deflate_bomb, brotli_bomb, double_gzip_bomb):
        bomb()
    testbed = generate(load_builtin_profile("yuncheng"), args.sites, seed=args.seed)
    sites = hostile_sites(copies=args.copies)
    print(f"{args.sites} ordinary sites and {len(sites)} hostile ones in {work}")
    results = []
    server = HostileServer(testbed, sites, slow_seconds=TIMEOUT * 4)
    with server:  # (as HostileServer: __enter__ is typed by its base class)
        for kind in ["sqlite", *(["postgresql"] if args.postgres else [])]:
            (work / kind).mkdir()
            figures = measure(kind, args, server, work / kind)
            report(figures)
            results.append(figures)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(results, indent=2))
    ok = all(
        f["exit_status"] == 0 and f["false_findings"] == 0 and f["hostile_wrong_outcomes"] == 0
        and f["sites_with_one_snapshot"] == f["sites"]
        for f in results
    )  # fmt: skip
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
