"""beian-audit's background runs: `python scheduler.py` (or `beian schedule start`).

Jobs come from the [schedule] section of beian.toml and are stored in the project's
database, so that they survive restarts. Ctrl-C or SIGTERM stops it.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    from audit.cli import main as beian

    return beian(["schedule", "start", *(sys.argv[1:] if argv is None else argv)]) or 0


if __name__ == "__main__":
    sys.exit(main())
