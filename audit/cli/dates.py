"""Dates as analysts type them on the command line: 2026-12-20, 2026/12/20, 2026.12.20,
2026年12月20日, 20261220, or a number of days or weeks from today (+15d, +2w, +15天, +2周),
today being Beijing's."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Any

import click

from audit.findings.review import today
from audit.intake.registry import parse_date

_RELATIVE = re.compile(r"\+\s*(\d{1,4})\s*([dw天周])", re.IGNORECASE)


def parse_day(text: str, *, on: dt.date | None = None) -> dt.date:
    """The date ``text`` names; ValueError when it names none."""
    text = unicodedata.normalize("NFKC", text).strip()
    relative = _RELATIVE.fullmatch(text)
    if relative is not None:
        count, unit = int(relative.group(1)), relative.group(2).lower()
        days = count * 7 if unit in ("w", "周") else count
        return (on or today()) + dt.timedelta(days=days)
    if text.isdigit() and len(text) != 8:
        raise ValueError(text)  # (a spreadsheet's day serial is no date to type)
    return parse_date(text)


class Day(click.ParamType):
    """A click type for :func:`parse_day`."""

    name = "DATE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, dt.date):
            return value
        try:
            return parse_day(str(value))
        except ValueError:
            self.fail(
                f"{value!r} is no date (2026-12-20, 2026/12/20, 2026年12月20日, +15d)", param, ctx
            )


DAY = Day()
