"""Bulletin speed: one monthly bulletin over a year of history of a large jurisdiction.

    python benchmarks/bulletin_speed.py [--backend sqlite|postgresql|both]
                                        [--sites 100000] [--findings 500000] [--months 12]

Generates a database of N sites (default 100,000) with M months (default 12) of history
written the way the crawl and the audit write it: two full crawl runs a month (the 1st
and the 15th, Beijing time) and a small re-test run (the 25th), one snapshot per site and
run with its ICP / public-security notices, F findings (default 500,000) over ten rules
with their lifecycle events (opened, resolved, reopened; resolved when a site is taken
out of the inventory) and the analysts' review events (confirmed, notified with a
deadline, inspected, rectifying, false positive; resolved by the re-test). Then, in a
fresh process, it times one bulletin, that of the last month, compiled just after the
month's end: ``make_bulletin(store, settings, month, out_dir=..., now=...)``, i.e. the
figures (``compile_figures``), the charts, DOCX, HTML, Markdown and the XLSX attachment.

It prints the generation time (not part of the target), the bulletin's time split into
compiling and each renderer, the peak RSS of the bulletin's process (``ru_maxrss`` of a
process that does nothing else; a PostgreSQL server's own memory is not in it), the
sizes of the files written and the row counts of the database.

Target on the 2-core machine, defaults: the bulletin in < 60 s and < 1 GB peak RSS, on
SQLite and on PostgreSQL.

PostgreSQL: the database lives in a schema of its own (created, and dropped at the end
unless --keep) in the database of --postgres-url (default $BEIAN_BENCH_POSTGRES_URL, else
postgresql+psycopg://postgres@127.0.0.1:5432/test).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from audit.bulletin.period import month_period
from audit.config import load_builtin_profile
from audit.store import Store
from audit.store.models import (
    CrawlRun,
    Finding,
    FindingEvent,
    Notice,
    NoticeSet,
    Site,
    Snapshot,
)
from benchmarks.bulletin_history import LAST_MONTH, generate

TARGET_SECONDS = 60
TARGET_RSS_MB = 1024
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def row_counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return {
                model.__tablename__: connection.scalar(select(func.count()).select_from(model)) or 0
                for model in (Site, CrawlRun, Snapshot, NoticeSet, Notice, Finding, FindingEvent)
            }
    finally:
        engine.dispose()


def database_bytes(url: str, schema: str | None) -> int:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database or "")
        return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return int(
                connection.scalar(
                    text(
                        "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c"
                        " JOIN pg_namespace n ON n.oid = c.relnamespace"
                        " WHERE n.nspname = :schema AND c.relkind = 'r'"
                    ),
                    {"schema": schema},
                )
                or 0
            )
    finally:
        engine.dispose()


# ---- the measured bulletin, in a process of its own ----------------------------------------


def measure(url: str, month: str, now: dt.datetime, out_dir: Path) -> dict[str, Any]:
    """One ``make_bulletin`` with each stage timed (the stages are wrapped, not changed)."""
    import resource

    started = time.perf_counter()
    import audit.bulletin as bulletin
    import audit.bulletin.charts as charts
    import audit.bulletin.compile as compile_module
    import audit.bulletin.document as document
    import audit.bulletin.render_docx as render_docx
    import audit.bulletin.render_html as render_html
    import audit.bulletin.render_markdown as render_markdown
    import audit.bulletin.render_xlsx as render_xlsx
    from audit.config import Settings

    imports = time.perf_counter() - started
    stages: dict[str, float] = {}
    marks: dict[str, int] = {}

    def timed(module: Any, name: str, stage: str) -> None:
        original = getattr(module, name)

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                stages[stage] = stages.get(stage, 0.0) + time.perf_counter() - start
                marks[stage] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

        setattr(module, name, wrapper)

    timed(compile_module, "compile_figures", "compile")
    timed(charts, "draw_charts", "charts")
    timed(document, "build_document", "document")
    timed(render_docx, "render_docx", "docx")
    timed(render_html, "render_html", "html")
    timed(render_markdown, "render_markdown", "md")
    timed(render_xlsx, "render_xlsx", "xlsx")
    timed(bulletin, "record_issue", "record")

    profile = load_builtin_profile("yuncheng")
    settings = Settings(database_url=url, data_dir=out_dir, profile=profile)
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with Store(url, migrate=False) as store:
        start = time.perf_counter()
        result = bulletin.make_bulletin(store, settings, month, out_dir=out_dir, now=now)
        total = time.perf_counter() - start
    figures = result.figures
    return {
        "bulletin_seconds": round(total, 2),
        "stages": {k: round(v, 2) for k, v in stages.items()},
        "other_seconds": round(total - sum(stages.values()), 2),
        "import_seconds": round(imports, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "rss_after_imports_mb": round(baseline / 1024, 1),
        "peak_rss_after_compile_mb": round(marks.get("compile", 0) / 1024, 1),
        "issue": result.label,
        "warnings": result.warnings,
        "files": {
            path.name: path.stat().st_size for path in sorted(out_dir.iterdir()) if path.is_file()
        },
        "figures": {
            "monitored": figures.overview.monitored.current,
            "reachable": figures.overview.reachable.current,
            "icp_rate": figures.overview.icp.current,
            "police_rate": figures.overview.police.current,
            "unfiled_sites": figures.unfiled.sites.current,
            "open_findings": len(figures.open_findings),
            "rectified": len(figures.rectified),
            "overdue": len(figures.overdue),
            "warnings": len(figures.warnings),
            "notified_sites": figures.rectification.notified.current,
        },
    }


def run_measured(url: str, month: str, now: dt.datetime, out_dir: Path) -> dict[str, Any]:
    """``measure`` in a fresh interpreter, so that its ru_maxrss is the bulletin's alone."""
    result_file = out_dir.parent / f"{out_dir.name}.json"
    command = [
        sys.executable, __file__, "--measure", url, "--month", month,
        "--now", now.isoformat(), "--out", str(out_dir), "--result", str(result_file),
    ]  # fmt: skip
    status = subprocess.run(command, env={**os.environ, "PYTHONUNBUFFERED": "1"}).returncode
    if status != 0:
        raise SystemExit(f"the measured bulletin failed (exit status {status})")
    return json.loads(result_file.read_text())


# ---- the backends --------------------------------------------------------------------------


def _search_path(url: str) -> str | None:
    """The schema of a URL made by :func:`postgres_schema`."""
    options = make_url(url).query.get("options", "")
    text = options if isinstance(options, str) else " ".join(options)
    return text.split("search_path=", 1)[1].split()[0] if "search_path=" in text else None


def postgres_reachable(url: str) -> bool:
    try:
        engine = create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
        return True
    except Exception:
        return False


def postgres_schema(base_url: str, name: str, *, create: bool) -> str:
    """Create (or drop) a schema; return the URL whose search_path is that schema."""
    base = make_url(base_url)
    if base.drivername == "postgresql":
        base = base.set(drivername="postgresql+psycopg")
    admin = create_engine(base)
    try:
        with admin.begin() as connection:
            if create:
                connection.execute(text(f'CREATE SCHEMA "{name}"'))
            else:
                connection.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
    finally:
        admin.dispose()
    url = base.update_query_dict({"options": f"-csearch_path={name}"})
    return url.render_as_string(hide_password=False)


def run_backend(backend: str, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    schema = None
    if args.reuse:
        url = args.reuse
    elif backend == "sqlite":
        url = f"sqlite:///{work / 'bulletin-bench.db'}"
    else:
        schema = f"bench_bulletin_{os.getpid()}"
        url = postgres_schema(args.postgres_url, schema, create=True)
    period = month_period(*LAST_MONTH)
    month = period.month
    now = period.end + dt.timedelta(hours=9)  # the morning of the 1st, Beijing time
    try:
        if args.reuse:
            print(f"\n== {backend}: the database of an earlier run")
            generation, generation_seconds = {}, None
        else:
            print(
                f"\n== {backend}: {args.sites:,} sites, {args.findings:,} findings,"
                f" {args.months} months"
            )
            start = time.perf_counter()
            generation = generate(
                url, sites=args.sites, findings=args.findings, months=args.months, seed=args.seed
            )
            generation_seconds = time.perf_counter() - start
            print(f"  generated in {generation_seconds:.0f} s")
        counts = row_counts(url)
        size = database_bytes(url, schema or _search_path(url))
        print(f"  database {size / 2**20:,.0f} MB")
        print("  rows: " + ", ".join(f"{name} {count:,}" for name, count in counts.items()))
        runs = []
        for attempt in range(args.repeat):
            out_dir = work / f"{backend}-bulletin-{attempt + 1}"
            out_dir.mkdir()
            measured = run_measured(url, month, now, out_dir)
            runs.append(measured)
            print_measure(measured)
    finally:
        if schema is not None and not args.keep:
            postgres_schema(args.postgres_url, schema, create=False)
    return {
        "backend": backend,
        "url": url if args.keep or args.reuse else None,
        "month": month,
        "now": now.isoformat(),
        "generation_seconds": None if generation_seconds is None else round(generation_seconds, 1),
        "generation": generation,
        "database_mb": round(size / 2**20, 1),
        "rows": counts,
        "bulletins": runs,
    }


def print_measure(measured: dict[str, Any]) -> None:
    stages = measured["stages"]
    total = measured["bulletin_seconds"]
    rss = measured["peak_rss_mb"]
    render = total - stages.get("compile", 0.0)
    print(
        f"  bulletin {measured['issue']}: {total:.1f} s   target < {TARGET_SECONDS} s"
        f" {'met' if total < TARGET_SECONDS else 'NOT MET'}"
    )
    print(
        f"    compile {stages.get('compile', 0):.1f} s, render and the rest {render:.1f} s ("
        + ", ".join(f"{k} {v:.1f}" for k, v in stages.items() if k != "compile")
        + f", other {measured['other_seconds']:.1f}); imports before it"
        f" {measured['import_seconds']:.1f} s"
    )
    print(
        f"  peak RSS {rss:,.0f} MB   target < {TARGET_RSS_MB} MB"
        f" {'met' if rss < TARGET_RSS_MB else 'NOT MET'}"
        f" (after the imports {measured['rss_after_imports_mb']:,.0f} MB,"
        f" peak up to the end of compile {measured['peak_rss_after_compile_mb']:,.0f} MB)"
    )
    print(
        "  files: "
        + ", ".join(f"{name} {size / 1024:,.0f} KB" for name, size in measured["files"].items())
    )
    print("  figures: " + ", ".join(f"{k} {v}" for k, v in measured["figures"].items()))
    for warning in measured["warnings"]:
        print(f"  warning: {warning}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--backend",
        choices=["sqlite", "postgresql", "both"],
        help="default: both when the PostgreSQL server answers, else sqlite",
    )
    parser.add_argument("--sites", type=int, default=100_000)
    parser.add_argument("--findings", type=int, default=500_000)
    parser.add_argument("--months", type=int, default=12, help="months of history (>= 2)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=1, help="bulletins timed per database")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("BEIAN_BENCH_POSTGRES_URL", DEFAULT_POSTGRES),
        help="a database to create the benchmark's schema in",
    )
    parser.add_argument("--keep", action="store_true", help="keep the generated databases")
    parser.add_argument(
        "--reuse",
        metavar="URL",
        help="time the bulletin again on a database kept by --keep (no generation)",
    )
    parser.add_argument("--json", dest="json_out", help="also write the figures to this file")
    # the measured bulletin, run by this script in a fresh process
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--month", help=argparse.SUPPRESS)
    parser.add_argument("--now", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.measure:
        measured = measure(
            args.measure, args.month, dt.datetime.fromisoformat(args.now), Path(args.out)
        )
        Path(args.result).write_text(json.dumps(measured, indent=2, ensure_ascii=False))
        return 0

    if args.months < 2:
        parser.error("--months: at least 2 (the bulletin compares with the month before)")
    if args.reuse:
        backends = [make_url(args.reuse).get_backend_name()]
    else:
        if args.backend is None:
            args.backend = "both" if postgres_reachable(args.postgres_url) else "sqlite"
        backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    work = Path(tempfile.mkdtemp(prefix="beian-bulletin-bench-"))
    print(f"working directory {work}")
    results = []
    try:
        for backend in backends:
            results.append(run_backend(backend, args, work))
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print("\nsummary (bulletin of the last month; targets < 60 s, < 1,024 MB peak RSS)")
    for result in results:
        for measured in result["bulletins"]:
            generation = result["generation_seconds"]
            print(
                f"  {result['backend']:<10} generation "
                + (f"{generation:>6.0f} s" if generation is not None else "     — ")
                + f"  compile {measured['stages'].get('compile', 0):>5.1f} s"
                f"  bulletin {measured['bulletin_seconds']:>5.1f} s"
                f"  peak RSS {measured['peak_rss_mb']:>6,.0f} MB"
            )
    if args.keep:
        print(f"kept: {work}" + "".join(f"\n  {r['url']}" for r in results if r["url"]))
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(results, indent=2, ensure_ascii=False))
    ok = all(
        m["bulletin_seconds"] < TARGET_SECONDS and m["peak_rss_mb"] < TARGET_RSS_MB
        for r in results
        for m in r["bulletins"]
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
