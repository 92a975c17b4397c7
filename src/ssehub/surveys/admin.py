"""Back office for surveys: versions are read-only (they are made by importing a form)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from ssehub.core.admin import EditorAccessMixin
from ssehub.surveys.models import FormVersion, Survey


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
    list_display = ("name", "title", "version_count", "updated")
    search_fields = ("name", "title")
    readonly_fields = ("created", "updated")
    inlines = [FormVersionInline]

    @admin.display(description=_("versions"))
    def version_count(self, obj: Survey) -> int:
        return obj.versions.count()


@admin.register(FormVersion)
class FormVersionAdmin(EditorAccessMixin, admin.ModelAdmin):
    list_display = ("survey", "number", "filename", "form_version", "warning_count", "created")
    list_filter = ("survey",)
    readonly_fields = [f.name for f in FormVersion._meta.fields] + ["warning_list"]
    exclude = ("warnings",)

    @admin.display(description=_("warnings"))
    def warning_count(self, obj: FormVersion) -> int:
        return len(obj.warnings)

    @admin.display(description=_("warnings (plain words)"))
    def warning_list(self, obj: FormVersion) -> str:
        return "\n".join(str(p) for p in obj.problems()) or _("none")

    def has_add_permission(self, request, *args) -> bool:
        return False
