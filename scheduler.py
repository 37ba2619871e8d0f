"""beian-audit's background runs: `python scheduler.py` (or `beian schedule start`).

The nightly crawl and audit, re-tests of the sites being fixed, the monthly bulletin and
housekeeping, on the cron expressions of [schedule] in beian.toml. Jobs are stored in the
project's database (they survive restarts); one scheduler runs per database; Ctrl-C or
SIGTERM stops it gracefully. The work is in audit/ops/schedule.py and audit/ops/jobs.py.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    from audit.cli import main as beian

    return beian(["schedule", "start", *(sys.argv[1:] if argv is None else argv)]) or 0


if __name__ == "__main__":
    sys.exit(main())
