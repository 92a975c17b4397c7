"""XLSForm import: read, check, validate with pyxform, build the definition, store a version.

The order matters for the author: our own checks run first because they know the exact cell
(an unknown type, a missing choice list, a broken ``relevant`` with the parser's position);
pyxform then validates everything else the XLSForm standard says (it runs once ours pass, so
one mistake is not reported twice in two wordings), and its errors and
warnings are rewritten in plain words with the sheet, row and column. Features the hub does
not support yet (a type, an appearance, a function) are warnings naming the row, kept on the
``FormVersion``, never dropped silently.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from ssehub.library import storage
from ssehub.surveys import expressions
from ssehub.surveys.definition import (
    SUPPORTED_APPEARANCES,
    FormDefinition,
    build,
    is_supported_type,
)
from ssehub.surveys.problems import ERROR, WARNING, FormInvalid, Problem
from ssehub.surveys.reader import Sheet, Workbook, read_workbook

# Columns holding expressions: our name -> the headers (any case) authors use for them.
EXPRESSION_COLUMNS: dict[str, tuple[str, ...]] = {
    "relevant": ("relevant", "relevance", "bind:relevant"),
    "constraint": ("constraint", "bind:constraint"),
    "calculation": ("calculation", "calculate", "bind:calculate"),
    "required": ("required", "bind:required"),
    "read_only": ("read_only", "readonly", "read only", "bind:readonly"),
    "choice_filter": ("choice_filter",),
    "repeat_count": ("repeat_count", "jr:count", "count", "control:jr:count"),
    "default": ("default",),  # only when it refers to an answer (a dynamic default)
}
_FLAG_COLUMNS = {"required", "read_only"}
_LITERAL_FLAGS = {"", "yes", "no", "true", "false", "true()", "false()"}
_TYPE_HEADERS = ("type", "command")
_NAME_HEADERS = ("name", "tag", "value")
_APPEARANCE_HEADERS = ("appearance", "control:appearance")
_LIST_NAME_HEADERS = ("list_name", "list name")
_PYXFORM_ROW = re.compile(r"^\[row : (\d+)\]\s*")
_PYXFORM_SHEET_VALUE = re.compile(
    r"^On the '(\w+)' sheet, the '([^']*)' value is invalid\.\s*")
_LEARN_MORE = re.compile(r"\s*Learn more: \S+\s*$")
_TYPOGRAPHIC_QUOTES = "\u2018\u2019\u201c\u201d"
_FROM_FILE = re.compile(r"\.(csv|xml|geojson)$", re.IGNORECASE)


@dataclass
class Validation:
    """The outcome of reading and checking a form (nothing stored yet)."""

    definition: FormDefinition
    problems: list[Problem] = field(default_factory=list)
    file_type: str = ""

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.level == WARNING]


# --------------------------------------------------------------------------- our checks

@dataclass
class _RowInfo:
    row: int
    type: str
    name: str
    path: str
    kind: str  # "begin", "end", "select", "question"
    list_name: str = ""
    or_other: bool = False


@functools.cache
def _known_types(_size: int) -> frozenset[str]:
    """pyxform's question types, lower-cased (computed once, not once per row)."""
    from pyxform.question_type_dictionary import QUESTION_TYPE_DICT

    return frozenset(k.lower() for k in QUESTION_TYPE_DICT)


def _type_of(raw: str) -> tuple[str, str, bool] | None:
    """Classify a type cell: (kind, list name, or_other), or None if XLSForm does not know it."""
    from pyxform.question_type_dictionary import QUESTION_TYPE_DICT
    from pyxform.xls2json import RE_BEGIN_CONTROL, RE_END_CONTROL, RE_OSM, RE_SELECT

    text = re.sub(r"\s+", " ", raw.strip())
    lower = text.lower()
    if m := RE_BEGIN_CONTROL.search(lower):
        return "begin", m.group("type"), False
    if RE_END_CONTROL.search(lower):
        return "end", "", False
    if m := RE_SELECT.search(text):
        return "select", m.group("list_name"), bool(m.group("specify_other"))
    if RE_OSM.search(lower):
        return "question", "", False
    if lower in _known_types(len(QUESTION_TYPE_DICT)):
        return "question", "", False
    return None


class _Checker:
    def __init__(self, book: Workbook) -> None:
        self.book = book
        self.problems: list[Problem] = list(book.problems)
        self.rows: dict[str, int] = {}  # element path -> row
        self.or_other: set[str] = set()

    def add(self, level: str, message: str, sheet: Sheet | None = None, row: int | None = None,
            header: str = "") -> None:
        self.problems.append(Problem(
            level, message, sheet=sheet.name if sheet else "", row=row,
            column=sheet.column(header) if sheet and header else "", header=header))

    def run(self) -> None:
        survey = self.book.sheets.get("survey")
        if survey is None:
            self.add(ERROR, _("The workbook has no 'survey' sheet (sheets found: %(sheets)s).")
                     % {"sheets": ", ".join(self.book.sheet_names) or _("none")})
            return
        if not survey.rows:
            self.add(ERROR, _("The survey sheet has no questions."), survey, survey.header_row)
            return
        type_header = survey.find_header(*_TYPE_HEADERS)
        name_header = survey.find_header(*_NAME_HEADERS)
        for label, header in (("type", type_header), ("name", name_header)):
            if header is None:
                self.add(ERROR, _("The survey sheet has no '%(column)s' column: its first row "
                                  "must name the columns (type, name, label...).")
                         % {"column": label}, survey, survey.header_row)
        if type_header is None or name_header is None:
            return
        infos = self.check_rows(survey, type_header, name_header)
        self.check_choice_lists(survey, type_header, infos)
        self.check_expressions(survey, infos)
        self.check_appearances(survey)

    def check_rows(self, survey: Sheet, type_header: str, name_header: str) -> list[_RowInfo]:
        infos: list[_RowInfo] = []
        stack: list[str] = []
        seen: dict[tuple[str, str], int] = {}  # (parent path, lower name) -> row
        for index, row in enumerate(survey.rows):
            raw = row.values.get(type_header, "")
            name = row.values.get(name_header, "").strip()
            if not name and raw.strip().lower() == "note":
                name = f"generated_note_name_{index + 2}"  # what pyxform names it
            if not raw:
                if name:
                    self.add(ERROR, _("The question '%(name)s' has no type.") % {"name": name},
                             survey, row.number, type_header)
                continue
            kind = _type_of(raw)
            if kind is None:
                self.add(ERROR, _("'%(type)s' is not a question type XLSForm knows (for "
                                  "example text, integer, select_one LIST, begin_group).")
                         % {"type": raw}, survey, row.number, type_header)
                continue
            what, extra, or_other = kind
            if what == "end":
                if stack:
                    stack.pop()
                continue
            if not name:
                self.add(ERROR, _("The '%(type)s' row has no name (the name column is how "
                                  "answers are stored and referred to as ${name}).")
                         % {"type": raw}, survey, row.number, name_header)
                continue
            parent = "/".join(stack)
            key = (parent, name.lower())
            if key in seen:
                self.add(ERROR, _("The name '%(name)s' is already used on row %(row)d in the "
                                  "same group; names must be unique.")
                         % {"name": name, "row": seen[key]}, survey, row.number, name_header)
            else:
                seen[key] = row.number
            path = f"{parent}/{name}" if parent else name
            self.rows.setdefault(path, row.number)
            info = _RowInfo(row.number, raw, name, path,
                            "select" if what == "select" else what,
                            list_name=extra if what == "select" else "", or_other=or_other)
            infos.append(info)
            if or_other:
                self.or_other.add(path)
                self.rows.setdefault(f"{path}_other", row.number)
            if what == "begin":
                # pyxform adds a NAME_count calculation beside a repeat whose count is a
                # number or an expression (a plain ${ref} is used as it is).
                count_header = survey.find_header(*EXPRESSION_COLUMNS["repeat_count"])
                count = row.values.get(count_header or "", "").strip()
                if count and not re.fullmatch(r"\$\{[^}]+\}", count):
                    self.rows.setdefault(f"{path}_count", row.number)
                if extra == "loop":
                    self.add(WARNING, _("'begin loop' is not supported by the SSE Hub web "
                                        "form yet: the loop and its questions are kept in the "
                                        "definition and will not be shown."),
                             survey, row.number, type_header)
                stack.append(name)
            elif what == "question" and not is_supported_type(raw):
                self.add(WARNING, _("The type '%(type)s' is valid XLSForm but not supported by "
                                    "the SSE Hub web form yet: the question is kept in the "
                                    "definition and will not be shown.") % {"type": raw},
                         survey, row.number, type_header)
            elif what == "select" and ("external" in raw.lower() or "file" in raw.lower()):
                self.add(WARNING, _("'%(type)s' takes its choices from outside the workbook, "
                                    "which the SSE Hub web form does not support yet: the "
                                    "question is kept and will not be shown.") % {"type": raw},
                         survey, row.number, type_header)
        first: dict[str, _RowInfo] = {}
        for info in infos:
            earlier = first.setdefault(info.name.lower(), info)
            if earlier is not info and earlier.path.rpartition("/")[0] != \
                    info.path.rpartition("/")[0]:
                self.add(WARNING, _("The name '%(name)s' is also used on row %(row)d in "
                                    "another group: ${%(name)s} is ambiguous.")
                         % {"name": info.name, "row": earlier.row}, survey, info.row,
                         name_header)
        return infos

    def check_choice_lists(self, survey: Sheet, type_header: str, infos: list[_RowInfo]) -> None:
        choices = self.book.sheets.get("choices")
        lists: set[str] = set()
        if choices is not None:
            list_header = choices.find_header(*_LIST_NAME_HEADERS)
            if list_header is None and choices.rows:
                self.add(ERROR, _("The choices sheet has no 'list_name' column."), choices,
                         choices.header_row)
            elif list_header is not None:
                lists = {r.values[list_header].strip() for r in choices.rows
                         if r.values.get(list_header)}
        for info in infos:
            if info.kind != "select" or _FROM_FILE.search(info.list_name):
                continue
            if "external" in info.type.lower():
                continue  # choices on the external_choices sheet
            if info.list_name not in lists:
                self.add(ERROR, _("'%(type)s' refers to the choice list '%(list)s', which is not "
                                  "on the choices sheet.")
                         % {"type": info.type, "list": info.list_name}, survey, info.row,
                         type_header)

    def check_expressions(self, survey: Sheet, infos: list[_RowInfo]) -> None:
        names = {i.name for i in infos} | {f"{p.rsplit('/', 1)[-1]}_other"
                                           for p in self.or_other}
        name_of = {i.row: i.name for i in infos}
        calculations: dict[str, tuple[int, str, set[str]]] = {}
        for column, aliases in EXPRESSION_COLUMNS.items():
            header = survey.find_header(*aliases)
            if header is None:
                continue
            for row in survey.rows:
                text = row.values.get(header, "").strip()
                if not text:
                    continue
                if column in _FLAG_COLUMNS and text.lower() in _LITERAL_FLAGS:
                    continue
                if column == "repeat_count" and text.isdigit():
                    continue
                if column == "default" and "${" not in text:
                    continue  # a literal default ("a c", "2024-01-01"), not an expression
                if any(q in text for q in _TYPOGRAPHIC_QUOTES):
                    self.add(WARNING, _("The expression %(expr)s uses typographic quotes "
                                        "(‘ ’ “ ”); they are read as plain quotes here, but "
                                        "other XLSForm tools may reject them.")
                             % {"expr": _quote(text)}, survey, row.number, header)
                try:
                    node = expressions.parse(text)
                except expressions.ParseError as exc:
                    self.add(ERROR, _("The expression %(expr)s cannot be read: %(reason)s at "
                                      "character %(pos)d.")
                             % {"expr": _quote(text), "reason": exc.message,
                                "pos": exc.position + 1}, survey, row.number, header)
                    continue
                if column == "calculation" and name_of.get(row.number):
                    calculations[name_of[row.number]] = (row.number, header,
                                                         expressions.references(node) & names)
                for ref in sorted(expressions.references(node) - names):
                    self.add(ERROR, _("${%(ref)s} refers to a question that does not exist.")
                             % {"ref": ref}, survey, row.number, header)
                for call in expressions.unsupported_functions(node):
                    self.add(WARNING, _("The function %(fn)s() (character %(pos)d) is not "
                                        "supported by the SSE Hub evaluator yet: this "
                                        "expression cannot be checked on the server.")
                             % {"fn": call.name, "pos": call.pos + 1}, survey, row.number,
                             header)

        self.check_cycles(survey, calculations)

    def check_cycles(self, survey: Sheet,
                     calculations: dict[str, tuple[int, str, set[str]]]) -> None:
        """Calculations that depend on each other in a circle can never be computed."""
        state: dict[str, int] = {}  # 1: being visited, 2: done
        reported: set[frozenset[str]] = set()
        for start in calculations:
            if state.get(start):
                continue
            # Iterative depth-first search (a long chain of calculations must not recurse).
            stack: list[tuple[str, list[str]]] = [(start, sorted(calculations[start][2]))]
            trail = [start]
            state[start] = 1
            while stack:
                node, pending = stack[-1]
                if not pending:
                    stack.pop()
                    trail.pop()
                    state[node] = 2
                    continue
                nxt = pending.pop()
                if nxt not in calculations or state.get(nxt) == 2:
                    continue
                if state.get(nxt) == 1:
                    cycle = trail[trail.index(nxt):] + [nxt]
                    if frozenset(cycle) not in reported:
                        reported.add(frozenset(cycle))
                        row, header, _refs = calculations[cycle[0]]
                        self.add(ERROR, _("The calculations %(cycle)s depend on each other in a "
                                          "circle, so none of them can be computed.")
                                 % {"cycle": " → ".join(f"${{{n}}}" for n in cycle)},
                                 survey, row, header)
                    continue
                state[nxt] = 1
                trail.append(nxt)
                stack.append((nxt, sorted(calculations[nxt][2])))

    def check_appearances(self, survey: Sheet) -> None:
        header = survey.find_header(*_APPEARANCE_HEADERS)
        if header is None:
            return
        for row in survey.rows:
            words = row.values.get(header, "").split()
            unknown = [w for w in words if w not in SUPPORTED_APPEARANCES]
            if unknown:
                self.add(WARNING, _("The appearance %(words)s is not supported by the SSE Hub "
                                    "web form (supported: %(supported)s); the question is "
                                    "shown with the default widget.")
                         % {"words": ", ".join(f"'{w}'" for w in unknown),
                            "supported": ", ".join(sorted(SUPPORTED_APPEARANCES))},
                         survey, row.number, header)


def _quote(text: str, limit: int = 80) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "…")


# --------------------------------------------------------------------------- pyxform

def _plain(message: str, book: Workbook, level: str) -> Problem:
    """A pyxform message in plain words, pointing at the sheet, row and column."""
    text = _LEARN_MORE.sub("", message.strip())
    row: int | None = None
    sheet_key, header = "", ""
    if m := _PYXFORM_ROW.match(text):
        row = int(m.group(1))
        text = text[m.end():]
    if m := _PYXFORM_SHEET_VALUE.match(text):
        sheet_key, header = m.group(1).lower(), m.group(2)
        text = text[m.end():]
    sheet = book.sheets.get(sheet_key or "survey") if row is not None or sheet_key else None
    if sheet is not None and row is not None:
        # pyxform counts data rows from 2 (the header is row 1): map to the file's rows.
        index = row - 2
        if 0 <= index < len(sheet.rows):
            row = sheet.rows[index].number
    column = sheet.column(header) if sheet is not None and header else ""
    return Problem(level, text.strip(), sheet=sheet.name if sheet else "", row=row,
                   column=column, header=header)


def validate(data: bytes, filename: str = "form.xlsx") -> Validation:
    """Check a form without storing anything; ``FormInvalid`` lists the errors."""
    from pyxform.errors import PyXFormError
    from pyxform.xls2xform import convert

    book = read_workbook(data, filename)
    checker = _Checker(book)
    checker.run()
    if any(p.level == ERROR for p in checker.problems):
        raise FormInvalid(checker.problems)
    warnings: list[str] = []
    try:
        result = convert(xlsform=book.to_pyxform(Path(filename).stem or "form"),
                         warnings=warnings)
    except PyXFormError as exc:
        problems = checker.problems + [_plain(str(exc), book, ERROR)]
        raise FormInvalid(problems) from exc
    except Exception as exc:  # pyxform can trip over unusual input (KeyError, ValueError...)
        problems = checker.problems + [Problem(
            ERROR, _("pyxform could not convert the form: %(error)s") % {"error": exc})]
        raise FormInvalid(problems) from exc
    problems = checker.problems + [_plain(w, book, WARNING) for w in warnings]
    definition = build(result._pyxform or {}, checker.rows, checker.or_other)
    return Validation(definition=definition, problems=problems, file_type=book.file_type)


# --------------------------------------------------------------------------- storing

@dataclass
class ImportResult:
    survey: object  # models.Survey (kept loose to avoid importing models at module load)
    version: object  # models.FormVersion
    created: bool  # False: the same file as the latest version, nothing changed
    problems: list[Problem]


_SURVEY_NAME = re.compile(r"^[\w-]{1,100}$")


def default_name(filename: str) -> str:
    """The survey name when --name is not given: the file name without its extension."""
    stem = Path(filename).stem.strip()
    return re.sub(r"[^\w-]+", "-", stem).strip("-")[:100] or "form"


def check_name(name: str) -> str:
    """Survey names are typed on command lines and appear in URLs: letters, digits, - and _."""
    name = name.strip()
    if not _SURVEY_NAME.match(name):
        raise FormInvalid([Problem(ERROR, _(
            "'%(name)s' cannot be a survey name: use up to 100 letters, digits, '-' or '_'.")
            % {"name": name})])
    return name


def import_form(data: bytes, filename: str, name: str | None = None, user=None) -> ImportResult:
    """Validate and store a form as a new version of the survey ``name``.

    The same bytes as the survey's latest version change nothing (``created`` is False), so
    re-running an import is safe; a changed file becomes the next version and older versions
    are kept, because responses point at the version they were given.
    """
    from ssehub.surveys.models import FormVersion, Survey

    name = check_name(name or default_name(filename))
    validation = validate(data, filename)
    digest = storage.sha256_bytes(data)
    definition = validation.definition
    with transaction.atomic():
        survey, _created = Survey.objects.select_for_update().get_or_create(
            name=name, defaults={"title": definition.title or name})
        latest = survey.versions.order_by("-number").first()
        if latest is not None and latest.sha256 == digest:
            return ImportResult(survey, latest, False, latest.problems())
        storage.store(data, digest)
        version = FormVersion.objects.create(
            survey=survey,
            number=(latest.number + 1) if latest else 1,
            sha256=digest,
            filename=Path(filename).name[:255],
            file_type=validation.file_type,
            size=len(data),
            form_id=definition.form_id[:255],
            form_version=definition.version[:255],
            definition=json.loads(json.dumps(definition.to_dict())),
            warnings=[p.to_dict() for p in validation.warnings],
            created_by=user if getattr(user, "pk", None) else None,
        )
        if definition.title and survey.title != definition.title:
            survey.title = definition.title[:255]
            survey.save(update_fields=["title", "updated"])
        else:
            survey.save(update_fields=["updated"])
    return ImportResult(survey, version, True, validation.problems)
