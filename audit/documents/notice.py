"""整改通知: a DOCX rectification notice to the sponsor (主办单位) of one site, or of all the
sites of one sponsor, listing their open findings with the rule's basis, the evidence, the
remediation advice and a deadline.

Official-document style after GB/T 9704 (A4, 仿宋 body in 三号, 小标宋 title in 二号, fixed
28 pt lines), kept sober; the style is :mod:`audit.documents.docx_style`, shared with the monthly
bulletin. Site names, sponsors and excerpts come from crawled pages: every string goes
through :func:`clean_text`.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

# clean_text, chinese_date and save_document are imported from here too (tests, the CLI)
from audit.documents.docx_style import (
    HEADING_FONT,
    TITLE_FONT,
    TITLE_PT,
    add_body,
    add_caption,
    add_grid_table,
    add_record,
    add_signature,
    chinese_date,
    clean_text,
    fill_cell,
    new_document,
    row_properties,
    save_document,
    set_column_widths,
    set_core_properties,
    set_font,
)
from audit.errors import ArgumentError, UserError
from audit.files import output_errors
from audit.findings.review import today as beijing_today
from audit.page.domains import shown_host
from audit.rules import UnknownRule, get_rule
from audit.rules.model import UNIT_SEVERITIES
from audit.store import Finding, Session, Site, Store
from audit.store.findings import findings_for_units
from audit.store.sites import site_by_host, sites_of_sponsor

if TYPE_CHECKING:
    from docx.document import Document as DocxDocument
    from docx.table import _Cell

    from audit.config import Profile

TITLE = "网站备案信息整改通知"
TABLE_CAPTION = "网站备案信息问题清单"
# (the one deadline is stated in the text, once: no column of it)
HEADERS = ("序号", "网站", "问题", "依据", "证据", "整改建议")
# column widths in cm; they add up to the A4 text width (21 - 2.8 - 2.6 = 15.6 cm)
WIDTHS_CM = (0.8, 2.6, 2.6, 2.8, 3.2, 3.6)
TABLE_PT = 10.5  # 五号: the smallest size a printed letter is read at
DEFAULT_DAYS = 15
EXCLUDED_REVIEW_STATES = ("false_positive", "accepted_risk")
SEVERITY_ZH = {"high": "高", "medium": "中", "low": "低", "info": "提示"}
SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2, "info": 3}
EXCERPT_LIMIT = 300
URL_LIMIT = 300

_FILENAME_BAD = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*\s]+')


def safe_filename(name: str, limit: int = 80) -> str:
    """A file-name part from a sponsor name: no separators, controls, reserved characters
    or leading dots; Chinese kept."""
    text = _FILENAME_BAD.sub("_", clean_text(name)).strip("._ ")
    return text[:limit].rstrip("._ ") or "notice"


@dataclass(frozen=True)
class NoticeRow:
    finding_id: int
    site_name: str
    host: str
    rule: str
    severity: str
    message: str
    basis: str
    advice: str
    excerpt: str
    url: str
    seen: dt.date | None


@dataclass(frozen=True)
class NoticeContent:
    addressee: str
    issuer: str
    date: dt.date
    number: str | None
    rows: list[NoticeRow]
    deadline: dt.date  # one for the whole notice, stated once
    contact: str = ""  # 联系人 and 联系电话, as configured
    copy_to: tuple[str, ...] = ()  # 抄送

    @property
    def sites(self) -> int:
        return len({row.host for row in self.rows})

    @property
    def hosts(self) -> list[str]:
        return sorted({row.host for row in self.rows})

    @property
    def finding_ids(self) -> list[int]:
        return sorted(row.finding_id for row in self.rows)

    def to_json(self) -> dict[str, Any]:
        """What the letter says, as JSON (kept with the record, to print it again)."""
        data = asdict(self)
        return json.loads(json.dumps(data, default=lambda day: day.isoformat()))

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> NoticeContent:
        def day(text: str | None) -> dt.date | None:
            return dt.date.fromisoformat(text) if text else None

        rows = [NoticeRow(**{**row, "seen": day(row["seen"])}) for row in data["rows"]]
        fields = {
            **data,
            "rows": rows,
            "date": day(data["date"]),
            "deadline": day(data["deadline"]),
            "copy_to": tuple(data.get("copy_to", ())),
        }
        return cls(**fields)


def write_notice(
    session_or_store: Session | Store,
    target: str,
    out: str | Path | None = None,
    *,
    profile: Profile | None = None,
    deadline: dt.date | None = None,
    number: str | None = None,
    issuer: str | None = None,
    today: dt.date | None = None,
    data_dir: str | Path = "beian-data",
) -> Path:
    """Write the 整改通知 of ``target`` (a host, or an exact sponsor name) and return its path.

    Lists the target's open findings (not false positives, not accepted risks, not the
    info-level checks meant for the centre) and one deadline for them all: ``deadline``,
    else ``today`` + 15 days (never a day already past). ``out`` defaults to
    ``<data_dir>/notices/<sponsor>-<date>.docx``. The issuing unit defaults to the profile's
    ``<name>网络与信息安全信息通报中心``. Raises UserError when the target is unknown or has
    nothing open, OutputError when the file cannot be written (nothing is left behind).
    """
    if isinstance(session_or_store, Store):
        with session_or_store.session() as session:
            content = collect_notice(session, target, profile=profile, deadline=deadline,
                                     number=number, issuer=issuer, today=today)  # fmt: skip
    else:
        content = collect_notice(session_or_store, target, profile=profile, deadline=deadline,
                                 number=number, issuer=issuer, today=today)  # fmt: skip
    if out is None:
        name = f"{safe_filename(content.addressee)}-{content.date.isoformat()}.docx"
        out = Path(data_dir) / "notices" / name
    document = render_notice(content)
    with output_errors("the notice", out):  # a full or read-only disk: one line, no file
        return save_document(document, Path(out))


def collect_notice(
    session: Session,
    target: str,
    *,
    profile: Profile | None = None,
    deadline: dt.date | None = None,
    number: str | None = None,
    issuer: str | None = None,
    today: dt.date | None = None,
) -> NoticeContent:
    """What the notice says: the addressee and the rows, read from the store."""
    # The centre's date (Asia/Shanghai), not the server's: a notice dated yesterday at
    # 01:00 in Yuncheng would be wrong.
    today = today or beijing_today()
    deadline = deadline or today + dt.timedelta(days=DEFAULT_DAYS)
    if deadline < today:
        raise ArgumentError("deadline", f"{{argument}} {deadline.isoformat()} is in the past")
    sites, addressee = _target_sites(session, target)
    by_id = {site.id: site for site in sites}
    # Info-level checks (供核实) are for the centre, not for the unit.
    findings = findings_for_units(
        session, list(by_id), excluded_review=EXCLUDED_REVIEW_STATES, severities=UNIT_SEVERITIES
    )
    if not findings:
        raise UserError(
            f"{target}: no open findings to notify (resolved findings, false positives, "
            "accepted risks and info-level checks for the centre are left out); run "
            "`beian audit` after a crawl, or see "
            "`beian findings --site HOST`"
        )
    rows = [_row(by_id[f.site_id], f) for f in findings]
    rows.sort(key=lambda r: (r.host, SEVERITY_ORDER.get(r.severity, 9), r.rule, r.excerpt))
    if issuer is None:
        issuer = f"{profile.name if profile else '运城市'}网络与信息安全信息通报中心"
    return NoticeContent(
        addressee=clean_text(addressee, 200),
        issuer=clean_text(issuer, 200),
        date=today,
        number=clean_text(number, 100) or None,
        rows=rows,
        deadline=deadline,
    )


def _target_sites(session: Session, target: str) -> tuple[list[Site], str]:
    """The sites a target names and the addressee: a host (or URL) first, else a sponsor."""
    wanted = target.strip()
    if not wanted:
        raise UserError("give a site's host or a sponsor's exact name (主办单位)")
    host = (urlsplit(wanted).hostname or "") if "://" in wanted else wanted.lower().rstrip(".")
    site = site_by_host(session, host) if host else None
    if site is not None:
        sponsor = clean_text(site.sponsor)
        if sponsor:
            return [site], sponsor
        # no sponsor known: the site by name and host (not "www.x.cn主办单位")
        name = clean_text(site.name)
        host = shown_host(site.host)
        return [site], f"{name}（{host}）网站主办单位" if name else f"{host} 网站主办单位"
    sites = sites_of_sponsor(session, wanted)
    if not sites:
        raise UserError(
            f"{target!r}: no site with this host and no sponsor (主办单位) of this exact name; "
            "see `beian sites list`"
        )
    return sites, wanted


def _row(site: Site, finding: Finding) -> NoticeRow:
    try:
        rule = get_rule(finding.rule)
        message, basis, advice = rule.message_zh, rule.basis, rule.advice_zh
    except UnknownRule:  # a retired code: say so rather than fail the whole notice
        message, basis, advice = "（该规则已停用）", "", ""
    evidence = finding.evidence if isinstance(finding.evidence, dict) else {}
    seen = finding.last_seen_at.date() if finding.last_seen_at else None
    return NoticeRow(
        finding_id=finding.id,
        site_name=clean_text(site.name, 100),
        host=clean_text(site.host),
        rule=finding.rule,
        severity=finding.severity,
        message=message,
        basis=basis,
        advice=advice,
        excerpt=clean_text(evidence.get("excerpt"), EXCERPT_LIMIT),
        url=clean_text(evidence.get("url"), URL_LIMIT),
        seen=seen,
    )


# --- rendering ----------------------------------------------------------------------------


def render_notice(content: NoticeContent) -> DocxDocument:
    """The DOCX document of a notice (not saved)."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    document = new_document()
    set_core_properties(
        document, title=TITLE, subject=content.addressee, author=content.issuer,
        keywords="整改通知", when=dt.datetime.now(dt.UTC),
    )  # fmt: skip

    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.line_spacing = Pt(36)
    title.paragraph_format.space_before = Pt(0)
    title.paragraph_format.space_after = Pt(14 if content.number else 28)
    set_font(title.add_run(TITLE), TITLE_FONT, TITLE_PT)
    if content.number:
        numbered = document.add_paragraph()
        numbered.alignment = WD_ALIGN_PARAGRAPH.CENTER
        numbered.paragraph_format.space_after = Pt(14)
        numbered.add_run(clean_text(content.number))

    document.add_paragraph(f"{clean_text(content.addressee)}：")
    when = f"于{chinese_date(content.deadline)}前完成整改"
    count = f"{content.sites}个网站" if content.sites > 1 else "网站"
    add_body(document, (
        f"我中心在网站备案信息监测中发现，你单位主办的{count}存在{len(content.rows)}项"
        "备案信息问题，具体情况见下表。"
    ))  # fmt: skip
    add_body(document, (
        f"请你单位对照表中所列依据和整改建议，逐项核实、整改，{when}，并将整改情况书面"
        "反馈我中心。整改期限届满后，我中心将对相关网站进行复查；逾期未整改的，将按有关"
        "规定予以通报。"
    ))  # fmt: skip

    add_caption(document, TABLE_CAPTION)
    table = add_grid_table(document, len(HEADERS))
    for cell, text in zip(table.rows[0].cells, HEADERS, strict=True):
        _cell(cell, [text], font=HEADING_FONT, center=True)
    for index, row in enumerate(content.rows, start=1):
        added = table.add_row()
        row_properties(added)
        cells = added.cells
        _cell(cells[0], [str(index)], center=True)
        host = breakable_host(shown_host(row.host))
        _cell(cells[1], [row.site_name, host] if row.site_name else [host])
        level = SEVERITY_ZH.get(row.severity, row.severity)
        _cell(cells[2], [row.rule, row.message, f"（风险等级：{level}）"])
        _cell(cells[3], [row.basis])
        evidence = [row.excerpt] if row.excerpt else []
        evidence += [f"页面：{row.url}"] if row.url else []
        evidence += [f"检测日期：{chinese_date(row.seen)}"] if row.seen else []
        _cell(cells[4], evidence)
        _cell(cells[5], [row.advice])
    set_column_widths(table, WIDTHS_CM)

    if content.contact:
        add_body(document, f"联系人：{clean_text(content.contact, 200)}。")
    # the unit and the date under it, with room above for the seal
    add_signature(document, [content.issuer, chinese_date(content.date)], gap_pt=56)
    add_record(document, copy_to=content.copy_to, printer=content.issuer, printed=content.date)
    return document


def breakable_host(host: str) -> str:
    """A host that a narrow column wraps after its dots, not inside a label: a zero-width
    space (a break opportunity, invisible) after each dot."""
    return host.replace(".", ".\u200b")


def _cell(cell: _Cell, lines: Sequence[str], *, font: str | None = None,
          center: bool = False) -> None:  # fmt: skip
    """A notice table cell: 小五; short cells centred both ways."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    fill_cell(cell, lines, size_pt=TABLE_PT, font=font,
              align=WD_ALIGN_PARAGRAPH.CENTER if center else None, middle=center)  # fmt: skip
