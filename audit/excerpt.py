"""A short excerpt of a value that may be huge: what messages quote of a bad value.

A file can hold a 1 GiB cell, a URL of 100,000 characters or a header row of a thousand
columns; a message that quoted them whole would flood the terminal, the log and the JSON
report. Every message that quotes a value from a file goes through :func:`excerpt`.

The mark is the one the store uses for values cut to fit their column
(:func:`audit.store.values.cut`): ``…[+N]``, N the number of characters left out.
"""

from __future__ import annotations

from collections.abc import Iterable

EXCERPT_LENGTH = 80


def excerpt(text: str, limit: int = EXCERPT_LENGTH, *, length: int | None = None) -> str:
    """``text`` in at most about ``limit`` characters, its cut end marked ``…[+N]``.

    ``length`` is the true length when ``text`` is already only the start of the value
    (a reader that kept the first characters of a 1 GiB cell): N counts from it.

    >>> excerpt("a" * 100, 10)
    'aaaaaaaaaa…[+90]'
    >>> excerpt("abc")
    'abc'
    """
    total = len(text) if length is None else max(length, len(text))
    if total <= limit:
        return text
    shown = text[:limit]
    return f"{shown}…[+{total - len(shown):,}]"


def excerpts(
    texts: Iterable[str], count: int = 10, limit: int = 30, *, quoted: bool = False
) -> str:
    """At most ``count`` values, each excerpted (and quoted as Python quotes a string),
    joined by ``, ``; the rest counted: 'a, b, c … and 990 more'. For messages that list
    what a file holds (its headers, its sheets)."""
    shown: list[str] = []
    more = 0
    for text in texts:
        if len(shown) < count:
            short = excerpt(text, limit)
            shown.append(repr(short) if quoted else short)
        else:
            more += 1
    return ", ".join(shown) + (f" … and {more:,} more" if more else "")
