"""Which column holds which field: headers compared loosely, as analysts write them."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from audit.excerpt import excerpt
from audit.intake.tabular.model import Cell

_HEADER_NOISE = re.compile(r"[\s_\-\u200b-\u200d\u2060\ufeff]+")
# Required/optional markers of Chinese templates (after NFKC): *网址, 网址（必填）, 网址【必填】
_HEADER_MARKS = re.compile(r"^\*+|\*+$|\((?:必填|选填)\)$|【(?:必填|选填)】$")
# No alias is longer; a longer cell is not a header (and is not normalised: it may be huge).
_LONGEST_HEADER = 200


def normalise_header(text: str) -> str:
    """The form headers and aliases are compared in: '  网站 名称（必填）' -> '网站名称'."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _HEADER_NOISE.sub("", text)
    previous = None
    while previous != text:  # markers may be stacked: *网址(必填)
        previous, text = text, _HEADER_MARKS.sub("", text)
    return text


def _key(cell: Cell) -> str | None:
    if not isinstance(cell, str) or not cell or len(cell) > _LONGEST_HEADER:
        return None
    return normalise_header(cell)


@dataclass
class HeaderMap:
    positions: dict[str, int]  # field -> column index
    names: dict[str, str]  # field -> header as written (an excerpt)
    ignored: list[str]


class Matcher:
    """The fields asked for and their aliases; finds them in a header row."""

    def __init__(self, columns: Mapping[str, Sequence[str]]) -> None:
        self.columns = columns
        self.fields = list(columns)
        self._index: dict[str, tuple[str, int]] = {}
        for name, aliases in columns.items():
            for priority, alias in enumerate([*aliases, name]):
                key = normalise_header(alias)
                if not key:
                    raise ValueError(f"empty alias for {name!r}")
                owner = self._index.setdefault(key, (name, priority))[0]
                if owner != name:
                    raise ValueError(f"alias {alias!r} given for both {owner!r} and {name!r}")

    def map(self, cells: Sequence[Cell]) -> HeaderMap:
        chosen: dict[str, tuple[int, int]] = {}  # field -> (alias priority, column index)
        for index, cell in enumerate(cells):
            key = _key(cell)
            match = self._index.get(key) if key else None
            if match is None:
                continue
            name, priority = match
            if name not in chosen or priority < chosen[name][0]:
                chosen[name] = (priority, index)
        positions = {name: index for name, (_, index) in chosen.items()}
        used = set(positions.values())
        return HeaderMap(
            positions=positions,
            names={name: excerpt(str(cells[index])) for name, index in positions.items()},
            ignored=[excerpt(str(c)) for index, c in enumerate(cells) if c and index not in used],
        )

    def recognised(self, cells: Sequence[Cell]) -> int:
        return len({self._index[k][0] for c in cells if (k := _key(c)) and k in self._index})
