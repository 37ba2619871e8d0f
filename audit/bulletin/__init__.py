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
from audit.bulletin.numbering import Issue, next_issue, record_issue, reserve_issue
from audit.bulletin.period import local_date, parse_month
from audit.config import Settings
from audit.errors import ArgumentError, UserError
from audit.files import output_errors, staged
from audit.store import Session, Store
from audit.store import bulletins as store_bulletins
from audit.store.models import utcnow

__all__ = ["BulletinResult", "Figures", "make_bulletin", "parse_month"]

FORMATS = ("docx", "html", "md", "xlsx")
ISSUE_ATTEMPTS = 3  # renders when other processes keep taking the next number


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


def check_request(
    month: str, *, draft: bool, formats: tuple[str, ...], now: dt.datetime | None = None
) -> Period:
    """The month's period when a bulletin of it can be made as asked (before any database
    is read); UserError or ArgumentError saying why not."""
    period = parse_month(month)
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown:
        raise UserError(f"unknown format {', '.join(unknown)}: choose from {', '.join(FORMATS)}")
    if not draft and (now or utcnow()) < period.end:
        raise ArgumentError(
            "draft",
            f"{period.month} is not over yet (it ends {period.end.astimezone().isoformat()}): "
            "its figures would still change; use {argument} to preview it",
        )
    return period


class NoRunsInMonth(ArgumentError):
    """A month no crawl run is dated in: its bulletin would report nothing monitored."""


def _check_monitored(session: Session, period: Period) -> None:
    from audit.bulletin.period import local_date
    from audit.store import runs as store_runs

    if store_runs.runs_between(session, period.start, period.end):
        return
    first = store_runs.first_run_date(session)
    since = (
        f"the first month with a crawl is {local_date(first):%Y-%m}"
        if first is not None
        else "no crawl has run yet"
    )
    raise NoRunsInMonth(
        "force",
        f"no crawl run is dated in {period.month}: its bulletin would monitor nothing ({since});"
        " use {argument} to issue it all the same",
    )


def make_bulletin(
    store: Store,
    settings: Settings,
    month: str,
    *,
    out_dir: str | Path | None = None,
    draft: bool = False,
    formats: tuple[str, ...] = FORMATS,
    now: dt.datetime | None = None,
    force: bool = False,
) -> BulletinResult:
    """Compile and write the bulletin of ``month`` (YYYY-MM); number and record it unless
    ``draft``. A month not over yet can only be drafted: its figures would still change.

    All or nothing: the files (charts included) are written into a staging directory
    and published together, and the number is claimed and the record written in the
    transaction that commits only once they are in place. A disk that is full or
    read-only raises :class:`~audit.errors.OutputError` and leaves the directory and the
    numbering as they were."""
    from audit.bulletin.compile import compile_figures

    now = now or utcnow()
    period = check_request(month, draft=draft, formats=formats, now=now)
    out = Path(out_dir or settings.data_dir / "bulletins" / month).expanduser()
    with store.session() as session:
        if not force:
            _check_monitored(session, period)
        figures = compile_figures(
            session, settings.profile, period, settings=settings.bulletin, now=now
        )
    for _ in range(ISSUE_ATTEMPTS):
        with store.session() as session:
            expected = None if draft else next_issue(session, period)
        try:
            with output_errors("the bulletin", out):
                return _issue(store, settings, figures, expected, out, formats, now)
        except _Renumbered:  # another process issued a bulletin meanwhile: render again
            continue
    raise RuntimeError(f"could not number the bulletin of {period.month}")


class _Renumbered(Exception):
    """The number the files were rendered with was taken before it could be claimed."""


def _issue(
    store: Store,
    settings: Settings,
    figures: Figures,
    expected: Issue | None,
    out: Path,
    formats: tuple[str, ...],
    now: dt.datetime,
) -> BulletinResult:
    """Render into a staging directory with the ``expected`` issue (None: a draft), then
    claim the number, publish the files and record them, in one transaction."""
    period = figures.period
    with staged(out) as staging:
        result = BulletinResult(period=period, issue=expected, figures=figures)
        _render(result, settings, staging.path, formats, now, draft=expected is None)
        if expected is None:
            staging.publish()
        else:
            with store.session() as session:
                issue = reserve_issue(session, period)
                if (issue.year, issue.number) != (expected.year, expected.number):
                    raise _Renumbered
                result.issue = issue
                placed = staging.publish()
                changed = record_issue(
                    session, issue, settings.bulletin.title_for(settings.profile), figures,
                    sorted(str(path) for path in placed), now,
                )  # fmt: skip
                replaced = [
                    f"{period.month} had {b.year}年第{b.number}期, withdrawn on "
                    f"{local_date(b.voided_at):%Y-%m-%d} ({b.void_reason}): this issue, "
                    f"{issue.label}, replaces it"
                    for b in store_bulletins.withdrawn_of_month(session, period.month)
                    if b.voided_at is not None
                ]
            # committed: a failed commit has raised through staged(), which took the
            # files back
            result.warnings.extend(replaced)
            if changed:
                result.warnings.append(
                    f"{issue.label} was issued before with other figures: the records of "
                    f"{period.month} changed since (back-dated crawls or reviews?); the "
                    "record now holds the new figures"
                )
    result.files = {kind: out / path.name for kind, path in result.files.items()}
    return result


def _render(
    result: BulletinResult,
    settings: Settings,
    directory: Path,
    formats: tuple[str, ...],
    now: dt.datetime,
    *,
    draft: bool,
) -> None:
    """Draw the charts and write the documents into ``directory``; ``result.files``
    says which file is which."""
    from audit.bulletin.charts import draw_charts
    from audit.bulletin.document import build_document

    figures = result.figures
    stem = f"bulletin-{figures.period.month}" + ("-draft" if draft else "")
    chart_set = draw_charts(figures, directory)
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

        result.files["docx"] = render_docx(document, directory / f"{stem}.docx")
    if "html" in formats:
        from audit.bulletin.render_html import render_html

        result.files["html"] = render_html(document, directory / f"{stem}.html")
    if "md" in formats:
        from audit.bulletin.render_markdown import render_markdown

        result.files["md"] = render_markdown(document, directory / f"{stem}.md")
    if "xlsx" in formats:
        from audit.bulletin.render_xlsx import render_xlsx

        result.files["xlsx"] = render_xlsx(figures, directory / f"{stem}-attachment.xlsx")


def month_before(moment: dt.datetime) -> str:
    """The month before the one ``moment`` falls in (Beijing time): the bulletin the
    scheduler compiles on the first of a month."""
    day = local_date(moment).replace(day=1) - dt.timedelta(days=1)
    return f"{day.year:04d}-{day.month:02d}"
