"""Calendar months in the centre's time zone (Asia/Shanghai, UTC+8, no daylight saving)."""

from __future__ import annotations

import datetime as dt
import re

from audit.bulletin.figures import Period
from audit.config import LOCAL_TZ
from audit.errors import ArgumentError

_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


def parse_month(text: str) -> Period:
    """``2026-11`` → the month from 2026-11-01 00:00 to 2026-12-01 00:00 Beijing time."""
    match = _MONTH.match(text.strip())
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 2000:
        raise ArgumentError(
            "month", f"{{argument}} {text!r}: give a month as YYYY-MM, e.g. 2026-11"
        )
    return month_period(int(match.group(1)), int(match.group(2)))


def month_period(year: int, month: int) -> Period:
    start = dt.datetime(year, month, 1, tzinfo=LOCAL_TZ)
    end = dt.datetime(year + month // 12, month % 12 + 1, 1, tzinfo=LOCAL_TZ)
    return Period(f"{year:04d}-{month:02d}", start.astimezone(dt.UTC), end.astimezone(dt.UTC))


def previous_period(period: Period) -> Period:
    year, month = period.year, int(period.month[5:])
    return month_period(year - 1, 12) if month == 1 else month_period(year, month - 1)


def period_of(moment: dt.datetime) -> Period:
    """The month ``moment`` falls in (Beijing time)."""
    local = moment.astimezone(LOCAL_TZ)
    return month_period(local.year, local.month)


def months_ending(period: Period, count: int) -> list[Period]:
    """The ``count`` months ending with ``period``, oldest first."""
    months = [period]
    while len(months) < count:
        months.append(previous_period(months[-1]))
    return months[::-1]


def month_of(moment: dt.datetime) -> str:
    return moment.astimezone(LOCAL_TZ).strftime("%Y-%m")


def local_date(moment: dt.datetime) -> dt.date:
    return moment.astimezone(LOCAL_TZ).date()
