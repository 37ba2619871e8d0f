"""Crawled text made safe to show to a person: one function, :func:`display_text`.

Page titles, footers, URLs, server headers, sponsor names and error messages come from
pages anyone can write. Printed raw, ``ESC[2J`` clears the analyst's terminal, ``ESC]8;;``
plants a hyperlink, a carriage return or backspaces overwrite what was printed, U+009B is
a one-byte CSI, and the bidi overrides (U+202E ...) make ``gnp.exe`` read as ``exe.png``.
In XML (XLSX, DOCX) most of these characters are forbidden outright.

The characters treated so: C0 controls (U+0000-U+001F) but those a layout allows (tab and
newline by default), DEL (U+007F), C1 controls (U+0080-U+009F), the bidi embeddings,
overrides and isolates (U+202A-U+202E, U+2066-U+2069), lone surrogates (U+D800-U+DFFF) and
the non-characters U+FFFE and U+FFFF. Everything else, Chinese and full-width characters
included, is left as it is.

Three ways to treat them (``how``):

- ``"show"``: written as Python writes them in a string literal: ``\\x1b``, ``\\x07``,
  ``\\r``, ``\\x9b``, ``\\u202e``, ``\\udc80``. Plain ASCII that every terminal and font
  shows, and the analyst sees that the page is odd. For the terminal, CSV exports, the
  analyst's XLSX listing and log lines. (A backslash in the page is left alone, so
  ``\\x1b`` typed on a page looks the same as a real ESC: what matters is that nothing is
  interpreted.)
- ``"drop"``: removed. For the documents sent to units (bulletin, notice) and wherever a
  format cannot hold them.
- ``"json"``: written as JSON escapes (``\\u001b``), for text already serialised as JSON:
  a program reading it gets the exact value back, a terminal shows it inert.

Log lines quote URLs and error messages: :class:`DisplayFormatter` shows them the same way.

The database keeps what was crawled, raw: this is for display only.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable
from typing import Literal

_C0 = [chr(code) for code in range(0x20)]
# DEL and C1, the bidi embeddings/overrides/isolates, lone surrogates, U+FFFE and U+FFFF
_OTHERS = "\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff"
_SHORT = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}

How = Literal["show", "drop", "json"]


def _shown(match: re.Match[str]) -> str:
    char = match[0]
    code = ord(char)
    return _SHORT.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def _json(match: re.Match[str]) -> str:
    return f"\\u{ord(match[0]):04x}"


_REPLACE: dict[str, str | Callable[[re.Match[str]], str]] = {
    "show": _shown,
    "drop": "",
    "json": _json,
}


@functools.lru_cache(maxsize=16)
def _pattern(keep: str) -> re.Pattern[str]:
    c0 = "".join(re.escape(c) for c in _C0 if c not in keep)
    return re.compile(f"[{c0}{_OTHERS}]")


def display_text(text: str, *, how: How = "show", keep: str = "\t\n") -> str:
    """``text`` with its control, bidi-override and lone-surrogate characters shown as
    escapes (``how="show"``), dropped (``"drop"``) or JSON-escaped (``"json"``).

    ``keep`` names the C0 controls the layout allows (tab and newline by default; ``""``
    for one line, where a newline shows as ``\\n``). DEL, C1 and the bidi controls are
    never kept. ``display_text("\\x1b[2J标题")`` is ``"\\\\x1b[2J标题"``.
    """
    pattern = _pattern(keep)
    if pattern.search(text) is None:  # the common case: nothing to do, no copy
        return text
    return pattern.sub(_REPLACE[how], text)


class DisplayFormatter(logging.Formatter):
    """Log lines with control characters and bidi overrides shown as escapes (newlines
    and tabs kept for tracebacks): a URL or an error message quoted in a log line cannot
    drive the terminal, or the ``less`` of the log file, that shows it."""

    def format(self, record: logging.LogRecord) -> str:
        return display_text(super().format(record))
