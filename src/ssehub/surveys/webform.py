"""The web form: HTML generated from a form definition, in the respondent's language.

Why HTML built here rather than in templates: a form is a tree of any depth (groups inside
repeats inside groups), which Django templates render only through recursive includes, slow
and hard to read. Everything is built with ``format_html``/``escape`` (authors' labels are
text, never markup), every UI string goes through gettext.

The markup is accessible without script: each input has a ``<label>``, choices and groups are
``<fieldset>``/``<legend>``, hints and errors are tied with ``aria-describedby``. The script
(``static/surveys/webform.js``) reads the ``data-*`` expressions to apply skip logic and the
form's own messages as one types, and adds or removes repeat instances; the server checks
everything again (``submission.clean``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from ssehub.surveys.definition import Element, FormDefinition
from ssehub.surveys.languages import pick
from ssehub.surveys.submission import UPLOAD_TYPES

_INPUT_TYPES = {"integer": "number", "decimal": "number", "range": "number", "date": "date",
                "time": "time", "dateTime": "datetime-local", "text": "text",
                "geopoint": "text"}
_ACCEPT = {"image": "image/png,image/jpeg,image/gif,image/webp",
           "audio": "audio/*", "video": "video/mp4", "file": "application/pdf,image/*"}
_HIDDEN = {"hidden", "start", "end", "today"}


def field_id(key: str) -> str:
    return "f-" + key.replace(":", "--")


@dataclass
class Renderer:
    form: FormDefinition
    language: str
    values: dict[str, list[str]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    pages: bool = False
    readonly: bool = False

    def text(self, texts: dict[str, str]) -> str:
        return pick(texts, self.language, self.form)

    def render(self) -> SafeString:
        parts = []
        for element in self.form.children:
            page = self.pages and element.type in {"group", "repeat"}
            parts.append(self.element(element, "", page=page))
        return mark_safe("".join(parts))  # noqa: S308 - every part is built with format_html

    def element(self, e: Element, prefix: str, page: bool = False) -> str:
        if not e.supported and not e.is_container:
            return format_html('<p class="sv-unsupported">{}</p>',
                               _("This question (%(type)s) cannot be answered on the web yet.")
                               % {"type": e.source_type})
        if e.type == "group":
            return self.group(e, prefix, page)
        if e.type == "repeat":
            return self.repeat(e, prefix, page)
        if e.type in _HIDDEN:
            return ""
        return self.question(e, prefix)

    @staticmethod
    def _data(e: Element, **extra: str) -> str:
        attrs = {"data-name": e.name, "data-relevant": e.relevant, **extra}
        return format_html_join("", ' {}="{}"', ((k, v) for k, v in attrs.items() if v))

    def children(self, e: Element, prefix: str) -> str:
        return "".join(self.element(child, prefix) for child in e.children)

    def group(self, e: Element, prefix: str, page: bool) -> str:
        label = self.text(e.label)
        legend = format_html("<legend>{}</legend>", label) if label else ""
        return format_html('<fieldset class="sv-group{}"{}>{}{}</fieldset>',
                           " sv-page" if page else "", self._data(e), legend,
                           mark_safe(self.children(e, prefix)))  # noqa: S308

    def repeat(self, e: Element, prefix: str, page: bool) -> str:
        key = prefix + e.name
        label = self.text(e.label) or e.name
        counted = self.values.get(f"{key}:count", ["0"])[-1]
        count = int(counted) if counted.isdigit() else 0
        if not e.repeat_count and count == 0 and not self.values:
            count = 1  # a new form offers the first instance
        instances = "".join(self.instance(e, key, str(i), label) for i in range(count))
        template = self.instance(e, key, "__i__", label)
        fixed = bool(e.repeat_count)
        add = "" if fixed or self.readonly else format_html(
            '<button type="button" class="button button-secondary sv-add">{}</button>',
            _("Add: %(label)s") % {"label": label})
        return format_html(
            '<fieldset class="sv-repeat{}"{} data-key="{}" data-count-expr="{}">'
            "<legend>{}</legend>"
            '<input type="hidden" name="{}:count" value="{}" class="sv-count">'
            '<div class="sv-instances">{}</div><template class="sv-template">{}</template>{}'
            "</fieldset>",
            " sv-page" if page else "", self._data(e), key, e.repeat_count, label, key, count,
            mark_safe(instances), mark_safe(template), add)  # noqa: S308

    def instance(self, e: Element, key: str, index: str, label: str) -> str:
        number = str(int(index) + 1) if index.isdigit() else "__n__"
        remove = "" if e.repeat_count or self.readonly else format_html(
            '<button type="button" class="button-link sv-remove">{}</button>',
            _("Remove this one"))
        return format_html(
            '<fieldset class="sv-instance" data-index="{}"><legend>{} <span class="sv-n">{}'
            "</span></legend>{}{}</fieldset>",
            index, label, number, mark_safe(self.children(e, f"{key}:{index}:")),  # noqa: S308
            remove)

    def question(self, e: Element, prefix: str) -> str:
        key = prefix + e.name
        fid = field_id(key)
        label = self.text(e.label) or e.name
        hint = self.text(e.hint)
        error = self.errors.get(key, "")
        described = " ".join(x for x in (f"{fid}-hint" if hint else "",
                                          f"{fid}-error") if x)
        required = bool(e.required)
        data = self._data(
            e, **{"data-key": key, "data-type": e.type, "data-constraint": e.constraint,
                  "data-required": e.required, "data-calc": e.calculation,
                  "data-filter": e.choice_filter,
                  "data-constraint-msg": self.text(e.constraint_message)
                  or _("This answer is not allowed."),
                  "data-required-msg": self.text(e.required_message)
                  or _("This question is required.")})
        hint_html = format_html('<p class="sv-hint" id="{}-hint">{}</p>', fid, hint) if hint \
            else ""
        error_html = format_html('<p class="sv-error" id="{}-error" aria-live="polite">{}</p>',
                                 fid, error)
        star = format_html(' <abbr class="sv-required" title="{}">*</abbr>', _("required")) \
            if required else ""
        invalid = ' aria-invalid="true"' if error else ""
        common = format_html(' aria-describedby="{}"', described)
        if e.type == "note":
            return format_html('<div class="sv-q sv-note"{}><p>{}</p>{}</div>', data, label,
                               hint_html)
        if e.type == "calculate":
            value = self.values.get(key, [""])[-1]
            return format_html('<input type="hidden" class="sv-calc" data-key="{}" value="{}"{}>',
                               key, value, data)
        if e.type in {"select_one", "select_multiple", "rank"}:
            return format_html(
                '<fieldset class="sv-q sv-choices"{}{}><legend>{}{}</legend>{}{}{}</fieldset>',
                data, common, label, star, hint_html,
                mark_safe(self.options(e, key, fid, invalid)), error_html)  # noqa: S308
        control = self.control(e, key, fid, invalid + common)
        return format_html('<div class="sv-q"{}><label for="{}">{}{}</label>{}{}{}</div>',
                           data, fid, label, star, hint_html, control, error_html)

    def control(self, e: Element, key: str, fid: str, attrs: str) -> str:
        value = self.values.get(key, [""])[-1]
        disabled = " disabled" if self.readonly else ""
        readonly = " readonly" if e.read_only == "true()" else ""
        extra = mark_safe(attrs + disabled + readonly)  # noqa: S308 - built with format_html
        if e.type in UPLOAD_TYPES:
            current = format_html('<span class="sv-current">{}</span>',
                                  _("Current file: %(name)s") % {"name": value}) if value else ""
            return format_html('<input type="file" id="{}" name="{}" accept="{}"{}>{}', fid, key,
                               _ACCEPT.get(e.type, ""), extra, current)
        if e.type == "acknowledge":
            checked = " checked" if value == "OK" else ""
            return format_html('<input type="checkbox" id="{}" name="{}" value="OK"{}{}>', fid,
                               key, checked, extra)
        if e.type == "text" and "multiline" in e.appearance:
            return format_html('<textarea id="{}" name="{}" rows="4"{}>{}</textarea>', fid, key,
                               extra, value)
        kind = _INPUT_TYPES.get(e.type, "text")
        numeric = ""
        if e.type == "integer":
            numeric = ' step="1" inputmode="numeric"'
        elif e.type == "decimal":
            numeric = ' step="any" inputmode="decimal"'
        elif e.type == "range":
            numeric = format_html(' min="{}" max="{}" step="{}"', e.parameters.get("start", "1"),
                                  e.parameters.get("end", "10"), e.parameters.get("step", "1"))
        elif e.type == "geopoint":
            numeric = format_html(' placeholder="{}"', _("latitude longitude, e.g. 46.2 6.1"))
        return format_html('<input type="{}" id="{}" name="{}" value="{}"{}{}>', kind, fid, key,
                           value, mark_safe(numeric), extra)  # noqa: S308

    def options(self, e: Element, key: str, fid: str, invalid: str) -> str:
        chosen = set()
        for value in self.values.get(key, []):
            chosen.update(value.split())
        choices = self.form.choices.get(e.list_name, [])
        disabled = " disabled" if self.readonly else ""
        if e.type == "select_one" and "minimal" in e.appearance:
            items = format_html_join(
                "", '<option value="{}"{}{}>{}</option>',
                ((c.name, " selected" if c.name in chosen else "",
                  format_html(' data-cols="{}"', json.dumps(c.extra)) if c.extra else "",
                  self.text(c.label) or c.name) for c in choices))
            return format_html('<select id="{}" name="{}"{}{}><option value="">{}</option>{}'
                               "</select>", fid, key, mark_safe(invalid),  # noqa: S308
                               disabled, "—", items)
        kind = "radio" if e.type == "select_one" else "checkbox"
        rows = []
        for i, c in enumerate(choices):
            oid = f"{fid}-{i}"
            cols = format_html(' data-cols="{}"', json.dumps(c.extra)) if c.extra else ""
            rows.append(format_html(
                '<div class="sv-option"{}><input type="{}" id="{}" name="{}" value="{}"{}{}{}>'
                '<label for="{}">{}</label></div>', cols, kind, oid, key, c.name,
                " checked" if c.name in chosen else "", mark_safe(invalid),  # noqa: S308
                disabled, oid, self.text(c.label) or c.name))
        return "".join(rows)


def render(form: FormDefinition, language: str, values: dict[str, list[str]] | None = None,
           errors: dict[str, str] | None = None, *, pages: bool = False,
           readonly: bool = False) -> SafeString:
    """The form's fields as HTML (the caller supplies ``<form>``, CSRF and buttons)."""
    return Renderer(form, language, values or {}, errors or {}, pages, readonly).render()


__all__ = ["escape", "field_id", "render"]
