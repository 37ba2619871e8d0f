"""XML read as a stream of events (expat, from the standard library): no tree is built.

What a hostile part cannot do here: declare a DOCTYPE (no entities, so no "billion
laughs" and no external files: a workbook part never has one), or hold a single token
(a start tag, an attribute, a comment) larger than :data:`LONGEST_TOKEN`: expat keeps an
unfinished token in memory and, before expat 2.6, parses it again for every chunk fed.
Text is streamed: a long value costs only what its reader keeps of it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Protocol
from xml.parsers import expat

from audit.intake.tabular.model import MiB, TableError

LONGEST_TOKEN = 4 * MiB


class Handler(Protocol):
    def start(self, name: str, attributes: dict[str, str]) -> None: ...
    def end(self, name: str) -> None: ...
    def text(self, data: str) -> None: ...


class LocalNames(dict[str, str]):
    """Element and attribute names without their prefix: 'x:row' and 'row' are 'row',
    whatever namespace the prefix stands for (transitional or strict OOXML)."""

    def __missing__(self, name: str) -> str:
        local = name.rpartition(":")[2]
        self[name] = local
        return local


class _Doctype(Exception):
    pass


def _refuse_doctype(*_: object) -> None:
    raise _Doctype


def stream(chunks: Iterable[bytes], handler: Handler, where: str) -> Iterator[None]:
    """Parse ``chunks`` into ``handler``'s calls; yields after each chunk, so that the
    caller can take what the handler has gathered. Raises TableError naming ``where``."""
    # No namespace processing (it costs a third of the parse): handlers take local names.
    parser = expat.ParserCreate()
    parser.buffer_text = True  # one call per run of text, not per line
    parser.buffer_size = 1 << 16
    parser.StartElementHandler = handler.start
    parser.EndElementHandler = handler.end
    parser.CharacterDataHandler = handler.text
    parser.StartDoctypeDeclHandler = _refuse_doctype
    fed = 0
    try:
        for chunk in chunks:
            parser.Parse(chunk, False)
            fed += len(chunk)
            # CurrentByteIndex is where the last complete token ended: what lies beyond
            # it is one unfinished token that expat holds.
            if fed - parser.CurrentByteIndex > LONGEST_TOKEN:
                raise TableError(
                    f"{where}: an XML tag, attribute or comment longer than 4 MiB:"
                    " not a workbook Excel writes"
                )
            yield
        parser.Parse(b"", True)
    except _Doctype:
        raise TableError(f"{where}: declares a DOCTYPE, which no workbook part has") from None
    except expat.ExpatError as exc:
        raise TableError(
            f"{where}: not well-formed XML ({expat.ErrorString(exc.code)},"
            f" line {exc.lineno}, column {exc.offset}): the workbook is damaged"
        ) from None
    yield
