"""Precision and recall of the extractor on the two labelled corpora.

- ``tests/data/footers/``: cases written for this project (messy forms, negatives,
  encodings), one file per case.
- ``../shared/real-footers/``: footers cut from real pages (read-only, outside the repo);
  skipped when the folder is absent.

Both use one label schema (``labels.jsonl``). Each expected or extracted normalised
number of a case is an item; conac is one yes/no item per case. Placeholders are not
counted (``Notices.numbers``). Run with ``pytest -s`` to see the table.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from audit.notices import Notices, extract_notices

REPO = Path(__file__).resolve().parents[1]
CORPORA = {
    "project": REPO / "tests" / "data" / "footers",
    "real": REPO.parent / "shared" / "real-footers",
    # tests/data/real-footers/README.md: collected from public pages; the extractor is
    # tuned on "seen" only, "blind" is scored as a whole.
    "real-seen": REPO / "tests" / "data" / "real-footers" / "seen",
    "real-blind": REPO / "tests" / "data" / "real-footers" / "blind",
}
# Fixed so that "future year" means the same thing in every run.
TODAY = datetime.date(2025, 11, 1)
FIELDS = ("icp", "icp_licence", "police", "police_region_code", "site_code", "conac")
MIN_PRECISION = 1.0
MIN_RECALL = 0.98
# The bar for pages the extractor was not written against (issue 11).
REAL_WORLD = {"real-seen": (0.99, 0.98), "real-blind": (0.99, 0.98)}


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


# Whether the page links each registry, scored like a field: a case whose label says it
# links (and the extractor agrees) is a true positive.
LINK_FIELDS = ("links_icp_registry", "links_police_registry")


@dataclass
class Report:
    cases: int = 0
    scores: dict[str, Score] = field(default_factory=lambda: {f: Score() for f in FIELDS})
    link_scores: dict[str, Score] = field(default_factory=lambda: {f: Score() for f in LINK_FIELDS})
    link_checks: int = 0
    errors: list[str] = field(default_factory=list)

    def table(self, name: str) -> str:
        lines = [
            f"corpus {name}: {self.cases} cases",
            f"{'field':<22}{'tp':>5}{'fp':>5}{'fn':>5}{'precision':>11}{'recall':>9}",
        ]
        for key, s in (*self.scores.items(), *self.link_scores.items()):
            lines.append(
                f"{key:<22}{s.tp:>5}{s.fp:>5}{s.fn:>5}{s.precision:>11.3f}{s.recall:>9.3f}"
            )
        good = self.link_checks - len({e.split()[0] for e in self.errors if "links_" in e})
        lines.append(f"{'registry links':<22}{good}/{self.link_checks} cases agree")
        return "\n".join(lines)


def _extracted(notices: Notices) -> dict[str, set[str]]:
    got = {kind: set(notices.numbers(kind)) for kind in ("icp", "icp_licence", "police")}
    got["site_code"] = set(notices.numbers("site_code"))
    got["police_region_code"] = {p.division_code for p in notices.police if not p.placeholder}
    got["conac"] = {"yes"} if notices.conac else set()
    return got


def evaluate(directory: Path) -> Report:
    report = Report()
    for line in (directory / "labels.jsonl").read_text("utf-8").splitlines():
        if not line.strip():
            continue
        label = json.loads(line)
        body = (directory / label["file"]).read_bytes()
        url = label.get("page_url") or "http://example.invalid/"
        notices = extract_notices(body, url, today=TODAY)
        report.cases += 1
        expected = {key: set(label[key]) for key in FIELDS if key != "conac"}
        expected["conac"] = {"yes"} if label["has_conac_badge"] else set()
        got = _extracted(notices)
        for key in FIELDS:
            score = report.scores[key]
            score.tp += len(expected[key] & got[key])
            score.fp += len(got[key] - expected[key])
            score.fn += len(expected[key] - got[key])
            if expected[key] != got[key]:
                extra, missing = sorted(got[key] - expected[key]), sorted(expected[key] - got[key])
                report.errors.append(f"{label['file']} {key}: extra {extra} missing {missing}")
        # The labels say whether an href to the registry exists; the extractor says which
        # registry each notice links to.
        report.link_checks += 1
        for key, value in (
            ("links_icp_registry", notices.links_icp_registry),
            ("links_police_registry", notices.links_police_registry),
        ):
            score = report.link_scores[key]
            score.tp += bool(label[key] and value)
            score.fp += bool(value and not label[key])
            score.fn += bool(label[key] and not value)
            if label[key] != value:
                report.errors.append(f"{label['file']} {key}: label {label[key]} got {value}")
    return report


# Registry links read differently from their labels in `seen/`, opened with rounds 8 to 13
# and not fixed yet (README): a registry URL constant beside empty number constants
# (gc003, kc033), a links prop whose markup the parser takes for attributes (gc033), links
# bound to a variable whose value the environment sets (hc011), a two-item config array of
# number and URL (jb028), a link inside a component used only in a comment (jd018), a link
# gated on props that default to off (jd032), an environment switch that turns the notice
# off (jd034), a page saved inside a scraper's string (ka018), Markdown link targets in
# angle brackets, which the HTML parser takes for tags (kc044), a Markdown link whose
# target is another Markdown link (kc055), a police link a computed value builds (ld042),
# registry URLs of a config whose numbers are left empty (oc027, as gc003), a constant of
# markup nothing uses (od025), a page held in a Java string with nothing around it to say a
# test holds it (qd026), a police link a helper builds for a number the environment sets
# (rd004, as hc011), registry URLs a build check asserts on with includes() (sd032).
SEEN_LINK_MISSES = {
    "gc003.html", "gc033.html", "hc011.html", "jb028.html", "jd018.html", "jd032.html",
    "jd034.html", "ka018.html", "kc033.html", "kc044.html", "kc055.html", "ld042.html",
    "oc027.html", "od025.html", "qd026.html", "rd004.html", "sd032.html",
}  # fmt: skip


NOT_YET = pytest.mark.xfail(
    strict=True, reason="issue 11: the extractor is not yet at the bar on real-world pages"
)


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(name, marks=NOT_YET) if name == "real-blind" else name
        for name in sorted(CORPORA)
    ],
)
def test_corpus_precision_and_recall(name: str) -> None:
    directory = CORPORA[name]
    if not (directory / "labels.jsonl").exists():
        pytest.skip(f"{directory} is absent")
    report = evaluate(directory)
    if not report.cases:
        pytest.skip(f"{directory} has no cases yet")
    table = report.table(name)
    print("\n" + table)
    min_precision, min_recall = REAL_WORLD.get(name, (MIN_PRECISION, MIN_RECALL))
    scored = {**report.scores, **(report.link_scores if name in REAL_WORLD else {})}
    below = [
        f"{key}: precision {s.precision:.3f} recall {s.recall:.3f}"
        for key, s in scored.items()
        if s.precision < min_precision or s.recall < min_recall
    ]
    link_errors = [e for e in report.errors if "links_" in e]
    # The blind part is judged as a whole, its links as two fields: its cases are not shown
    # (README).
    errors = [] if name == "real-blind" else report.errors
    message = "\n".join([table, *below, *errors])
    assert not below, message
    if name == "real-seen":  # the known misses go as they are fixed; no new one comes
        assert {e.split()[0] for e in link_errors} == SEEN_LINK_MISSES, message
    elif name != "real-blind":
        assert not link_errors, message


def test_project_corpus_is_large_and_covers_encodings() -> None:
    directory = CORPORA["project"]
    labels = [
        json.loads(line) for line in (directory / "labels.jsonl").read_text("utf-8").splitlines()
    ]
    tags = {tag for label in labels for tag in label["tags"]}
    assert len(labels) >= 80
    assert {"encoding:gbk", "encoding:big5", "no-charset", "negative", "placeholder"} <= tags
    for label in labels:
        assert (directory / label["file"]).exists(), label["file"]


def test_the_real_world_corpus_has_300_cases_with_their_sources() -> None:
    labels = [
        json.loads(line)
        for name in REAL_WORLD
        for line in (CORPORA[name] / "labels.jsonl").read_text("utf-8").splitlines()
    ]
    assert len(labels) >= 300
    for label in labels:
        assert label["source"] and label["notes"], label["file"]
