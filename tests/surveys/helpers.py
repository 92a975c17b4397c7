"""Helpers to write small XLSForms in memory: the bad-input tests need many slightly wrong
forms, and building them here keeps each test readable next to what it checks."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

FORMS = Path("/work/shared/data/forms")


def xlsx(sheets: dict[str, list[list[object]]]) -> bytes:
    """An .xlsx file with one worksheet per entry (first row: the headers)."""
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_form(sheets: dict[str, list[list[object]]]) -> bytes:
    """pyxform's CSV layout: the sheet name in column A, then its rows."""
    out = io.StringIO()
    writer = csv.writer(out)
    for name, rows in sheets.items():
        writer.writerow([name])
        for row in rows:
            writer.writerow(["", *row])
    return out.getvalue().encode()


SURVEY_HEADER = ["type", "name", "label", "relevant", "constraint", "required"]


def simple(rows: list[list[object]] | None = None, choices: list[list[object]] | None = None,
           header: list[str] | None = None) -> dict[str, list[list[object]]]:
    sheets = {"survey": [header or SURVEY_HEADER, *(rows or [
        ["text", "org", "Organisation"],
        ["select_one yn", "member", "Member?"],
        ["integer", "staff", "Staff", "${member} = 'yes'", ". >= 0"],
    ])]}
    sheets["choices"] = [["list_name", "name", "label"], *(choices or [
        ["yn", "yes", "Yes"], ["yn", "no", "No"],
    ])]
    return sheets


def shared_forms() -> Path:
    """The shared XLSForm examples (skip, rather than fail, where they are not mounted)."""
    if not FORMS.is_dir():
        pytest.skip("the shared XLSForm examples are not available")
    return FORMS
