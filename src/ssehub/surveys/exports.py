"""Exports of a survey's responses: CSV, XLSX and JSON, streamed.

Why generators over ``.iterator(chunk_size=...)``: a Task Force survey is small, but an open
survey can gather 100,000 responses, and an export must not load them all at once (memory is
measured by ``bench/bench_surveys.py``). Rows are built from each response's clean document
(``Response.data``), in the form version's columns; a question of an older version that the
latest no longer has keeps a column of its own, so nothing is dropped.

- ``codes``: choice names and question names as in the form; ``labels``: texts in the chosen
  language (a multiple choice becomes its labels separated by "; ").
- A repeat group is its own table (a sheet of the workbook, or ``repeat=NAME`` for CSV), with
  ``_response`` (the response id) and ``_index`` (``2``, or ``2.1`` in a nested repeat) linking
  each row to its parent (``_parent``: the parent instance's ``_index``, "" at the top).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from ssehub.surveys import xlsxstream
from ssehub.surveys.definition import Element, FormDefinition
from ssehub.surveys.languages import pick
from ssehub.surveys.models import Response, Survey

CHUNK = 2_000
META = ["_response", "_organisation", "_status", "_version", "_language", "_submitted",
        "_updated"]
REPEAT_META = ["_response", "_parent", "_index"]


@dataclass
class Table:
    """One table: the top level ("") or a repeat group, and its questions in order."""

    name: str
    questions: list[Element]
    parent: str = ""


def _tables(form: FormDefinition) -> list[Table]:
    tables = [Table("", [])]

    def visit(elements: list[Element], table: Table) -> None:
        for e in elements:
            if e.type == "group":
                visit(e.children, table)
            elif e.type == "repeat":
                child = Table(e.name, [], table.name)
                tables.append(child)
                visit(e.children, child)
            elif e.type != "note":
                table.questions.append(e)

    visit(form.children, tables[0])
    return tables


def tables(survey: Survey) -> list[Table]:
    """The tables of the latest version, plus columns only older versions have."""
    versions = list(survey.versions.order_by("-number"))
    if not versions:
        return [Table("", [])]
    merged = _tables(versions[0].form())
    by_name = {t.name: t for t in merged}
    for version in versions[1:]:
        for table in _tables(version.form()):
            target = by_name.get(table.name)
            if target is None:
                target = by_name[table.name] = Table(table.name, [], table.parent)
                merged.append(target)
            known = {q.name for q in target.questions}
            target.questions.extend(q for q in table.questions if q.name not in known)
    return merged


class Formatter:
    def __init__(self, form: FormDefinition, labels: bool, language: str) -> None:
        self.form, self.labels, self.language = form, labels, language
        self.choice_labels = {
            list_name: {c.name: pick(c.label, language, form) or c.name for c in choices}
            for list_name, choices in form.choices.items()}

    def header(self, q: Element) -> str:
        return (pick(q.label, self.language, self.form) or q.name) if self.labels else q.name

    def value(self, q: Element, value: Any) -> Any:
        if value is None or value == "":
            return ""
        if isinstance(value, dict):
            return value.get("filename", "")
        if isinstance(value, list):
            if self.labels and q.list_name:
                names = self.choice_labels.get(q.list_name, {})
                return "; ".join(names.get(v, v) for v in value)
            return " ".join(str(v) for v in value)
        if self.labels and q.type == "select_one":
            return self.choice_labels.get(q.list_name, {}).get(value, value)
        return value


def _iso(value: dt.datetime | None) -> str:
    return value.isoformat(timespec="seconds") if value else ""


def _responses(survey: Survey) -> Iterator[Response]:
    queryset = (Response.objects.filter(survey=survey).order_by("pk")
                .select_related("organisation", "version")
                .only("pk", "status", "language", "data", "submitted", "updated",
                      "organisation__slug", "version__number"))
    return queryset.iterator(chunk_size=CHUNK)


def _instances(doc: dict[str, Any], path: list[str], table: str, parent: str = ""
               ) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(parent index, index, instance) of every instance of repeat ``table``; ``path`` is
    the chain of repeat names from the top down to ``table``."""
    if not path:
        return
    head, rest = path[0], path[1:]
    for i, item in enumerate(doc.get(head) or []):
        if not isinstance(item, dict):
            continue
        index = f"{parent}.{i + 1}" if parent else str(i + 1)
        if head == table and not rest:
            yield parent, index, item
        else:
            yield from _instances(item, rest, table, index)


def _path(all_tables: list[Table], name: str) -> list[str]:
    by_name = {t.name: t for t in all_tables}
    chain = []
    while name:
        chain.append(name)
        name = by_name[name].parent
    return list(reversed(chain))


def rows(survey: Survey, table: str = "", *, labels: bool = False, language: str = ""
         ) -> Iterator[list[Any]]:
    """The header then one row per response (or per repeat instance) of ``table``."""
    all_tables = tables(survey)
    current = next((t for t in all_tables if t.name == table), None)
    if current is None:
        raise KeyError(table)
    latest = survey.latest
    form = latest.form() if latest else FormDefinition("", "")
    fmt = Formatter(form, labels, language)
    meta = META if not table else REPEAT_META
    yield meta + [fmt.header(q) for q in current.questions]
    path = _path(all_tables, table) if table else []
    for response in _responses(survey):
        doc = response.data or {}
        if not table:
            yield [response.pk, response.organisation.slug if response.organisation else "",
                   response.status, response.version.number, response.language,
                   _iso(response.submitted), _iso(response.updated),
                   *(fmt.value(q, doc.get(q.name)) for q in current.questions)]
            continue
        for parent, index, item in _instances(doc, path, table):
            yield [response.pk, parent, index,
                   *(fmt.value(q, item.get(q.name)) for q in current.questions)]


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_chunks(survey: Survey, table: str = "", **options: Any) -> Iterator[str]:
    """CSV text, a few hundred rows per chunk (for ``StreamingHttpResponse``)."""
    writer = csv.writer(_Echo())
    buffer: list[str] = ["\ufeff"]  # a BOM, so that spreadsheet programs read UTF-8
    for row in rows(survey, table, **options):
        buffer.append(writer.writerow([_cell(v) for v in row]))
        if len(buffer) >= 500:
            yield "".join(buffer)
            buffer = []
    if buffer:
        yield "".join(buffer)


def json_chunks(survey: Survey) -> Iterator[str]:
    """A JSON array of responses (id, organisation, status, version, answers)."""
    yield "["
    first = True
    for response in _responses(survey):
        record = {"id": response.pk, "status": response.status,
                  "organisation": response.organisation.slug if response.organisation else None,
                  "version": response.version.number, "language": response.language,
                  "submitted": _iso(response.submitted), "updated": _iso(response.updated),
                  "answers": response.data}
        yield ("" if first else ",\n") + json.dumps(record, ensure_ascii=False)
        first = False
    yield "]\n"


def _sheet_title(name: str, used: set[str]) -> str:
    title = "".join(ch for ch in name if ch not in "[]:*?/\\")[:31] or "sheet"
    base, n = title, 2
    while title in used:
        title = f"{base[:28]}~{n}"
        n += 1
    used.add(title)
    return title


def xlsx_chunks(survey: Survey, *, labels: bool = False, language: str = "") -> Iterator[bytes]:
    """The workbook as a stream (``xlsxstream``): one sheet for the responses, one per repeat
    group, rows sent as they are read."""
    used: set[str] = set()
    sheets = (
        (_sheet_title(table.name or "responses", used),
         ([_cell(v) for v in row] for row in rows(survey, table.name, labels=labels,
                                                   language=language)))
        for table in tables(survey)
    )
    return xlsxstream.workbook(sheets)


def write_xlsx(survey: Survey, out: IO[bytes], *, labels: bool = False,
               language: str = "") -> None:
    """The same workbook written to a file (``ssehub survey export --format xlsx``)."""
    for chunk in xlsx_chunks(survey, labels=labels, language=language):
        out.write(chunk)


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in {"=", "+", "-", "@"} and not _numberish(value):
        return "'" + value  # no formula injection from an answer
    return value


def _numberish(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def csv_safe(chunks: Iterable[str]) -> Iterator[bytes]:
    for chunk in chunks:
        yield chunk.encode("utf-8")
