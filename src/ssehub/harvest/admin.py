"""Back office for harvesting: sources are configured here; runs and errors are read-only."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from ssehub.core.admin import EditorAccessMixin
from ssehub.harvest import services
from ssehub.harvest.models import RecordState, Run, RunError, Source


class SourceForm(forms.ModelForm):
    class Meta:
        model = Source
        fields = ("name", "kind", "url", "options", "interval_hours", "enabled", "item_status")

    def clean(self) -> dict:
        """The URL checked as ``ssehub harvest add`` checks it, less its freedom to name any
        local file (see ``services.check_location``); a source whose type and URL are left as
        they were keeps them."""
        data = super().clean()
        kind, url = data.get("kind"), data.get("url")
        if kind and url and {"kind", "url"} & set(self.changed_data):
            try:
                data["url"] = services.check_location(kind, url, any_file=False)
            except ValidationError as exc:
                self.add_error("url", exc)
        return data


@admin.register(Source)
class SourceAdmin(EditorAccessMixin, admin.ModelAdmin):
    form = SourceForm
    list_display = ("name", "kind", "url", "enabled", "interval_hours", "health", "last_run")
    list_filter = ("kind", "enabled")
    search_fields = ("name", "url")
    readonly_fields = ("state", "created_at")

    @admin.display(description="health")
    def health(self, obj: Source) -> str:
        return services.health(obj)


class RunErrorInline(admin.TabularInline):
    model = RunError
    fields = ("record", "error", "at")
    readonly_fields = fields
    extra = 0
    max_num = 0


@admin.register(Run)
class RunAdmin(EditorAccessMixin, admin.ModelAdmin):
    list_display = ("source", "started_at", "finished_at", "outcome", *Run.COUNTS)
    list_filter = ("outcome", "source")
    readonly_fields = [f.name for f in Run._meta.fields]
    inlines = [RunErrorInline]

    def has_add_permission(self, request, *args) -> bool:
        return False


@admin.register(RecordState)
class RecordStateAdmin(EditorAccessMixin, admin.ModelAdmin):
    list_display = ("identifier", "source", "item", "datestamp", "deleted", "last_seen")
    list_filter = ("source", "deleted")
    search_fields = ("identifier",)
    raw_id_fields = ("item",)
    readonly_fields = [f.name for f in RecordState._meta.fields]

    def has_add_permission(self, request, *args) -> bool:
        return False
