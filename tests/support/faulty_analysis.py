"""Page analyses that fail the way a hostile page can make them fail, for the fault suite.

The analysis workers import this module by name (they are spawned processes), so these
are plain module-level functions. Each behaves like ``analyse_page`` unless the page
carries its marker.
"""

from __future__ import annotations

import os
import signal
import time
from typing import Any

from audit.page.analyse import PageAnalysis, analyse_page

KILL = b"<!-- kill the worker -->"
SLOW = b"<!-- take forever -->"
HOG = b"<!-- take all the memory -->"


def hostile_analysis(
    body: bytes, url: str, content_type: str | None, **kwargs: Any
) -> PageAnalysis:
    if KILL in body:
        os.kill(os.getpid(), signal.SIGKILL)  # as a crash in a parser would
    if SLOW in body:
        time.sleep(3600)
    if HOG in body:
        hoard = [bytearray(64 * 1024 * 1024) for _ in range(1000)]  # 64 GB, if it could
        del hoard
    return analyse_page(body, url, content_type, **kwargs)
