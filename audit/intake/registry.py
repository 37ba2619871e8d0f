"""The filing registry: the authoritative records the centre holds, imported from its exports.

``parse_registry`` reads a .csv/.txt/.tsv/.xlsx export into good rows and row problems
(reported by line, like the inventory's); ``import_registry`` upserts the good rows on
the normalised number in one transaction, so that importing the same file again changes
nothing. ``load_registry`` gives the audit what BA131 / BA132 look numbers up in.

Numbers are normalised by the notice extractor, exactly as numbers shown on pages are:
晋ICP备 2021001234号－1 in a cell and on a page are the same record. A record's kind
(icp, police, licence) is what its number is; a 类型 column is only checked against it.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from audit.excerpt import excerpt, excerpts
from audit.intake.inventory import ImportReport, RowProblem, by_line, table_problems
from audit.intake.tabular import DEFAULT_LIMITS, ReadLimits, read_table
from audit.notices import extract_notices
from audit.notices.model import FATAL_REASONS
from audit.page.domains import BadURL, normalise_url
from audit.rules.model import RegistryEntry
from audit.store import RegistryRecord, Session, Store
from audit.store.registry import import_registry_records, registry_records

# Canonical field -> headers it is found under (earlier aliases win when a file has two:
# an export with both 网站备案号 and 主体备案号 is read by its site numbers).
REGISTRY_COLUMNS: dict[str, tuple[str, ...]] = {
    "number": (
        "网站备案号",
        "备案号",
        "备案编号",
        "ICP备案号",
        "许可证号",
        "公安备案号",
        "主体备案号",
        "filing number",
        "record number",
    ),
    "domains": (
        "域名",
        "网站域名",
        "网站首页网址",
        "首页网址",
        "网站网址",
        "网址",
        "domain",
        "website",
    ),
    "sponsor": ("主办单位", "主办单位名称", "主体名称", "单位名称", "开办单位", "sponsor"),
    "approved_on": (
        "审核通过日期",
        "审核通过时间",
        "审核时间",
        "审核日期",
        "备案日期",
        "备案时间",
        "approval date",
        "approved",
    ),
    "kind": ("类型", "备案类型", "网站类型", "type"),
}
OPTIONAL_COLUMNS = ("domains", "sponsor", "approved_on")

KINDS = ("icp", "police", "licence")  # a record's kind: what its number is

# Several domains in one cell: ; ； , ， 、 spaces, new lines.
_DOMAIN_SEPARATORS = re.compile(r"[;；,，、\s]+")
_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
_DATES = (
    re.compile(rf"(\d{{4}})\s*[-/.]\s*(\d{{1,2}})\s*[-/.]\s*(\d{{1,2}}){_TIME}"),
    re.compile(rf"(\d{{4}})\s*年\s*(\d{{1,2}})\s*月\s*(\d{{1,2}})\s*[日号]?{_TIME}"),
    re.compile(r"(\d{4})(\d{2})(\d{2})"),
)
# A date an Excel cell holds as a plain number (a date column formatted as General):
# days since 1899-12-30; five digits is 1927-2173, no year or compact date looks like it.
_EXCEL_SERIAL = re.compile(r"(\d{5})(?:\.\d+)?")
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_DATE_EXPECTED = "unreadable date (expected 2021-03-04, 2021/3/4, 2021年3月4日 or an Excel date)"

# Words of a 类型 cell that say which registry the number belongs to.
_POLICE_WORDS = ("公安", "公网安", "联网备案", "police", "mps")
_ICP_WORDS = ("icp", "工信", "通信管理", "非经营", "许可证", "经营性", "miit")

# A filing record lists a site's few domains; a cell of thousands is not one (and each
# would be parsed). A number is at most its column's width.
_MOST_DOMAINS = 100
_LONGEST_NUMBER = 200
_MAX_LENGTH = {
    name: getattr(RegistryRecord.__table__.c[name].type, "length", None)
    for name in ("number", "sponsor", "source_file")
}


@dataclass(frozen=True)
class RegistryRow:
    line: int
    number: str  # normalised
    main_number: str
    kind: str  # icp | police | licence
    domains: tuple[str, ...]  # hosts, as normalise_url gives them
    sponsor: str | None
    approved_on: dt.date | None


@dataclass(frozen=True)
class RegistryParse:
    path: Path
    rows: list[RegistryRow]
    problems: list[RowProblem]
    columns: dict[str, str]  # field -> the header it was read from
    ignored_columns: list[str]
    description: str
    notes: list[str] = field(default_factory=list)  # what was not read, and why


class NumberError(ValueError):
    """A cell that is not one filing number; the message says why."""


def normalise_number(text: str) -> tuple[str, str, str]:
    """(number, main number, kind) of one filing number as written anywhere.

    >>> normalise_number("晋ICP备 2021001234号－1")
    ('晋ICP备2021001234号-1', '晋ICP备2021001234号', 'icp')

    The extractor reads it, as it reads a footer; 14 bare digits are a public-security
    number. Raises NumberError for anything else, or for a number the extractor finds
    wrong (a placeholder, a year in the future, too few digits).
    """
    text = unicodedata.normalize("NFKC", text).strip()
    if len(text) > _LONGEST_NUMBER:  # not read: the extractor would parse it as a page
        raise NumberError(f"longer than {_LONGEST_NUMBER} characters: not one filing number")
    if re.fullmatch(r"\d{14}", text):
        text = f"公网安备{text}号"
    page = f"<html><body><footer>{html.escape(text)}</footer></body></html>"
    notices = extract_notices(page, "http://registry.invalid/")
    items = [
        (kind, item)
        for kind in ("icp", "icp_licence", "police", "site_code")
        for item in getattr(notices, kind)
    ]
    if not items:
        raise NumberError("not an ICP or public-security filing number")
    if len(items) > 1:
        found = excerpts((item.number for _, item in items), count=3)
        raise NumberError(f"more than one number ({found})")
    kind, item = items[0]
    if kind == "site_code":
        raise NumberError("a government website identifier (网站标识码), not a filing number")
    # A police number without its province prefix takes its code's: 公网安备14080202000123.
    excused = {"missing_province"} if kind == "police" and item.province else set()
    fatal = [r for r in item.reasons if r in FATAL_REASONS and r not in excused]
    if item.placeholder or (not item.valid and (fatal or not excused)):
        raise NumberError(
            f"invalid filing number {excerpt(item.number)} ({', '.join(fatal) or 'invalid'})"
        )
    if kind == "icp":
        return item.number, item.main_number or item.number, "icp"
    return item.number, item.number, "police" if kind == "police" else "licence"


def parse_date(text: str) -> dt.date:
    """2021-03-04, 2021/3/4, 2021.3.4, 2021年3月4日, 20210304, an Excel serial; ValueError else."""
    text = unicodedata.normalize("NFKC", text).strip()
    for pattern in _DATES:
        match = pattern.fullmatch(text)
        if match:
            year, month, day = (int(g) for g in match.groups())
            return dt.date(year, month, day)  # ValueError for 2021-02-30
    match = _EXCEL_SERIAL.fullmatch(text)
    if match:
        return _EXCEL_EPOCH + dt.timedelta(days=int(match.group(1)))
    raise ValueError(text)


def _registry_of(kind: str) -> str:
    """icp or police: the registry a kind of number is filed in (a licence with MIIT)."""
    return "police" if kind == "police" else "icp"


def _kind_of_type(text: str) -> str | None:
    """The registry a 类型 cell names: police, icp, or None when it names neither."""
    key = unicodedata.normalize("NFKC", text).casefold()
    if any(word in key for word in _POLICE_WORDS):
        return "police"
    if any(word in key for word in _ICP_WORDS):
        return "icp"
    return None  # 企业, 政府机关, 门户网站...: not about the registry


def _domains(line: int, text: str) -> tuple[tuple[str, ...], list[RowProblem]]:
    hosts: dict[str, None] = {}  # in the order written, once each
    problems: list[RowProblem] = []
    parts = [p for p in _DOMAIN_SEPARATORS.split(unicodedata.normalize("NFKC", text)) if p]
    if len(parts) > _MOST_DOMAINS:
        reason = f"{len(parts):,} domains, more than the {_MOST_DOMAINS} one record may list"
        return (), [RowProblem(line, "domains", text, reason)]
    for part in parts:
        try:
            _, host = normalise_url(part.removeprefix("*."))  # *.example.com: the domain
        except BadURL as exc:
            reason = str(exc)
            if not reason.startswith("unparseable"):
                reason = f"unparseable domain ({reason})"
            problems.append(RowProblem(line, "domains", part, reason))
            continue
        hosts[host] = None
    return tuple(hosts), problems


def parse_registry(
    path: str | Path, *, sheet: str | None = None, limits: ReadLimits = DEFAULT_LIMITS
) -> RegistryParse:
    """Read a registry export; raises TableError when the file as a whole is unreadable."""
    table = read_table(path, REGISTRY_COLUMNS, required=("number",), sheet=sheet, limits=limits)
    rows: list[RegistryRow] = []
    problems = table_problems(table)
    first_line_of_number: dict[str, int] = {}
    for line, values in table.rows:
        if not any(values.values()):
            problems.append(RowProblem(line, None, None, "empty row"))
            continue
        row_problems: list[RowProblem] = []
        raw_number = values["number"]
        number = main_number = kind = None
        if not raw_number:
            row_problems.append(RowProblem(line, "number", None, "missing"))
        else:
            try:
                number, main_number, kind = normalise_number(raw_number)
            except NumberError as exc:
                row_problems.append(RowProblem(line, "number", raw_number, str(exc)))
        if number is not None:
            earlier = first_line_of_number.setdefault(number, line)
            if earlier != line:
                reason = f"duplicate of line {earlier} (same number {number})"
                row_problems.append(RowProblem(line, "number", raw_number, reason))
        stated = _kind_of_type(values["kind"])
        if kind is not None and stated is not None and stated != _registry_of(kind):
            what = "a public-security number" if kind == "police" else "an ICP number"
            row_problems.append(RowProblem(line, "kind", values["kind"], f"but {number} is {what}"))
        domains, domain_problems = _domains(line, values["domains"])
        row_problems.extend(domain_problems)
        approved_on = None
        if values["approved_on"]:
            try:
                approved_on = parse_date(values["approved_on"])
            except ValueError:
                row_problems.append(
                    RowProblem(line, "approved_on", values["approved_on"], _DATE_EXPECTED)
                )
        sponsor = values["sponsor"] or None
        for name, value in (("number", number), ("sponsor", sponsor)):
            limit = _MAX_LENGTH[name]
            if value is not None and limit is not None and len(value) > limit:
                row_problems.append(
                    RowProblem(line, name, value, f"longer than {limit} characters")
                )
        if row_problems or number is None or main_number is None or kind is None:
            problems.extend(row_problems)
            continue
        rows.append(
            RegistryRow(
                line=line,
                number=number,
                main_number=main_number,
                kind=kind,
                domains=domains,
                sponsor=sponsor,
                approved_on=approved_on,
            )
        )
    return RegistryParse(
        path=table.path,
        rows=rows,
        problems=by_line(problems),
        columns=table.header,
        ignored_columns=table.ignored,
        description=table.description,
        notes=table.notes,
    )


def _source_file(path: Path) -> str:
    text = str(path)
    limit = _MAX_LENGTH["source_file"] or len(text)
    return text if len(text) <= limit else "…" + text[-(limit - 1) :]


def import_registry(
    store: Store,
    path: str | Path,
    *,
    sheet: str | None = None,
    limits: ReadLimits = DEFAULT_LIMITS,
) -> ImportReport:
    """Parse a registry export and upsert its good rows on the number, in one transaction.

    Values from the file overwrite the stored record's; a column the file does not have
    (domains, sponsor, approval date) leaves that field of existing records alone.
    Records the file does not list are kept (an export of one district does not revoke
    the others').
    """
    parsed = parse_registry(path, sheet=sheet, limits=limits)
    fields = [name for name in OPTIONAL_COLUMNS if name in parsed.columns]
    source_file = _source_file(parsed.path)
    records = [
        {
            "number": row.number,
            "main_number": row.main_number,
            "kind": row.kind,
            "domains": list(row.domains),
            "sponsor": row.sponsor,
            "approved_on": row.approved_on,
            "source_file": source_file,
            "source_line": row.line,
        }
        for row in parsed.rows
    ]
    with store.session() as session:
        counts = import_registry_records(session, records, fields=fields)
    return ImportReport.of(parsed, counts)


# -- the registry the audit looks numbers up in -------------------------------------------


def _province(number: str) -> str:
    """The province abbreviation a number opens with (晋ICP备…, 晋公网安备…, 粤B2-…), or ''."""
    return number[0] if number and not number[0].isascii() else ""


class FilingRegistry:
    """The loaded registry (implements ``audit.rules.model.Registry``)."""

    def __init__(self, entries: Iterable[RegistryEntry]) -> None:
        self._by_number: dict[str, RegistryEntry] = {}
        subjects: dict[str, list[RegistryEntry]] = defaultdict(list)
        coverage: set[tuple[str, str]] = set()
        for entry in entries:
            self._by_number[entry.number] = entry
            subjects[entry.main_number].append(entry)
            coverage.add((_registry_of(entry.kind), _province(entry.number)))
        self._subjects = {main: tuple(found) for main, found in subjects.items()}
        self._coverage = frozenset(coverage)

    def __len__(self) -> int:
        return len(self._by_number)

    def get(self, number: str) -> RegistryEntry | None:
        return self._by_number.get(number)

    def under_main(self, main_number: str) -> tuple[RegistryEntry, ...]:
        return self._subjects.get(main_number, ())

    def covers(self, kind: str, number: str) -> bool:
        return (kind, _province(number)) in self._coverage


def entry_of(record: RegistryRecord) -> RegistryEntry:
    where = None
    if record.source_file:
        where = f"{record.source_file}, line {record.source_line}"
    return RegistryEntry(
        number=record.number,
        main_number=record.main_number,
        kind=record.kind or "icp",
        domains=tuple(record.domains or ()),
        sponsor=record.sponsor,
        approved_on=record.approved_on,
        source=where,
    )


def load_registry(session: Session) -> FilingRegistry | None:
    """The imported registry, or None when nothing was imported (BA131/BA132 then judge
    nothing: an empty registry would call every number unknown)."""
    entries = [entry_of(record) for record in registry_records(session)]
    return FilingRegistry(entries) if entries else None
