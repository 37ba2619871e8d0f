"""Hostile inventory files, written byte by byte: tiny files that declare huge things.

A workbook is a zip of XML parts; these are written here directly (local headers,
central directory, end record), so that a part can be made to inflate to 1 GiB from
1 MB, or its directory entry made to lie about its size, without ever holding the
inflated bytes: a repeated piece is deflated once and its compressed form repeated
(each piece ends with a full flush, so it does not refer to what came before).

Every hostile workbook also holds the good rows :data:`GOOD`, which an import must keep.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

HEADER = ("网址", "网站名称", "所属区县")
GOOD = (
    ("www.a.yuncheng.gov.cn", "运城市甲局", "盐湖区"),
    ("www.b.yuncheng.gov.cn", "运城市乙局", "临猗县"),
)
GOOD_HOSTS = sorted(row[0] for row in GOOD)
_NS = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_PIECE = 1 << 20  # bytes deflated at once


@dataclass(frozen=True)
class Part:
    """A zip member: its deflated bytes, CRC and true size, and the size its headers
    declare (the true one unless told to lie)."""

    name: str
    deflated: bytes
    crc: int
    size: int
    declared: int | None = None


def part(name: str, pieces: Iterable[tuple[bytes, int]], *, declared: int | None = None) -> Part:
    """A part made of ``(bytes, times)`` pieces, deflated without being assembled."""
    deflater = zlib.compressobj(9, zlib.DEFLATED, -15)
    out: list[bytes] = []
    crc = size = 0
    for data, times in pieces:
        if not data:
            continue
        # Whole multiples of the data, about _PIECE bytes, deflated once and repeated.
        per = max(1, _PIECE // len(data))
        whole, rest = divmod(times, per)
        for count, repeat in ((per, whole), (rest, 1 if rest else 0)):
            if not repeat:
                continue
            block = data * count
            deflated = deflater.compress(block) + deflater.flush(zlib.Z_FULL_FLUSH)
            for _ in range(repeat):
                out.append(deflated)
                crc = zlib.crc32(block, crc)
                size += len(block)
    out.append(deflater.flush(zlib.Z_FINISH))
    return Part(name, b"".join(out), crc, size, declared)


def plain(name: str, data: bytes) -> Part:
    return part(name, [(data, 1)])


def zip_bytes(parts: Sequence[Part]) -> bytes:
    """The zip file of ``parts``, as a zip writer lays it out."""
    local: list[bytes] = []
    central: list[bytes] = []
    offset = 0
    for member in parts:
        name = member.name.encode()
        size = member.size if member.declared is None else member.declared
        fields = (8, 0, 0x21, member.crc, len(member.deflated), size, len(name))
        header = struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, *fields, 0) + name
        local.append(header + member.deflated)
        central.append(
            struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, *fields, 0, 0, 0, 0, 0, offset)
            + name
        )
        offset += len(header) + len(member.deflated)
    directory = b"".join(central)
    end = struct.pack(
        "<4s4H2LH", b"PK\x05\x06", 0, 0, len(parts), len(parts), len(directory), offset, 0
    )
    return b"".join(local) + directory + end


# -- the XML of a workbook -----------------------------------------------------------------------


def _column(index: int) -> str:
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def row(number: int, values: Sequence[str]) -> bytes:
    """A row of inline-string cells, as some tools (not Excel) write them."""
    cells = "".join(
        f'<c r="{_column(i)}{number}" t="inlineStr"><is><t>{escape(v)}</t></is></c>'
        for i, v in enumerate(values, start=1)
        if v
    )
    return f'<row r="{number}">{cells}</row>'.encode()


def good_rows() -> bytes:
    """The header on row 1 and the good rows on rows 2 and 3."""
    return b"".join(row(n, values) for n, values in enumerate([HEADER, *GOOD], start=1))


def sheet_start() -> bytes:
    return b'<?xml version="1.0" encoding="UTF-8"?><worksheet ' + _NS + b"><sheetData>"


def sheet(rows: bytes, after: bytes = b"") -> bytes:
    """A worksheet part: its rows, then what follows <sheetData> (merges, ...)."""
    return sheet_start() + rows + b"</sheetData>" + after + b"</worksheet>"


_XML = '<?xml version="1.0" encoding="UTF-8"?>'
_PACKAGE = "http://schemas.openxmlformats.org/package/2006"
_OFFICE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_SPREADSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml"


def _content_types(shared: bool) -> bytes:
    parts = [("/xl/workbook.xml", "sheet.main"), ("/xl/worksheets/sheet1.xml", "worksheet")]
    if shared:
        parts.append(("/xl/sharedStrings.xml", "sharedStrings"))
    overrides = "".join(
        f'<Override PartName="{name}" ContentType="{_SPREADSHEET}.{kind}+xml"/>'
        for name, kind in parts
    )
    return (
        f'{_XML}<Types xmlns="{_PACKAGE}/content-types">'
        f'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        f'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        f"{overrides}</Types>"
    ).encode()


def _relationships(targets: list[tuple[str, str]]) -> bytes:
    items = "".join(
        f'<Relationship Id="rId{n}" Type="{_OFFICE}/{kind}" Target="{target}"/>'
        for n, (kind, target) in enumerate(targets, start=1)
    )
    return f'{_XML}<Relationships xmlns="{_PACKAGE}/relationships">{items}</Relationships>'.encode()


def workbook(path: Path, sheet_part: Part | bytes, *extra: Part, shared: bool = False) -> Path:
    """Write a one-sheet workbook: ``sheet_part`` (bytes or a Part) is its sheet,
    ``extra`` are added (xl/sharedStrings.xml ...); ``shared`` declares shared strings."""
    if isinstance(sheet_part, bytes):
        sheet_part = plain("xl/worksheets/sheet1.xml", sheet_part)
    book = (
        f'{_XML}<workbook {_NS.decode()} xmlns:r="{_OFFICE}"><sheets>'
        '<sheet name="清单" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )
    targets = [("worksheet", "worksheets/sheet1.xml")]
    if shared:
        targets.append(("sharedStrings", "sharedStrings.xml"))
    parts = [
        plain("[Content_Types].xml", _content_types(shared)),
        plain("_rels/.rels", _relationships([("officeDocument", "xl/workbook.xml")])),
        plain("xl/workbook.xml", book.encode()),
        plain("xl/_rels/workbook.xml.rels", _relationships(targets)),
        sheet_part,
        *extra,
    ]
    path.write_bytes(zip_bytes(parts))
    return path


# -- the bombs -----------------------------------------------------------------------------------


def merged_to_last_cell(path: Path) -> Path:
    """One merged range from A1 to the last cell of a sheet (XFD1048576), which holds
    a value: a reader that fills merged cells in fills 16,384 columns of a million rows."""
    merge = b'<mergeCells count="1"><mergeCell ref="A1:XFD1048576"/></mergeCells>'
    last = b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    return workbook(path, sheet(good_rows() + last, merge))


def row_at_last_row(path: Path) -> Path:
    """A stray value on row 1,048,576, the last row of a sheet: a million empty rows
    between it and the good rows."""
    stray = row(1_048_576, ["x"])
    return workbook(path, sheet(good_rows() + stray))


def huge_shared_string(path: Path, size: int, *, declared: int | None = None) -> Path:
    """A shared string of ``size`` characters, used as the name of one more row (row 4),
    with its part's size declared as ``declared`` (a lie) when given."""
    strings = part(
        "xl/sharedStrings.xml",
        [
            (b'<?xml version="1.0" encoding="UTF-8"?><sst ' + _NS + b"><si><t>", 1),
            (b"A", size),
            (b"</t></si></sst>", 1),
        ],
        declared=declared,
    )
    bomb_row = (
        b'<row r="4"><c r="A4" t="inlineStr"><is><t>www.c.yuncheng.gov.cn</t></is></c>'
        b'<c r="B4" t="s"><v>0</v></c></row>'
    )
    return workbook(path, sheet(good_rows() + bomb_row), strings, shared=True)


def many_rows(path: Path, count: int, *, value: bytes = b"www.x.yuncheng.gov.cn") -> Path:
    """The good rows, then ``count`` identical rows (no row numbers: each is the next)."""
    repeated = b'<row><c t="inlineStr"><is><t>' + value + b"</t></is></c></row>"
    sheet_part = part(
        "xl/worksheets/sheet1.xml",
        [(sheet_start() + good_rows(), 1), (repeated, count), (b"</sheetData></worksheet>", 1)],
    )
    return workbook(path, sheet_part)


def entity_expansion(path: Path) -> Path:
    """The "billion laughs": entities that expand to 10^9 copies of a word."""
    levels = [b'<!ENTITY l0 "ha">'] + [
        f'<!ENTITY l{n} "{f"&l{n - 1};" * 10}">'.encode() for n in range(1, 10)
    ]
    doctype = b"<!DOCTYPE worksheet [" + b"".join(levels) + b"]>"
    rows = good_rows() + row(4, ["&l9;"]).replace(b"&amp;l9;", b"&l9;")
    data = sheet(rows).replace(b"<worksheet ", doctype + b"<worksheet ", 1)
    return workbook(path, data)


def huge_attribute(path: Path, size: int = 8 << 20) -> Path:
    """A start tag with an attribute of ``size`` bytes: one token expat must hold."""
    tag = part(
        "xl/worksheets/sheet1.xml",
        [
            (sheet_start() + good_rows() + b'<row r="4" x="', 1),
            (b"y", size),
            (b'"/></sheetData></worksheet>', 1),
        ],
    )
    return workbook(path, tag)


def far_right_value(path: Path) -> Path:
    """A value in column XFD (16,384), past any inventory's columns."""
    stray = b'<row r="4"><c r="XFD4" t="inlineStr"><is><t>x</t></is></c></row>'
    return workbook(path, sheet(good_rows() + stray))


def many_parts(path: Path, count: int) -> Path:
    """A workbook with ``count`` extra (empty) parts in its zip."""
    extra = [plain(f"xl/media/image{n}.png", b"") for n in range(count)]
    return workbook(path, sheet(good_rows()), *extra)


# -- text files ----------------------------------------------------------------------------------


def csv_text(rows: Iterable[Sequence[str]]) -> str:
    return "".join(",".join(cells) + "\n" for cells in [HEADER, *GOOD, *rows])
