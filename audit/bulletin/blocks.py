"""The bulletin as a renderer sees it: a title page and a list of blocks.

:mod:`audit.bulletin.document` writes the prose and the tables once, from the figures;
each renderer (DOCX, HTML, Markdown) only walks the blocks. Every string here may hold
text from crawled pages (titles, sponsors): renderers escape it for their format.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Heading:
    """一、总体情况 (level 1) or （一）… (level 2); the number is part of the text."""

    text: str
    level: int = 1


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class Table:
    """A table with a caption above it. ``widths`` are relative column weights (they
    decide how the A4 text width is shared); ``numeric`` marks right-aligned columns.
    ``note`` is a line under the table (e.g. "全部名单见附件")."""

    caption: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    widths: tuple[float, ...] = ()
    numeric: tuple[bool, ...] = ()
    note: str | None = None

    @property
    def column_count(self) -> int:
        """Headers and rows may disagree (a malformed row): show every cell, drop none."""
        return max([len(self.headers), *(len(row) for row in self.rows), 1])

    def padded(self, cells: tuple[str, ...]) -> list[str]:
        """A row (or the headers) filled up to :attr:`column_count` cells."""
        return [*cells, *([""] * (self.column_count - len(cells)))]

    def numeric_columns(self) -> list[bool]:
        """Right-aligned columns; a column without a flag is text."""
        flags = self.numeric
        return [i < len(flags) and bool(flags[i]) for i in range(self.column_count)]


@dataclass(frozen=True)
class Chart:
    """A chart drawn by :mod:`audit.bulletin.charts`; ``path`` is its PNG (None when it
    could not be drawn: renderers then print the caption and ``missing`` instead)."""

    key: str
    caption: str
    path: Path | None
    missing: str = "（图表未生成）"


Block = Heading | Paragraph | Table | Chart


@dataclass(frozen=True)
class Masthead:
    """The head of an official bulletin: red title, issue line, rule."""

    title: str  # 运城市网络与信息安全信息通报
    issue: str  # 2026年第11期, or 征求意见稿 for a draft
    unit: str  # 运城市网络与信息安全信息通报中心
    date: dt.date  # the date the bulletin is issued (成文日期)
    period_label: str  # 2026年11月
    subtitle: str  # 2026年11月全市网站备案情况通报
    draft: bool = False


@dataclass(frozen=True)
class BulletinDocument:
    masthead: Masthead
    blocks: list[Block] = field(default_factory=list)
    # the closing lines: the unit and the date, right-aligned in the DOCX
    signature: tuple[str, ...] = ()
    # the attachment list (附件：1. …xlsx)
    attachments: tuple[str, ...] = ()
    # 版记 (GB/T 9704): 抄送, and the unit that printed it and when
    copy_to: tuple[str, ...] = ()
    printer: str = ""
    printed: dt.date | None = None
