"""Files written whole or not at all, so that a reader (a mail merge, a web server, an
analyst's double click) never sees half a file, and a full or read-only disk leaves the
destination as it was.

- :func:`replacing` / :func:`write_atomic`: one file, written beside its target, flushed
  to disk and renamed over it.
- :func:`staged`: files that go together (a bulletin: its documents and their charts),
  written into a staging directory inside the destination (the same filesystem, so the
  renames cannot fail for lack of space), then published together: all or none.
- :func:`output_errors`: an ``OSError`` while writing becomes one line for the user
  (``cannot write the bulletin to DIR: No space left on device``).

Directories created for an output that then failed are removed again (when empty).
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from audit.errors import OutputError

STAGING_PREFIX = ".staging-"


@contextmanager
def replacing(out: str | Path) -> Iterator[Path]:
    """``with replacing(path) as temporary:`` write ``temporary``; on success it becomes
    ``path`` (parents created), on failure it is removed and ``path`` is left as it was.

    The temporary file is created with mode 0o666, so the umask decides the permissions
    as for any new file (``mkstemp`` would make it readable by its owner only)."""
    out = Path(out).expanduser()
    created = make_dirs(out.parent)
    temporary = out.with_name(f".{out.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        yield temporary
        _fsync(temporary)  # the data on disk before the name points at it
        os.replace(temporary, out)
    except BaseException:
        temporary.unlink(missing_ok=True)
        remove_dirs(created)
        raise


def write_atomic(out: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``out`` whole (flushed to disk before the rename)."""
    with replacing(out) as temporary:
        temporary.write_bytes(data)
    return Path(out).expanduser()


class Staging:
    """A directory to write files into (:attr:`path`), then :meth:`publish` them together
    into :attr:`destination`."""

    def __init__(self, path: Path, destination: Path) -> None:
        self.path = path
        self.destination = destination
        # (name, what the published file replaced, moved aside) of each file moved so far
        self._placed: list[tuple[str, Path | None]] = []

    def publish(self, names: Iterable[str] | None = None) -> list[Path]:
        """Move the staged files (``names``, default all) into the destination, replacing
        files of the same names; return their new paths. All or nothing: when a rename
        fails, the files moved so far are taken back, the files they replaced restored,
        and the error raised. The replaced files are kept aside until :func:`staged`
        ends, so that a failure after publishing (the database refusing the record) can
        still take the publication back."""
        chosen = sorted(names) if names is not None else self.staged_names()
        try:
            for name in chosen:
                target = self.destination / name
                aside = None
                if target.is_symlink() or target.is_file():  # never a directory: it stays
                    aside = self.path / f".replaced-{name}"
                    os.replace(target, aside)
                self._placed.append((name, aside))
                os.replace(self.path / name, target)
        except BaseException:
            self.unpublish()
            raise
        with suppress(OSError):  # some filesystems cannot flush a directory: the files are in
            _fsync(self.destination)
        return [self.destination / name for name in chosen]

    def staged_names(self) -> list[str]:
        """The files written into the staging directory (temporary ones left out)."""
        return sorted(p.name for p in self.path.iterdir() if not p.name.startswith("."))

    def unpublish(self) -> None:
        """Take back what :meth:`publish` moved, and restore what it replaced (best
        effort: the first error is not allowed to hide the one that led here)."""
        for name, aside in reversed(self._placed):
            target = self.destination / name
            if not (self.path / name).exists():  # it was moved: take it back
                with suppress(OSError):
                    os.replace(target, self.path / name)
            if aside is not None:
                with suppress(OSError):
                    os.replace(aside, target)
        self._placed.clear()


@contextmanager
def staged(destination: str | Path) -> Iterator[Staging]:
    """``with staged(directory) as staging:`` write files into ``staging.path``, then
    ``staging.publish()``. The staging directory is removed at the end whatever happens;
    an error inside the block, even after publishing, leaves the destination as it was
    (directories created for it removed again)."""
    destination = Path(destination).expanduser()
    created = make_dirs(destination)
    try:
        path = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{os.getpid()}-", dir=destination))
    except BaseException:
        remove_dirs(created)
        raise
    staging = Staging(path, destination)
    try:
        yield staging
    except BaseException:
        staging.unpublish()
        shutil.rmtree(path, ignore_errors=True)
        remove_dirs(created)
        raise
    shutil.rmtree(path, ignore_errors=True)  # with the files the publication replaced


@contextmanager
def output_errors(what: str, where: str | Path) -> Iterator[None]:
    """Turn an ``OSError`` raised while writing ``what`` (``"the bulletin"``) to
    ``where`` into an :class:`OutputError`: one line, no traceback."""
    try:
        yield
    except OSError as exc:
        raise OutputError(f"cannot write {what} to {where}: {describe(exc)}") from exc


def describe(exc: OSError) -> str:
    """``No space left on device``: the reason without the errno and the file name."""
    return exc.strerror or str(exc) or type(exc).__name__


def make_dirs(directory: Path) -> list[Path]:
    """Create ``directory`` and its missing parents; return those created, outermost
    first (so that a failed output can take them back with :func:`remove_dirs`)."""
    missing: list[Path] = []
    for candidate in (directory, *directory.parents):
        if candidate.is_dir():
            break
        missing.append(candidate)
    created: list[Path] = []
    try:
        for candidate in reversed(missing):
            try:
                candidate.mkdir()
            except FileExistsError:
                if not candidate.is_dir():
                    raise
                continue  # made by someone else meanwhile: not ours to remove
            created.append(candidate)
    except BaseException:
        remove_dirs(created)
        raise
    return created


def remove_dirs(created: list[Path]) -> None:
    """Remove the directories :func:`make_dirs` created, innermost first, while empty."""
    for directory in reversed(created):
        try:
            directory.rmdir()
        except OSError:
            return


def _fsync(path: Path) -> None:
    """Flush a file's data, or a directory's entries, to disk."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
