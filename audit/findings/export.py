"""Findings as a spreadsheet for people: Chinese headers and values, as the bulletin's
attachment names them (beian findings --xlsx; the web console's export)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from audit.config import LOCAL_TZ
from audit.display import display_text
from audit.documents.spreadsheet import Sheet, yes_no
from audit.findings.review import is_overdue
from audit.findings.states import REVIEW_STATES_ZH
from audit.page.domains import shown_host
from audit.rules.explain import SEVERITY_ZH, rule_message
from audit.store import Finding, Site

_Row = tuple[Finding, Site]
_STATES_ZH = {"open": "未消除", "resolved": "已消除"}


def _local_day(moment: dt.datetime | None) -> dt.date | None:
    return moment.astimezone(LOCAL_TZ).date() if moment else None


def finding_columns(on: dt.date) -> tuple[tuple[str, Callable[[_Row], Any]], ...]:
    """The sheet's columns, ``on`` the day overdue is judged."""
    return (
        ("编号", lambda r: r[0].id),
        ("网站/域名", lambda r: shown_host(r[1].host)),
        ("网站名称", lambda r: r[1].name),
        ("主办单位", lambda r: r[1].sponsor),
        ("区县", lambda r: r[1].district),
        ("类别", lambda r: r[1].category),
        ("重点单位", lambda r: yes_no(r[1].key_unit)),
        ("规则", lambda r: r[0].rule),
        ("问题描述", lambda r: rule_message(r[0].rule)),
        ("严重程度", lambda r: SEVERITY_ZH.get(r[0].severity, r[0].severity)),
        ("复测结果", lambda r: _STATES_ZH.get(r[0].state, r[0].state)),
        ("处置状态", lambda r: REVIEW_STATES_ZH.get(r[0].review_state, r[0].review_state)),
        ("整改期限", lambda r: r[0].deadline),
        ("是否逾期", lambda r: yes_no(is_overdue(r[0], on))),
        ("首次发现", lambda r: _local_day(r[0].first_seen_at)),
        ("最近发现", lambda r: _local_day(r[0].last_seen_at)),
        ("证据摘录", lambda r: (r[0].evidence or {}).get("excerpt", "")),
    )


def findings_sheet(found: Iterable[_Row], on: dt.date, title: str = "问题清单") -> Sheet:
    """One worksheet of the findings (with their sites), crawled text shown as on the
    terminal (control characters as escapes; the workbook neutralises formulas)."""
    columns = finding_columns(on)

    def shown(value: Any) -> Any:
        return display_text(value) if isinstance(value, str) else value

    return Sheet(
        title,
        [name for name, _ in columns],
        [[shown(value(row)) for _, value in columns] for row in found],
    )
