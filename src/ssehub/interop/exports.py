"""Exports of any search: the results of a search (same parameters as /search/) as CSV, JSON
lines, BibTeX or RIS.

The search service decides what matches and what the reader may see; this module only pages
through its answer (at most ``search.services.MAX_WINDOW`` results, the search's own limit:
a whole-library dump is ``ssehub export`` or OAI-PMH) and writes each format with its own
escaping rules:

- CSV: cells that a spreadsheet would run as a formula (=, +, -, @) are prefixed with ``'``.
- BibTeX: the ten special characters are escaped, titles are braced to keep their case, names
  containing " and " are braced so they stay one author.
- RIS: one line per tag, so line breaks inside values become spaces.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from ssehub.core.i18n import pick
from ssehub.interop.records import items_by_ids, public_dicts
from ssehub.library.export import CSV_COLUMNS, _flat
from ssehub.search.services import MAX_PAGE_SIZE, MAX_WINDOW, SearchParams, search

FORMATS = {
    "csv": ("text/csv; charset=utf-8", "csv"),
    "jsonl": ("application/x-ndjson; charset=utf-8", "jsonl"),
    "bibtex": ("application/x-bibtex; charset=utf-8", "bib"),
    "ris": ("application/x-research-info-systems; charset=utf-8", "ris"),
}


def search_dicts(params: SearchParams, user, limit: int = MAX_WINDOW) -> Iterator[dict[str, Any]]:
    """The public dictionaries of a search's results, page by page, in the search's order."""
    sent = 0
    page = 1
    while sent < limit:
        response = search(replace(params, page=page, page_size=MAX_PAGE_SIZE), user,
                          with_facets=False)
        ids = [hit.id for hit in response.results]
        if not ids:
            return
        for data in public_dicts(items_by_ids(ids)):
            if sent >= limit:
                return
            yield data
            sent += 1
        if page >= response.pages:
            return
        page += 1


# --- CSV and JSON lines ----------------------------------------------------------------------

def _csv_safe(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def csv_lines(records: Iterator[dict[str, Any]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    for data in records:
        writer.writerow({k: _csv_safe(v) for k, v in _flat(data).items()})
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def jsonl_lines(records: Iterator[dict[str, Any]]) -> Iterator[str]:
    for data in records:
        yield json.dumps(data, ensure_ascii=False) + "\n"


# --- BibTeX ----------------------------------------------------------------------------------

BIBTEX_TYPES = {
    "article": "article", "book": "book", "conference-paper": "inproceedings",
    "report": "techreport", "working-paper": "techreport", "policy-brief": "techreport",
    "survey-report": "techreport", "case-study": "techreport",
}
_BIB_SPECIAL = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "%": r"\%",
    "#": r"\#", "_": r"\_", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
}
_BIB_RE = re.compile("|".join(re.escape(c) for c in _BIB_SPECIAL))


def bibtex_escape(text: Any) -> str:
    """Text safe inside a braced BibTeX value: specials escaped, whitespace collapsed."""
    flat = " ".join(str(text or "").split())
    return _BIB_RE.sub(lambda m: _BIB_SPECIAL[m.group(0)], flat)


def _bib_name(creator: dict[str, str]) -> str:
    name = bibtex_escape(creator["name"])
    if creator.get("kind") == "organisation" or " and " in f" {name.lower()} ":
        return "{" + name + "}"
    return name


def bibtex_entry(data: dict[str, Any]) -> str:
    kind = BIBTEX_TYPES.get(data["type"], "misc")
    fields: list[tuple[str, str]] = []
    title = pick(data["title"])
    if title:
        fields.append(("title", "{" + bibtex_escape(title) + "}"))
    if data["creators"]:
        fields.append(("author", " and ".join(_bib_name(c) for c in data["creators"])))
    date = data["date"] or ""
    if date:
        fields.append(("year", date[:4]))
        if len(date) >= 7:
            fields.append(("month", str(int(date[5:7]))))
    if data["publisher"]:
        name = "institution" if kind == "techreport" else "publisher"
        fields.append((name, bibtex_escape(data["publisher"])))
    elif kind == "techreport" and data["organisation"]:
        fields.append(("institution", bibtex_escape(data["organisation"])))
    abstract = pick(data["abstract"])
    if abstract:
        fields.append(("abstract", bibtex_escape(abstract)))
    if data["keywords"]:
        fields.append(("keywords", bibtex_escape(", ".join(data["keywords"]))))
    ids = data["identifiers"]
    for scheme in ("doi", "isbn", "issn", "url"):
        if ids.get(scheme):
            fields.append((scheme, bibtex_escape(ids[scheme])))
    if data["languages"]:
        fields.append(("language", bibtex_escape(", ".join(data["languages"]))))
    goals = sorted({link["goal"] for link in data["sdgs"]})
    if goals:
        fields.append(("note", bibtex_escape("SDG " + ", ".join(str(g) for g in goals))))
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@{kind}{{ssehub{data['id']},\n{body}\n}}\n\n"


def bibtex_lines(records: Iterator[dict[str, Any]]) -> Iterator[str]:
    for data in records:
        yield bibtex_entry(data)


# --- RIS -------------------------------------------------------------------------------------

RIS_TYPES = {
    "article": "JOUR", "book": "BOOK", "conference-paper": "CPAPER", "report": "RPRT",
    "working-paper": "RPRT", "policy-brief": "RPRT", "survey-report": "RPRT",
    "case-study": "RPRT", "dataset": "DATA", "video": "VIDEO", "legislation": "BILL",
    "news": "NEWS", "learning-resource": "GEN", "event": "GEN", "initiative": "GEN",
}


def _ris_value(text: Any) -> str:
    return " ".join(str(text or "").split())


def ris_record(data: dict[str, Any]) -> str:
    lines: list[tuple[str, str]] = [("TY", RIS_TYPES.get(data["type"], "GEN"))]
    title = pick(data["title"])
    if title:
        lines.append(("TI", title))
    for text in data["title"].values():
        if text and text != title:
            lines.append(("TT", text))
    for creator in data["creators"]:
        lines.append(("AU", creator["name"]))
    date = data["date"] or ""
    if date:
        lines.append(("PY", date[:4]))
        parts = date.split("-") + ["", ""]
        lines.append(("DA", f"{parts[0]}/{parts[1]}/{parts[2]}/"))
    if data["publisher"]:
        lines.append(("PB", data["publisher"]))
    abstract = pick(data["abstract"])
    if abstract:
        lines.append(("AB", abstract))
    lines += [("KW", keyword) for keyword in data["keywords"]]
    lines += [("KW", f"SDG {g}") for g in sorted({link["goal"] for link in data["sdgs"]})]
    ids = data["identifiers"]
    if ids.get("doi"):
        lines.append(("DO", ids["doi"]))
    for scheme in ("isbn", "issn"):
        if ids.get(scheme):
            lines.append(("SN", ids[scheme]))
    if ids.get("url"):
        lines.append(("UR", ids["url"]))
    lines += [("LA", code) for code in data["languages"]]
    lines.append(("ID", f"ssehub{data['id']}"))
    out = "".join(f"{tag}  - {_ris_value(value)}\r\n" for tag, value in lines
                  if _ris_value(value))
    return out + "ER  - \r\n\r\n"


def ris_lines(records: Iterator[dict[str, Any]]) -> Iterator[str]:
    for data in records:
        yield ris_record(data)


WRITERS = {"csv": csv_lines, "jsonl": jsonl_lines, "bibtex": bibtex_lines, "ris": ris_lines}


def export(fmt: str, params: SearchParams, user) -> Iterator[str]:
    """The export of a search in ``fmt`` (a key of :data:`FORMATS`), as chunks of text."""
    return WRITERS[fmt](search_dicts(params, user))
