"""Forms of the calls pages: they collect input; services validate and decide."""

from __future__ import annotations

import zoneinfo
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from ssehub.calls.models import (
    Bid,
    Call,
    CallRole,
    Session,
    Submission,
    default_criteria,
    default_text_fields,
)
from ssehub.calls.services import AuthorData

AUTHOR_ROWS = 6
LANGUAGE_CHOICES = [("en", _("English")), ("fr", _("French")), ("es", _("Spanish")),
                    ("pt", _("Portuguese")), ("ar", _("Arabic")), ("zh", _("Chinese")),
                    ("ru", _("Russian"))]


def sdg_choices() -> list[tuple[int, str]]:
    from ssehub.sdg.models import Goal

    return [(g.number, f"{g.number}. {g.short_title}") for g in Goal.objects.order_by("number")]


class DateTimeLocal(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M")


DATE_FIELDS = ["opens_at", "abstract_deadline", "paper_deadline", "review_deadline",
               "notification_date", "conference_start", "conference_end"]


class CallForm(forms.ModelForm):
    """Dates are typed in the call's own time zone (chosen on the same form)."""

    themes_text = forms.CharField(label=_("Themes"), required=False,
                                  help_text=_("Separated by commas."))
    sdgs_list = forms.TypedMultipleChoiceField(label=_("SDGs"), required=False, coerce=int,
                                               choices=(), widget=forms.CheckboxSelectMultiple)
    languages_list = forms.MultipleChoiceField(label=_("Languages accepted"),
                                               choices=LANGUAGE_CHOICES,
                                               widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = Call
        fields = ["slug", "title", "description", "timezone", *DATE_FIELDS, "venue",
                  "reviews_per_paper", "min_load", "max_load", "series"]
        widgets = {name: DateTimeLocal() for name in DATE_FIELDS}

    criteria_text = forms.CharField(
        label=_("Scored criteria"), required=False, widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One per line: key | label | lowest score | highest score | weight."))
    text_fields_text = forms.CharField(
        label=_("Free-text fields"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line: key | label | authors or committee (who reads it)."))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sdgs_list"].choices = sdg_choices()
        for name in DATE_FIELDS:
            self.fields[name].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
        call = self.instance
        criteria = call.criteria if call.pk else default_criteria()
        text_fields = call.text_fields if call.pk else default_text_fields()
        self.initial.setdefault("criteria_text", "\n".join(
            f"{c['key']} | {c['label']} | {c['min']} | {c['max']} | {c.get('weight', 1)}"
            for c in criteria))
        self.initial.setdefault("text_fields_text", "\n".join(
            f"{f['key']} | {f['label']} | {f['audience']}" for f in text_fields))
        if call.pk:  # dates are typed and shown in the call's own time zone
            self.fields["slug"].disabled = True
            for name in DATE_FIELDS:
                self.initial[name] = call.local(getattr(call, name)).replace(tzinfo=None)
            self.initial.update({"themes_text": ", ".join(call.themes),
                                 "sdgs_list": call.sdgs, "languages_list": call.languages})

    @staticmethod
    def _rows(text: str, width: int) -> list[list[str]]:
        rows = []
        for line in text.splitlines():
            if line.strip():
                cells = [c.strip() for c in line.split("|")]
                if len(cells) != width:
                    raise forms.ValidationError(
                        _("“%(line)s”: %(n)s parts separated by | are expected.")
                        % {"line": line.strip(), "n": width})
                rows.append(cells)
        return rows

    def clean_criteria_text(self) -> list[dict]:
        if not self.cleaned_data["criteria_text"].strip():
            return default_criteria()  # a call always has something to score
        out = []
        for key, label, low, high, weight in self._rows(self.cleaned_data["criteria_text"], 5):
            try:
                out.append({"key": key, "label": label, "min": int(low), "max": int(high),
                            "weight": float(weight)})
            except ValueError as exc:
                raise forms.ValidationError(_("Scores and weights are numbers.")) from exc
        return out

    def clean_text_fields_text(self) -> list[dict]:
        return [{"key": key, "label": label, "audience": audience}
                for key, label, audience in self._rows(self.cleaned_data["text_fields_text"], 3)]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        tz_name = data.get("timezone") or "UTC"
        try:
            tz = zoneinfo.ZoneInfo(tz_name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return data
        for name in DATE_FIELDS:  # the browser sends wall-clock time in the call's zone
            value = data.get(name)
            if value is not None:
                data[name] = value.replace(tzinfo=None).replace(tzinfo=tz)
        return data

    def call_data(self) -> dict[str, Any]:
        data = {k: self.cleaned_data[k] for k in self.Meta.fields}
        data["themes"] = [t.strip() for t in self.cleaned_data["themes_text"].split(",")
                          if t.strip()]
        data["sdgs"] = self.cleaned_data["sdgs_list"]
        data["languages"] = self.cleaned_data["languages_list"]
        data["criteria"] = self.cleaned_data["criteria_text"]
        data["text_fields"] = self.cleaned_data["text_fields_text"]
        return data


class MemberForm(forms.Form):
    username = forms.CharField(label=_("User name"), max_length=150)
    role = forms.ChoiceField(label=_("Role"), choices=CallRole.Role.choices)
    topics = forms.CharField(label=_("Topics"), required=False,
                             help_text=_("Separated by commas."))


class SubmissionForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=500)
    abstract = forms.CharField(label=_("Abstract"), widget=forms.Textarea(attrs={"rows": 8}))
    keywords = forms.CharField(label=_("Keywords"), required=False,
                               help_text=_("Separated by commas."))
    language = forms.ChoiceField(label=_("Language of the paper"), choices=())
    sdgs = forms.TypedMultipleChoiceField(
        label=_("SDGs"), required=False, coerce=int, choices=(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Left empty, the hub's SDG mapper fills them from your title and abstract; "
                    "“Suggest SDGs” shows its proposal first."))
    pdf = forms.FileField(label=_("Paper (PDF)"), required=False)
    conflicts = forms.MultipleChoiceField(
        label=_("Conflicts of interest with committee members"), required=False, choices=(),
        widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, call: Call, require_pdf: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.call = call
        langs = dict(LANGUAGE_CHOICES)
        self.fields["language"].choices = [(c, langs.get(c, c)) for c in
                                           (call.languages or [c for c, _n in LANGUAGE_CHOICES])]
        self.fields["sdgs"].choices = sdg_choices()
        self.fields["pdf"].required = require_pdf
        self.fields["pdf"].help_text = _("At most %(mb)s MB. Remove your names from the paper "
                                         "itself: reviewers must not know who wrote it.") % {
            "mb": f"{call.file_limit / 1e6:.0f}"}
        self.fields["pdf"].widget.attrs["accept"] = "application/pdf"
        members = CallRole.objects.filter(call=call).exclude(role=CallRole.Role.CHAIR) \
            .select_related("user").order_by("user__last_name", "user__username")
        seen = {}
        for m in members:
            seen[m.user_id] = m.user.get_full_name() or m.user.get_username()
        self.fields["conflicts"].choices = list(seen.items())
        for i in range(AUTHOR_ROWS):
            for key, label, required in (("name", _("Name"), i == 0),
                                         ("email", _("E-mail"), i == 0),
                                         ("affiliation", _("Affiliation"), False),
                                         ("orcid", _("ORCID"), False)):
                field = forms.EmailField if key == "email" else forms.CharField
                self.fields[f"author_{i}_{key}"] = field(label=label, required=required,
                                                         max_length=300)

    def author_rows(self) -> list[list]:
        return [[self[f"author_{i}_{k}"] for k in ("name", "email", "affiliation", "orcid")]
                for i in range(AUTHOR_ROWS)]

    def clean_pdf(self):
        upload = self.cleaned_data.get("pdf")
        if upload and upload.size > self.call.file_limit:
            raise forms.ValidationError(
                _("The file is %(size)s MB; the largest accepted is %(max)s MB.")
                % {"size": f"{upload.size / 1e6:.1f}",
                   "max": f"{self.call.file_limit / 1e6:.1f}"})
        return upload

    def authors(self) -> list[AuthorData]:
        out = []
        for i in range(AUTHOR_ROWS):
            name = self.cleaned_data.get(f"author_{i}_name", "").strip()
            if name:
                out.append(AuthorData(name, self.cleaned_data.get(f"author_{i}_email", ""),
                                      self.cleaned_data.get(f"author_{i}_affiliation", ""),
                                      self.cleaned_data.get(f"author_{i}_orcid", "")))
        return out

    def data_dict(self) -> dict[str, Any]:
        return {k: self.cleaned_data[k] for k in ("title", "abstract", "keywords", "language",
                                                  "sdgs")}

    @staticmethod
    def initial_for(submission: Submission) -> dict[str, Any]:
        initial = {"title": submission.title, "abstract": submission.abstract,
                   "keywords": ", ".join(submission.keywords), "language": submission.language,
                   "sdgs": submission.sdgs}
        for i, a in enumerate(submission.authors.all()[:AUTHOR_ROWS]):
            initial.update({f"author_{i}_name": a.name, f"author_{i}_email": a.email,
                            f"author_{i}_affiliation": a.affiliation,
                            f"author_{i}_orcid": a.orcid})
        return initial


class FileForm(forms.Form):
    pdf = forms.FileField(label=_("Paper (PDF)"))


class ReviewForm(forms.Form):
    """Built from the call's review form: one field per criterion and per text field."""

    def __init__(self, *args: Any, call: Call, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for c in call.criteria:
            choices = [("", "—")] + [(str(v), str(v)) for v in range(c["min"], c["max"] + 1)]
            self.fields[f"score_{c['key']}"] = forms.ChoiceField(
                label=c["label"], choices=choices, required=False,
                help_text=_("From %(min)s (lowest) to %(max)s (highest); weight %(w)s.") % {
                    "min": c["min"], "max": c["max"], "w": c.get("weight", 1)})
        for f in call.text_fields:
            help_text = (_("The authors will read this (without your name).")
                         if f.get("audience") == "authors"
                         else _("Only the committee reads this."))
            self.fields[f"text_{f['key']}"] = forms.CharField(
                label=f["label"], required=False, help_text=help_text,
                widget=forms.Textarea(attrs={"rows": 6}))

    def scores(self) -> dict[str, str]:
        return {k.removeprefix("score_"): v for k, v in self.cleaned_data.items()
                if k.startswith("score_")}

    def texts(self) -> dict[str, str]:
        return {k.removeprefix("text_"): v for k, v in self.cleaned_data.items()
                if k.startswith("text_")}


class SessionForm(forms.ModelForm):
    papers = forms.ModelMultipleChoiceField(label=_("Papers"), queryset=Submission.objects.none(),
                                            required=False, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = Session
        fields = ["title", "room", "starts_at", "ends_at", "chair_names"]
        widgets = {"starts_at": DateTimeLocal(), "ends_at": DateTimeLocal()}

    def __init__(self, *args: Any, call: Call, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.call = call
        self.fields["papers"].queryset = call.submissions.filter(
            decision__in=["accept", "revisions"])
        self.fields["papers"].label_from_instance = lambda s: f"#{s.pk} {s.title}"
        for name in ("starts_at", "ends_at"):
            self.fields[name].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
            self.fields[name].help_text = _("In the call's time zone (%(tz)s).") % {
                "tz": call.timezone}

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        tz = zoneinfo.ZoneInfo(self.call.timezone)
        for name in ("starts_at", "ends_at"):
            if data.get(name) is not None:
                data[name] = data[name].replace(tzinfo=None).replace(tzinfo=tz)
        return data


class ProfileForm(forms.Form):
    timezone = forms.CharField(label=_("Time zone"), max_length=64,
                               help_text=_("For example Europe/Paris or America/Bogota."))
    language = forms.ChoiceField(label=_("Language of e-mails"), choices=settings.LANGUAGES)
    affiliation = forms.CharField(label=_("Affiliation"), required=False, max_length=300,
                                  help_text=_("Used to find conflicts of interest."))
    orcid = forms.CharField(label=_("ORCID"), required=False, max_length=40)

    def clean_orcid(self) -> str:
        from ssehub.calls.services import orcid_valid

        value = self.cleaned_data["orcid"].strip().removeprefix("https://orcid.org/")
        if value and not orcid_valid(value):
            raise forms.ValidationError(_("Not a valid ORCID iD."))
        return value

    def clean_timezone(self) -> str:
        value = self.cleaned_data["timezone"].strip()
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise forms.ValidationError(_("Unknown time zone.")) from exc
        return value


BID_CHOICES = [("", _("No bid"))] + list(Bid.Level.choices)
