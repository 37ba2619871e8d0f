"""Whether a process that recorded itself in the database (a crawl run, the scheduler's
lock, a job run) is still there: one answer for every caller."""

from __future__ import annotations

import os
import socket


def process_is_gone(pid: int | None, hostname: str | None) -> bool:
    """Whether the process that recorded itself as (pid, hostname) is certainly gone: a
    process of this machine that no longer exists, or this very process (which is not
    running that work any more). Another machine's process: we cannot tell, so no."""
    if hostname != socket.gethostname() or pid is None:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return pid == os.getpid()
