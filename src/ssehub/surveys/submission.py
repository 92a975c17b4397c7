"""Server-side validation of a submission against the form version it answers.

The server is the authority: the browser's skip logic and live checks are a convenience, and
a crafted POST must not store what the form forbids. ``clean`` reads the posted fields of every
question (keys below), converts them to typed values, runs calculations, then walks the form
in order applying ``relevant`` (answers to questions that are not relevant are dropped),
``required`` (on a final submission only, so a partial save can be resumed later),
``constraint`` and choice membership. Unknown posted fields are never stored: they are
listed in ``Cleaned.unknown``.

Field keys: a top-level question is its name (groups do not add to it, XLSForm names are
unique); inside a repeat the key is ``repeat:INDEX:question`` (0-based, nested repeats chain:
``a:0:b:1:q``), and ``repeat:count`` (with the same prefix) says how many instances were sent
when the form does not fix the count itself.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import re
from collections import ChainMap
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from ssehub.surveys import conf, expressions
from ssehub.surveys.definition import Element, FormDefinition
from ssehub.surveys.languages import pick

MAX_REPEAT_INSTANCES = 200
MAX_TEXT_CHARS = 10_000
UPLOAD_TYPES = frozenset({"file", "image", "audio", "video"})
META_TYPES = frozenset({"start", "end", "today"})
FORM_FIELDS = frozenset({"csrfmiddlewaretoken", "revision", "action", "lang", "page"})
_INTEGER = re.compile(r"^[+-]?\d{1,15}$")
_DECIMAL = re.compile(r"^[+-]?(\d{1,15}(\.\d*)?|\.\d+)$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d+)?)?$")
# File types accepted by content (magic numbers), not by the name the browser sends.
_MAGIC: dict[str, tuple[tuple[bytes, ...], str]] = {
    "image/png": ((b"\x89PNG\r\n\x1a\n",), "image"),
    "image/jpeg": ((b"\xff\xd8\xff",), "image"),
    "image/gif": ((b"GIF87a", b"GIF89a"), "image"),
    "application/pdf": ((b"%PDF-",), "file"),
    "audio/mpeg": ((b"ID3", b"\xff\xfb"), "audio"),
    "audio/ogg": ((b"OggS",), "audio"),
    "video/mp4": ((b"\x00\x00\x00\x18ftyp", b"\x00\x00\x00\x1cftyp", b"\x00\x00\x00 ftyp"),
                  "video"),
}


def _sniff(data: bytes) -> tuple[str, str] | None:
    for mime, (prefixes, kind) in _MAGIC.items():
        if any(data.startswith(p) for p in prefixes):
            return mime, kind
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp", "image"
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "audio/wav", "audio"
    return None


@dataclass
class Cleaned:
    data: dict[str, Any]  # the clean document (see models.Response)
    errors: dict[str, str] = field(default_factory=dict)  # field key -> message
    unknown: list[str] = field(default_factory=list)  # posted keys that are no question's
    blobs: list[tuple[str, bytes]] = field(default_factory=list)  # files to store (sha256)

    @property
    def valid(self) -> bool:
        return not self.errors


class _Values(Mapping):
    """Answers as expressions see them: a file is its name, an unanswered question ''."""

    def __init__(self, chain: ChainMap) -> None:
        self.chain = chain

    def __getitem__(self, name: str) -> Any:
        value = self.chain[name]
        if isinstance(value, dict):
            return value.get("filename", "")
        if isinstance(value, list) and value and isinstance(value[0], dict):
            return ""  # a repeat group
        return value

    def __iter__(self) -> Iterator[str]:
        return iter(self.chain)

    def __len__(self) -> int:
        return len(self.chain)


def _getlist(post: Any, key: str) -> list[str]:
    if hasattr(post, "getlist"):
        return [str(v) for v in post.getlist(key)]
    value = post.get(key)
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)]


def flat_questions(elements: list[Element]) -> Iterator[Element]:
    """Questions of one scope: inside groups, but not inside repeats (their own scope)."""
    for element in elements:
        if element.type == "group":
            yield from flat_questions(element.children)
        elif element.type != "repeat":
            yield element


def is_empty(value: Any) -> bool:
    return value is None or value == "" or value == []


class _Cleaner:
    def __init__(self, form: FormDefinition, post: Any, files: Mapping[str, Any], language: str,
                 final: bool, now: dt.datetime) -> None:
        self.form, self.post, self.files = form, post, files or {}
        self.language, self.final, self.now = language, final, now
        self.errors: dict[str, str] = {}
        self.seen: set[str] = set()
        self.blobs: list[tuple[str, bytes]] = []
        self.calculated = [e.name for e in form.calculation_order()]

    # ---------------------------------------------------------------- expressions
    def context(self, chain: ChainMap, current: str | None = None) -> expressions.Context:
        return expressions.Context(values=_Values(chain), current=current,
                                   clock=lambda: self.now)

    def check(self, expression: str, chain: ChainMap, current: str | None,
              on_error: bool) -> bool:
        try:
            return expressions.evaluate_boolean(expression, self.context(chain, current))
        except expressions.ExpressionError:
            return on_error

    def message(self, texts: dict[str, str], fallback: str) -> str:
        return pick(texts, self.language, self.form) or fallback

    # ---------------------------------------------------------------- reading
    def read(self, q: Element, key: str, previous: Any, chain: ChainMap) -> tuple[Any, str]:
        """(typed value or None, error message or '') of one question's posted field."""
        kind = q.type
        if kind in {"note", "calculate", "group", "repeat"} or not q.supported:
            return None, ""
        if kind in META_TYPES:
            if kind == "start":
                return previous or self.now.isoformat(timespec="seconds"), ""
            if kind == "end":
                return self.now.isoformat(timespec="seconds"), ""
            return self.now.date().isoformat(), ""
        if kind == "hidden" or q.read_only == "true()":
            return (q.default or None), ""
        if kind in UPLOAD_TYPES:
            return self.read_file(q, key, previous)
        self.seen.add(key)
        values = [v.strip() for v in _getlist(self.post, key)]
        if kind in {"select_multiple", "rank"}:
            picked: list[str] = []
            for value in values:
                for name in value.split():
                    if name not in picked:
                        picked.append(name)
            for name in picked:
                if not self.choice_allowed(q, name, chain):
                    return None, _("Choose among the options offered.")
            return (picked or None), ""
        raw = values[-1] if values else ""
        if raw == "":
            return None, ""
        if len(raw) > MAX_TEXT_CHARS:
            return None, _("This answer is too long (over %(limit)d characters).") % {
                "limit": MAX_TEXT_CHARS}
        if kind == "text":
            return raw.replace("\x00", ""), ""
        if kind == "select_one":
            if not self.choice_allowed(q, raw, chain):
                return None, _("Choose among the options offered.")
            return raw, ""
        if kind == "integer":
            if not _INTEGER.match(raw):
                return None, _("Enter a whole number.")
            return int(raw), ""
        if kind in {"decimal", "range"}:
            if not _DECIMAL.match(raw):
                return None, _("Enter a number.")
            number = float(raw)
            if kind == "range":
                return self.check_range(q, number)
            return number, ""
        if kind == "date":
            try:
                if not _DATE.match(raw):
                    raise ValueError(raw)
                return dt.date.fromisoformat(raw).isoformat(), ""
            except ValueError:
                return None, _("Enter a date (YYYY-MM-DD).")
        if kind == "time":
            if not _TIME.match(raw):
                return None, _("Enter a time (HH:MM).")
            return raw, ""
        if kind == "dateTime":
            try:
                return dt.datetime.fromisoformat(raw).isoformat(), ""
            except ValueError:
                return None, _("Enter a date and time (YYYY-MM-DD HH:MM).")
        if kind == "geopoint":
            return self.read_geopoint(raw)
        if kind == "acknowledge":
            return ("OK" if raw in {"OK", "1", "on", "yes", "true"} else None), ""
        return raw, ""

    def check_range(self, q: Element, number: float) -> tuple[Any, str]:
        try:
            start = float(q.parameters.get("start", 1))
            end = float(q.parameters.get("end", 10))
            step = float(q.parameters.get("step", 1))
        except ValueError:
            return number, ""
        low, high = min(start, end), max(start, end)
        off_step = step and abs(((number - start) / step) - round((number - start) / step)) > 1e-9
        if number < low or number > high or off_step:
            return None, _("Choose a value from %(low)s to %(high)s.") % {
                "low": expressions.to_string(low), "high": expressions.to_string(high)}
        return (int(number) if number.is_integer() else number), ""

    def read_geopoint(self, raw: str) -> tuple[Any, str]:
        parts = raw.replace(",", " ").split()
        try:
            numbers = [float(p) for p in parts]
        except ValueError:
            numbers = []
        if not 2 <= len(numbers) <= 4 or not all(math.isfinite(n) for n in numbers) \
                or not -90 <= numbers[0] <= 90 or not -180 <= numbers[1] <= 180:
            return None, _("Enter a latitude and a longitude in degrees, e.g. 46.2 6.1.")
        return " ".join(expressions.to_string(n) for n in numbers), ""

    def read_file(self, q: Element, key: str, previous: Any) -> tuple[Any, str]:
        from ssehub.library import storage

        self.seen.add(key)
        upload = self.files.get(key)
        if upload is None:
            return previous if isinstance(previous, dict) else None, ""
        limit = conf.get("SSEHUB_SURVEY_MAX_UPLOAD_BYTES")
        if upload.size > limit:
            return None, _("The file is over the limit of %(limit)s bytes.") % {
                "limit": f"{limit:,}"}
        data = upload.read(limit + 1)
        if len(data) > limit:
            return None, _("The file is over the limit of %(limit)s bytes.") % {
                "limit": f"{limit:,}"}
        sniffed = _sniff(data)
        if sniffed is None or (q.type != "file" and sniffed[1] != q.type):
            return None, _("This type of file is not accepted here.")
        digest = storage.sha256_bytes(data)
        self.blobs.append((digest, data))
        name = re.sub(r"[^\w.\- ]+", "_", str(getattr(upload, "name", "") or "file"))[-120:]
        return {"sha256": digest, "filename": name, "size": len(data),
                "type": sniffed[0]}, ""

    def choice_allowed(self, q: Element, name: str, chain: ChainMap) -> bool:
        for choice in self.form.choices.get(q.list_name, []):
            if choice.name != name:
                continue
            if not q.choice_filter:
                return True
            context = self.context(chain, q.name)
            context.choice = {"name": choice.name, **choice.extra}
            try:
                return expressions.evaluate_boolean(q.choice_filter, context)
            except expressions.ExpressionError:
                return True
        return False

    # ---------------------------------------------------------------- walking
    def scope(self, elements: list[Element], prefix: str, doc: dict[str, Any],
              parents: list[dict[str, Any]], previous: dict[str, Any], relevant: bool) -> None:
        chain = ChainMap(doc, *parents)
        pending: dict[str, str] = {}
        questions = list(flat_questions(elements))
        for q in questions:
            value, error = self.read(q, prefix + q.name, previous.get(q.name), chain)
            if error:
                pending[q.name] = error
            elif value is not None:
                doc[q.name] = value
        names = {q.name for q in questions}
        for element_name in self.calculated:
            if element_name in names:
                self.calculate(self.form_element(element_name), chain, doc)
        self.walk(elements, prefix, doc, chain, parents, previous, pending, relevant)

    def form_element(self, name: str) -> Element:
        element = self.form.element(name)
        assert element is not None  # noqa: S101 - names come from the form itself
        return element

    def calculate(self, element: Element, chain: ChainMap, doc: dict[str, Any]) -> None:
        try:
            value = expressions.evaluate_string(element.calculation,
                                                self.context(chain, element.name))
        except expressions.ExpressionError:
            value = ""
        if value in ("", "NaN"):
            doc.pop(element.name, None)
        else:
            doc[element.name] = value

    def walk(self, elements: list[Element], prefix: str, doc: dict[str, Any], chain: ChainMap,
             parents: list[dict[str, Any]], previous: dict[str, Any], pending: dict[str, str],
             relevant: bool) -> None:
        for e in elements:
            here = relevant and (not e.relevant or self.check(e.relevant, chain, e.name, True))
            key = prefix + e.name
            if e.type == "group":
                self.walk(e.children, prefix, doc, chain, parents, previous, pending, here)
                continue
            if e.type == "repeat":
                self.repeat(e, key, doc, chain, previous, here)
                continue
            if not here:
                doc.pop(e.name, None)
                continue
            if e.calculation:
                self.calculate(e, chain, doc)
            if e.name in pending:
                self.errors[key] = pending[e.name]
                continue
            if is_empty(doc.get(e.name)):
                if self.final and e.required and e.type not in {"calculate", "note"} \
                        and self.check(e.required, chain, e.name, True):
                    self.errors[key] = self.message(e.required_message,
                                                    _("This question is required."))
                continue
            if e.constraint and not self.check(e.constraint, chain, e.name, False):
                self.errors[key] = self.message(e.constraint_message,
                                                _("This answer is not allowed."))
                doc.pop(e.name, None)

    def repeat(self, e: Element, key: str, doc: dict[str, Any], chain: ChainMap,
               previous: dict[str, Any], relevant: bool) -> None:
        if not relevant:
            doc.pop(e.name, None)
            return
        count = self.count(e, key, chain)
        earlier = previous.get(e.name) if isinstance(previous.get(e.name), list) else []
        instances = []
        for i in range(count):
            instance: dict[str, Any] = {}
            before = earlier[i] if i < len(earlier) and isinstance(earlier[i], dict) else {}
            self.scope(e.children, f"{key}:{i}:", instance, list(chain.maps), before, True)
            instances.append(instance)
        if instances:
            doc[e.name] = instances
        else:
            doc.pop(e.name, None)

    def count(self, e: Element, key: str, chain: ChainMap) -> int:
        self.seen.add(f"{key}:count")
        if e.repeat_count:
            try:
                number = float(e.repeat_count)
            except ValueError:
                try:
                    number = expressions.to_number(expressions.evaluate(
                        e.repeat_count, self.context(chain, e.name)))
                except expressions.ExpressionError:
                    number = 0.0
        else:
            posted = _getlist(self.post, f"{key}:count")
            if posted and posted[-1].strip().isdigit():
                number = float(posted[-1].strip())
            else:  # no count sent: as many instances as were posted
                indexes = [int(m.group(1)) for k in self._keys()
                           if (m := re.match(re.escape(key) + r":(\d{1,4}):", k))]
                number = float(max(indexes) + 1) if indexes else 0.0
        if math.isnan(number):
            return 0
        return max(0, min(MAX_REPEAT_INSTANCES, int(number)))

    def _keys(self) -> list[str]:
        return list(self.post.keys()) + list(self.files.keys())


def clean(form: FormDefinition, post: Any, files: Mapping[str, Any] | None = None, *,
          language: str = "", final: bool = True, previous: dict[str, Any] | None = None,
          now: dt.datetime | None = None) -> Cleaned:
    """Validate a posted form (a QueryDict, or a dict of strings/lists in tests)."""
    cleaner = _Cleaner(form, post, files or {}, language, final,
                       now or dt.datetime.now(dt.UTC))
    doc: dict[str, Any] = {}
    cleaner.scope(form.children, "", doc, [], previous or {}, True)
    unknown = sorted(k for k in cleaner._keys()
                     if k not in cleaner.seen and k not in FORM_FIELDS)
    return Cleaned(data=doc, errors=cleaner.errors, unknown=unknown, blobs=cleaner.blobs)


# --------------------------------------------------------------------------- document -> rows

def answer_rows(form: FormDefinition, doc: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The typed ``Answer`` rows of a clean document (see ``models.Answer``)."""
    yield from _rows(form, form.children, doc, "", "")


def _rows(form: FormDefinition, elements: list[Element], doc: dict[str, Any], repeat: str,
          instance: str) -> Iterator[dict[str, Any]]:
    for e in elements:
        if e.type == "group":
            yield from _rows(form, e.children, doc, repeat, instance)
        elif e.type == "repeat":
            for i, item in enumerate(doc.get(e.name) or []):
                here = f"{instance}.{i + 1}" if instance else str(i + 1)
                yield from _rows(form, e.children, item, e.name, here)
        elif not is_empty(doc.get(e.name)):
            yield from _typed(e, doc[e.name], repeat, instance)


def _typed(e: Element, value: Any, repeat: str, instance: str) -> Iterator[dict[str, Any]]:
    base = {"question": e.name, "repeat": repeat, "instance": instance}
    if isinstance(value, list):
        for name in value:
            yield {**base, "text": str(name), "choice": str(name)[:255]}
        return
    if isinstance(value, dict):
        yield {**base, "text": value.get("filename", ""), "choice": ""}
        return
    row: dict[str, Any] = {**base, "text": expressions.answer_text(value)}
    if e.type == "select_one":
        row["choice"] = str(value)[:255]
    number = value if isinstance(value, int | float) and not isinstance(value, bool) else None
    if number is None and e.type in {"calculate", "decimal", "integer", "range"}:
        number = expressions.to_number(str(value))
        number = None if math.isnan(number) or math.isinf(number) else number
    row["number"] = number
    if e.type in {"date", "dateTime", "today"}:
        with contextlib.suppress(ValueError):
            row["date"] = dt.date.fromisoformat(str(value)[:10])
    if e.type == "geopoint":
        parts = str(value).split()
        row["latitude"], row["longitude"] = float(parts[0]), float(parts[1])
    yield row


def flatten(form: FormDefinition, doc: dict[str, Any]) -> dict[str, list[str]]:
    """Field key -> posted-style values: what the web form shows for a stored document."""
    out: dict[str, list[str]] = {}
    _flatten(form.children, doc, "", out)
    return out


def _flatten(elements: list[Element], doc: dict[str, Any], prefix: str,
             out: dict[str, list[str]]) -> None:
    for e in elements:
        if e.type == "group":
            _flatten(e.children, doc, prefix, out)
        elif e.type == "repeat":
            items = doc.get(e.name) or []
            out[f"{prefix}{e.name}:count"] = [str(len(items))]
            for i, item in enumerate(items):
                _flatten(e.children, item, f"{prefix}{e.name}:{i}:", out)
        elif not is_empty(doc.get(e.name)):
            value = doc[e.name]
            if isinstance(value, list):
                out[prefix + e.name] = [str(v) for v in value]
            elif isinstance(value, dict):
                out[prefix + e.name] = [value.get("filename", "")]
            else:
                out[prefix + e.name] = [expressions.answer_text(value)]
