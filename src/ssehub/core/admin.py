"""Back office for the reference data: organisations and memberships (editors manage them),
countries and regions (read-mostly: they come from migrations, only admins may fix them).
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from ssehub.core.i18n import pick
from ssehub.core.models import Country, Membership, Organisation, Region
from ssehub.core.roles import is_editor


class EditorAccessMixin:
    """Let members of the Editors group use a model admin without per-model permissions.

    Editors are defined by a group (``core.roles``), not by Django's permission table, so the
    back office asks the same question as the services. ``editor_permissions`` lists what
    editors may do here; anything else falls back to Django's permissions (superusers).
    """

    editor_permissions: frozenset[str] = frozenset({"view"})

    def _editor_may(self, request: HttpRequest, action: str) -> bool:
        return action in self.editor_permissions and is_editor(request.user)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return super().has_module_permission(request) or is_editor(request.user)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return super().has_view_permission(request, obj) or is_editor(request.user)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return super().has_change_permission(request, obj) or self._editor_may(request, "change")

    def has_add_permission(self, request: HttpRequest, *args) -> bool:
        return super().has_add_permission(request, *args) or self._editor_may(request, "add")

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return super().has_delete_permission(request, obj) or self._editor_may(request, "delete")


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) or is_editor(request.user)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) or is_editor(request.user)

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) or is_editor(request.user)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) or is_editor(request.user)


@admin.register(Organisation)
class OrganisationAdmin(EditorAccessMixin, admin.ModelAdmin):
    editor_permissions = frozenset({"view", "change", "add"})
    list_display = ["acronym", "display_name", "role", "since", "country"]
    list_filter = ["role"]
    search_fields = ["slug", "acronym", "name"]
    prepopulated_fields = {"slug": ["acronym"]}
    autocomplete_fields = ["country"]
    inlines = [MembershipInline]

    @admin.display(description=_("name"))
    def display_name(self, obj: Organisation) -> str:
        return pick(obj.name)


@admin.register(Membership)
class MembershipAdmin(EditorAccessMixin, admin.ModelAdmin):
    """Attaching a user to an organisation is what lets them upload for it."""

    editor_permissions = frozenset({"view", "change", "add", "delete"})
    list_display = ["user", "organisation", "created_at"]
    list_filter = ["organisation"]
    search_fields = ["user__username", "user__email", "organisation__acronym", "organisation__slug"]
    # A plain select for users: autocomplete would need editors to have view rights on User.
    autocomplete_fields = ["organisation"]


@admin.register(Region)
class RegionAdmin(EditorAccessMixin, admin.ModelAdmin):
    list_display = ["m49", "display_name", "parent"]
    search_fields = ["m49", "name"]
    list_select_related = ["parent"]

    @admin.display(description=_("name"))
    def display_name(self, obj: Region) -> str:
        return pick(obj.name)


@admin.register(Country)
class CountryAdmin(EditorAccessMixin, admin.ModelAdmin):
    list_display = ["iso2", "iso3", "display_name", "region"]
    list_filter = ["region"]
    search_fields = ["iso2", "iso3", "name"]
    list_select_related = ["region"]

    @admin.display(description=_("name"))
    def display_name(self, obj: Country) -> str:
        return pick(obj.name)
