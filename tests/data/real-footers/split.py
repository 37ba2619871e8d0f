"""How this corpus was put together (run once, before any tuning; kept for the record).

    python tests/data/real-footers/split.py /work/corpus-a /work/corpus-b

Copies the collected cases (one file each, first line naming the source, and a
labels.jsonl line each) and sets aside a random third, drawn with a fixed seed, as the
blind set: ``blind/`` is scored by tests/test_notices_corpus.py but was never looked at
while the extractor was tuned on ``seen/``.
"""

from __future__ import annotations

import json
import random
import shutil
import sys
from pathlib import Path

SEED = 20261204
HERE = Path(__file__).resolve().parent


def main(sources: list[str]) -> None:
    cases: list[tuple[Path, dict[str, object]]] = []
    for source in sources:
        folder = Path(source)
        for line in (folder / "labels.jsonl").read_text("utf-8").splitlines():
            if line.strip():
                label = json.loads(line)
                cases.append((folder / str(label["file"]), label))
    cases.sort(key=lambda case: str(case[1]["file"]))
    blind = set(random.Random(SEED).sample(range(len(cases)), len(cases) // 3))
    for part in ("seen", "blind"):
        (HERE / part).mkdir(exist_ok=True)
        chosen = [case for i, case in enumerate(cases) if (i in blind) == (part == "blind")]
        with (HERE / part / "labels.jsonl").open("w", encoding="utf-8") as out:
            for path, label in chosen:
                shutil.copyfile(path, HERE / part / path.name)
                out.write(json.dumps(label, ensure_ascii=False) + "\n")
        print(f"{part}: {len(chosen)} cases")


if __name__ == "__main__":
    main(sys.argv[1:])
