"""Values made to fit their columns before they are written: crawled text is hostile.

PostgreSQL refuses a NUL character in text and in JSONB (``\\u0000``), and a value longer
than its ``VARCHAR(n)``; a lone surrogate cannot be encoded at all. One such value used to
fail a whole batch of snapshots. Here NUL and lone surrogates become U+FFFD (the
replacement character: the reader sees that something was there), text longer than its
column is cut with a marker that says how much was cut, and JSON values are cleaned the
same way throughout (keys included; non-finite floats become null).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import JSON, String, Table

_BAD = re.compile("[\x00\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def clean_text(value: str) -> str:
    """``value`` without NUL characters and lone surrogates (each becomes U+FFFD)."""
    return _BAD.sub(REPLACEMENT, value) if _BAD.search(value) else value


def cut(value: str, length: int) -> str:
    """``value`` in at most ``length`` characters; a cut value ends with ``…[+N]``, N the
    number of characters cut."""
    if len(value) <= length:
        return value
    # the marker is never longer than for N = len(value)
    keep = length - len(f"…[+{len(value)}]")
    if keep < 1:
        return value[:length]  # a column too narrow for the marker
    return value[:keep] + f"…[+{len(value) - keep}]"


def clean_json(value: Any) -> Any:
    """A JSON value with clean strings (keys too) and no NaN or infinity."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, Mapping):
        return {clean_text(str(k)): clean_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean_json(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def fit_row(table: Table, row: Mapping[str, Any]) -> dict[str, Any]:
    """``row`` with each value made to fit its column of ``table``."""
    fitted = dict(row)
    columns = table.c
    for name, value in row.items():
        if value is None or name not in columns:
            continue
        kind = columns[name].type
        if isinstance(value, str):
            value = clean_text(value)
            length = getattr(kind, "length", None)
            if isinstance(kind, String) and length:
                value = cut(value, length)
            fitted[name] = value
        elif isinstance(kind, JSON):
            fitted[name] = clean_json(value)
    return fitted
