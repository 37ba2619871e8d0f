"""Which findings an analyst sees (beian findings; the web console's list): the filters,
their defaults and their checks, in one place.

By default the list shows what needs work: open findings, false positives left out (they
are listed when asked for by review state). A district or a category that no site has is
an error naming the known ones, never an empty list that looks like good news.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from audit.errors import ArgumentError
from audit.findings.states import STATES
from audit.store import Session
from audit.store import findings as store_findings
from audit.store import sites as store_sites
from audit.store.models import Finding, Site

# Listed when no review state is asked for: everything but the declared false positives.
LISTED_BY_DEFAULT: tuple[str, ...] = tuple(s for s in STATES if s != "false_positive")


@dataclass(frozen=True)
class FindingFilter:
    rules: Sequence[str] = ()
    severities: Sequence[str] = ()
    state: str = "open"  # open | resolved | all
    review_states: Sequence[str] = ()  # none given: LISTED_BY_DEFAULT
    overdue: bool = False
    district: str | None = None
    category: str | None = None
    key_unit: bool | None = None
    site: str | None = None  # host, site name or sponsor containing this text
    since: dt.datetime | None = None


def find(session: Session, wanted: FindingFilter, *, on: dt.date) -> list[tuple[Finding, Site]]:
    """The findings ``wanted`` selects, with their sites; ArgumentError for a district or
    category no site has (naming the known ones). ``on``: the day deadlines pass."""
    for column, value in (("district", wanted.district), ("category", wanted.category)):
        if value is not None:
            known = store_sites.known_values(session, column)
            if value not in known:
                listed = ", ".join(known) if known else "none yet: import an inventory"
                raise ArgumentError(column, f"{{argument}}: no site has {value!r} ({listed})")
    return store_findings.list_findings(
        session,
        rules=wanted.rules,
        severities=wanted.severities,
        state=wanted.state,
        review_states=wanted.review_states or LISTED_BY_DEFAULT,
        overdue_on=on if wanted.overdue else None,
        district=wanted.district,
        category=wanted.category,
        key_unit=wanted.key_unit,
        text=wanted.site,
        since=wanted.since,
    )
