"""The parts of a zip file (an .xlsx workbook), read within limits.

A zip's directory says how large each part inflates to, and is checked first; but the
directory is written by whoever made the file, so the bytes are counted again while
they are inflated, and reading stops at the limit whatever the directory said. The
number of parts is read from the end-of-directory record before :mod:`zipfile` builds
an object per entry.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

from audit.intake.tabular.model import MiB, TableError

_CHUNK = 256 * 1024
_END_RECORD = b"PK\x05\x06"
_END_RECORD_SIZE = 22
_LONGEST_COMMENT = 0xFFFF


def size_text(count: int) -> str:
    """1,073,741,824 bytes as '1 GiB', 1,536 as '1.5 KiB': for limits in messages."""
    for unit, size in (("GiB", 1 << 30), ("MiB", MiB), ("KiB", 1 << 10)):
        if count >= size:
            return f"{count / size:.1f}".removesuffix(".0") + f" {unit}"
    return f"{count:,} bytes"


def declared_entries(tail: bytes) -> int | None:
    """The number of entries the end-of-directory record at the end of ``tail`` declares
    (0xFFFF for a zip64 archive, which declares it elsewhere); None if there is none."""
    at = tail.rfind(_END_RECORD)
    if at < 0 or len(tail) - at < _END_RECORD_SIZE:
        return None
    (entries,) = struct.unpack_from("<H", tail, at + 10)
    return int(entries)


class ZipParts:
    """``with ZipParts(path, max_entries) as parts:`` then :meth:`chunks` or :meth:`read`."""

    def __init__(self, path: Path, max_entries: int) -> None:
        self.path = path
        try:
            with path.open("rb") as handle:
                handle.seek(0, 2)
                size = handle.tell()
                handle.seek(max(0, size - _END_RECORD_SIZE - _LONGEST_COMMENT))
                entries = declared_entries(handle.read())
            if entries is not None and entries > max_entries:
                raise TableError(
                    f"{path}: the workbook has {entries:,} parts, more than the"
                    f" {max_entries:,} read (a workbook has a few dozen)"
                )
            self._zip = zipfile.ZipFile(path)
        except OSError as exc:
            raise TableError(f"{path}: cannot read: {exc.strerror or exc}") from None
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as exc:
            raise TableError(f"{path}: not a readable .xlsx workbook ({exc})") from None

    def __enter__(self) -> ZipParts:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._zip.close()

    def __contains__(self, name: str) -> bool:
        try:
            self._zip.getinfo(name)
        except KeyError:
            return False
        return True

    def chunks(self, name: str, limit: int) -> Iterator[bytes]:
        """The bytes of part ``name`` as they are inflated, at most ``limit`` of them."""
        try:
            info = self._zip.getinfo(name)
        except KeyError:
            raise TableError(
                f"{self.path}: the workbook has no part {name}: it is damaged"
            ) from None
        if info.file_size > limit:
            raise TableError(self._too_large(name, f"inflates to {info.file_size:,} bytes", limit))
        seen = 0
        try:
            with self._zip.open(info) as part:
                while chunk := part.read(_CHUNK):
                    seen += len(chunk)
                    if seen > limit or seen > info.file_size:
                        # zipfile stops at the size the directory gives; this is the belt
                        # to its braces, and the limit whatever the directory said.
                        raise TableError(self._too_large(name, "inflates to more", limit))
                    yield chunk
        except (zipfile.BadZipFile, zlib.error, EOFError, RuntimeError, NotImplementedError) as exc:
            # RuntimeError: an encrypted part; NotImplementedError: a compression zipfile lacks
            raise TableError(f"{self.path}: part {name} cannot be read: {exc}") from None

    def read(self, name: str, limit: int) -> bytes:
        return b"".join(self.chunks(name, limit))

    def _too_large(self, name: str, what: str, limit: int) -> str:
        return (
            f"{self.path}: part {name} {what}, more than the {size_text(limit)}"
            " a workbook part may have (the limit): not a workbook Excel writes"
        )
