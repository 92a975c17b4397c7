"""Back office for the library: editors review, correct, publish and withdraw items.

Writes that have rules go through ``ssehub.library.services`` (status changes, version history,
restores), exactly as from the portal and the CLI; the admin only offers buttons for them.
The status field itself is read-only here so that every change leaves a StatusChange entry.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ssehub.core.admin import EditorAccessMixin
from ssehub.core.i18n import pick
from ssehub.core.roles import is_editor
from ssehub.library import services
from ssehub.library.models import (
    Creator,
    Item,
    ItemFile,
    ItemGoal,
    ItemType,
    ItemVersion,
    Status,
    StatusChange,
)


class EditorInlineMixin:
    """Inlines follow the parent: editors may use them without per-model permissions."""

    editor_can_write = True

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) or is_editor(request.user)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) or (
            self.editor_can_write and is_editor(request.user))

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) or (
            self.editor_can_write and is_editor(request.user))

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) or (
            self.editor_can_write and is_editor(request.user))


class ReadOnlyInlineMixin(EditorInlineMixin):
    editor_can_write = False
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CreatorInline(EditorInlineMixin, admin.TabularInline):
    model = Creator
    extra = 0
    fields = ["position", "name", "kind", "organisation"]
    autocomplete_fields = ["organisation"]


class ItemGoalInline(EditorInlineMixin, admin.TabularInline):
    model = ItemGoal
    extra = 0
    fields = ["goal", "target", "source", "confidence"]
    autocomplete_fields = ["target"]


class ItemFileInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = ItemFile
    fields = ["download", "size", "mime_type", "sha256", "created_at"]
    readonly_fields = fields

    @admin.display(description=_("file"))
    def download(self, obj: ItemFile) -> str:
        return format_html('<a href="{}">{}</a>', obj.get_absolute_url(), obj.filename)


class ItemVersionInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = ItemVersion
    fields = ["number", "changed_at", "changed_by", "comment", "changed_fields", "open"]
    readonly_fields = fields
    ordering = ["-number"]

    @admin.display(description=_("restore"))
    def open(self, obj: ItemVersion) -> str:
        url = reverse("admin:library_itemversion_change", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, gettext("View or restore"))


class StatusChangeInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = StatusChange
    fields = ["changed_at", "from_status", "to_status", "changed_by", "note"]
    readonly_fields = fields


def _change_status(modeladmin, request: HttpRequest, queryset: QuerySet[Item], to: str) -> None:
    """Run the workflow service per item; report refusals one by one, keep the others."""
    done = 0
    for item in queryset:
        try:
            services.change_status(item, to, actor=request.user, note="admin action")
        except PermissionDenied as exc:
            modeladmin.message_user(
                request,
                gettext("%(item)s: %(reason)s") % {"item": item, "reason": exc},
                messages.ERROR,
            )
        else:
            done += 1
    if done:
        modeladmin.message_user(
            request,
            gettext("%(count)d item(s) moved to “%(status)s”.") % {
                "count": done, "status": Status(to).label},
            messages.SUCCESS,
        )


@admin.register(ItemType)
class ItemTypeAdmin(EditorAccessMixin, admin.ModelAdmin):
    list_display = ["slug", "display_label", "position"]
    search_fields = ["slug", "label"]

    @admin.display(description=_("label"))
    def display_label(self, obj: ItemType) -> str:
        return pick(obj.label)


@admin.register(Item)
class ItemAdmin(EditorAccessMixin, admin.ModelAdmin):
    editor_permissions = frozenset({"view", "change"})
    list_display = ["display_title", "item_type", "status", "organisation", "created_at"]
    list_filter = ["status", "item_type", "organisation", "provenance"]
    search_fields = ["title", "abstract", "doi", "publisher", "source_record"]
    list_select_related = ["item_type", "organisation"]
    date_hierarchy = "created_at"
    autocomplete_fields = ["organisation", "countries", "regions"]
    readonly_fields = [
        "uid", "status", "status_changed_at", "status_changed_by", "provenance", "source_name",
        "source_record", "source_url", "created_by", "created_at", "updated_at",
    ]
    fieldsets = [
        (None, {"fields": ["title", "abstract", "original_language", "item_type", "organisation"]}),
        (_("Publication"), {"fields": [
            "publisher", ("pub_year", "pub_month", "pub_day"), "languages", "licence",
            "identifiers", "doi", "keywords",
        ]}),
        (_("Places"), {"fields": ["countries", "regions"]}),
        (_("Workflow"), {"fields": ["status", "status_changed_at", "status_changed_by"]}),
        (_("Provenance"), {"fields": [
            "provenance", "source_name", "source_record", "source_url", "created_by",
            "created_at", "updated_at", "uid",
        ]}),
    ]
    inlines = [CreatorInline, ItemGoalInline, ItemFileInline, StatusChangeInline,
               ItemVersionInline]
    actions = ["publish", "withdraw", "send_to_review"]

    @admin.display(description=_("title"), ordering="title")
    def display_title(self, obj: Item) -> str:
        return obj.display_title

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        """After the item and its inlines are saved, snapshot it as a new version (and map a
        new text to the SDGs again)."""
        super().save_related(request, form, formsets, change)
        services.record_edit(form.instance, request.user, "edited in admin")

    @admin.action(description=_("Publish the selected items"))
    def publish(self, request: HttpRequest, queryset: QuerySet[Item]) -> None:
        _change_status(self, request, queryset, Status.PUBLISHED)

    @admin.action(description=_("Withdraw the selected items"))
    def withdraw(self, request: HttpRequest, queryset: QuerySet[Item]) -> None:
        _change_status(self, request, queryset, Status.WITHDRAWN)

    @admin.action(description=_("Send the selected items to review"))
    def send_to_review(self, request: HttpRequest, queryset: QuerySet[Item]) -> None:
        _change_status(self, request, queryset, Status.IN_REVIEW)


@admin.register(ItemVersion)
class ItemVersionAdmin(EditorAccessMixin, admin.ModelAdmin):
    """Versions are history: never edited, only viewed and restored (which adds a version)."""

    list_display = ["item", "number", "changed_at", "changed_by", "comment"]
    list_select_related = ["item", "changed_by"]
    search_fields = ["item__title", "comment"]
    readonly_fields = ["item", "number", "changed_at", "changed_by", "comment",
                       "changed_fields", "data", "restore_button"]
    fields = readonly_fields
    actions = ["restore"]

    def has_add_permission(self, request: HttpRequest, *args) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_urls(self):
        urls = [
            path("<int:pk>/restore/", self.admin_site.admin_view(self.restore_view),
                 name="library_itemversion_restore"),
        ]
        return urls + super().get_urls()

    @admin.display(description=_("restore"))
    def restore_button(self, obj: ItemVersion) -> str:
        # The change page is already a <form> with a CSRF token: the button re-targets it.
        url = reverse("admin:library_itemversion_restore", args=[obj.pk])
        return format_html(
            '<button type="submit" class="button" formaction="{}" formmethod="post">{}</button>',
            url, gettext("Restore this version"),
        )

    def _restore(self, request: HttpRequest, version: ItemVersion) -> None:
        try:
            new = services.restore_version(version.item, version.number, actor=request.user)
        except PermissionDenied as exc:
            self.message_user(request, f"{version}: {exc}", messages.ERROR)
            return
        self.message_user(
            request,
            gettext("%(item)s: version %(number)d restored (now version %(new)d).") % {
                "item": version.item, "number": version.number, "new": new.number},
            messages.SUCCESS,
        )

    def restore_view(self, request: HttpRequest, pk: int) -> HttpResponseRedirect:
        if request.method != "POST":
            return HttpResponseRedirect(reverse("admin:library_itemversion_change", args=[pk]))
        version = get_object_or_404(ItemVersion.objects.select_related("item"), pk=pk)
        if not self.has_view_permission(request, version):
            raise PermissionDenied
        self._restore(request, version)
        return HttpResponseRedirect(reverse("admin:library_item_change", args=[version.item_id]))

    @admin.action(description=_("Restore the selected version"))
    def restore(self, request: HttpRequest, queryset: QuerySet[ItemVersion]) -> None:
        for version in queryset.select_related("item"):
            self._restore(request, version)
