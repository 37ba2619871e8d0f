"""CSV and text files exported from Excel or WPS: encoding, delimiter, records.

Encodings are detected, never guessed loosely: a byte-order mark, then strict UTF-8,
then strict GB18030 (a superset of GBK, what Excel writes as "CSV" on a Chinese
Windows), and a file that is neither is refused rather than turned into mojibake.

Bounded: the file's size (``max_text_bytes``), a record's length (``max_line_chars``,
quoted line breaks included; it is also the csv module's default field limit), the
number of columns with a value (``max_columns``); a longer cell (``max_cell_chars``)
rejects its row only.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Collection, Iterator
from itertools import islice
from pathlib import Path

from audit.excerpt import EXCERPT_LENGTH
from audit.intake.tabular.assemble import HEADER_SCAN, assemble
from audit.intake.tabular.cells import clean_cell
from audit.intake.tabular.headers import Matcher
from audit.intake.tabular.model import Cell, ReadLimits, Table, TableError, TooLong
from audit.intake.tabular.zipparts import size_text

ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, and password-protected .xlsx
# Lines as open(newline="") splits them: \r\n, \r or \n, the ending kept.
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")
_HANZI = re.compile("[\u4e00-\u9fff]")


def read_text(path: Path, matcher: Matcher, required: Collection[str], limits: ReadLimits) -> Table:
    try:
        size = path.stat().st_size
        if size > limits.max_text_bytes:
            raise TableError(
                f"{path}: {size_text(size)}, larger than the {size_text(limits.max_text_bytes)}"
                " a text file may have (the limit): split it"
            )
        data = path.read_bytes()
    except OSError as exc:
        raise TableError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if data.startswith(ZIP_MAGIC):
        raise TableError(f"{path}: is an .xlsx workbook, not a text file: rename it to .xlsx")
    if data.startswith(OLE2_MAGIC):
        raise TableError(
            f"{path}: is an old Excel .xls workbook, not a text file:"
            " open it in Excel or WPS and save it as .xlsx or as CSV UTF-8"
        )
    text, encoding = _decode(path, data)
    del data  # the text is what is read from here on: do not hold the file twice
    offset = 0
    delimiter: str | None = None
    # Excel honours (and some tools write) a first line "sep=;" naming the delimiter.
    end = text.find("\n", 0, 64)
    hint = re.fullmatch(r"sep=(.)\r?", text[:end].lstrip("\ufeff")) if end >= 0 else None
    if hint:
        delimiter, text, offset = hint.group(1), text[end + 1 :], 1
    if delimiter is None:
        delimiter = _sniff_delimiter(text, matcher, path.suffix.lower())
    return assemble(
        str(path),
        csv_records(path, text, delimiter, limits, offset),
        matcher,
        required,
        limits,
        path=path,
        encoding=encoding,
        delimiter=delimiter,
    )


class _Lines:
    """The text's lines for the csv reader, each record at most ``limit`` characters."""

    def __init__(self, path: Path, text: str, limit: int, offset: int) -> None:
        self.path, self.text, self.limit = path, text, limit
        self.line = offset  # the last line handed out
        self.record = 0  # characters of the record being read so far

    def __iter__(self) -> Iterator[str]:
        for match in _LINE.finditer(self.text):
            self.line += 1
            self.record += match.end() - match.start()  # measured before it is copied
            if self.record > self.limit:
                raise TableError(
                    f"{self.path}, line {self.line}: a record longer than {self.limit:,}"
                    " characters (the limit): not a table, or a quote never closed"
                )
            yield match[0]


def csv_records(
    path: Path, text: str, delimiter: str, limits: ReadLimits, offset: int = 0
) -> Iterator[tuple[int, list[Cell]]]:
    """Records with the physical line they start on (a quoted field may span lines)."""
    lines = _Lines(path, text, limits.max_line_chars, offset)
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    line = offset + 1
    try:
        for fields in reader:
            yield line, _cells(path, line, fields, limits)
            lines.record = 0
            line = lines.line + 1
    except csv.Error as exc:
        if "unexpected end of data" in str(exc):
            raise TableError(
                f"{path}, line {line}: a quoted field starting on this line is never closed"
                ' (a stray " ?)'
            ) from None
        if "field larger than field limit" in str(exc):
            raise TableError(
                f"{path}, line {line}: a field longer than {csv.field_size_limit():,}"
                " characters (the limit)"
            ) from None
        raise TableError(f"{path}, line {line}: malformed CSV ({exc})") from None


def _cells(path: Path, line: int, fields: list[str], limits: ReadLimits) -> list[Cell]:
    if len(fields) > limits.max_columns:
        beyond = next(
            (i for i, f in enumerate(fields) if i >= limits.max_columns and f.strip()), None
        )
        if beyond is not None:
            raise TableError(
                f"{path}, line {line}: a value in column {beyond + 1:,}, beyond column"
                f" {limits.max_columns:,}, the last column read (the limit)"
            )
        fields = fields[: limits.max_columns]
    cap = limits.max_cell_chars
    return [clean_cell(f) if len(f) <= cap else TooLong(f[:EXCERPT_LENGTH], len(f)) for f in fields]


def _sniff_delimiter(text: str, matcher: Matcher, extension: str) -> str:
    """The delimiter under which the header names the most known columns.

    Ties (a one-column file, or no known header) go to the delimiter that splits the
    first rows into the same number (>1) of columns, then to the usual one for the
    extension (tab for .tsv, comma otherwise).
    """
    order = ["\t", ",", ";"] if extension == ".tsv" else [",", "\t", ";"]
    head = text[:65536]

    def score(delimiter: str) -> tuple[int, int]:
        sample: list[list[str]] = []
        try:
            reader = csv.reader(io.StringIO(head, newline=""), delimiter=delimiter, strict=True)
            for cells in islice(reader, 4 * HEADER_SCAN):
                if any(cells):
                    sample.append(cells)
                if len(sample) == HEADER_SCAN:
                    break
        except csv.Error:
            pass  # a wrong delimiter often makes quoting look malformed: judge what was read
        if not sample:
            return (0, 0)
        known = max(matcher.recognised([clean_cell(c) for c in cells]) for cells in sample)
        width = len(sample[0])
        consistent = sum(1 for cells in sample if len(cells) == width) if width > 1 else 0
        return (known, consistent)

    return max(order, key=score)  # max keeps the first of equals


def _decode(path: Path, data: bytes) -> tuple[str, str]:
    """Text and encoding name; TableError rather than a wrong guess."""
    for bom, encoding in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16: its BOM starts the same way
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF16_LE, "utf-16"),  # Excel's "Unicode text"
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            return _strict(path, data, encoding), encoding
    if b"\x00" in data[:4096]:
        # No BOM but NUL bytes: UTF-16 text, or not text at all.
        sample = data[:4096]
        even, odd = sample[0::2].count(0), sample[1::2].count(0)
        if odd > len(sample) // 4 and even == 0:
            return _strict(path, data, "utf-16-le"), "utf-16-le"
        if even > len(sample) // 4 and odd == 0:
            return _strict(path, data, "utf-16-be"), "utf-16-be"
        raise TableError(f"{path}: not a text file (it contains NUL bytes)")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        utf8_error = exc
    utf8_line = _line_at(data, utf8_error.start)
    prefix = data[: utf8_error.start].decode("utf-8")
    if sum(1 for _ in islice(_HANZI.finditer(prefix), 3)) >= 3:
        # UTF-8 Chinese before the bad bytes: a damaged or mixed file, not a GBK one.
        raise TableError(
            f"{path}: line {utf8_line} is not valid UTF-8 although the lines before it are:"
            " the file is damaged or mixes encodings; save it again as CSV UTF-8"
        )
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise TableError(
            f"{path}: cannot decode: not UTF-8 (line {utf8_line}) nor GBK/GB18030"
            f" (line {_line_at(data, exc.start)}); save it as CSV UTF-8 or as .xlsx"
        ) from None
    if _implausible_gbk(text):
        raise TableError(
            f"{path}: cannot decode: not UTF-8 (line {utf8_line}), and read as GBK it gives"
            " unlikely characters (Big5? Latin-1?); save it as CSV UTF-8 or as .xlsx"
        )
    return text, "gb18030"


def _strict(path: Path, data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise TableError(
            f"{path}: cannot decode as {encoding.upper()} (bad bytes at offset {exc.start})"
        ) from None


def _line_at(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _implausible_gbk(text: str) -> bool:
    """Whether GB18030-decoded text is likely another encoding's bytes.

    Simplified Chinese almost only uses GB2312 characters; Big5 or Latin-1 bytes read
    as GBK give many outside it (rare hanzi, private-use code points).
    """
    distinct = {c for c in set(text) if ord(c) > 0x7F}
    if len(distinct) < 5:
        return False
    unusual = 0
    for char in distinct:
        try:
            char.encode("gb2312")
        except UnicodeEncodeError:
            unusual += 1
    return unusual >= 3 and unusual > len(distinct) // 4
