"""Measure a command as a whole: its exit status, the peak memory of its process family and
the CPU it used. For the benchmarks and for the tests that bound memory (the fault suite)."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[3]


def run_measured(
    command: list[str],
    env: dict[str, str],
    cwd: Path | str | None = None,
    *,
    cpu_split: dict[str, float] | None = None,
    **popen: Any,
) -> tuple[int, int, int, float]:
    """Run a command; return (exit status, peak RSS and peak PSS in bytes of the process and
    its children together, sampled every 0.1 s, CPU seconds of them all). ``cpu_split``,
    when given, receives the CPU seconds of the command's own process ("process") and of
    its children ("children"): which of them a parallel pipeline waits on.

    RSS added over processes counts shared pages (libraries, Chromium's shared memory) once
    per process; PSS shares them out, so its sum is what the family really occupies.
    """
    import psutil

    process = subprocess.Popen(command, env=env, cwd=cwd or REPO, **popen)
    parent = psutil.Process(process.pid)
    peak_rss, peak_pss, cpu = 0, 0, {}
    while process.poll() is None:
        try:
            rss = pss = 0
            for member in [parent, *parent.children(recursive=True)]:
                with member.oneshot():
                    memory = member.memory_full_info()
                    rss, pss = rss + memory.rss, pss + memory.pss
                    times = member.cpu_times()
                    cpu[member.pid] = times.user + times.system
            peak_rss, peak_pss = max(peak_rss, rss), max(peak_pss, pss)
        except psutil.Error:
            pass  # a worker ended between the listing and the reading
        time.sleep(0.1)
    if cpu_split is not None:
        cpu_split["process"] = cpu.get(process.pid, 0.0)
        cpu_split["children"] = sum(cpu.values()) - cpu_split["process"]
    return process.returncode, peak_rss, peak_pss, sum(cpu.values())
