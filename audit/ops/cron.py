"""Cron expressions as system administrators write them (crontab(5)), for APScheduler 3.

APScheduler 3 counts weekdays from Monday = 0, while crontab counts from Sunday = 0 (and 7):
"1-5" means Tuesday to Saturday to APScheduler. The day-of-week field is translated to
names (mon, tue, ...) so that "1-5" is Monday to Friday, as in crontab (a step over the
whole week, "*/2", keeps APScheduler's meaning: from Monday).
"""

from __future__ import annotations

import re

from apscheduler.triggers.cron import CronTrigger

_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")
_NUMBER = re.compile(r"\d+")


def _weekday_names(field: str) -> str:
    def name(match: re.Match[str]) -> str:
        number = int(match.group())
        if number > 7:
            raise ValueError(f"day of week {number} is out of range 0-7")
        return _DAYS[number]

    # step values ("*/2", "1-5/2") keep their step as a number
    parts = []
    for part in field.split(","):
        base, slash, step = part.partition("/")
        parts.append(_NUMBER.sub(name, base) + slash + step)
    return ",".join(parts)


def cron_trigger(expression: str, timezone: str) -> CronTrigger:
    """A trigger from ``minute hour day month day-of-week`` with crontab's weekdays."""
    fields = expression.split()
    if len(fields) != 5:
        raise ValueError(f"wrong number of fields; got {len(fields)}, expected 5")
    minute, hour, day, month, weekday = fields
    return CronTrigger(
        minute=minute, hour=hour, day=day, month=month,
        day_of_week=_weekday_names(weekday), timezone=timezone,
    )  # fmt: skip
