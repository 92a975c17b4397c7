"""What the importer tells a form author: one ``Problem`` per thing to fix or to know.

Each problem carries the sheet, the spreadsheet row and the column (its letter and its
header) so that an author can go straight to the cell, in any spreadsheet program. Warnings
are kept on the ``FormVersion``; errors stop the import.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from django.utils.translation import gettext as _

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Problem:
    level: str
    message: str
    sheet: str = ""
    row: int | None = None
    column: str = ""  # the column letter, "B"
    header: str = ""  # the column's header, "relevant"

    def where(self) -> str:
        """"survey sheet, row 5, column F (relevant)": the cell, in plain words."""
        parts: list[str] = []
        if self.sheet:
            parts.append(_("%(sheet)s sheet") % {"sheet": self.sheet})
        if self.row is not None:
            parts.append(_("row %(row)d") % {"row": self.row})
        if self.column and self.header:
            parts.append(_("column %(column)s (%(header)s)")
                         % {"column": self.column, "header": self.header})
        elif self.column:
            parts.append(_("column %(column)s") % {"column": self.column})
        elif self.header:
            parts.append(_("column '%(header)s'") % {"header": self.header})
        return ", ".join(parts)

    def __str__(self) -> str:
        where = self.where()
        return f"{where}: {self.message}" if where else self.message

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Problem:
        return cls(**{k: data.get(k) for k in ("level", "message", "sheet", "row", "column",
                                                "header") if k in data})


class FormInvalid(Exception):
    """The form cannot be imported; ``problems`` lists every error found (and warnings)."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        errors = [p for p in problems if p.level == ERROR]
        super().__init__("\n".join(str(p) for p in errors) or _("the form is not valid"))

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == ERROR]


def column_letter(index: int) -> str:
    """0-based column index -> spreadsheet letters (0 -> A, 27 -> AB)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters
