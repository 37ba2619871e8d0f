"""Jobs for the scheduler tests, stored by import path like the real ones (audit.ops.jobs)."""

from __future__ import annotations

import time
from pathlib import Path


def record(path: str) -> str:
    with Path(path).open("a", encoding="utf-8") as out:
        out.write(f"ran {time.time()}\n")
    return "succeeded"


def slow(path: str, seconds: float) -> str:
    with Path(path).open("a", encoding="utf-8") as out:
        out.write(f"start {time.time()}\n")
    time.sleep(seconds)
    with Path(path).open("a", encoding="utf-8") as out:
        out.write(f"end {time.time()}\n")
    return "succeeded"


def fail(path: str) -> str:
    record(path)
    raise RuntimeError("boom")
