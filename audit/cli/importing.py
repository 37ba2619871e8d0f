"""What the import commands share (sites import, registry import): their limits and report."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from audit.intake.tabular import DEFAULT_LIMITS, ReadLimits


def import_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--max-rows N and --report FILE."""
    command = click.option(
        "--report",
        "report_file",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Write every rejected row and note to this file (the terminal shows the first 50).",
    )(command)
    return click.option(
        "--max-rows",
        type=click.IntRange(min=1),
        default=DEFAULT_LIMITS.max_rows,
        show_default=True,
        help="Refuse a file with more rows than this (title and header included).",
    )(command)


def read_limits(max_rows: int) -> ReadLimits:
    return dataclasses.replace(DEFAULT_LIMITS, max_rows=max_rows)
