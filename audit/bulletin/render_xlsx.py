"""The bulletin's attachment: one XLSX workbook with the four lists of the figures.

未备案网站 (unfiled sites), 未整改问题 (open findings), 本月完成整改 (rectified this month),
逾期未整改 (overdue). Each sheet has a bold frozen header row and an autofilter; dates are
Excel dates; review states and severities are in Chinese. Crawled text (names, sponsors,
excerpts, URLs) is hostile: :mod:`audit.documents.spreadsheet` neutralises anything that would be a
formula and drops control characters and bidi overrides (:mod:`audit.display`). The sheets
stream (write-only workbook): the open findings can run to hundreds of thousands of rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from audit.bulletin.figures import Figures, FindingRow, SiteRow
from audit.documents.spreadsheet import Sheet, write_workbook, yes_no
from audit.findings.states import REVIEW_STATES_ZH
from audit.rules.explain import SEVERITY_ZH

SITE_COLUMNS: tuple[tuple[str, Callable[[SiteRow], Any]], ...] = (
    ("网站/域名", lambda r: r.host),
    ("网站名称", lambda r: r.name),
    ("主办单位", lambda r: r.sponsor),
    ("区县", lambda r: r.district),
    ("类别", lambda r: r.category),
    ("重点单位", lambda r: yes_no(r.key_unit)),
    ("问题", lambda r: r.problems),
    ("首次发现", lambda r: r.since),
    ("处置状态", lambda r: _review_state(r.review_state)),
    ("整改期限", lambda r: r.deadline),
    ("是否本月新增", lambda r: yes_no(r.new)),
)

FINDING_COLUMNS: tuple[tuple[str, Callable[[FindingRow], Any]], ...] = (
    ("编号", lambda r: r.id),
    ("网站/域名", lambda r: r.host),
    ("网站名称", lambda r: r.name),
    ("主办单位", lambda r: r.sponsor),
    ("区县", lambda r: r.district),
    ("类别", lambda r: r.category),
    ("重点单位", lambda r: yes_no(r.key_unit)),
    ("规则", lambda r: r.rule),
    ("问题描述", lambda r: r.message),
    ("严重程度", lambda r: SEVERITY_ZH.get(r.severity, r.severity)),
    ("首次发现", lambda r: r.opened),
    ("处置状态", lambda r: _review_state(r.review_state)),
    ("整改期限", lambda r: r.deadline),
    ("整改完成日期", lambda r: r.resolved),
    ("证据摘录", lambda r: r.excerpt),
    ("网址", lambda r: r.url),
)
# Open and overdue findings are not resolved: no empty 整改完成日期 column for them.
UNRESOLVED_COLUMNS = tuple(c for c in FINDING_COLUMNS if c[0] != "整改完成日期")

Row = TypeVar("Row", SiteRow, FindingRow)

SHEET_NAMES = ("未备案网站", "未整改问题", "本月完成整改", "逾期未整改")


def render_xlsx(figures: Figures, out: Path) -> Path:
    """Write the attachment workbook to ``out`` (its directory must exist); returns ``out``."""
    unfiled, open_, rectified, overdue = SHEET_NAMES
    return write_workbook(
        out,
        [
            _sheet(unfiled, SITE_COLUMNS, figures.unfiled_sites),
            _sheet(open_, UNRESOLVED_COLUMNS, figures.open_findings),
            _sheet(rectified, FINDING_COLUMNS, figures.rectified),
            _sheet(overdue, UNRESOLVED_COLUMNS, figures.overdue),
        ],
    )


def _sheet(
    title: str, columns: Sequence[tuple[str, Callable[[Row], Any]]], rows: Iterable[Row]
) -> Sheet:
    getters = [getter for _, getter in columns]
    return Sheet(
        title,
        [header for header, _ in columns],
        ([getter(row) for getter in getters] for row in rows),
    )


def _review_state(state: str) -> str:
    return REVIEW_STATES_ZH.get(state, state)
