"""The notices of a page, stored once per content (a set), however many snapshots show it.

Most sites show the same footer crawl after crawl: their snapshots name the set already
stored, and a repeat crawl adds no notice row. A set is keyed by the SHA-256 of its notices
in page order (``notice_set_key``); a snapshot that shows no notice names no set.
Housekeeping deletes the sets no snapshot names (audit/store/retention.py).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from audit.store.models import Notice, NoticeSet
from audit.store.upsert import upsert
from audit.store.values import fit_row

# What a notice is, for its set's key and its row (the columns beside the set's id).
NOTICE_FIELDS = ("kind", "number", "raw", "valid", "linked", "source", "details")


def notice_set_key(notices: Sequence[Mapping[str, Any]]) -> str:
    """The SHA-256 of these notices' content, in their order: the same notices give the
    same key whichever crawl, site or process found them."""
    content = [[notice.get(field) for field in NOTICE_FIELDS] for notice in notices]
    text = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                      default=str)  # fmt: skip
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def store_notice_sets(
    session: Session, notice_lists: Sequence[Sequence[Mapping[str, Any]]]
) -> list[int | None]:
    """Store each list of notices as a set, once (a set already stored, by an earlier crawl
    or another site, is not written again); each list's set id, or None for no notice."""
    keys = [notice_set_key(notices) if notices else None for notices in notice_lists]
    wanted = {key: notices for key, notices in zip(keys, notice_lists, strict=True) if key}
    known = _set_ids(session, list(wanted))
    new = [key for key in wanted if key not in known]
    if new:
        # do nothing on a conflict: a set another writer stored meanwhile came with its
        # notices in the same transaction, so only the sets inserted here get theirs
        upsert(session, NoticeSet.__table__, [{"sha256": key} for key in new], key=["sha256"])
        inserted = _set_ids(session, new)
        filled = set(
            session.scalars(
                select(Notice.set_id).where(Notice.set_id.in_(list(inserted.values()))).distinct()
            )
        )
        rows = [
            fit_row(Notice.__table__, {"set_id": set_id, **_notice_row(notice)})
            for key, set_id in inserted.items()
            if set_id not in filled
            for notice in wanted[key]
        ]
        if rows:
            session.execute(insert(Notice), rows)
        known.update(inserted)
    return [known[key] if key else None for key in keys]


def _set_ids(session: Session, keys: list[str]) -> dict[str, int]:
    if not keys:
        return {}
    query = select(NoticeSet.sha256, NoticeSet.id).where(NoticeSet.sha256.in_(keys))
    return {key: set_id for key, set_id in session.execute(query)}


def _notice_row(notice: Mapping[str, Any]) -> dict[str, Any]:
    return {field: notice.get(field) for field in NOTICE_FIELDS} | {
        "details": notice.get("details") or {}
    }
