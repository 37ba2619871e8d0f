"""beian notice: a DOCX rectification notice (整改通知) to a site's sponsor."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from audit.cli.context import AppContext, pass_app
from audit.cli.dates import DAY
from audit.cli.output import echo


@click.command()
@click.argument("target", metavar="SITE-or-SPONSOR")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The DOCX to write (default: <data_dir>/notices/<sponsor>-<date>.docx).",
)
@click.option(
    "--deadline",
    type=DAY,
    help="Rectification deadline for findings without their own: 2026-12-20, 2026/12/20, "
    "2026年12月20日 or +15d (default: 15 days from today).",
)
@click.option("--number", help="Document number (文号) printed under the title.")
@pass_app
def notice(
    app: AppContext, target: str, out: Path | None, deadline: dt.date | None,
    number: str | None,
) -> None:  # fmt: skip
    """Write the 整改通知 of a site (its host) or of all the sites of a sponsor (主办单位,
    exact name), addressed to the sponsor.

    It lists the open findings (not those reviewed as false positives or accepted risks),
    each with the site, the rule and its basis, the evidence, the advice (整改建议) and
    the deadline: the finding's own, else --deadline, else 15 days from today. The
    issuing unit is the profile's 网络与信息安全信息通报中心.
    """
    from audit.documents.notice import write_notice
    from audit.errors import UserError
    from audit.findings.review import today as beijing_today

    today = beijing_today()  # the centre's day, whatever the machine's time zone
    day = deadline
    if day is not None and day < today:
        raise UserError(f"--deadline {day.isoformat()} is in the past")
    settings = app.settings
    path = write_notice(app.store(), target, out, profile=settings.profile, deadline=day,
                        number=number, today=today, data_dir=settings.data_dir)  # fmt: skip
    echo(str(path))
