"""The bulletin's text: sections 一 to 六 written once from the figures, as blocks that the
DOCX, HTML and Markdown renderers all print."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path

from audit.bulletin.blocks import (
    Block,
    BulletinDocument,
    Chart,
    Heading,
    Masthead,
    Paragraph,
    Table,
)
from audit.bulletin.figures import Changes, Count, Figures, GroupRow, Rate, Warning
from audit.bulletin.period import local_date, previous_period
from audit.config import BulletinSettings, Profile
from audit.documents.docx_style import chinese_date
from audit.documents.spreadsheet import yes_no
from audit.findings.states import REVIEW_STATES_ZH

SECTION_NUMERALS = "一二三四五六七八九十"
TABLE_ROWS = 30  # rows of a list printed in the body; the attachment has them all
KEY_UNITS_NAMED = 20
CHART_CAPTIONS = {
    "rates": "备案信息展示率月度趋势",
    "open_findings": "未整改问题与未备案网站月度趋势",
    "districts": "各区县未整改问题数",
}


def attachment_name(figures: Figures) -> str:
    return (
        f"附件：{figures.period.label}未备案网站及问题清单"
        "（XLSX，含未备案网站、未整改问题、本月完成整改、逾期未整改四张表）"
    )


def build_document(
    figures: Figures,
    profile: Profile,
    settings: BulletinSettings,
    *,
    issue: str,
    date: dt.date,
    charts: Mapping[str, Path | None],
    draft: bool = False,
) -> BulletinDocument:
    unit = settings.unit_for(profile)
    masthead = Masthead(
        title=settings.title_for(profile),
        issue=issue,
        unit=unit,
        date=date,
        period_label=figures.period.label,
        subtitle=f"关于{figures.period.label}{profile.name}网站备案情况的通报",
        draft=draft,
    )
    blocks: list[Block] = [Paragraph(_opening(figures, profile))]
    sections = [
        ("总体情况", _overview(figures, charts)),
        ("未备案网站情况", _unfiled(figures, charts)),
        ("整改情况", _rectification(figures, charts)),
        ("网络安全威胁情况", _threats(figures)),
        ("预警信息", _warnings(figures)),
        ("工作要求", _requirements(settings)),
    ]
    for index, (title, content) in enumerate(sections):
        blocks.append(Heading(f"{SECTION_NUMERALS[index]}、{title}"))
        blocks.extend(content)
    return BulletinDocument(
        masthead=masthead,
        blocks=_numbered(blocks),
        attachments=(attachment_name(figures).removeprefix("附件："),),
        signature=(unit, chinese_date(date)),
        copy_to=tuple(settings.copy_to),
        printer=settings.printer.strip() or unit,
        printed=date,
    )


def _numbered(blocks: list[Block]) -> list[Block]:
    """表1, 表2 ... and 图1, 图2 ... in the order they appear."""
    tables = charts = 0
    numbered: list[Block] = []
    for block in blocks:
        if isinstance(block, Table):
            tables += 1
            block = dataclasses.replace(block, caption=f"表{tables} {block.caption}")
        elif isinstance(block, Chart):
            charts += 1
            block = dataclasses.replace(block, caption=f"图{charts} {block.caption}")
        numbered.append(block)
    return numbered


# ---- wording ------------------------------------------------------------------------------


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def before_word(figures: Figures) -> str | None:
    """How the text names the month compared with: 上月; 9月 when the months between were
    not monitored (2025年12月 across a year); None when no month before was monitored."""
    if not figures.compared:
        return None
    if figures.previous == previous_period(figures.period):
        return "上月"
    if figures.previous.year == figures.period.year:
        return f"{int(figures.previous.month[5:])}月"
    return figures.previous.label


def _change(count: Count, before: str | None, unit: str = "个") -> str:
    """较上月增加3个 / 减少2个 / 持平; 为首次监测 with nothing to compare with."""
    if before is None:
        return "为首次监测"
    if count.delta > 0:
        return f"较{before}增加{count.delta}{unit}"
    if count.delta < 0:
        return f"较{before}减少{-count.delta}{unit}"
    return f"与{before}持平"


def _signed(value: int) -> str:
    return f"+{value}" if value > 0 else str(value)


def _points(rate: Rate, before: str | None) -> str:
    delta = rate.delta_points
    if delta is None or before is None:
        return "无可比数据" if before is None else f"{before}无可比数据"
    if round(delta, 1) > 0:
        return f"较{before}上升{delta:.1f}个百分点"
    if round(delta, 1) < 0:
        return f"较{before}下降{-delta:.1f}个百分点"
    return f"与{before}持平"


def _points_cell(rate: Rate) -> str:
    delta = rate.delta_points
    return "—" if delta is None else f"{delta:+.1f}个百分点"


def _site_changes(changes: Changes, before: str | None) -> str:
    """How the sites monitored differ from the month compared with, in plain words."""
    if before is None:
        return ""
    kept = changes.changed + changes.same
    return (
        f"与{before}相比，新纳入监测的网站{changes.new}个，不再监测的{changes.gone}个；"
        f"两月均监测的{kept}个网站中，访问情况、备案信息展示情况或存在的问题有变化的"
        f"{changes.changed}个。"
    )


def _count_row(label: str, count: Count, before: str | None) -> tuple[str, ...]:
    if before is None:
        return (label, str(count.current), "—", "—")
    return (label, str(count.current), str(count.previous), _signed(count.delta))


def _rate_row(label: str, rate: Rate, before: str | None) -> tuple[str, ...]:
    if before is None:
        return (label, _percent(rate.current), "—", "—")
    return (label, _percent(rate.current), _percent(rate.previous), _points_cell(rate))


def _month_end(figures: Figures) -> str:
    day = local_date(figures.as_of - dt.timedelta(microseconds=1))
    return chinese_date(day)


# ---- sections -----------------------------------------------------------------------------


def _opening(figures: Figures, profile: Profile) -> str:
    partial = "" if figures.complete else f"（本月尚未结束，数据截至{_month_end(figures)}）"
    return (
        f"为落实网站备案管理和属地网络安全监测要求，我中心于{figures.period.label}对"
        f"{profile.name}属地网站开展了{figures.overview.runs}轮备案信息自动监测{partial}。"
        "现将有关情况通报如下。"
    )


def _overview(figures: Figures, charts: Mapping[str, Path | None]) -> list[Block]:
    o, before = figures.overview, before_word(figures)
    new = f"本月新发现网站{o.new_sites}个"
    if o.new_discovered:
        new += f"（其中通过网站链接发现{o.new_discovered}个）"
    if o.retired_sites:
        new += f"，移出监测名单{o.retired_sites}个"
    text = (
        f"本月共监测网站{o.monitored.current}个，{_change(o.monitored, before)}；完成监测"
        f"{o.crawled.current}个，可正常访问{o.reachable.current}个。可正常访问的网站中，"
        f"展示有效ICP备案编号的{o.icp.part}个，展示率{_percent(o.icp.current)}，"
        f"{_points(o.icp, before)}；展示有效公安联网备案编号的{o.police.part}个，展示率"
        f"{_percent(o.police.current)}，{_points(o.police, before)}；两者均展示的{o.both.part}个，"
        f"占{_percent(o.both.current)}。{new}。"
    )
    table = Table(
        caption="网站备案信息监测总体情况",
        headers=("指标", "本月", before or "上月", "变化"),
        rows=(
            _count_row("监测网站（个）", o.monitored, before),
            _count_row("完成监测（个）", o.crawled, before),
            _count_row("可正常访问（个）", o.reachable, before),
            _rate_row("ICP备案编号展示率", o.icp, before),
            _rate_row("公安联网备案编号展示率", o.police, before),
            _rate_row("两者均展示率", o.both, before),
            _count_row("未备案网站（家）", figures.unfiled.sites, before),
        ),
        widths=(3, 1.3, 1.3, 1.6),
        numeric=(False, True, True, True),
    )
    changed = _site_changes(o.sites, before)
    return [
        Paragraph(text),
        *([Paragraph(changed)] if changed else []),
        table,
        Chart("rates", CHART_CAPTIONS["rates"], charts.get("rates")),
    ]


def _group_table(caption: str, label: str, rows: Sequence[GroupRow], before: str | None) -> Table:
    return Table(
        caption=caption,
        headers=(label, "未备案网站", "其中本月新增", before or "上月", "变化", "其中重点单位"),
        rows=tuple(
            (
                r.name,
                str(r.unfiled),
                str(r.new),
                str(r.previous) if before else "—",
                _signed(r.delta) if before else "—",
                str(r.key_units),
            )
            for r in rows
        ),
        widths=(2.4, 1.3, 1.4, 1, 1, 1.4),
        numeric=(False, True, True, True, True, True),
    )


def _unfiled(figures: Figures, charts: Mapping[str, Path | None]) -> list[Block]:
    u, before = figures.unfiled, before_word(figures)
    carried = (
        f"其中本月新增{u.new}家，{before}遗留尚未整改{u.carried}家；{before}通报的未备案网站中，"
        f"本月已不再发现问题的{u.fixed}家。"
        if before
        else ""
    )
    still = u.findings.changed + u.findings.same
    progress = f"，其中本月有处置进展的{u.findings.changed}项" if u.findings.changed else ""
    blocks: list[Block] = [
        Paragraph(
            f"截至{_month_end(figures)}，共有未备案（未展示有效备案编号）网站{u.sites.current}家，"
            f"{_change(u.sites, before, '家')}。{carried}未展示有效ICP备案编号的"
            f"{u.missing_icp.current}家，未展示有效公安联网备案编号的{u.missing_police.current}家。"
        ),
        Paragraph(
            f"按具体问题计，本月新发现{u.findings.new}项，经复测已消除{u.findings.gone}项；"
            f"此前发现、本月仍未消除的{still}项{progress}。"
        ),
    ]
    if u.unverified:
        blocks.append(
            Paragraph(
                f"另有{u.unverified}家网站首页的备案信息由脚本或框架生成，本月巡检未能核验"
                "（未计入未备案网站），已列入中心核实清单。"
            )
        )
    key_sites = [row for row in figures.unfiled_sites if row.key_unit]
    if key_sites:
        named = "、".join(row.name or row.host for row in key_sites[:KEY_UNITS_NAMED])
        more = f"等{len(key_sites)}家" if len(key_sites) > KEY_UNITS_NAMED else ""
        blocks.append(
            Paragraph(f"重点单位网站中，{named}{more}存在未备案问题，请相关单位优先整改。")
        )
        blocks.append(
            Table(
                caption="未备案的重点单位网站",
                headers=("网站", "名称", "主办单位", "区县", "问题", "本月新增"),
                rows=tuple(
                    (r.host, r.name, r.sponsor, r.district, r.problems, yes_no(r.new))
                    for r in key_sites[:TABLE_ROWS]
                ),
                widths=(2.4, 2, 2.2, 1.2, 3.4, 1),
                note=_more_note(len(key_sites)),
            )
        )
    else:
        blocks.append(Paragraph("重点单位网站中，本月未发现未备案问题。"))
    blocks.append(_group_table("未备案网站区县分布", "区县", u.by_district, before))
    blocks.append(_group_table("未备案网站类别分布", "类别", u.by_category, before))
    blocks.append(Chart("districts", CHART_CAPTIONS["districts"], charts.get("districts")))
    return blocks


def _more_note(total: int) -> str | None:
    if total <= TABLE_ROWS:
        return None
    return f"共{total}条，此处列出前{TABLE_ROWS}条，完整名单见附件。"


def rectification_sentence(figures: Figures) -> str:
    """本月共监测网站N个，发现未备案网站X家（其中新增Y家），已督促整改Z家，完成整改W家."""
    o, u, r = figures.overview, figures.unfiled, figures.rectification
    return (
        f"本月共监测网站{o.monitored.current}个，发现未备案网站{u.sites.current}家"
        f"（其中新增{u.new}家），已督促整改{r.notified.current}家，完成整改{r.fixed.current}家"
    )


def _rectification(figures: Figures, charts: Mapping[str, Path | None]) -> list[Block]:
    r = figures.rectification
    text = (
        f"{rectification_sentence(figures)}，现场检查{r.inspected.current}家。"
        f"截至{_month_end(figures)}，正在整改{r.in_progress}家，"
        f"超过整改期限仍未完成整改{r.overdue.current}家。"
        "完成整改均经复测确认：整改期间的网站在后续监测中不再发现问题，即视为完成整改。"
    )
    before = before_word(figures)
    summary = Table(
        caption="整改工作情况",
        headers=("项目", "本月", before or "上月", "变化"),
        rows=(
            _count_row("督促整改（家）", r.notified, before),
            _count_row("现场检查（家）", r.inspected, before),
            _count_row("完成整改并经复测确认（家）", r.fixed, before),
            _count_row("逾期未整改（家）", r.overdue, before),
        ),
        widths=(3, 1.3, 1.3, 1.3),
        numeric=(False, True, True, True),
    )
    by_district = Table(
        caption="各区县整改情况",
        headers=("区县", "督促整改", "现场检查", "完成整改", "逾期未整改"),
        rows=tuple(
            (row.district, str(row.notified), str(row.inspected), str(row.fixed), str(row.overdue))
            for row in r.by_district
        ),
        widths=(2.4, 1.3, 1.3, 1.3, 1.4),
        numeric=(False, True, True, True, True),
        note=None if r.by_district else "本月无整改工作记录。",
    )
    blocks: list[Block] = [Paragraph(text), summary, by_district]
    if figures.overdue:
        blocks.append(
            Table(
                caption="逾期未整改问题",
                headers=("网站", "名称", "区县", "问题", "处置状态", "整改期限"),
                rows=tuple(
                    (
                        row.host,
                        row.name,
                        row.district,
                        row.message,
                        REVIEW_STATES_ZH.get(row.review_state, row.review_state),
                        row.deadline.isoformat() if row.deadline else "",
                    )
                    for row in figures.overdue[:TABLE_ROWS]
                ),
                widths=(2.4, 2, 1.2, 3.4, 1.4, 1.6),
                note=_more_note(len(figures.overdue)),
            )
        )
    blocks.append(
        Chart("open_findings", CHART_CAPTIONS["open_findings"], charts.get("open_findings"))
    )
    return blocks


def _threats(figures: Figures) -> list[Block]:
    before = before_word(figures)
    rows = [t for t in figures.threats if t.new or t.open.current or t.open.previous]
    if not rows:
        return [Paragraph("本月未监测到网站可用性及安全威胁问题。")]
    new = sum(t.new for t in rows)
    still = sum(t.open.current for t in rows)
    text = (
        f"本月监测发现网站可用性及安全问题{new}项；截至{_month_end(figures)}，"
        f"尚未消除{still}项，各类问题涉及的网站数见下表。"
        "网站长期无法访问的，主办单位应及时恢复或依规办理备案注销手续；"
        "网站被劫持跳转的，应立即排查处置。"
    )
    table = Table(
        caption="网络安全威胁情况（按问题类型）",
        headers=(
            "问题类型",
            "本月新发现",
            "月末未消除",
            f"{before}末" if before else "上月末",
            "涉及网站",
        ),
        rows=tuple(
            (
                t.name,
                str(t.new),
                str(t.open.current),
                str(t.open.previous) if before else "—",
                str(t.sites),
            )
            for t in rows
        ),
        widths=(5.1, 1.3, 1.3, 1.1, 1.2),
        numeric=(False, True, True, True, True),
    )
    return [Paragraph(text), table]


def _warning_table(caption: str, warnings: Sequence[Warning]) -> Table:
    return Table(
        caption=caption,
        headers=("网站", "名称", "区县", "情况"),
        rows=tuple((w.host, w.name, w.district, w.detail) for w in warnings[:TABLE_ROWS]),
        widths=(2.6, 2.6, 1.4, 3.6),
        note=_more_note(len(warnings)),
    )


def _warning_section(
    heading: str, warnings: Sequence[Warning], intro: str, caption: str, none: str
) -> list[Block]:
    """（一）…: a heading, then the sites warned about (``intro`` takes their count), or
    ``none``."""
    if not warnings:
        return [Heading(heading, level=2), Paragraph(none)]
    return [
        Heading(heading, level=2),
        Paragraph(intro.format(count=len(warnings))),
        _warning_table(caption, warnings),
    ]


def _warnings(figures: Figures) -> list[Block]:
    due = [w for w in figures.warnings if w.kind == "deadline"]
    failing = [w for w in figures.warnings if w.kind == "repeated_failure"]
    return [
        *_warning_section(
            "（一）整改期限即将届满", due,
            "以下{count}家网站的整改期限即将届满，请相关单位抓紧整改，逾期未整改的将予以通报。",
            "整改期限即将届满的网站", "近期无即将届满的整改期限。",
        ),
        *_warning_section(
            "（二）多次监测无法访问", failing,
            "以下{count}家网站本月多次监测无法访问或月末仍无法访问，可能已停止服务或存在故障，"
            "请主办单位核实；已停止服务的，应办理备案注销手续。",
            "多次监测无法访问的网站", "本月无多次监测无法访问的网站。",
        ),
    ]  # fmt: skip


def _requirements(settings: BulletinSettings) -> list[Block]:
    return [
        Paragraph(f"（{SECTION_NUMERALS[i]}）{text}")
        for i, text in enumerate(settings.requirements[: len(SECTION_NUMERALS)])
    ]
