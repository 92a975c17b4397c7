"""Read an XLSForm (.xlsx, .xls or .csv) into sheets of rows that remember where they came from.

Why not let pyxform read the file: we need the spreadsheet row and column of every value to
report problems in plain words, and we must bound the work before a hostile file is unpacked
(zip bombs, sheets with a million rows). So the file is read here, with limits, and the rows
are handed to pyxform as the workbook dictionary it accepts; pyxform's own ``[row : N]`` then
points at the same rows.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from ssehub.surveys import conf
from ssehub.surveys.problems import ERROR, WARNING, FormInvalid, Problem, column_letter

XLSFORM_SHEETS = ("survey", "choices", "settings", "external_choices", "entities", "osm")
# Like pyxform: a run this long of empty rows (or header cells) ends the sheet, so a sheet
# "formatted" down to row 1,048,576 is not read to the end.
EMPTY_RUN = 60
EMPTY_HEADER_RUN = 20
_SPACES = re.compile(r"\s+")


@dataclass
class Row:
    number: int  # the row number as the spreadsheet program shows it
    values: dict[str, str]


@dataclass
class Sheet:
    name: str  # as written in the file
    headers: list[str]  # one per column; "" for a column without a header
    header_row: int
    rows: list[Row] = field(default_factory=list)
    first_column: int = 0  # CSV XLSForms spend column A on the sheet name

    def column(self, header: str) -> str:
        """The letter of the column whose header is ``header`` ("" if there is none)."""
        try:
            return column_letter(self.headers.index(header) + self.first_column)
        except ValueError:
            return ""

    def find_header(self, *names: str) -> str | None:
        """The header (as written) matching one of ``names``, ignoring case and spacing."""
        wanted = {n.lower() for n in names}
        for header in self.headers:
            if header and _SPACES.sub(" ", header.strip().lower()) in wanted:
                return header
        return None


@dataclass
class Workbook:
    file_type: str  # "xlsx", "xls" or "csv"
    sheets: dict[str, Sheet]  # by lower-case name
    sheet_names: list[str]  # every sheet, as written, in order
    problems: list[Problem] = field(default_factory=list)  # warnings found while reading

    def to_pyxform(self, fallback_name: str) -> dict[str, Any]:
        """The workbook dictionary ``pyxform.xls2xform.convert`` accepts."""
        out: dict[str, Any] = {"sheet_names": self.sheet_names,
                               "fallback_form_name": fallback_name}
        for key in XLSFORM_SHEETS:
            sheet = self.sheets.get(key)
            if sheet is None:
                continue
            out[key] = [row.values for row in sheet.rows]
            out[f"{key}_header"] = [{h: None for h in sheet.headers if h}]
        return out


def _fail(message: str, sheet: str = "", row: int | None = None) -> FormInvalid:
    return FormInvalid([Problem(ERROR, message, sheet=sheet, row=row)])


def detect(data: bytes, filename: str = "") -> str:
    """The file type from its first bytes (the name is only a hint: forms get renamed)."""
    if data.startswith(b"PK\x03\x04"):
        return "xlsx"
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "xls"
    head = data[:4096]
    if b"\x00" in head:
        raise _fail(_("This is not a spreadsheet: expected an XLSForm as .xlsx, .xls or .csv."))
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A cut in the middle of a multi-byte character at the 4096 boundary is fine.
        if exc.start < len(head) - 4:
            raise _fail(_("This is not a spreadsheet: expected an XLSForm as .xlsx, .xls or "
                          ".csv (a CSV file must be UTF-8).")) from exc
    return "csv"


def read_workbook(data: bytes, filename: str = "") -> Workbook:
    """Read ``data``; raise ``FormInvalid`` with a plain message when it cannot be read."""
    limit = conf.get("SSEHUB_SURVEY_MAX_FILE_BYTES")
    if len(data) > limit:
        raise _fail(_("The file is %(size)s bytes, over the limit of %(limit)s bytes.")
                    % {"size": f"{len(data):,}", "limit": f"{limit:,}"})
    if not data.strip():
        raise _fail(_("The file is empty."))
    kind = detect(data, filename)
    reader = {"xlsx": _read_xlsx, "xls": _read_xls, "csv": _read_csv}[kind]
    book = reader(data)
    if not any(sheet.rows or any(sheet.headers) for sheet in book.sheets.values()):
        raise _fail(_("The workbook is empty: it has no XLSForm sheet with content "
                      "(sheets found: %(sheets)s).")
                    % {"sheets": ", ".join(book.sheet_names) or _("none")})
    return book


def _clean_header(value: Any) -> str:
    if value is None:
        return ""
    return _SPACES.sub(" ", str(value).strip())


def _headers(sheet_name: str, values: list[Any], first_column: int, row: int) -> list[str]:
    max_columns = conf.get("SSEHUB_SURVEY_MAX_COLUMNS")
    headers: list[str] = []
    empty = 0
    for value in values:
        header = _clean_header(value)
        headers.append(header)
        empty = 0 if header else empty + 1
        if empty >= EMPTY_HEADER_RUN:
            break
        if len(headers) > max_columns:
            raise _fail(_("The sheet has more than %(limit)s columns.") % {"limit": max_columns},
                        sheet=sheet_name, row=row)
    while headers and not headers[-1]:
        headers.pop()
    seen: dict[str, int] = {}
    for index, header in enumerate(headers):
        key = header.lower()
        if not header:
            continue
        if key in seen:
            raise FormInvalid([Problem(
                ERROR,
                _("The column header '%(header)s' appears twice (columns %(first)s and "
                  "%(second)s); each column must have its own header.")
                % {"header": header, "first": column_letter(seen[key] + first_column),
                   "second": column_letter(index + first_column)},
                sheet=sheet_name, row=row, column=column_letter(index + first_column),
                header=header)])
        seen[key] = index
    return headers


class _SheetBuilder:
    """Collects rows of one sheet, enforcing the row limit and stopping at an empty run."""

    def __init__(self, name: str, headers: list[str], header_row: int, first_column: int = 0):
        self.sheet = Sheet(name=name, headers=headers, header_row=header_row,
                           first_column=first_column)
        self.limit = conf.get("SSEHUB_SURVEY_MAX_ROWS")
        self.empty = 0
        self.done = False

    def add(self, number: int, cells: list[str]) -> None:
        values = {h: v for h, v in zip(self.sheet.headers, cells, strict=False) if h and v}
        self.empty = 0 if values else self.empty + 1
        if self.empty >= EMPTY_RUN:
            self.done = True
            return
        if len(self.sheet.rows) >= self.limit:
            raise _fail(_("The sheet has more than %(limit)s rows (the limit for a form; "
                          "setting SSEHUB_SURVEY_MAX_ROWS).") % {"limit": f"{self.limit:,}"},
                        sheet=self.sheet.name, row=number)
        self.sheet.rows.append(Row(number, values))

    def finish(self) -> Sheet:
        while self.sheet.rows and not self.sheet.rows[-1].values:
            self.sheet.rows.pop()
        return self.sheet


def _keep(book: Workbook, name: str, total: int) -> str | None:
    """The key a sheet is kept under, or None (a warning says it was ignored)."""
    key = name.strip().lower()
    if key in XLSFORM_SHEETS:
        return key
    if total == 1:
        return "survey"  # pyxform's rule: a lone sheet is the survey, whatever its name
    book.problems.append(Problem(
        WARNING, _("This sheet is not an XLSForm sheet (survey, choices, settings...) and was "
                   "ignored."), sheet=name))
    return None


def _first_line(exc: BaseException) -> str:
    """Library errors can run over several lines of advice for programmers: keep the first."""
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _xlsx_text(value: Any) -> str:
    from pyxform.xls2json_backends import xlsx_value_to_str

    if value is None:
        return ""
    if isinstance(value, str):
        value = value.strip()
        if not value:
            return ""
    return xlsx_value_to_str(value)


def _read_xlsx(data: bytes) -> Workbook:
    import openpyxl

    from ssehub.library.ingest.extract import IngestError, _check_zip

    try:
        _check_zip(data)
    except IngestError as exc:
        if zipfile.is_zipfile(io.BytesIO(data)):
            raise _fail(_("Refused: the .xlsx file would unpack to more than %(limit)s bytes "
                          "(a zip bomb?).")
                        % {"limit": f"{settings.SSEHUB_MAX_UNZIPPED_BYTES:,}"}) from exc
        raise _fail(_("The .xlsx file is damaged and cannot be opened.")) from exc
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        if not any(n.startswith("xl/") for n in archive.namelist()):
            raise _fail(_("This is not a spreadsheet: the file is a zip archive without an "
                          "Excel workbook in it (a Word document?). Expected an XLSForm as "
                          ".xlsx, .xls or .csv."))
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken or foreign package
        raise _fail(_("This .xlsx file cannot be read as a spreadsheet (%(error)s): expected "
                      "an XLSForm as .xlsx, .xls or .csv.") % {"error": _first_line(exc)}) \
            from exc
    try:
        return _xlsx_sheets(workbook)
    except FormInvalid:
        raise
    except Exception as exc:  # read-only mode parses sheets lazily: broken XML shows up here
        raise _fail(_("This .xlsx file cannot be read (%(error)s).")
                    % {"error": _first_line(exc)}) from exc
    finally:
        workbook.close()


def _xlsx_sheets(workbook: Any) -> Workbook:
    """The XLSForm sheets of an open openpyxl workbook."""
    book = Workbook("xlsx", {}, list(workbook.sheetnames))
    for name in workbook.sheetnames:
        key = _keep(book, name, len(workbook.sheetnames))
        if key is None or key in book.sheets:
            continue
        rows = workbook[name].iter_rows(values_only=True)
        first = next(rows, None)
        if first is None:
            book.sheets[key] = Sheet(name, [], 1)
            continue
        headers = _headers(name, list(first), 0, 1)
        builder = _SheetBuilder(name, headers, 1)
        width = len(headers)
        for number, values in enumerate(rows, start=2):
            builder.add(number, [_xlsx_text(v) for v in values[:width]])
            if builder.done:
                break
        book.sheets[key] = builder.finish()
    return book


def _read_xls(data: bytes) -> Workbook:
    import xlrd
    from pyxform.xls2json_backends import xls_value_to_unicode

    try:
        workbook = xlrd.open_workbook(file_contents=data, on_demand=True)
    except Exception as exc:  # xlrd raises XLRDError, CompDocError, struct.error...
        raise _fail(_("This .xls file cannot be read (%(error)s).")
                    % {"error": _first_line(exc)}) from exc
    try:
        names = workbook.sheet_names()
        book = Workbook("xls", {}, list(names))
        max_rows = conf.get("SSEHUB_SURVEY_MAX_ROWS")
        for index, name in enumerate(names):
            key = _keep(book, name, len(names))
            if key is None or key in book.sheets:
                continue
            sheet = workbook.sheet_by_index(index)
            if sheet.nrows == 0:
                book.sheets[key] = Sheet(name, [], 1)
                continue
            if sheet.nrows > max_rows + EMPTY_RUN + 1:
                raise _fail(_("The sheet has more than %(limit)s rows (the limit for a form; "
                              "setting SSEHUB_SURVEY_MAX_ROWS).") % {"limit": f"{max_rows:,}"},
                            sheet=name)

            def text(r: int, c: int, sheet: Any = sheet) -> str:
                cell = sheet.cell(r, c)
                if cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
                    return ""
                if cell.ctype == xlrd.XL_CELL_TEXT:
                    return cell.value.strip()
                return xls_value_to_unicode(cell.value, cell.ctype, workbook.datemode)

            headers = _headers(name, [text(0, c) for c in range(sheet.ncols)], 0, 1)
            builder = _SheetBuilder(name, headers, 1)
            width = min(len(headers), sheet.ncols)
            for r in range(1, sheet.nrows):
                builder.add(r + 1, [text(r, c) for c in range(width)])
                if builder.done:
                    break
            book.sheets[key] = builder.finish()
            workbook.unload_sheet(index)
        return book
    finally:
        workbook.release_resources()


def _read_csv(data: bytes) -> Workbook:
    """pyxform's CSV layout: column A names the sheet, the other columns hold its rows."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise _fail(_("The CSV file is not UTF-8 (line %(line)d): save it as \"CSV UTF-8\".")
                    % {"line": line}) from exc
    book = Workbook("csv", {}, [])
    builders: dict[str, _SheetBuilder] = {}
    current: str | None = None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        for record in reader:
            number = reader.line_num
            name = record[0].strip() if record else ""
            cells = [c.strip() for c in record[1:]]
            if name:
                if name not in book.sheet_names:
                    book.sheet_names.append(name)
                current = name.lower()
                if current not in XLSFORM_SHEETS:
                    book.problems.append(Problem(
                        WARNING, _("This sheet is not an XLSForm sheet (survey, choices, "
                                   "settings...) and was ignored."), sheet=name))
                    current = ""
            if not current:
                continue
            builder = builders.get(current)
            if builder is None:
                if any(cells):
                    headers = _headers(name or current, cells, 1, number)
                    builders[current] = _SheetBuilder(name or current, headers, number, 1)
                continue
            if not builder.done:
                builder.add(number, cells)
    except csv.Error as exc:
        raise _fail(_("The CSV file cannot be read at line %(line)d: %(error)s")
                    % {"line": reader.line_num, "error": exc}) from exc
    for key, builder in builders.items():
        book.sheets[key] = builder.finish()
    if "survey" not in book.sheets and not builders:
        raise _fail(_("This is not an XLSForm: a CSV XLSForm names its sheets (survey, "
                      "choices, settings) in the first column."))
    return book
