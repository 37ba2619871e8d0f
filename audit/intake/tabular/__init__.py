"""Read the tables analysts keep: CSV or text exported from Excel/WPS, or .xlsx workbooks.

One reader for every import (the site inventory, the filing registry, ...): the
caller names its fields and the header aliases each may appear under, and gets
back text values keyed by field, each row with the line number the analyst sees
(the header is line 1 in a text editor, row 1 in Excel).

Files are hostile until read: every size is bounded (:class:`ReadLimits`), a file
beyond a bound is refused in one line naming the file and the limit, a cell longer
than a cell can be rejects its row only, and reading stops after a long run of empty
rows. The parts:

- :mod:`.text`: CSV and text files (encoding and delimiter detection);
- :mod:`.xlsx`: workbooks, streamed from the zip's XML (:mod:`.zipparts`,
  :mod:`.xmlstream`);
- :mod:`.assemble`: the header, then rows of fields; :mod:`.headers`, :mod:`.cells`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from pathlib import Path

from audit.excerpt import excerpt, excerpts
from audit.intake.tabular.assemble import assemble
from audit.intake.tabular.cells import cell_text, clean_cell
from audit.intake.tabular.headers import Matcher, normalise_header
from audit.intake.tabular.model import (
    DEFAULT_LIMITS,
    CellProblem,
    ReadLimits,
    Table,
    TableError,
    TooLong,
)
from audit.intake.tabular.text import OLE2_MAGIC, ZIP_MAGIC, read_text
from audit.intake.tabular.xlsx import Workbook

__all__ = [
    "DEFAULT_LIMITS",
    "SUPPORTED_EXTENSIONS",
    "CellProblem",
    "ReadLimits",
    "Table",
    "TableError",
    "TooLong",
    "cell_text",
    "clean_cell",
    "normalise_header",
    "read_table",
]

SUPPORTED_EXTENSIONS = (".csv", ".txt", ".tsv", ".xlsx")
# Formats an analyst is likely to have, with what to do instead.
_SAVE_AS_XLSX = {
    ".xls": "an Excel 97-2003 workbook",
    ".et": "a WPS spreadsheet",
    ".ods": "an OpenDocument spreadsheet",
    ".numbers": "a Numbers spreadsheet",
}


def read_table(
    path: str | Path,
    columns: Mapping[str, Sequence[str]],
    *,
    required: Collection[str] = (),
    sheet: str | None = None,
    limits: ReadLimits = DEFAULT_LIMITS,
) -> Table:
    """Read a .csv/.txt/.tsv or .xlsx file into a :class:`Table`.

    ``columns`` maps each field to the headers it may appear under (compared
    ignoring case, spaces, underscores, hyphens, full-width forms and a ``*`` or
    ``（必填）`` marker; the field name itself is accepted too). When several
    columns match one field, the one matching the earlier alias is used and the
    others are ignored. ``sheet`` picks a workbook's sheet (default: the first).
    Raises :class:`TableError` for a problem with the whole file.
    """
    path = Path(path)
    matcher = Matcher(columns)
    unknown = [f for f in required if f not in columns]
    if unknown:
        raise ValueError(f"required fields not in columns: {unknown}")
    extension = path.suffix.lower()
    if extension in _SAVE_AS_XLSX:
        raise TableError(
            f"{path}: {_SAVE_AS_XLSX[extension]} ({extension}) cannot be read:"
            " open it in Excel or WPS and save it as .xlsx (Excel 工作簿) or as CSV UTF-8"
        )
    if extension not in SUPPORTED_EXTENSIONS:
        raise TableError(
            f"{path}: unsupported file type {excerpt(extension) or '(no extension)'!r}:"
            f" supported are {', '.join(SUPPORTED_EXTENSIONS)}"
        )
    if not path.exists():
        raise TableError(f"{path}: file not found")
    if path.is_dir():
        raise TableError(f"{path}: is a folder, not a file")
    if extension == ".xlsx":
        return _read_xlsx(path, matcher, required, sheet, limits)
    if sheet is not None:
        raise TableError(f"{path}: a sheet can only be chosen in an .xlsx workbook")
    return read_text(path, matcher, required, limits)


def _read_xlsx(
    path: Path,
    matcher: Matcher,
    required: Collection[str],
    sheet: str | None,
    limits: ReadLimits,
) -> Table:
    try:
        with path.open("rb") as handle:
            magic = handle.read(8)
    except OSError as exc:
        raise TableError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if magic == OLE2_MAGIC:
        raise TableError(
            f"{path}: is an old .xls workbook or a password-protected one:"
            " save it in Excel or WPS as .xlsx without a password"
        )
    if not magic.startswith(ZIP_MAGIC):
        raise TableError(f"{path}: is not an .xlsx workbook (a text file renamed .xlsx?)")
    with Workbook(path, limits) as workbook:
        names = [part.name for part in workbook.sheets]
        if not names:
            raise TableError(f"{path}: the workbook has no worksheet")
        if sheet is None:
            chosen = workbook.sheets[0]
        elif sheet in names:
            chosen = workbook.sheets[names.index(sheet)]
        else:
            raise TableError(
                f"{path}: no sheet {excerpt(sheet)!r}; the sheets are"
                f" {excerpts(names, quoted=True)}"
            )
        others = [name for name in names if name != chosen.name]
        where = f"{path}, sheet {excerpt(chosen.name)!r}"
        try:
            merged, notes = workbook.merged(chosen)
            return assemble(
                where,
                workbook.rows(chosen),
                matcher,
                required,
                limits,
                hint=f" (other sheets: {excerpts(others)})" if others else "",
                merged=merged,
                notes=notes,
                path=path,
                sheet=chosen.name,
            )
        except TableError:
            raise
        except Exception as exc:  # a damaged sheet this reader did not foresee: one line
            raise TableError(f"{where}: cannot read the sheet: {_first_line(exc)}") from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return excerpt(text.splitlines()[0]) if text else type(exc).__name__
