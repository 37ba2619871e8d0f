"""Output faults (issue 10, item 12): a full or read-only disk under the bulletin, the
rectification notice and the exports. Each gives one error line and exit status 1, no
traceback and no file left half-written; a bulletin that could not be written takes no
number, and the next one that can be written takes it.

Real filesystems, no mocks. As root (CI containers), where chmod stops nothing, a tmpfs is
mounted read-only or small (``mount -t tmpfs -o size=…``); otherwise a directory is made
read-only with chmod. A file size limit (RLIMIT_FSIZE, with SIGXFSZ ignored so that the
process is not killed) stands for a full disk anywhere: writes past it fail with EFBIG.
"""

from __future__ import annotations

import functools
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from audit.bulletin.numbering import list_issues
from audit.files import staged, write_atomic
from audit.store import Finding, Store
from tests.conftest import REPO
from tests.support.bulletin_world import beijing, footer
from tests.test_bulletin_issue import small_world

pytestmark = pytest.mark.fault

ROOT = os.geteuid() == 0
BIG = 4 << 20  # a tmpfs with room for every output here
LIMIT = 64 << 10  # RLIMIT_FSIZE: the charts fit, the bulletin's DOCX (~120 KB) does not


@functools.cache
def can_mount() -> bool:
    """Whether this process may mount a tmpfs (root, with the capability to mount)."""
    if not ROOT or shutil.which("mount") is None:
        return False
    probe = Path(tempfile.mkdtemp())
    try:
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(probe)],
                                 capture_output=True).returncode == 0  # fmt: skip
        if mounted:
            subprocess.run(["umount", str(probe)], check=True)
        return mounted
    finally:
        probe.rmdir()


@contextmanager
def tmpfs(path: Path, size: int, *, read_only: bool = False) -> Iterator[Path]:
    path.mkdir(parents=True, exist_ok=True)
    options = f"size={size}" + (",ro" if read_only else "")
    subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], check=True)
    try:
        yield path
    finally:
        subprocess.run(["umount", str(path)], check=True)


def resize(path: Path, size: int) -> None:
    subprocess.run(["mount", "-o", f"remount,size={size}", str(path)], check=True)


def fill(path: Path) -> None:
    """Fill the filesystem of ``path`` to the last byte."""
    with (path / "filler").open("wb", buffering=0) as handle:
        try:
            while handle.write(b"\0" * 4096):
                pass
        except OSError:
            pass


@dataclass
class Disk:
    """Where an output goes (the directory exists), and why writing there fails."""

    path: Path
    reason: str  # the end of the error line
    fsize: int | None = None  # RLIMIT_FSIZE of the command

    def leftovers(self) -> list[str]:
        """What the failed command left on the disk (the filler set aside)."""
        return sorted(str(p.relative_to(self.path)) for p in self.path.rglob("*")
                      if p.name != "filler")  # fmt: skip


@pytest.fixture(params=["read-only", "full", "file-size-limit"])
def disk(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Disk]:
    path = tmp_path / "disk"
    if request.param == "file-size-limit":
        path.mkdir()
        yield Disk(path, "File too large", fsize=LIMIT)
        return
    if request.param == "read-only" and not ROOT:
        path.mkdir()
        path.chmod(0o500)
        try:
            yield Disk(path, "Permission denied")
        finally:
            path.chmod(0o700)
        return
    if not can_mount():
        pytest.skip("root cannot be stopped by chmod, and no tmpfs can be mounted here")
    if request.param == "read-only":
        with tmpfs(path, BIG, read_only=True):
            yield Disk(path, "Read-only file system")
        return
    with tmpfs(path, 256 << 10):
        fill(path)
        yield Disk(path, "No space left on device")


def beian(
    *args: str, db_url: str, cwd: Path, fsize: int | None = None, stdout: int | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m audit ARGS``, as a user runs it (one-line errors are the entry point's)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BEIAN_")}
    env.update(BEIAN_DATABASE_URL=db_url, BEIAN_DATA_DIR=str(cwd / "data"), PYTHONPATH=str(REPO))
    return subprocess.run(
        [sys.executable, "-m", "audit", *args],
        cwd=cwd, env=env, text=True, stdout=stdout if stdout is not None else subprocess.PIPE,
        stderr=subprocess.PIPE, preexec_fn=_file_size_limit(fsize) if fsize else None,
    )  # fmt: skip


def _file_size_limit(limit: int) -> Callable[[], None]:
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of being killed
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def assert_one_error_line(result: subprocess.CompletedProcess[str], expected: str) -> None:
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error")]
    assert errors == [expected], result.stderr


def issues(store: Store) -> list[tuple[str, str]]:
    with store.session() as session:
        return [(b.period, f"{b.year}年第{b.number}期") for b in list_issues(session)]


# --- the bulletin ----------------------------------------------------------------------


def test_a_bulletin_that_cannot_be_written_takes_no_number(
    store: Store, db_url: str, tmp_path: Path, disk: Disk
) -> None:
    small_world(store)
    first = beian("bulletin", "--month", "2026-10", "--out", str(tmp_path / "october"),
                  db_url=db_url, cwd=tmp_path)  # fmt: skip
    assert first.returncode == 0, first.stderr
    assert issues(store) == [("2026-10", "2026年第1期")]

    out = disk.path / "通报" / "2026-11"
    failed = beian("bulletin", "--month", "2026-11", "--out", str(out), db_url=db_url,
                   cwd=tmp_path, fsize=disk.fsize)  # fmt: skip
    assert_one_error_line(failed, f"Error: cannot write the bulletin to {out}: {disk.reason}")
    assert disk.leftovers() == []  # no file, no staging directory, no directory made for it
    assert issues(store) == [("2026-10", "2026年第1期")]  # the number was not taken

    later = beian("bulletin", "--month", "2026-11", "--out", str(tmp_path / "november"),
                  "--json", db_url=db_url, cwd=tmp_path)  # fmt: skip
    assert later.returncode == 0, later.stderr
    assert json.loads(later.stdout)["issue"] == "2026年第2期"
    assert issues(store) == [("2026-10", "2026年第1期"), ("2026-11", "2026年第2期")]


def test_issuing_again_onto_a_full_disk_keeps_the_issued_files(
    store: Store, db_url: str, tmp_path: Path
) -> None:
    if not can_mount():
        pytest.skip("needs a small tmpfs: run as root")
    small_world(store)
    disk = tmp_path / "disk"
    with tmpfs(disk, 512 << 10):  # room for one bulletin (~360 KB), not for two
        out = disk / "2026-11"
        issued = beian("bulletin", "--month", "2026-11", "--out", str(out), db_url=db_url,
                       cwd=tmp_path)  # fmt: skip
        assert issued.returncode == 0, issued.stderr
        files = {p.name: p.read_bytes() for p in out.iterdir()}
        assert set(files) >= {"bulletin-2026-11.docx", "rates.png"}
        with store.session() as session:
            generated = list_issues(session)[0].generated_at

        again = beian("bulletin", "--month", "2026-11", "--out", str(out), db_url=db_url,
                      cwd=tmp_path)  # fmt: skip
        assert_one_error_line(
            again, f"Error: cannot write the bulletin to {out}: No space left on device"
        )
        assert {p.name: p.read_bytes() for p in out.iterdir()} == files  # untouched
        with store.session() as session:
            assert list_issues(session)[0].generated_at == generated

        october = disk / "2026-10"
        failed = beian("bulletin", "--month", "2026-10", "--out", str(october), db_url=db_url,
                       cwd=tmp_path)  # fmt: skip
        assert failed.returncode == 1 and not october.exists()
        assert issues(store) == [("2026-11", "2026年第1期")]

        resize(disk, BIG)  # the analyst made room
        done = beian("bulletin", "--month", "2026-10", "--out", str(october), "--json",
                     db_url=db_url, cwd=tmp_path)  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["issue"] == "2026年第2期"
        assert sorted(p.name for p in october.iterdir()) == [
            "bulletin-2026-10-attachment.xlsx", "bulletin-2026-10.docx",
            "bulletin-2026-10.html", "bulletin-2026-10.md",
            "districts.png", "open_findings.png", "rates.png",
        ]  # fmt: skip


# --- the notice and the exports ----------------------------------------------------------


def test_a_notice_that_cannot_be_written_leaves_nothing(
    store: Store, db_url: str, tmp_path: Path, disk: Disk
) -> None:
    small_world(store).crawl(beijing(2027, 2, 10, 2), {"www.x.cn": footer(1, icp=False)})
    out = disk.path / "notices" / "x.docx"
    fsize = disk.fsize and 8 << 10  # the notice is smaller than a bulletin
    result = beian("notice", "www.x.cn", "--out", str(out), db_url=db_url, cwd=tmp_path,
                   fsize=fsize)  # fmt: skip
    assert_one_error_line(result, f"Error: cannot write the notice to {out}: {disk.reason}")
    assert disk.leftovers() == []
    # nor a record of it, nor a finding moved to notified: all or nothing
    listed = beian("notices", "--json", db_url=db_url, cwd=tmp_path)
    assert listed.returncode == 0 and json.loads(listed.stdout) == []
    with store.session() as session:
        assert {f.review_state for f in session.scalars(select(Finding))} == {"new"}


def test_a_findings_workbook_that_cannot_be_written_leaves_nothing(
    store: Store, db_url: str, tmp_path: Path, disk: Disk
) -> None:
    small_world(store)
    out = disk.path / "findings.xlsx"
    result = beian("findings", "--state", "all", "--xlsx", str(out), db_url=db_url,
                   cwd=tmp_path, fsize=disk.fsize and 1 << 10)  # fmt: skip
    assert_one_error_line(result, f"Error: cannot write the findings to {out}: {disk.reason}")
    assert disk.leftovers() == []


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_full_standard_output_is_one_line(tmp_path: Path) -> None:
    with open("/dev/full", "w") as full:
        for args in (("rules", "--csv"), ("rules", "--json"), ("rules",)):
            result = beian(*args, db_url=f"sqlite:///{tmp_path / 'b.db'}", cwd=tmp_path,
                           stdout=full.fileno())  # fmt: skip
            assert_one_error_line(
                result, "Error: cannot write to standard output: No space left on device"
            )


# --- the staging directory itself ----------------------------------------------------------


def test_files_are_published_together(tmp_path: Path) -> None:
    out = tmp_path / "new" / "bulletin"
    with staged(out) as staging:
        write_atomic(staging.path / "a.md", b"a")
        write_atomic(staging.path / "b.png", b"b")
        assert list(out.iterdir()) == [staging.path]  # nothing visible yet
        placed = staging.publish()
    assert placed == [out / "a.md", out / "b.png"]
    assert sorted(p.name for p in out.iterdir()) == ["a.md", "b.png"]  # staging removed


def test_a_failed_rename_takes_back_what_was_published(tmp_path: Path) -> None:
    out = tmp_path / "bulletin"
    out.mkdir()
    (out / "a.md").write_text("the issued one")
    (out / "b.png").mkdir()  # a directory in the way: renaming a file onto it fails
    (out / "b.png" / "keep").write_text("")
    with pytest.raises(IsADirectoryError), staged(out) as staging:
        (staging.path / "a.md").write_text("new")
        (staging.path / "b.png").write_text("new")
        staging.publish()
    assert (out / "a.md").read_text() == "the issued one"  # restored
    assert sorted(p.name for p in out.iterdir()) == ["a.md", "b.png"]


def test_an_error_after_publishing_takes_the_files_back(tmp_path: Path) -> None:
    """As when the database refuses the bulletin's record after its files were moved."""
    out = tmp_path / "a" / "b"
    with pytest.raises(RuntimeError), staged(out) as staging:
        (staging.path / "bulletin.md").write_text("new")
        staging.publish()
        assert (out / "bulletin.md").exists()
        raise RuntimeError("the commit failed")
    assert not (tmp_path / "a").exists()  # the directories made for it are gone too
