"""An .xlsx workbook written as a stream of bytes, sheet by sheet and row by row.

Why: openpyxl (even in write-only mode) finishes the zip archive only when the workbook is
saved, so a download of 100,000 responses waited about 25 s for its first byte, long enough for
a proxy to give up. An .xlsx file is a zip of XML parts, and Python's ``zipfile`` can write a
zip to a stream that cannot seek (entries then carry data descriptors), so the rows can go out
as they are read: constant memory, first bytes at once. Cells are numbers, booleans or inline
strings (no shared-strings table, which would need every string before the first sheet);
openpyxl, LibreOffice and Excel read the result (tests/surveys read it back with openpyxl).
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape, quoteattr

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
BOOK_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
ROWS_PER_CHUNK = 500
# Characters XML 1.0 cannot carry at all (answers are user input).
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
MAX_CELL = 32_767  # Excel's limit on the characters of a cell


class _Sink(io.RawIOBase):
    """An unseekable file that keeps what is written until it is taken."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:  # type: ignore[override]
        self._parts.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        return data


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _cell(ref: str, value: Any) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, int | float):
        if value != value or value in (float("inf"), float("-inf")):  # NaN, infinities
            value = str(value)
        else:
            return f'<c r="{ref}"><v>{value!r}</v></c>'
    text = _ILLEGAL.sub("", str(value))[:MAX_CELL]
    space = ' xml:space="preserve"' if text != text.strip() else ""
    return f'<c r="{ref}" t="inlineStr"><is><t{space}>{escape(text)}</t></is></c>'


def _row(number: int, values: Iterable[Any]) -> str:
    cells = "".join(_cell(f"{column_letter(i)}{number}", v) for i, v in enumerate(values))
    return f'<row r="{number}">{cells}</row>'


def workbook(sheets: Iterable[tuple[str, Iterable[Iterable[Any]]]]) -> Iterator[bytes]:
    """The bytes of an .xlsx file with these (title, rows) sheets, a few hundred rows at a
    time. Titles must already be valid and unique (31 characters, no []:*?/\\)."""
    sink = _Sink()
    titles: list[str] = []
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for title, rows in sheets:
            titles.append(title)
            name = f"xl/worksheets/sheet{len(titles)}.xml"
            with archive.open(name, "w", force_zip64=True) as part:
                part.write(f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                           f'<worksheet xmlns="{MAIN}"><sheetData>'.encode())
                buffer: list[str] = []
                for number, values in enumerate(rows, start=1):
                    buffer.append(_row(number, values))
                    if len(buffer) >= ROWS_PER_CHUNK:
                        part.write("".join(buffer).encode())
                        buffer.clear()
                        yield sink.take()
                part.write(("".join(buffer) + "</sheetData></worksheet>").encode())
            yield sink.take()
        archive.writestr("[Content_Types].xml", _content_types(len(titles)))
        archive.writestr("_rels/.rels", (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships '
            f'xmlns="{PKG}"><Relationship Id="rId1" Type="{REL}/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>'))
        archive.writestr("xl/workbook.xml", (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook '
            f'xmlns="{MAIN}" xmlns:r="{REL}"><sheets>'
            + "".join(f'<sheet name={quoteattr(t)} sheetId="{i}" r:id="rId{i}"/>'
                      for i, t in enumerate(titles, start=1))
            + "</sheets></workbook>"))
        archive.writestr("xl/_rels/workbook.xml.rels", (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships '
            f'xmlns="{PKG}">'
            + "".join(f'<Relationship Id="rId{i}" Type="{REL}/worksheet" '
                      f'Target="worksheets/sheet{i}.xml"/>' for i in range(1, len(titles) + 1))
            + "</Relationships>"))
    yield sink.take()


def _content_types(count: int) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="http://schemas.'
        'openxmlformats.org/package/2006/content-types"><Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{BOOK_TYPE}"/>'
        + "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{SHEET_TYPE}"/>'
                  for i in range(1, count + 1))
        + "</Types>")
