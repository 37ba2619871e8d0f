"""How the corpus gets a new blind part (kept for the record; README.md lists the rounds).

    python tests/data/real-footers/new_round.py open
    python tests/data/real-footers/new_round.py add /work/corpus-r3/g /work/corpus-r3/h ...

``open``: the blind part, scored once (its table goes into README.md), joins ``seen/``;
the extractor may then be tuned on its kinds of variation. ``add``: new cases, collected
afterwards from sources not in the corpus by people who neither read nor ran the
extractor, become ``blind/``. A new case whose fragment or source is the same as a case
already kept is dropped, and so is a near-copy (the same template with other numbers: nine
tenths of its text the same as a kept case's). Only the structure of the new cases is looked
at here, never their content.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import shutil
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEEN, BLIND = HERE / "seen", HERE / "blind"


def body_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes().partition(b"\n")[2]).hexdigest()


def body_lines(path: Path) -> list[str]:
    """The fragment's lines without the source line, stripped, blank ones left out."""
    text = path.read_bytes().partition(b"\n")[2].decode("utf-8", "replace")
    return [line.strip() for line in text.splitlines() if line.strip()]


class NearCopies:
    """Kept fragments, indexed by line, to find a new one that is mostly one of them: the
    same text (nine tenths alike), or the same lines (nine in ten of its distinct lines of
    ten characters or more, closing tags and other lines common to many cases left out)."""

    COMMON = 20  # a line in more kept cases than this says nothing about copying

    def __init__(self) -> None:
        self.bodies: list[list[str]] = []
        self.by_line: dict[str, set[int]] = {}

    def add(self, lines: list[str]) -> None:
        for line in set(lines):
            self.by_line.setdefault(line, set()).add(len(self.bodies))
        self.bodies.append(lines)

    def copied(self, lines: list[str]) -> bool:
        telling = {
            line
            for line in lines
            if len(line) >= 10 and len(self.by_line.get(line, ())) <= self.COMMON
        }
        shared = Counter(i for line in telling for i in self.by_line.get(line, ()))
        for index, count in shared.most_common(5):
            if len(telling) >= 4 and count >= 0.9 * len(telling):
                return True
            kept = "\n".join(self.bodies[index])
            if difflib.SequenceMatcher(None, "\n".join(lines), kept).ratio() >= 0.9:
                return True
        return False


def labels(folder: Path) -> list[dict[str, object]]:
    lines = (folder / "labels.jsonl").read_text("utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def open_blind() -> None:
    opened = labels(BLIND)
    with (SEEN / "labels.jsonl").open("a", encoding="utf-8") as out:
        for label in opened:
            shutil.move(BLIND / str(label["file"]), SEEN / str(label["file"]))
            out.write(json.dumps(label, ensure_ascii=False) + "\n")
    (BLIND / "labels.jsonl").write_text("", "utf-8")
    print(f"seen: {len(opened)} blind cases added")


def add(sources: list[str]) -> None:
    kept = {body_hash(path) for path in SEEN.glob("*.html")}
    kept |= {body_hash(path) for path in BLIND.glob("*.html")}
    near = NearCopies()
    for path in [*SEEN.glob("*.html"), *BLIND.glob("*.html")]:
        near.add(body_lines(path))
    # Two collectors may cut the same source file: the first case cut from it is kept.
    used = {str(label["source"]) for folder in (SEEN, BLIND) for label in labels(folder)}
    chosen: list[tuple[Path, dict[str, object]]] = []
    dropped = 0
    for source in sources:
        folder = Path(source)
        for label in labels(folder):
            path = folder / str(label["file"])
            digest, lines = body_hash(path), body_lines(path)
            if digest in kept or str(label["source"]) in used or near.copied(lines):
                dropped += 1
                continue
            kept.add(digest)
            near.add(lines)
            used.add(str(label["source"]))
            chosen.append((path, label))
    with (BLIND / "labels.jsonl").open("a", encoding="utf-8") as out:
        for path, label in chosen:
            shutil.copyfile(path, BLIND / path.name)
            out.write(json.dumps(label, ensure_ascii=False) + "\n")
    print(
        f"blind: {len(chosen)} new cases, {dropped} dropped as (near-)copies or from a used source"
    )


if __name__ == "__main__":
    if sys.argv[1:2] == ["open"]:
        open_blind()
    else:
        add(sys.argv[2:] if sys.argv[1:2] == ["add"] else sys.argv[1:])
