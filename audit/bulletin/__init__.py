"""The monthly bulletin (通报): compile the month's figures, number the issue, render it.

:func:`make_bulletin` is what ``beian bulletin`` and the scheduler call. Compiling
(:mod:`.compile`, queries → :class:`.figures.Figures`) is kept apart from rendering (DOCX,
HTML, Markdown, XLSX, charts), and the prose is written once (:mod:`.document`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from audit.bulletin.figures import Figures, Period
from audit.bulletin.numbering import Issue, record_issue, reserve_issue
from audit.bulletin.period import local_date, parse_month
from audit.config import Settings
from audit.errors import UserError
from audit.store import Store
from audit.store.models import utcnow

__all__ = ["BulletinResult", "Figures", "make_bulletin", "parse_month"]

FORMATS = ("docx", "html", "md", "xlsx")


@dataclass
class BulletinResult:
    period: Period
    issue: Issue | None  # None for a draft
    figures: Figures
    files: dict[str, Path] = field(default_factory=dict)  # format or chart key -> file
    warnings: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return self.issue.label if self.issue else "草稿（未编号）"

    @property
    def sentence(self) -> str:
        """本月共监测网站N个，发现未备案网站X家（其中新增Y家），已督促整改Z家，完成整改W家."""
        from audit.bulletin.document import rectification_sentence

        return rectification_sentence(self.figures)


def make_bulletin(
    store: Store,
    settings: Settings,
    month: str,
    *,
    out_dir: str | Path | None = None,
    draft: bool = False,
    formats: tuple[str, ...] = FORMATS,
    now: dt.datetime | None = None,
) -> BulletinResult:
    """Compile and write the bulletin of ``month`` (YYYY-MM); number and record it unless
    ``draft``. A month not over yet can only be drafted: its figures would still change."""
    from audit.bulletin.charts import draw_charts
    from audit.bulletin.compile import compile_figures
    from audit.bulletin.document import build_document

    period = parse_month(month)
    now = now or utcnow()
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown:
        raise UserError(f"unknown format {', '.join(unknown)}: choose from {', '.join(FORMATS)}")
    if not draft and now < period.end:
        raise UserError(
            f"{period.month} is not over yet (it ends {period.end.astimezone().isoformat()}): "
            "its figures would still change; use --draft to preview it"
        )
    out = Path(out_dir) if out_dir is not None else settings.data_dir / "bulletins" / month
    out.mkdir(parents=True, exist_ok=True)
    with store.session() as session:
        figures = compile_figures(
            session, settings.profile, period, settings=settings.bulletin, now=now
        )
        issue = None if draft else reserve_issue(session, period)
    result = BulletinResult(period=period, issue=issue, figures=figures)
    stem = f"bulletin-{period.month}" + ("-draft" if draft else "")

    chart_set = draw_charts(figures, out)
    result.warnings.extend(chart_set.warnings)
    result.files.update({key: path for key, path in chart_set.paths.items() if path})
    document = build_document(
        figures,
        settings.profile,
        settings.bulletin,
        issue=result.label,
        date=local_date(now),
        charts=chart_set.paths,
        draft=draft,
    )
    if "docx" in formats:
        from audit.bulletin.render_docx import render_docx

        result.files["docx"] = render_docx(document, out / f"{stem}.docx")
    if "html" in formats:
        from audit.bulletin.render_html import render_html

        result.files["html"] = render_html(document, out / f"{stem}.html")
    if "md" in formats:
        from audit.bulletin.render_markdown import render_markdown

        result.files["md"] = render_markdown(document, out / f"{stem}.md")
    if "xlsx" in formats:
        from audit.bulletin.render_xlsx import render_xlsx

        result.files["xlsx"] = render_xlsx(figures, out / f"{stem}-attachment.xlsx")
    if issue is not None:
        with store.session() as session:
            changed = record_issue(
                session, issue, settings.bulletin.title_for(settings.profile), figures,
                sorted(str(path) for path in result.files.values()), now,
            )  # fmt: skip
        if changed:
            result.warnings.append(
                f"{issue.label} was issued before with other figures: the records of "
                f"{period.month} changed since (back-dated crawls or reviews?); the record "
                "now holds the new figures"
            )
    return result


def month_before(moment: dt.datetime) -> str:
    """The month before the one ``moment`` falls in (Beijing time): the bulletin the
    scheduler compiles on the first of a month."""
    day = local_date(moment).replace(day=1) - dt.timedelta(days=1)
    return f"{day.year:04d}-{day.month:02d}"
