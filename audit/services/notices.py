"""Issuing a 整改通知: the letter, its record and the findings it covers, all or nothing.

``issue_notice`` numbers the notice (文号, per year, from ``[notice]``, or as given), writes
the DOCX, records it (``RectificationNotice``: addressee, sites, findings, deadline, who,
when, file and SHA-256) and moves each finding it lists to notified with its deadline (an
event each, noting the 文号), in one transaction: a failure leaves no record, no moved
finding and no file. A file is never written over. Issuing the same findings twice on one
day is refused unless ``again`` (the CLI asks first).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, replace
from pathlib import Path

from audit.config import Settings
from audit.documents.docx_style import document_bytes
from audit.documents.notice import (
    NoticeContent,
    collect_notice,
    render_notice,
    safe_filename,
)
from audit.errors import ArgumentError, UserError
from audit.files import output_errors, write_atomic
from audit.findings.review import AlreadyInState, default_actor, review_finding, today
from audit.store import RectificationNotice, Session, Store
from audit.store import rectification as store_notices


class AlreadyIssued(UserError):
    """The same findings were notified today already: issue again only when asked to."""

    def __init__(self, earlier: RectificationNotice) -> None:
        self.earlier = earlier
        super().__init__(
            f"notice {earlier.number} (id {earlier.id}) already notified these findings today"
        )


@dataclass(frozen=True)
class IssuedNotice:
    id: int
    number: str
    addressee: str
    deadline: dt.date
    path: Path
    findings: int
    sites: int
    moved: int  # findings moved to notified (the others were notified so already)


def issue_notice(
    store: Store,
    settings: Settings,
    target: str,
    *,
    deadline: dt.date | None = None,
    number: str | None = None,
    out: str | Path | None = None,
    issued_by: str | None = None,
    again: bool = False,
    on: dt.date | None = None,
) -> IssuedNotice:
    """Issue the notice of ``target`` (a host or a sponsor's exact name); see the module."""
    on = on or today()
    deadline = deadline or on + dt.timedelta(days=settings.notice.deadline_days)
    actor = (issued_by or "").strip() or default_actor()
    written: Path | None = None
    try:
        with store.session() as session:
            content = collect_notice(
                session, target, profile=settings.profile, deadline=deadline, today=on
            )
            earlier = store_notices.same_day(session, on, content.finding_ids)
            if earlier is not None and not again:
                raise AlreadyIssued(earlier)
            serial = None
            if number is None:
                serial = store_notices.next_serial(session, on.year)
                number = settings.notice.number_for(settings.profile, on.year, serial)
            elif store_notices.by_number(session, number.strip()) is not None:
                raise ArgumentError("number", f"{{argument}} {number!r} was issued before")
            number = number.strip()
            content = replace(
                content, number=number, contact=settings.notice.contact.strip(),
                copy_to=tuple(unit.strip() for unit in settings.notice.copy_to if unit.strip()),
            )  # fmt: skip
            path = _path(out, settings.data_dir, number, content.addressee)
            data = _docx_bytes(content)
            record = store_notices.add(
                session, number=number, year=on.year, serial=serial,
                addressee=content.addressee, issued_on=on, issued_by=actor, deadline=deadline,
                hosts=content.hosts, finding_ids=content.finding_ids, content=content.to_json(),
                file_path=str(path), file_sha256=hashlib.sha256(data).hexdigest(),
            )  # fmt: skip
            moved = _notify(session, content, number, deadline, actor, on)
            with output_errors("the notice", path):
                written = write_atomic(path, data)
            issued = IssuedNotice(
                record.id, number, content.addressee, deadline, path, len(content.rows),
                content.sites, moved,
            )  # fmt: skip
    except BaseException:
        if written is not None:  # the record was not committed: no file without it
            written.unlink(missing_ok=True)
        raise
    return issued


def reprint(store: Store, notice_id: int, out: str | Path) -> Path:
    """Write notice ``notice_id`` again, as it was issued, to ``out`` (never over a file)."""
    with store.session() as session:
        record = store_notices.get(session, notice_id)
        if record is None:
            raise UserError(f"no notice {notice_id} (beian notices list shows them)")
        content = NoticeContent.from_json(record.content)
    path = Path(out).expanduser()
    if path.exists():
        raise UserError(f"{path} exists: a notice is never written over; choose another --out")
    with output_errors("the notice", path):
        write_atomic(path, _docx_bytes(content))
    return path


def _notify(
    session: Session, content: NoticeContent, number: str, deadline: dt.date, actor: str,
    on: dt.date,
) -> int:  # fmt: skip
    """Move the notice's findings to notified with its deadline; how many moved."""
    moved = 0
    for finding_id in content.finding_ids:
        try:
            review_finding(session, finding_id, "notified", deadline=deadline, actor=actor,
                           note=f"整改通知 {number}", on=on)  # fmt: skip
        except AlreadyInState:
            continue  # notified already, with this very deadline
        moved += 1
    return moved


def _path(out: str | Path | None, data_dir: Path, number: str, addressee: str) -> Path:
    if out is not None:
        path = Path(out).expanduser()
        if path.exists():
            raise UserError(f"{path} exists: a notice is never written over; choose another --out")
        return path
    folder = Path(data_dir).expanduser() / "notices"
    stem = f"{safe_filename(number, 40)}-{safe_filename(addressee)}"
    path = folder / f"{stem}.docx"
    extra = 1
    while path.exists():  # (a file left by hand under the same name: keep it)
        extra += 1
        path = folder / f"{stem}-{extra}.docx"
    return path


def _docx_bytes(content: NoticeContent) -> bytes:
    return document_bytes(render_notice(content))
