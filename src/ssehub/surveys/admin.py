"""Back office for surveys. "Add survey" is an XLSForm upload (the same ``import_form`` as
``ssehub survey import``), since a survey only exists through its form; versions are read-only
because responses will point at them."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ssehub.core.admin import EditorAccessMixin
from ssehub.surveys import conf
from ssehub.surveys.importer import import_form
from ssehub.surveys.models import FormVersion, Invitation, Response, Survey
from ssehub.surveys.problems import FormInvalid


class ImportForm(forms.Form):
    file = forms.FileField(label=_("XLSForm file"),
                           help_text=_("An .xlsx, .xls or .csv XLSForm (survey, choices and "
                                       "settings sheets)."))
    name = forms.CharField(label=_("Survey name"), required=False, max_length=100,
                           help_text=_("Letters, digits, '-' and '_'. Leave empty to use the "
                                       "file name. An existing name adds a new version."))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = conf.get("SSEHUB_SURVEY_MAX_FILE_BYTES")
        if upload.size > limit:
            raise forms.ValidationError(
                gettext("The file is over the limit of %(limit)s bytes.")
                % {"limit": f"{limit:,}"})
        return upload


class FormVersionInline(admin.TabularInline):
    model = FormVersion
    fields = ("number", "filename", "form_version", "sha256", "created", "created_by")
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = True


@admin.register(Survey)
class SurveyAdmin(EditorAccessMixin, admin.ModelAdmin):
    editor_permissions = frozenset({"view", "add", "change"})
    list_display = ("name", "title", "version_count", "deadline", "updated")
    search_fields = ("name", "title")
    fields = ("name", "title", "deadline", "page_per_group", "public_questions", "open_key",
              "created", "updated")
    readonly_fields = ("name", "open_key", "created", "updated")
    inlines = [FormVersionInline]

    def view_on_site(self, obj: Survey) -> str:
        return reverse("surveys:dashboard", args=[obj.name])

    @admin.display(description=_("versions"))
    def version_count(self, obj: Survey) -> int:
        return obj.versions.count()

    def get_urls(self):
        urls = [path("import/", self.admin_site.admin_view(self.import_view),
                     name="surveys_survey_import")]
        return urls + super().get_urls()

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context=None):
        return HttpResponseRedirect(reverse("admin:surveys_survey_import"))

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        problems = []
        form = ImportForm(request.POST or None, request.FILES or None,
                          initial={"name": request.GET.get("name", "")})
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                result = import_form(upload.read(), upload.name,
                                     form.cleaned_data["name"] or None, user=request.user)
            except FormInvalid as exc:
                problems = exc.problems
                form.add_error("file", gettext("The form was not imported: %(count)d error(s), "
                                               "listed below.") % {"count": len(exc.errors)})
            else:
                version = result.version
                if result.created:
                    self.message_user(request, gettext(
                        "Imported as survey '%(name)s', version %(number)d, with %(warnings)d "
                        "warning(s).") % {"name": result.survey.name, "number": version.number,
                                          "warnings": len(version.warnings)}, messages.SUCCESS)
                else:
                    self.message_user(request, gettext(
                        "Unchanged: this is the same file as version %(number)d of '%(name)s'.")
                        % {"number": version.number, "name": result.survey.name},
                        messages.INFO)
                return HttpResponseRedirect(
                    reverse("admin:surveys_formversion_change", args=[version.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Import an XLSForm"),
            "form": form,
            "problems": problems,
        }
        return render(request, "surveys/admin/import.html", context)


@admin.register(FormVersion)
class FormVersionAdmin(EditorAccessMixin, admin.ModelAdmin):
    list_display = ("survey", "number", "filename", "form_version", "warning_count", "created")
    list_filter = ("survey",)
    readonly_fields = [f.name for f in FormVersion._meta.fields] + ["warning_list"]
    exclude = ("warnings", "definition")

    @admin.display(description=_("warnings"))
    def warning_count(self, obj: FormVersion) -> int:
        return len(obj.warnings)

    @admin.display(description=_("warnings (plain words)"))
    def warning_list(self, obj: FormVersion) -> str:
        return "\n".join(str(p) for p in obj.problems()) or gettext("none")

    def has_add_permission(self, request, *args) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class _ReadOnly(EditorAccessMixin, admin.ModelAdmin):
    """Invitations and responses change only through the survey services (tokens, checks,
    compare-and-set), never by hand in the back office."""

    def has_add_permission(self, request, *args) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Invitation)
class InvitationAdmin(_ReadOnly):
    """Editors may correct a respondent's name and e-mail addresses (an organisation without
    member accounts has no address until an editor enters its focal point's); the rest is
    the services' business."""

    editor_permissions = frozenset({"view", "change"})
    list_display = ("survey", "name", "kind", "email", "sent", "last_reminded", "reminders")
    list_filter = ("survey", "kind")
    search_fields = ("name", "email")
    fields = ("survey", "kind", "organisation", "name", "email", "sent", "last_reminded",
              "reminders")
    readonly_fields = ("survey", "kind", "organisation", "sent", "last_reminded", "reminders")

    def has_change_permission(self, request, obj=None) -> bool:
        return admin.ModelAdmin.has_change_permission(self, request, obj) or \
            self._editor_may(request, "change")


@admin.register(Response)
class ResponseAdmin(_ReadOnly):
    list_display = ("survey", "pk", "organisation", "status", "version", "updated")
    list_filter = ("survey", "status")
    exclude = ("invitation",)
