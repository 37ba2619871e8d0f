"""The inventory of the jurisdiction's websites, as analysts keep it in Excel.

``parse_inventory`` reads a .csv/.txt/.tsv/.xlsx file into good rows and row
problems (bad rows are reported by line and skipped; every good row is kept);
``import_inventory`` writes the good rows to the store in one transaction,
keyed on the normalised host, so that importing the same file again changes
nothing.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from audit.excerpt import excerpt
from audit.intake.tabular import DEFAULT_LIMITS, ReadLimits, Table, read_table
from audit.page.domains import BadURL, normalise_url, registrable_domain
from audit.store import Site, Store
from audit.store.sites import import_inventory_sites

# Canonical field -> headers it is found under (earlier aliases win when a file has two).
INVENTORY_COLUMNS: dict[str, tuple[str, ...]] = {
    "url": (
        "网址",
        "网站网址",
        "网站地址",
        "网站域名",
        "域名",
        "网站URL",
        "首页地址",
        "首页网址",
        "网站首页",
        "访问地址",
        "链接",
        "URL",
        "website",
        "domain",
        "address",
        "homepage",
    ),
    "name": ("网站名称", "网站名", "名称", "网站标题", "site name", "website name", "title"),
    "sponsor": (
        "主办单位",
        "主办单位名称",
        "网站主办单位",
        "单位名称",
        "开办单位",
        "所属单位",
        "单位",
        "organisation",
        "organization",
        "owner",
    ),
    "district": (
        "所属区县",
        "区县",
        "县区",
        "所属县区",
        "县(市、区)",
        "县市区",
        "所属县市区",
        "所属区域",
        "区域",
        "地区",
        "county",
        "area",
    ),
    "category": ("类别", "网站类别", "类型", "网站类型", "分类", "单位类型", "type"),
    "key_unit": ("重点单位", "是否重点单位", "是否重点", "重点", "key unit", "key"),
}
OPTIONAL_FIELDS = ("name", "sponsor", "district", "category", "key_unit")

_TRUE = frozenset({"是", "y", "yes", "true", "t", "1", "√", "✓", "✔"})
_FALSE = frozenset({"否", "n", "no", "false", "f", "0", "×", "✗", "✘", ""})
_KEY_UNIT_EXPECTED = "expected 是/否, yes/no, true/false, 1/0"

# The database's column widths: PostgreSQL refuses longer values (and would fail the import).
_MAX_LENGTH = {
    name: getattr(Site.__table__.c[name].type, "length", None)
    for name in ("start_url", "name", "sponsor", "district", "category")
}


@dataclass(frozen=True)
class InventoryRow:
    line: int
    start_url: str
    host: str
    registrable_domain: str
    name: str | None
    sponsor: str | None
    district: str | None
    category: str | None
    key_unit: bool | None  # None: the cell could not be read (kept as the site had it)


@dataclass(frozen=True)
class RowProblem:
    """A row that was not imported, and why."""

    line: int
    field: str | None  # the column at fault; None for the whole row
    value: str | None  # what it held, when there is something to show (may be huge)
    reason: str
    length: int | None = None  # the value's true length when ``value`` is its start only

    def __str__(self) -> str:
        """'line 7: url 'exa mple.gov.cn': unparseable URL (URL contains spaces)'."""
        if self.field is None:
            return f"line {self.line}: {self.reason}"
        if not self.value:
            return f"line {self.line}: {self.field}: {self.reason}"
        return f"line {self.line}: {self.field} {self.excerpt!r}: {self.reason}"

    @property
    def excerpt(self) -> str | None:
        """The value as messages quote it: its start, and how much more there is."""
        return excerpt(self.value, length=self.length) if self.value else self.value


def table_problems(table: Table) -> list[RowProblem]:
    """The rows the table reader rejected (a cell too long), as row problems."""
    return [RowProblem(p.line, p.field, p.value, p.reason, p.length) for p in table.problems]


def by_line(problems: list[RowProblem]) -> list[RowProblem]:
    """Problems in the order of the file (stable: a row's own order is kept)."""
    return sorted(problems, key=lambda problem: problem.line)


@dataclass(frozen=True)
class InventoryParse:
    path: Path
    rows: list[InventoryRow]
    problems: list[RowProblem]
    columns: dict[str, str]  # field -> the header it was read from
    ignored_columns: list[str]
    description: str  # how the file was read: 'text, GB18030, comma-separated'
    notes: list[str] = field(default_factory=list)  # what was not read, and why
    warnings: list[RowProblem] = field(default_factory=list)  # rows kept, a value doubtful


@dataclass(frozen=True)
class ImportReport:
    path: Path
    inserted: int
    updated: int
    unchanged: int
    problems: list[RowProblem]
    columns: dict[str, str]
    ignored_columns: list[str] = field(default_factory=list)
    description: str = ""
    notes: list[str] = field(default_factory=list)
    warnings: list[RowProblem] = field(default_factory=list)
    moved: tuple[tuple[str, str, str], ...] = ()  # (host, start URL before, now)

    @property
    def imported(self) -> int:
        return self.inserted + self.updated + self.unchanged

    @classmethod
    def of(cls, parsed: Any, counts: Any) -> ImportReport:
        """The report of a parsed file (its problems, columns) and of what the upsert did."""
        return cls(
            path=parsed.path,
            inserted=counts.inserted,
            updated=counts.updated,
            unchanged=counts.unchanged,
            problems=parsed.problems,
            columns=parsed.columns,
            ignored_columns=parsed.ignored_columns,
            description=parsed.description,
            notes=parsed.notes,
            warnings=getattr(parsed, "warnings", []),
            moved=getattr(counts, "moved", ()),
        )


def parse_inventory(
    path: str | Path,
    *,
    sheet: str | None = None,
    limits: ReadLimits = DEFAULT_LIMITS,
    districts: Collection[str] | None = None,
) -> InventoryParse:
    """Read an inventory file; raises TableError when the file as a whole is unreadable.
    A doubtful optional value keeps its row, with a warning: a 重点单位 cell that says
    neither yes nor no (the site keeps what it had), a district not of ``districts`` (the
    profile's, when given)."""
    table = read_table(path, INVENTORY_COLUMNS, required=("url",), sheet=sheet, limits=limits)
    rows: list[InventoryRow] = []
    problems = table_problems(table)
    warnings: list[RowProblem] = []
    first_line_of_host: dict[str, int] = {}
    for line, values in table.rows:
        row_problems: list[RowProblem] = []
        if not any(values.values()):
            problems.append(RowProblem(line, None, None, "empty row"))
            continue
        raw_url = values["url"]
        start_url = host = None
        if not raw_url:
            row_problems.append(RowProblem(line, "url", None, "missing"))
        else:
            try:
                # NFKC undoes full-width typing: ｗｗｗ．ｘ．ｇｏｖ．ｃｎ, http：//
                start_url, host = normalise_url(unicodedata.normalize("NFKC", raw_url))
            except BadURL as exc:
                reason = str(exc)
                if not reason.startswith("unparseable URL"):
                    reason = f"unparseable URL ({reason})"
                row_problems.append(RowProblem(line, "url", raw_url, reason))
        if host is not None:
            earlier = first_line_of_host.setdefault(host, line)
            if earlier != line:
                row_problems.append(
                    RowProblem(
                        line, "url", raw_url, f"duplicate of line {earlier} (same host {host})"
                    )
                )
        key_text = unicodedata.normalize("NFKC", values["key_unit"]).casefold()
        key_unit: bool | None = key_text in _TRUE
        if key_text not in _TRUE and key_text not in _FALSE:
            key_unit = None
            warnings.append(
                RowProblem(line, "key_unit", values["key_unit"],
                           f"{_KEY_UNIT_EXPECTED}; the row is kept, the site's 重点单位 as it"
                           " was (a new site: not a key unit)")
            )  # fmt: skip
        district = values["district"]
        if districts and district and district not in districts:
            known = "、".join(list(districts)[:6]) + ("…" if len(districts) > 6 else "")
            warnings.append(
                RowProblem(line, "district", district,
                           f"not a district of the profile ({known}); kept as written")
            )  # fmt: skip
        texts = {name: values[name] or None for name in ("name", "sponsor", "district", "category")}
        for name, value in (("start_url", start_url), *texts.items()):
            limit = _MAX_LENGTH[name]
            if value is not None and limit is not None and len(value) > limit:
                column = "url" if name == "start_url" else name
                row_problems.append(
                    RowProblem(line, column, value, f"longer than {limit} characters")
                )
        if row_problems or start_url is None or host is None:
            problems.extend(row_problems)
            continue
        rows.append(
            InventoryRow(
                line=line,
                start_url=start_url,
                host=host,
                registrable_domain=registrable_domain(host),
                key_unit=key_unit,
                **texts,
            )
        )
    return InventoryParse(
        path=table.path,
        rows=rows,
        problems=by_line(problems),
        columns=table.header,
        ignored_columns=table.ignored,
        description=table.description,
        notes=table.notes,
        warnings=by_line(warnings),
    )


def import_inventory(
    store: Store,
    path: str | Path,
    *,
    sheet: str | None = None,
    limits: ReadLimits = DEFAULT_LIMITS,
    districts: Collection[str] | None = None,
) -> ImportReport:
    """Parse an inventory and upsert its good rows on the host, in one transaction.

    Values from the file overwrite what the store had, a discovered site listed in
    the inventory becomes an inventory site, and first_seen/last_seen are kept.
    A column the file does not have leaves that field of existing sites alone.
    """
    parsed = parse_inventory(path, sheet=sheet, limits=limits, districts=districts)
    fields = [name for name in OPTIONAL_FIELDS if name in parsed.columns]
    sites = [
        {
            "host": row.host,
            "registrable_domain": row.registrable_domain,
            "start_url": row.start_url,
            "name": row.name,
            "sponsor": row.sponsor,
            "district": row.district,
            "category": row.category,
            "key_unit": row.key_unit,
        }
        for row in parsed.rows
    ]
    with store.session() as session:
        counts = import_inventory_sites(session, sites, fields=fields)
    return ImportReport.of(parsed, counts)
