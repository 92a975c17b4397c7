"""The hub's own typed model of a form, built from pyxform's parsed structure.

Why not keep pyxform's dictionary: it changes between pyxform releases ("may change without
notice"), mixes aliases (``int``/``integer``, ``select all that apply``) and XForm details.
The web form, server validation, exports and reports all read this model instead; it is
stored as JSON on each ``FormVersion`` (``to_dict``/``from_dict``) so that a response is
always checked against the version it was given.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

SCHEMA_VERSION = 1

# The author's type (as pyxform leaves it in its dictionary) -> our canonical type.
_CANONICAL: dict[str, str] = {}
for _canonical, _aliases in {
    "integer": ("integer", "int", "q int", "add integer prompt"),
    "decimal": ("decimal", "q decimal", "add decimal prompt"),
    "range": ("range",),
    "text": ("text", "string", "q string", "add text prompt"),
    "note": ("note", "q note", "add note prompt"),
    "select_one": ("select one", "select_one", "q select1", "select one using",
                   "add select one prompt using"),
    "select_multiple": ("select all that apply", "select_multiple", "q select",
                        "select multiple using", "add select multiple prompt using"),
    "rank": ("rank",),
    "date": ("date", "q date", "add date prompt"),
    "time": ("time",),
    "dateTime": ("datetime", "date time", "q datetime", "q date time",
                 "add date time prompt", "add datetime prompt"),
    "geopoint": ("geopoint", "gps", "location", "q geopoint", "q location",
                 "add location prompt"),
    "file": ("file", "add file prompt"),
    "image": ("image", "photo", "q image", "q picture", "add image prompt", "add photo prompt"),
    "audio": ("audio", "q audio", "add audio prompt"),
    "video": ("video", "q video", "add video prompt"),
    "acknowledge": ("acknowledge", "trigger", "q acknowledge", "add acknowledge prompt"),
    "calculate": ("calculate", "q calculate", "add calculate prompt"),
    "hidden": ("hidden",),
    "start": ("start", "start time", "get start time"),
    "end": ("end", "end time", "get end time"),
    "today": ("today", "get today"),
}.items():
    for _alias in _aliases:
        _CANONICAL[_alias] = _canonical

SUPPORTED_TYPES = frozenset(_CANONICAL.values())
CONTAINER_TYPES = frozenset({"group", "repeat"})
SELECT_TYPES = frozenset({"select_one", "select_multiple", "rank"})
SUPPORTED_APPEARANCES = frozenset({"field-list", "minimal", "multiline"})

_LANGUAGE_CODE = re.compile(r"\(([A-Za-z]{2,3}(?:-[A-Za-z0-9]+)*)\)\s*$")
DEFAULT = "default"  # pyxform's key for text in a column without a language


def canonical_type(source_type: str) -> str:
    """``int`` -> ``integer``; a type we do not support is returned as written."""
    return _CANONICAL.get(source_type.strip().lower(), source_type.strip())


def is_supported_type(source_type: str) -> bool:
    """Whether the hub's web form handles this (non-select, non-group) type."""
    return source_type.strip().lower() in _CANONICAL


def _texts(value: Any) -> dict[str, str]:
    """pyxform gives a text as a string (no language) or as {language: text}."""
    if value is None or value == "":
        return {}
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items() if v not in (None, "")}
    return {DEFAULT: str(value)}


@dataclass
class Language:
    name: str  # as written in the column header: "French (fr)"
    code: str  # "fr", or "" when the header gives none

    @classmethod
    def from_name(cls, name: str) -> Language:
        m = _LANGUAGE_CODE.search(name)
        return cls(name=name, code=m.group(1).lower() if m else "")


@dataclass
class Choice:
    name: str
    label: dict[str, str] = field(default_factory=dict)
    # Other columns of the choices sheet (used by choice_filter, e.g. "country").
    extra: dict[str, str] = field(default_factory=dict)


@dataclass
class Element:
    """A question, a group or a repeat. Expressions are kept as the author wrote them
    (``${q}`` references included) and evaluated by ``ssehub.surveys.expressions``."""

    name: str
    type: str  # canonical type, "group" or "repeat"
    path: str  # "household/member/age": the names of the enclosing groups and this one
    row: int | None = None  # the row of the survey sheet
    source_type: str = ""  # the type as the author wrote it (after pyxform)
    supported: bool = True
    label: dict[str, str] = field(default_factory=dict)
    hint: dict[str, str] = field(default_factory=dict)
    required: str = ""  # "" = optional; "true()" or an expression
    required_message: dict[str, str] = field(default_factory=dict)
    relevant: str = ""
    constraint: str = ""
    constraint_message: dict[str, str] = field(default_factory=dict)
    default: str = ""
    calculation: str = ""
    choice_filter: str = ""
    read_only: str = ""
    appearance: list[str] = field(default_factory=list)
    list_name: str = ""
    or_other: bool = False
    parameters: dict[str, str] = field(default_factory=dict)
    repeat_count: str = ""  # repeats: a number or an expression ("" = as many as wanted)
    children: list[Element] = field(default_factory=list)

    @property
    def is_container(self) -> bool:
        return self.type in CONTAINER_TYPES

    def walk(self) -> Iterator[Element]:
        """This element and every element inside it, in form order."""
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass
class FormDefinition:
    title: str
    form_id: str
    version: str = ""
    default_language: str = DEFAULT
    languages: list[Language] = field(default_factory=list)
    children: list[Element] = field(default_factory=list)
    choices: dict[str, list[Choice]] = field(default_factory=dict)
    instance_name: str = ""
    schema: int = SCHEMA_VERSION

    def walk(self) -> Iterator[Element]:
        for child in self.children:
            yield from child.walk()

    def questions(self) -> list[Element]:
        """Every element that holds an answer (not groups, repeats or notes)."""
        return [e for e in self.walk() if not e.is_container and e.type != "note"]

    def element(self, name: str) -> Element | None:
        for element in self.walk():
            if element.name == name:
                return element
        return None

    def calculation_order(self) -> list[Element]:
        """Calculated elements (``calculation`` set) so that each comes after those it reads.

        The importer has already refused circular calculations, so an order exists; the
        server evaluates calculations in it before relevance and constraints. Kahn's
        algorithm with a heap: among the ready ones, the earliest in the form goes first.
        """
        import heapq

        from ssehub.surveys.expressions import parse, references

        calculated = [e for e in self.walk() if e.calculation]
        index = {}
        for i, element in enumerate(calculated):
            index.setdefault(element.name, i)
        waiting = [0] * len(calculated)
        dependants: list[list[int]] = [[] for _ in calculated]
        for i, element in enumerate(calculated):
            for name in references(parse(element.calculation)):
                j = index.get(name)
                if j is not None and j != i:
                    waiting[i] += 1
                    dependants[j].append(i)
        ready = [i for i, count in enumerate(waiting) if count == 0]
        heapq.heapify(ready)
        order: list[int] = []
        while ready:
            i = heapq.heappop(ready)
            order.append(i)
            for j in dependants[i]:
                waiting[j] -= 1
                if waiting[j] == 0:
                    heapq.heappush(ready, j)
        placed = set(order)
        order.extend(i for i in range(len(calculated)) if i not in placed)  # a cycle: as is
        return [calculated[i] for i in order]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FormDefinition:
        def element(d: dict[str, Any]) -> Element:
            values = dict(d)
            values["children"] = [element(c) for c in d.get("children", [])]
            return Element(**values)

        return cls(
            title=data["title"],
            form_id=data["form_id"],
            version=data.get("version", ""),
            default_language=data.get("default_language", DEFAULT),
            languages=[Language(**lang) for lang in data.get("languages", [])],
            children=[element(c) for c in data.get("children", [])],
            choices={k: [Choice(**c) for c in v] for k, v in data.get("choices", {}).items()},
            instance_name=data.get("instance_name", ""),
            schema=data.get("schema", SCHEMA_VERSION),
        )


# --------------------------------------------------------------------------- from pyxform

_BOOLEAN_TEXT = {"yes": "true()", "true": "true()", "true()": "true()",
                 "no": "", "false": "", "false()": "", "": ""}


def _flag(value: Any) -> str:
    """``required``/``read_only``: yes/no/true/false (any case) or an expression."""
    text = str(value or "").strip()
    return _BOOLEAN_TEXT.get(text.lower(), text)


def build(pyxform: dict[str, Any], rows: dict[str, int],
          or_other: set[str] | frozenset[str] = frozenset()) -> FormDefinition:
    """Our model from pyxform's dictionary. ``rows`` maps element paths to survey rows;
    ``or_other``: the paths of selects written with ``or_other`` (pyxform adds the "other"
    choice and a ``NAME_other`` text question, which are kept as it made them)."""
    choices: dict[str, list[Choice]] = {}
    for list_name, items in (pyxform.get("choices") or {}).items():
        choices[list_name] = [
            Choice(name=str(c.get("name", "")), label=_texts(c.get("label")),
                   extra={str(k): str(v) for k, v in c.items() if k not in {"name", "label"}
                          and not isinstance(v, dict | list)})
            for c in items
        ]
    children = [_element(child, "", rows, choices, or_other)
                for child in pyxform.get("children", []) if not _generated(child)]
    definition = FormDefinition(
        title=str(pyxform.get("title") or pyxform.get("name") or ""),
        form_id=str(pyxform.get("id_string") or ""),
        version=str(pyxform.get("version") or ""),
        default_language=str(pyxform.get("default_language") or DEFAULT),
        children=children,
        choices=choices,
        instance_name=str(pyxform.get("instance_name") or ""),
    )
    names: set[str] = set()
    for element in definition.walk():
        for texts in (element.label, element.hint, element.required_message,
                      element.constraint_message):
            names.update(texts)
    for items in choices.values():
        for choice in items:
            names.update(choice.label)
    names.discard(DEFAULT)
    definition.languages = [Language.from_name(n) for n in sorted(names)]
    return definition


def _parameters(value: Any) -> dict[str, str]:
    """pyxform gives parameters parsed ({"start": "0"}) or, for some types, as written."""
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items()}
    out: dict[str, str] = {}
    for pair in re.split(r"[\s;,]+", str(value or "").strip()):
        key, sep, val = pair.partition("=")
        if sep and key:
            out[key.strip()] = val.strip()
    return out


def _generated(child: dict[str, Any]) -> bool:
    """pyxform's own ``meta`` group (instanceID...), not a question of the author."""
    return child.get("name") == "meta" and bool((child.get("control") or {}).get("bodyless"))


def _element(d: dict[str, Any], parent: str, rows: dict[str, int],
             choices: dict[str, list[Choice]], or_other: set[str] | frozenset[str]) -> Element:
    source_type = str(d.get("type", ""))
    name = str(d.get("name", ""))
    path = f"{parent}/{name}" if parent else name
    bind = d.get("bind") or {}
    control = d.get("control") or {}
    kind = source_type if source_type in CONTAINER_TYPES else canonical_type(source_type)
    element = Element(
        name=name,
        type=kind,
        path=path,
        row=rows.get(path),
        source_type=source_type,
        supported=kind in SUPPORTED_TYPES or kind in CONTAINER_TYPES,
        label=_texts(d.get("label")),
        hint=_texts(d.get("hint")),
        required=_flag(bind.get("required")),
        required_message=_texts(bind.get("jr:requiredMsg")),
        relevant=str(bind.get("relevant") or ""),
        constraint=str(bind.get("constraint") or ""),
        constraint_message=_texts(bind.get("jr:constraintMsg")),
        default=str(d.get("default") or ""),
        calculation=str(bind.get("calculate") or ""),
        choice_filter=str(d.get("choice_filter") or ""),
        read_only=_flag(bind.get("readonly")),
        appearance=str(control.get("appearance") or "").split(),
        list_name=str(d.get("list_name") or d.get("itemset") or ""),
        parameters=_parameters(d.get("parameters")),
        repeat_count=str(control.get("jr:count") or ""),
    )
    if element.type in SELECT_TYPES and element.list_name:
        # Choices from a file (select_one_from_file) are not in the workbook.
        if element.list_name not in choices:
            element.supported = False
        element.or_other = path in or_other
    element.children = [_element(c, path, rows, choices, or_other)
                        for c in d.get("children", [])]
    return element
