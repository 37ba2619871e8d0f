"""Import bombs: the time and peak memory of `beian sites import` on hostile files.

    python benchmarks/import_bombs.py                 # every file below
    python benchmarks/import_bombs.py --only merge    # the files whose name contains it

Writes each file (``tests/support/hostile_files.py``: a few KB to a few MB, however much they
declare), imports it with ``python -m audit sites import`` into a fresh SQLite database
in a child process, and prints per file: its size, the exit status, the wall time, the
child's CPU time, its peak RSS (from the kernel: ``os.wait4``) and the lines it wrote
to stderr, with the first of them. Two ordinary inventories of 100,000 sites (XLSX
written by the project's own writer, and CSV) give the yardstick.

Targets: every bomb ends within 10 s and 300 MB of peak RSS on the 2-core machine, with
one error line or a capped number of lines; the ordinary inventories import at 20,000
rows/s or more.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from audit.documents.spreadsheet import Sheet, write_workbook  # noqa: E402
from tests.support import hostile_files as hostile  # noqa: E402

GIB = 1 << 30
MIB = 1 << 20


def ordinary_rows(count: int) -> list[list[str]]:
    return [
        [
            f"www.s{n}.yuncheng.gov.cn",
            f"运城市第{n}网站",
            f"运城市第{n}单位",
            "盐湖区",
            "政府",
            "否",
        ]
        for n in range(count)
    ]


ORDINARY_HEADER = ["网址", "网站名称", "主办单位", "所属区县", "类别", "重点单位"]


def ordinary_xlsx(path: Path) -> Path:
    return write_workbook(path, [Sheet("清单", ORDINARY_HEADER, ordinary_rows(100_000))])


def ordinary_csv(path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(ORDINARY_HEADER)
        writer.writerows(ordinary_rows(100_000))
    return path


def empty_cells(path: Path) -> Path:
    """A sheet just under the 128 MiB part limit of empty styled cells in one row: the
    most elements a sheet can make the reader walk."""
    cell = b'<c r="ALL2" s="1"/>'
    good = hostile.row(3, hostile.GOOD[0]) + hostile.row(4, hostile.GOOD[1])
    sheet = hostile.part(
        "xl/worksheets/sheet1.xml",
        [
            (hostile.sheet_start() + hostile.row(1, hostile.HEADER) + b'<row r="2">', 1),
            (cell, (127 * MIB) // len(cell)),
            (b"</row>" + good + b"</sheetData></worksheet>", 1),
        ],
    )
    return hostile.workbook(path, sheet)


def long_csv_cell(path: Path) -> Path:
    path.write_text(hostile.csv_text([("www.c.yuncheng.gov.cn", "名" * 100_000, "")]), "utf-8")
    return path


def empty_csv_lines(path: Path) -> Path:
    path.write_text(hostile.csv_text([]) + ",,\n" * 2_000_000, "utf-8")
    return path


def bad_csv_rows(path: Path) -> Path:
    bad = [(f"http://bad host {n}/", "坏", "") for n in range(100_000)]
    path.write_text(hostile.csv_text(bad), "utf-8")
    return path


FILES: dict[str, Callable[[Path], Path]] = {
    "merge-to-last-cell.xlsx": hostile.merged_to_last_cell,
    "row-1048576.xlsx": hostile.row_at_last_row,
    "shared-string-1GiB.xlsx": lambda p: hostile.huge_shared_string(p, GIB),
    "shared-string-1GiB-lying.xlsx": lambda p: hostile.huge_shared_string(p, GIB, declared=1000),
    "shared-string-100MiB.xlsx": lambda p: hostile.huge_shared_string(p, 100 * MIB),
    "rows-20M.xlsx": lambda p: hostile.many_rows(p, 20_000_000, value=b"x"),
    "rows-2.5M-under-limit.xlsx": lambda p: hostile.many_rows(p, 2_500_000, value=b"x"),
    "empty-cells-127MiB.xlsx": empty_cells,
    "billion-laughs.xlsx": hostile.entity_expansion,
    "attribute-8MiB.xlsx": hostile.huge_attribute,
    "cell-100k-chars.csv": long_csv_cell,
    "empty-lines-2M.csv": empty_csv_lines,
    "bad-rows-100k.csv": bad_csv_rows,
    "ordinary-100k.xlsx": ordinary_xlsx,
    "ordinary-100k.csv": ordinary_csv,
}


@dataclass
class Result:
    name: str
    size: int
    status: int
    seconds: float
    cpu: float
    peak_rss: int
    lines: list[str]


def run(work: Path, name: str, make: Callable[[Path], Path]) -> Result:
    path = make(work / name)
    env = {k: v for k, v in os.environ.items() if not k.startswith("BEIAN_")}
    env["BEIAN_DATABASE_URL"] = f"sqlite:///{work / (name + '.db')}"
    err = work / f"{name}.err"
    started = time.monotonic()
    with err.open("wb") as stderr:
        child = subprocess.Popen(
            [sys.executable, "-m", "audit", "sites", "import", str(path), "--report",
             str(work / f"{name}.report")],
            cwd=work, env=env, stdout=subprocess.DEVNULL, stderr=stderr,
        )  # fmt: skip
        _, status, usage = os.wait4(child.pid, 0)
    return Result(
        name=name,
        size=path.stat().st_size,
        status=os.waitstatus_to_exitcode(status),
        seconds=time.monotonic() - started,
        cpu=usage.ru_utime + usage.ru_stime,
        peak_rss=usage.ru_maxrss * 1024,
        lines=err.read_text("utf-8").splitlines(),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="only the files whose name contains this")
    args = parser.parse_args()
    print(f"{'file':32} {'size':>9} {'exit':>4} {'wall s':>7} {'cpu s':>6} {'peak RSS':>9}"
          "  stderr")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="import-bombs-") as folder:
        for name, make in FILES.items():
            if args.only not in name:
                continue
            result = run(Path(folder), name, make)
            first = result.lines[0] if result.lines else ""
            first = first.replace(folder + "/", "")
            print(
                f"{name:32} {result.size / 1024:>7.0f}KB {result.status:>4}"
                f" {result.seconds:>7.1f} {result.cpu:>6.1f} {result.peak_rss / MIB:>6.0f} MB"
                f"  {len(result.lines)} line(s): {first[:110]}",
                flush=True,
            )


if __name__ == "__main__":
    main()
