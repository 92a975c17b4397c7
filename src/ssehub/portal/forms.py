"""Forms of the portal: the item-list filters and the upload form.

The upload form only collects and lightly checks input; the real validation is the metadata
schema (``ssehub.library.metadata.from_dict``) run by the ingestion service, so that the web,
the CLI and harvesters all accept and refuse the same things.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from ssehub.core.models import Organisation
from ssehub.core.roles import is_editor, organisation_ids
from ssehub.library.models import ItemType
from ssehub.portal.queries import ItemFilters
from ssehub.sdg.models import Goal

LANG_CODES_RE = re.compile(r"^[a-z]{2,3}(\s*[,;\s]\s*[a-z]{2,3})*$")
DATE_RE = re.compile(r"^\d{4}(-\d{1,2}(-\d{1,2})?)?$")


class ItemFilterForm(forms.Form):
    """GET filters of /items/; invalid values are ignored rather than shown as errors."""

    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    type = forms.ModelChoiceField(
        label=_("Type"), queryset=ItemType.objects.all(), required=False,
        empty_label=_("All types"), to_field_name="slug",
    )
    sdg = forms.TypedChoiceField(
        label=_("SDG"), required=False, coerce=int, empty_value=None, choices=()
    )
    language = forms.ChoiceField(label=_("Language"), required=False, choices=())
    organisation = forms.ModelChoiceField(
        label=_("Organisation"), queryset=Organisation.objects.all(), required=False,
        empty_label=_("All organisations"), to_field_name="slug",
    )
    year = forms.IntegerField(label=_("Year"), required=False, min_value=1000, max_value=2100)
    country = forms.CharField(label=_("Country (ISO code)"), required=False, max_length=2)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sdg"].choices = [("", _("All SDGs"))] + [
            (goal.number, f"{goal.number}. {goal.short_title}")
            for goal in Goal.objects.order_by("number")
        ]
        self.fields["language"].choices = [("", _("All languages"))] + [
            (code, name) for code, name in settings.LANGUAGES
        ] + [("ar", _("Arabic")), ("zh", _("Chinese")), ("ru", _("Russian")),
             ("pt", _("Portuguese"))]

    def filters(self) -> ItemFilters:
        """The valid filters; a bad value in one field does not cancel the others."""
        self.is_valid()
        data = {
            name: self.cleaned_data.get(name) for name in self.fields if name not in self.errors
        }
        return ItemFilters(
            q=(data.get("q") or "").strip(),
            type=data["type"].slug if data.get("type") else "",
            sdg=data.get("sdg") or None,
            language=data.get("language") or "",
            organisation=data["organisation"].slug if data.get("organisation") else "",
            year=data.get("year") or None,
            country=(data.get("country") or "").strip().upper(),
        )


class UploadForm(forms.Form):
    """Add a document to the library as a draft of one of the user's organisations."""

    file = forms.FileField(
        label=_("File"),
        help_text=_("PDF, Word (DOCX), HTML, Markdown or plain text."),
    )
    title = forms.CharField(
        label=_("Title"), required=False, max_length=1000,
        help_text=_("Leave empty to use the title found in the file."),
    )
    abstract = forms.CharField(label=_("Abstract"), required=False, widget=forms.Textarea(
        attrs={"rows": 5}))
    type = forms.ModelChoiceField(
        label=_("Type"), queryset=ItemType.objects.all(), to_field_name="slug",
        initial="report",
    )
    organisation = forms.ModelChoiceField(
        label=_("Organisation"), queryset=Organisation.objects.none(), to_field_name="slug",
    )
    languages = forms.CharField(
        label=_("Languages"), required=False, max_length=100,
        help_text=_("ISO 639-1 codes separated by commas, e.g. en, fr. Detected if empty."),
    )
    date = forms.CharField(
        label=_("Publication date"), required=False, max_length=10,
        help_text=_("YYYY, YYYY-MM or YYYY-MM-DD."),
    )
    keywords = forms.CharField(
        label=_("Keywords"), required=False, max_length=1000,
        help_text=_("Separated by commas."),
    )
    sdgs = forms.ModelMultipleChoiceField(
        label=_("SDGs"), queryset=Goal.objects.order_by("number"), required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Optional: the goals this document addresses."),
    )

    def __init__(self, *args: Any, user=None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if is_editor(user):
            self.fields["organisation"].queryset = Organisation.objects.all()
        else:
            self.fields["organisation"].queryset = Organisation.objects.filter(
                pk__in=organisation_ids(user)
            )
        choices = self.fields["organisation"].queryset
        if choices.count() == 1:
            self.fields["organisation"].initial = choices.first().slug
        self.fields["sdgs"].label_from_instance = lambda g: f"{g.number}. {g.short_title}"

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.SSEHUB_MAX_FILE_BYTES
        # Refuse on the declared size, before the bytes are read into memory.
        if upload.size > limit:
            raise forms.ValidationError(
                _("The file is %(size)s; the largest accepted is %(limit)s."),
                params={"size": filesizeformat(upload.size), "limit": filesizeformat(limit)},
            )
        return upload

    def clean_languages(self) -> list[str]:
        value = self.cleaned_data["languages"].strip().lower()
        if not value:
            return []
        if not LANG_CODES_RE.match(value):
            raise forms.ValidationError(_("Use language codes such as en, fr, es."))
        return [code for code in re.split(r"[,;\s]+", value) if code]

    def clean_date(self) -> str:
        value = self.cleaned_data["date"].strip()
        if value and not DATE_RE.match(value):
            raise forms.ValidationError(_("Use YYYY, YYYY-MM or YYYY-MM-DD."))
        return value

    def metadata(self) -> dict[str, Any]:
        """The cleaned input in the metadata schema of ``ssehub.library.metadata.from_dict``."""
        data = self.cleaned_data
        meta: dict[str, Any] = {
            "type": data["type"].slug,
            "organisation": data["organisation"].slug,
        }
        optional = {
            "title": data.get("title", "").strip(),
            "abstract": data.get("abstract", "").strip(),
            "languages": data.get("languages") or [],
            "date": data.get("date", ""),
            "keywords": [k.strip() for k in data.get("keywords", "").split(",") if k.strip()],
            "sdgs": [goal.number for goal in data.get("sdgs") or []],
        }
        meta.update({key: value for key, value in optional.items() if value})
        return meta
