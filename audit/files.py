"""Files written whole or not at all: next to the target, then renamed over it, so that a
reader (a mail merge, a web server, an analyst's double click) never sees half a file."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def replacing(out: str | Path) -> Iterator[Path]:
    """``with replacing(path) as temporary:`` write ``temporary``; on success it becomes
    ``path`` (parents created), on failure it is removed and ``path`` is left as it was.

    The temporary file is created with mode 0o666, so the umask decides the permissions
    as for any new file (``mkstemp`` would make it readable by its owner only)."""
    out = Path(out).expanduser()
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = out.with_name(f".{out.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    try:
        yield temporary
        os.replace(temporary, out)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_atomic(out: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``out`` whole (flushed to disk before the rename)."""
    with replacing(out) as temporary, temporary.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    return Path(out).expanduser()
