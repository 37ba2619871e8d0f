"""The monthly bulletin as GitHub-flavoured Markdown (for a wiki, a repository or a quick
diff between two months).

Charts stay separate PNG files, linked by a path relative to the Markdown file. Every
string may come from a crawled page, and Markdown turns punctuation into links, images,
raw HTML, headings and tables: :func:`escape_markdown` makes such text inert (it renders
as the same characters, but as plain text).
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

from audit.bulletin.blocks import (
    Block,
    BulletinDocument,
    Chart,
    Heading,
    Masthead,
    Paragraph,
    Table,
)
from audit.bulletin.render_html import (
    DRAFT_MARK,
)
from audit.documents.docx_style import chinese_date, clean_text
from audit.files import write_atomic

ATTACHMENTS_LABEL = "附件："
HARD_BREAK = "\\\n"  # a backslash at the end of a line: CommonMark's portable <br>

# Characters that start Markdown syntax anywhere in a line: backslash (escapes), code,
# emphasis, links and images ([ ]), headings, table cells, strikethrough, GitHub's
# :emoji: and $math$ and scheme autolinks (http:), and entities and raw HTML (& < >).
_SPECIAL = re.compile(r"[\\`*_\[\]#|~:$&<>]")
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
# ... and at the start of a line: list items, thematic breaks, setext underlines
_LINE_START_MARK = re.compile(r"^[-+=]")
_LINE_START_NUMBER = re.compile(r"^(\d+)([.)])")
# GFM links www.example.com by itself
_WWW = re.compile(r"(?i)(?<![0-9a-z])(www)\.")
# characters that would end or confuse a link destination; kept readable otherwise
_UNSAFE_IN_LINK = re.compile(r"[\s()<>\[\]\\%\"'`:\x00-\x1f\x7f\u202a-\u202e\u2066-\u2069]")


def render_markdown(document: BulletinDocument, out: Path) -> Path:
    """Write the bulletin to ``out`` (parents created, replaced atomically); return it.
    Chart links are relative to ``out``'s directory."""
    out = out.expanduser()
    return write_atomic(out, to_markdown(document, out.parent).encode("utf-8"))


def to_markdown(document: BulletinDocument, directory: Path) -> str:
    """The whole Markdown text; chart paths are made relative to ``directory``."""
    parts = _masthead(document.masthead)
    parts += [_block(block, directory) for block in document.blocks]
    parts += _attachments(document.attachments)
    parts += _signature(document.signature)
    parts += _record(document)
    # blocks are separated by blank lines, so that no block runs into the next (a line
    # right after a table would become one of its rows)
    return "\n\n".join(part for part in parts if part) + "\n"


def escape_markdown(value: object) -> str:
    """One line of hostile text as inert Markdown: controls and bidi overrides dropped,
    whitespace (newlines too) collapsed, syntax characters escaped. Safe in a paragraph,
    a heading, a table cell and an image's alt text."""
    text = _SPECIAL.sub(lambda match: _ENTITIES.get(match[0], "\\" + match[0]), clean_text(value))
    text = _LINE_START_MARK.sub(lambda match: "\\" + match[0], text)
    text = _LINE_START_NUMBER.sub(r"\1\\\2", text)
    return _WWW.sub(r"\1\\.", text)


def link_target(path: Path, directory: Path) -> str:
    """``path`` relative to ``directory`` with forward slashes, as a link destination
    (spaces, brackets and the like percent-encoded; Chinese names stay readable)."""
    try:
        relative = os.path.relpath(os.path.abspath(path), os.path.abspath(directory))
    except ValueError:  # on another Windows drive: no relative path exists
        return Path(path).absolute().as_uri()
    relative = relative.replace(os.sep, "/")
    return _UNSAFE_IN_LINK.sub(lambda match: _percent(match[0]), relative)


def _percent(char: str) -> str:
    return "".join(f"%{byte:02X}" for byte in char.encode("utf-8"))


def _lines(value: object) -> list[str]:
    """The non-empty lines of a text, each escaped on its own (so each line start is)."""
    text = clean_text(value, one_line=False)
    return [line for line in (escape_markdown(part) for part in text.splitlines()) if line]


def _bold(text: str) -> str:
    # nothing for an empty text: "****" alone on a line is a thematic break
    return f"**{text}**" if text else ""


def _masthead(masthead: Masthead) -> list[str]:
    # unit and date on one line, as they stand left and right under the HTML masthead
    issued = "　　".join(
        part for part in (escape_markdown(masthead.unit), chinese_date(masthead.date)) if part
    )
    return [
        f"> {_bold(DRAFT_MARK)}" if masthead.draft else "",
        f"# {escape_markdown(masthead.title)}",
        escape_markdown(masthead.issue),
        issued,
        "---",
        _bold(escape_markdown(masthead.subtitle)),
    ]


def _block(block: Block, directory: Path) -> str:
    match block:
        case Heading():
            return _heading(block)
        case Paragraph():
            # a line break starts a new paragraph, as in the HTML
            return "\n\n".join(_lines(block.text))
        case Table():
            return _table(block)
        case Chart():
            return _chart(block, directory)
        case _:
            raise TypeError(f"not a bulletin block: {type(block).__name__}")


def _heading(heading: Heading) -> str:
    # level 1 is ## (the masthead title is the only #); deeper levels stop at ####
    return "#" * (min(max(heading.level, 1), 3) + 1) + " " + escape_markdown(heading.text)


def _row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(escape_markdown(cell) for cell in cells) + " |"


def _table(table: Table) -> str:
    lines = []
    if table.headers or table.rows:
        numeric = table.numeric_columns()
        lines.append(_row(table.padded(table.headers)))
        lines.append("| " + " | ".join("---:" if flag else "---" for flag in numeric) + " |")
        lines += [_row(table.padded(row)) for row in table.rows]
    parts = [_bold(escape_markdown(table.caption)), "\n".join(lines)]
    if table.note is not None:
        parts.append(escape_markdown(table.note))
    return "\n\n".join(part for part in parts if part)


def _chart(chart: Chart, directory: Path) -> str:
    caption = escape_markdown(chart.caption)
    if chart.path is not None and Path(chart.path).is_file():
        body = f"![{caption}]({link_target(chart.path, directory)})"
    else:
        body = escape_markdown(chart.missing)
    return "\n\n".join(part for part in (body, _bold(caption)) if part)


def _attachments(attachments: Sequence[str]) -> list[str]:
    """附件：name, or 附件： and a numbered list for several (as GB/T 9704 numbers them)."""
    names = [name for name in (escape_markdown(item) for item in attachments) if name]
    if len(names) == 1:
        return [f"{ATTACHMENTS_LABEL}{names[0]}"]
    if names:
        return [ATTACHMENTS_LABEL, "\n".join(f"{n}. {name}" for n, name in enumerate(names, 1))]
    return []


def _record(document: BulletinDocument) -> list[str]:
    """版记: 抄送, then the printing unit and the date, under a rule."""
    if document.printed is None:
        return []
    units = [escape_markdown(unit) for unit in document.copy_to if unit.strip()]
    copied = [f"抄送：{'，'.join(units)}。"] if units else []
    printed = f"{escape_markdown(document.printer)}　{chinese_date(document.printed)}印发"
    return ["---", HARD_BREAK.join([*copied, printed])]


def _signature(signature: Sequence[str]) -> list[str]:
    return [HARD_BREAK.join(line for line in map(escape_markdown, signature) if line)]
