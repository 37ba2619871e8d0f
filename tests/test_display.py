"""Hostile crawled text in front of the analyst (issue 10, item 13): control characters and
bidi overrides are shown as escapes on the terminal, in CSV and in the XLSX listing, JSON
keeps the exact values without raw controls, and the database keeps what was crawled."""

from __future__ import annotations

import csv
import io
import json
import os
import pty
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from audit.cli import cli
from audit.config import load_builtin_profile
from audit.display import display_text
from audit.findings.audit import run_audit
from audit.findings.review import review_finding
from audit.notices import extract_notices
from audit.store import Finding, FindingEvent, Site, Snapshot, Store
from audit.store import crawls as store_crawls
from audit.store.sites import add_site
from tests.conftest import REPO

pytestmark = pytest.mark.fault

# What a terminal, a spreadsheet or an XML reader must never receive raw from crawled text:
# C0 controls but tab and newline, DEL, C1, bidi embeddings/overrides/isolates, surrogates.
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")

# (what it is, raw text, shown, dropped)
CASES = [
    ("erase display", "\x1b[2J标题", "\\x1b[2J标题", "[2J标题"),
    ("SGR colour", "\x1b[31m红\x1b[0m", "\\x1b[31m红\\x1b[0m", "[31m红[0m"),
    (
        "OSC 8 hyperlink",
        "\x1b]8;;http://evil.example/\x1b\\点我\x1b]8;;\x1b\\",
        "\\x1b]8;;http://evil.example/\\x1b\\点我\\x1b]8;;\\x1b\\",
        "]8;;http://evil.example/\\点我]8;;\\",
    ),
    ("BEL", "叮\x07", "叮\\x07", "叮"),
    ("BS over text", "安全\x08\x08危险", "安全\\x08\\x08危险", "安全危险"),
    ("CR overwrite", "ok\rEVIL", "ok\\rEVIL", "okEVIL"),
    ("DEL", "a\x7fb", "a\\x7fb", "ab"),
    ("C1 CSI", "\x9b2J清屏", "\\x9b2J清屏", "2J清屏"),
    ("C1 NEL", "a\x85b", "a\\x85b", "ab"),
    ("RLO", "\u202egnp.exe", "\\u202egnp.exe", "gnp.exe"),
    ("LRE PDF", "\u202aab\u202c", "\\u202aab\\u202c", "ab"),
    ("LRI PDI", "\u2066隔离\u2069", "\\u2066隔离\\u2069", "隔离"),
    ("FSI", "\u2068x\u2069", "\\u2068x\\u2069", "x"),
    ("NUL", "a\x00b", "a\\x00b", "ab"),
    ("lone surrogate", "a\ud800b\udfff", "a\\ud800b\\udfff", "ab"),
]  # fmt: skip
# left as they are, shown or dropped: layout, Chinese, full-width forms, markup, a backslash
UNTOUCHED = [
    "列1\t列2\n第二行",
    "运城市盐湖区人民政府办公室",
    "晋ＩＣＰ备２０２１号　（全角）",
    "[bold]红[/bold] <b>x</b> \\x1b",
    "✅ a\u200eb 𠀀",  # emoji, a left-to-right mark (not an override), a CJK extension B hanzi
]


@pytest.mark.parametrize(("raw", "shown", "dropped"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])  # fmt: skip
def test_display_text(raw: str, shown: str, dropped: str) -> None:
    assert display_text(raw) == shown
    assert display_text(raw, how="drop") == dropped
    assert not RAW_CONTROL.search(display_text(raw)) and not RAW_CONTROL.search(dropped)
    # JSON: nothing raw either, and a parser reads back the exact value
    encoded = display_text(json.dumps({"v": raw}, ensure_ascii=False), how="json")
    assert not RAW_CONTROL.search(encoded)
    assert json.loads(encoded) == {"v": raw}


@pytest.mark.parametrize("text", UNTOUCHED)
def test_ordinary_text_is_left_as_it_is(text: str) -> None:
    assert display_text(text) == text == display_text(text, how="drop")
    assert display_text(text) is text  # and not even copied


def test_one_line_shows_newlines_and_tabs_too() -> None:
    assert display_text("a\nb\tc", keep="") == "a\\nb\\tc"
    assert display_text("a\r\nb", how="drop", keep="\t\n\r") == "a\r\nb"  # XML keeps CR, LF
    assert display_text("") == ""


# -- a database with hostile crawled text -------------------------------------------------------

PROFILE = load_builtin_profile("yuncheng")
HOST = "www.yanhu.yuncheng.gov.cn"
# what a page can put in its footer: every trick at once (no NUL: PostgreSQL refuses it)
FOOTER = (
    "版权所有 \x1b[2J\x1b]8;;http://evil.example/\x1b\\点我\x1b]8;;\x1b\\ 叮\x07 安全\x08\x08"
    " a\x7fb \x9b2J \u202egnp.exe \u2066隔离\u2069 ok\rEVIL [bold]红[/bold]"
)
NAME = "\x1b[31m盐湖区\x1b[0m[bold]人民政府[/bold]\u202e"
SPONSOR = '=HYPERLINK("http://evil.example","点我")\x9b'
NOTE = "已电话通知\x1b[2J\x07\r已整改"
# what must not reach a terminal raw (rich styles its own output with ESC[…m on a tty)
HOSTILE_SEQUENCES = ("\x1b[2J", "\x1b]8;;", "\x1b[31m", "\x07", "\x08", "\x7f", "\x9b", "\r",
                     "\u202e", "\u2066", "\u2069")  # fmt: skip


@pytest.fixture
def hostile(store: Store) -> dict[str, object]:
    """A crawl snapshot whose page title and footer are hostile, a site named and sponsored
    by hostile text, its audit (BA101: the footer shows no ICP number, the footer is the
    evidence), an analyst's note; returns the database URL and the finding's id."""
    url = f"http://{HOST}/"
    html = f"<html><head><title>{FOOTER}</title></head><footer>{FOOTER}</footer></html>"
    with store.session() as session:
        add_site(session, url, HOST, name=NAME, sponsor=SPONSOR, district="盐湖区\u202e",
                 category="政府机关")  # fmt: skip
        run = store_crawls.create_run(session)
        store_crawls.write_batch(session, run.id, snapshots=[{
            "host": HOST, "outcome": "ok", "fetched_at": run.started_at, "http_status": 200,
            "final_url": url, "title": FOOTER, "footer_text": FOOTER,
            "headers": {"Server": "nginx\x1b[2J"},
            "notices": extract_notices(html, url, profile=PROFILE).records(),
        }])  # fmt: skip
        store_crawls.finish_run(session, run.id, "finished", {})
        run_id = run.id
    run_audit(store, PROFILE, run_id=run_id)
    with store.session() as session:
        finding = session.scalars(select(Finding).where(Finding.rule == "BA101")).one()
        review_finding(session, finding.id, "confirmed", note=NOTE, actor="analyst")
        excerpt = finding.evidence["excerpt"]
        finding_id = finding.id
    assert "\x1b[2J" in excerpt and "\u202e" in excerpt  # the evidence is the raw footer
    return {"url": store.engine.url.render_as_string(hide_password=False), "id": finding_id,
            "excerpt": excerpt, "store": store}  # fmt: skip


def beian(hostile: dict[str, object], *args: str) -> str:
    # color=True: keep what a terminal would get (click strips ANSI codes off a terminal)
    result = CliRunner().invoke(
        cli, list(args), env={"BEIAN_DATABASE_URL": str(hostile["url"])}, color=True
    )
    assert result.exit_code == 0, result.output
    return result.stdout


def beian_bytes(hostile: dict[str, object], *args: str) -> bytes:
    result = CliRunner().invoke(cli, list(args), env={"BEIAN_DATABASE_URL": str(hostile["url"])})
    assert result.exit_code == 0, result.output
    return result.stdout_bytes


def assert_inert(text: str, *, colour: str | None = None) -> None:
    """No raw control character in ``text``; ``colour``: lines coloured so by the CLI."""
    if colour:
        text = re.sub(rf"(?m)^\x1b\[{colour}m(.*)\x1b\[0m$", r"\1", text)
    found = RAW_CONTROL.search(text)
    assert found is None, (
        f"raw {found[0]!r} at {found.start()}: {text[found.start() - 40 :][:80]!r}"
    )


def test_tables_show_control_characters_as_escapes(hostile: dict[str, object]) -> None:
    finding = str(hostile["id"])
    for args in (["findings"], ["findings", "show", finding], ["sites", "list"]):
        out = beian(hostile, *args)
        assert_inert(out)
        assert "\\x1b" in out and "\\u202e" in out, args  # visible: the page is odd
        if args[0] == "sites" or "show" in args:  # and no console markup either
            assert "\\x1b[31m盐湖区\\x1b[0m[bold]人民政府[/bold]" in out
    shown = beian(hostile, "findings", "show", finding)
    for part in ("\\x1b[2J", "\\x1b]8;;http://evil.example/\\x1b\\点我", "叮\\x07",
                 "安全\\x08\\x08", "a\\x7fb", "\\x9b2J", "\\u202egnp.exe", "\\u2066隔离\\u2069",
                 "[bold]红[/bold]", "已电话通知\\x1b[2J\\x07\\r已整改"):  # fmt: skip
        assert part in shown


@pytest.mark.parametrize(
    "args",
    [["findings"], ["findings", "show", "{id}"], ["sites", "list"]],
    ids=["findings", "findings show", "sites list"],
)
def test_a_real_terminal_gets_no_hostile_sequence(hostile: dict[str, object],
                                                  args: list[str]) -> None:  # fmt: skip
    """The command run on a pseudo-terminal, as the analyst runs it (rich draws for a tty)."""
    args = [a.format(id=hostile["id"]) for a in args]
    env = {**os.environ, "BEIAN_DATABASE_URL": str(hostile["url"]), "TERM": "xterm-256color",
           "COLUMNS": "250", "LINES": "50"}  # fmt: skip
    main, child = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "audit", *args], stdin=child,
                               stdout=child, stderr=child, cwd=REPO, env=env)  # fmt: skip
    os.close(child)
    chunks = []
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(main)
    assert process.wait(timeout=60) == 0
    out = b"".join(chunks).decode("utf-8")
    assert "\\x1b[2J" in out or "\\x1b[31m" in out
    for sequence in HOSTILE_SEQUENCES:
        # the terminal turns \n into \r\n itself: only a CR not before \n is the page's
        text = out.replace("\r\n", "\n") if sequence == "\r" else out
        assert sequence not in text, sequence


def test_csv_shows_control_characters_and_neutralises_formulas(
    hostile: dict[str, object],
) -> None:
    out = beian(hostile, "findings", "--csv")
    assert_inert(out)
    assert out.startswith("\ufeffid,")  # the BOM Excel needs to read UTF-8 as such
    out = out.removeprefix("\ufeff")
    (row,) = (r for r in csv.DictReader(io.StringIO(out)) if r["id"] == str(hostile["id"]))
    assert row["evidence"] == display_text(str(hostile["excerpt"]))
    sites = beian(hostile, "sites", "list", "--csv", "--encoding", "utf-8")  # no BOM
    assert_inert(sites)
    (site,) = csv.DictReader(io.StringIO(sites))
    assert site["sponsor"] == "'" + '=HYPERLINK("http://evil.example","点我")\\x9b'
    assert site["name"] == "\\x1b[31m盐湖区\\x1b[0m[bold]人民政府[/bold]\\u202e"
    gbk = beian_bytes(hostile, "sites", "list", "--csv", "--encoding", "gbk")
    assert "盐湖区" in gbk.decode("gb18030") and not gbk.startswith(b"\xef\xbb\xbf")


def test_json_is_exact_and_has_no_raw_control_characters(hostile: dict[str, object]) -> None:
    listed = beian(hostile, "findings", "--json")
    shown = beian(hostile, "findings", "show", str(hostile["id"]), "--json")
    sites = beian(hostile, "sites", "list", "--json")
    for out in (listed, shown, sites):
        assert_inert(out)
    (found,) = (f for f in json.loads(listed) if f["id"] == hostile["id"])
    assert found["evidence"]["excerpt"] == hostile["excerpt"]
    data = json.loads(shown)
    assert data["evidence"]["excerpt"] == hostile["excerpt"]
    assert data["site"]["name"] == NAME and data["site"]["sponsor"] == SPONSOR
    assert data["events"][-1]["note"] == NOTE
    assert json.loads(sites)[0]["name"] == NAME


def test_the_xlsx_listing_shows_control_characters(hostile: dict[str, object],
                                                   tmp_path: Path) -> None:  # fmt: skip
    import openpyxl

    out = tmp_path / "findings.xlsx"
    beian(hostile, "findings", "--xlsx", str(out))
    with zipfile.ZipFile(out) as archive:
        for name in archive.namelist():
            assert_inert(archive.read(name).decode("utf-8"))
    sheet = openpyxl.load_workbook(out).active
    header = [c.value for c in sheet[1]]
    rows = [dict(zip(header, (c.value for c in r), strict=True)) for r in sheet.iter_rows(2)]
    (row,) = (r for r in rows if r["编号"] == hostile["id"])
    assert row["证据摘录"] == display_text(str(hostile["excerpt"]))
    assert row["区县"] == "盐湖区\\u202e"


def test_the_database_keeps_the_raw_text(hostile: dict[str, object], tmp_path: Path) -> None:
    """Display is for display: after every output, what was crawled is stored as crawled."""
    for args in (["findings"], ["findings", "--csv"], ["sites", "list"],
                 ["findings", "--xlsx", str(tmp_path / "f.xlsx")],
                 ["findings", "show", str(hostile["id"])]):  # fmt: skip
        beian(hostile, *args)
    store = hostile["store"]
    assert isinstance(store, Store)
    with store.session() as session:
        snapshot = session.scalars(select(Snapshot)).one()
        assert snapshot.title == FOOTER and snapshot.footer_text == FOOTER
        assert snapshot.headers == {"Server": "nginx\x1b[2J"}
        site = session.scalars(select(Site)).one()
        assert (site.name, site.sponsor, site.district) == (NAME, SPONSOR, "盐湖区\u202e")
        finding = session.get(Finding, hostile["id"])
        assert finding is not None and finding.evidence["excerpt"] == hostile["excerpt"]
        notes = session.scalars(select(FindingEvent.note).where(FindingEvent.note.is_not(None)))
        assert NOTE in list(notes)


def test_inspect_shows_a_hostile_sponsor_escaped(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text(
        "<html><body><p>新闻</p><footer>主办单位：运城市盐湖区\x9b人民政府\u202e办公室 "
        "<a href='https://beian.miit.gov.cn/'>晋ICP备2021001234号-1</a></footer></body></html>",
        "utf-8",
    )
    env = {"BEIAN_DATABASE_URL": f"sqlite:///{tmp_path / 'beian.db'}"}
    result = CliRunner().invoke(cli, ["inspect", str(page)], env=env, color=True)
    assert result.exit_code == 0, result.output
    assert_inert(result.stdout)
    assert "主办单位 (sponsor): 运城市盐湖区\\x9b人民政府\\u202e办公室" in result.stdout
    as_json = CliRunner().invoke(cli, ["inspect", str(page), "--json"], env=env, color=True)
    assert_inert(as_json.stdout)
    assert json.loads(as_json.stdout)["sponsor"]["name"] == "运城市盐湖区\x9b人民政府\u202e办公室"


def test_imported_files_are_shown_escaped_too(tmp_path: Path) -> None:
    """A registry export holds text from filing forms: its list, its rejected rows and an
    error about its headers are shown escaped."""
    env = {"BEIAN_DATABASE_URL": f"sqlite:///{tmp_path / 'beian.db'}"}
    export = tmp_path / "registry.csv"
    export.write_text(
        "备案号,域名,主办单位\n"
        "晋ICP备2021001234号,www.yanhu.yuncheng.gov.cn,盐湖区\x1b[2J人民政府\u202e\n"
        "晋ICP备\x1b[2J,www.x.cn,某单位\n",
        "utf-8",
    )
    runner = CliRunner()
    imported = runner.invoke(cli, ["registry", "import", str(export)], env=env, color=True)
    assert imported.exit_code == 2, imported.output  # one row rejected
    assert_inert(imported.stdout)
    assert_inert(imported.stderr, colour="33")  # problems are yellow
    assert "\\x1b[2J" in imported.stderr
    listed = runner.invoke(cli, ["registry", "list"], env=env, color=True)
    assert_inert(listed.stdout)
    assert "盐湖区\\x1b[2J人民政府\\u202e" in listed.stdout

    bad = tmp_path / "bad.csv"
    bad.write_text("\x1b[2Jfoo,bar\n1,2\n", "utf-8")
    failed = subprocess.run(
        [sys.executable, "-m", "audit", "sites", "import", str(bad)],
        cwd=tmp_path, env={**os.environ, **env}, capture_output=True, text=True,
    )  # fmt: skip
    assert failed.returncode == 1 and failed.stderr.startswith("Error: ")
    assert_inert(failed.stderr)
    assert "\\x1b[2Jfoo" in failed.stderr


def test_log_lines_show_control_characters(tmp_path: Path) -> None:
    """The scheduler's log file (and the terminal's log lines) quote crawled text escaped."""
    import logging

    from audit.ops.schedule import log_to_file

    path = tmp_path / "beian.log"
    handler = log_to_file(str(path))
    try:
        try:
            raise ValueError("页面\x1b]8;;http://evil.example/\x1b\\")
        except ValueError:
            logging.getLogger("audit.ops.jobs").exception("bulletin %s: %s", "2026-11", "字\x1b[2J")
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()
    text = path.read_text("utf-8")
    assert_inert(text)
    assert "bulletin 2026-11: 字\\x1b[2J\nTraceback" in text  # tracebacks keep their lines
    assert "ValueError: 页面\\x1b]8;;http://evil.example/\\x1b\\" in text
