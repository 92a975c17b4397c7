"""The streamed workbook: readable by openpyxl with every kind of cell, and really streamed
(its first bytes leave before the rows are all read)."""

from __future__ import annotations

import io
from decimal import Decimal

import openpyxl

from ssehub.surveys import xlsxstream


def test_round_trip_through_openpyxl():
    rows = [
        ["id", "name", "ok", "share", "note", *[f"q{i}" for i in range(30)]],
        [1, "Coopérative <&> \"Sol\"", True, 0.25, None, *range(30)],
        [2, "  spaces kept  ", False, Decimal("12.5"), "bell\x07 removed", *["x"] * 30],
    ]
    data = b"".join(xlsxstream.workbook([("responses", rows), ("R&D 'one'", [["a"], [3]])]))
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["responses", "R&D 'one'"]
    sheet = book["responses"]
    assert [c.value for c in sheet[1]][:5] == ["id", "name", "ok", "share", "note"]
    assert [c.value for c in sheet[2]][:5] == [1, "Coopérative <&> \"Sol\"", True, 0.25, None]
    assert [c.value for c in sheet[3]][:5] == [2, "  spaces kept  ", False, 12.5,
                                              "bell removed"]
    assert sheet.cell(row=2, column=35).value == 29  # column AI: past Z
    assert book["R&D 'one'"]["A2"].value == 3
    assert xlsxstream.column_letter(0) == "A" and xlsxstream.column_letter(26) == "AA"


def test_the_first_bytes_leave_before_the_rows_are_read():
    read = []

    def rows():
        for i in range(5 * xlsxstream.ROWS_PER_CHUNK):
            read.append(i)
            yield [i, f"row {i}"]

    stream = xlsxstream.workbook([("big", rows())])
    first = next(stream)
    assert first.startswith(b"PK")  # a zip's first local header
    assert len(read) <= xlsxstream.ROWS_PER_CHUNK  # the rest is not read yet
    data = first + b"".join(stream)
    sheet = openpyxl.load_workbook(io.BytesIO(data), read_only=True)["big"]
    assert sum(1 for _row in sheet.iter_rows()) == 5 * xlsxstream.ROWS_PER_CHUNK
