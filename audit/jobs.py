"""Jobs that the scheduler runs. APScheduler stores them by import path ("audit.jobs:crawl")
with plain arguments, so these functions must stay importable under these names."""

from __future__ import annotations

import logging
import subprocess
import sys

logger = logging.getLogger(__name__)


def crawl(config: str | None = None) -> int:
    """Crawl every site (`beian crawl --trigger scheduled`). In a subprocess: Twisted's
    reactor cannot restart inside the scheduler's process."""
    command = [sys.executable, "-m", "audit"]
    if config:
        command += ["--config", config]
    command += ["crawl", "--trigger", "scheduled", "--no-progress"]
    logger.info("starting: %s", " ".join(command))
    result = subprocess.run(command, check=False)
    if result.returncode != 0:
        logger.error("scheduled crawl ended with status %s", result.returncode)
        raise RuntimeError(f"scheduled crawl failed with status {result.returncode}")
    return result.returncode
