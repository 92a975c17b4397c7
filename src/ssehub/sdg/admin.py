"""The SDG framework in the back office: read-only, because it is the UN's, loaded by
migrations from the official lists; editing it here would silently fork it."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from ssehub.core.admin import EditorAccessMixin
from ssehub.core.i18n import pick
from ssehub.sdg.models import Goal, Indicator, Target


class ReadOnlyAdmin(EditorAccessMixin, admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, *args) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Goal)
class GoalAdmin(ReadOnlyAdmin):
    list_display = ["number", "short_title", "colour"]
    search_fields = ["short", "title"]


@admin.register(Target)
class TargetAdmin(ReadOnlyAdmin):
    list_display = ["code", "goal", "display_title"]
    list_filter = ["goal"]
    search_fields = ["code", "title"]

    @admin.display(description=_("title"))
    def display_title(self, obj: Target) -> str:
        return pick(obj.title)


@admin.register(Indicator)
class IndicatorAdmin(ReadOnlyAdmin):
    list_display = ["code", "target", "display_title"]
    list_filter = ["target__goal"]
    search_fields = ["code", "title"]
    list_select_related = ["target"]

    @admin.display(description=_("title"))
    def display_title(self, obj: Indicator) -> str:
        return pick(obj.title)
