"""Does a change to page analysis keep its results? Record, then compare.

Analyses a fixed set of pages with ``analyse_page`` (the crawler's whole analysis: decode,
parse, title, footer text, links, notices, includes and signals, evidence) and writes one
digest per page; ``--compare`` reports every page whose analysis differs from a recording.
The pages: the homepages of a generated testbed and the files they pull in (frames, footer
scripts, loaded fragments, analysed as includes), every case of the footer corpora in
``tests/data`` (and ``../shared/real-footers`` when present), and the pages of
``extract_speed.py``.

    .venv/bin/python benchmarks/analysis_identity.py --record /tmp/before.json
    ... change the analysis ...
    .venv/bin/python benchmarks/analysis_identity.py --compare /tmp/before.json
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from audit.config import CrawlSettings, load_builtin_profile
from audit.demo.testbed.generator import generate
from audit.page.analyse import AnalysisOptions, PageAnalysis, analyse_page
from audit.page.parsed import parse_page
from audit.page.reading import examine
from benchmarks.extract_speed import make_page

ROOT = Path(__file__).resolve().parents[1]
PROFILE = load_builtin_profile("yuncheng")
_CRAWL = CrawlSettings()
# The crawl's defaults (crawler/spiders/sites.py builds the same).
OPTIONS = AnalysisOptions(
    profile=PROFILE,
    extra_pages=_CRAWL.max_pages_per_site - 1,
    priority_words=tuple(word.lower() for word in _CRAWL.priority_link_words),
    evidence_max_bytes=_CRAWL.evidence_max_bytes,
    links_per_page=_CRAWL.links_per_page,
)
# (name, body, url, site host, include kind or None)
Case = tuple[str, bytes, str, str, str | None]


def testbed_cases(sites: int, seed: int) -> Iterator[Case]:
    testbed = generate(PROFILE, sites, seed=seed, page_kb=(20, 120))
    for site in testbed.sites:
        page = testbed.page(site.host, "/")
        if page.stream is not None or not page.body:
            continue
        url = f"http://{site.host}/"
        body = b"".join(page.body)
        yield f"testbed:{site.host}/", body, url, site.host, None
        doc = parse_page(body, url).doc
        for include in examine(doc, url, site.host).includes if doc is not None else ():
            path = include.url.split(site.host, 1)[-1] or "/"
            included = testbed.page(site.host, path)
            if included.stream is None and included.body:
                name = f"testbed:{site.host}{path}"
                yield name, b"".join(included.body), include.url, site.host, include.kind


def corpus_cases() -> Iterator[Case]:
    folders = [ROOT / "tests/data/footers", ROOT / "tests/data/real-footers/seen"]
    folders += [ROOT / "tests/data/real-footers/blind", ROOT.parent / "shared/real-footers"]
    for folder in folders:
        for path in sorted(folder.glob("*.html")) if folder.is_dir() else ():
            yield f"corpus:{path.relative_to(ROOT.parent)}", path.read_bytes(), "", "", None


def speed_cases(pages: int) -> Iterator[Case]:
    for seed in range(pages):
        url = "https://www.yuncheng.gov.cn/"
        yield f"speed:{seed}", make_page(seed).encode(), url, "www.yuncheng.gov.cn", None


def digest(analysis: PageAnalysis) -> str:
    fields = dataclasses.asdict(analysis)
    if analysis.shows_both_numbers():
        # The crawl reads a page that shows both numbers as complete: what it leaves to
        # frames and scripts is not looked at (crawler/spiders/sites.py, read_on).
        fields["includes"] = fields["signals"] = None
    text = json.dumps(fields, sort_keys=True, default=repr, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def digests(sites: int, seed: int, pages: int) -> dict[str, str]:
    out: dict[str, str] = {}
    cases = [*testbed_cases(sites, seed), *corpus_cases(), *speed_cases(pages)]
    for name, body, url, host, include in cases:
        analysis = analyse_page(
            body, url or "https://example.gov.cn/", None, site_host=host or "example.gov.cn",
            options=OPTIONS, include=include,
        )  # fmt: skip
        out[name] = digest(analysis)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--record", metavar="FILE", help="write the digests to FILE")
    action.add_argument("--compare", metavar="FILE", help="compare with a recording")
    parser.add_argument("--sites", type=int, default=600, help="testbed sites (default 600)")
    parser.add_argument("--seed", type=int, default=7, help="testbed seed (default 7)")
    parser.add_argument("--pages", type=int, default=60, help="extract_speed pages")
    args = parser.parse_args()
    now = digests(args.sites, args.seed, args.pages)
    if args.record:
        Path(args.record).write_text(json.dumps(now, indent=0, sort_keys=True), "utf-8")
        print(f"{len(now)} pages recorded in {args.record}")
        return
    before: dict[str, str] = json.loads(Path(args.compare).read_text("utf-8"))
    changed = sorted(name for name in before.keys() & now.keys() if before[name] != now[name])
    missing = sorted(before.keys() ^ now.keys())
    for name in changed:
        print(f"differs: {name}")
    for name in missing:
        print(f"only in one of the two: {name}")
    same = len(before.keys() & now.keys()) - len(changed)
    print(f"{same} of {len(now)} pages analysed identically; {len(changed)} differ")
    sys.exit(1 if changed or missing else 0)


if __name__ == "__main__":
    main()
