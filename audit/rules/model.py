"""The rule catalogue's data: what a rule looks at (views of the store), what it reports.

Pure data, no database: the lead builds the views from the store, the rules read them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from audit.config import Profile
from audit.outcomes import NOT_OBSERVED

Severity = Literal["high", "medium", "low", "info"]
AppliesTo = Literal["all", "government"]
# What a rule is about, for the documents that group findings (the bulletin's sections):
# unverified (a page not fully read), unfiled (no valid filing number: 未备案), display
# (a number shown wrongly: unlinked, doubtful, shared), marks (a government site's
# marks), availability (down, hijacked), threat (security signals, BA4xx).
Category = Literal["unverified", "unfiled", "display", "marks", "availability", "threat"]
CATEGORIES: tuple[Category, ...] = (
    "unverified", "unfiled", "display", "marks", "availability", "threat",
)  # fmt: skip

# Evidence stays short enough for a table cell and a notice letter.
EXCERPT_LIMIT = 240

SEVERITIES: tuple[Severity, ...] = ("high", "medium", "low", "info")
# "info" findings are for the centre to check (供核实), never put to a unit in a letter.
UNIT_SEVERITIES: tuple[Severity, ...] = ("high", "medium", "low")
APPLIES_TO: tuple[AppliesTo, ...] = ("all", "government")


@dataclass(frozen=True)
class RegistryEntry:
    """One authoritative filing record (``beian registry import``), as the rules read it."""

    number: str  # normalised, with its site index when it has one
    main_number: str  # the subject's number (no site index); == number when it has none
    kind: str  # icp | police | licence
    domains: tuple[str, ...]  # hosts or registrable domains filed under the number
    sponsor: str | None
    approved_on: dt.date | None = None
    source: str | None = None  # "file, line 12": where the record was imported from


class Registry(Protocol):
    """The imported filing registry, as BA131 / BA132 look numbers up in it."""

    def get(self, number: str) -> RegistryEntry | None:
        """The record of exactly this normalised number."""
        ...

    def under_main(self, main_number: str) -> tuple[RegistryEntry, ...]:
        """Every record of one subject: its main number's record and its site numbers'."""
        ...

    def covers(self, kind: str, number: str) -> bool:
        """Whether the registry could know ``number``: it holds numbers of this kind
        (icp, police) from the same province. A city's records say nothing about a
        number filed in another province."""
        ...


@dataclass(frozen=True)
class NoticeRow:
    """One notice of a page as stored (``Notices.records()``, the notices table): what the
    rules read. ``details`` holds the rest of the extractor's item (reasons, placeholder,
    main_number, link_url, link_outdated, ...)."""

    kind: str
    number: str | None = None
    raw: str | None = None
    valid: bool | None = None
    linked: bool | None = None
    source: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, row: Mapping[str, Any]) -> NoticeRow:
        return cls(
            kind=str(row.get("kind")),
            number=row.get("number"),
            raw=row.get("raw"),
            valid=row.get("valid"),
            linked=row.get("linked"),
            source=row.get("source"),
            details=dict(row.get("details") or {}),
        )

    @property
    def placeholder(self) -> bool:
        return bool(self.details.get("placeholder"))

    @property
    def shown(self) -> bool:
        """A real number: valid and not a placeholder (what a filing count uses)."""
        return bool(self.valid) and not self.placeholder


@dataclass(frozen=True)
class SnapshotView:
    """One site's snapshot in one run, as stored."""

    id: int
    run_id: int
    outcome: str  # see audit/outcomes.py
    http_status: int | None
    url: str
    final_url: str | None
    redirect_chain: tuple[str, ...]  # URLs before the final one
    title: str | None
    footer_text: str | None
    rendered: bool
    notices: tuple[NoticeRow, ...]  # stored rows (mappings are turned into NoticeRow)
    # How well the page was read (audit/page/reading.py): complete, partial (it depends on
    # scripts or frames the crawl could not run or fetch) or unread; and what was missed.
    reading: str = "complete"
    reading_gaps: tuple[str, ...] = ()

    @property
    def readable(self) -> bool:
        """Whether the page could be read, so that its notices (or their absence) mean something."""
        return self.outcome == "ok" or self.rendered

    def __post_init__(self) -> None:
        rows = tuple(r if isinstance(r, NoticeRow) else NoticeRow.of(r) for r in self.notices)
        object.__setattr__(self, "notices", rows)

    def notices_of(self, kind: str) -> list[NoticeRow]:
        """The notice rows of one kind, in the order stored."""
        return [row for row in self.notices if row.kind == kind]

    def footer_excerpt(self, limit: int = EXCERPT_LIMIT) -> str:
        """The footer text on one line, its head and tail kept when it is long (filing
        lines usually close a footer, the sponsor often opens it)."""
        text = " ".join((self.footer_text or "").split())
        if len(text) <= limit:
            return text
        half = (limit - 3) // 2
        return f"{text[:half]} … {text[-half:]}"


@dataclass(frozen=True)
class SiteView:
    id: int
    host: str
    registrable_domain: str
    name: str | None
    sponsor: str | None
    district: str | None
    category: str | None
    key_unit: bool
    # host under the profile's gov suffixes / *.gov.cn, or an inventory category of 政府/党政机关
    government: bool


@dataclass(frozen=True)
class AuditContext:
    """What a rule may look at for one site."""

    site: SiteView
    snapshot: SnapshotView  # the latest snapshot
    # this site's outcomes in the latest runs, newest first (includes snapshot.outcome)
    recent_outcomes: tuple[str, ...]
    profile: Profile
    # normalised ICP number (with site index) -> sponsors (or hosts when no sponsor) of all
    # sites whose latest snapshot shows it, this site included
    icp_users: Mapping[str, frozenset[str]]
    unreachable_runs: int = 2  # K for BA301
    # the imported filing registry (BA131 / BA132); None when none is loaded
    registry: Registry | None = None


@dataclass(frozen=True)
class Hit:
    """One problem a rule found on one site.

    ``fingerprint`` identifies the problem across runs (the number concerned, or "" when
    the rule fires at most once per site): never timestamps, run or snapshot ids.
    """

    fingerprint: str
    excerpt: str  # evidence a person can read: the raw text, a footer excerpt, a URL
    details: dict[str, Any] = field(default_factory=dict)  # JSON-able extras


Check = Callable[[AuditContext], Iterable[Hit]]


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    severity: Severity
    applies_to: AppliesTo
    # A filing/marks rule judges only a snapshot that could be read (outcome ok, or
    # rendered); availability rules judge every snapshot.
    needs_reachable: bool
    basis: str  # Chinese, with the article
    message_zh: str
    message_en: str
    advice_zh: str
    advice_en: str
    check: Check = field(repr=False, compare=False)
    # Codes of more general rules that stay quiet on a site where this one hits: one
    # problem, one finding (a malformed number is not also "no number shown").
    supersedes: tuple[str, ...] = ()
    # A rule that concludes from absence ("no number shown") judges only a complete
    # reading: a page whose footer a script writes may show what we did not see (BA100).
    needs_complete: bool = False
    category: Category = "display"
    # The number an unfiled rule is about (the bulletin counts ICP and police apart).
    number_kind: Literal["icp", "police"] | None = None
    # A cross-check against the imported filing registry: judged only when one is loaded
    # (without it, "unknown to the registry" would be true of every number).
    needs_registry: bool = False

    def applies(self, ctx: AuditContext) -> bool:
        """Whether this rule judges the site at all in this context."""
        if self.applies_to == "government" and not ctx.site.government:
            return False
        if self.needs_registry and ctx.registry is None:
            return False
        if ctx.snapshot.outcome in NOT_OBSERVED:
            return False  # the crawler did not see the site: nothing to judge
        if self.needs_complete and ctx.snapshot.reading != "complete":
            return False
        return not (self.needs_reachable and not ctx.snapshot.readable)


@dataclass(frozen=True)
class Evaluation:
    """The hits of one site, and the codes of the rules that judged it.

    A finding of a rule not in ``judged`` (an unreadable snapshot, a rule that does not
    apply) is neither confirmed nor resolved by this evaluation.
    """

    hits: list[tuple[Rule, Hit]]
    judged: frozenset[str]
