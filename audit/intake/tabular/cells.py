"""A cell as the analyst reads it: numbers as shown, dates as dates, edges trimmed."""

from __future__ import annotations

import datetime as dt
import re

_EDGE_SPACE = re.compile(r"^[\s\u200b-\u200d\u2060\ufeff]+|[\s\u200b-\u200d\u2060\ufeff]+$")

# Built-in number formats that are dates or times: the international ones (14-22, 45-47)
# and those of the Chinese, Japanese and Korean Excel (27-36, 50-58), which store
# 2021年3月4日 as a plain number with one of these ids.
_DATE_FORMAT_IDS = frozenset([*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59)])
# In a custom format code, what is not a date part: quoted text, escaped characters,
# [Red] or [$-804] sections (but not [h] [mm] [ss], elapsed time), and _x / *x padding.
_NOT_DATE_PART = re.compile(r'"[^"]*"|\\.|\[(?![hms]+\])[^\]]*\]|_.|\*.', re.IGNORECASE)
_DATE_PART = re.compile(r"[dmyhs]|aaa|上午|下午", re.IGNORECASE)
_GENERAL = re.compile(r"general", re.IGNORECASE)

_EPOCH_1900 = dt.datetime(1899, 12, 30)
_EPOCH_1904 = dt.datetime(1904, 1, 1)
_SECONDS_PER_DAY = 86_400


_ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u2060\ufeff")


def clean_cell(text: str) -> str:
    """A value without surrounding spaces, full-width spaces or zero-width characters."""
    if not text:
        return text
    first, last = text[0], text[-1]
    if first.isspace() or last.isspace() or first in _ZERO_WIDTH or last in _ZERO_WIDTH:
        return _EDGE_SPACE.sub("", text)
    return text  # most cells: no regular expression


def is_date_format(format_id: int, code: str | None = None) -> bool:
    """Whether cells of this number format show a date or a time.

    >>> is_date_format(14), is_date_format(0), is_date_format(176, 'yyyy"年"m"月"d"日"')
    (True, False, True)
    """
    if code is None:
        return format_id in _DATE_FORMAT_IDS
    section = code.split(";", 1)[0]  # the format of positive numbers
    section = _NOT_DATE_PART.sub("", _GENERAL.sub("", section))
    return bool(_DATE_PART.search(section)) and "e+" not in section.lower()


def excel_date(serial: float, *, date1904: bool = False) -> dt.datetime | dt.time:
    """The date a date-formatted number stands for; a time of day when under 1.

    Excel counts days from 1900-01-00 and believes 1900 was a leap year: serials under 61
    are a day off, as openpyxl and every reader correct. Raises OverflowError or
    ValueError for a serial no calendar holds.
    """
    days, fraction = divmod(serial, 1)
    offset = dt.timedelta(milliseconds=round(fraction * _SECONDS_PER_DAY * 1000))
    if 0 <= serial < 1 and offset.days == 0:
        return (dt.datetime.min + offset).time()
    if not date1904 and 0 < serial < 60:
        days += 1
    epoch = _EPOCH_1904 if date1904 else _EPOCH_1900
    return epoch + dt.timedelta(days=days) + offset


def cell_text(value: object) -> str:
    """A workbook cell as the analyst reads it: 1 not '1.0', dates as 2024-01-31."""
    if value is None:
        return ""
    if isinstance(value, bool):  # before int: bool is an int
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return clean_cell(str(value))


def number_text(raw: str, *, date: bool = False, date1904: bool = False) -> str:
    """The text of a numeric cell as stored (``<v>1.5E3</v>``): a number, or a date when
    its format is one. Anything unreadable is shown as it is stored."""
    raw = raw.strip()
    try:
        number: int | float = float(raw) if any(c in raw for c in ".eE") else int(raw)
    except ValueError:  # not a number, or more digits than int() converts
        return clean_cell(raw)
    if isinstance(number, float) and number != number:  # NaN
        return clean_cell(raw)
    if date:
        try:
            return cell_text(excel_date(float(number), date1904=date1904))
        except (OverflowError, ValueError):
            pass  # a serial no calendar holds: the number itself
    return cell_text(number)


def iso_date_text(raw: str) -> str:
    """A ``t="d"`` cell (ISO 8601 text) as a date; as stored when unreadable."""
    try:
        return cell_text(dt.datetime.fromisoformat(raw.strip().removesuffix("Z")))
    except ValueError:
        return clean_cell(raw)
