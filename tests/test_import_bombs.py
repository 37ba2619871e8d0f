"""Import bombs (issue 10, "Files in"): hostile inventory files against the real command.

Each file is made at test time (``tests/support/hostile_files.py``: a few KB, or 1 MB for a part
that inflates to 1 GiB) and imported with ``python -m audit sites import`` into a real
SQLite database, in a child process whose peak memory is read from the kernel
(``os.wait4``). Each test checks what an analyst relies on: the command ends in bounded
time and memory, says what happened in one line or a capped number of lines, and keeps
every good row (or, refusing the whole file, leaves the database as it was).

The bounds are generous on purpose (2 shared cores); speed and memory targets are
measured by ``benchmarks/import_bombs.py``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from audit.intake.inventory import import_inventory
from audit.store import Store
from audit.store.sites import list_sites
from tests.conftest import REPO
from tests.support import hostile_files as hostile

pytestmark = pytest.mark.fault

SECONDS = 30.0
PEAK_RSS = 600 * 2**20
GIB = 1 << 30


@dataclass
class Run:
    status: int
    stdout: str
    stderr: str
    seconds: float
    peak_rss: int  # bytes, the child's own

    @property
    def error_lines(self) -> list[str]:
        return self.stderr.splitlines()


def beian(work: Path, *args: str) -> Run:
    """``python -m audit ARGS`` in ``work`` on ``work/beian.db``, measured and bounded."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BEIAN_")}
    env.update(BEIAN_DATABASE_URL=f"sqlite:///{work / 'beian.db'}", PYTHONPATH=str(REPO))
    out, err = work / "stdout.txt", work / "stderr.txt"
    started = time.monotonic()
    with out.open("wb") as stdout, err.open("wb") as stderr:
        child = subprocess.Popen(
            [sys.executable, "-m", "audit", *args], cwd=work, env=env, stdout=stdout,
            stderr=stderr,
        )  # fmt: skip
        watchdog = threading.Timer(4 * SECONDS, child.kill)  # a hang fails, not blocks
        watchdog.start()
        try:
            _, status, usage = os.wait4(child.pid, 0)
        finally:
            watchdog.cancel()
        child.returncode = os.waitstatus_to_exitcode(status)
    return Run(
        status=child.returncode,
        stdout=out.read_text("utf-8"),
        stderr=err.read_text("utf-8"),
        seconds=time.monotonic() - started,
        peak_rss=usage.ru_maxrss * 1024,  # kilobytes on Linux
    )


def hosts(work: Path) -> list[str]:
    with Store(f"sqlite:///{work / 'beian.db'}") as store, store.session() as session:
        return sorted(site.host for site in list_sites(session))


def bounded(run: Run) -> None:
    assert run.seconds < SECONDS, run
    assert run.peak_rss < PEAK_RSS, run
    assert "Traceback" not in run.stderr


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """A folder with a database that already holds the good sites (a previous import):
    a file refused whole must leave them as they are."""
    good = tmp_path / "good.csv"
    good.write_text(hostile.csv_text([]), "utf-8")
    with Store(f"sqlite:///{tmp_path / 'beian.db'}") as store:
        import_inventory(store, good)
    return tmp_path


@pytest.fixture
def empty(tmp_path: Path) -> Path:
    """A folder whose database has no site yet."""
    return tmp_path


# -- the four reproduced bombs ---------------------------------------------------------------------


def test_a_merge_to_the_last_cell_is_four_numbers_not_17_billion_cells(empty: Path) -> None:
    path = hostile.merged_to_last_cell(empty / "merged.xlsx")
    assert path.stat().st_size < 2048

    run = beian(empty, "sites", "import", str(path))

    bounded(run)
    assert run.status == 0
    assert hosts(empty) == hostile.GOOD_HOSTS
    (note,) = run.error_lines  # the stray last cell is past a run of empty rows
    assert "lines 4-1003 are empty (1,000 in a row): reading stopped there" in note
    assert "2 added, 0 updated, 0 unchanged, 0 rows rejected" in run.stdout


def test_a_value_on_the_last_row_costs_a_thousand_empty_rows_not_a_million(empty: Path) -> None:
    path = hostile.row_at_last_row(empty / "last-row.xlsx")
    assert path.stat().st_size < 2048

    run = beian(empty, "sites", "import", str(path))

    bounded(run)
    assert run.status == 0
    assert hosts(empty) == hostile.GOOD_HOSTS
    assert run.error_lines == [
        f"{path}: lines 4-1003 are empty (1,000 in a row): reading stopped there;"
        " rows below them, if any, were not read"
    ]


def test_a_shared_string_that_inflates_to_1_gib_is_refused_from_the_zip_directory(
    work: Path,
) -> None:
    path = hostile.huge_shared_string(work / "string.xlsx", GIB)
    assert path.stat().st_size < 2 * 2**20

    run = beian(work, "sites", "import", str(path))

    bounded(run)
    assert run.status == 1
    assert run.error_lines == [
        f"Error: {path}: part xl/sharedStrings.xml inflates to 1,073,741,955 bytes, more than"
        " the 128 MiB a workbook part may have (the limit): not a workbook Excel writes"
    ]
    assert hosts(work) == hostile.GOOD_HOSTS  # what was there is left as it was


def test_twenty_million_rows_are_refused_from_the_zip_directory(work: Path) -> None:
    path = hostile.many_rows(work / "rows.xlsx", 20_000_000, value=b"x")
    assert path.stat().st_size < 4 * 2**20

    run = beian(work, "sites", "import", str(path))

    bounded(run)
    assert run.status == 1
    (error,) = run.error_lines
    assert error.startswith(f"Error: {path}: part xl/worksheets/sheet1.xml inflates to ")
    assert "more than the 128 MiB a workbook part may have (the limit)" in error
    assert hosts(work) == hostile.GOOD_HOSTS


# -- what the directory does not show ----------------------------------------------------------


def test_a_part_whose_directory_entry_lies_about_its_size_stops_at_the_lie(work: Path) -> None:
    path = hostile.huge_shared_string(work / "lie.xlsx", GIB, declared=1000)

    run = beian(work, "sites", "import", str(path))

    bounded(run)
    assert run.status == 1
    (error,) = run.error_lines
    assert error.startswith(f"Error: {path}: part xl/sharedStrings.xml cannot be read: ")
    assert hosts(work) == hostile.GOOD_HOSTS


def test_rows_past_max_rows_are_refused_while_streaming(work: Path) -> None:
    path = hostile.many_rows(work / "rows.xlsx", 5_000)

    run = beian(work, "sites", "import", str(path), "--max-rows", "1000")

    bounded(run)
    assert run.status == 1
    assert run.error_lines == [
        f"Error: {path}, sheet '清单': more than 1,000 rows, the limit of rows read"
        " (--max-rows raises it)"
    ]
    assert hosts(work) == hostile.GOOD_HOSTS


def test_a_cell_longer_than_excel_allows_rejects_its_row_only(empty: Path) -> None:
    path = hostile.huge_shared_string(empty / "long.xlsx", 40 * 2**20)  # under the part limit

    run = beian(empty, "sites", "import", str(path), "--json")

    bounded(run)
    assert run.status == 2
    assert hosts(empty) == hostile.GOOD_HOSTS
    report = json.loads(run.stdout)
    (problem,) = report["problems"]
    assert problem["line"] == 4 and problem["field"] == "name"
    assert problem["value"] == "A" * 80 + "…[+41,942,960]"
    assert problem["reason"] == (
        "41,943,040 characters, more than the 32,767 a cell may hold (the limit)"
    )
    assert len(run.stdout) < 4096  # the value is quoted by an excerpt, never whole


# -- XML that must not be obeyed -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (hostile.entity_expansion, "declares a DOCTYPE, which no workbook part has"),
        (hostile.huge_attribute, "an XML tag, attribute or comment longer than 4 MiB"),
        (hostile.far_right_value, "cell XFD4: a value beyond column 1,000, the last column read"),
    ],
    ids=["billion-laughs", "8-MiB-attribute", "column-XFD"],
)
def test_hostile_xml_is_one_error_line(
    work: Path, make: Callable[[Path], Path], message: str
) -> None:
    path = make(work / "hostile.xlsx")

    run = beian(work, "sites", "import", str(path))

    bounded(run)
    assert run.status == 1
    (error,) = run.error_lines
    assert error.startswith(f"Error: {path}") and message in error
    assert hosts(work) == hostile.GOOD_HOSTS


def test_a_zip_of_ten_thousand_parts_is_refused_before_it_is_listed(work: Path) -> None:
    path = hostile.many_parts(work / "parts.xlsx", 10_001)

    run = beian(work, "sites", "import", str(path))

    bounded(run)
    assert run.status == 1
    assert "the workbook has 10,006 parts, more than the 10,000 read" in run.stderr


# -- CSV -----------------------------------------------------------------------------------------


def test_many_bad_rows_print_fifty_lines_and_the_report_holds_them_all(empty: Path) -> None:
    bad = [(f"http://bad host {n}/", f"坏{n}", "") for n in range(12_345)]
    path = empty / "sites.csv"
    path.write_text(hostile.csv_text(bad), "utf-8")
    report = empty / "problems.txt"

    run = beian(empty, "sites", "import", str(path), "--report", str(report))

    bounded(run)
    assert run.status == 2
    assert hosts(empty) == hostile.GOOD_HOSTS
    lines = run.error_lines
    assert len(lines) == 51
    assert (
        lines[0]
        == f"{path}: line 4: url 'http://bad host 0/': unparseable URL (URL contains spaces)"
    )
    assert lines[-1] == f"{path}: … and 12,295 more problems (all in {report})"
    written = report.read_text("utf-8").splitlines()
    assert len(written) == 12_345 + 1
    assert written[-1] == f"{path}: 2 added, 0 updated, 0 unchanged, 12,345 rows rejected"
    assert written[12_344].startswith(f"{path}: line 12348: url 'http://bad host 12344/': ")


def test_without_report_the_summary_says_how_to_see_them_all(empty: Path) -> None:
    path = empty / "sites.csv"
    path.write_text(hostile.csv_text([("", "无网址", "")] * 60), "utf-8")

    run = beian(empty, "sites", "import", str(path))

    assert run.status == 2
    assert run.error_lines[-1] == f"{path}: … and 10 more problems (--report FILE lists them all)"


def test_a_csv_record_longer_than_the_limit_is_refused(work: Path) -> None:
    path = work / "sites.csv"
    path.write_text(hostile.csv_text([("www.c.yuncheng.gov.cn", "x" * 200_000, "")]), "utf-8")

    run = beian(work, "sites", "import", str(path))

    bounded(run)
    assert run.status == 1
    assert run.error_lines == [
        f"Error: {path}, line 4: a record longer than 131,072 characters (the limit):"
        " not a table, or a quote never closed"
    ]


def test_a_csv_cell_longer_than_excel_allows_rejects_its_row_only(empty: Path) -> None:
    path = empty / "sites.csv"
    path.write_text(hostile.csv_text([("www.c.yuncheng.gov.cn", "名" * 40_000, "")]), "utf-8")

    run = beian(empty, "sites", "import", str(path))

    bounded(run)
    assert run.status == 2
    assert hosts(empty) == hostile.GOOD_HOSTS
    (problem,) = run.error_lines
    assert problem == (
        f"{path}: line 4: name '{'名' * 80}…[+39,920]': 40,000 characters, more than the"
        " 32,767 a cell may hold (the limit)"
    )


def test_a_csv_larger_than_the_limit_is_refused_unread(work: Path) -> None:
    path = work / "sites.csv"
    with path.open("wb") as handle:
        handle.write(hostile.csv_text([]).encode())
        handle.truncate(200 * 2**20)  # sparse: no disk used

    run = beian(work, "sites", "import", str(path))

    bounded(run)
    assert run.status == 1
    assert run.error_lines == [
        f"Error: {path}: 200 MiB, larger than the 128 MiB a text file may have (the limit):"
        " split it"
    ]


def test_a_csv_of_two_million_empty_lines_stops_after_a_thousand(empty: Path) -> None:
    path = empty / "sites.csv"
    path.write_text(hostile.csv_text([]) + ",,\n" * 2_000_000, "utf-8")

    run = beian(empty, "sites", "import", str(path))

    bounded(run)
    assert run.status == 0
    assert hosts(empty) == hostile.GOOD_HOSTS
    (note,) = run.error_lines
    assert "lines 4-1003 are empty (1,000 in a row): reading stopped there" in note


def test_a_csv_value_in_column_5000_is_refused(work: Path) -> None:
    path = work / "sites.csv"
    path.write_text(hostile.csv_text([("www.c.yuncheng.gov.cn", *[""] * 4998, "x")]), "utf-8")

    run = beian(work, "sites", "import", str(path))

    bounded(run)
    assert run.status == 1
    assert run.error_lines == [
        f"Error: {path}, line 4: a value in column 5,000, beyond column 1,000,"
        " the last column read (the limit)"
    ]


def test_the_registry_import_shares_the_bounds_and_the_capped_report(empty: Path) -> None:
    path = empty / "registry.csv"
    rows = ["备案号,域名", "晋ICP备2021001234号-1,www.a.yuncheng.gov.cn", "14080202000123,b.cn"]
    rows += [f"not a number {n},c{n}.cn" for n in range(60)]
    path.write_text("\n".join(rows) + "\n", "utf-8")

    run = beian(empty, "registry", "import", str(path))
    refused = beian(empty, "registry", "import", str(path), "--max-rows", "10")

    bounded(run)
    assert run.status == 2
    assert len(run.error_lines) == 51
    assert run.error_lines[-1] == f"{path}: … and 10 more problems (--report FILE lists them all)"
    assert "2 added, 0 updated, 0 unchanged, 60 rows rejected" in run.stdout
    assert refused.status == 1
    assert refused.error_lines == [
        f"Error: {path}: more than 10 rows, the limit of rows read (--max-rows raises it)"
    ]


def test_a_report_that_cannot_be_written_is_one_line(empty: Path) -> None:
    path = empty / "sites.csv"
    path.write_text(hostile.csv_text([("", "无网址", "")]), "utf-8")
    (empty / "file").write_text("")

    run = beian(empty, "sites", "import", str(path), "--report", str(empty / "file" / "r.txt"))

    assert run.status == 1
    assert "2 added, 0 updated, 0 unchanged, 1 rows rejected" in run.stdout  # said first
    assert run.error_lines[-1].startswith(
        f"Error: cannot write the report to {empty / 'file' / 'r.txt'}: "
    )
